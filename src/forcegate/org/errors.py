"""Errors of the org's admin operations (CLI and admin API)."""

from __future__ import annotations

__all__ = ["Conflict", "NotFound", "ValidationFailed"]


class AdminError(Exception):
    error_code = "INVALID_INPUT"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(AdminError):
    error_code = "FIELD_INTEGRITY_EXCEPTION"


class NotFound(AdminError):
    error_code = "NOT_FOUND"
    status = 404


class Conflict(AdminError):
    error_code = "DUPLICATE_VALUE"
    status = 409
