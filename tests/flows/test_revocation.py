"""Token revocation (POST /services/oauth2/revoke and GET ?token=) over real HTTP, on every backend:
what each kind of token takes down with it, exactly-200 success, the one answer for every token that
is not live, and the request shapes real clients send."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator

import httpx

from forcegate.domain import ConnectedApp, User
from tests.support.server import Server
from tests.support.tokens import (
    assert_invalid_session,
    assert_refresh_refused,
    assert_works,
    client_credentials_app,
    client_credentials_token,
    refresh,
    refreshed_access_token,
    web_server_tokens,
)

REVOKE = "/services/oauth2/revoke"
INVALID_TOKEN = {"error": "invalid_token", "error_description": "invalid token"}


def _revoke(server: Server, **form: str) -> httpx.Response:
    with server.client() as client:
        return client.post(REVOKE, data=form)


def _assert_revoked(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.content == b""


def _assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == INVALID_TOKEN


def _family(server: Server, **app_options: object) -> tuple[ConnectedApp, str, User, dict[str, str]]:
    app, secret = server.create_app(**app_options)
    user = server.create_user()
    return app, secret, user, web_server_tokens(server, app, secret, user)


# --- what a revocation takes down -------------------------------------------------------------------


def test_when_access_token_revoked_then_200_and_that_session_only_ends_at_once(server: Server) -> None:
    app, secret, _user, tokens = _family(server)
    sibling = refreshed_access_token(server, app, secret, tokens["refresh_token"])

    _assert_revoked(_revoke(server, token=tokens["access_token"]))

    assert_invalid_session(server, tokens["access_token"])
    assert_works(server, sibling)  # the family lives on: one session ended
    assert_works(server, refreshed_access_token(server, app, secret, tokens["refresh_token"]))


def test_when_refresh_token_revoked_then_every_access_token_issued_from_it_fails_at_once(
    server: Server,
) -> None:
    app, secret, _user, tokens = _family(server)
    children = [refreshed_access_token(server, app, secret, tokens["refresh_token"]) for _ in range(2)]
    for token in [tokens["access_token"], *children]:
        assert_works(server, token)

    _assert_revoked(_revoke(server, token=tokens["refresh_token"]))

    for token in [tokens["access_token"], *children]:
        assert_invalid_session(server, token)
    assert_refresh_refused(server, app, secret, tokens["refresh_token"])


def test_when_revoked_with_get_query_token_then_revoked_as_the_mobile_sdk_does(server: Server) -> None:
    app, secret, _user, tokens = _family(server)

    with server.client() as client:
        response = client.get(REVOKE, params={"token": tokens["refresh_token"]})

    _assert_revoked(response)
    assert_invalid_session(server, tokens["access_token"])
    assert_refresh_refused(server, app, secret, tokens["refresh_token"])


def test_when_rotated_refresh_token_revoked_then_the_whole_family_is_revoked(server: Server) -> None:
    app, secret, _user, tokens = _family(server, refresh_token_rotation=True)
    response = refresh(server, app, secret, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    successor = response.json()

    _assert_revoked(_revoke(server, token=tokens["refresh_token"]))

    assert_invalid_session(server, successor["access_token"])
    assert_refresh_refused(server, app, secret, successor["refresh_token"])


def test_when_client_credentials_token_revoked_then_it_fails_at_once(server: Server) -> None:
    app, secret, _user = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)

    _assert_revoked(_revoke(server, token=token, token_type_hint="access_token"))

    assert_invalid_session(server, token)


# --- the same answer for every token that is not live ---------------------------------------------------


def test_when_token_not_live_then_the_same_400_invalid_token_whatever_the_reason(server: Server) -> None:
    app, secret, _user, tokens = _family(server, access_token_lifetime_seconds=60)
    revoked = refreshed_access_token(server, app, secret, tokens["refresh_token"])
    _assert_revoked(_revoke(server, token=revoked))
    expired = tokens["access_token"]
    server.clock.advance(61)
    unknown = f"{server.org_id[:15]}!{secrets.token_urlsafe(32)}"

    answers = [
        _revoke(server, token=unknown),
        _revoke(server, token=revoked),  # already revoked
        _revoke(server, token=expired),
        _revoke(server, token="x" * 5000),  # longer than any token of ours
        _revoke(server, token="not a token at all"),
        _revoke(server, token=""),
        _revoke(server),  # no token at all
    ]

    for response in answers:
        _assert_invalid_token(response)


def test_when_refresh_token_revoked_twice_then_second_is_invalid_token(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)
    _assert_revoked(_revoke(server, token=tokens["refresh_token"]))

    _assert_invalid_token(_revoke(server, token=tokens["refresh_token"]))


def test_when_client_authenticates_then_it_cannot_revoke_another_apps_token(server: Server) -> None:
    _app, _secret, _user, victim = _family(server)
    other, other_secret = server.create_app()

    response = _revoke(
        server, token=victim["access_token"], client_id=other.consumer_key, client_secret=other_secret
    )

    _assert_invalid_token(response)
    assert_works(server, victim["access_token"])


def test_when_client_secret_wrong_then_invalid_client_and_login_history_row(server: Server) -> None:
    app, _secret, _user, tokens = _family(server)

    response = _revoke(
        server, token=tokens["access_token"], client_id=app.consumer_key, client_secret="wrong"
    )

    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}
    assert_works(server, tokens["access_token"])
    assert ("revocation", "Failed: Invalid Client Credentials") in {
        (row["flow"], row["status"]) for row in server.login_history_of(app_id=app.id)
    }


def test_when_client_id_unknown_then_invalid_client_id(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)

    response = _revoke(server, token=tokens["access_token"], client_id="3MVG9nosuchclient")

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_id"
    assert_works(server, tokens["access_token"])


def test_when_token_type_hint_unknown_then_unsupported_token_type(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)

    response = _revoke(server, token=tokens["access_token"], token_type_hint="id_token")

    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": "unsupported_token_type",
        "error_description": "token type not supported",
    }
    assert_works(server, tokens["access_token"])


def test_when_token_sent_twice_with_different_values_then_invalid_request(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)

    with server.client() as client:
        response = client.post(
            REVOKE,
            content=f"token={tokens['access_token']}&token=other",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert_works(server, tokens["access_token"])


# --- what real clients send -------------------------------------------------------------------------


def test_when_body_chunked_without_content_length_then_revoked_as_jsforce_sends_it(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)
    body = f"token={tokens['access_token']}".encode()

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    with server.client() as client:
        response = client.post(
            REVOKE,
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        )

    _assert_revoked(response)
    assert_invalid_session(server, tokens["access_token"])


def test_when_client_authenticates_with_basic_then_revoked_as_openid_client_sends_it(server: Server) -> None:
    app, secret, _user, tokens = _family(server)
    basic = base64.b64encode(f"{app.consumer_key}:{secret}".encode()).decode()

    with server.client() as client:
        response = client.post(
            REVOKE,
            data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
            headers={"Authorization": f"Basic {basic}"},
        )

    _assert_revoked(response)
    assert_invalid_session(server, tokens["access_token"])


def test_when_multipart_body_then_revoked(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)

    with server.client() as client:
        response = client.post(REVOKE, files={"token": (None, tokens["access_token"])})

    _assert_revoked(response)
    assert_invalid_session(server, tokens["access_token"])


def test_when_jwt_access_token_revoked_then_it_fails_here_at_once(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server, jwt_access_tokens=True)
    assert tokens["access_token"].count(".") == 2  # a signed JWT, not an opaque session id
    assert_works(server, tokens["access_token"])

    _assert_revoked(_revoke(server, token=tokens["access_token"]))

    assert_invalid_session(server, tokens["access_token"])
