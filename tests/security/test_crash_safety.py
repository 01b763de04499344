"""Crash safety: forcegate killed with SIGKILL under load, on SQLite and PostgreSQL, then restarted.

Whatever a client was answered before the kill holds after the restart (tokens work, records exist);
what was in flight either happened completely or not at all (a token with its authorization and its
login history row, a rotation with its successor); and nothing works that should not (a retired
refresh token, a code used twice). Then a PostgreSQL restart under load: errors for the requests that
meet it, no hangs, and the server recovers by itself.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import psycopg.errors
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from forcegate.domain import ConnectedApp, User
from forcegate.org.access import update_org
from forcegate.secrets_box import token_hash
from forcegate.storage import repositories as repo
from forcegate.storage import schema as t
from forcegate.storage.db import is_unavailable
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.data_api import DATA, bearer
from tests.support.server import PASSWORD, Server, _free_port
from tests.support.server_process import Deployment, ServerProcess, database_url
from tests.support.soap import jsforce_login
from tests.support.tokens import CALLBACK

TOKEN = "/services/oauth2/token"
THREADS = 4
AGENT = "crash-safety-load"  # the load's login history rows, told apart from the browser's page logins


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A fresh database per test: a crash may leave anything behind, and the checks count rows."""
    for url in database_url(request.param, tmp_path):
        d = Deployment.create(url, tmp_path, request.param)
        try:
            yield d
        finally:
            d.close()


@pytest.fixture
def processes(deployment: Deployment) -> Iterator[list[ServerProcess]]:
    """Every server process a test starts, stopped at the end whatever happened."""
    started: list[ServerProcess] = []
    yield started
    for process in started:
        process.stop()


def _start(deployment: Deployment, processes: list[ServerProcess]) -> Server:
    process = deployment.start(deployment.home / "server.log")
    processes.append(process)
    return process.server


# --- the load, and the kill ------------------------------------------------------------------------


@dataclass
class Load:
    """Threads that repeat a call against a server until it dies. A call appends what it was answered
    to ``answered`` (under ``lock``); ``interrupted`` counts calls the kill cut off mid-request."""

    answered: list[Any] = field(default_factory=list)
    interrupted: int = 0
    failures: list[BaseException] = field(default_factory=list)  # a call answered wrongly
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, item: Any) -> None:
        with self.lock:
            self.answered.append(item)

    def kill_during(
        self,
        server: ServerProcess,
        call: Callable[[httpx.Client, int], None],
        answered_before_kill: int,
    ) -> None:
        stop = threading.Event()

        def worker(number: int) -> None:
            with httpx.Client(
                base_url=server.server.url, timeout=30, headers={"User-Agent": AGENT}
            ) as client:
                while not stop.is_set():
                    try:
                        call(client, number)
                    except httpx.ConnectError:
                        return  # sent after the kill
                    except httpx.TransportError:
                        with self.lock:
                            self.interrupted += 1
                        return
                    except Exception as failure:  # a wrong answer: reported by the test thread
                        self.failures.append(failure)
                        return

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(self.answered) < answered_before_kill and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0, 0.02))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert self.failures == []
        assert len(self.answered) >= answered_before_kill
        # The point of the test: the kill met requests the server was working on.
        assert self.interrupted >= 1


# --- what clients do -------------------------------------------------------------------------------


def _token(client: httpx.Client, **form: str) -> httpx.Response:
    return client.post(TOKEN, data=form)


def _userinfo(client: httpx.Client, access_token: str) -> int:
    return client.get("/services/oauth2/userinfo", headers=bearer(access_token)).status_code


def _codes(server: Server, app: ConnectedApp, user: User, count: int) -> list[str]:
    """Authorization codes from one browser session (login and consent once)."""
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token",
    }
    codes = []
    with server.client() as browser:
        for _ in range(count):
            outcome = authorize(browser, params, user.username, PASSWORD)
            assert outcome.response.status_code == 302, outcome.response.text
            codes.append(outcome.query["code"])
    return codes


