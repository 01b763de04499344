"""SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_MONTH...) as half-open day ranges [start, end).

Days are in GMT (forcegate users' time zone); weeks start on Sunday (the en_US locale).
"""

from __future__ import annotations

import datetime as dt

__all__ = ["DATE_LITERALS", "N_DATE_LITERALS", "DateLiteralOutOfRange", "date_range", "out_of_range"]

DATE_LITERALS = frozenset({
    "YESTERDAY", "TODAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH", "THIS_MONTH",
    "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_QUARTER", "LAST_QUARTER", "NEXT_QUARTER",
    "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
})  # fmt: skip
N_DATE_LITERALS = frozenset({
    "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_WEEKS", "NEXT_N_WEEKS", "LAST_N_MONTHS",
    "NEXT_N_MONTHS", "LAST_N_QUARTERS", "NEXT_N_QUARTERS", "LAST_N_YEARS", "NEXT_N_YEARS",
})  # fmt: skip


class DateLiteralOutOfRange(ValueError):
    """N takes the range outside the calendar (years 1 to 9999)."""


def out_of_range(literal: str) -> str:
    """The refusal's text for a literal like ``LAST_N_DAYS:99999999999``."""
    return f"value of date literal '{literal}' is out of range"


def _month_start(year: int, month: int) -> dt.date:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def date_range(name: str, n: int | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end) of the literal relative to ``today``. ``name`` is upper case and known;
    :class:`DateLiteralOutOfRange` when N reaches beyond the years 1 to 9999."""
    try:
        return _range(name, n, today)
    except (OverflowError, ValueError):
        raise DateLiteralOutOfRange(f"{name}:{n}") from None


def _range(name: str, n: int | None, today: dt.date) -> tuple[dt.date, dt.date]:
    day = dt.timedelta(days=1)
    week_start = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    quarter_month = (today.month - 1) // 3 * 3 + 1
    k = n or 0
    match name:
        case "TODAY":
            return today, today + day
        case "YESTERDAY":
            return today - day, today
        case "TOMORROW":
            return today + day, today + 2 * day
        case "THIS_WEEK":
            return week_start, week_start + 7 * day
        case "LAST_WEEK":
            return week_start - 7 * day, week_start
        case "NEXT_WEEK":
            return week_start + 7 * day, week_start + 14 * day
        case "THIS_MONTH":
            return _month_start(today.year, today.month), _month_start(today.year, today.month + 1)
        case "LAST_MONTH":
            return _month_start(today.year, today.month - 1), _month_start(today.year, today.month)
        case "NEXT_MONTH":
            return _month_start(today.year, today.month + 1), _month_start(today.year, today.month + 2)
        case "LAST_90_DAYS":
            return today - 90 * day, today + day
        case "NEXT_90_DAYS":
            return today + day, today + 91 * day
        case "THIS_QUARTER":
            return _month_start(today.year, quarter_month), _month_start(today.year, quarter_month + 3)
        case "LAST_QUARTER":
            return _month_start(today.year, quarter_month - 3), _month_start(today.year, quarter_month)
        case "NEXT_QUARTER":
            return _month_start(today.year, quarter_month + 3), _month_start(today.year, quarter_month + 6)
        case "THIS_YEAR":
            return dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
        case "LAST_YEAR":
            return dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)
        case "NEXT_YEAR":
            return dt.date(today.year + 1, 1, 1), dt.date(today.year + 2, 1, 1)
        case "LAST_N_DAYS":
            return today - k * day, today + day
        case "NEXT_N_DAYS":
            return today + day, today + (k + 1) * day
        case "N_DAYS_AGO":
            return today - k * day, today - (k - 1) * day
        case "LAST_N_WEEKS":
            return week_start - 7 * k * day, week_start
        case "NEXT_N_WEEKS":
            return week_start + 7 * day, week_start + 7 * (k + 1) * day
        case "LAST_N_MONTHS":
            return _month_start(today.year, today.month - k), _month_start(today.year, today.month)
        case "NEXT_N_MONTHS":
            return _month_start(today.year, today.month + 1), _month_start(today.year, today.month + 1 + k)
        case "LAST_N_QUARTERS":
            return _month_start(today.year, quarter_month - 3 * k), _month_start(today.year, quarter_month)
        case "NEXT_N_QUARTERS":
            start = quarter_month + 3
            return _month_start(today.year, start), _month_start(today.year, start + 3 * k)
        case "LAST_N_YEARS":
            return dt.date(today.year - k, 1, 1), dt.date(today.year, 1, 1)
        case "NEXT_N_YEARS":
            return dt.date(today.year + 1, 1, 1), dt.date(today.year + 1 + k, 1, 1)
    raise AssertionError(f"unknown date literal {name}")
