"""The Setup Audit Trail: every configuration change through the admin API or the CLI is recorded with
who made it, through what and from where, in the change's transaction (a refused change leaves no entry),
never with a secret; ``GET /admin/api/v1/audit-trail`` and ``forcegate audit-trail`` list it. Over real
HTTP on every backend; the CLI also against the server's own database."""

from __future__ import annotations

import csv
import getpass
import io
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from forcegate.org.audit import CSV_COLUMNS, SECRET_CHANGED
from forcegate.storage import repositories as repo
from tests.support.admin_api import ADMIN, CALLBACK, Api, access_token, api_for
from tests.support.admin_cli import Cli
from tests.support.browser import forms, submit
from tests.support.jwt_bearer import key_pair
from tests.support.server import PASSWORD, Server

TRAIL = "/audit-trail"


class Admin:
    """An administrator of the shared server, with its own token: its entries are its own."""

    def __init__(self, server: Server) -> None:
        self.user = server.create_user(profile=ADMIN)
        self.api = Api(server, access_token(server, self.user.username))

    def trail(self, **query: Any) -> list[dict[str, Any]]:
        found = self.api.ok("GET", TRAIL, params={"user": self.user.username, **query})
        assert isinstance(found, list)
        return found

    def create_app(self, **changes: Any) -> dict[str, Any]:
        body = {
            "name": f"audited-{secrets.token_hex(4)}",
            "callback_urls": ["https://a.example.com/cb"],
            "scopes": "api",
            **changes,
        }
        created = self.api.ok("POST", "/connected-apps", 201, json=body)
        assert isinstance(created, dict)
        return created


@pytest.fixture
def admin(server: Server) -> Admin:
    return Admin(server)


def _error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()[0]["errorCode"])


def test_when_admin_api_changes_an_app_then_entries_name_the_admin_channel_and_ip(admin: Admin) -> None:
    app = admin.create_app()
    admin.api.ok(
        "PATCH", f"/connected-apps/{app['id']}", json={"callback_urls": ["https://b.example.com/cb"]}
    )

    updated, created = admin.trail()

    for entry in (updated, created):
        assert entry["user"] == admin.user.username and entry["user_id"] == admin.user.id
        assert entry["channel"] == "admin_api" and entry["source_ip"] == "127.0.0.1"
        assert entry["section"] == "Connected Apps" and entry["target"] == app["name"]
    assert created["action"] == "connected_app.created"
    assert created["display"] == f'Created connected app "{app["name"]}"'
    assert updated["action"] == "connected_app.updated"
    assert updated["changes"] == [
        {"field": "callback_urls", "old": ["https://a.example.com/cb"], "new": ["https://b.example.com/cb"]}
    ]
    assert (
        "https://a.example.com/cb" in updated["display"] and "https://b.example.com/cb" in updated["display"]
    )
    assert updated["date"].endswith("Z") and updated["created_ms"] >= created["created_ms"]


def test_when_user_changed_then_each_act_is_an_entry_of_manage_users(server: Server, admin: Admin) -> None:
    user = server.create_user(profile="Standard User")

    admin.api.ok(
        "PATCH", f"/users/{user.id}",
        json={"profile": "Minimum Access", "is_active": False, "unlock": True, "first_name": "Eve"},
    )  # fmt: skip

    by_action = {e["action"]: e for e in admin.trail(section="Manage Users")}
    assert set(by_action) == {"user.profile_changed", "user.deactivated", "user.unlocked", "user.updated"}
    assert by_action["user.profile_changed"]["changes"] == [
        {"field": "profile", "old": "Standard User", "new": "Minimum Access"}
    ]
    assert by_action["user.deactivated"]["display"] == f"Deactivated user {user.username}"
    assert {e["target"] for e in by_action.values()} == {user.username}