def _exchange(client: httpx.Client, app: ConnectedApp, secret: str, code: str) -> httpx.Response:
    return _token(
        client,
        grant_type="authorization_code",
        code=code,
        client_id=app.consumer_key,
        client_secret=secret,
        redirect_uri=CALLBACK,
    )


def _refresh(client: httpx.Client, app: ConnectedApp, secret: str, refresh_token: str) -> httpx.Response:
    return _token(
        client,
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id=app.consumer_key,
        client_secret=secret,
    )


def _client_credentials_app(server: Server, user: User) -> tuple[ConnectedApp, str]:
    return server.create_app(client_credentials_enabled=True, client_credentials_user=user.username)


def _client_credentials(client: httpx.Client, app: ConnectedApp, secret: str) -> httpx.Response:
    return _token(client, grant_type="client_credentials", client_id=app.consumer_key, client_secret=secret)


# --- what the database must show -----------------------------------------------------------------


def _count(server: Server, table: Any, *where: Any) -> int:
    with server.ctx.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _assert_database_sound(server: Server) -> None:
    """SQLite came back from the kill intact: its WAL recovered, no row breaks a foreign key (PostgreSQL
    enforces both by itself)."""
    if server.ctx.db.is_sqlite:
        with server.ctx.db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def _assert_grants_whole(server: Server, app: ConnectedApp, flow: str, *, refresh_tokens: bool) -> None:
    """Every grant of ``app`` was written whole: its authorization, one access token (and refresh
    token) under it, its login history row; no token without its authorization."""
    grants = _count(server, t.authorizations, t.authorizations.c.app_id == app.id)
    assert _count(server, t.access_tokens, t.access_tokens.c.app_id == app.id) == grants
    assert _count(server, t.refresh_tokens, t.refresh_tokens.c.app_id == app.id) == (
        grants if refresh_tokens else 0
    )
    history = t.login_history.c
    logins = _count(
        server,
        t.login_history,
        history.app_id == app.id,
        history.flow == flow,
        history.user_agent == AGENT,
        history.status == "Success",
    )
    assert logins == grants
    for table in (t.access_tokens, t.refresh_tokens):
        orphans = ~table.c.authorization_id.in_(select(t.authorizations.c.id))
        assert _count(server, table, orphans) == 0


# --- (a) token issuance ---------------------------------------------------------------------------


def test_when_killed_during_token_issuance_then_answered_tokens_work_and_grants_are_whole(
    deployment: Deployment, processes: list[ServerProcess]
) -> None:
    server = _start(deployment, processes)
    user = server.create_user()
    cc_app, cc_secret = _client_credentials_app(server, user)
    web_app, web_secret = server.create_app()
    pending = _codes(server, web_app, user, 30)
    sent: list[str] = []
    load = Load()

    def call(client: httpx.Client, number: int) -> None:
        if number % 2:
            response = _client_credentials(client, cc_app, cc_secret)
            assert response.status_code == 200, response.text
            load.note((None, response.json()))
            return
        with load.lock:
            if not pending:
                return
            code = pending.pop()
            sent.append(code)
        response = _exchange(client, web_app, web_secret, code)
        assert response.status_code == 200, response.text
        load.note((code, response.json()))

    load.kill_during(processes[-1], call, answered_before_kill=12)
    server = _start(deployment, processes)
    _assert_database_sound(server)

    # Every grant whole; a code is used in the transaction that writes its grant.
    _assert_grants_whole(server, cc_app, "client_credentials", refresh_tokens=False)
    _assert_grants_whole(server, web_app, "web_server", refresh_tokens=True)
    codes = t.authorization_codes.c
    used = _count(server, t.authorization_codes, codes.consumed_ms.is_not(None))
    assert used == _count(server, t.authorizations, t.authorizations.c.app_id == web_app.id)
    assert (
        _count(
            server, t.authorization_codes, codes.consumed_ms.is_not(None), codes.authorization_id.is_(None)
        )
        == 0
    )

    # Every token answered before the kill works.
    exchanged = {code: body for code, body in load.answered if code is not None}
    assert exchanged and len(exchanged) < len(load.answered)
    with server.client() as client:
        assert all(_userinfo(client, body["access_token"]) == 200 for _, body in load.answered)
        for body in exchanged.values():
            assert _refresh(client, web_app, web_secret, body["refresh_token"]).status_code == 200

    # A code whose exchange the kill cut off was used with its grant (then it is a replay now) or not
    # at all (then it works, once). A code answered before is a replay: refused, and its grant revoked.
    with server.client() as client:
        for code in sent:
            with server.ctx.db.read() as conn:
                used_ms = conn.execute(
                    select(codes.consumed_ms).where(codes.code_hash == token_hash(code))
                ).scalar_one()
            response = _exchange(client, web_app, web_secret, code)
            if used_ms is None:
                assert code not in exchanged
                assert response.status_code == 200, response.text
            else:
                assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
                if code in exchanged:
                    assert _userinfo(client, exchanged[code]["access_token"]) == 401


