"""App Manager in Setup (issue 12, items 2 and 3's first part) over plain HTTP: the list, New Connected
App with its one-time secret, the app's page and staged rotation, Edit, Delete, Manage Access, and every
refusal of each."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from forcegate.domain import ConnectedApp
from forcegate.org import audit
from forcegate.org import connected_apps as apps
from forcegate.org.access import create_permission_set
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.browser import forms, log_in_to_setup, setup_csrf_token
from tests.support.jwt_bearer import key_pair
from tests.support.server import PASSWORD, Server
from tests.support.tokens import assert_invalid_session, assert_works, web_server_tokens

ADMIN = "System Administrator"
CALLBACK = "https://app.example.com/oauth/callback"
LOOPBACK = "http://localhost:1717/OauthRedirect"
SECRET = re.compile(r'id="consumer-secret">([0-9A-F]{64})<')
KEY = re.compile(r'id="consumer-key">(3MVG9\w+)<')


@dataclass
class Console:
    """An administrator's browser on Setup (no JavaScript): pages fetched, forms posted with CSRF."""

    client: httpx.Client
    csrf_token: str

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.csrf_token, **(data or {})}, **kwargs)


@pytest.fixture
def console(server: Server) -> Iterator[Console]:
    admin = server.create_user(profile=ADMIN)
    with server.client() as client:
        assert log_in_to_setup(client, admin.username, PASSWORD).status_code == 302
        yield Console(client, setup_csrf_token(client.get("/setup")))


def app_form(**changes: Any) -> dict[str, Any]:
    """New Connected App as a browser posts it (checked boxes only); ``None`` leaves a field out."""
    data: dict[str, Any] = {
        "name": f"Setup app {secrets.token_hex(4)}",
        "contact_email": "owner@example.com",
        "description": "The team's integration",
        "enable_oauth_settings": "true",
        "callback_urls": f"{CALLBACK}\r\n{LOOPBACK}\r\n",
        "scopes": ["api", "refresh_token"],
        "require_secret_for_web_server": "true",
        "user_agent_flow_enabled": "true",
        "client_credentials_user": "",
        "certificate_pem": "",
        "permitted_users": "all_self_authorize",
        "ip_relaxation": "ENFORCE",
        "refresh_token_policy": "until_revoked",
        "refresh_token_validity_seconds": "",
        "access_token_lifetime_seconds": "7200",
        "is_enabled": "true",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def stored(server: Server, name: str) -> ConnectedApp | None:
    with server.ctx.db.read() as conn:
        return repo.app_by_name(conn, server.org_id, name)


def create(console: Console, server: Server, **changes: Any) -> tuple[ConnectedApp, str]:
    """Register an app through New Connected App; the app and the secret its page revealed."""
    data = app_form(**changes)
    page = console.post("/setup/apps/new", data)
    assert page.status_code == 201, page.text
    app = stored(server, data["name"])
    assert app is not None
    match = SECRET.search(page.text)
    assert match is not None
    return app, match.group(1)


def assert_no_secret(page: httpx.Response, *secrets_: str) -> None:
    assert page.status_code == 200, page.text
    assert 'id="consumer-secret"' not in page.text
    for secret in secrets_:
        assert secret not in page.text


# --- the list ---------------------------------------------------------------------------------------


def test_app_manager_lists_each_app_with_its_key_flows_state_and_last_use(
    server: Server, console: Console
) -> None:
    used, secret = server.create_app(device_flow_enabled=True)
    unused, _ = server.create_app(is_enabled=False, user_agent_flow_enabled=False)
    web_server_tokens(server, used, secret, server.create_user())

    page = console.get("/setup/apps")
    assert page.status_code == 200
    assert "<h1>App Manager</h1>" in page.text
    assert 'href="/setup/apps/new">New Connected App</a>' in page.text
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr>\s*<td><a href="/setup/apps/(\w+)">.*?</tr>', page.text, re.S)
    }
    assert used.consumer_key in rows[used.id] and f">{used.name}</a>" in rows[used.id]
    for flow in ("Web Server", "User-Agent", "Device"):
        assert f'<span class="badge">{flow}</span>' in rows[used.id]
    assert "Client Credentials" not in rows[used.id] and "JWT Bearer" not in rows[used.id]
    assert "Enabled" in rows[used.id] and "<time datetime=" in rows[used.id]
    assert '<span class="badge off">Disabled</span>' in rows[unused.id] and "Never" in rows[unused.id]
    assert "User-Agent" not in rows[unused.id]
    assert secret not in page.text


