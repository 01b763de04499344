"""SOQL errors as Salesforce reports them: the code and a message that quotes the query line and points
at the row and column of the problem."""

from __future__ import annotations

from forcegate.api_errors import ApiError

__all__ = ["SoqlError", "located"]


class SoqlError(ApiError):
    """MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE... (all HTTP 400), codes of the REST catalogue."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(error_code, message, 400)


def located(error_code: str, soql: str, line: int, column: int, text: str) -> SoqlError:
    """``"\\n<the line>\\n<spaces>^\\nERROR at Row:<r>:Column:<c>\\n<text>"``, Salesforce's layout."""
    lines = soql.split("\n")
    row_text = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * max(column - 1, 0) + "^"
    return SoqlError(error_code, f"\n{row_text}\n{caret}\nERROR at Row:{line}:Column:{column}\n{text}")