# --- (b) refresh token rotation -----------------------------------------------------------------


def test_when_killed_during_refresh_rotation_then_each_rotation_happened_whole_or_not_at_all(
    deployment: Deployment, processes: list[ServerProcess]
) -> None:
    server = _start(deployment, processes)
    user = server.create_user()
    app, secret = server.create_app(refresh_token_rotation=True)
    families: list[list[dict[str, Any]]] = []  # per thread: the token responses, the code's first
    with server.client() as client:
        for code in _codes(server, app, user, THREADS):
            response = _exchange(client, app, secret, code)
            assert response.status_code == 200, response.text
            families.append([response.json()])
    load = Load()

    def call(client: httpx.Client, number: int) -> None:
        response = _refresh(client, app, secret, families[number][-1]["refresh_token"])
        assert response.status_code == 200, response.text
        families[number].append(response.json())
        load.note(response.json())

    load.kill_during(processes[-1], call, answered_before_kill=12)
    server = _start(deployment, processes)
    _assert_database_sound(server)

    refresh = t.refresh_tokens.c
    with server.client() as client:
        # Every access token answered before the kill works.
        for family in families:
            assert all(_userinfo(client, body["access_token"]) == 200 for body in family)
        for family in families:
            last = family[-1]["refresh_token"]
            with server.ctx.db.read() as conn:
                row = conn.execute(
                    select(t.refresh_tokens).where(refresh.token_hash == token_hash(last))
                ).one()
                live = (
                    conn.execute(
                        select(refresh.token_hash).where(
                            refresh.authorization_id == row.authorization_id,
                            refresh.rotated_ms.is_(None),
                            refresh.revoked_ms.is_(None),
                        )
                    )
                    .scalars()
                    .all()
                )
            # One live refresh token per family: the last one answered, or the successor the kill kept
            # from its client (the rotation happened whole: the last one is retired).
            assert len(live) == 1
            assert (live[0] == row.token_hash) == (row.rotated_ms is None)
            response = _refresh(client, app, secret, last)
            if row.rotated_ms is None:
                assert response.status_code == 200, response.text
                successor = response.json()
                assert _userinfo(client, successor["access_token"]) == 200
                # The rotation just completed: its retired token does not work, and presenting it
                # revokes the family, the successor included.
                reuse = _refresh(client, app, secret, last)
                assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
                assert _refresh(client, app, secret, successor["refresh_token"]).status_code == 400
                assert _userinfo(client, successor["access_token"]) == 401
            else:
                # Retired by the rotation the kill cut off: presenting it is reuse.
                assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
            assert all(_userinfo(client, body["access_token"]) == 401 for body in family)
            assert (
                _count(
                    server,
                    t.refresh_tokens,
                    refresh.authorization_id == row.authorization_id,
                    refresh.revoked_ms.is_(None),
                )
                == 0
            )


