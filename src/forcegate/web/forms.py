"""Setup's forms, drawn from the admin resources' declarations (``forcegate.resources``).

A declaration's fields (``Declaration.fields()``) say everything a form needs: :func:`form` describes
one control per field (its kind, label, help, bounds, current value), the ``setup/_form.html`` macros
render them, and :func:`submit` turns the posted form back into the JSON body the admin API takes and
validates it with the same declaration, so a mistake reads exactly as the admin API words it, next to
its field. Each conversion is written once, by the field's type, never per resource:

===================================  ==================  ============================================
field                                control             posted value -> body
===================================  ==================  ============================================
``secret`` (a password)              password            never shown; blank: left out (or "" if
                                                         required, so the API's message applies)
``bool``                             checkbox            present: true; absent (unchecked): false
``str`` with ``choices`` (Literal)   select              as for ``str``
``int``                              number (min, max)   digits: the integer; other text: as given,
                                                         so the API's type message applies; blank:
                                                         left out (``null`` in an update if nullable)
``list`` (of strings)                textarea            one item a line (``\\r\\n`` or ``\\n``),
                                                         blank lines dropped
``list`` given ``options``           checkboxes          the checked values
``str`` given ``options``            checkboxes          the checked values, space-separated (scopes)
``str`` whose file the CLI reads     textarea            the text (a PEM certificate)
``str`` (format email / uri)         email / url / text  stripped; blank: "" if required, else left
                                                         out (``null`` in an update if nullable)
``dict`` (a permission matrix)       none                left out: the matrix is its own page
===================================  ==================  ============================================

"Left out" lets the declaration's default apply (a create) or keeps the stored value (an update).
``options`` (a field's allowed values with descriptions, e.g. :data:`SCOPE_OPTIONS`) is how a page
offers a pick list for a field the declaration types as a plain string or list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from forcegate.api_errors import AdminError
from forcegate.protocol.scopes import SCOPE_DESCRIPTIONS
from forcegate.resources.base import Declaration, FieldSpec

__all__ = [
    "CHOICE_LABELS",
    "LABELS",
    "SCOPE_OPTIONS",
    "Control",
    "Form",
    "Option",
    "Submission",
    "body",
    "form",
    "label",
    "submit",
]

Kind = Literal["text", "email", "url", "password", "number", "checkbox", "select", "textarea", "checkboxes"]


@dataclass(frozen=True)
class Option:
    """One choice of a select or a checkbox group."""

    value: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Control:
    """One form control, as the ``setup/_form.html`` macros render it."""

    name: str
    label: str
    kind: Kind
    help: str = ""
    required: bool = False
    value: str = ""  # text, number, select, textarea
    checked: bool = False  # checkbox
    selected: tuple[str, ...] = ()  # checkboxes
    options: tuple[Option, ...] = ()  # select, checkboxes
    blank: bool = False  # a select offers "--None--"
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    autocomplete: str | None = None
    error: str | None = None
    prefix: str = "field"  # of the ids: two forms on one page take two prefixes

    @property
    def id(self) -> str:
        return f"{self.prefix}-{self.name.replace('_', '-')}"

    @property
    def help_id(self) -> str | None:
        return f"{self.id}-help" if self.help else None

    @property
    def error_id(self) -> str | None:
        return f"{self.id}-error" if self.error else None

    @property
    def describedby(self) -> str:
        """The ids of the help and the error, for ``aria-describedby`` ("" when neither)."""
        return " ".join(i for i in (self.help_id, self.error_id) if i)

    def option_id(self, option: Option) -> str:
        return f"{self.id}-{re.sub(r'[^A-Za-z0-9_-]', '-', option.value)}"


@dataclass(frozen=True)
class Form:
    """A declaration's controls, with the mistake that is not any one field's (``error``)."""

    name: str
    controls: tuple[Control, ...]
    error: str | None = None

    def control(self, name: str) -> Control:
        return next(c for c in self.controls if c.name == name)

    @property
    def errors(self) -> dict[str, str]:
        found = {c.name: c.error for c in self.controls if c.error}
        if self.error:
            found[""] = self.error
        return found


@dataclass(frozen=True)
class Submission:
    """A posted form: the body it makes and, validated, the changes (``values``) or the admin API's
    error (``error``). ``form()`` of it shows the form again with what was typed and the error."""

    declaration: Declaration
    body: dict[str, Any]
    values: dict[str, Any] | None = None
    error: AdminError | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.error is None

    def valid(self) -> dict[str, Any]:
        """The validated values; the admin API's error raised when the form is not valid."""
        if self.values is None:
            assert self.error is not None
            raise self.error
        return self.values


