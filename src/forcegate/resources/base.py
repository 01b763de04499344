"""How an admin resource is declared: a strict pydantic model per body, whose fields carry everything
the admin API, the CLI, the OpenAPI document and (later) Setup's forms need to know about them.

A field is declared once, as an ``Annotated`` type: its Python type, pydantic's ``Field`` (default,
bounds, ``description`` = the help text, ``examples``), and optionally

* :class:`Says`: the messages the admin API has always answered for this field, by kind of mistake
  (wrong type, out of bounds, not one of the choices, a bad item in a list). Without one, the
  resource's templates apply (``type_message``, ``choice_message``);
* :class:`Flag`: the CLI option(s) it is set with, when the name or help differ from the field's;
* ``Secret``: a value never shown again (passwords) — a form masks it, the document marks it
  ``writeOnly``.

:class:`Declaration` wraps a model for its users: ``validate`` turns a JSON body (or CLI values) into
the changes to apply, or raises :class:`~forcegate.api_errors.ValidationFailed` with the admin API's
message; ``fields`` lists the fields in the terms a form or a CLI needs; ``json_schema`` is what the
OpenAPI document shows.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pydantic
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError, PydanticUndefined

from forcegate.api_errors import ValidationFailed

__all__ = ["STORED_INT_MAX", "Declaration", "FieldSpec", "Flag", "Resource", "Says", "Secret", "checked"]

# The largest value an INTEGER column holds on every backend (PostgreSQL's is 32-bit): the upper bound
# of counts and durations that would otherwise be unbounded.
STORED_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Says:
    """A field's error messages, by kind of mistake. ``{field}`` is replaced by its name."""

    type: str | None = None  # wrong JSON type, or a required field missing
    bounds: str | None = None  # too short/long, too small/large
    maximum: str | None = None  # too large or too long, when that is worded apart from ``bounds``
    choice: str | None = None  # not one of the allowed values
    item: str | None = None  # a bad element inside a list or object value


@dataclass(frozen=True)
class Flag:
    """How the CLI sets a field: ``decls`` are click's declarations (default ``--field-name``; a boolean
    with ``"--x/--no-x"`` is left unset unless given, one without is a flag), ``name`` the parameter's
    name when it is not the one click derives, ``help`` the option's help (the CLI's words, terser than
    the field's description; none without), ``file``: the option names a file whose text is the value."""

    decls: tuple[str, ...] = ()
    help: str | None = None
    metavar: str | None = None
    name: str | None = None
    file: bool = False


class _Secret:
    """Marks a field whose value is shown once or never (passwords)."""

    def __repr__(self) -> str:
        return "Secret"


Secret = _Secret()


class Resource(pydantic.BaseModel):
    """A request body of the admin API: strict JSON types, unknown fields refused."""

    model_config = pydantic.ConfigDict(strict=True, extra="forbid", frozen=True)

    # The admin API's messages when no field's Says applies; {field}, {type}, {names}, {choices}.
    unknown_message: ClassVar[str] = "unknown field(s): {names}"
    type_message: ClassVar[str] = "{field} must be a {type}"
    type_words: ClassVar[Mapping[type, str]] = {str: "string", bool: "boolean", int: "integer"}
    choice_message: ClassVar[str] = "{field} must be one of {choices}"
    # Messages of this body only, overriding the field's Says (the same field can have been answered
    # differently by two endpoints; each keeps its words).
    says: ClassVar[Mapping[str, Says]] = {}


@dataclass(frozen=True)
class FieldSpec:
    """One field as a form or a CLI sees it."""

    name: str
    type: type  # str, int, bool, list, dict
    required: bool
    default: Any  # None when there is none
    help: str
    nullable: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    secret: bool = False
    flag: Flag | None = None


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _base(annotation: Any) -> tuple[type, bool, tuple[str, ...]]:
    """(JSON-ish Python type, nullable, choices) of a field's annotation."""
    annotation = _strip_annotated(annotation)
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = _strip_annotated(args[0])
        origin = typing.get_origin(annotation)
    if origin is Literal:
        return str, nullable, tuple(typing.get_args(annotation))
    if origin is not None:
        return origin, nullable, ()
    return annotation, nullable, ()


def _metadata(info: FieldInfo, kind: type[Any]) -> Any:
    return next((m for m in info.metadata if isinstance(m, kind)), None)


def _constraint(info: FieldInfo, name: str) -> int | None:
    for item in info.metadata:
        value = getattr(item, name, None)
        if isinstance(value, int):
            return value
    return None


def _kind(error: Any) -> str:
    """The kind of a pydantic error, in Says' terms: type, item, bounds or choice."""
    kind = str(error["type"])
    if kind == "literal_error" and isinstance(error["input"], str):
        return "choice"
    if kind in ("too_long", "string_too_long") or kind.startswith("less_than"):
        return "maximum"
    if kind in ("too_short", "string_too_short") or kind.startswith("greater_than"):
        return "bounds"
    return "item" if len(error["loc"]) > 1 else "type"


