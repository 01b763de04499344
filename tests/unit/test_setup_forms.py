"""Setup's forms come from the admin resources' declarations (forcegate.web.forms, setup/_form.html):
a control per declared field, and a posted form back to the very body the admin API validates."""

from __future__ import annotations

import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import Field
from starlette.datastructures import FormData

from forcegate import resources
from forcegate.api_errors import ValidationFailed
from forcegate.resources import connected_app, user
from forcegate.resources.base import Declaration, Resource
from forcegate.web import forms

TEMPLATES = Path(forms.__file__).resolve().parent.parent / "templates"
APP_OPTIONS = {"scopes": forms.SCOPE_OPTIONS}
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

APP_KINDS = {
    "name": "text",
    "callback_urls": "textarea",
    "scopes": "checkboxes",
    "is_enabled": "checkbox",
    "contact_email": "email",
    "description": "text",
    "require_pkce": "checkbox",
    "require_secret_for_web_server": "checkbox",
    "access_token_lifetime_seconds": "number",
    "user_agent_flow_enabled": "checkbox",
    "device_flow_enabled": "checkbox",
    "client_credentials_enabled": "checkbox",
    "client_credentials_user": "text",
    "certificate_pem": "textarea",
    "permitted_users": "select",
    "refresh_token_policy": "select",
    "refresh_token_validity_seconds": "number",
    "refresh_token_rotation": "checkbox",
    "jwt_access_tokens": "checkbox",
    "ip_relaxation": "select",
}
USER_KINDS = {
    "username": "email",
    "password": "password",
    "profile": "text",
    "email": "email",
    "first_name": "text",
    "last_name": "text",
}


def posted(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def complete_app() -> FormData:
    """A New Connected App form with every field filled in, as a browser posts it."""
    return posted(
        ("csrf_token", "ignored"),
        ("name", "  Partner Portal "),
        ("callback_urls", "https://app.example.com/cb\r\n\r\n  http://localhost:8080/cb  \r\nmyapp:/cb\r\n"),
        ("scopes", "api"),
        ("scopes", "refresh_token"),
        ("is_enabled", "true"),
        ("require_pkce", "true"),
        # require_secret_for_web_server unchecked: absent
        ("access_token_lifetime_seconds", " 900 "),
        ("user_agent_flow_enabled", "true"),
        ("device_flow_enabled", "true"),
        ("client_credentials_enabled", "true"),
        ("client_credentials_user", "admin@example.com"),
        ("certificate_pem", CERTIFICATE),
        ("permitted_users", "admin_approved"),
        ("refresh_token_policy", "expire_after"),
        ("refresh_token_validity_seconds", "86400"),
        ("refresh_token_rotation", "true"),
        ("jwt_access_tokens", "true"),
        ("contact_email", " owner@example.com "),
        ("description", "The partners' portal"),
        ("ip_relaxation", "BYPASS"),
    )


APP_BODY: dict[str, Any] = {
    "name": "Partner Portal",
    "callback_urls": ["https://app.example.com/cb", "http://localhost:8080/cb", "myapp:/cb"],
    "scopes": "api refresh_token",
    "is_enabled": True,
    "require_pkce": True,
    "require_secret_for_web_server": False,
    "access_token_lifetime_seconds": 900,
    "user_agent_flow_enabled": True,
    "device_flow_enabled": True,
    "client_credentials_enabled": True,
    "client_credentials_user": "admin@example.com",
    "certificate_pem": CERTIFICATE,
    "permitted_users": "admin_approved",
    "refresh_token_policy": "expire_after",
    "refresh_token_validity_seconds": 86400,
    "refresh_token_rotation": True,
    "jwt_access_tokens": True,
    "contact_email": "owner@example.com",
    "description": "The partners' portal",
    "ip_relaxation": "BYPASS",
}


CSRF = "tok-123"


def render(form: forms.Form) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    page = env.from_string(
        '{% from "setup/_form.html" import setup_form %}'
        '{{ setup_form(form, action="/setup/x", csrf_token=csrf_token) }}'
    )
    return page.render(form=form, csrf_token=CSRF)


class Inputs(HTMLParser):
    """The form controls of a page and the ``for`` of its labels."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.label_for.add(str(found["for"]))
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append({"tag": tag, **found})


class Browser(HTMLParser):
    """What a browser posts for a rendered form as it stands (no JavaScript, nothing changed)."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._open: tuple[str, str] | None = None  # (tag, name) of a textarea or select being read
        self._text: list[str] = []
        self._first: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "input":
            if found.get("type") in ("checkbox", "radio") and "checked" not in found:
                return
            if found.get("type") != "password":
                self.pairs.append((found["name"], found.get("value", "")))
        elif tag in ("textarea", "select"):
            self._open, self._text, self._first = (tag, found["name"]), [], None
        elif tag == "option" and self._open is not None:
            if self._first is None:
                self._first = found.get("value", "")
            if "selected" in found:
                self.pairs.append((self._open[1], found.get("value", "")))
                self._first = ""  # chosen

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._open[0] == "textarea":
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None or tag != self._open[0]:
            return
        if tag == "textarea":
            text = "".join(self._text)
            self.pairs.append((self._open[1], text[1:] if text.startswith("\n") else text))
        elif self._first:  # no option selected: the first
            self.pairs.append((self._open[1], self._first))
        self._open = None


def browser_post(html: str) -> FormData:
    browser = Browser()
    browser.feed(html)
    return FormData(browser.pairs)


def parsed(html: str) -> Inputs:
    parser = Inputs()
    parser.feed(html)
    return parser


# --- controls --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "kinds", "options"),
    [(connected_app.CREATE, APP_KINDS, APP_OPTIONS), (user.CREATE, USER_KINDS, {})],
    ids=["connected-app", "user"],
)
def test_every_declared_field_has_a_control_of_its_kind(
    declaration: Declaration, kinds: dict[str, str], options: dict[str, Any]
) -> None:
    form = forms.form(declaration, options=options)
    assert [c.name for c in form.controls] == [f.name for f in declaration.fields()]
    assert {c.name: c.kind for c in form.controls} == kinds
    for control, spec in zip(form.controls, declaration.fields(), strict=True):
        assert control.help.startswith(spec.help)
        assert control.required == spec.required
        assert control.label and "_" not in control.label


