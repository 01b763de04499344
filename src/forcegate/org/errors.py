"""Errors of the org's admin operations (CLI and admin API): REST errors with a fixed code and status
each, and at most one field named (the admin API answers it in ``fields``, the CLI prints it)."""

from __future__ import annotations

from forcegate.api_errors import ApiError

__all__ = ["AdminError", "Conflict", "InvalidOperation", "NotFound", "ValidationFailed"]


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
