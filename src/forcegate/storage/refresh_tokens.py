"""Refresh tokens as the refresh token flow uses them: lookup, use, rotation (salesforce-wire.md §7).

A refresh token belongs to a family: the ``authorizations`` row of the grant it came from, shared by
every access token and rotated successor issued under it. Revoking a family is
``repositories.revoke_authorization``.

Single use under rotation (OAuth 2.0 Security BCP §4.14.2) is decided by the database, not by the
read: ``use_token`` is a conditional UPDATE (``... WHERE rotated_ms IS NULL AND revoked_ms IS NULL``)
run in the write transaction that issues the new tokens. On PostgreSQL a second, concurrent writer
blocks on the row lock until the first commits, then re-evaluates the condition and updates nothing;
SQLite serializes writers (``BEGIN IMMEDIATE``). Either way exactly one use of a token can retire it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from forcegate.storage.schema import authorizations, refresh_tokens

__all__ = ["RefreshToken", "find_by_hash", "insert_successor", "use_token"]


@dataclass(frozen=True)
class RefreshToken:
    """A stored refresh token (by hash) and the state of its family."""

    token_hash: str
    org_id: str
    authorization_id: str
    app_id: str
    user_id: str
    scopes: tuple[str, ...]  # what the grant allowed; never narrowed by a refresh (RFC 6749 §6)
    issued_ms: int
    last_used_ms: int | None
    rotated_ms: int | None  # retired by rotation: presenting it again is reuse
    revoked_ms: int | None
    family_created_ms: int  # when the grant was made: the start of an absolute lifetime
    family_revoked_ms: int | None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_ms is not None or self.family_revoked_ms is not None

    @property
    def last_activity_ms(self) -> int:
        """The last use, or the issue when it was never used (a rotated successor is issued at a use)."""
        return self.last_used_ms if self.last_used_ms is not None else self.issued_ms


def _refresh_token(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=row.token_hash,
        org_id=row.org_id,
        authorization_id=row.authorization_id,
        app_id=row.app_id,
        user_id=row.user_id,
        scopes=tuple(row.scopes.split()),
        issued_ms=row.issued_ms,
        last_used_ms=row.last_used_ms,
        rotated_ms=row.rotated_ms,
        revoked_ms=row.revoked_ms,
        family_created_ms=row.family_created_ms,
        family_revoked_ms=row.family_revoked_ms,
    )


# Built once (see storage/repositories.py on why).
_FIND_BY_HASH = (
    select(
        refresh_tokens,
        authorizations.c.created_ms.label("family_created_ms"),
        authorizations.c.revoked_ms.label("family_revoked_ms"),
    )
    .join(authorizations, authorizations.c.id == refresh_tokens.c.authorization_id)
    .where(refresh_tokens.c.token_hash == bindparam("token_hash"))
)
_LIVE = (  # b_ prefixes: an UPDATE cannot bind a parameter named like a column
    refresh_tokens.c.token_hash == bindparam("b_token_hash"),
    refresh_tokens.c.rotated_ms.is_(None),
    refresh_tokens.c.revoked_ms.is_(None),
)
_USE = update(refresh_tokens).where(*_LIVE).values(last_used_ms=bindparam("b_now_ms"))
_USE_AND_RETIRE = (
    update(refresh_tokens)
    .where(*_LIVE)
    .values(last_used_ms=bindparam("b_now_ms"), rotated_ms=bindparam("b_now_ms"))
)
_INSERT = insert(refresh_tokens)


def find_by_hash(conn: Connection, token_hash: str) -> RefreshToken | None:
    """The refresh token with this hash, whatever its state (revoked, rotated or live)."""
    row = conn.execute(_FIND_BY_HASH, {"token_hash": token_hash}).first()
    return _refresh_token(row) if row else None


def use_token(conn: Connection, token_hash: str, now_ms: int, *, retire: bool) -> bool:
    """Record a use of a live token (and with ``retire``, retire it: rotation). False when the token is
    no longer live — revoked, or retired by a concurrent use that committed first."""
    result = conn.execute(
        _USE_AND_RETIRE if retire else _USE, {"b_token_hash": token_hash, "b_now_ms": now_ms}
    )
    return result.rowcount == 1


def insert_successor(conn: Connection, previous: RefreshToken, token_hash: str, now_ms: int) -> None:
    """The rotated successor of ``previous``: same family, user, app and scopes (RFC 6749 §6: a new
    refresh token has the scope of the one it replaces)."""
    conn.execute(
        _INSERT,
        {
            "token_hash": token_hash,
            "org_id": previous.org_id,
            "authorization_id": previous.authorization_id,
            "app_id": previous.app_id,
            "user_id": previous.user_id,
            "scopes": " ".join(previous.scopes),
            "issued_ms": now_ms,
        },
    )
