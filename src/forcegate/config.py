"""Settings, read once from the environment (and command-line flags, which override it).

Every setting is documented in docs/reference/configuration.md; names are ``FORCEGATE_*``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_MAX_API_VERSION", "Settings", "default_database_url"]


def _home() -> Path:
    return Path(os.environ.get("FORCEGATE_HOME", "var")).resolve()


def default_database_url() -> str:
    """``FORCEGATE_DATABASE_URL``, else the SQLite file that ``make serve`` uses."""
    url = os.environ.get("FORCEGATE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{_home() / 'forcegate.db'}"


DEFAULT_MAX_API_VERSION = 66  # Spring '26, the current release when this was written

# Salesforce's generic login hosts: JWT bearer assertions addressed to them are accepted as addressed to us,
# as clients (sfdx-core, simple-salesforce) put them in ``aud`` (salesforce-wire.md §5).
DEFAULT_LOGIN_URLS = ("https://login.salesforce.com", "https://test.salesforce.com")


def _parse_login_urls(value: str | None) -> tuple[str, ...]:
    """``FORCEGATE_LOGIN_URLS``: comma-separated URLs; unset or empty means the Salesforce defaults."""
    urls = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    return urls or DEFAULT_LOGIN_URLS


def _parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
    )


def _int_env(name: str, default: int) -> int:
    """``FORCEGATE_<name>`` as an integer, ``default`` when unset or empty."""
    return int(os.environ.get(f"FORCEGATE_{name}") or default)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    # The origin clients are told about (issuer, instance_url, identity URLs). None: the listen address.
    public_url: str | None = field(default_factory=lambda: os.environ.get("FORCEGATE_PUBLIC_URL") or None)
    # Comma-separated Fernet keys; the first encrypts, all decrypt (see forcegate.secrets_box).
    server_keys: str | None = field(default_factory=lambda: os.environ.get("FORCEGATE_SERVER_KEYS") or None)
    server_key_file: Path = field(
        default_factory=lambda: Path(os.environ.get("FORCEGATE_SERVER_KEY_FILE", str(_home() / "server.key")))
    )
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto we believe; everyone else's are ignored.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=lambda: _parse_networks(os.environ.get("FORCEGATE_TRUSTED_PROXIES", ""))
    )
    # argon2id cost. Defaults are OWASP's minimum for argon2id (19 MiB, t=2, p=1): ~30 ms a hash here.
    argon2_time_cost: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_ARGON2_TIME_COST", "2"))
    )
    argon2_memory_kib: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_ARGON2_MEMORY_KIB", "19456"))
    )
    argon2_parallelism: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_ARGON2_PARALLELISM", "1"))
    )
    # Login URLs a JWT bearer assertion's ``aud`` may name besides our own origin (trailing slash optional).
    login_urls: tuple[str, ...] = field(
        default_factory=lambda: _parse_login_urls(os.environ.get("FORCEGATE_LOGIN_URLS"))
    )
    # Browser session (login cookie) lifetime for the authorize pages.
    browser_session_seconds: int = 2 * 3600
    # Housekeeping (purging expired and revoked tokens, codes, device requests...): how often the
    # deployment runs it. Every server process takes part in the schedule, shared through the
    # database, and one process runs each turn. 0: this process never runs it (``forcegate
    # housekeeping run`` still does).
    housekeeping_interval_seconds: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_HOUSEKEEPING_INTERVAL_SECONDS", "300"))
    )
    # Longest a server process sleeps between looks at the shared schedule.
    housekeeping_poll_seconds: float = 30.0
    # How often each process re-reads which signing key is active (a rotation reaches every process
    # within this; it must stay below forcegate.keys.PICKUP_MARGIN_SECONDS).
    signing_key_refresh_seconds: float = field(
        default_factory=lambda: float(os.environ.get("FORCEGATE_SIGNING_KEY_REFRESH_SECONDS", "5"))
    )
    # The newest REST API version served: /services/data lists 31.0 up to it (Spring '26 is 66.0).
    max_api_version: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_MAX_API_VERSION", str(DEFAULT_MAX_API_VERSION)))
    )
    # Redis for state every server process shares at request speed (data-API request counts). Unset:
    # the database, with counts batched per process (see forcegate.org.api_limits).
    redis_url: str | None = field(default_factory=lambda: os.environ.get("FORCEGATE_REDIS_URL") or None)
    # Slow clients (slowloris): a request's line and headers must arrive within the first timeout
    # (counted from when the connection is ready for it), its body within the second (from the end of
    # the headers); then the connection is closed (a body gets 408 first). See forcegate.server.
    header_timeout_seconds: float = field(
        default_factory=lambda: float(os.environ.get("FORCEGATE_HEADER_TIMEOUT_SECONDS", "10"))
    )
    body_timeout_seconds: float = field(
        default_factory=lambda: float(os.environ.get("FORCEGATE_BODY_TIMEOUT_SECONDS", "30"))
    )
    # Open connections (and requests in progress) one process serves before answering 503.
    max_connections: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_MAX_CONNECTIONS", "1000"))
    )
    # How long an idle keep-alive connection stays open between requests.
    keep_alive_seconds: int = field(
        default_factory=lambda: int(os.environ.get("FORCEGATE_KEEP_ALIVE_SECONDS", "5"))
    )

    # Password throttling before any argon2 hash (forcegate.flows.throttle): failed attempts counted
    # in fixed windows per client IP, per (username, IP), and per username across IPs. 0: no limit.
    login_throttle_window_seconds: int = field(
        default_factory=lambda: _int_env("LOGIN_THROTTLE_WINDOW_SECONDS", 900)
    )
    login_failures_per_ip: int = field(default_factory=lambda: _int_env("LOGIN_FAILURES_PER_IP", 50))
    login_failures_per_username_and_ip: int = field(
        default_factory=lambda: _int_env("LOGIN_FAILURES_PER_USERNAME_AND_IP", 10)
    )
    login_failures_per_username: int = field(
        default_factory=lambda: _int_env("LOGIN_FAILURES_PER_USERNAME", 100)
    )
    # Login history rows for refusals from one client IP per throttle window; past it, one summary row.
    login_history_failures_per_ip: int = field(
        default_factory=lambda: _int_env("LOGIN_HISTORY_FAILURES_PER_IP", 100)
    )
    # Login history older than this is purged by housekeeping (Salesforce keeps six months).
    login_history_retention_days: int = field(
        default_factory=lambda: _int_env("LOGIN_HISTORY_RETENTION_DAYS", 180)
    )
    # Setup Audit Trail entries older than this are purged (Salesforce keeps at least 180 days).
    audit_trail_retention_days: int = field(
        default_factory=lambda: _int_env("AUDIT_TRAIL_RETENTION_DAYS", 180)
    )
    # Device authorization starts per client IP and per app, per device-request lifetime (10 minutes).
    device_starts_per_ip: int = field(default_factory=lambda: _int_env("DEVICE_STARTS_PER_IP", 10))
    device_starts_per_app: int = field(default_factory=lambda: _int_env("DEVICE_STARTS_PER_APP", 100))

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
