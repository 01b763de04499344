"""The statements of housekeeping: batched purges of dead rows, and the lease that lets one process
of a deployment run a scheduled job at a time.

Purges delete by primary key in batches (``DELETE … WHERE key IN (SELECT key … LIMIT n)``, which
SQLite and PostgreSQL both run), each batch in its own short transaction, so a large backlog never
holds SQLite's write lock for long and the token endpoint keeps answering meanwhile.

The lease is a row of ``scheduled_jobs`` taken with one conditional UPDATE: of any number of
processes trying at the same moment, exactly one sees ``rowcount == 1`` (PostgreSQL re-checks the
condition after the row lock is released; SQLite serializes writers). ``next_run_ms`` moves forward
when the lease is taken, so the schedule is the deployment's, not each process's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, exists, false, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from forcegate.storage.schema import (
    access_tokens,
    api_request_counts,
    authorization_codes,
    authorizations,
    browser_sessions,
    connected_apps,
    device_requests,
    jwt_assertions,
    login_history,
    orgs,
    query_locators,
    rate_limits,
    refresh_tokens,
    scheduled_jobs,
    setup_audit_trail,
)
from forcegate.storage.token_lifecycle import refresh_token_expired

__all__ = [
    "PURGES",
    "Batch",
    "Cutoffs",
    "JobState",
    "Purge",
    "delete_batch",
    "finish",
    "job_state",
    "renew_lease",
    "table_sizes",
    "take_lease",
]


# --- what is dead, table by table ---------------------------------------------------------------
# Each entry: (name, table, key columns, the query selecting dead rows given the cut-offs). Order
# matters: tokens go before the authorizations they keep alive.


DAY_MS = 24 * 3600 * 1000
API_USAGE_DAYS_KEPT = 7


@dataclass(frozen=True)
class Cutoffs:
    """Instants (ms) before which rows are dead. Computed once per run by the job."""

    now_ms: int
    rotated_before_ms: int  # rotated refresh tokens kept this long for reuse detection
    device_expired_before_ms: int  # expired device requests kept a while to answer "expired"
    rate_limit_before_ms: int  # fixed windows that started before this are over
    authorization_created_before_ms: int  # never delete a grant younger than this
    login_before_ms: int | None = None  # login history older than this goes (None: kept for ever)
    audit_before_ms: int | None = None  # the Setup Audit Trail likewise


def _dead_access_tokens(c: Cutoffs) -> ColumnElement[bool]:
    # Revoked tokens go once they would have expired: the table stays bounded by issue rate times
    # lifetime either way, and the expiry index serves the whole purge.
    return access_tokens.c.expires_ms <= c.now_ms


def _dead_refresh_tokens(c: Cutoffs) -> Select[Any]:
    return (
        select(refresh_tokens.c.token_hash)
        .join(authorizations, authorizations.c.id == refresh_tokens.c.authorization_id)
        .join(connected_apps, connected_apps.c.id == refresh_tokens.c.app_id)
        .where(
            or_(
                refresh_tokens.c.revoked_ms.is_not(None),
                authorizations.c.revoked_ms.is_not(None),
                refresh_tokens.c.rotated_ms < c.rotated_before_ms,
                refresh_token_expired(c.now_ms),
            )
        )
    )


def _dead_authorizations(c: Cutoffs) -> ColumnElement[bool]:
    """A grant no token keeps alive any more (revoked or not: a revoked one's tokens are dead too)."""
    return and_(
        authorizations.c.created_ms < c.authorization_created_before_ms,
        ~exists().where(access_tokens.c.authorization_id == authorizations.c.id),
        ~exists().where(refresh_tokens.c.authorization_id == authorizations.c.id),
    )


def _old_logins(c: Cutoffs) -> ColumnElement[bool]:
    if c.login_before_ms is None:
        return false()
    # Per org, so the (org_id, login_ms) index finds the old rows.
    return and_(login_history.c.org_id.in_(select(orgs.c.id)), login_history.c.login_ms < c.login_before_ms)


def _old_audit_entries(c: Cutoffs) -> ColumnElement[bool]:
    if c.audit_before_ms is None:
        return false()
    # Per org, so the (org_id, created_ms) index finds the old rows.
    return and_(
        setup_audit_trail.c.org_id.in_(select(orgs.c.id)),
        setup_audit_trail.c.created_ms < c.audit_before_ms,
    )


@dataclass(frozen=True)
class Purge:
    name: str
    table: Any
    key: tuple[str, ...]
    dead: Any  # Cutoffs -> a WHERE clause on the table, or a SELECT of its keys
    # No index finds the dead rows: walk the table once in key order (a cursor), rather than
    # re-reading the live rows at its start for every batch.
    scan: bool = False

    def candidates(self, c: Cutoffs, limit: int, after: str | None) -> Select[Any]:
        selected = self.dead(c)
        if not isinstance(selected, Select):
            selected = select(*(self.table.c[n] for n in self.key)).where(selected)
        if self.scan:
            key = self.table.c[self.key[0]]
            if after is not None:
                selected = selected.where(key > after)
            selected = selected.order_by(key)
        return selected.limit(limit)


PURGES: tuple[Purge, ...] = (
    Purge("access_tokens", access_tokens, ("token_hash",), _dead_access_tokens),
    Purge("refresh_tokens", refresh_tokens, ("token_hash",), _dead_refresh_tokens, scan=True),
    Purge(
        "authorization_codes",
        authorization_codes,
        ("code_hash",),
        lambda c: authorization_codes.c.expires_ms <= c.now_ms,
    ),
    Purge(
        "device_requests",
        device_requests,
        ("device_code_hash",),
        lambda c: device_requests.c.expires_ms < c.device_expired_before_ms,
    ),
    Purge("authorizations", authorizations, ("id",), _dead_authorizations, scan=True),
    Purge(
        "jwt_assertions",
        jwt_assertions,
        ("app_id", "jti_hash"),
        lambda c: jwt_assertions.c.expires_ms <= c.now_ms,
    ),
    Purge(
        "rate_limits",
        rate_limits,
        ("bucket",),
        lambda c: rate_limits.c.window_start_ms < c.rate_limit_before_ms,
    ),
    Purge(
        "browser_sessions",
        browser_sessions,
        ("session_hash",),
        lambda c: browser_sessions.c.expires_ms <= c.now_ms,
    ),
    Purge("query_locators", query_locators, ("id",), lambda c: query_locators.c.expires_ms <= c.now_ms),
    # A row per org per UTC day: only today's counts; the last week's are kept for a look back.
    Purge(
        "api_request_counts",
        api_request_counts,
        ("org_id", "day"),
        lambda c: api_request_counts.c.day < c.now_ms // DAY_MS - API_USAGE_DAYS_KEPT,
    ),
    Purge("login_history", login_history, ("id",), _old_logins),
    Purge("setup_audit_trail", setup_audit_trail, ("id",), _old_audit_entries),
)


@dataclass(frozen=True)
class Batch:
    found: int  # dead rows the batch selected (fewer than the limit: the table is done)
    deleted: int
    cursor: str | None  # for a scanning purge, where the next batch starts


def delete_batch(
    conn: Connection, purge: Purge, cutoffs: Cutoffs, limit: int, after: str | None = None
) -> Batch:
    """Delete up to ``limit`` dead rows of one table (after ``after``, for a scanning purge)."""
    columns = [purge.table.c[n] for n in purge.key]
    key = columns[0] if len(columns) == 1 else tuple_(*columns)
    candidates = purge.candidates(cutoffs, limit, after)
    if not purge.scan:
        deleted = int(conn.execute(delete(purge.table).where(key.in_(candidates))).rowcount)
        return Batch(found=deleted, deleted=deleted, cursor=None)
    keys = list(conn.execute(candidates).scalars())
    if not keys:
        return Batch(found=0, deleted=0, cursor=after)
    deleted = int(conn.execute(delete(purge.table).where(key.in_(keys))).rowcount)
    return Batch(found=len(keys), deleted=deleted, cursor=keys[-1])


def table_sizes(conn: Connection) -> dict[str, int]:
    """Row counts of the tables housekeeping bounds (for ``forcegate housekeeping status``)."""
    return {p.name: int(conn.execute(select(func.count()).select_from(p.table)).scalar_one()) for p in PURGES}


# --- the lease -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobState:
    name: str
    next_run_ms: int
    lease_holder: str | None
    lease_until_ms: int
    runs: int
    last_started_ms: int | None
    last_finished_ms: int | None
    last_result: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runs": self.runs,
            "next_run_ms": self.next_run_ms,
            "lease_holder": self.lease_holder,
            "lease_until_ms": self.lease_until_ms,
            "last_started_ms": self.last_started_ms,
            "last_finished_ms": self.last_finished_ms,
            "last_result": self.last_result,
        }