class _NoTitles(GenerateJsonSchema):
    """JSON Schema without pydantic's generated property titles: the descriptions say it."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class Declaration:
    """A body of the admin API (or a CLI command): validation, field list and JSON Schema.

    ``partial``: every field optional and none defaulted (an update); only the fields given come back
    from ``validate``. ``min_fields``: the document asks for at least that many (an empty update is
    still accepted, as it always was)."""

    def __init__(
        self,
        model: type[Resource],
        *,
        partial: bool = False,
        name: str | None = None,
        description: str | None = None,
        min_fields: int = 0,
    ) -> None:
        self.declared = model
        self.name = name or model.__name__
        self.partial = partial
        self.description = description if description is not None else (model.__doc__ or "").strip()
        self.min_fields = min_fields
        self.model = self._partial(model) if partial else model
        self._fields: list[FieldSpec] | None = None

    def _partial(self, model: type[Resource]) -> type[Resource]:
        fields: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            copy = FieldInfo.merge_field_infos(info, default=None)
            copy.validate_default = False
            fields[name] = (info.rebuild_annotation(), copy)
        # A subclass keeps the messages (ClassVars) of the declared model.
        partial: type[Resource] = pydantic.create_model(self.name, __base__=model, **fields)
        return partial

    # --- validation -----------------------------------------------------------------------------

    def validate(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The given fields, checked (strings stripped where the field says so). Raises
        ValidationFailed with the admin API's message on the first mistake, in the order the admin
        API has always checked: unknown fields, then missing or mistyped fields, then values out of
        bounds or choices (each in the order the fields are declared)."""
        try:
            checked = self.model.model_validate(dict(body))
        except pydantic.ValidationError as error:
            raise self._failure(error.errors()) from None
        return {name: getattr(checked, name) for name in checked.model_fields_set}

    def _failure(self, errors: list[Any]) -> ValidationFailed:
        model = self.model
        unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
        if unknown:
            return ValidationFailed(model.unknown_message.format(names=", ".join(unknown)))
        order = {name: i for i, name in enumerate(model.model_fields)}

        def rank(error: Any) -> tuple[int, int]:
            value_error = error["type"] == "custom" or _kind(error) in ("bounds", "maximum", "choice")
            return (1 if value_error else 0, order.get(str(error["loc"][0]), len(order)))

        first = min(errors, key=rank)
        return ValidationFailed(self._message(first), str(first["loc"][0]))

    def _message(self, error: Any) -> str:
        model = self.model
        field = str(error["loc"][0])
        info = model.model_fields[field]
        says = model.says.get(field) or _metadata(info, Says) or Says()
        base, _nullable, choices = _base(info.annotation)
        if error["type"] == "custom":  # a validator's own words (see checked())
            return str(error["msg"])
        kind = _kind(error)
        if kind == "choice":
            template = says.choice or model.choice_message
        elif kind == "maximum":
            template = says.maximum or says.bounds or says.type or model.type_message
        elif kind == "bounds":
            template = says.bounds or says.type or model.type_message
        elif kind == "item":
            template = says.item or says.type or model.type_message
        else:
            template = says.type or model.type_message
        word = model.type_words.get(base, getattr(base, "__name__", str(base)))
        return template.format(field=field, type=word, choices=", ".join(choices))

    def messages(self) -> list[str]:
        """Every message ``validate`` can answer (``{names}``: the unknown fields), for the error
        catalogue: the declarations word them, no raise in the source does."""
        model = self.model
        found = {model.unknown_message}
        for name, info in model.model_fields.items():
            says = model.says.get(name) or _metadata(info, Says) or Says()
            base, _nullable, choices = _base(info.annotation)
            word = model.type_words.get(base, getattr(base, "__name__", str(base)))

            def worded(template: str, field: str = name, word: str = word, choices: Any = choices) -> str:
                return template.format(field=field, type=word, choices=", ".join(choices))

            found.add(worded(says.type or model.type_message))
            if choices:
                found.add(worded(says.choice or model.choice_message))
            bounded = any(_constraint(info, c) is not None for c in ("ge", "le", "min_length", "max_length"))
            if bounded or says.bounds:
                found.add(worded(says.bounds or says.type or model.type_message))
            if says.maximum:
                found.add(worded(says.maximum))
            if says.item:
                found.add(worded(says.item))
        return sorted(found)

    # --- for forms and the CLI ------------------------------------------------------------------

    def fields(self) -> list[FieldSpec]:
        """The fields in declaration order, as forms and the CLI need them."""
        if self._fields is None:
            self._fields = self._specs()
        return list(self._fields)

    def _specs(self) -> list[FieldSpec]:
        found = []
        for name, info in self.declared.model_fields.items():
            base, nullable, choices = _base(info.annotation)
            default = None if info.default is PydanticUndefined else info.default
            found.append(
                FieldSpec(
                    name=name,
                    type=base,
                    required=info.is_required() and not self.partial,
                    default=None if self.partial else default,
                    help=info.description or "",
                    nullable=nullable,
                    choices=choices,
                    minimum=_constraint(info, "ge"),
                    maximum=_constraint(info, "le"),
                    min_length=_constraint(info, "min_length"),
                    max_length=_constraint(info, "max_length"),
                    secret=_metadata(info, _Secret) is not None,
                    flag=_metadata(info, Flag),
                )
            )
        return found

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields() if f.name == name)

    # --- for the OpenAPI document ---------------------------------------------------------------

    def json_schema(self, ref_template: str = "#/components/schemas/{model}") -> dict[str, Any]:
        """JSON Schema 2020-12 (OpenAPI 3.1's dialect) of the body; nested models in ``$defs``."""
        schema = self.model.model_json_schema(
            ref_template=ref_template, schema_generator=_NoTitles, mode="validation"
        )
        schema["title"] = self.name
        if self.description:
            schema["description"] = self.description
        for name, info in self.declared.model_fields.items():
            prop = schema["properties"][name]
            if self.partial:
                prop.pop("default", None)
            if _metadata(info, _Secret) is not None:
                prop["writeOnly"] = True
        if self.min_fields:
            schema["minProperties"] = self.min_fields
        return schema


def checked(message: str) -> PydanticCustomError:
    """The error a field's validator raises so that the admin API answers ``message`` as it stands."""
    return PydanticCustomError("custom", message)