# --- New Connected App ------------------------------------------------------------------------------


def test_the_new_connected_app_form_has_the_seeds_fields(server: Server, console: Console) -> None:
    inactive = server.update_user(server.create_user(), is_active=False)
    active = server.create_user()
    page = console.get("/setup/apps/new")
    assert page.status_code == 200
    text = page.text
    for label in (
        "Connected App Name",
        "Contact Email",
        "Description",
        "Enable OAuth Settings",
        "Callback URL",
        "Selected OAuth Scopes",
        "Require Secret for Web Server Flow",
        "Require Proof Key for Code Exchange (PKCE)",
        "Enable User-Agent Flow",
        "Enable for Device Flow",
        "Enable Client Credentials Flow",
        "Run As",
        "Permitted Users",
        "Refresh Token Policy",
        "Enable Refresh Token Rotation",
        "Access Token Timeout (seconds)",
        "IP Relaxation",
        "Issue JSON Web Token (JWT)-based Access Tokens",
    ):
        assert f">{label}<" in text or f">{label} <" in text, label
    assert '<label for="field-enable-oauth-settings">Enable OAuth Settings</label>' in text
    # Unchecked, as on Salesforce's page: checking it is a step of the seed's walk-through.
    assert 'name="enable_oauth_settings" value="true" aria-describedby' in text
    assert '<input type="file" id="certificate-file" name="certificate_file"' in text
    assert '<textarea id="field-callback-urls" name="callback_urls"' in text
    assert 'value="refresh_token"' in text and "Perform requests at any time" in text  # with its words
    assert (
        '<option value="ENFORCE_RELAXREFRESH">Enforce IP restrictions, but relax for refresh tokens' in text
    )
    assert f'<option value="{active.id}">{active.username}</option>' in text
    assert inactive.username not in text  # Run As offers active users only
    (form,) = [f for f in forms(text) if f["action"] == "/setup/apps/new"]
    assert form["fields"]["csrf_token"] == console.csrf_token  # type: ignore[index]
    assert 'enctype="multipart/form-data"' in text


def test_save_shows_the_consumer_key_and_the_secret_once_and_never_again(
    server: Server, console: Console
) -> None:
    data = app_form(ip_relaxation="ENFORCE_RELAXREFRESH", require_pkce="true")
    page = console.post("/setup/apps/new", data)
    assert page.status_code == 201, page.text
    assert page.headers["cache-control"] == "no-store"
    app = stored(server, data["name"])
    assert app is not None
    key, secret = KEY.search(page.text), SECRET.search(page.text)
    assert key is not None and key.group(1) == app.consumer_key
    assert secret is not None and server.ctx.box.decrypt(app.consumer_secret_encrypted) == secret.group(1)
    assert 'data-copy="consumer-key"' in page.text and 'data-copy="consumer-secret"' in page.text
    view = apps.app_view(app)
    assert view["contact_email"] == "owner@example.com"
    assert view["description"] == "The team's integration"
    assert view["ip_relaxation"] == "ENFORCE_RELAXREFRESH"
    assert view["callback_urls"] == [CALLBACK, LOOPBACK] and view["scopes"] == "api refresh_token"
    assert view["require_pkce"] is True and view["device_flow_enabled"] is False

    for path in (
        f"/setup/apps/{app.id}",
        "/setup/apps",
        f"/setup/apps/{app.id}/edit",
        f"/setup/apps/{app.id}/access",
    ):
        assert_no_secret(console.get(path), secret.group(1))
    shown = console.get(f"/setup/apps/{app.id}")
    assert f'id="consumer-key">{app.consumer_key}<' in shown.text
    assert "Enforce IP restrictions, but relax for refresh tokens" in shown.text
    assert "owner@example.com" in shown.text