class FormData(Protocol):
    """Starlette's ``FormData`` (and any multi-dict): every value of a name, in order."""

    def getlist(self, key: Any) -> list[Any]: ...


# Salesforce Setup's words for the fields whose names would not say it (New Connected App, New User).
LABELS: Mapping[str, str] = {
    "name": "Name",
    "callback_urls": "Callback URL",
    "scopes": "Selected OAuth Scopes",
    "is_enabled": "Enabled",
    "is_active": "Active",
    "require_pkce": "Require Proof Key for Code Exchange (PKCE)",
    "require_secret_for_web_server": "Require Secret for Web Server Flow",
    "access_token_lifetime_seconds": "Access Token Timeout (seconds)",
    "user_agent_flow_enabled": "Enable User-Agent Flow",
    "device_flow_enabled": "Enable for Device Flow",
    "client_credentials_enabled": "Enable Client Credentials Flow",
    "client_credentials_user": "Run As",
    "certificate_pem": "Use Digital Signatures (certificate, PEM)",
    "permitted_users": "Permitted Users",
    "refresh_token_policy": "Refresh Token Policy",
    "refresh_token_validity_seconds": "Refresh Token Valid For (seconds)",
    "refresh_token_rotation": "Enable Refresh Token Rotation",
    "jwt_access_tokens": "Issue JSON Web Token (JWT)-based Access Tokens",
    "trusted_ip_ranges": "Trusted IP Ranges (one per line)",
    "contact_email": "Contact Email",
    "description": "Description",
    "ip_relaxation": "IP Relaxation",
    "api_enabled": "API Enabled",
    "view_all_data": "View All Data",
    "modify_all_data": "Modify All Data",
    "manage_connected_apps": "Manage Connected Apps",
    "manage_users": "Manage Users",
}
# Setup's words for a declared choice (Permitted Users, Refresh Token Policy); others are humanised.
CHOICE_LABELS: Mapping[str, str] = {
    "all_self_authorize": "All users may self-authorize",
    "admin_approved": "Admin approved users are pre-authorized",
    "until_revoked": "Refresh token is valid until revoked",
    "expire_after": "Expire refresh token after N seconds",
    "expire_if_unused": "Expire refresh token if not used for N seconds",
    "ENFORCE": "Enforce IP restrictions",
    "BYPASS": "Relax IP restrictions",
    "ENFORCE_RELAXREFRESH": "Enforce IP restrictions, but relax for refresh tokens",
}
# Words a humanised field name spells as Setup does.
_WORDS = {
    "api": "API",
    "id": "ID",
    "ip": "IP",
    "jwt": "JWT",
    "oauth": "OAuth",
    "pem": "PEM",
    "pkce": "PKCE",
    "soap": "SOAP",
    "url": "URL",
    "urls": "URLs",
}

# Salesforce's OAuth scopes with the consent page's words: the pick list of ``scopes``.
SCOPE_OPTIONS: tuple[Option, ...] = tuple(
    Option(scope, scope, words) for scope, words in SCOPE_DESCRIPTIONS.items()
)

_FORMAT_KINDS: Mapping[str, Kind] = {"email": "email", "uri": "url"}
_LINES = re.compile(r"\r\n|\r|\n")
_INTEGER = re.compile(r"[+-]?\d+\Z")


