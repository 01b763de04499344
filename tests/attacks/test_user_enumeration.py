"""User enumeration: on every password path an unknown username, a wrong password, a locked user and
an inactive user get the same status and the same body, and an unknown username costs a password
hash like a known one, so neither the answer nor its timing tells which usernames exist.

OWASP ASVS 5.0 V6.3.8 (no user enumeration by message or timing), RFC 6819 §4.4.3.3 and §5.1.4.2.2;
Salesforce: INVALID_LOGIN "Invalid username, password, security token; or user locked out."
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from forcegate.domain import ConnectedApp
from forcegate.storage import schema
from tests.attacks.unchanged import nothing_issued
from tests.support.browser import authorize_url, forms, submit
from tests.support.org_settings import LOOPBACK, OrgSettings
from tests.support.server import PASSWORD, Server, make_settings, start_server
from tests.support.soap import jsforce_login
from tests.support.tokens import CALLBACK

Attempt = Callable[[Server, ConnectedApp, str, str, str], tuple[int, str]]


def _authorize_params(app: ConnectedApp) -> dict[str, str]:
    return {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}


def _page_text(text: str, username: str) -> str:
    """A page without what legitimately differs between two attempts: the CSRF token and the
    username the page shows back."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text).replace(username, "USERNAME")


def _login_page(
    server: Server, app: ConnectedApp, secret: str, username: str, password: str
) -> tuple[int, str]:
    with server.client() as browser:
        page = browser.get(authorize_url(_authorize_params(app)))
        answer = submit(browser, page, username=username, password=password)
    return answer.status_code, _page_text(answer.text, username)


def _device_page(
    server: Server, app: ConnectedApp, secret: str, username: str, password: str
) -> tuple[int, str]:
    with server.client() as browser:
        page = browser.get("/setup/connect")
        answer = submit(browser, page, username=username, password=password)
    return answer.status_code, _page_text(answer.text, username)


def _password_grant(
    server: Server, app: ConnectedApp, secret: str, username: str, password: str
) -> tuple[int, str]:
    form = {
        "grant_type": "password",
        "client_id": app.consumer_key,
        "client_secret": secret,
        "username": username,
        "password": password,
    }
    with server.client() as client:
        answer = client.post("/services/oauth2/token", data=form)
    return answer.status_code, answer.text


def _soap_login(
    server: Server, app: ConnectedApp, secret: str, username: str, password: str
) -> tuple[int, str]:
    with server.client() as client:
        answer = client.post(
            "/services/Soap/u/59.0",
            content=jsforce_login(username, password),
            headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        )
    return answer.status_code, answer.text


PATHS: dict[str, Attempt] = {
    "login-page": _login_page,
    "device-page": _device_page,
    "password-grant": _password_grant,
    "soap-login": _soap_login,
}
EXPECTED_STATUS = {"login-page": 401, "device-page": 401, "password-grant": 400, "soap-login": 500}
EXPECTED_MESSAGE = {
    "login-page": "Please check your username and password.",
    "device-page": "Please check your username and password.",
    "password-grant": '{"error":"invalid_grant","error_description":"authentication failure"}',
    "soap-login": "INVALID_LOGIN: Invalid username, password, security token; or user locked out.",
}


@pytest.fixture
def password_paths_open(org_settings: OrgSettings) -> None:
    org_settings(allow_username_password_flows=True, allow_soap_login=True, trusted_ip_ranges=LOOPBACK)


def _lock(server: Server, user_id: str) -> None:
    with server.ctx.db.write() as conn:
        conn.execute(
            update(schema.users)
            .where(schema.users.c.id == user_id)
            .values(locked_until_ms=server.clock.now_ms() + 3_600_000)
        )


@pytest.mark.attack("OWASP ASVS 5.0 V6.3.8 / Salesforce INVALID_LOGIN (same answer for every failure)")
@pytest.mark.parametrize("path", list(PATHS))
def test_unknown_wrong_locked_and_inactive_get_the_same_answer(
    server: Server, password_paths_open: None, path: str
) -> None:
    attempt = PATHS[path]
    known, locked, inactive = server.create_user(), server.create_user(), server.create_user()
    _lock(server, locked.id)
    server.update_user(inactive, is_active=False)
    app, secret = server.create_app()
    attempt(server, app, secret, "warm-up@example.com", PASSWORD)  # SOAP login creates its internal app once
    with nothing_issued(server):
        answers = {
            "unknown user": attempt(server, app, secret, "nobody-" + known.username, PASSWORD),
            "wrong password": attempt(server, app, secret, known.username, "Wrong-passw0rd"),
            "locked, right password": attempt(server, app, secret, locked.username, PASSWORD),
            "inactive, right password": attempt(server, app, secret, inactive.username, PASSWORD),
        }
    statuses = {outcome: status for outcome, (status, _) in answers.items()}
    assert set(statuses.values()) == {EXPECTED_STATUS[path]}, statuses
    bodies = {body for _, body in answers.values()}
    assert len(bodies) == 1, answers
    assert EXPECTED_MESSAGE[path] in bodies.pop()


# --- timing ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def costly_server(
    server: Server, backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A second server on the shared database with production's argon2 cost (the shared one hashes
    cheaply, which would hide a skipped hash in the noise)."""
    name, url = backend
    settings = make_settings(
        url,
        Path(tmp_path_factory.mktemp("costly")),
        argon2_time_cost=2,
        argon2_memory_kib=19456,
        server_keys=server.ctx.settings.server_keys,  # it must read the shared server's secrets
    )
    yield from start_server(settings, name)


@pytest.mark.attack("OWASP ASVS 5.0 V6.3.8 / RFC 6819 §5.1.4.2.2 (timing: an unknown user costs a hash too)")
@pytest.mark.parametrize("path", ["login-page", "password-grant"])
def test_unknown_user_takes_as_long_as_a_wrong_password(
    server: Server, costly_server: Server, password_paths_open: None, path: str
) -> None:
    known = costly_server.create_user()  # hashed at the costly server's cost, as production's users are
    app, secret = server.create_app()
    params = _authorize_params(app)

    def login_page(username: str) -> Callable[[], float]:
        def run() -> float:
            with costly_server.client() as browser:
                fields = dict(forms(browser.get(authorize_url(params)).text)[0]["fields"])  # type: ignore[arg-type]
                started = time.perf_counter()
                answer = browser.post(
                    "/login", data={**fields, "username": username, "password": "Wrong-passw0rd"}
                )
                elapsed = time.perf_counter() - started
            assert answer.status_code == 401, answer.text
            return elapsed

        return run

    def password_grant(username: str) -> Callable[[], float]:
        form = {"grant_type": "password", "client_id": app.consumer_key, "client_secret": secret}

        def run() -> float:
            with costly_server.client() as client:
                started = time.perf_counter()
                answer = client.post(
                    "/services/oauth2/token", data={**form, "username": username, "password": "Wrong-pw1"}
                )
                elapsed = time.perf_counter() - started
            assert answer.status_code == 400, answer.text
            return elapsed

        return run

    make = login_page if path == "login-page" else password_grant
    unknown_attempt, wrong_attempt = make("nobody-" + known.username), make(known.username)
    unknown: list[float] = []
    wrong: list[float] = []
    with nothing_issued(server):
        for _ in range(7):  # interleaved, so load from elsewhere on the machine hits both alike
            unknown.append(unknown_attempt())
            wrong.append(wrong_attempt())
    ratio = statistics.median(unknown) / statistics.median(wrong)
    # Answered without a hash, an unknown user would take a small fraction of a wrong password's time.
    assert 0.4 < ratio < 2.5, (unknown, wrong)
