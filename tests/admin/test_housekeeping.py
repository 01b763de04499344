"""Housekeeping over real servers and databases of its own, on every backend: what is purged and what
is kept, one run at a time however many processes try, a schedule shared by every server process,
token tables that stay bounded under steady load, and the CLI.

These tests move clocks by days and purge, so they never use the shared ``server`` fixture (other
tests' rows would vanish under them)."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from forcegate import housekeeping
from forcegate.domain import ConnectedApp
from forcegate.org import audit
from forcegate.storage import housekeeping as store
from forcegate.storage import jwt_assertions, rate_limits
from forcegate.storage.schema import access_tokens
from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server, make_settings, private_database, start_server
from tests.support.tokens import (
    CALLBACK,
    assert_invalid_session,
    assert_works,
    client_credentials_app,
    client_credentials_token,
    refreshed_access_token,
    web_server_tokens,
)

DAY = 24 * 3600
FORCEGATE = Path(sys.executable).parent / "forcegate"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a database of its own that never purges unless told to."""
    tmp = tmp_path_factory.mktemp("housekeeping")
    for url in private_database(request.param, tmp):
        yield from start_server(make_settings(url, tmp, housekeeping_interval_seconds=0), request.param)


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with nothing left to purge and a clock at real time."""
    if "fresh" in request.fixturenames:
        server: Server = request.getfixturevalue("fresh")
        server.clock.offset_ms = 0
        housekeeping.run(server.ctx, scheduled=False)
    yield
    if "fresh" in request.fixturenames:
        request.getfixturevalue("fresh").clock.offset_ms = 0


def _sizes(server: Server) -> dict[str, int]:
    return dict(housekeeping.status(server.ctx)["table_rows"])


def _run(server: Server) -> dict[str, int]:
    result = housekeeping.run(server.ctx, scheduled=False)
    assert result is not None and result.complete
    return result.purged


def _expired_tokens(server: Server, count: int) -> ConnectedApp:
    """``count`` client-credentials grants (a grant and an access token each), expired a minute after."""
    app, secret, _user = client_credentials_app(server, access_token_lifetime_seconds=60)
    for _ in range(count):
        client_credentials_token(server, app, secret)
    return app


# --- what goes and what stays ----------------------------------------------------------------------


def test_when_run_then_dead_rows_are_purged_and_live_tokens_keep_working(fresh: Server) -> None:
    server = fresh
    app, secret = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    live = web_server_tokens(server, app, secret, user)
    revoked = web_server_tokens(server, app, secret, user)
    with server.client() as client:
        assert (
            client.post("/services/oauth2/revoke", data={"token": revoked["refresh_token"]}).status_code
            == 200
        )
        started = client.post(
            "/services/oauth2/token", data={"response_type": "device_code", "client_id": app.consumer_key}
        )
    assert started.status_code == 200, started.text
    limited, limited_secret = server.create_app(
        refresh_token_policy="expire_after", refresh_token_validity_seconds=DAY
    )
    expiring = web_server_tokens(server, limited, limited_secret, user)
    now = server.ctx.now_ms()
    with server.ctx.db.write() as conn:
        jwt_assertions.remember_jti(
            conn, org_id=server.org_id, app_id=app.id, jti_hash="a" * 64, expires_ms=now + 60_000, now_ms=now
        )
        rate_limits.hit(conn, "device_user_code:ip:192.0.2.1", now, 600_000)
    before = _sizes(server)

    server.clock.advance(2 * DAY)
    purged = _run(server)

    assert purged["access_tokens"] == 3  # all expired: live's, revoked's and expiring's
    assert purged["refresh_tokens"] == 2  # revoked's, and expiring's (past its policy)
    assert purged["authorizations"] == 2
    assert purged["device_requests"] == 1 and purged["jwt_assertions"] == 1
    # Every window is over by now: the one above, and the throttles' (logins, the device start).
    assert purged["rate_limits"] == before["rate_limits"] >= 1
    after = _sizes(server)
    assert {k: before[k] - after[k] for k in before} == purged
    # The live family survives: its refresh token mints working access tokens.
    fresh_token = refreshed_access_token(server, app, secret, live["refresh_token"])
    assert_works(server, fresh_token)
    assert_invalid_session(server, live["access_token"])
    assert_invalid_session(server, expiring["access_token"])
    assert _run(server) == dict.fromkeys(purged, 0)  # nothing left to do


def test_when_authorization_code_expires_then_it_is_purged(fresh: Server) -> None:
    app, _secret = fresh.create_app()
    user = fresh.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api",
    }
    with fresh.client() as browser:
        assert authorize(browser, params, user.username, PASSWORD).response.status_code == 302

    assert _run(fresh)["authorization_codes"] == 0  # still valid
    fresh.clock.advance(16 * 60)
    purged = _run(fresh)

    assert purged["authorization_codes"] == 1 and purged["browser_sessions"] == 0


def test_when_steady_load_then_token_tables_stay_bounded(fresh: Server) -> None:
    baseline = _sizes(fresh)  # live rows of earlier tests, valid for hours yet
    sizes = []
    for _ in range(5):
        _expired_tokens(fresh, 20)
        sizes.append(_sizes(fresh)["access_tokens"] - baseline["access_tokens"])
        fresh.clock.advance(61)
        purged = _run(fresh)
        assert purged["access_tokens"] == 20 and purged["authorizations"] == 20

    assert sizes == [20] * 5  # 100 tokens issued, never more than one round's in the table
    after = _sizes(fresh)
    assert after["access_tokens"] == baseline["access_tokens"]
    assert after["authorizations"] == baseline["authorizations"]


def test_when_batches_are_small_then_everything_is_still_purged(fresh: Server) -> None:
    _expired_tokens(fresh, 25)
    fresh.clock.advance(61)

    result = housekeeping.run(fresh.ctx, scheduled=False, batch=4)

    assert (
        result is not None and result.purged["access_tokens"] == 25 and result.purged["authorizations"] == 25
    )


# --- one run at a time ---------------------------------------------------------------------------------


def test_when_several_threads_run_at_once_then_exactly_one_purges(fresh: Server) -> None:
    _expired_tokens(fresh, 30)
    fresh.clock.advance(61)
    # A real interval: with the fixture's 0 ("always due") a thread that starts after the first run
    # has finished may rightly run again, and whether one does is down to thread scheduling.
    ctx = dataclasses.replace(
        fresh.ctx, settings=dataclasses.replace(fresh.ctx.settings, housekeeping_interval_seconds=300)
    )
    barrier = threading.Barrier(4)
    results: list[housekeeping.RunResult | None] = []

    def attempt() -> None:
        barrier.wait()
        results.append(housekeeping.run(ctx, scheduled=True))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    ran = [r for r in results if r is not None]
    assert len(results) == 4 and len(ran) == 1
    assert ran[0].purged["access_tokens"] == 30


def test_when_another_process_holds_the_lease_then_cli_run_leaves_it_alone(
    fresh: Server, tmp_path: Path
) -> None:
    _expired_tokens(fresh, 3)
    fresh.clock.advance(61)
    now = fresh.ctx.now_ms()
    with fresh.ctx.db.write() as conn:
        assert store.take_lease(conn, housekeeping.JOB, "other-process", now, 60_000, next_run_ms=None)

    busy = _cli(fresh, tmp_path, "housekeeping", "run")
    assert housekeeping.run(fresh.ctx, scheduled=False) is None

    assert busy.returncode == 0, busy.stderr
    assert json.loads(busy.stdout)["ran"] is False
    assert _sizes(fresh)["access_tokens"] >= 3  # nothing was purged behind the holder's back
    with fresh.ctx.db.write() as conn:
        store.finish(conn, housekeeping.JOB, "other-process", now, {})


def test_when_cli_runs_then_it_purges_and_status_reports(fresh: Server, tmp_path: Path) -> None:
    app = _expired_tokens(fresh, 5)
    # The CLI runs on the real clock: expire the tokens by real time.
    with fresh.ctx.db.write() as conn:
        conn.execute(update(access_tokens).where(access_tokens.c.app_id == app.id).values(expires_ms=0))
    before = _sizes(fresh)

    ran = _cli(fresh, tmp_path, "housekeeping", "run")
    status = _cli(fresh, tmp_path, "housekeeping", "status")

    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["purged"]["access_tokens"] == 5
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["table_rows"]["access_tokens"] == before["access_tokens"] - 5 and report["job"]["runs"] >= 1
    assert report["job"]["lease_holder"] is None and report["job"]["last_result"]["total"] >= 5


def _cli(server: Server, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env.update(FORCEGATE_HOME=str(tmp_path), FORCEGATE_SERVER_KEYS=server.ctx.settings.server_keys or "")
    return subprocess.run(
        [str(FORCEGATE), *args, "--database", server.ctx.settings.database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- a schedule shared by every process ---------------------------------------------------------------


def _runs(server: Server) -> int:
    job = housekeeping.status(server.ctx)["job"]
    return int(job["runs"]) if job else 0


def _wait_for_runs(server: Server, at_least: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while _runs(server) < at_least:
        assert time.monotonic() < deadline, f"housekeeping ran {_runs(server)} times, expected {at_least}"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_when_two_servers_share_a_database_then_housekeeping_runs_once_per_interval(
    kind: str, tmp_path: Path
) -> None:
    for url in private_database(kind, tmp_path):
        settings = make_settings(
            url, tmp_path, housekeeping_interval_seconds=3600, housekeeping_poll_seconds=0.1
        )
        first = start_server(settings, kind)
        second = start_server(settings, kind)
        a, b = next(first), next(second)
        try:
            _wait_for_runs(a, 1)
            time.sleep(1.0)  # both servers look at the schedule ~10 times meanwhile
            assert _runs(a) == 1

            _expired_tokens(a, 5)
            for server in (a, b):
                server.clock.advance(3601)
            _wait_for_runs(a, 2)
            time.sleep(1.0)

            assert _runs(a) == 2
            assert housekeeping.status(b.ctx)["job"]["last_result"]["purged"]["access_tokens"] == 5
            with httpx.Client(base_url=b.url) as client:
                assert client.get("/services/data").status_code < 500  # the servers still serve
        finally:
            for generator in (first, second):
                generator.close()


def test_when_login_history_is_older_than_the_retention_then_it_is_purged(fresh: Server) -> None:
    """Salesforce keeps six months of login history (Salesforce Help, "Monitor Login History"):
    ``FORCEGATE_LOGIN_HISTORY_RETENTION_DAYS`` defaults to 180."""
    assert fresh.ctx.settings.login_history_retention_days == 180

    def refused_login() -> str:
        username = f"retention-{secrets.token_hex(4)}@example.com"
        form = {"grant_type": "password", "client_id": "unknown", "username": username, "password": "x"}
        with fresh.client() as client:
            assert client.post("/services/oauth2/token", data=form).status_code == 400
        return username

    def kept() -> set[str]:
        return {name for name in (oldest, younger) if fresh.login_history_of(username=name)}

    oldest = refused_login()
    fresh.clock.advance(2 * DAY)
    younger = refused_login()
    assert kept() == {oldest, younger}
    fresh.clock.advance(179 * DAY)  # the oldest is 181 days old, the younger 179

    assert _run(fresh)["login_history"] >= 1
    assert kept() == {younger}


def test_when_audit_trail_entries_are_older_than_the_retention_then_they_are_purged(fresh: Server) -> None:
    """Salesforce keeps "at least the last 180 days" of the Setup Audit Trail (SetupAuditTrail):
    ``FORCEGATE_AUDIT_TRAIL_RETENTION_DAYS`` defaults to 180."""
    assert fresh.ctx.settings.audit_trail_retention_days == 180

    def change(name: str) -> None:
        fresh.create_app(name=name)  # recorded as the test fixture's change

    def kept() -> set[str]:
        with fresh.ctx.db.read() as conn:
            found = audit.entries(conn, fresh.org_id, limit=1000)
        return {e.target for e in found} & {"Oldest audited", "Younger audited"}

    change("Oldest audited")
    fresh.clock.advance(2 * DAY)
    change("Younger audited")
    assert kept() == {"Oldest audited", "Younger audited"}
    fresh.clock.advance(179 * DAY)

    assert _run(fresh)["setup_audit_trail"] >= 1
    assert kept() == {"Younger audited"}


def test_when_query_locators_expire_and_api_counts_age_then_they_are_purged(fresh: Server) -> None:
    from sqlalchemy import insert, select

    from forcegate.storage.schema import api_request_counts, query_locators

    today = fresh.clock.now_ms() // store.DAY_MS
    with fresh.ctx.db.write() as conn:
        for day in (today, today - store.API_USAGE_DAYS_KEPT, today - store.API_USAGE_DAYS_KEPT - 1):
            conn.execute(insert(api_request_counts).values(org_id=fresh.org_id, day=day, count=5))
        for n, expires_in_ms in enumerate((60_000, -1)):
            conn.execute(
                insert(query_locators).values(
                    id=f"01gLOCATOR{n:08d}",
                    org_id=fresh.org_id,
                    user_id=None,
                    soql="SELECT Id FROM Account",
                    include_deleted=False,
                    batch_size=200,
                    total_size=500,
                    created_ms=fresh.clock.now_ms(),
                    expires_ms=fresh.clock.now_ms() + expires_in_ms,
                )
            )

    purged = _run(fresh)

    assert purged["api_request_counts"] == 1 and purged["query_locators"] == 1
    with fresh.ctx.db.read() as conn:
        days = sorted(conn.execute(select(api_request_counts.c.day)).scalars())
        locators = list(conn.execute(select(query_locators.c.id)).scalars())
    assert days == [today - store.API_USAGE_DAYS_KEPT, today]
    assert locators == ["01gLOCATOR00000000"]
