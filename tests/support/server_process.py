"""forcegate as a separate process (``forcegate serve``), for tests that kill it, restart it or read
everything it logs. The test sets the org up through its own :class:`Context` on the same database
and server key, and gets a :class:`tests.conftest.Server` whose URL is the process's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from forcegate.bootstrap import ensure_org
from forcegate.config import Settings
from forcegate.context import Context
from forcegate.storage.migrate import upgrade
from tests.support.server import Server, ShiftableClock, _postgres_database, make_settings

FORCEGATE = str(Path(sys.executable).parent / "forcegate")
_WITH_SQL_LOG = (
    "import logging; from forcegate.cli import main; "
    "logging.getLogger('sqlalchemy.engine').setLevel(logging.DEBUG); main()"
)
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the backend for one test (PostgreSQL's is dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'forcegate.db'}"
    else:
        yield from _postgres_database()


@dataclass
class Deployment:
    """A migrated database with its org, and the settings every process on it shares."""

    settings: Settings
    ctx: Context
    org_id: str
    backend: str
    home: Path

    @classmethod
    def create(cls, database_url: str, home: Path, backend: str) -> Deployment:
        settings = make_settings(database_url, home)
        ctx = Context.from_settings(settings, clock=ShiftableClock())
        upgrade(ctx.db)
        with ctx.db.write() as conn:
            org_id = ensure_org(ctx, conn).id
        return cls(settings, ctx, org_id, backend, home)

    def environment(self) -> dict[str, str]:
        s = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
        env.update(
            FORCEGATE_HOME=str(self.home),
            FORCEGATE_DATABASE_URL=s.database_url,
            FORCEGATE_SERVER_KEYS=s.server_keys or "",
            FORCEGATE_ARGON2_TIME_COST=str(s.argon2_time_cost),
            FORCEGATE_ARGON2_MEMORY_KIB=str(s.argon2_memory_kib),
            FORCEGATE_ARGON2_PARALLELISM=str(s.argon2_parallelism),
            FORCEGATE_HOUSEKEEPING_INTERVAL_SECONDS="0",
        )
        return env

    def start(self, log_file: Path, log_level: str = "warning", *, sql: bool = False) -> ServerProcess:
        """``forcegate serve`` on a free port; its stdout and stderr go to ``log_file`` (appended).

        ``sql``: SQLAlchemy logs every statement with its parameters and every result row too (it keeps
        its own loggers at WARNING whatever the root level is)."""
        command = [FORCEGATE, "serve", "--port", "0", "--log-level", log_level]
        if sql:
            command[:1] = [sys.executable, "-c", _WITH_SQL_LOG]
        with log_file.open("ab") as sink:
            offset = sink.tell()
            process = subprocess.Popen(
                command,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.environment(),
            )
        deadline = time.monotonic() + 60
        while True:
            found = _LISTENING.search(log_file.read_bytes()[offset:].decode(errors="replace"))
            if found:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"forcegate serve did not start: {log_file.read_text()[-2000:]}")
            time.sleep(0.05)
        server = Server(
            url=found.group(1),
            ctx=self.ctx,
            clock=ShiftableClock(),
            org_id=self.org_id,
            backend=self.backend,
        )
        return ServerProcess(process, server)

    def close(self) -> None:
        self.ctx.db.dispose()


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    server: Server

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush runs in the server."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