def test_when_change_refused_then_nothing_is_recorded(server: Server, admin: Admin) -> None:
    app = admin.create_app()
    user = server.create_user()
    before = admin.trail()

    refusals = [
        ("PATCH", f"/connected-apps/{app['id']}", {"scopes": "api nonsense"}, 400),
        ("PATCH", f"/connected-apps/{app['id']}", {"refresh_token_policy": "specific_lifetime"}, 400),
        ("POST", "/connected-apps", {"name": app["name"], "callback_urls": [CALLBACK], "scopes": "api"}, 409),
        ("PATCH", f"/users/{user.id}", {"is_active": False, "profile": "No Such Profile"}, 400),
        ("PATCH", "/profiles/Standard User", {"api_enabled": False, "object_permissions": {"Nope": {}}}, 400),
        ("POST", f"/connected-apps/{app['id']}/revoke-old-secret", {}, 409),
    ]
    for method, path, body, status in refusals:
        response = admin.api.call(method, path, json=body)
        assert response.status_code == status, (path, response.text)

    assert admin.trail() == before
    with server.ctx.db.read() as conn:  # nor did the refused changes happen
        unchanged = repo.user_by_id(conn, user.id)
    assert unchanged is not None and unchanged.is_active


def test_secrets_never_appear_in_the_trail(server: Server, admin: Admin, tmp_path: Path) -> None:
    app = admin.create_app()
    rotated = admin.api.ok("POST", f"/connected-apps/{app['id']}/rotate-secret")
    certificate = key_pair().certificate_pem
    admin.api.ok("PATCH", f"/connected-apps/{app['id']}", json={"certificate_pem": certificate})
    user = server.create_user()
    password = f"New-passw0rd-{secrets.token_hex(6)}"
    reset = admin.api.ok("PATCH", f"/users/{user.id}", json={"password": password})

    trail = admin.trail()
    shown = json.dumps(trail)
    pem_body = "".join(certificate.strip().splitlines()[1:-1])
    for secret in (app["consumer_secret"], rotated["consumer_secret"], password, reset["security_token"]):
        assert secret not in shown
    assert "BEGIN CERTIFICATE" not in shown and pem_body[:40] not in shown
    by_action = {e["action"]: e for e in trail}
    assert by_action["connected_app.secret_rotated"]["changes"] == [
        {"field": "consumer_secret", "old": None, "new": SECRET_CHANGED}
    ]
    assert by_action["user.password_reset"]["changes"] == [
        {"field": "password", "old": None, "new": SECRET_CHANGED},
        {"field": "security_token", "old": None, "new": SECRET_CHANGED},
    ]
    digest = x509.load_pem_x509_certificate(certificate.encode()).fingerprint(hashes.SHA256())
    fingerprint = "SHA-256 " + ":".join(f"{b:02X}" for b in digest)
    certificate_change = by_action["connected_app.updated"]["changes"]
    assert {"field": "certificate_pem", "old": None, "new": fingerprint} in certificate_change


def test_filters_and_paging(server: Server, admin: Admin) -> None:
    names = []
    for _ in range(3):
        names.append(admin.create_app()["name"])
        server.clock.advance(1)  # one entry per second: since/until can tell them apart
    admin.api.ok("POST", "/permission-sets", 201, json={"name": f"Audited{secrets.token_hex(3)}"})

    newest_first = [e["target"] for e in admin.trail(action="connected_app.created")]
    assert newest_first == names[::-1]
    pages = [admin.trail(section="connected apps", limit="2", offset=str(n)) for n in (0, 2, 4)]
    assert [[e["target"] for e in page] for page in pages] == [names[:0:-1], names[:1], []]
    second = admin.trail(action="connected_app.created")[1]
    assert [e["target"] for e in admin.trail(section="Connected Apps", since=second["date"])] == names[:0:-1]
    assert [e["target"] for e in admin.trail(until=second["date"])] == names[:1]
    assert [e["action"] for e in admin.trail(section="Manage Users")] == ["permission_set.created"]
    assert admin.api.ok("GET", TRAIL, params={"user": "nobody@example.com"}) == []


