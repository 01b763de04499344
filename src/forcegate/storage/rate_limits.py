"""Fixed-window counters in the ``rate_limits`` table, shared by every process of a deployment.

A bucket (e.g. ``device_user_code:ip:203.0.113.7``) counts events in a window that starts with its
first event and lasts ``window_ms``; the first event after the window has passed starts a new one.
Counting is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, so concurrent processes
never lose a count, and on PostgreSQL the row stays locked until the caller's transaction ends: a
caller that counts first and decides afterwards (``hit`` then ``refund``) serializes its attempts.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from forcegate.storage.schema import rate_limits

__all__ = ["count", "hit", "purge_stale", "refund", "reset"]


def hit(conn: Connection, bucket: str, now_ms: int, window_ms: int) -> int:
    """Count one event in ``bucket``; returns the bucket's count in the current window, this one
    included."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    inserted = dialect.insert(rate_limits).values(bucket=bucket, window_start_ms=now_ms, count=1)
    # Both SET expressions see the row as it was before the update (SQL semantics).
    window_over = rate_limits.c.window_start_ms <= now_ms - window_ms
    statement = inserted.on_conflict_do_update(
        index_elements=[rate_limits.c.bucket],
        set_={
            "count": case((window_over, 1), else_=rate_limits.c.count + 1),
            "window_start_ms": case((window_over, now_ms), else_=rate_limits.c.window_start_ms),
        },
    ).returning(rate_limits.c.count)
    # ``row.count`` would be the tuple method of the same name: read the column by position.
    row = conn.execute(statement).first()
    return int(row[0]) if row else 1


def refund(conn: Connection, bucket: str) -> None:
    """Take back one event counted by ``hit`` (it turned out not to be one that should count)."""
    conn.execute(
        update(rate_limits)
        .where(rate_limits.c.bucket == bucket, rate_limits.c.count > 0)
        .values(count=rate_limits.c.count - 1)
    )


def count(conn: Connection, bucket: str, now_ms: int, window_ms: int) -> int:
    """The bucket's count in the current window (0 once the window has passed)."""
    row = conn.execute(
        select(rate_limits.c.count, rate_limits.c.window_start_ms).where(rate_limits.c.bucket == bucket)
    ).first()
    if row is None or row.window_start_ms <= now_ms - window_ms:
        return 0
    return int(row[0])


def reset(conn: Connection, bucket: str) -> None:
    """Forget a bucket at once (an administrator's action, or a test's clean-up)."""
    conn.execute(delete(rate_limits).where(rate_limits.c.bucket == bucket))


def purge_stale(conn: Connection, prefix: str, window_started_before_ms: int) -> int:
    """Delete the buckets named ``prefix…`` whose window started before the given instant (pass
    ``now - window``: their counts no longer matter). Returns how many."""
    result = conn.execute(
        delete(rate_limits).where(
            rate_limits.c.bucket.startswith(prefix, autoescape=True),
            rate_limits.c.window_start_ms < window_started_before_ms,
        )
    )
    return result.rowcount