def test_a_client_credentials_app_runs_as_the_chosen_user(server: Server, console: Console) -> None:
    user = server.create_user()
    app, secret = create(console, server, client_credentials_enabled="true", client_credentials_user=user.id)
    assert app.client_credentials_user_id == user.id
    with server.client() as client:
        answer = client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret},
        )
    assert answer.status_code == 200, answer.text
    page = console.get(f"/setup/apps/{app.id}")
    assert f"<dt>Run As</dt><dd>{user.username}</dd>" in page.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"callback_urls": "http://app.example.com/cb"}, "callback-urls", "callback"),
        ({"callback_urls": ""}, "callback-urls", "at least one callback URL is required"),
        ({"scopes": []}, "scopes", "at least one scope is required"),
        ({"contact_email": "not an address"}, "contact-email", "contact_email is not a valid address"),
        ({"certificate_pem": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"},
         "certificate-pem", "certificate_pem is not a PEM X.509 certificate"),
        ({"name": ""}, "name", "name"),
        ({"enable_oauth_settings": None}, "enable-oauth-settings",
         "Enable OAuth Settings to give callback URLs"),
        ({"client_credentials_enabled": "true", "client_credentials_user": "005000000000000AAA"},
         "client-credentials-user", "no active user"),
        ({"refresh_token_policy": "expire_after"}, "refresh-token-validity-seconds",
         "needs refresh_token_validity"),
        ({"access_token_lifetime_seconds": "5"}, "access-token-lifetime-seconds", "between 60"),
    ],
)  # fmt: skip
def test_new_connected_app_refuses_a_mistake_on_its_field_and_stores_nothing(
    server: Server, console: Console, changes: dict[str, Any], field: str, message: str
) -> None:
    data = app_form(**changes)
    page = console.post("/setup/apps/new", data)
    assert page.status_code == 400, page.text
    error = re.search(rf'<p class="field-error" id="field-{field}-error">([^<]*)</p>', page.text)
    assert error is not None, page.text
    assert message in error.group(1)
    assert "Review the errors on this page." in page.text
    assert 'id="consumer-secret"' not in page.text
    if data.get("name"):
        assert stored(server, data["name"]) is None
        assert f'value="{data["name"]}"' in page.text  # what was typed is kept


def test_a_second_app_of_the_same_name_is_refused(server: Server, console: Console) -> None:
    app, _ = create(console, server)
    page = console.post("/setup/apps/new", app_form(name=app.name))
    assert page.status_code == 400
    assert f"a connected app named {app.name!r} already exists".replace("'", "&#39;") in page.text


def test_a_certificate_file_uploaded_enables_the_jwt_bearer_flow(server: Server, console: Console) -> None:
    keys = key_pair()
    data = app_form()
    files = {"certificate_file": ("server.crt", keys.certificate_pem.encode(), "application/x-pem-file")}
    page = console.post("/setup/apps/new", data, files=files)
    assert page.status_code == 201, page.text
    app = stored(server, data["name"])
    assert app is not None and app.jwt_bearer_enabled
    summary = apps.certificate_summary(app.certificate_pem)
    assert summary is not None
    shown = console.get(f"/setup/apps/{app.id}")
    assert "CN=forcegate jwt test" in shown.text and summary.fingerprint in shown.text
    assert "BEGIN CERTIFICATE" not in shown.text  # a summary, never the PEM dump
    assert '<span class="badge">JWT Bearer</span>' in shown.text


# --- the app's page and staged rotation -------------------------------------------------------------


def test_rotation_reveals_the_new_secret_once_and_revoking_the_old_one_ends_it(
    server: Server, console: Console
) -> None:
    app, first = create(console, server)
    path = f"/setup/apps/{app.id}"
    page = console.get(path)
    assert "Generate a new consumer secret" in page.text and "Revoke old secret" not in page.text

    refused = console.post(path + "/revoke-old-secret")
    assert refused.status_code == 409
    assert "no old consumer secret to revoke: rotate the secret first" in refused.text

    rotated = console.post(path + "/rotate-secret")
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    match = SECRET.search(rotated.text)
    assert match is not None and match.group(1) != first
    second = match.group(1)
    page = console.get(path)
    assert_no_secret(page, first, second)
    assert "Revoke old secret" in page.text and "Generate a new consumer secret" not in page.text

    again = console.post(path + "/rotate-secret")
    assert again.status_code == 409
    assert "an old consumer secret is still active" in again.text
    assert 'id="consumer-secret"' not in again.text

    revoked = console.post(path + "/revoke-old-secret")
    assert revoked.status_code == 302 and revoked.headers["location"] == path + "?notice=secret-revoked"
    page = console.get(revoked.headers["location"])
    assert "The old consumer secret was revoked" in page.text
    after = stored(server, app.name)
    assert after is not None and after.previous_consumer_secret_encrypted is None
    assert server.ctx.box.decrypt(after.consumer_secret_encrypted) == second


@pytest.mark.parametrize("ref", ["0H4000000000000AAA", "no-such-app", "%00"])
def test_an_unknown_app_gets_the_404_page_on_every_route(console: Console, ref: str) -> None:
    for suffix in ("", "/edit", "/delete", "/access"):
        page = console.get(f"/setup/apps/{ref}{suffix}")
        assert page.status_code == 404, suffix
        assert "No connected app has this ID" in page.text
    for suffix in (
        "/edit",
        "/delete",
        "/rotate-secret",
        "/revoke-old-secret",
        "/access",
        "/access/add",
        "/access/remove",
    ):
        assert console.post(f"/setup/apps/{ref}{suffix}").status_code == 404, suffix