def test_when_caller_may_not_manage_users_then_403(server: Server) -> None:
    response = api_for(server, profile="Standard User").call("GET", TRAIL)

    assert _error_code(response, 403) == "INSUFFICIENT_ACCESS"


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "2001"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"since": "yesterday"},
        {"until": "2026-13-01"},
        {"sort": "date"},
        {"user": "a\x00b"},
    ],
)
def test_when_query_parameter_is_bad_then_400(admin: Admin, query: dict[str, str]) -> None:
    response = admin.api.call("GET", TRAIL, params=query)

    assert _error_code(response, 400) == "FIELD_INTEGRITY_EXCEPTION"


def test_when_cli_changes_the_servers_org_then_the_entry_says_cli(
    server: Server, admin: Admin, tmp_path: Path
) -> None:
    name = f"cli-audited-{secrets.token_hex(4)}"
    settings = server.ctx.settings
    cli = Cli(tmp_path)

    result = cli.run(
        "apps", "create", "--name", name, "--callback-url", CALLBACK, "--scopes", "api",
        "--database", settings.database_url, database=False, FORCEGATE_SERVER_KEYS=settings.server_keys or "",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    username = f"cli:{getpass.getuser()}"
    found = admin.api.ok("GET", TRAIL, params={"user": username, "action": "connected_app.created"})
    entry = next(e for e in found if e["target"] == name)
    assert entry["channel"] == "cli" and entry["user"] == username
    assert entry["user_id"] is None and entry["source_ip"] is None


def test_the_cli_lists_the_trail_as_table_csv_and_json(cli: Cli) -> None:
    app = cli.create_app("Audited")
    cli.json("apps", "update", "Audited", "--scopes", "api refresh_token")

    entries = cli.json(
        "audit-trail", "--format", "json", "--section", "Connected Apps", "--user", "cli:" + getpass.getuser()
    )
    assert [e["action"] for e in entries] == ["connected_app.updated", "connected_app.created"]
    assert app["consumer_secret"] not in json.dumps(entries)

    rows = list(csv.reader(io.StringIO(cli.run("audit-trail", "--format", "csv", "--limit", "2").stdout)))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 3
    date, user, source_ip, channel, section, action, target = rows[1]
    assert (user, source_ip, channel, section, target) == (
        f"cli:{getpass.getuser()}",
        "",
        "cli",
        "Connected Apps",
        "Audited",
    )
    assert action.startswith(
        'Changed connected app "Audited": scopes from api refresh_token openid to api refresh_token'
    )
    assert date.endswith("Z")

    table = cli.run("audit-trail").stdout.splitlines()
    assert table[0].split() == ["Date", "User", "Source", "IP", "Channel", "Section", "Action", "Target"]
    assert any('Created connected app "Audited"' in line for line in table[1:])
    # forcegate's own set-up of a new org (the PlatformCLI app) is the system's.
    assert any(" system " in line and "PlatformCLI" in line for line in table[1:])

    assert "since must be an ISO-8601" in cli.refusal("audit-trail", "--since", "last week")


def test_when_setup_in_the_browser_changes_something_then_the_entry_says_console(
    server: Server, admin: Admin
) -> None:
    with server.client() as browser:
        page = browser.get("/setup/login")
        assert submit(browser, page, username=admin.user.username, password=PASSWORD).status_code == 302
        page = browser.get("/setup/profiles/new")
        (form,) = [f for f in forms(page.text) if f["action"] == "/setup/profiles/new"]
        name = f"Audited Profile {secrets.token_hex(3)}"
        created = browser.post("/setup/profiles/new", data={**form["fields"], "name": name})  # type: ignore[dict-item]
        assert created.status_code == 302, created.text

    (entry,) = admin.trail(action="profile.created")
    assert entry["channel"] == "console" and entry["source_ip"] == "127.0.0.1"
    assert entry["user_id"] == admin.user.id
    assert entry["section"] == "Manage Users" and entry["target"] == name
