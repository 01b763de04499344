"""Password guessing on every password path (login page, /setup/connect, grant_type=password, SOAP
login()): refused before any argon2 hash once an address has failed too often, without letting an
attacker lock the victim out (``forcegate.flows.throttle``). Limits: ``tests/attacks/throttled.py``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from forcegate.domain import User
from forcegate.flows.throttle import LOGIN_RATE_EXCEEDED
from tests.attacks.throttled import LIMITS, PATHS, PasswordPath, new_ip, throttled_server
from tests.attacks.unchanged import nothing_issued
from tests.support.server import PASSWORD, Server

PER_NAME_AND_IP = LIMITS["login_failures_per_username_and_ip"]
PER_IP = LIMITS["login_failures_per_ip"]
PER_NAME = LIMITS["login_failures_per_username"]
WINDOW = LIMITS["login_throttle_window_seconds"]
GRANT = PATHS[0]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def throttled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from throttled_server(request.param, tmp_path_factory.mktemp("throttled"))


@pytest.fixture
def hashes(throttled: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts the server's argon2 verifications (one entry each); the clock is reset afterwards."""
    calls: list[str] = []
    verify = throttled.ctx.passwords.verify

    def counting(password_hash: str | None, password: str) -> bool:
        calls.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(throttled.ctx.passwords, "verify", counting)
    yield calls
    throttled.clock.offset_ms = 0


def _wrong() -> str:
    return "wrong-" + secrets.token_hex(4)


def _rate_exceeded_rows(server: Server, user: User) -> list[dict[str, object]]:
    return server.login_history_of(user_id=user.id, status=LOGIN_RATE_EXCEEDED)


@pytest.mark.attack("OWASP ASVS 4.0.3 V2.2.1")
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_when_one_address_keeps_guessing_then_it_is_refused_before_hashing(
    throttled: Server, hashes: list[str], path: PasswordPath
) -> None:
    user, attacker = throttled.create_user(), new_ip()
    for _ in range(PER_NAME_AND_IP):
        assert path.refused(path.attempt(throttled, attacker, user.username, _wrong()))
    assert len(hashes) == PER_NAME_AND_IP
    hashes.clear()

    with nothing_issued(throttled):
        guessed = path.attempt(throttled, attacker, user.username, _wrong())
        right = path.attempt(throttled, attacker, user.username, PASSWORD)  # even the right one, now

    assert path.rate_limited(guessed), guessed.text
    assert path.rate_limited(right), right.text
    assert hashes == []  # refused before any argon2 work
    assert len(_rate_exceeded_rows(throttled, user)) == 1  # recorded, once
    throttled.clock.advance(WINDOW + 1)  # the window passes: the address may try again
    assert path.succeeded(path.attempt(throttled, attacker, user.username, PASSWORD))


@pytest.mark.attack("OWASP ASVS 4.0.3 V2.2.1")
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_when_an_attacker_hammers_a_victims_name_then_the_victim_still_logs_in_from_elsewhere(
    throttled: Server, hashes: list[str], path: PasswordPath
) -> None:
    victim, attacker = throttled.create_user(), new_ip()
    for _ in range(PER_NAME + 5):  # past the per-(name, address) limit and the per-name ceiling
        answer = path.attempt(throttled, attacker, victim.username, _wrong())
        assert path.refused(answer) or path.rate_limited(answer)
    assert path.rate_limited(path.attempt(throttled, attacker, victim.username, PASSWORD))

    assert path.succeeded(path.attempt(throttled, new_ip(), victim.username, PASSWORD))


@pytest.mark.attack("OWASP ASVS 4.0.3 V2.2.1")
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_when_one_address_sprays_many_usernames_then_it_is_refused_before_hashing(
    throttled: Server, hashes: list[str], path: PasswordPath
) -> None:
    user, sprayer = throttled.create_user(), new_ip()
    for _ in range(PER_IP):  # a different name each time: only the per-address limit sees them all
        name = f"nobody-{secrets.token_hex(4)}@example.com"
        assert path.refused(path.attempt(throttled, sprayer, name, "Summer2026!"))
    hashes.clear()

    with nothing_issued(throttled):
        answer = path.attempt(throttled, sprayer, user.username, PASSWORD)

    assert path.rate_limited(answer), answer.text
    assert hashes == []


@pytest.mark.attack("OWASP ASVS 4.0.3 V2.2.1")
def test_when_many_addresses_guess_one_account_then_each_is_refused_after_its_first_failure(
    throttled: Server, hashes: list[str]
) -> None:
    victim = throttled.create_user()
    failures = 0
    while failures < PER_NAME:  # addresses within their own allowance reach the name's ceiling
        address = new_ip()
        for _ in range(min(PER_NAME_AND_IP, PER_NAME - failures)):
            assert GRANT.refused(GRANT.attempt(throttled, address, victim.username, _wrong()))
            failures += 1
    late = new_ip()
    assert GRANT.refused(GRANT.attempt(throttled, late, victim.username, _wrong()))  # its first try
    hashes.clear()

    with nothing_issued(throttled):
        second = GRANT.attempt(throttled, late, victim.username, PASSWORD)

    assert GRANT.rate_limited(second), second.text
    assert hashes == []
    assert GRANT.succeeded(GRANT.attempt(throttled, new_ip(), victim.username, PASSWORD))


@pytest.mark.attack("Salesforce: Login Rate Exceeded (Help article 000381578)")
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_when_an_integration_logs_in_often_then_its_successes_use_up_no_allowance(
    throttled: Server, hashes: list[str], path: PasswordPath
) -> None:
    user, integration = throttled.create_user(), new_ip()
    for _ in range(PER_IP + 2):  # more logins than any limit: only failures count
        assert path.succeeded(path.attempt(throttled, integration, user.username, PASSWORD))
    assert len(hashes) == PER_IP + 2