def label(name: str, labels: Mapping[str, str] = LABELS) -> str:
    """A field's label: Setup's words where known, else its name in words ("first_name": "First
    name", "access_token_lifetime_seconds": "Access token lifetime (seconds)")."""
    if name in labels:
        return labels[name]
    words = name.split("_")
    if words[0] == "is" and len(words) > 1:
        words = words[1:]
    unit = ""
    if len(words) > 1 and words[-1] in ("seconds", "minutes", "hours", "days"):
        unit = f" ({words.pop()})"
    text = " ".join(_WORDS.get(w, w) for w in words)
    return text[:1].upper() + text[1:] + unit


# --- the controls ----------------------------------------------------------------------------------


def _formats(declaration: Declaration) -> dict[str, str]:
    """Each string field's JSON Schema ``format`` (email, uri), from the declaration's schema."""
    found = {}
    for name, prop in declaration.json_schema().get("properties", {}).items():
        for schema in [prop, *prop.get("anyOf", ())]:
            if isinstance(schema, dict) and isinstance(schema.get("format"), str):
                found[name] = schema["format"]
                break
    return found


def _kind(spec: FieldSpec, options: Sequence[Option] | None, fmt: str | None) -> Kind | None:
    if spec.type is dict:
        return None
    if spec.secret:
        return "password"
    if spec.type is bool:
        return "checkbox"
    if options is not None and spec.type in (str, list):
        return "checkboxes"
    if spec.choices:
        return "select"
    if spec.type is int:
        return "number"
    if spec.type is list or (spec.flag is not None and spec.flag.file):
        return "textarea"
    return _FORMAT_KINDS.get(fmt or "", "text")


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return str(value)


def _selected(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(v) for v in value)


def _control(
    spec: FieldSpec,
    kind: Kind,
    value: Any,
    options: Sequence[Option] | None,
    labels: Mapping[str, str],
    help: str,
    error: str | None,
) -> Control:
    if kind == "textarea" and spec.type is list:
        help = f"{help} (one per line)" if help else "One per line."
    control = Control(
        name=spec.name,
        label=label(spec.name, labels),
        kind=kind,
        help=help,
        required=spec.required,
        minimum=spec.minimum,
        maximum=spec.maximum,
        min_length=spec.min_length if spec.type is str else None,
        max_length=spec.max_length if spec.type is str else None,
        error=error,
    )
    if kind == "password":
        return replace(control, autocomplete="new-password")  # never pre-filled
    if kind == "checkbox":
        return replace(control, checked=value is True)
    if kind == "checkboxes":
        return replace(control, options=tuple(options or ()), selected=_selected(value))
    if kind == "select":
        choices = tuple(
            Option(c, CHOICE_LABELS.get(c) or c.replace("_", " ").capitalize()) for c in spec.choices
        )
        blank = not spec.required and (spec.nullable or spec.default is None)
        return replace(control, options=choices, blank=blank, value=_shown(value))
    if kind == "email":
        control = replace(control, autocomplete="off")
    return replace(control, value=_shown(value))


