"""The daily data-API request allowance (Salesforce's ``DailyApiRequests``), counted across processes.

Every data-API call that passes authentication is charged to its org's count for the UTC day; once the
day's count reaches the org's allowance (``orgs.daily_api_requests``, an org setting), calls are
refused with 403 ``REQUEST_LIMIT_EXCEEDED`` until the next day. ``/limits`` and the
``Sforce-Limit-Info: api-usage=N/M`` header report the count. (Salesforce counts over a rolling
24 hours; a calendar day is the same allowance with a window clients and tests can predict.)

Two counters, one interface:

* :class:`RedisCounter` (when ``FORCEGATE_REDIS_URL`` is set): one ``INCR`` round trip (~0.1 ms) per
  call, exact across any number of processes. A Redis that stops answering falls back to the database
  counter rather than failing calls.
* :class:`DatabaseCounter`: SQLite has a single writer, and a commit per API call would make every read
  a write (the performance budget's commit costs that most of a query). So each process counts in
  memory and adds its batch to the shared row with one upsert at most every ``flush_ms`` or
  ``flush_count`` calls, reading back everyone's total. Far from the allowance, other processes' calls
  show up within a second and a crash loses at most one batch; within ``exact_margin`` of the
  allowance every call is counted in the database at once, so the limit itself is exact.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from forcegate.storage import api_usage
from forcegate.storage.db import Database

__all__ = ["DatabaseCounter", "RedisCounter", "RequestCounter", "Usage", "make_counter"]

DAY_MS = 86_400_000
log = logging.getLogger("forcegate.api_limits")


@dataclass(frozen=True)
class Usage:
    """The org's count for the day (this call included when it was charged) and its allowance."""

    used: int
    allowance: int
    allowed: bool = True

    @property
    def remaining(self) -> int:
        return max(0, self.allowance - self.used)

    @property
    def header(self) -> str:
        return f"api-usage={min(self.used, self.allowance)}/{self.allowance}"


class RequestCounter(Protocol):
    def charge(self, org_id: str, allowance: int, now_ms: int) -> Usage:
        """Count one call, unless the allowance is spent (``allowed`` False, nothing counted)."""
        ...

    def usage(self, org_id: str, allowance: int, now_ms: int) -> Usage:
        """The count so far, without charging."""
        ...


@dataclass
class _Tally:
    day: int
    base: int  # the shared total when last read
    pending: int  # counted here, not yet added to the shared total
    flushed_ms: int


class DatabaseCounter:
    def __init__(
        self, db: Database, flush_ms: int = 1000, flush_count: int = 100, exact_margin: int = 1000
    ) -> None:
        self.db = db
        self.flush_ms = flush_ms
        self.flush_count = flush_count
        self.exact_margin = exact_margin
        self._tallies: dict[str, _Tally] = {}
        self._lock = threading.Lock()

    def _flush(self, org_id: str, tally: _Tally, now_ms: int) -> None:
        with self.db.write() as conn:
            tally.base = api_usage.add(conn, org_id, tally.day, tally.pending)
        tally.pending = 0
        tally.flushed_ms = now_ms

    def _tally(self, org_id: str, day: int, now_ms: int) -> _Tally:
        tally = self._tallies.get(org_id)
        if tally is not None and tally.day == day:
            return tally
        if tally is not None and tally.pending:
            self._flush(org_id, tally, now_ms)  # the old day's last batch
        tally = _Tally(day, 0, 0, now_ms)
        self._flush(org_id, tally, now_ms)  # reads the shared total
        self._tallies[org_id] = tally
        return tally

    def charge(self, org_id: str, allowance: int, now_ms: int) -> Usage:
        day = now_ms // DAY_MS
        with self._lock:
            tally = self._tally(org_id, day, now_ms)
            if now_ms - tally.flushed_ms >= self.flush_ms:
                self._flush(org_id, tally, now_ms)
            # Our view of the total can only lag behind (counts grow within a day), so a refusal
            # based on it is always right.
            if tally.base + tally.pending >= allowance:
                return Usage(allowance, allowance, allowed=False)
            if allowance - (tally.base + tally.pending) <= self.exact_margin:
                tally.pending += 1
                self._flush(org_id, tally, now_ms)
                if tally.base > allowance:  # others spent the rest meanwhile: take ours back
                    tally.pending = -1
                    self._flush(org_id, tally, now_ms)
                    return Usage(allowance, allowance, allowed=False)
                return Usage(tally.base, allowance)
            tally.pending += 1
            used = tally.base + tally.pending
            if tally.pending >= self.flush_count:
                self._flush(org_id, tally, now_ms)
                used = tally.base
            return Usage(used, allowance)

    def usage(self, org_id: str, allowance: int, now_ms: int) -> Usage:
        with self._lock:
            tally = self._tally(org_id, now_ms // DAY_MS, now_ms)
            return Usage(tally.base + tally.pending, allowance)


class RedisCounter:
    KEY = "forcegate:api-requests:{org_id}:{day}"

    def __init__(self, url: str, fallback: RequestCounter) -> None:
        import redis  # only deployments that configure Redis need it loaded

        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.client: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.fallback = fallback

    def _key(self, org_id: str, now_ms: int) -> str:
        return self.KEY.format(org_id=org_id, day=now_ms // DAY_MS)

    def charge(self, org_id: str, allowance: int, now_ms: int) -> Usage:
        key = self._key(org_id, now_ms)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, 2 * DAY_MS // 1000)
            used = int(pipe.execute()[0])
            if used > allowance:
                self.client.decr(key)
                return Usage(allowance, allowance, allowed=False)
            return Usage(used, allowance)
        except self._errors as exc:
            log.warning("Redis unavailable for API request counts (%s); counting in the database", exc)
            return self.fallback.charge(org_id, allowance, now_ms)

    def usage(self, org_id: str, allowance: int, now_ms: int) -> Usage:
        try:
            value = self.client.get(self._key(org_id, now_ms))
        except self._errors:
            return self.fallback.usage(org_id, allowance, now_ms)
        return Usage(int(value or 0), allowance)


def make_counter(db: Database, redis_url: str | None) -> RequestCounter:
    database = DatabaseCounter(db)
    return RedisCounter(redis_url, database) if redis_url else database
