"""The test server: a real forcegate on a free loopback port, and the settings every test server shares."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import select

from forcegate.config import Settings
from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.org import connected_apps, users
from forcegate.server import uvicorn_config
from forcegate.storage import schema
from forcegate.storage.migrate import upgrade
from forcegate.web.app import create_app
from tests.support.actors import FIXTURE

POSTGRES_ADMIN_URL = os.environ.get(
    "FORCEGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The storage backends the `server` fixture runs on; `make mutation` limits it to sqlite for speed.
BACKENDS = os.environ.get("FORCEGATE_TEST_BACKENDS", "sqlite,postgresql").split(",")
PASSWORD = "Passw0rd-for-tests"


class ShiftableClock:
    """Real time plus an offset the tests move forward: expiry without sleeping."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_database() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped afterwards."""
    name = f"forcegate_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message + " (mandatory under CI)")
        pytest.skip(message)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def private_database(backend: str, tmp: Path) -> Iterator[str]:
    """A database of its own for a server whose tests change what the shared one's must not
    (signing keys, housekeeping): a file in ``tmp``, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'private.db'}"
    else:
        yield from _postgres_database()


@dataclass
class Server:
    """A running forcegate and the handles tests need to set up the org behind it."""

    url: str
    ctx: Context
    clock: ShiftableClock
    org_id: str
    backend: str

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def create_app(self, **options: object) -> tuple[ConnectedApp, str]:
        values: dict[str, object] = {
            "name": f"app-{secrets.token_hex(4)}",
            "callback_urls": [
                "http://localhost:1717/OauthRedirect",
                "https://app.example.com/oauth/callback",
            ],
            "scopes": "api refresh_token openid web id",
        }
        values.update(options)
        with self.ctx.db.write() as conn:
            return connected_apps.create_app(self.ctx, conn, self.org_id, **values, actor=FIXTURE)  # type: ignore[arg-type]

    def update_app(self, app: ConnectedApp, **changes: object) -> ConnectedApp:
        with self.ctx.db.write() as conn:
            return connected_apps.update_app(self.ctx, conn, app, dict(changes), actor=FIXTURE)

    def create_user(self, profile: str | None = None, password: str = PASSWORD) -> User:
        with self.ctx.db.write() as conn:
            user, _ = users.create_user(
                self.ctx,
                conn,
                self.org_id,
                username=f"user-{secrets.token_hex(4)}@example.com",
                password=password,
                profile=profile,
                first_name="Test",
                last_name="User",
                actor=FIXTURE,
            )
        return user

    def update_user(self, user: User, **changes: object) -> User:
        with self.ctx.db.write() as conn:
            return users.update_user(self.ctx, conn, user, dict(changes), actor=FIXTURE)[0]

    def login_history_of(self, **match: object) -> list[dict[str, object]]:
        """This org's login history rows whose columns equal `match` (e.g. username=..., app_id=...),
        newest first: a test finds its own rows by what it did, whatever other tests wrote since."""
        assert match, "name the rows: username, user_id, app_id, flow, user_agent..."
        query = select(schema.login_history).where(schema.login_history.c.org_id == self.org_id)
        for column, value in match.items():
            query = query.where(schema.login_history.c[column] == value)
        query = query.order_by(schema.login_history.c.login_ms.desc(), schema.login_history.c.id)
        with self.ctx.db.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        public_url=None,
        server_keys=Fernet.generate_key().decode(),
        server_key_file=tmp_path / "unused.key",
        trusted_proxies=(),
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        # Shared servers do not purge on their own: tests that move the clock would see rows of other
        # tests vanish. tests/admin/test_housekeeping.py runs the schedule on servers of its own.
        housekeeping_interval_seconds=0,
        # Every test of a shared server calls from 127.0.0.1, and the clock moves back and forth: the
        # throttles run but never bite. tests/attacks/ tries them on servers of their own.
        login_failures_per_ip=1_000_000,
        login_failures_per_username_and_ip=1_000_000,
        login_failures_per_username=1_000_000,
        login_history_failures_per_ip=1_000_000,
        device_starts_per_ip=1_000_000,
        device_starts_per_app=1_000_000,
    ).with_overrides(**overrides)


def start_server(settings: Settings, backend: str) -> Iterator[Server]:
    clock = ShiftableClock()
    ctx = Context.from_settings(settings, clock=clock)
    upgrade(ctx.db)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(ctx, settings.public_url or url)
    server = uvicorn.Server(uvicorn_config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("forcegate test server did not start")
        time.sleep(0.02)
    try:
        yield Server(url=url, ctx=ctx, clock=clock, org_id=app.state.org_id, backend=backend)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        ctx.db.dispose()