def form(
    declaration: Declaration,
    values: Mapping[str, Any] | None = None,
    *,
    names: Iterable[str] | None = None,
    options: Mapping[str, Sequence[Option]] | None = None,
    labels: Mapping[str, str] = LABELS,
    helps: Mapping[str, str] | None = None,
    error: AdminError | None = None,
    prefix: str = "field",
    choices: Mapping[str, Sequence[Option]] | None = None,
) -> Form:
    """The form of ``declaration``: a control per field (or per one of ``names``, in that order),
            showing ``values`` (a record's current values, or a body posted back) or else the declared
            defaults. A secret is never shown. ``error`` (the admin API's, or a service's) is shown on its
            field, or above the form when it names none of them. ``labels``, ``helps``: a page's own words
        for a field (a pick list's help, say), over Setup's label and the declared description; ``prefix``:
    of the controls' ids, when a page shows two forms; ``choices``: a select of these options for a
    string field (posted back as its text)."""
    specs = declaration.fields()
    if names is not None:
        specs = [declaration.field(n) for n in names]
    formats = _formats(declaration)
    options = options or {}
    controls = []
    for spec in specs:
        kind = _kind(spec, options.get(spec.name), formats.get(spec.name))
        if kind is None:
            continue
        value = values[spec.name] if values is not None and spec.name in values else spec.default
        mine = error.message if error is not None and error.field == spec.name else None
        help = (helps or {}).get(spec.name, spec.help)
        made = _control(spec, kind, value, options.get(spec.name), labels, help, mine)
        if choices is not None and spec.name in choices:
            # A page's pick list (the org's profiles) for a field the declaration types as a string.
            made = replace(made, kind="select", options=tuple(choices[spec.name]), value=_shown(value))
        controls.append(replace(made, prefix=prefix))
    shown = {c.name for c in controls}
    general = error.message if error is not None and error.field not in shown else None
    return Form(declaration.name, tuple(controls), general)


# --- the posted form back to a body ----------------------------------------------------------------


def _blank(spec: FieldSpec, partial: bool, empty: Any) -> Any:
    """What a field left blank sends: ``empty`` if required (the API then says what is wrong),
    ``None`` in an update of a nullable field (clears it), else nothing (``_ABSENT``)."""
    if spec.required:
        return empty
    if partial and spec.nullable and not spec.secret:
        return None
    return _ABSENT


_ABSENT = object()


def _text(spec: FieldSpec, given: list[Any], partial: bool) -> Any:
    text = str(given[-1]) if given else ""
    if spec.type is str and not spec.secret and not (spec.flag is not None and spec.flag.file):
        text = text.strip()
    if text.strip() == "":
        return _blank(spec, partial, "" if spec.type is str else _ABSENT)
    if spec.type is int:
        text = text.strip()
        return int(text) if _INTEGER.match(text) else text
    return text


def _items(given: list[Any]) -> list[str]:
    return [line.strip() for value in given for line in _LINES.split(str(value)) if line.strip()]


_READERS: Mapping[Kind, Callable[[FieldSpec, list[Any], bool], Any]] = {
    "checkbox": lambda spec, given, partial: bool(given),
    "textarea": lambda spec, given, partial: (
        _items(given) if spec.type is list else _text(spec, given, partial)
    ),
    "checkboxes": lambda spec, given, partial: (
        [str(v) for v in given] if spec.type is list else " ".join(str(v) for v in given)
    ),
}


def body(
    declaration: Declaration,
    submitted: FormData,
    *,
    names: Iterable[str] | None = None,
    options: Mapping[str, Sequence[Option]] | None = None,
) -> dict[str, Any]:
    """The JSON body a posted form stands for (the fields of ``names``, or all of them), before
    validation: what the admin API would have been sent."""
    specs = declaration.fields() if names is None else [declaration.field(n) for n in names]
    formats = _formats(declaration)
    options = options or {}
    found: dict[str, Any] = {}
    for spec in specs:
        kind = _kind(spec, options.get(spec.name), formats.get(spec.name))
        if kind is None:
            continue
        read = _READERS.get(kind, _text)
        value = read(spec, list(submitted.getlist(spec.name)), declaration.partial)
        if value is not _ABSENT:
            found[spec.name] = value
    return found


def submit(
    declaration: Declaration,
    submitted: FormData,
    *,
    names: Iterable[str] | None = None,
    options: Mapping[str, Sequence[Option]] | None = None,
) -> Submission:
    """The posted form, validated by its declaration: ``values`` as ``Declaration.validate`` returns
    them (what the admin API would apply), or ``error`` with the admin API's message and field."""
    sent = body(declaration, submitted, names=names, options=options)
    try:
        values = declaration.validate(sent)
    except AdminError as error:
        return Submission(declaration, sent, error=error)
    return Submission(declaration, sent, values=values)
