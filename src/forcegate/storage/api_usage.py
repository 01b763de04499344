"""Data-API request counts per org and UTC day, in ``api_request_counts``.

``add`` is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: concurrent processes adding
their batches never lose a count.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from forcegate.storage.schema import api_request_counts

__all__ = ["add"]


def add(conn: Connection, org_id: str, day: int, amount: int) -> int:
    """Add ``amount`` requests to the org's day; returns the day's total."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(api_request_counts)
        .values(org_id=org_id, day=day, count=amount)
        .on_conflict_do_update(
            index_elements=[api_request_counts.c.org_id, api_request_counts.c.day],
            set_={"count": api_request_counts.c.count + amount},
        )
        .returning(api_request_counts.c.count)
    )
    row = conn.execute(statement).first()
    return int(row[0]) if row else amount