def test_controls_carry_the_declared_bounds_defaults_and_choices() -> None:
    form = forms.form(connected_app.CREATE, options=APP_OPTIONS)
    lifetime = form.control("access_token_lifetime_seconds")
    assert (lifetime.minimum, lifetime.maximum, lifetime.value) == (60, 86400, "7200")
    assert form.control("require_secret_for_web_server").checked is True
    assert form.control("require_pkce").checked is False
    policy = form.control("refresh_token_policy")
    assert [o.value for o in policy.options] == ["until_revoked", "expire_after", "expire_if_unused"]
    assert policy.value == "until_revoked" and not policy.blank
    scopes = form.control("scopes")
    assert scopes.selected == ()
    assert dict((o.value, o.help) for o in scopes.options)["refresh_token"] == "Perform requests at any time"
    assert form.control("name").max_length == 255
    assert form.control("callback_urls").label == "Callback URL"
    assert form.control("callback_urls").help == "allowed redirect URIs (one per line)"
    assert policy.options[0].label == "Refresh token is valid until revoked"
    helped = forms.form(connected_app.CREATE, options=APP_OPTIONS, helps={"scopes": "Pick the scopes."})
    assert helped.control("scopes").help == "Pick the scopes."
    assert form.control("scopes").label == "Selected OAuth Scopes"
    assert forms.label("first_name") == "First name"
    assert forms.label("is_api_enabled") == "API enabled"


def test_current_values_are_shown_but_never_a_secret() -> None:
    app = forms.form(connected_app.UPDATE, APP_BODY, options=APP_OPTIONS)
    assert app.control("callback_urls").value == "\n".join(APP_BODY["callback_urls"])
    assert app.control("scopes").selected == ("api", "refresh_token")
    assert app.control("refresh_token_validity_seconds").value == "86400"
    assert app.control("require_secret_for_web_server").checked is False
    values = {"username": "ada@acme.com", "password": "s3cret-Passw0rd", "first_name": "Ada"}
    form = forms.form(user.CREATE, values)
    assert form.control("username").value == "ada@acme.com"
    assert form.control("password").value == ""
    html = render(form)
    assert "s3cret-Passw0rd" not in html
    password = next(c for c in parsed(html).controls if c["name"] == "password")
    assert password["type"] == "password" and "value" not in password


