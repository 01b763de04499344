"""CSV downloads (login history, the audit trail): RFC 4180, UTF-8, CRLF line ends.

A cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab or carriage return
first) is prefixed with ``'``: login history holds what callers sent (user agents, usernames), and a
download opened in a spreadsheet must not run it (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["to_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()
