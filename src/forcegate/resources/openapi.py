"""The admin API's OpenAPI 3.1 document, generated from the declarations: each operation names the
body it accepts (a :class:`~forcegate.resources.base.Declaration`) and the view it answers with, and
the schemas come from those. The route table (``web/admin.py``) holds the operations, so a route
cannot be served without being described."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from forcegate.resources.base import Declaration
from forcegate.resources.views import Problem, View

__all__ = ["Operation", "QueryParameter", "document"]

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"


class _NoTitles(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@dataclass(frozen=True)
class Answer:
    """A successful answer: its description and view (a list of them with ``many``; none: no body)."""

    description: str
    view: type[View] | None = None
    many: bool = False


@dataclass(frozen=True)
class QueryParameter:
    name: str
    description: str
    type: str = "string"  # its JSON schema type


@dataclass(frozen=True)
class Operation:
    """One route of the admin API as its document shows it."""

    path: str
    method: str
    operation_id: str
    tag: str
    summary: str
    description: str
    answers: dict[int, Answer]
    body: Declaration | None = None
    body_required: bool = True
    # Statuses of the shared error answers beyond 401 and 403 (see ERRORS).
    errors: tuple[int, ...] = ()
    public: bool = False  # needs no token (the document itself)
    # A 409 here means the record's state refuses the action (INVALID_OPERATION), not a duplicate.
    state_refusal: bool = False
    query: tuple[QueryParameter, ...] = ()  # all optional


# Shared error answers, by status: (component name, description, error codes).
ERRORS: dict[int, tuple[str, str, tuple[str, ...]]] = {
    400: (
        "BadRequest",
        "The body is not a JSON object, or a field is missing, unknown or invalid",
        ("FIELD_INTEGRITY_EXCEPTION", "JSON_PARSER_ERROR"),
    ),
    401: (
        "Unauthorized",
        "No valid bearer token, or the token lacks the api/full scope",
        ("INVALID_SESSION_ID",),
    ),
    403: ("Forbidden", "The token's user's profile may not do this", ("INSUFFICIENT_ACCESS",)),
    404: ("NotFound", "No such record in the token's org", ("NOT_FOUND",)),
    409: ("Conflict", "A record with that name or username already exists", ("DUPLICATE_VALUE",)),
    413: ("PayloadTooLarge", "The request body is larger than 64 KiB", ("JSON_PARSER_ERROR",)),
}
INVALID_OPERATION = (
    "InvalidOperation",
    "The record is not in a state that allows this (secret rotation)",
    ("INVALID_OPERATION",),
)

# Path parameters, by name in the path: (component name, description).
PARAMETERS: dict[str, tuple[str, str]] = {
    "ref": (
        "Ref",
        "record ID (15- or 18-character form), consumer key or name for an app; "
        "record ID or username for a user",
    ),
    "name": ("Name", "the profile's or permission set's name"),
    "user": ("UserRef", "record ID or username"),
}

TAGS = [
    {"name": "connected-apps", "description": "OAuth clients (permission: manage connected apps)"},
    {"name": "users", "description": "Users (permission: manage users)"},
    {"name": "login-history", "description": "Login attempts (permission: manage users)"},
    {
        "name": "audit-trail",
        "description": "Setup Audit Trail: configuration changes (permission: manage users)",
    },
    {"name": "profiles", "description": "Profiles and their data-API permissions (permission: manage users)"},
    {"name": "permission-sets", "description": "Permission sets and assignments (permission: manage users)"},
    {"name": "meta", "description": "About the API"},
]


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _error_response(description: str, codes: tuple[str, ...]) -> Schema:
    example = [{"message": description, "errorCode": codes[0]}]
    return {
        "description": f"{description} (errorCode: {', '.join(codes)})",
        "content": {"application/json": {"schema": _ref("Error"), "example": example}},
    }


def _hoist(schema: Schema, into: dict[str, Schema]) -> Schema:
    """Move pydantic's ``$defs`` (nested models) into the document's components."""
    for name, nested in schema.pop("$defs", {}).items():
        into.setdefault(name, nested)
    return schema


def _view_schema(view: type[View], schemas: dict[str, Schema]) -> Schema:
    schema = view.model_json_schema(ref_template=REF, schema_generator=_NoTitles, mode="serialization")
    return _hoist(schema, schemas)


def _operation(op: Operation, schemas: dict[str, Schema]) -> Schema:
    item: Schema = {
        "operationId": op.operation_id,
        "tags": [op.tag],
        "summary": op.summary,
        "description": op.description,
    }
    if op.public:
        item["security"] = []
    if op.query:
        item["parameters"] = [
            {"name": q.name, "in": "query", "required": False, "description": q.description,
             "schema": {"type": q.type}}
            for q in op.query
        ]  # fmt: skip
    if op.body is not None:
        schemas.setdefault(op.body.name, _hoist(op.body.json_schema(REF), schemas))
        item["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": _ref(op.body.name)}},
        }
    responses: Schema = {}
    for status, answer in op.answers.items():
        response: Schema = {"description": answer.description}
        if answer.view is not None:
            name = answer.view.__name__
            schemas.setdefault(name, _view_schema(answer.view, schemas))
            body = {"type": "array", "items": _ref(name)} if answer.many else _ref(name)
            response["content"] = {"application/json": {"schema": body}}
        responses[str(status)] = response
    if not op.public:
        for status in sorted({401, 403, *op.errors}):
            name = INVALID_OPERATION[0] if status == 409 and op.state_refusal else ERRORS[status][0]
            responses[str(status)] = _ref(name, "responses")
    item["responses"] = responses
    return item


def document(operations: list[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations``."""
    schemas: dict[str, Schema] = {}
    paths: dict[str, Any] = {}
    for op in operations:
        item = paths.setdefault(op.path, {})
        params = re.findall(r"{(\w+)}", op.path)
        if params:
            item["parameters"] = [_ref(PARAMETERS[p][0], "parameters") for p in params]
        item[op.method.lower()] = _operation(op, schemas)
    problem = _view_schema(Problem, schemas)
    schemas["Error"] = {"type": "array", "description": "Salesforce's data-API error shape", "items": problem}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "forcegate admin API",
            "version": "1",
            "description": "Manage the connected apps and users of an org, and read its login history. "
            "Authenticate with an OAuth access token (scope `api` or `full`) of a user whose profile may "
            "manage connected apps or users, e.g. System Administrator. Errors are JSON arrays of "
            "`{message, errorCode, fields?}`, like Salesforce's data API.",
        },
        "tags": TAGS,
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An OAuth access token with the `api` or `full` scope, of a user whose "
                    "profile may manage connected apps / users (e.g. System Administrator).",
                }
            },
            "parameters": {
                component: {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "description": description,
                    "schema": {"type": "string"},
                }
                for name, (component, description) in PARAMETERS.items()
            },
            "schemas": dict(sorted(schemas.items())),
            "responses": {
                **{name: _error_response(text, codes) for name, text, codes in ERRORS.values()},
                INVALID_OPERATION[0]: _error_response(*INVALID_OPERATION[1:]),
            },
        },
    }