# --- posted forms ----------------------------------------------------------------------------------


def test_a_complete_app_round_trips_to_the_body_the_admin_api_accepts() -> None:
    submission = forms.submit(connected_app.CREATE, complete_app(), options=APP_OPTIONS)
    assert submission.ok, submission.error
    assert submission.body == APP_BODY
    assert submission.values == connected_app.CREATE.validate(APP_BODY)
    # and the form shows it again as it was posted
    again = forms.form(connected_app.CREATE, submission.body, options=APP_OPTIONS)
    assert forms.submit(connected_app.CREATE, _post(again), options=APP_OPTIONS).values == submission.values


def test_the_rendered_form_posts_back_what_it_shows() -> None:
    submission = forms.submit(connected_app.CREATE, complete_app(), options=APP_OPTIONS)
    shown = render(forms.form(connected_app.CREATE, submission.body, options=APP_OPTIONS))
    again = forms.submit(connected_app.CREATE, browser_post(shown), options=APP_OPTIONS)
    assert again.body == APP_BODY
    assert again.values == submission.values
    blank = forms.submit(connected_app.CREATE, browser_post(render(forms.form(connected_app.CREATE))))
    assert blank.error is not None and blank.error.field == "name"  # nothing typed yet
    person = {"username": "ada@acme.com", "first_name": "Ada", "password": "Passw0rd1"}
    posted_back = browser_post(render(forms.form(user.CREATE, person)))
    assert forms.body(user.CREATE, posted_back) == {
        "username": "ada@acme.com",
        "first_name": "Ada",
        "password": "",
    }


def _post(form: forms.Form) -> FormData:
    """What a browser posts for a form as shown (no secret is shown, so none is posted)."""
    pairs: list[tuple[str, str]] = []
    for c in form.controls:
        if c.kind == "checkbox":
            pairs += [(c.name, "true")] if c.checked else []
        elif c.kind == "checkboxes":
            pairs += [(c.name, v) for v in c.selected]
        else:
            pairs.append((c.name, c.value))
    return FormData(pairs)


def test_unchecked_checkboxes_are_false_and_blank_optionals_are_left_to_the_defaults() -> None:
    submission = forms.submit(
        connected_app.CREATE,
        posted(
            ("name", "Minimal"),
            ("callback_urls", "https://app.example.com/cb"),
            ("scopes", "api"),
            ("access_token_lifetime_seconds", ""),
            ("client_credentials_user", "  "),
            ("certificate_pem", ""),
            ("refresh_token_validity_seconds", ""),
        ),
        options=APP_OPTIONS,
    )
    assert submission.ok, submission.error
    assert submission.values is not None
    body = submission.body
    assert body["is_enabled"] is False and body["require_secret_for_web_server"] is False
    for blank in (
        "access_token_lifetime_seconds",
        "client_credentials_user",
        "certificate_pem",
        "refresh_token_validity_seconds",
        "permitted_users",
    ):
        assert blank not in body
    assert submission.values == connected_app.CREATE.validate(body)
    assert body["scopes"] == "api"

    person = forms.submit(
        user.CREATE,
        posted(("username", "ada@acme.com"), ("password", "Passw0rd!"), ("email", ""), ("profile", "")),
    )
    assert person.ok, person.error
    assert person.body == {"username": "ada@acme.com", "password": "Passw0rd!"}
    assert person.values == user.CREATE.validate({"username": "ada@acme.com", "password": "Passw0rd!"})


def test_an_update_clears_a_blank_nullable_field_and_keeps_a_blank_password() -> None:
    app = forms.body(
        connected_app.UPDATE,
        posted(("certificate_pem", ""), ("refresh_token_validity_seconds", "")),
        names=["certificate_pem", "refresh_token_validity_seconds", "require_pkce"],
    )
    assert app == {"certificate_pem": None, "refresh_token_validity_seconds": None, "require_pkce": False}
    assert forms.body(user.UPDATE, posted(("password", ""), ("email", "")), names=["password", "email"]) == {}


