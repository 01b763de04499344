"""Engine set-up and transactions.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a crash of the process loses nothing; see the
performance budget) and a busy timeout. Its write transactions start with ``BEGIN IMMEDIATE`` so two
writers queue for the lock up front instead of failing when a reader upgrades; read transactions stay
deferred so bearer validation never waits for a writer.

Within one process, SQLite writers also take a lock before they open their transaction. SQLite's
busy handler makes a waiting writer sleep and retry, so under concurrency a writer can be overtaken
again and again (the p99 of token grants at 16 connections was ~1 s); the lock queues them in turn.
Other processes still meet at ``BEGIN IMMEDIATE``. PostgreSQL needs neither: its row locks queue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

__all__ = ["Database", "is_unavailable"]

# PostgreSQL's SQLSTATE classes for "could not serve now" rather than "refused this statement":
# connection exceptions, insufficient resources (too many connections), operator intervention (shutting
# down, starting up). Other OperationalErrors (e.g. class 54, a statement too complex) are our defects.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
# SQLite's result codes for the same: busy or locked past the busy timeout, I/O error, cannot open, full.
_UNAVAILABLE_SQLITE_CODES = (5, 6, 10, 13, 14)


def is_unavailable(error: OperationalError) -> bool:
    """Whether the database could not serve a statement at all (it is down, restarting, unreachable or
    busy), as opposed to refusing this statement. A connection that failed or broke has no SQLSTATE."""
    driver_error = error.orig
    sqlite_code = getattr(driver_error, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return int(sqlite_code) & 0xFF in _UNAVAILABLE_SQLITE_CODES
    sqlstate = getattr(driver_error, "sqlstate", None)
    return sqlstate is None or str(sqlstate)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # Re-entrant: a thread that nests a write (history of a refused grant) must not deadlock itself.
        self._write_lock: threading.RLock | nullcontext[None] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, pool_size=8, max_overflow=8)
            self._install_sqlite_hooks(self.engine)
        else:
            if parsed.drivername == "postgresql":
                url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
            self.engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)

    @staticmethod
    def _install_sqlite_hooks(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves (pysqlite's implicit transactions get in the way).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("forcegate_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception."""
        with self._write_lock, self.engine.connect() as conn:
            conn = conn.execution_options(forcegate_write=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
