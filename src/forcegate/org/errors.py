"""Errors of the org's admin operations (CLI and admin API)."""

from __future__ import annotations

__all__ = ["Conflict", "InvalidOperation", "NotFound", "ValidationFailed"]


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


class InvalidOperation(AdminError):
    """The record is not in a state that allows this (e.g. a second secret rotation before the first
    old secret was revoked)."""

    error_code = "INVALID_OPERATION"
    status = 409
