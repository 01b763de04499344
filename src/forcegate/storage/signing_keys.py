"""Signing keys (id_tokens, JWT access tokens) and the authentication time of a grant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from forcegate.storage.schema import authorizations, signing_keys

__all__ = [
    "SigningKeyRow",
    "all_keys",
    "auth_time",
    "deactivate_others",
    "insert_key",
    "key_by_kid",
    "live_keys",
    "retire",
    "set_auth_time",
    "set_private_key",
]


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    algorithm: str
    public_jwk: str
    private_key_encrypted: str
    created_ms: int
    activated_ms: int | None
    deactivated_ms: int | None
    retire_after_ms: int | None
    retired_ms: int | None


def _row(row: Any) -> SigningKeyRow:
    return SigningKeyRow(
        kid=row.kid,
        algorithm=row.algorithm,
        public_jwk=row.public_jwk,
        private_key_encrypted=row.private_key_encrypted,
        created_ms=row.created_ms,
        activated_ms=row.activated_ms,
        deactivated_ms=row.deactivated_ms,
        retire_after_ms=row.retire_after_ms,
        retired_ms=row.retired_ms,
    )


def insert_key(conn: Connection, key: SigningKeyRow) -> None:
    conn.execute(insert(signing_keys).values(**key.__dict__))


def all_keys(conn: Connection) -> list[SigningKeyRow]:
    rows = conn.execute(select(signing_keys).order_by(signing_keys.c.created_ms, signing_keys.c.kid))
    return [_row(r) for r in rows]


_LIVE = (
    select(
        signing_keys.c.kid,
        signing_keys.c.activated_ms,
        signing_keys.c.deactivated_ms,
        signing_keys.c.retire_after_ms,
        signing_keys.c.public_jwk,
    )
    .where(signing_keys.c.retired_ms.is_(None))
    .order_by(signing_keys.c.activated_ms, signing_keys.c.kid)
)


def live_keys(conn: Connection) -> list[Any]:
    """(kid, activated_ms, deactivated_ms, retire_after_ms, public_jwk) of every unretired key: what
    each process re-reads every few seconds, so it is small and holds no private key material."""
    return list(conn.execute(_LIVE))


def key_by_kid(conn: Connection, kid: str) -> SigningKeyRow | None:
    row = conn.execute(select(signing_keys).where(signing_keys.c.kid == kid)).first()
    return _row(row) if row is not None else None


def deactivate_others(conn: Connection, kid: str, now_ms: int, retire_after_ms: int) -> list[str]:
    """Every other signing key stops signing and stays published until ``retire_after_ms``."""
    previous = [
        r.kid
        for r in conn.execute(
            select(signing_keys.c.kid).where(
                signing_keys.c.kid != kid,
                signing_keys.c.retired_ms.is_(None),
                signing_keys.c.deactivated_ms.is_(None),
            )
        )
    ]
    if previous:
        conn.execute(
            update(signing_keys)
            .where(signing_keys.c.kid.in_(previous))
            .values(deactivated_ms=now_ms, retire_after_ms=retire_after_ms)
        )
    return previous


def retire(conn: Connection, kid: str, now_ms: int) -> None:
    conn.execute(
        update(signing_keys)
        .where(signing_keys.c.kid == kid, signing_keys.c.retired_ms.is_(None))
        # A retired key never signs again: its private part is wiped, not kept encrypted.
        .values(retired_ms=now_ms, retire_after_ms=now_ms, private_key_encrypted="")
    )


def set_private_key(conn: Connection, kid: str, private_key_encrypted: str) -> None:
    conn.execute(
        update(signing_keys)
        .where(signing_keys.c.kid == kid)
        .values(private_key_encrypted=private_key_encrypted)
    )


# --- the authentication time of a grant (the id_token's auth_time, kept for refreshes) ----------


def set_auth_time(conn: Connection, authorization_id: str, auth_time_ms: int) -> None:
    conn.execute(
        update(authorizations)
        .where(authorizations.c.id == authorization_id, authorizations.c.auth_time_ms.is_(None))
        .values(auth_time_ms=auth_time_ms)
    )


def auth_time(conn: Connection, authorization_id: str) -> int | None:
    row = conn.execute(
        select(authorizations.c.auth_time_ms, authorizations.c.created_ms).where(
            authorizations.c.id == authorization_id
        )
    ).first()
    if row is None:
        return None
    return int(row.auth_time_ms if row.auth_time_ms is not None else row.created_ms)