# --- (c) record writes ------------------------------------------------------------------------------


def test_when_killed_during_record_writes_then_every_created_record_exists_once(
    deployment: Deployment, processes: list[ServerProcess]
) -> None:
    server = _start(deployment, processes)
    admin = server.create_user(profile="System Administrator")
    app, secret = _client_credentials_app(server, admin)
    with server.client() as client:
        access_token = _client_credentials(client, app, secret).json()["access_token"]
    prefix = f"crash-{secrets.token_hex(3)}"
    sent: list[str] = []
    load = Load()

    def call(client: httpx.Client, number: int) -> None:
        with load.lock:
            name = f"{prefix}-{len(sent)}"
            sent.append(name)
        response = client.post(f"{DATA}/sobjects/Account", json={"Name": name}, headers=bearer(access_token))
        assert response.status_code == 201, response.text
        load.note((name, response.json()["id"]))

    load.kill_during(processes[-1], call, answered_before_kill=12)
    server = _start(deployment, processes)
    _assert_database_sound(server)

    accounts = t.data_accounts.c
    with server.ctx.db.read() as conn:
        stored = conn.execute(
            select(accounts.name, accounts.id).where(accounts.name.like(f"{prefix}-%"))
        ).all()
    names = [name for name, _ in stored]
    assert len(names) == len(set(names)) and set(names) <= set(sent)
    assert set(load.answered) <= {(name, id_) for name, id_ in stored}
    with server.client(headers=bearer(access_token)) as client:
        for name, id_ in load.answered:
            response = client.get(f"{DATA}/sobjects/Account/{id_}")
            assert response.status_code == 200 and response.json()["Name"] == name


# --- a PostgreSQL restart under load -------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (the shared one serves other tests and must stay up):
    initdb into a temporary directory, served on a free loopback port. PostgreSQL refuses to run as
    root, so as root every command runs as the ``postgres`` user, in a directory it owns."""

    def __init__(self) -> None:
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        found = shutil.which("pg_ctl")
        pg_ctl = Path(found) if found else (binaries[-1] if binaries else None)
        assert pg_ctl is not None, "PostgreSQL server binaries (pg_ctl, initdb) are not installed"
        self.bin = pg_ctl.parent
        self.dir = Path(tempfile.mkdtemp(prefix="forcegate-pg-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / program), *args], check=True, capture_output=True, timeout=60
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-o", options, "-w", "start"
        )

    def crash(self) -> None:
        """Stop at once: every connection cut, no checkpoint; the next start recovers from the WAL."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.crash()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@dataclass(frozen=True)
class Call:
    started: float
    ended: float
    status: int | None  # None: no answer at all
    body: Any


