"""One bearer check (``forcegate.flows.bearer``) for the four protected REST surfaces: the data API, the
admin API, userinfo and the identity URL. Over real HTTP, on every backend.

- a token longer than ``MAX_TOKEN_LENGTH`` gets the same 401 on each, without a database lookup;
  one of exactly that length is looked up (the limit is the same one, not four);
- a revoked token is refused on each;
- each surface keeps its own answer around the shared refusal: the admin API's 401 has never carried
  the ``WWW-Authenticate`` challenge the other three send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from forcegate.domain import User
from forcegate.protocol.token_management import MAX_TOKEN_LENGTH
from forcegate.storage import repositories
from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import Server

INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
CHALLENGE = 'Bearer error="invalid_token"'


def _surfaces(user: User) -> dict[str, tuple[str, bool]]:
    """Each surface: a GET path and whether its 401 carries the bearer challenge."""
    return {
        "data API": (DATA, True),
        "admin API": ("/admin/api/v1/users", False),
        "userinfo": ("/services/oauth2/userinfo", True),
        "identity URL": (f"/id/{user.org_id}/{user.id}", True),
    }


@pytest.fixture
def admin(server: Server) -> User:
    return server.create_user(profile="System Administrator")


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every token-hash lookup the server makes while the test runs (it runs in this process)."""
    seen: list[str] = []
    real: Callable[..., object] = repositories.active_access_token

    def counting(conn: object, token_hash: str, now_ms: int) -> object:
        seen.append(token_hash)
        return real(conn, token_hash, now_ms)

    monkeypatch.setattr(repositories, "active_access_token", counting)
    yield seen


def _assert_refused(response: httpx.Response, surface: str, challenge: bool) -> None:
    assert response.status_code == 401, (surface, response.text)
    assert response.json() == INVALID_SESSION, surface
    assert (response.headers.get("www-authenticate") == CHALLENGE) is challenge, surface


def test_a_too_long_token_is_refused_alike_everywhere_without_a_lookup(
    server: Server, admin: User, lookups: list[str]
) -> None:
    too_long = "x" * (MAX_TOKEN_LENGTH + 1)
    with server.client() as client:
        for surface, (path, challenge) in _surfaces(admin).items():
            _assert_refused(client.get(path, headers=bearer(too_long)), surface, challenge)
        # The identity URL also takes the token as ?oauth_token= (jsforce): the same limit applies.
        identity, _ = _surfaces(admin)["identity URL"]
        _assert_refused(client.get(identity, params={"oauth_token": too_long}), "identity ?oauth_token", True)
    assert lookups == []

    # At the limit the token is looked up (and, unknown, refused the same way) on every surface.
    at_limit = "x" * MAX_TOKEN_LENGTH
    with server.client() as client:
        for surface, (path, challenge) in _surfaces(admin).items():
            _assert_refused(client.get(path, headers=bearer(at_limit)), surface, challenge)
    assert len(lookups) == len(_surfaces(admin))


def test_a_revoked_token_is_refused_everywhere(server: Server, admin: User) -> None:
    token = token_for(server, admin)
    with server.client(headers=bearer(token)) as client:
        for surface, (path, _) in _surfaces(admin).items():
            assert client.get(path).status_code == 200, surface
    with server.client() as client:
        assert client.post("/services/oauth2/revoke", data={"token": token}).status_code == 200
    with server.client(headers=bearer(token)) as client:
        for surface, (path, challenge) in _surfaces(admin).items():
            _assert_refused(client.get(path), surface, challenge)
