"""The REST error catalogue (``forcegate.api_errors.CATALOGUE``), pinned in
``golden/errors/rest.json``: every ``errorCode`` the data API, the admin API, userinfo/identity and the
HTTP edge can answer, with its statuses and the messages the source words it with.

The messages are read from the source (each raise of an error class or call of ``api_error``, an
f-string's fields kept as ``{expression}``), so a new code, status or message fails here until the
golden file is regenerated on purpose: ``FORCEGATE_UPDATE_GOLDEN=1`` (``make golden``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from forcegate import api_errors
from forcegate.api_errors import CATALOGUE, ApiError, UndeclaredErrorCode
from forcegate.data.errors import DataApiError
from forcegate.org import errors as org_errors
from forcegate.soql.errors import SoqlError
from tests.support.golden import GOLDEN_DIR, assert_golden

SRC = Path(api_errors.__file__).resolve().parent

# Constructors taking (code, message, status?): the base and its subclasses with a free code.
_CODE_FIRST = {"ApiError", "DataApiError", "SoqlError"}
# The admin family: the class fixes code and status; (message, field?).
_FIXED = {
    name: cls
    for name, cls in vars(org_errors).items()
    if isinstance(cls, type) and issubclass(cls, org_errors.AdminError)
}
# (code, soql, line, column, text) and the translator's ``self.error(code, pos, text)``.
_LOCATED_PREFIX = "\n{query line}\n{caret}\nERROR at Row:{row}:Column:{column}\n"


@dataclass
class Use:
    """One place in src that raises (or answers) a REST error."""

    where: str
    code: str | None  # None: computed at run time (checked by ApiError itself)
    status: int | None
    message: str | None


@dataclass
class _Module:
    path: Path
    tree: ast.Module
    constants: dict[str, str] = field(default_factory=dict)


def _modules() -> Iterator[_Module]:
    shared = {
        name: value for name, value in vars(api_errors).items() if name.isupper() and isinstance(value, str)
    }
    for path in sorted(SRC.rglob("*.py")):
        if "client" in path.relative_to(SRC).parts:  # the SDK reads these errors, it never answers them
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = dict(shared)
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                constants[node.targets[0].id] = node.value.value
        yield _Module(path, tree, constants)


def _template(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    """A message as written: literal text, an f-string with ``{expression}`` fields, a named constant."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                conversion = f"!{chr(value.conversion)}" if value.conversion != -1 else ""
                parts.append(f"{{{ast.unparse(value.value)}{conversion}}}")
        return "".join(parts)
    return f"{{{ast.unparse(node)}}}"


def _literal(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _use(module: _Module, call: ast.Call) -> Use | None:
    name = call.func.id if isinstance(call.func, ast.Name) else None
    method = call.func.attr if isinstance(call.func, ast.Attribute) else None
    where = f"{module.path.relative_to(SRC.parent)}:{call.lineno}"
    code_node: ast.expr | None
    if name in _CODE_FIRST:
        code_node, status_node = _argument(call, 0, "error_code"), _argument(call, 2, "status")
        message = _template(_argument(call, 1, "message"), module.constants)
    elif name == "api_error":
        code_node, status_node = _argument(call, 1, "error_code"), _argument(call, 0, "status")
        message = _template(_argument(call, 2, "message"), module.constants)
    elif name == "located" or (method == "error" and module.path.name == "translate.py"):
        text = _argument(call, 4 if name == "located" else 2, "text")
        code_node, status_node = _argument(call, 0, "error_code"), None
        message = _LOCATED_PREFIX + (_template(text, module.constants) or "")
    elif name in _FIXED:
        fixed = _FIXED[name]
        message = _template(_argument(call, 0, "message"), module.constants)
        return Use(where, fixed.error_code, fixed.status, message)
    else:
        return None
    code = _literal(code_node)
    status = _literal(status_node)
    return Use(
        where,
        code if isinstance(code, str) else None,
        status if isinstance(status, int) else None,
        message,
    )


def uses() -> list[Use]:
    found = []
    for module in _modules():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and (use := _use(module, node)) is not None:
                found.append(use)
    return found


def catalogue_document() -> dict[str, object]:
    """The golden file's content: each declared code, its statuses, meaning and messages from src."""
    messages: dict[str, set[str]] = {code: set() for code in CATALOGUE}
    for use in uses():
        if use.code in messages and use.message is not None:
            messages[use.code].add(use.message)
    return {
        code: {
            "statuses": list(declared.statuses),
            "meaning": declared.meaning,
            "messages": sorted(messages[code]),
        }
        for code, declared in sorted(CATALOGUE.items())
    }


def test_every_code_raised_in_src_is_declared_with_its_status() -> None:
    found = uses()
    assert len(found) > 100  # the scan sees the raises (a renamed class would silently see none)
    for use in found:
        if use.code is None:
            continue
        assert use.code in CATALOGUE, f"{use.where}: {use.code} is not in forcegate.api_errors.CATALOGUE"
        if use.status is not None:
            assert use.status in CATALOGUE[use.code].statuses, f"{use.where}: {use.code} {use.status}"


def test_every_declared_code_is_raised_somewhere() -> None:
    raised = {use.code for use in uses()}
    assert set(CATALOGUE) - raised == set(), "declared but never raised: drop them from the catalogue"


def test_only_the_base_builds_the_error_body() -> None:
    """No module writes ``{"message", "errorCode"}`` itself: answers go through ApiError.body() and
    web.common.api_error_response (the OpenAPI document's example is documentation, not an answer)."""
    builders = []
    for module in _modules():
        if module.path.name == "api_errors.py" or "openapi" in module.path.name:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Dict):
                values = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                # A JSON Schema describing the body ({"errorCode": {"type": ...}}) is not building one.
                if "errorCode" in values and not isinstance(values["errorCode"], ast.Dict):
                    builders.append(f"{module.path.relative_to(SRC.parent)}:{node.lineno}")
    assert builders == []


def test_an_undeclared_code_or_status_cannot_be_raised() -> None:
    with pytest.raises(UndeclaredErrorCode):
        ApiError("NO_SUCH_CODE", "never answered")
    with pytest.raises(UndeclaredErrorCode):
        DataApiError("INVALID_FIELD", "a declared code, an undeclared status", status=500)
    with pytest.raises(UndeclaredErrorCode):
        SoqlError("MALFORMED_QUERIES", "a typo")
    for cls in _FIXED.values():  # the admin family's fixed codes are declared too
        error = cls("a message", "a_field")
        assert (error.error_code, error.status, error.fields) == (cls.error_code, cls.status, ["a_field"])


def test_the_body_shape() -> None:
    assert ApiError("NOT_FOUND", "gone").body() == [{"message": "gone", "errorCode": "NOT_FOUND"}]
    assert ApiError("ENTITY_IS_DELETED", "entity is deleted", fields=[]).body() == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]
    assert org_errors.ValidationFailed("bad", None).body() == [
        {"message": "bad", "errorCode": "FIELD_INTEGRITY_EXCEPTION"}
    ]


def test_the_golden_catalogue() -> None:
    assert_golden("rest", catalogue_document(), GOLDEN_DIR / "errors")