def test_when_postgres_restarts_under_load_then_only_calls_meeting_it_fail_and_the_server_recovers(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    deployment = Deployment.create(private_postgres.url, tmp_path, "postgresql")
    process = deployment.start(tmp_path / "server.log")
    try:
        server = process.server
        admin = server.create_user(profile="System Administrator")
        app, secret = _client_credentials_app(server, admin)
        with server.client() as client:
            access_token = _client_credentials(client, app, secret).json()["access_token"]
        with server.ctx.db.write() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            update_org(
                server.ctx,
                conn,
                org,
                {"allow_soap_login": True, "trusted_ip_ranges": ["127.0.0.1/32"]},
                actor=FIXTURE,
            )
        soap_login = {
            "url": "/services/Soap/u/59.0",
            "content": jsforce_login(admin.username, PASSWORD),
            "headers": {"Content-Type": "text/xml", "SOAPAction": '""'},
        }
        with server.client() as client:
            # The first SOAP login creates the internal app: done before the load, which is about outages.
            assert client.post(**soap_login).status_code == 200
        calls: list[Call] = []
        stop = threading.Event()

        def worker(number: int) -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                while not stop.is_set():
                    started = time.monotonic()
                    number += 1
                    try:
                        if number % 4 == 0:  # a grant
                            response = _client_credentials(client, app, secret)
                        elif number % 4 == 1:  # a record write
                            response = client.post(
                                f"{DATA}/sobjects/Account",
                                json={"Name": "outage"},
                                headers=bearer(access_token),
                            )
                        elif number % 4 == 2:  # a bearer check
                            response = client.get("/services/oauth2/userinfo", headers=bearer(access_token))
                        else:  # a SOAP login
                            response = client.post(**soap_login)
                        xml = response.headers.get("content-type", "").startswith("text/xml")
                        status, body = response.status_code, response.text if xml else response.json()
                    except httpx.HTTPError as error:
                        status, body = None, repr(error)
                    calls.append(Call(started, time.monotonic(), status, body))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            down = time.monotonic()
            private_postgres.crash()
            time.sleep(1.5)
            private_postgres.start()
            up = time.monotonic()
            time.sleep(1)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)

        # No call hung: each got an answer, a refusal in Salesforce's shape when it met the outage.
        assert all(call.status is not None for call in calls), [c for c in calls if c.status is None][:3]
        assert max(call.ended - call.started for call in calls) < 10
        failed = [call for call in calls if call.status not in (200, 201)]
        assert failed, "the outage went unnoticed"
        unavailable = [
            {
                "message": "The server is temporarily unavailable. Please try again.",
                "errorCode": "SERVER_UNAVAILABLE",
            }
        ]
        soap_fault = "<faultcode>sf:SERVER_UNAVAILABLE</faultcode>"
        wrong = [
            call
            for call in failed
            if (call.status, call.body) != (503, unavailable)
            and not (call.status == 500 and soap_fault in call.body)
        ]
        assert wrong == []
        assert any(call.status == 500 for call in failed) and any(call.status == 503 for call in failed)
        # Only calls that met the outage failed; the server needed no restart to work again.
        assert all(down <= call.ended and call.started <= up for call in failed), (down, up, failed[:3])
        after = [call for call in calls if call.started > up]
        assert len(after) >= THREADS
        with server.client() as client:
            assert _userinfo(client, access_token) == 200
        # What was answered, before the crash or after, survived PostgreSQL's crash recovery.
        created = {call.body["id"] for call in calls if call.status == 201}
        issued = {
            token_hash(call.body["access_token"])
            for call in calls
            if isinstance(call.body, dict) and "access_token" in call.body
        }
        assert created and issued
        with server.ctx.db.read() as conn:
            stored = conn.execute(select(t.data_accounts.c.id).where(t.data_accounts.c.id.in_(created)))
            assert set(stored.scalars()) == created
            tokens = t.access_tokens.c
            stored = conn.execute(select(tokens.token_hash).where(tokens.token_hash.in_(issued)))
            assert set(stored.scalars()) == issued
    finally:
        process.stop()
        deployment.close()


def _driver_error(error: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, error)


def test_when_the_database_cannot_serve_then_outage_but_a_refused_statement_is_not(tmp_path: Path) -> None:
    """What becomes 503 SERVER_UNAVAILABLE: a database that is down, restarting or busy; not a statement
    it refuses (that is our defect and stays a 500 that tests and fuzzers notice)."""
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{_free_port()}/x", connect_timeout=5)
    assert is_unavailable(_driver_error(refused.value))
    assert is_unavailable(_driver_error(psycopg.errors.AdminShutdown("terminating connection")))
    assert is_unavailable(_driver_error(psycopg.errors.TooManyConnections("too many clients")))
    assert not is_unavailable(_driver_error(psycopg.errors.StatementTooComplex("stack depth")))

    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as busy:
        waiter.execute("SELECT * FROM sqlite_master")
    assert is_unavailable(_driver_error(busy.value))
    with pytest.raises(sqlite3.OperationalError) as too_complex:
        waiter.execute("SELECT " + " AND ".join(["1 = 1"] * 2000))
    assert not is_unavailable(_driver_error(too_complex.value))
    holder.close()
    waiter.close()
