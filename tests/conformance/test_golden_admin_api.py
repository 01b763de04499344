"""Golden file of the admin API's error bodies: 401, 403, 400 (parsing and validation), 404, 405, 409
(tests/conformance/golden/README.md). The admin API's success shapes are pinned in tests/admin/golden/."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conformance.conftest import GoldenOrg
from tests.support.golden import assert_golden, exchange

ADMIN = "/admin/api/v1"


def _client(golden_org: GoldenOrg, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return golden_org.server.client(headers=headers)


def test_admin_api_errors(golden_org: GoldenOrg) -> None:
    admin = golden_org.admin_token()
    standard = golden_org.token("admin-standard-user")
    no_api = golden_org.token("admin-no-api-scope", "admin", "System Administrator", scopes="id")
    api_disabled = golden_org.token("minimum", "minimum", golden_org.profile("minimum"))
    golden_org.app("web")  # the app the validation cases change (refused: it stays as it is)
    golden_org.app("rotated")
    normaliser = golden_org.normaliser()
    # (token, method, path, request options)
    cases: dict[str, tuple[str | None, str, str, dict[str, Any]]] = {
        "401_no_token": (None, "GET", f"{ADMIN}/connected-apps", {}),
        "401_unknown_token": ("00D000000000000!" + "x" * 90, "GET", f"{ADMIN}/connected-apps", {}),
        "401_token_without_api_scope": (no_api, "GET", f"{ADMIN}/connected-apps", {}),
        "401_no_token_with_body": (None, "POST", f"{ADMIN}/connected-apps", {"json": {}}),
        "403_profile_may_not": (standard, "GET", f"{ADMIN}/users", {}),
        "403_api_disabled": (api_disabled, "GET", f"{ADMIN}/users", {}),
        "400_malformed_json": (
            admin,
            "POST",
            f"{ADMIN}/connected-apps",
            {"content": b"{nope", "headers": {"Content-Type": "application/json"}},
        ),
        "400_not_an_object": (admin, "POST", f"{ADMIN}/connected-apps", {"json": ["a"]}),
        "400_missing_field": (
            admin,
            "POST",
            f"{ADMIN}/connected-apps",
            {"json": {"callback_urls": [], "scopes": "api"}},
        ),
        "400_unknown_field": (
            admin,
            "POST",
            f"{ADMIN}/connected-apps",
            {
                "json": {
                    "name": "golden-x",
                    "callback_urls": ["https://a.example.com/cb"],
                    "scopes": "api",
                    "colour": "red",
                }
            },
        ),
        "400_wrong_type": (
            admin,
            "PATCH",
            f"{ADMIN}/connected-apps/golden-web",
            {"json": {"device_flow_enabled": "yes"}},
        ),
        "400_out_of_bounds": (
            admin,
            "PATCH",
            f"{ADMIN}/connected-apps/golden-web",
            {"json": {"access_token_lifetime_seconds": 1}},
        ),
        "400_bad_choice": (
            admin,
            "PATCH",
            f"{ADMIN}/connected-apps/golden-web",
            {"json": {"permitted_users": "everyone"}},
        ),
        "400_unknown_scope": (
            admin,
            "PATCH",
            f"{ADMIN}/connected-apps/golden-web",
            {"json": {"scopes": "api bogus"}},
        ),
        "400_bad_callback_url": (
            admin,
            "PATCH",
            f"{ADMIN}/connected-apps/golden-web",
            {"json": {"callback_urls": ["not a url"]}},
        ),
        "400_user_bad_password": (
            admin,
            "POST",
            f"{ADMIN}/users",
            {"json": {"username": "golden-weak@golden.example.com", "password": "short"}},
        ),
        "400_user_unknown_profile": (
            admin,
            "POST",
            f"{ADMIN}/users",
            {
                "json": {
                    "username": "golden-noprofile@golden.example.com",
                    "password": "Passw0rd-long-enough",
                    "profile": "Nope",
                }
            },
        ),
        "404_unknown_app": (admin, "GET", f"{ADMIN}/connected-apps/golden-no-such-app", {}),
        "404_unknown_user": (admin, "GET", f"{ADMIN}/users/005000000000000AAA", {}),
        "404_unknown_profile": (admin, "GET", f"{ADMIN}/profiles/Nope", {}),
        "404_unknown_route": (admin, "GET", f"{ADMIN}/nope", {}),
        "405_method_not_allowed": (admin, "PUT", f"{ADMIN}/connected-apps", {}),
        "409_duplicate_app_name": (
            admin,
            "POST",
            f"{ADMIN}/connected-apps",
            {"json": {"name": "golden-web", "callback_urls": ["https://a.example.com/cb"], "scopes": "api"}},
        ),
        "409_duplicate_username": (
            admin,
            "POST",
            f"{ADMIN}/users",
            {"json": {"username": "golden-user@golden.example.com", "password": "Passw0rd-long-enough"}},
        ),
        "409_second_rotation": (admin, "POST", f"{ADMIN}/connected-apps/golden-rotated/rotate-secret", {}),
    }
    document: dict[str, Any] = {}
    for name, (token, method, path, options) in cases.items():
        with _client(golden_org, token) as client:
            if name == "409_second_rotation":
                client.post(path)  # the first rotation; the second is refused until the old secret goes
            response = client.request(method, path, **options)
            if name == "409_second_rotation":
                client.post(f"{ADMIN}/connected-apps/golden-rotated/revoke-old-secret")
        document[name] = exchange(normaliser, response)
    assert_golden("admin_api_errors", document)
