"""What Setup's filtered lists share (Login History, the Setup Audit Trail): filters read from the query
string, a time range in UTC, a page at a time newest first, and the same rows as a CSV download
(``?format=csv``).

A filter that cannot be understood gives the page with its error and status 400 (and no rows), never
a guess and never a 500; the download of such a filter is that page too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy import Connection
from starlette.responses import Response

from forcegate.protocol.requests import unstorable
from forcegate.web.setup.console import Admin, Paging, csv_response

__all__ = ["DOWNLOAD_ROWS", "Download", "FilterError", "filtered_list", "time_range"]

Row = TypeVar("Row")

# A download holds the newest matching rows up to this many, as Salesforce's Login History page keeps
# its latest 20,000 logins within reach.
DOWNLOAD_ROWS = 20_000
MAX_FILTER_LENGTH = 255  # a username's length: no filter of these lists needs more
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?")
# How long a To filter lasts, by its precision: a date its day, a time its minute or second.
_SPAN = {10: dt.timedelta(days=1), 16: dt.timedelta(minutes=1), 19: dt.timedelta(seconds=1)}


class FilterError(Exception):
    """A filter that selects nothing sensible; ``message`` says which and why, for the page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _moment(label: str, text: str, *, end: bool) -> int:
    """A From or To filter in milliseconds, UTC: a date, or a date and time to the minute or second
    (what date and datetime-local inputs send). ``end``: the instant after it (To includes it)."""
    if not _MOMENT.fullmatch(text):
        raise FilterError(f"{label}: enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDThh:mm), UTC.")
    try:
        moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        if end:
            moment += _SPAN[len(text)]
    except (ValueError, OverflowError) as exc:
        raise FilterError(f"{label}: {text} is not a date.") from exc
    return int(moment.timestamp() * 1000)


def time_range(given: dict[str, str]) -> tuple[int | None, int | None]:
    """The ``from`` and ``to`` filters as [since, until) in milliseconds (None: open). A date alone is
    shown again in ``given`` as the first or last minute it covers, which is what the form's
    datetime-local inputs can hold."""
    since = _moment("From", given["from"], end=False) if given["from"] else None
    until = _moment("To", given["to"], end=True) if given["to"] else None
    if since is not None and until is not None and since >= until:
        raise FilterError("From must be before To.")
    if len(given["from"]) == len("YYYY-MM-DD"):
        given["from"] += "T00:00"
    if len(given["to"]) == len("YYYY-MM-DD"):
        given["to"] += "T23:59"
    return since, until


@dataclass(frozen=True)
class Download:
    """A list's CSV: its file name, columns and row, and how many rows at most."""

    filename: str
    header: Sequence[str]
    row: Callable[[Any], Sequence[Any]]
    max_rows: int


# select(conn, filters, limit, offset): the rows the filters select, newest first, or FilterError.
Select = Callable[[Connection, dict[str, str], int, int], list[Row]]


def filtered_list(
    admin: Admin,
    *,
    filters: Iterable[str],
    select: Select[Row],
    download: Download,
    template: str,
    section: str,
    **values: Any,
) -> Response:
    """A filtered list page, or (``?format=csv``) its download: ``filters`` are the query string's
    filter names (shown again in the form as ``given``), ``select`` reads the rows."""
    query = admin.request.query_params
    names = tuple(filters)
    given = {name: query.get(name, "").strip() for name in names}
    paging = Paging.of(admin.request)
    wanted = query.get("format", "")
    rows: list[Row] = []
    error: str | None = None
    try:
        if wanted not in ("", "csv"):
            raise FilterError("Format: the only download is csv.")
        if any(unstorable(value) or len(value) > MAX_FILTER_LENGTH for value in given.values()):
            raise FilterError("A filter holds characters or a length nothing recorded could have.")
        with admin.ctx.db.read() as conn:
            if wanted == "csv":
                rows = select(conn, given, download.max_rows, 0)
            else:
                rows = select(conn, given, paging.limit + 1, paging.offset)
    except FilterError as refused:
        error, rows = refused.message, []
        given = {name: query.get(name, "") for name in names}
    if error is None and wanted == "csv":
        return csv_response(download.filename, download.header, map(download.row, rows))
    shown = rows[: paging.limit]
    kept: Mapping[str, str] = {name: query[name] for name in names if query.get(name)}
    return admin.render(
        template,
        section=section,
        status=400 if error else 200,
        error=error,
        given=given,
        rows=shown,
        csv_url=admin.request.url.path + "?" + urlencode({**kept, "format": "csv"}),
        links=paging.links(admin.request, len(shown), len(rows) > paging.limit),
        **values,
    )
