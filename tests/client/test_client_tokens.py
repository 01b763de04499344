"""Token management against a running forcegate: refresh before expiry and on 401, one refresh for
many threads and tasks, rotated refresh tokens persisted before use, reuse reported and never
retried, the requests auth, and revocation."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from forcegate.client import (
    Connection,
    EncryptedFileStore,
    RefreshTokenRejected,
    SalesforceAuth,
    SalesforceRequestsAuth,
    Session,
    StoredConnection,
    TokenManager,
    manager_for,
)
from forcegate.domain import ConnectedApp
from tests.support.client_helpers import browser, connection, free_port, jwt_setup, userinfo_status, web_app
from tests.support.server import Server

HOUR = 3600


@pytest.fixture(autouse=True)
def _cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """New test stores use scrypt's lowest accepted cost; the default has its own test."""
    monkeypatch.setenv("FORCEGATE_SCRYPT_N", str(2**14))


class Counted:
    """A Connection's httpx client that counts token requests (refreshes) as they go out."""

    def __init__(self) -> None:
        self.token_requests = 0
        self.lock = threading.Lock()
        self.http = httpx.Client(timeout=30, event_hooks={"request": [self._count]})

    def _count(self, request: httpx.Request) -> None:
        if request.url.path == "/services/oauth2/token":
            with self.lock:
                self.token_requests += 1


def _logged_in(
    server: Server, counted: Counted | None = None, **app_options: Any
) -> tuple[ConnectedApp, Connection, Session]:
    port = free_port()
    app, secret = web_app(server, port, **app_options)
    user = server.create_user()
    conn = connection(server, app, secret, **({"http": counted.http} if counted else {}))
    session = conn.web_server_login(port=port, open_browser=browser(server, user), timeout=30)
    return app, conn, session


def _userinfo(server: Server) -> str:
    return f"{server.url}/services/oauth2/userinfo"


def test_when_session_expires_then_refreshed_before_the_request(server: Server) -> None:
    counted = Counted()
    _, conn, session = _logged_in(server, counted)
    manager = TokenManager(conn, session)
    seen: list[str] = []
    with httpx.Client(
        auth=SalesforceAuth(manager),
        event_hooks={"request": [lambda r: seen.append(r.headers["authorization"])]},
    ) as client:
        assert client.get(_userinfo(server)).status_code == 200
        assert manager.refresh_count == 0
        server.clock.advance(2 * HOUR)  # past the two-hour session on both sides
        assert userinfo_status(server, session.access_token) == 401
        before = counted.token_requests

        assert client.get(_userinfo(server)).status_code == 200

    assert manager.refresh_count == 1 and counted.token_requests == before + 1
    assert manager.session.access_token != session.access_token
    assert seen == [
        f"Bearer {session.access_token}",
        f"Bearer {manager.session.access_token}",
    ]  # no 401 first


def test_when_server_answers_401_invalid_session_then_refresh_and_retry_once(server: Server) -> None:
    # The server ends sessions after 60 s; the client believes in two hours: only the 401 tells.
    _, conn, session = _logged_in(server, access_token_lifetime_seconds=60)
    manager = TokenManager(conn, session)
    statuses: list[int] = []
    with httpx.Client(
        auth=SalesforceAuth(manager), event_hooks={"response": [lambda r: statuses.append(r.status_code)]}
    ) as client:
        server.clock.advance(120)
        response = client.get(_userinfo(server))
    assert response.status_code == 200
    assert statuses == [401, 200]
    assert manager.refresh_count == 1


def test_when_401_persists_after_the_renewal_then_it_is_returned_not_retried_again(server: Server) -> None:
    _, conn, _session = _logged_in(server)
    # A renewal that yields a token the server does not know: the retry fails too, and stops there.
    manager = TokenManager(
        conn, conn.use_access_token("00Dnotatoken!x"), relogin=lambda: conn.use_access_token("00Dstillnot!y")
    )
    statuses: list[int] = []
    hooks = {"response": [lambda r: statuses.append(r.status_code)]}
    with httpx.Client(auth=SalesforceAuth(manager), event_hooks=hooks) as client:
        response = client.get(_userinfo(server))
    assert response.status_code == 401
    assert statuses == [401, 401] and manager.refresh_count == 1


