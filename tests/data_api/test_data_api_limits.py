"""The daily API request allowance (org/api_limits.py): counted across server processes that share a
database (and, when configured, Redis), reported by /limits and Sforce-Limit-Info, refused with 403
REQUEST_LIMIT_EXCEEDED when spent. Each test module backend gets its own database, so lowering the
org's allowance here cannot disturb the other tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from forcegate.org import access
from forcegate.org.api_limits import DatabaseCounter, RedisCounter
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import IN_CI, Server, _postgres_database, make_settings, start_server

REDIS_URL = os.environ.get("FORCEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def _redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message + " (mandatory under CI)")
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "sqlite+redis"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two server processes' worth of app (each its own engine and counter) on one fresh database."""
    backend: str = request.param
    tmp: Path = tmp_path_factory.mktemp("limits")
    databases: Iterator[str] = (
        iter(_postgres_database()) if backend == "postgresql" else iter([f"sqlite:///{tmp / 'limits.db'}"])
    )
    url = next(databases)
    redis_url = _redis_or_skip() if backend.endswith("+redis") else None
    settings = make_settings(url, tmp, redis_url=redis_url)
    runs = [start_server(settings, backend), start_server(settings, backend)]
    try:
        yield next(runs[0]), next(runs[1])
    finally:
        for run in runs:
            run.close()
        for _ in databases:  # drops the PostgreSQL database
            pass


def _allow(server: Server, allowance: int) -> None:
    with server.ctx.db.write() as conn:
        org = repo.org_by_id(conn, server.org_id)
        assert org is not None
        access.update_org(server.ctx, conn, org, {"daily_api_requests": allowance}, actor=FIXTURE)


def _limits(server: Server, token: str) -> httpx.Response:
    return httpx.get(f"{server.url}{DATA}/limits", headers=bearer(token), timeout=10)


def test_when_allowance_spent_then_403_request_limit_exceeded_until_next_day(
    pair: tuple[Server, Server],
) -> None:
    server, _ = pair
    for s in pair:
        s.clock.advance(3 * 86400)  # a day of its own, whatever earlier tests counted
    token = token_for(server, server.create_user(profile="System Administrator"))
    first = _limits(server, token)
    used = int(first.headers["sforce-limit-info"].split("=")[1].split("/")[0])
    _allow(server, used + 3)
    headers = [_limits(server, token).headers["sforce-limit-info"] for _ in range(3)]
    assert headers == [f"api-usage={used + n}/{used + 3}" for n in (1, 2, 3)]
    refused = _limits(server, token)
    assert refused.status_code == 403 and refused.json() == LIMIT_EXCEEDED
    assert refused.headers["sforce-limit-info"] == f"api-usage={used + 3}/{used + 3}"
    query = httpx.get(f"{server.url}{DATA}/sobjects", headers=bearer(token), timeout=10)
    assert query.status_code == 403 and query.json() == LIMIT_EXCEEDED
    # The versions list is not counted, as on Salesforce.
    assert httpx.get(f"{server.url}/services/data", headers=bearer(token)).status_code == 200
    for s in pair:
        s.clock.advance(86400)
    again = _limits(server, token_for(server, server.create_user(profile="System Administrator")))
    assert again.status_code == 200
    assert again.json()["DailyApiRequests"] == {"Max": used + 3, "Remaining": used + 2}
    _allow(server, 100_000)


def test_when_two_processes_count_then_allowance_is_shared_exactly(pair: tuple[Server, Server]) -> None:
    first, second = pair
    for s in pair:
        s.clock.advance(10 * 86400)
    token = token_for(first, first.create_user(profile="System Administrator"))
    _allow(first, 7)
    statuses = [
        _limits(server, token).status_code for server in (first, second, first, second, first, second, first)
    ]
    assert statuses == [200] * 7
    assert _limits(first, token).status_code == 403
    assert _limits(second, token).status_code == 403
    _allow(first, 100_000)


def test_when_limits_read_then_remaining_falls_with_each_call(pair: tuple[Server, Server]) -> None:
    server, other = pair
    for s in pair:
        s.clock.advance(20 * 86400)
    token = token_for(server, server.create_user(profile="System Administrator"))
    _allow(server, 50)
    remaining = [_limits(s, token).json()["DailyApiRequests"]["Remaining"] for s in (server, other, server)]
    assert remaining == [49, 48, 47]
    _allow(server, 100_000)


def test_when_minimum_access_user_calls_then_nothing_is_counted(pair: tuple[Server, Server]) -> None:
    server, _ = pair
    for s in pair:
        s.clock.advance(30 * 86400)
    admin = token_for(server, server.create_user(profile="System Administrator"))
    nobody = token_for(server, server.create_user(profile="Minimum Access"))
    before = _limits(server, admin).json()["DailyApiRequests"]["Remaining"]
    assert _limits(server, nobody).status_code == 403
    assert httpx.get(f"{server.url}{DATA}/limits", timeout=10).status_code == 401
    after = _limits(server, admin).json()["DailyApiRequests"]["Remaining"]
    assert after == before - 1


def test_when_far_from_the_allowance_then_counts_are_batched_and_shared_within_a_second(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    for s in pair:
        s.clock.advance(40 * 86400)
    token = token_for(first, first.create_user(profile="System Administrator"))
    _allow(first, 100_000)
    used = [int(_limits(first, token).headers["sforce-limit-info"].split("=")[1].split("/")[0])]
    for _ in range(5):
        _limits(second, token)
    for s in pair:
        s.clock.advance(2)  # past the flush interval: each process adds its batch on its next call
    _limits(second, token)  # adds the 5 before it (this call is the next batch's first)
    seen = int(_limits(first, token).headers["sforce-limit-info"].split("=")[1].split("/")[0])
    exact = first.backend.endswith("+redis")  # Redis counts every call at once
    assert seen == used[0] + 5 + 1 + (1 if exact else 0)


def test_when_redis_stops_answering_then_calls_are_counted_in_the_database(
    pair: tuple[Server, Server],
) -> None:
    server, _ = pair
    database = DatabaseCounter(server.ctx.db)
    unreachable = RedisCounter("redis://127.0.0.1:9/0", database)  # nothing listens on port 9
    now = server.clock.now_ms() + 50 * 86_400_000
    first = unreachable.charge(server.org_id, 3, now)
    second = unreachable.charge(server.org_id, 3, now)
    assert (first.allowed, first.used, second.used) == (True, 1, 2)
    assert unreachable.usage(server.org_id, 3, now).used == database.usage(server.org_id, 3, now).used == 2
