"""Unauthenticated floods that would fill the database: refusals writing a login history row each,
and device authorization starts keeping a row each for a day (``forcegate.flows.throttle``).
Limits: ``tests/attacks/throttled.py``. The retention purge is in ``tests/admin/test_housekeeping.py``."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import func, select

from forcegate.flows.throttle import HISTORY_SUMMARY, LOGIN_RATE_EXCEEDED
from forcegate.storage.schema import device_requests, login_history
from tests.attacks.throttled import LIMITS, PATHS, new_ip, throttled_server
from tests.attacks.unchanged import nothing_issued
from tests.support.server import Server

HISTORY_BUDGET = LIMITS["login_history_failures_per_ip"]
STARTS_PER_IP = LIMITS["device_starts_per_ip"]
STARTS_PER_APP = LIMITS["device_starts_per_app"]
RATE_LIMITED = {"error": "rate_limit_exceeded", "error_description": "too many device authorization requests"}
GRANT = PATHS[0]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def throttled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from throttled_server(request.param, tmp_path_factory.mktemp("flooded"))


def _statuses_from(server: Server, ip: str) -> list[str]:
    with server.ctx.db.read() as conn:
        rows = conn.execute(
            select(login_history.c.status)
            .where(login_history.c.source_ip == ip)
            .order_by(login_history.c.login_ms, login_history.c.id)
        )
        return [str(status) for status in rows.scalars()]


def _unknown_client(server: Server, ip: str) -> httpx.Response:
    form = {"grant_type": "password", "client_id": "no-such-app", "username": "x", "password": "y"}
    with server.client(headers={"X-Forwarded-For": ip}) as client:
        return client.post("/services/oauth2/token", data=form)


@pytest.mark.attack("Salesforce: Login History Entries Are Reduced When Login Rate Limiting Is Active")
def test_when_an_address_floods_refusals_then_history_keeps_a_budget_and_one_summary(
    throttled: Server,
) -> None:
    flooder, user = new_ip(), throttled.create_user()
    with nothing_issued(throttled):
        for _ in range(HISTORY_BUDGET + 20):
            answer = _unknown_client(throttled, flooder)
            assert answer.status_code == 400
            assert answer.json() == {
                "error": "invalid_client_id",
                "error_description": "client identifier invalid",
            }

    assert _statuses_from(throttled, flooder) == ["Failed: Invalid Client Id"] * HISTORY_BUDGET + [
        HISTORY_SUMMARY
    ]
    # Somebody else's real attempt is not buried: it has its row.
    elsewhere = new_ip()
    assert GRANT.refused(GRANT.attempt(throttled, elsewhere, user.username, "wrong-password"))
    assert _statuses_from(throttled, elsewhere) == ["Invalid Password"]


@pytest.mark.attack("Salesforce: Login Rate Exceeded (Help article 000381578)")
def test_when_an_address_is_throttled_then_one_rate_exceeded_row_per_window(throttled: Server) -> None:
    user, guesser = throttled.create_user(), new_ip()
    limit = LIMITS["login_failures_per_username_and_ip"]
    with nothing_issued(throttled):
        for _ in range(limit + 30):
            GRANT.attempt(throttled, guesser, user.username, "guess-" + secrets.token_hex(4))

    assert _statuses_from(throttled, guesser) == ["Invalid Password"] * limit + [LOGIN_RATE_EXCEEDED]


# --- device authorization starts (L11) -------------------------------------------------------------


def _start_salesforce(client: httpx.Client, key: str) -> httpx.Response:
    return client.post("/services/oauth2/token", data={"response_type": "device_code", "client_id": key})


def _start_rfc8628(client: httpx.Client, key: str) -> httpx.Response:
    return client.post("/services/oauth2/device/authorize", data={"client_id": key})


Start = Callable[[httpx.Client, str], httpx.Response]
STARTS = [
    pytest.param(_start_salesforce, id="token endpoint response_type=device_code"),
    pytest.param(_start_rfc8628, id="RFC 8628 device authorization endpoint"),
]


def _pending(server: Server) -> int:
    with server.ctx.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(device_requests)).scalar_one())


@pytest.mark.attack("OWASP ASVS 4.0.3 V11.1.4")
@pytest.mark.parametrize("start", STARTS)
def test_when_one_address_starts_device_requests_in_a_loop_then_it_is_refused_and_nothing_stored(
    throttled: Server, start: Start
) -> None:
    app, _ = throttled.create_app(device_flow_enabled=True)
    with throttled.client(headers={"X-Forwarded-For": new_ip()}) as client:
        for _ in range(STARTS_PER_IP):
            assert start(client, app.consumer_key).status_code == 200
        before = _pending(throttled)
        with nothing_issued(throttled):
            refused = [start(client, app.consumer_key) for _ in range(3)]

    assert [(r.status_code, r.json()) for r in refused] == [(400, RATE_LIMITED)] * 3
    assert _pending(throttled) == before
    with throttled.client(headers={"X-Forwarded-For": new_ip()}) as other:
        assert start(other, app.consumer_key).status_code == 200


@pytest.mark.attack("OWASP ASVS 4.0.3 V11.1.4")
@pytest.mark.parametrize("start", STARTS)
def test_when_many_addresses_start_device_requests_for_one_app_then_it_is_refused_and_nothing_stored(
    throttled: Server, start: Start
) -> None:
    app, _ = throttled.create_app(device_flow_enabled=True)
    for _ in range(STARTS_PER_APP):
        with throttled.client(headers={"X-Forwarded-For": new_ip()}) as client:
            assert start(client, app.consumer_key).status_code == 200
    with nothing_issued(throttled), throttled.client(headers={"X-Forwarded-For": new_ip()}) as client:
        refused = start(client, app.consumer_key)

    assert (refused.status_code, refused.json()) == (400, RATE_LIMITED)
    throttled.clock.advance(10 * 60 + 1)  # a request's lifetime later the app may start again
    try:
        with throttled.client(headers={"X-Forwarded-For": new_ip()}) as client:
            assert start(client, app.consumer_key).status_code == 200
    finally:
        throttled.clock.offset_ms = 0


@pytest.mark.attack("Salesforce: Login History Entries Are Reduced When Login Rate Limiting Is Active")
def test_when_an_address_has_flooded_refusals_then_its_real_logins_are_still_recorded(
    throttled: Server,
) -> None:
    """Only refusals are budgeted: a flood must not hide the successful logins that follow it."""
    flooder, user = new_ip(), throttled.create_user()
    app, secret = throttled.create_app(client_credentials_enabled=True, client_credentials_user=user.id)
    for _ in range(HISTORY_BUDGET + 2):
        assert _unknown_client(throttled, flooder).status_code == 400
    form = {"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret}
    with throttled.client(headers={"X-Forwarded-For": flooder}) as client:
        assert client.post("/services/oauth2/token", data=form).status_code == 200

    assert _statuses_from(throttled, flooder) == ["Failed: Invalid Client Id"] * HISTORY_BUDGET + [
        HISTORY_SUMMARY,
        "Success",
    ]
