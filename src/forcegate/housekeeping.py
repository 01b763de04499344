"""Housekeeping: purge what can no longer be used, once per interval for the whole deployment.

What goes (``storage.housekeeping.PURGES``, in this order):

- access tokens past their expiry, revoked or not (a revoked one is refused anyway; keeping it until
  it would have expired bounds the table by issue rate times lifetime and lets one index serve the purge);
- refresh tokens revoked (themselves or their family), expired under their app's *current* refresh
  token policy, or retired by rotation more than ``ROTATED_KEPT_MS`` ago (until then, presenting one
  again still revokes its family);
- authorization codes past their expiry, device requests ``EXPIRED_KEPT_MS`` after theirs (so a late
  poll still hears "expired"), JWT bearer ``jti`` records past the assertion's expiry, rate-limit
  windows over for a day, browser sessions past their expiry;
- grants (``authorizations``) that no token keeps alive any more;
- SOQL query locators past their expiry, and per-day API request counts older than a week;
- login history older than ``FORCEGATE_LOGIN_HISTORY_RETENTION_DAYS`` (180: Salesforce keeps six
  months of it, "Monitor Login History" in Salesforce Help), and Setup Audit Trail entries older than
  ``FORCEGATE_AUDIT_TRAIL_RETENTION_DAYS`` (180: Salesforce keeps "at least the last 180 days").

Every server process runs ``scheduled`` (see ``web/app.py``): it sleeps until the shared schedule
says a run is due, then tries to take the lease; one process wins, moves the schedule on, purges and
releases. ``forcegate housekeeping run`` runs it at once (still under the lease, so never twice at
the same time). Deletes go in batches of ``BATCH`` rows, one short transaction each, renewing the
lease as they go and stopping if it was lost or the process is shutting down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from forcegate.context import Context
from forcegate.flows.device import EXPIRED_KEPT_MS
from forcegate.storage import housekeeping as store

__all__ = ["JOB", "RunResult", "new_holder", "run", "scheduled", "status"]

JOB = "housekeeping"
BATCH = 1000
LEASE_MS = 5 * 60 * 1000  # a holder that dies mid-run blocks the job at most this long
ROTATED_KEPT_MS = 30 * 24 * 3600 * 1000
RATE_LIMIT_KEPT_MS = 24 * 3600 * 1000  # longer than any rate-limit window forcegate uses
# A grant is inserted in the transaction that issues its first token, so none is ever seen
# token-less while it is being made; the minimum age is a second line of defence.
AUTHORIZATION_MIN_AGE_MS = 60 * 1000

log = logging.getLogger("forcegate.housekeeping")


@dataclass
class RunResult:
    """What one run did: rows deleted per table, and whether it finished."""

    holder: str
    started_ms: int
    finished_ms: int = 0
    purged: dict[str, int] = field(default_factory=dict)
    complete: bool = True  # False: stopped early (lease lost or shutting down); the next run goes on

    @property
    def total(self) -> int:
        return sum(self.purged.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "ran": True,
            "holder": self.holder,
            "started_ms": self.started_ms,
            "finished_ms": self.finished_ms,
            "complete": self.complete,
            "purged": self.purged,
            "total": self.total,
        }


def new_holder() -> str:
    """A lease holder name, unique per process and call: host, pid and a random tag."""
    return f"{socket.gethostname()[:200]}:{os.getpid()}:{secrets.token_hex(4)}"


def _before(now_ms: int, retention_days: int) -> int | None:
    """The instant older rows go, for a retention in days (0: kept for ever)."""
    return now_ms - retention_days * store.DAY_MS if retention_days > 0 else None


def _cutoffs(ctx: Context, now_ms: int) -> store.Cutoffs:
    return store.Cutoffs(
        now_ms=now_ms,
        rotated_before_ms=now_ms - ROTATED_KEPT_MS,
        device_expired_before_ms=now_ms - EXPIRED_KEPT_MS,
        rate_limit_before_ms=now_ms - RATE_LIMIT_KEPT_MS,
        authorization_created_before_ms=now_ms - AUTHORIZATION_MIN_AGE_MS,
        login_before_ms=_before(now_ms, ctx.settings.login_history_retention_days),
        audit_before_ms=_before(now_ms, ctx.settings.audit_trail_retention_days),
    )


def run(
    ctx: Context,
    *,
    holder: str | None = None,
    scheduled: bool,
    stop: threading.Event | None = None,
    batch: int = BATCH,
) -> RunResult | None:
    """One housekeeping run if this caller gets the lease, else None.

    ``scheduled``: only when the shared schedule says a run is due, and the next one moves
    ``housekeeping_interval_seconds`` on. Otherwise (an operator's run) at once, schedule unchanged.
    """
    holder = holder or new_holder()
    now = ctx.now_ms()
    next_run_ms = now + ctx.settings.housekeeping_interval_seconds * 1000 if scheduled else None
    with ctx.db.write() as conn:
        if not store.take_lease(conn, JOB, holder, now, LEASE_MS, next_run_ms=next_run_ms):
            return None
    result = RunResult(holder=holder, started_ms=now)
    try:
        _purge(ctx, result, _cutoffs(ctx, now), stop, batch)
    finally:
        result.finished_ms = ctx.now_ms()
        with ctx.db.write() as conn:
            store.finish(conn, JOB, holder, result.finished_ms, result.as_json())
    early = "" if result.complete else " (stopped early)"
    log.info("housekeeping purged %d rows %s%s", result.total, result.purged, early)
    return result


def _purge(
    ctx: Context, result: RunResult, cutoffs: store.Cutoffs, stop: threading.Event | None, batch: int
) -> None:
    for purge in store.PURGES:
        result.purged[purge.name] = 0
        cursor: str | None = None
        while True:
            if stop is not None and stop.is_set():
                result.complete = False
                return
            with ctx.db.write() as conn:
                if not store.renew_lease(conn, JOB, result.holder, ctx.now_ms(), LEASE_MS):
                    result.complete = False
                    return
                done = store.delete_batch(conn, purge, cutoffs, batch, cursor)
            result.purged[purge.name] += done.deleted
            cursor = done.cursor
            if done.found < batch:
                break


def status(ctx: Context) -> dict[str, Any]:
    """The shared schedule's state and the sizes of the tables housekeeping keeps bounded."""
    with ctx.db.read() as conn:
        state = store.job_state(conn, JOB)
        sizes = store.table_sizes(conn)
    return {
        "job": state.as_json() if state else None,
        "interval_seconds": ctx.settings.housekeeping_interval_seconds,
        "table_rows": sizes,
    }


def _seconds_until_due(ctx: Context) -> float:
    with ctx.db.read() as conn:
        state = store.job_state(conn, JOB)
    poll = ctx.settings.housekeeping_poll_seconds
    if state is None:
        return 0.0
    due_ms = max(state.next_run_ms, state.lease_until_ms) - ctx.now_ms()
    # Jitter, so the processes of a deployment do not all wake at the same instant.
    return min(poll, max(due_ms / 1000, 0.0)) + random.uniform(0, poll / 10)


async def _loop(ctx: Context, stop: threading.Event) -> None:
    holder = new_holder()
    poll = ctx.settings.housekeeping_poll_seconds
    while not stop.is_set():
        try:
            await anyio.to_thread.run_sync(lambda: run(ctx, holder=holder, scheduled=True, stop=stop))
            delay = await anyio.to_thread.run_sync(_seconds_until_due, ctx)
        except Exception:  # a database hiccup must not end the schedule in this process
            log.exception("housekeeping failed; trying again later")
            delay = poll
        await asyncio.sleep(delay)


@asynccontextmanager
async def scheduled(ctx: Context) -> AsyncIterator[None]:
    """Take part in the deployment's housekeeping schedule while the server runs (unless
    ``housekeeping_interval_seconds`` is 0)."""
    if ctx.settings.housekeeping_interval_seconds <= 0:
        yield
        return
    stop = threading.Event()
    task = asyncio.create_task(_loop(ctx, stop))
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
