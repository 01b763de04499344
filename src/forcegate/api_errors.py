"""The REST APIs' errors: Salesforce's ``[{"message", "errorCode", "fields"?}]`` family.

The data API, the admin API, userinfo and the identity URL, and the HTTP edge (404, 405, 500, 503)
all answer errors in this one shape. Every code is declared here once, in :data:`CATALOGUE`, with the
HTTP statuses it is answered with; :class:`ApiError` refuses a code that is not declared, so no
surface can invent one (``tests/conformance/test_error_catalogue_rest.py`` also checks the code
literals in ``src`` and pins the catalogue in a golden file). ``web.common.api_error_response`` is the
one renderer.

A pure module: it knows nothing of HTTP frameworks, storage or SQL, so every layer (soql, data, org,
web) may raise these. OAuth's ``{"error", "error_description"}`` family is
:mod:`forcegate.protocol.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CATALOGUE",
    "NOT_FOR_API_MESSAGE",
    "NOT_FOUND_MESSAGE",
    "SESSION_EXPIRED_MESSAGE",
    "AdminError",
    "ApiError",
    "Conflict",
    "DeclaredError",
    "InvalidOperation",
    "NotFound",
    "UndeclaredErrorCode",
    "ValidationFailed",
]


@dataclass(frozen=True)
class DeclaredError:
    """One error code: the statuses it is answered with (the first is the default) and what it means."""

    code: str
    statuses: tuple[int, ...]
    meaning: str


def _declare(*errors: DeclaredError) -> Mapping[str, DeclaredError]:
    return {error.code: error for error in errors}


# Codes and statuses as Salesforce answers them (REST API Developer Guide, "Status Codes and Error
# Responses"; salesforce-wire.md §11). Sorted by code; the golden file lists them in this order.
CATALOGUE: Mapping[str, DeclaredError] = _declare(
    DeclaredError("API_DISABLED_FOR_ORG", (403,), "the user's profile and permission sets lack API Enabled"),
    DeclaredError("DUPLICATE_DEVELOPER_NAME", (400,), "a custom object or field of that API name exists"),
    DeclaredError("DUPLICATE_VALUE", (409,), "an admin record with that unique value exists"),
    DeclaredError("ENTITY_IS_DELETED", (404,), "the record is in the recycle bin"),
    DeclaredError(
        "FIELD_INTEGRITY_EXCEPTION",
        (400,),
        "a field value is invalid (an admin request, a reference to the wrong object)",
    ),
    DeclaredError("INSUFFICIENT_ACCESS", (403,), "the user may not do this (admin API, another identity)"),
    DeclaredError("INSUFFICIENT_ACCESS_OR_READONLY", (403,), "the user may not change this record"),
    DeclaredError("INVALID_CROSS_REFERENCE_KEY", (400,), "a reference field names no visible record"),
    DeclaredError("INVALID_EMAIL_ADDRESS", (400,), "an email field's value is not an address"),
    DeclaredError("INVALID_FIELD", (400,), "no such field, or a field used in a way its type does not allow"),
    DeclaredError("INVALID_FIELD_FOR_INSERT_UPDATE", (400,), "the field cannot be written"),
    DeclaredError("INVALID_INPUT", (400,), "the request is invalid"),
    DeclaredError("INVALID_OPERATION", (409,), "the record's state does not allow this"),
    DeclaredError("INVALID_QUERY_FILTER_OPERATOR", (400,), "a filter value is invalid for its field"),
    DeclaredError("INVALID_QUERY_LOCATOR", (400,), "the nextRecordsUrl is unknown or expired"),
    DeclaredError("INVALID_SESSION_ID", (401,), "no usable access token, or one without api/full scope"),
    DeclaredError("INVALID_TYPE", (400,), "no such sObject, or one the user cannot read"),
    DeclaredError("JSON_PARSER_ERROR", (400, 413), "the request body is not a JSON object, or too large"),
    DeclaredError("LIMIT_EXCEEDED", (400,), "an org limit (custom objects) is reached"),
    DeclaredError("MALFORMED_ID", (400,), "an ID is not a valid ID of the right object"),
    DeclaredError("MALFORMED_QUERY", (400,), "the SOQL statement does not parse, or no statement"),
    DeclaredError("METHOD_NOT_ALLOWED", (405,), "the resource does not answer this HTTP method"),
    DeclaredError("NOT_FOUND", (404,), "no such resource, API version or record"),
    DeclaredError("NUMBER_OUTSIDE_VALID_RANGE", (400,), "a number in the query is out of range"),
    DeclaredError("QUERY_TOO_COMPLICATED", (400,), "the statement asks for more than the compiler allows"),
    DeclaredError("REQUEST_LIMIT_EXCEEDED", (403,), "the org's daily API request allowance is spent"),
    DeclaredError("REQUIRED_FIELD_MISSING", (400,), "a required field has no value"),
    DeclaredError("SERVER_UNAVAILABLE", (503,), "the database cannot be reached"),
    DeclaredError("STRING_TOO_LONG", (400,), "a text value is longer than its field"),
    DeclaredError("UNKNOWN_EXCEPTION", (500,), "an unexpected error (logged by the server)"),
    DeclaredError("UNSUPPORTED_MEDIA_TYPE", (415,), "the request body is not application/json"),
)

# Messages the server answers word for word on several surfaces (clients compare some of them:
# simple-salesforce and jsforce log in again on SESSION_EXPIRED_MESSAGE).
SESSION_EXPIRED_MESSAGE = "Session expired or invalid"
NOT_FOR_API_MESSAGE = "This session is not valid for use with the REST API"
NOT_FOUND_MESSAGE = "The requested resource does not exist"


class UndeclaredErrorCode(LookupError):
    """A surface tried to answer an error code (or a status) that :data:`CATALOGUE` does not declare."""


class ApiError(Exception):
    """One REST error: ``[{"message": message, "errorCode": error_code, "fields"?: fields}]``.

    ``status`` defaults to the code's first declared status. ``fields`` goes in the body only when not
    None (Salesforce omits it for query errors, and sends ``[]`` for some record errors). ``headers``
    are added to the answer (WWW-Authenticate on a 401, Sforce-Limit-Info, Connection: close).
    """

    def __init__(
        self,
        error_code: str,
        message: str,
        status: int | None = None,
        fields: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        declared = CATALOGUE.get(error_code)
        if declared is None:
            raise UndeclaredErrorCode(f"{error_code} is not in forcegate.api_errors.CATALOGUE")
        if status is None:
            status = declared.statuses[0]
        elif status not in declared.statuses:
            raise UndeclaredErrorCode(f"{error_code} is not declared with HTTP status {status}")
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        self.status = status
        self.fields = fields
        self.headers: dict[str, str] = dict(headers) if headers else {}

    def body(self) -> list[dict[str, object]]:
        """The JSON document of the answer (a one-element array, as Salesforce sends)."""
        item: dict[str, object] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]


# The admin family (org's services, the admin API, the CLI): each class fixes its code and status, and
# names at most one field. Here, beside the base, so every layer that validates admin input (the org's
# services, the admin resources' declarations) can raise them; ``forcegate.org.errors`` re-exports them.


class AdminError(ApiError):
    error_code = "INVALID_INPUT"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        # The class's code and status; an empty field name is no field.
        super().__init__(type(self).error_code, message, type(self).status, [field] if field else None)
        self.field = field


class ValidationFailed(AdminError):
    error_code = "FIELD_INTEGRITY_EXCEPTION"


class NotFound(AdminError):
    error_code = "NOT_FOUND"
    status = 404


class Conflict(AdminError):
    error_code = "DUPLICATE_VALUE"
    status = 409


class InvalidOperation(AdminError):
    """The record is not in a state that allows this (e.g. a second secret rotation before the first
    old secret was revoked)."""

    error_code = "INVALID_OPERATION"
    status = 409