def test_a_form_without_the_csrf_token_is_refused(server: Server, console: Console) -> None:
    app, _ = server.create_app()
    for path in ("/setup/apps/new", f"/setup/apps/{app.id}/delete", f"/setup/apps/{app.id}/rotate-secret"):
        answer = console.client.post(path, data={**app_form(), "csrf_token": "forged"})
        assert answer.status_code == 403, path
    assert stored(server, app.name) is not None


def test_a_user_without_the_admin_right_gets_403_on_app_manager(server: Server) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    with server.client() as client:
        log_in_to_setup(client, user.username, PASSWORD)
        for path in (
            "/setup/apps",
            "/setup/apps/new",
            f"/setup/apps/{app.id}",
            f"/setup/apps/{app.id}/access",
        ):
            assert client.get(path).status_code == 403, path


# --- Edit -------------------------------------------------------------------------------------------


def test_edit_shows_the_current_settings_and_saves_changes(server: Server, console: Console) -> None:
    app, secret = create(console, server, description="Before")
    path = f"/setup/apps/{app.id}"
    form = console.get(path + "/edit")
    assert_no_secret(form, secret)
    assert f'value="{app.name}"' in form.text and "Before" in form.text and "owner@example.com" in form.text
    assert 'id="field-scopes-api" name="scopes" value="api" checked' in form.text
    assert 'name="enable_oauth_settings" value="true" checked' in form.text

    keys = key_pair()
    changes = app_form(
        name=app.name + " renamed",
        description="After",
        ip_relaxation="BYPASS",
        scopes=["api", "refresh_token", "openid"],
        user_agent_flow_enabled=None,  # unchecked
    )
    files = {"certificate_file": ("jwt.pem", keys.certificate_pem.encode(), "application/x-pem-file")}
    saved = console.post(path + "/edit", changes, files=files)
    assert saved.status_code == 302 and saved.headers["location"] == path + "?notice=app-saved"
    page = console.get(saved.headers["location"])
    assert "The connected app was saved." in page.text
    after = stored(server, app.name + " renamed")
    assert after is not None and after.id == app.id
    assert after.description == "After" and after.ip_relaxation == "BYPASS"
    assert after.scopes == ("api", "refresh_token", "openid") and not after.user_agent_flow_enabled
    assert after.certificate_pem is not None and after.consumer_key == app.consumer_key
    assert "Relax IP restrictions" in page.text

    # Saved again without a new file: the certificate stays; "Remove the certificate" removes it.
    edit = console.get(path + "/edit")
    assert 'id="remove-certificate"' in edit.text
    kept = console.post(path + "/edit", {**changes, "certificate_pem": after.certificate_pem})
    assert kept.status_code == 302
    assert (stored(server, after.name) or app).jwt_bearer_enabled
    removed = console.post(path + "/edit", {**changes, "remove_certificate": "true"})
    assert removed.status_code == 302
    assert not (stored(server, after.name) or app).jwt_bearer_enabled


def test_edit_refuses_a_mistake_and_keeps_the_app(server: Server, console: Console) -> None:
    app, _ = create(console, server)
    other, _ = create(console, server)
    path = f"/setup/apps/{app.id}/edit"
    for changes, message in (
        ({"callback_urls": "ftp//nope"}, "callback"),
        ({"name": other.name}, "already exists"),
        ({"certificate_pem": "not a certificate"}, "certificate_pem is not a PEM X.509 certificate"),
        ({"contact_email": "nobody"}, "contact_email is not a valid address"),
        ({"enable_oauth_settings": None}, "Enable OAuth Settings"),
    ):
        page = console.post(path, app_form(**{"name": app.name, **changes}))
        assert page.status_code == 400, changes
        assert message in page.text.replace("&#39;", "'"), changes
    assert stored(server, app.name) == app


# --- Delete -----------------------------------------------------------------------------------------


