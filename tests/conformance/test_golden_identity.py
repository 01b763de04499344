"""Golden files of userinfo and the identity URL, and their refusals (tests/conformance/golden/README.md)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conformance.conftest import GoldenOrg
from tests.support.golden import assert_golden, exchange


def _token(golden_org: GoldenOrg, app_name: str, scopes: str) -> str:
    return golden_org.token(app_name, scopes=scopes)


def _get(golden_org: GoldenOrg, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    with golden_org.server.client() as client:
        return client.get(path, headers=headers, **kwargs)


def test_userinfo(golden_org: GoldenOrg) -> None:
    """userinfo by scope: ``id`` releases every claim, ``api`` alone the ones about the account."""
    document = {
        scopes.replace(" ", "_"): exchange(
            golden_org.normaliser(),
            _get(
                golden_org,
                "/services/oauth2/userinfo",
                _token(golden_org, f"userinfo-{scopes.replace(' ', '-')}", scopes),
            ),
            f"GET /services/oauth2/userinfo (scopes: {scopes})",
        )
        for scopes in ("api id", "api", "api openid profile email")
    }
    assert_golden("userinfo", document)


def test_identity(golden_org: GoldenOrg) -> None:
    token = _token(golden_org, "identity", "api id")
    server = golden_org.server
    path = f"/id/{server.org_id}/{golden_org.user().id}"
    normaliser = golden_org.normaliser()
    document = {
        "bearer": exchange(normaliser, _get(golden_org, path, token)),
        "version_latest": exchange(
            normaliser,
            _get(golden_org, path, token, params={"version": "latest"}),
            f"GET {path}?version=latest",
        ),
    }
    with server.client() as client:
        by_query = client.get(path, params={"oauth_token": token})
    document["oauth_token_parameter"] = exchange(normaliser, by_query, f"GET {path}?oauth_token=")
    assert_golden("identity", document)


def test_userinfo_and_identity_refusals(golden_org: GoldenOrg) -> None:
    token = _token(golden_org, "identity", "api id")
    other = golden_org.user("other")
    org_id = golden_org.server.org_id
    own = f"/id/{org_id}/{golden_org.user().id}"
    normaliser = golden_org.normaliser()
    cases = {
        "userinfo_no_token": ("/services/oauth2/userinfo", None),
        "userinfo_unknown_token": ("/services/oauth2/userinfo", "00D000000000000!" + "x" * 90),
        "userinfo_malformed_token": ("/services/oauth2/userinfo", "not a token"),
        "identity_no_token": (own, None),
        "identity_unknown_token": (own, "00D000000000000!" + "x" * 90),
        "identity_other_user": (f"/id/{org_id}/{other.id}", token),
        "identity_malformed_id": (f"/id/{org_id}/not-an-id", token),
    }
    document = {
        name: exchange(
            normaliser, _get(golden_org, path, bearer), f"GET {path} ({'Bearer' if bearer else 'no token'})"
        )
        for name, (path, bearer) in cases.items()
    }
    assert_golden("identity_errors", document)
