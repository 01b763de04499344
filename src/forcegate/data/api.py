"""The data API as Python calls: what the REST resources under ``/services/data`` delegate to.

Every call takes the :class:`~forcegate.model.access.Caller` (org, user, permissions) and the API
version of the request path (``"62.0"``), which appears in the URLs of the answers
(``attributes.url``, ``nextRecordsUrl``, describe ``urls``). Calls open their own transactions on
``ctx.db``. Answers are JSON-ready dicts in Salesforce's shapes; refusals raise
:class:`~forcegate.data.errors.DataApiError` carrying errorCode, message and HTTP status.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DataError, StatementError

from forcegate.context import Context
from forcegate.data.errors import DataApiError
from forcegate.model.access import Caller

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "create_record",
    "delete_record",
    "describe_global",
    "describe_sobject",
    "get_record",
    "query",
    "query_more",
    "sobject_basic_info",
    "update_record",
]

DEFAULT_BATCH_SIZE = 2000


@contextmanager
def _guard() -> Iterator[None]:
    """A value the database refuses (out of its range) is the client's error, never a 500."""
    try:
        yield
    except DataError:
        raise DataApiError("INVALID_FIELD", "a value is out of range for its field") from None
    except StatementError as error:
        if isinstance(error.orig, OverflowError | ValueError):
            raise DataApiError("INVALID_FIELD", "a value is out of range for its field") from None
        raise
    except UnicodeEncodeError:  # a lone surrogate from a JSON "\ud800" escape
        raise DataApiError(
            "JSON_PARSER_ERROR", "Invalid UTF-8: a string holds an unpaired surrogate"
        ) from None


def describe_global(ctx: Context, caller: Caller, version: str) -> dict[str, Any]:
    """``GET /sobjects``: ``{"encoding", "maxBatchSize", "sobjects": [...]}`` listing the objects the
    caller can read, each with its flags (createable/updateable/deletable reflect the caller's
    permissions as in Salesforce) and ``urls``."""
    from forcegate.data import describe

    with _guard():
        return describe.describe_global(ctx, caller, version)


def describe_sobject(ctx: Context, caller: Caller, object_name: str, version: str) -> dict[str, Any]:
    """``GET /sobjects/{Type}/describe``: the full describe document (``fields`` limited to those the
    caller can read, ``childRelationships``, ``urls``...). ``object_name`` in any case.
    Unknown or unreadable object: NOT_FOUND (404)."""
    from forcegate.data import describe

    with _guard():
        return describe.describe_sobject(ctx, caller, object_name, version)


def sobject_basic_info(ctx: Context, caller: Caller, object_name: str, version: str) -> dict[str, Any]:
    """``GET /sobjects/{Type}``: ``{"objectDescribe": <describe-global entry>, "recentItems": [...]}``."""
    from forcegate.data import describe

    with _guard():
        return describe.sobject_basic_info(ctx, caller, object_name, version)


def get_record(
    ctx: Context,
    caller: Caller,
    object_name: str,
    record_id: str,
    version: str,
    fields: list[str] | None = None,
) -> dict[str, Any]:
    """``GET /sobjects/{Type}/{Id}[?fields=]``: the record with ``attributes``; all readable fields
    when ``fields`` is None. Unknown object: NOT_FOUND (404); malformed id or an id of another object:
    MALFORMED_ID (400); no such (or deleted) record: NOT_FOUND (404);
    unknown/unreadable field in ``fields``: INVALID_FIELD (400)."""
    from forcegate.data import records

    with _guard():
        return records.get_record(ctx, caller, object_name, record_id, version, fields)


def create_record(ctx: Context, caller: Caller, object_name: str, values: Mapping[str, Any]) -> str:
    """``POST /sobjects/{Type}``: returns the new 18-character Id (the web layer answers 201
    ``{"id", "success": true, "errors": []}``). ``values`` is the decoded JSON body (an
    ``attributes`` key is ignored). Refusals: NOT_FOUND (unknown/unreadable object),
    INSUFFICIENT_ACCESS_OR_READONLY 403 (no create permission, or object not createable),
    INVALID_FIELD (unknown field, or ``Id`` given), INVALID_FIELD_FOR_INSERT_UPDATE (read-only field or no
    field-level edit), REQUIRED_FIELD_MISSING, STRING_TOO_LONG, INVALID_TYPE_ON_FIELD_IN_RECORD /
    JSON_PARSER_ERROR (wrong value type), INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
    FIELD_INTEGRITY_EXCEPTION (reference to a missing record or wrong object), all 400."""
    from forcegate.data import records

    with _guard():
        return records.create_record(ctx, caller, object_name, values)


def update_record(
    ctx: Context, caller: Caller, object_name: str, record_id: str, values: Mapping[str, Any]
) -> None:
    """``PATCH /sobjects/{Type}/{Id}`` (web layer answers 204). Refusals as for create, plus NOT_FOUND
    (404) for a missing id and ENTITY_IS_DELETED (404) for a deleted record."""
    from forcegate.data import records

    with _guard():
        records.update_record(ctx, caller, object_name, record_id, values)


def delete_record(ctx: Context, caller: Caller, object_name: str, record_id: str) -> None:
    """``DELETE /sobjects/{Type}/{Id}`` (204): soft delete (IsDeleted = true; queryAll still sees it).
    Refusals: NOT_FOUND, ENTITY_IS_DELETED (404), INSUFFICIENT_ACCESS_OR_READONLY (403)."""
    from forcegate.data import records

    with _guard():
        records.delete_record(ctx, caller, object_name, record_id)


def query(
    ctx: Context,
    caller: Caller,
    soql: str,
    version: str,
    *,
    include_deleted: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    columns: bool = False,
) -> dict[str, Any]:
    """``GET /query?q=`` (``include_deleted=True`` for ``/queryAll``): ``{"totalSize", "done",
    ["nextRecordsUrl",] "records"}``. ``batch_size`` is the ``Sforce-Query-Options: batchSize=`` value
    (clamped to 200..2000 as Salesforce does). When more rows remain, a locator is stored in the
    database (so any process can serve the next batch) and ``nextRecordsUrl`` is
    ``/services/data/v{version}/query/01g…-{offset}`` (``/queryAll/`` for queryAll).
    ``columns=True`` answers the column metadata document (``?columns=true``) instead, running nothing.
    Refusals: MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE (all 400)."""
    from forcegate.data import querying

    with _guard():
        return querying.query(
            ctx,
            caller,
            soql,
            version,
            include_deleted=include_deleted,
            batch_size=batch_size,
            columns=columns,
        )


def query_more(
    ctx: Context, caller: Caller, locator: str, version: str, *, batch_size: int | None = None
) -> dict[str, Any]:
    """``GET /query/{locator}`` or ``/queryAll/{locator}`` (either path serves both kinds): the batch at
    the locator's offset. ``batch_size`` None keeps the original query's. Unknown, expired
    (15 minutes unused) or another user's locator: INVALID_QUERY_LOCATOR (400)."""
    from forcegate.data import querying

    with _guard():
        return querying.query_more(ctx, caller, locator, version, batch_size=batch_size)