def test_delete_asks_first_then_the_app_and_its_tokens_are_gone(server: Server, console: Console) -> None:
    app, secret = create(console, server)
    token = web_server_tokens(server, app, secret, server.create_user())["access_token"]
    assert_works(server, token)
    path = f"/setup/apps/{app.id}/delete"
    confirm = console.get(path)
    assert confirm.status_code == 200
    assert f"Delete {app.name}" in confirm.text and "revokes every token" in confirm.text
    assert [f for f in forms(confirm.text) if f["action"] == path]
    assert stored(server, app.name) is not None  # asking deletes nothing

    deleted = console.post(path)
    assert deleted.status_code == 302 and deleted.headers["location"] == "/setup/apps?notice=app-deleted"
    assert "The connected app was deleted." in console.get(deleted.headers["location"]).text
    assert stored(server, app.name) is None
    assert_invalid_session(server, token)
    assert console.get(f"/setup/apps/{app.id}").status_code == 404


# --- Manage Access ----------------------------------------------------------------------------------


def test_manage_access_pre_authorizes_profiles_and_permission_sets(server: Server, console: Console) -> None:
    app, _ = create(console, server)
    path = f"/setup/apps/{app.id}/access"
    with server.ctx.db.write() as conn:
        create_permission_set(
            server.ctx, conn, server.org_id, f"Integrations_{secrets.token_hex(3)}", None, actor=FIXTURE
        )
    page = console.get(path)
    assert page.status_code == 200
    assert '<option value="Standard User">Standard User</option>' in page.text
    assert "No profile is pre-authorized." in page.text

    policy = console.post(path, {"permitted_users": "admin_approved"})
    assert policy.status_code == 302 and policy.headers["location"] == path + "?notice=access-saved"
    added = console.post(path + "/add", {"profile": "Standard User"})
    assert added.status_code == 302
    with server.ctx.db.read() as conn:
        set_name = str(repo.list_permission_sets(conn, server.org_id)[0]["name"])
    assert console.post(path + "/add", {"permission_set": set_name}).status_code == 302
    with server.ctx.db.read() as conn:
        assert repo.app_access_names(conn, app.id) == {
            "profiles": ["Standard User"],
            "permission_sets": [set_name],
        }
    page = console.get(path)
    assert "Access to the app was saved." not in page.text  # no notice without asking for it
    assert '<option value="Standard User">' not in page.text  # offered no more: assigned
    assert '<option value="admin_approved" selected>' in page.text
    detail = console.get(f"/setup/apps/{app.id}")
    assert "<dt>Pre-authorized Profiles</dt><dd>Standard User</dd>" in detail.text

    assert console.post(path + "/remove", {"profile": "Standard User"}).status_code == 302
    assert console.post(path + "/remove", {"permission_set": set_name}).status_code == 302
    with server.ctx.db.read() as conn:
        assert repo.app_access_names(conn, app.id) == {"profiles": [], "permission_sets": []}


@pytest.mark.parametrize(
    ("route", "data", "message"),
    [
        ("/add", {"profile": "No Such Profile"}, "no profile named &#39;No Such Profile&#39;"),
        ("/add", {"permission_set": "No_Such_Set"}, "no permission set named &#39;No_Such_Set&#39;"),
        ("/add", {}, "name a profile or a permission set"),
        ("/remove", {}, "name a profile or a permission set"),
        ("", {"permitted_users": "everyone"}, "permitted_users must be one of"),
    ],
)
def test_manage_access_refuses_what_does_not_exist(
    server: Server, console: Console, route: str, data: dict[str, str], message: str
) -> None:
    app, _ = server.create_app()
    page = console.post(f"/setup/apps/{app.id}/access{route}", data)
    assert page.status_code == 400
    assert message in page.text
    assert stored(server, app.name) == app


def test_every_app_manager_change_is_in_the_audit_trail_as_the_console_s(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as client:
        log_in_to_setup(client, admin.username, PASSWORD)
        console = Console(client, setup_csrf_token(client.get("/setup")))
        app, secret = create(console, server)
        path = f"/setup/apps/{app.id}"
        assert console.post(path + "/edit", app_form(name=app.name, description="Changed")).status_code == 302
        assert console.post(path + "/rotate-secret").status_code == 200
        assert console.post(path + "/revoke-old-secret").status_code == 302
        assert console.post(path + "/access/add", {"profile": "Standard User"}).status_code == 302
        assert console.post(path + "/delete").status_code == 302
    with server.ctx.db.read() as conn:
        found = [e for e in audit.entries(conn, server.org_id, user=admin.username) if e.target == app.name]
    assert {e.channel for e in found} == {"console"}
    actions = [e.action for e in reversed(found)]
    assert actions[:4] == [
        "connected_app.created",
        "connected_app.updated",
        "connected_app.secret_rotated",
        "connected_app.old_secret_revoked",
    ]
    assert actions[-1] == "connected_app.deleted" and len(actions) == 6  # and the access granted
    assert all(secret not in str(e.changes) for e in found)