def test_callback_url_lines_become_a_list() -> None:
    body = forms.body(
        connected_app.CREATE,
        posted(("callback_urls", "\r\n https://a.example.com/cb \r\n\n\rhttps://b.example.com/cb\n   \n")),
        names=["callback_urls"],
    )
    assert body == {"callback_urls": ["https://a.example.com/cb", "https://b.example.com/cb"]}


@pytest.mark.parametrize(
    ("pairs", "field", "message"),
    [
        (
            [("access_token_lifetime_seconds", "59")],
            "access_token_lifetime_seconds",
            "access_token_lifetime_seconds must be between 60 and 86400",
        ),
        (
            [("access_token_lifetime_seconds", "86401")],
            "access_token_lifetime_seconds",
            "access_token_lifetime_seconds must be between 60 and 86400",
        ),
        (
            [("access_token_lifetime_seconds", "ten")],
            "access_token_lifetime_seconds",
            "access_token_lifetime_seconds must be a int",
        ),
        (
            [("refresh_token_validity_seconds", "5")],
            "refresh_token_validity_seconds",
            "refresh_token_validity_seconds must be at least 60",
        ),
        (
            [("refresh_token_validity_seconds", "2147483648")],
            "refresh_token_validity_seconds",
            "refresh_token_validity_seconds must be at most 2147483647",
        ),
        ([("callback_urls", "\r\n  \r\n")], "callback_urls", "at least one callback URL is required"),
        ([("name", "   ")], "name", "name must be 1 to 255 characters"),
        (
            [("permitted_users", "everyone")],
            "permitted_users",
            "permitted_users must be one of all_self_authorize, admin_approved",
        ),
    ],
)
def test_mistakes_read_as_the_admin_api_words_them_on_their_field(
    pairs: list[tuple[str, str]], field: str, message: str
) -> None:
    base = [(k, v) for k, v in complete_app().multi_items() if k not in dict(pairs)]
    submission = forms.submit(connected_app.CREATE, FormData(base + pairs), options=APP_OPTIONS)
    assert not submission.ok and submission.error is not None
    assert (submission.error.message, submission.error.field) == (message, field)
    with pytest.raises(ValidationFailed) as api:
        connected_app.CREATE.validate(submission.body)
    assert (api.value.message, api.value.field) == (message, field)

    shown = forms.form(connected_app.CREATE, submission.body, options=APP_OPTIONS, error=submission.error)
    assert shown.control(field).error == message
    assert shown.errors == {field: message}
    html = render(shown)
    control = shown.control(field)
    assert f'id="{control.error_id}"' in html
    described = next(c for c in parsed(html).controls if c["id"] == control.id)
    assert control.error_id in str(described["aria-describedby"]).split()
    assert described["aria-invalid"] == "true"


def test_a_password_against_the_policy_reads_as_the_admin_api_says() -> None:
    submission = forms.submit(user.CREATE, posted(("username", "ada@acme.com"), ("password", "letters-only")))
    assert submission.error is not None
    assert (submission.error.message, submission.error.field) == (user.PASSWORD_RULE, "password")
    blank = forms.submit(user.CREATE, posted(("username", "ada@acme.com"), ("password", "")))
    assert blank.error is not None and blank.error.field == "password"


def test_an_error_that_names_no_field_of_the_form_shows_above_it() -> None:
    error = ValidationFailed("unknown or read-only field(s): colour")
    form = forms.form(connected_app.CREATE, options=APP_OPTIONS, error=error)
    assert form.error == "unknown or read-only field(s): colour"
    assert all(c.error is None for c in form.controls)
    assert 'role="alert">unknown or read-only field(s): colour' in render(form)


# --- the rendered HTML -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "options"),
    [
        (connected_app.CREATE, APP_OPTIONS),
        (connected_app.UPDATE, APP_OPTIONS),
        (user.CREATE, {}),
        (user.UPDATE, {}),
    ],
    ids=["app-create", "app-update", "user-create", "user-update"],
)
def test_rendered_controls_are_labelled_and_need_no_script_or_style(
    declaration: Declaration, options: dict[str, Any]
) -> None:
    html = render(forms.form(declaration, options=options))
    page = parsed(html)
    assert page.controls
    for control in page.controls:
        assert control["id"] in page.label_for, control
        for described in str(control.get("aria-describedby") or "").split():
            assert described in page.ids
    assert len(page.ids) == len(re.findall(r'\sid="', html)), "duplicate ids"
    assert "<script" not in html.lower()
    assert " style=" not in html.lower()
    assert f'<input type="hidden" name="csrf_token" value="{CSRF}">' in html


