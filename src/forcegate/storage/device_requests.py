"""Device flow requests (RFC 8628 §3; Salesforce's device flow, salesforce-wire.md §6).

One row per device authorization request, keyed by the SHA-256 of its device code (the clear code
exists only on the device). Its ``status`` moves one way: ``pending`` → ``approved`` or ``denied``
(the user, on the verification page) → ``consumed`` (the device collected its tokens). Every move is
a conditional UPDATE on the expected status, so two processes racing for the same request cannot
both win: only one approval, only one token response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from forcegate.storage.schema import device_requests

__all__ = [
    "APPROVED",
    "CONSUMED",
    "DENIED",
    "PENDING",
    "DeviceRequest",
    "by_device_code_hash",
    "consume",
    "decide",
    "insert",
    "pending_by_user_code",
    "purge_expired",
    "record_poll",
    "slow_down",
]

PENDING = "pending"
APPROVED = "approved"
DENIED = "denied"
CONSUMED = "consumed"


@dataclass(frozen=True)
class DeviceRequest:
    device_code_hash: str
    org_id: str
    app_id: str
    user_code: str  # normalised: 8 characters, no separator
    scopes: tuple[str, ...]
    interval_seconds: int
    created_ms: int
    expires_ms: int
    last_poll_ms: int | None
    status: str
    user_id: str | None
    authorization_id: str | None


def _request(row: Row[Any]) -> DeviceRequest:
    return DeviceRequest(
        device_code_hash=row.device_code_hash,
        org_id=row.org_id,
        app_id=row.app_id,
        user_code=row.user_code,
        scopes=tuple(row.scopes.split()),
        interval_seconds=row.interval_seconds,
        created_ms=row.created_ms,
        expires_ms=row.expires_ms,
        last_poll_ms=row.last_poll_ms,
        status=row.status,
        user_id=row.user_id,
        authorization_id=row.authorization_id,
    )


def insert(conn: Connection, request: DeviceRequest) -> bool:
    """Store a new request; False when its user code is already taken (the caller draws another).

    ``ON CONFLICT DO NOTHING`` rather than catching the unique violation: on PostgreSQL a failed
    INSERT would abort the whole transaction.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(device_requests)
        .values(
            device_code_hash=request.device_code_hash,
            org_id=request.org_id,
            app_id=request.app_id,
            user_code=request.user_code,
            scopes=" ".join(request.scopes),
            interval_seconds=request.interval_seconds,
            created_ms=request.created_ms,
            expires_ms=request.expires_ms,
            last_poll_ms=request.last_poll_ms,
            status=request.status,
            user_id=request.user_id,
            authorization_id=request.authorization_id,
        )
        .on_conflict_do_nothing()
        # RETURNING rather than rowcount: psycopg reports no rowcount for this statement.
        .returning(device_requests.c.device_code_hash)
    )
    return conn.execute(statement).first() is not None


def by_device_code_hash(conn: Connection, device_code_hash: str) -> DeviceRequest | None:
    row = conn.execute(
        select(device_requests).where(device_requests.c.device_code_hash == device_code_hash)
    ).first()
    return _request(row) if row else None


def pending_by_user_code(conn: Connection, user_code: str, now_ms: int) -> DeviceRequest | None:
    """The request a user code names, while it still waits for a user's decision."""
    row = conn.execute(
        select(device_requests).where(
            device_requests.c.user_code == user_code,
            device_requests.c.status == PENDING,
            device_requests.c.expires_ms > now_ms,
        )
    ).first()
    return _request(row) if row else None


def record_poll(conn: Connection, device_code_hash: str, now_ms: int) -> bool:
    """Note a poll of a pending request; False when it came sooner than the interval allows after
    the previous one (RFC 8628 §3.5 ``slow_down``). The first poll is always in time."""
    result = conn.execute(
        update(device_requests)
        .where(
            device_requests.c.device_code_hash == device_code_hash,
            or_(
                device_requests.c.last_poll_ms.is_(None),
                device_requests.c.last_poll_ms + device_requests.c.interval_seconds * 1000 <= now_ms,
            ),
        )
        .values(last_poll_ms=now_ms)
    )
    return result.rowcount == 1


def slow_down(conn: Connection, device_code_hash: str, now_ms: int, step_seconds: int) -> int:
    """Lengthen the interval of a request polled too fast by ``step_seconds`` (RFC 8628 §3.5: "for
    this and all subsequent requests") and note the poll. Returns the new interval."""
    conn.execute(
        update(device_requests)
        .where(device_requests.c.device_code_hash == device_code_hash)
        .values(interval_seconds=device_requests.c.interval_seconds + step_seconds, last_poll_ms=now_ms)
    )
    row = conn.execute(
        select(device_requests.c.interval_seconds).where(
            device_requests.c.device_code_hash == device_code_hash
        )
    ).first()
    return int(row.interval_seconds) if row else 0


def decide(conn: Connection, device_code_hash: str, status: str, user_id: str, now_ms: int) -> bool:
    """Record the user's decision (``APPROVED`` or ``DENIED``) on a pending, unexpired request;
    False when it was no longer pending (decided elsewhere, or expired)."""
    result = conn.execute(
        update(device_requests)
        .where(
            device_requests.c.device_code_hash == device_code_hash,
            device_requests.c.status == PENDING,
            device_requests.c.expires_ms > now_ms,
        )
        .values(status=status, user_id=user_id)
    )
    return result.rowcount == 1


def consume(conn: Connection, device_code_hash: str, authorization_id: str) -> bool:
    """Mark an approved request as collected; False when another poll collected it first."""
    result = conn.execute(
        update(device_requests)
        .where(
            device_requests.c.device_code_hash == device_code_hash,
            device_requests.c.status == APPROVED,
        )
        .values(status=CONSUMED, authorization_id=authorization_id)
    )
    return result.rowcount == 1


def purge_expired(conn: Connection, expired_before_ms: int) -> int:
    """Delete requests that expired before ``expired_before_ms``; returns how many.

    Callers keep a grace period after expiry, so a device polling a just-expired code is told it
    expired rather than that the code is unknown.
    """
    result = conn.execute(delete(device_requests).where(device_requests.c.expires_ms < expired_before_ms))
    return result.rowcount
