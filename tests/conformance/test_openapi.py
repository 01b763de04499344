"""The admin API's OpenAPI document matches the routes and is valid OpenAPI 3.1."""

from __future__ import annotations

from typing import Any

from forcegate.org.connected_apps import UPDATABLE_FIELDS
from forcegate.web.admin import OPENAPI, ROUTES

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_paths_match_routes() -> None:
    routed = {(path, method.lower()) for path, method, _ in ROUTES}
    documented = {
        (path, method) for path, item in OPENAPI["paths"].items() for method in item if method in METHODS
    }
    assert routed == documented


def test_every_ref_resolves() -> None:
    refs = _refs(OPENAPI)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        node: Any = OPENAPI
        for part in ref[2:].split("/"):
            assert isinstance(node, dict) and part in node, f"unresolved {ref}"
            node = node[part]


def test_update_schema_matches_updatable_fields() -> None:
    schema = OPENAPI["components"]["schemas"]["ConnectedAppUpdate"]
    assert set(schema["properties"]) == set(UPDATABLE_FIELDS)
    assert schema["additionalProperties"] is False


def test_only_openapi_json_is_public() -> None:
    for path, item in OPENAPI["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                assert ("security" in op) == path.endswith("/openapi.json"), (path, method)


def test_validates() -> None:
    import openapi_spec_validator

    openapi_spec_validator.validate(OPENAPI)
