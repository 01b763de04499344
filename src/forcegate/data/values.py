"""Field values between JSON and the database: Salesforce's wire formats for dates, date-times,
numbers and booleans."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

from forcegate.model.objects import FieldInfo

__all__ = ["format_datetime_ms", "to_json"]


def format_datetime_ms(ms: int) -> str:
    """``2026-11-29T08:45:19.000+0000``, as Salesforce writes date-times.

    Every date-time of every record passes here: ``time.gmtime`` and one f-string cost a fifth of
    ``datetime.fromtimestamp(...).strftime(...)`` (a 2,000-row batch spent ~14 ms on this alone)."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        f".{millis:03d}+0000"
    )


def to_json(f: FieldInfo | None, value: Any, *, aggregate: str | None = None) -> Any:
    """A stored value as the JSON Salesforce sends for that field type."""
    if f is None:  # COUNT()
        return int(value) if value is not None else 0
    if aggregate in ("COUNT", "COUNT_DISTINCT"):
        return int(value or 0)
    if value is None:
        return False if f.type == "boolean" and aggregate is None else None
    if aggregate in ("SUM", "AVG"):
        number = float(value)
        return number
    match f.type:
        case "datetime":
            return format_datetime_ms(int(value))
        case "date":
            return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]
        case "boolean":
            return bool(value)
        case "int":
            return int(value)
        case "double" | "currency" | "percent":
            number = float(value)
            return number if math.isfinite(number) else None
    return value
