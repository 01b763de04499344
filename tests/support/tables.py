"""Read Setup's list pages as a browser shows them: their tables (header and rows of cell texts), page
after page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import httpx


@dataclass
class Table:
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def records(self) -> list[dict[str, str]]:
        """Each row as {column header: cell text}."""
        return [dict(zip(self.header, row, strict=False)) for row in self.rows]


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table())
        elif tag == "tr" and self.tables:
            self._row, self._header = [], False
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._header = [], self._header or tag == "th"
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if self._header and not table.header:
                table.header = self._row
            else:
                table.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> list[Table]:
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return parser.tables


_NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def pages(browser: httpx.Client, url: str) -> Iterator[httpx.Response]:
    """A Setup list's pages from ``url`` on, following each page's Next link (which keeps the filters)."""
    following: str | None = url
    while following is not None:
        page = browser.get(following)
        assert page.status_code == 200, page.text
        yield page
        found = _NEXT.search(page.text)
        following = html.unescape(found[1]) if found else None


def records(page: httpx.Response, columns: list[str]) -> list[dict[str, str]]:
    """The rows of a list page's one table, whose header is ``columns``, as {column: cell text}
    (not the row saying that nothing matches)."""
    (table,) = tables(page.text)
    assert table.header == columns
    return [r for r in table.records() if len(r) == len(columns)]


def assert_filter_refused(
    browser: httpx.Client, path: str, filters: dict[str, str], message: str, instead: str
) -> list[httpx.Response]:
    """A filter that cannot be used: the list page and its download (``format=csv``) both answer the
    page, 400, with its error, and in the table only ``instead``. Returns both answers."""
    answers = [
        browser.get(path + "?" + urlencode(filters)),
        browser.get(path + "?" + urlencode({"format": "csv", **filters})),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert html.escape(message, quote=False) in answer.text, answer.text
        (table,) = tables(answer.text)
        assert table.rows == [[instead]]
    return answers
