"""Throttles on what unauthenticated callers can make the server do: hash passwords, start device
requests, write login history. Every count is a fixed-window counter in the ``rate_limits`` table
(``forcegate.storage.rate_limits``), so all processes of a deployment share it. A limit of 0 is no
limit.

**Password attempts** (OWASP ASVS 4.0.3 V2.2.1: anti-automation against brute force). Every
password path — the login page, ``/setup/connect``, ``grant_type=password``, SOAP ``login()`` — goes
through ``flows.login.check_password``, which asks ``admit_password_attempt`` *before* the argon2
hash. Failed attempts are counted per throttle window in three buckets:

- **per client IP** (``FORCEGATE_LOGIN_FAILURES_PER_IP``): bounds the hashing one address can cause,
  whatever usernames it tries (password spraying included);
- **per (username, client IP)** (``…_PER_USERNAME_AND_IP``): guessing one account from one address;
- **per username, all addresses** (``…_PER_USERNAME``): a higher ceiling against guessing one account
  from many addresses. It refuses only addresses that already failed for that username in the
  window: an attacker hammering a victim's name can exhaust it, but the victim, logging in from an
  address without failures, is still let through. A victim who mistypes during such an attack waits
  for the window to pass; the org's lockout (``max_login_attempts``) is what stops a distributed
  guesser for good.

Every attempt is counted before the hash (one upsert per bucket: concurrent attempts cannot slip past
a limit) and refunded when the password was right, so only failures use up an allowance. Usernames
are keyed by the SHA-256 of the form user lookups compare (``domain.username_key``), the same whether
or not such a user exists (the throttle tells nobody which names are real). A refused attempt is
answered like Salesforce's "Login Rate Exceeded" (``LOGIN_RATE_EXCEEDED``) without hashing, and does
not count towards lockout.

**Login history** of refusals is budgeted per client IP (``record_status``), as Salesforce does once
login rate limiting is active ("Login History Entries Are Reduced When Login Rate Limiting Is
Active", KB 000381578): one "Login Rate Exceeded" row per address per window, and of every other
refusal the first ``FORCEGATE_LOGIN_HISTORY_FAILURES_PER_IP`` rows, then one summary row, then none
until the window passes. Successes are always recorded.

**Device authorization starts** (RFC 8628 sets no limit; OWASP ASVS 4.0.3 V11.1.4, anti-automation):
per client IP and per app, in windows as long as a request lives, so an address can hold at most
``FORCEGATE_DEVICE_STARTS_PER_IP`` pending requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import username_key
from forcegate.secrets_box import token_hash
from forcegate.storage import rate_limits

__all__ = [
    "HISTORY_SUMMARY",
    "LOGIN_RATE_EXCEEDED",
    "PasswordAttempt",
    "admit_device_start",
    "admit_password_attempt",
    "record_status",
    "settle_password_attempt",
]

# Login history statuses. The first is Salesforce's LoginHistory.Status; the second is ours.
LOGIN_RATE_EXCEEDED = "Login Rate Exceeded"
HISTORY_SUMMARY = "Failed: more refusals from this IP, not recorded until the window ends"

LOGIN_PREFIX = "login:"
HISTORY_PREFIX = "login_history:"
DEVICE_START_PREFIX = "device_start:"
_MAX_IP = 64  # an IPv6 address is at most 45 characters; bucket names stay bounded


def _over(count: int, limit: int) -> bool:
    return limit > 0 and count > limit


@dataclass(frozen=True)
class PasswordAttempt:
    """A counted password attempt: ``admitted`` False means refuse it without hashing."""

    admitted: bool
    buckets: tuple[str, ...] = ()


def admit_password_attempt(ctx: Context, username: str, ip: str) -> PasswordAttempt:
    """Count one password attempt for ``username`` from ``ip``; whether it may be checked."""
    settings = ctx.settings
    window_ms = settings.login_throttle_window_seconds * 1000
    if window_ms <= 0:
        return PasswordAttempt(True)
    name, address = token_hash(username_key(username.strip())), ip[:_MAX_IP]
    by_ip = f"{LOGIN_PREFIX}ip:{address}"
    by_name_and_ip = f"{LOGIN_PREFIX}user_ip:{name}:{address}"
    by_name = f"{LOGIN_PREFIX}user:{name}"
    with ctx.db.write() as conn:
        now = ctx.now_ms()
        # Always in this order, so concurrent attempts lock the rows alike (PostgreSQL).
        from_ip = rate_limits.hit(conn, by_ip, now, window_ms)
        from_ip_for_name = rate_limits.hit(conn, by_name_and_ip, now, window_ms)
        for_name = rate_limits.hit(conn, by_name, now, window_ms)
    refused = (
        _over(from_ip, settings.login_failures_per_ip)
        or _over(from_ip_for_name, settings.login_failures_per_username_and_ip)
        # This address already tried this name in the window (the count includes this attempt).
        or (_over(for_name, settings.login_failures_per_username) and from_ip_for_name > 1)
    )
    return PasswordAttempt(not refused, (by_ip, by_name_and_ip, by_name))


def settle_password_attempt(ctx: Context, attempt: PasswordAttempt, *, password_ok: bool) -> None:
    """After the hash: a right password gives back what the attempt counted (only failures count)."""
    if not password_ok or not attempt.buckets:
        return
    with ctx.db.write() as conn:
        for bucket in attempt.buckets:
            rate_limits.refund(conn, bucket)


def record_status(ctx: Context, conn: Connection, ip: str, status: str) -> str | None:
    """The status to write in login history for a refusal from ``ip``, or None to write no row.

    Counted in ``conn`` (the row's own transaction). See the module docstring for the budget."""
    settings = ctx.settings
    window_ms = settings.login_throttle_window_seconds * 1000
    if window_ms <= 0:
        return status
    address, now = ip[:_MAX_IP], ctx.now_ms()
    if status == LOGIN_RATE_EXCEEDED:
        first = rate_limits.hit(conn, f"{HISTORY_PREFIX}rate_exceeded:{address}", now, window_ms) == 1
        return status if first else None
    limit = settings.login_history_failures_per_ip
    written = rate_limits.hit(conn, f"{HISTORY_PREFIX}refused:{address}", now, window_ms)
    if not _over(written, limit):
        return status
    return HISTORY_SUMMARY if written == limit + 1 else None


def admit_device_start(ctx: Context, conn: Connection, *, app_id: str, ip: str, window_ms: int) -> bool:
    """Count one device authorization start; whether it may store a request. Counted in ``conn``:
    a refusal rolls its own count back, which leaves the bucket at its limit, still refusing."""
    settings = ctx.settings
    buckets: Sequence[tuple[str, int]] = (
        (f"{DEVICE_START_PREFIX}ip:{ip[:_MAX_IP]}", settings.device_starts_per_ip),
        (f"{DEVICE_START_PREFIX}app:{app_id}", settings.device_starts_per_app),
    )
    now, admitted = ctx.now_ms(), True
    for bucket, limit in buckets:
        if limit > 0 and _over(rate_limits.hit(conn, bucket, now, window_ms), limit):
            admitted = False
    return admitted