def _ensure_job(conn: Connection, name: str) -> None:
    # ON CONFLICT DO NOTHING: on PostgreSQL a failed INSERT would abort the transaction.
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(scheduled_jobs).values(name=name).on_conflict_do_nothing())


def take_lease(
    conn: Connection, name: str, holder: str, now_ms: int, lease_ms: int, *, next_run_ms: int | None
) -> bool:
    """Take the job's lease unless another holder's lease is still running.

    With ``next_run_ms`` (a scheduled run) the job must also be due, and its next run moves to
    ``next_run_ms``; without (a run an operator asked for) it runs now and the schedule stays.
    """
    _ensure_job(conn, name)
    conditions = [scheduled_jobs.c.name == name, scheduled_jobs.c.lease_until_ms <= now_ms]
    values: dict[str, Any] = {
        "lease_holder": holder,
        "lease_until_ms": now_ms + lease_ms,
        "runs": scheduled_jobs.c.runs + 1,
        "last_started_ms": now_ms,
    }
    if next_run_ms is not None:
        conditions.append(scheduled_jobs.c.next_run_ms <= now_ms)
        values["next_run_ms"] = next_run_ms
    result = conn.execute(update(scheduled_jobs).where(*conditions).values(**values))
    return result.rowcount == 1


def renew_lease(conn: Connection, name: str, holder: str, now_ms: int, lease_ms: int) -> bool:
    """Extend a lease we hold; False when we lost it (it ran out and someone else took it)."""
    result = conn.execute(
        update(scheduled_jobs)
        .where(scheduled_jobs.c.name == name, scheduled_jobs.c.lease_holder == holder)
        .values(lease_until_ms=now_ms + lease_ms)
    )
    return result.rowcount == 1


def finish(conn: Connection, name: str, holder: str, now_ms: int, result: dict[str, Any]) -> None:
    """Release the lease and record what the run did."""
    conn.execute(
        update(scheduled_jobs)
        .where(scheduled_jobs.c.name == name, scheduled_jobs.c.lease_holder == holder)
        .values(
            lease_holder=None,
            lease_until_ms=0,
            last_finished_ms=now_ms,
            last_result=json.dumps(result, separators=(",", ":")),
        )
    )


def job_state(conn: Connection, name: str) -> JobState | None:
    row = conn.execute(select(scheduled_jobs).where(scheduled_jobs.c.name == name)).first()
    if row is None:
        return None
    return JobState(
        name=row.name,
        next_run_ms=row.next_run_ms,
        lease_holder=row.lease_holder,
        lease_until_ms=row.lease_until_ms,
        runs=row.runs,
        last_started_ms=row.last_started_ms,
        last_finished_ms=row.last_finished_ms,
        last_result=json.loads(row.last_result) if row.last_result else None,
    )