def every_declaration() -> list[Declaration]:
    found = []
    for module in pkgutil.iter_modules(resources.__path__):
        loaded = importlib.import_module(f"forcegate.resources.{module.name}")
        found += [value for value in vars(loaded).values() if isinstance(value, Declaration)]
    return found


@pytest.mark.parametrize("declaration", every_declaration(), ids=lambda d: d.name)
def test_every_declaration_makes_a_labelled_form_that_posts_back(declaration: Declaration) -> None:
    form = forms.form(declaration)
    page = parsed(render(form))
    assert all(c["id"] in page.label_for for c in page.controls)
    shown = {f.name for f in declaration.fields() if f.type is not dict}
    assert {c.name for c in form.controls} == shown
    assert set(forms.body(declaration, browser_post(render(form)))) <= shown


def test_checkbox_groups_are_fieldsets_with_a_legend() -> None:
    html = render(forms.form(connected_app.CREATE, options=APP_OPTIONS))
    fieldset = re.search(r'<fieldset[^>]*id="field-scopes"[^>]*>\s*<legend>([^<]*)', html)
    assert fieldset is not None and fieldset.group(1).startswith("Selected OAuth Scopes")
    assert html.count('name="scopes"') == len(forms.SCOPE_OPTIONS)
    required = [c for c in parsed(html).controls if "required" in c]
    assert {c["name"] for c in required} == {"name", "callback_urls"}


def test_two_forms_on_one_page_take_two_id_prefixes() -> None:
    page = render(forms.form(user.UPDATE, names=["password"], prefix="reset"))
    assert '<label for="reset-password">' in page and 'id="reset-password-help"' in page


def test_values_are_escaped() -> None:
    html = render(forms.form(user.CREATE, {"first_name": '"><script>x</script>'}))
    assert "<script" not in html
    assert "&#34;&gt;&lt;script&gt;" in html


# --- a new field needs nothing but its declaration -------------------------------------------------


class Gadget(Resource):
    """A made-up resource, grown by a field."""

    label: Annotated[str, Field(min_length=1, description="what it is called")]
    homepage: Annotated[
        str | None, Field(description="where it lives", json_schema_extra={"format": "uri"})
    ] = None


class GrownGadget(Gadget):
    retries: Annotated[int, Field(ge=0, le=5, description="how often it tries again")] = 3
    tags: Annotated[list[str], Field(description="one per line")] = []


def test_a_field_added_to_a_declaration_appears_in_the_form_with_nothing_else_to_change() -> None:
    before = forms.form(Declaration(Gadget))
    assert [(c.name, c.kind) for c in before.controls] == [("label", "text"), ("homepage", "url")]
    grown = Declaration(GrownGadget)
    form = forms.form(grown)
    assert [(c.name, c.kind) for c in form.controls] == [
        ("label", "text"),
        ("homepage", "url"),
        ("retries", "number"),
        ("tags", "textarea"),
    ]
    retries = form.control("retries")
    assert (retries.label, retries.help, retries.minimum, retries.maximum, retries.value) == (
        "Retries",
        "how often it tries again",
        0,
        5,
        "3",
    )
    html = render(form)
    assert 'name="retries"' in html and 'max="5"' in html and '<label for="field-tags">' in html
    submission = forms.submit(grown, posted(("label", "Widget"), ("retries", "2"), ("tags", "a\r\nb")))
    assert submission.values == {"label": "Widget", "retries": 2, "tags": ["a", "b"]}
    too_many = forms.submit(grown, posted(("label", "Widget"), ("retries", "9")))
    assert too_many.error is not None and too_many.error.field == "retries"


def test_a_permission_matrix_is_not_a_form_control() -> None:
    from forcegate.resources import permissions

    form = forms.form(permissions.PROFILE_CREATE)
    kinds = {c.name: c.kind for c in form.controls}
    assert "object_permissions" not in kinds and "field_permissions" not in kinds
    assert kinds