def test_when_401_says_the_session_is_not_for_the_api_then_no_refresh(server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    conn = connection(server, app, secret)
    # A token without the api scope: the REST API refuses it whatever its age, so renewing is futile.
    session = conn.web_server_login(
        port=port,
        scopes=["id", "refresh_token"],
        open_browser=browser(server, server.create_user()),
        timeout=30,
    )
    manager = TokenManager(conn, session)
    statuses: list[int] = []
    hooks = {"response": [lambda r: statuses.append(r.status_code)]}
    with httpx.Client(auth=SalesforceAuth(manager), event_hooks=hooks) as client:
        response = client.get(f"{server.url}/services/data/v60.0/limits")
    assert response.status_code == 401
    assert response.json()[0]["message"] == "This session is not valid for use with the REST API"
    assert statuses == [401] and manager.refresh_count == 0


def test_when_twenty_threads_find_the_session_expired_then_one_refresh(server: Server) -> None:
    counted = Counted()
    app, conn, session = _logged_in(server, counted)
    manager = TokenManager(conn, session)
    server.clock.advance(2 * HOUR)
    before = counted.token_requests
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    with httpx.Client(auth=SalesforceAuth(manager), timeout=30) as client:

        def call() -> None:
            barrier.wait()
            statuses.append(client.get(_userinfo(server)).status_code)

        threads = [threading.Thread(target=call) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert statuses == [200] * 20
    assert manager.refresh_count == 1 and counted.token_requests == before + 1
    refreshes = server.login_history_of(app_id=app.id, flow="refresh_token")
    assert len(refreshes) == 1


def test_when_twenty_tasks_get_401_then_one_refresh(server: Server) -> None:
    _, conn, session = _logged_in(server, access_token_lifetime_seconds=60)
    manager = TokenManager(conn, session)
    server.clock.advance(120)

    async def run() -> list[int]:
        async with httpx.AsyncClient(auth=SalesforceAuth(manager), timeout=30) as client:
            responses = await asyncio.gather(*(client.get(_userinfo(server)) for _ in range(20)))
        return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 20
    assert manager.refresh_count == 1


def test_when_refresh_token_rotates_then_the_new_one_is_persisted_before_the_new_access_token_is_used(
    server: Server, tmp_path: Path
) -> None:
    app, conn, session = _logged_in(server, refresh_token_rotation=True)
    store = EncryptedFileStore(tmp_path / "vault", passphrase="pass phrase")
    record = StoredConnection(
        alias="rotating",
        login_url=server.url,
        consumer_key=app.consumer_key,
        consumer_secret=conn.consumer_secret,
        flow="web",
        session=session,
    )
    store.save(record)
    manager = manager_for(record, store)
    manager.connection.clock = server.clock.now_ms
    events: list[tuple[str, str]] = []
    original_save = store.save

    def save(saved: StoredConnection) -> None:
        original_save(saved)
        assert saved.session is not None
        events.append(("persisted", saved.session.access_token))

    store.save = save  # type: ignore[method-assign]
    server.clock.advance(2 * HOUR)
    hooks = {
        "request": [lambda r: events.append(("sent", r.headers["authorization"].removeprefix("Bearer ")))]
    }
    with httpx.Client(auth=SalesforceAuth(manager), event_hooks=hooks) as client:
        assert client.get(_userinfo(server)).status_code == 200

    reread = EncryptedFileStore(tmp_path / "vault", passphrase="pass phrase").get("rotating")
    assert reread is not None and reread.session is not None
    assert reread.session.refresh_token == manager.session.refresh_token != session.refresh_token
    assert events == [("persisted", manager.session.access_token), ("sent", manager.session.access_token)]
    assert manager.rotation_seen


def test_when_another_process_renewed_first_then_its_stored_session_is_adopted_not_refreshed_again(
    server: Server, tmp_path: Path
) -> None:
    counted = Counted()
    app, conn, session = _logged_in(server, counted, refresh_token_rotation=True)
    path = tmp_path / "vault"
    EncryptedFileStore(path, passphrase="p").save(
        StoredConnection(
            "shared",
            server.url,
            app.consumer_key,
            "web",
            consumer_secret=conn.consumer_secret,
            session=session,
        )
    )
    # Two processes, each with its own store object on the same file and its own manager.
    managers = []
    for _ in range(2):
        store = EncryptedFileStore(path, passphrase="p")
        record = store.get("shared")
        assert record is not None
        manager = manager_for(record, store)
        manager.connection = conn
        managers.append(manager)
    server.clock.advance(2 * HOUR)
    before = counted.token_requests

    for manager in managers:
        with httpx.Client(auth=SalesforceAuth(manager)) as client:
            assert client.get(_userinfo(server)).status_code == 200

    assert counted.token_requests == before + 1  # the second adopted the first's rotated tokens
    assert [m.refresh_count for m in managers] == [1, 0]
    assert managers[0].session == managers[1].session
    assert userinfo_status(server, managers[0].session.access_token) == 200  # the family lives


def test_when_persisting_fails_then_the_new_access_token_is_not_used(server: Server) -> None:
    _, conn, session = _logged_in(server, refresh_token_rotation=True)

    def broken_disk(_: Session) -> None:
        raise OSError("disk full")

    manager = TokenManager(conn, session, on_refresh=broken_disk)
    server.clock.advance(2 * HOUR)
    sent: list[str] = []
    with (
        httpx.Client(
            auth=SalesforceAuth(manager), event_hooks={"request": [lambda r: sent.append("x")]}
        ) as client,
        pytest.raises(OSError, match="disk full"),
    ):
        client.get(_userinfo(server))
    assert sent == [] and manager.session == session


def test_when_rotated_refresh_token_is_reused_then_reported_with_the_fix_and_never_retried(
    server: Server,
) -> None:
    counted = Counted()
    _, conn, session = _logged_in(server, counted, refresh_token_rotation=True)
    # Two copies of one connection (say, a backup restored): the first rotates the token away.
    first = TokenManager(conn, session)
    stale = TokenManager(conn, session)
    first.force_refresh()
    first.force_refresh()
    assert first.rotation_seen
    server.clock.advance(2 * HOUR)
    before = counted.token_requests

    with httpx.Client(auth=SalesforceAuth(stale)) as client:
        with pytest.raises(RefreshTokenRejected, match="Log in again") as caught:
            client.get(_userinfo(server))
        assert caught.value.description == "expired access/refresh token"
        for _ in range(3):  # known dead: refused at once, without asking the server again
            with pytest.raises(RefreshTokenRejected):
                client.get(_userinfo(server))
    assert counted.token_requests == before + 1
    # Reuse revoked the whole family on the server, the first copy's tokens included.
    with pytest.raises(RefreshTokenRejected, match="already used once after the server rotated it"):
        first.force_refresh()


def test_when_requests_auth_gets_401_then_it_refreshes_and_retries_once(server: Server) -> None:
    _, conn, session = _logged_in(server, access_token_lifetime_seconds=60)
    manager = TokenManager(conn, session)
    server.clock.advance(120)
    response = requests.get(_userinfo(server), auth=SalesforceRequestsAuth(manager), timeout=30)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert manager.refresh_count == 1
    server.clock.advance(2 * HOUR)  # and before expiry, without a 401 first
    response = requests.get(_userinfo(server), auth=SalesforceRequestsAuth(manager), timeout=30)
    assert response.status_code == 200 and response.history == []
    assert manager.refresh_count == 2


def test_when_session_without_refresh_token_expires_then_relogin_runs_the_flow_again(
    server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    conn = connection(server, setup.app, None)
    session = conn.jwt_login(setup.user.username, setup.key_file)
    manager = TokenManager(conn, session, relogin=lambda: conn.jwt_login(setup.user.username, setup.key_file))
    server.clock.advance(2 * HOUR)
    with httpx.Client(auth=SalesforceAuth(manager)) as client:
        assert client.get(_userinfo(server)).status_code == 200
    assert manager.refresh_count == 1


def test_when_refresh_token_revoked_then_its_access_tokens_end_and_refresh_is_refused(server: Server) -> None:
    _, conn, session = _logged_in(server)
    assert session.refresh_token
    second = conn.refresh(session.refresh_token)
    assert userinfo_status(server, second.access_token) == 200

    conn.revoke(session.refresh_token)

    assert userinfo_status(server, second.access_token) == 401
    assert userinfo_status(server, session.access_token) == 401
    with pytest.raises(RefreshTokenRejected):
        conn.refresh(session.refresh_token)


def test_when_access_token_revoked_then_the_auth_refreshes_past_it(server: Server) -> None:
    _, conn, session = _logged_in(server)
    conn.revoke(session.access_token)
    assert userinfo_status(server, session.access_token) == 401
    manager = TokenManager(conn, session)
    with httpx.Client(auth=SalesforceAuth(manager)) as client:
        assert client.get(_userinfo(server)).status_code == 200
    assert manager.refresh_count == 1
