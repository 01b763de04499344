"""JWT bearer assertions seen, for replay protection (RFC 7523 §3, item 7: the ``jti`` claim).

A row per (app, SHA-256 of the assertion's ``jti``) lives until the assertion expires; while it does,
the same ``jti`` from the same app is refused. The row is written in the transaction that issues the
token, and the primary key decides between concurrent replays: the INSERT is ``ON CONFLICT DO
NOTHING``, so on PostgreSQL the second writer waits for the first to commit and then inserts nothing;
SQLite serializes writers anyway.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from forcegate.storage.schema import jwt_assertions

__all__ = ["purge_expired", "remember_jti"]


# Built once per dialect (building them per call cost more than executing them).
_DELETE_EXPIRED_TWIN = delete(jwt_assertions).where(
    jwt_assertions.c.app_id == bindparam("b_app_id"),
    jwt_assertions.c.jti_hash == bindparam("b_jti_hash"),
    jwt_assertions.c.expires_ms <= bindparam("b_now_ms"),
)
_INSERT_UNLESS_PRESENT = {
    name: dialect.insert(jwt_assertions)
    .on_conflict_do_nothing(index_elements=[jwt_assertions.c.app_id, jwt_assertions.c.jti_hash])
    # RETURNING rather than rowcount: psycopg reports no rowcount for this statement.
    .returning(jwt_assertions.c.app_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def remember_jti(
    conn: Connection, *, org_id: str, app_id: str, jti_hash: str, expires_ms: int, now_ms: int
) -> bool:
    """Record an assertion's ``jti``; False when the app already used it and it has not expired yet.

    An expired row with the same key is replaced (its assertion can no longer be presented anyway),
    so a client reusing a ``jti`` long after is not refused because no purge has run since.
    """
    conn.execute(_DELETE_EXPIRED_TWIN, {"b_app_id": app_id, "b_jti_hash": jti_hash, "b_now_ms": now_ms})
    statement = _INSERT_UNLESS_PRESENT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    row = {"app_id": app_id, "jti_hash": jti_hash, "org_id": org_id, "expires_ms": expires_ms}
    return conn.execute(statement, row).first() is not None


def purge_expired(conn: Connection, now_ms: int) -> int:
    """Delete the rows of assertions that have expired (they can no longer be replayed); returns how many."""
    result = conn.execute(delete(jwt_assertions).where(jwt_assertions.c.expires_ms <= now_ms))
    return result.rowcount
