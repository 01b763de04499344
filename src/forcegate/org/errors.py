"""Errors of the org's admin operations (CLI and admin API): REST errors with a fixed code and status
each, and at most one field named (the admin API answers it in ``fields``, the CLI prints it).

Defined in :mod:`forcegate.api_errors`, beside their base and below every layer that raises them;
imported from here by the org's services and their callers.
"""

from __future__ import annotations

from forcegate.api_errors import AdminError, Conflict, InvalidOperation, NotFound, ValidationFailed

__all__ = ["AdminError", "Conflict", "InvalidOperation", "NotFound", "ValidationFailed"]
