"""The Setup Audit Trail's pure parts: what a diff keeps, how query parameters are read, the CSV's cells."""

from __future__ import annotations

import pytest

from forcegate.org import audit
from forcegate.org.errors import ValidationFailed


def test_diff_keeps_only_changed_fields_in_the_given_order_and_lists_tuples_as_lists() -> None:
    old = {"a": 1, "b": ("x",), "c": None, "d": "same"}
    new = {"a": 2, "b": ["x"], "c": "set", "d": "same"}

    changed = audit.diff(old, new, ("d", "c", "b", "a"))

    assert [c.as_json() for c in changed] == [
        {"field": "c", "old": None, "new": "set"},
        {"field": "a", "old": 1, "new": 2},
    ]
    assert audit.described("thing", changed) == "Changed thing: c from (none) to set; a from 1 to 2"
    assert audit.secret_changed("password").sentence() == "changed password"


def test_filters_from_a_query_string() -> None:
    found = audit.filters_from(
        {"user": "ada@example.com", "since": "2026-12-01", "until": "2026-12-01T01:00:00+01:00", "limit": "5"}
    )

    assert found == {
        "user": "ada@example.com", "since_ms": 1_796_083_200_000, "until_ms": 1_796_083_200_000,
        "limit": 5, "offset": 0,
    }  # fmt: skip
    assert audit.filters_from({}) == {"limit": audit.DEFAULT_LIMIT, "offset": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": "2001"}, "limit"), ({"limit": "٣"}, "limit"), ({"offset": "-1"}, "offset"),
     ({"since": "soon"}, "since"), ({"order": "asc"}, None)],
)  # fmt: skip
def test_filters_from_refuses_what_it_cannot_read(query: dict[str, str], field: str | None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        audit.filters_from(query)
    assert refused.value.field == field


def test_the_csv_neutralises_cells_a_spreadsheet_would_run() -> None:
    entry = audit.Entry(
        id="0Ym000000000001AAA", created_ms=0, user="cli:ops", user_id=None, channel="cli", source_ip=None,
        section="Connected Apps", action="connected_app.created", display='Created connected app "=1+1"',
        target="=1+1", changes=[],
    )  # fmt: skip

    lines = audit.to_csv([entry]).split("\r\n")

    assert lines[0] == ",".join(audit.CSV_COLUMNS)
    assert (
        lines[1]
        == '1970-01-01T00:00:00.000Z,cli:ops,,cli,Connected Apps,"Created connected app ""=1+1""",\'=1+1'
    )
