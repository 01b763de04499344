"""Setup's Users (issue 12, item 3): the list, New User, a user's page and each of its actions and
refusals, over HTTP on both backends. A security token is shown once: in the answer to the POST that
made it, never on a GET."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from forcegate.org.audit import CSV_COLUMNS
from forcegate.secrets_box import token_hash
from forcegate.storage import lockout
from forcegate.storage import repositories as repo
from tests.support.browser import setup_session, submit
from tests.support.data_api import admin_client
from tests.support.server import PASSWORD, Server
from tests.support.setup_client import element_text, logged_in, post
from tests.support.tables import records

ADMIN = "System Administrator"
STANDARD = "Standard User"


@pytest.fixture
def setup(server: Server) -> Iterator[httpx.Client]:
    with setup_session(server) as client:
        yield client


def _new_user(setup: httpx.Client, **fields: str) -> httpx.Response:
    username = f"new-{secrets.token_hex(4)}@example.com"
    data = {"username": username, "password": "Welcome123", "profile": STANDARD, "last_name": "New"}
    return post(setup, "/setup/users/new", {**data, **fields})


def test_the_list_shows_every_user_and_filters_by_text(server: Server, setup: httpx.Client) -> None:
    mine = server.create_user(profile=STANDARD)
    page = setup.get("/setup/users")
    assert page.status_code == 200 and 'href="/setup/users/new"' in page.text
    # The shared server has many users: follow the pages (Next) until the new one shows.
    pages = 1
    while mine.username not in page.text:
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        assert following is not None, f"{mine.username} is on none of {pages} pages"
        page = setup.get(html.unescape(following.group(1)))
        pages += 1
    narrowed = setup.get("/setup/users", params={"q": mine.username.upper()})
    assert mine.username in narrowed.text and narrowed.text.count('<a href="/setup/users/005') == 1
    assert "No users match." in setup.get("/setup/users", params={"q": "nobody-at-all"}).text


def test_new_user_offers_the_orgs_profiles_and_shows_the_token_once(
    server: Server, setup: httpx.Client
) -> None:
    form = setup.get("/setup/users/new")
    assert form.status_code == 200
    for profile in (ADMIN, STANDARD, "Minimum Access"):
        assert f'<option value="{profile}"' in form.text
    created = _new_user(setup, email="ada@example.org", first_name="Ada")
    assert created.status_code == 200, created.text
    token = element_text(created.text, "security-token")
    assert len(token) == 25 and 'data-copy="security-token"' in created.text
    with server.ctx.db.read() as conn:
        (user,) = [u for u in repo.list_users(conn, server.org_id) if u.email == "ada@example.org"]
        assert lockout.security_token_hash(conn, user.id) == token_hash(token)
    # Never again: not on the user's page nor the list.
    for path in (f"/setup/users/{user.id}", "/setup/users"):
        page = setup.get(path)
        assert page.status_code == 200 and token not in page.text and 'id="security-token"' not in page.text
    assert created.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short1"}, "password must be at least 8 characters"),
        ({"password": "lettersonly"}, "password must be at least 8 characters"),
        ({"email": "not-an-email"}, "email is not a valid address"),
        ({"username": "no-at-sign"}, "username must be in the form of an email address"),
        ({"profile": "Nobody Profile"}, "no profile named"),
    ],
)
def test_new_user_refusals_show_the_form_again(
    setup: httpx.Client, fields: dict[str, str], message: str
) -> None:
    refused = _new_user(setup, **fields)
    assert refused.status_code == 400 and message in refused.text
    assert 'id="security-token"' not in refused.text
    assert 'action="/setup/users/new"' in refused.text


def test_a_duplicate_username_is_refused(server: Server, setup: httpx.Client) -> None:
    taken = server.create_user(profile=STANDARD)
    refused = _new_user(setup, username=taken.username.upper())
    assert refused.status_code == 400 and "is already taken" in refused.text


def test_an_unknown_user_is_a_404_page(setup: httpx.Client) -> None:
    for method, path in (
        ("GET", "/setup/users/005000000000000AAA"),
        ("GET", "/setup/users/nobody@example.com"),
        ("POST", "/setup/users/005000000000000AAA"),
        ("POST", "/setup/users/005000000000000AAA/unlock"),
        ("POST", "/setup/users/005000000000000AAA/security-token"),
        ("POST", "/setup/users/005000000000000AAA/permission-sets"),
    ):
        answer = setup.get(path) if method == "GET" else post(setup, path, {})
        assert answer.status_code == 404 and "There is no such user" in answer.text, path


def test_the_user_page_edits_names_email_profile_and_deactivates(server: Server, setup: httpx.Client) -> None:
    user = server.create_user(profile=STANDARD)
    page = setup.get(f"/setup/users/{user.id}")
    assert page.status_code == 200 and user.username in page.text
    assert 'id="security-token"' not in page.text
    changes = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.org", "profile": ADMIN}
    saved = post(setup, f"/setup/users/{user.id}", {**changes, "is_active": "true"})
    assert (
        saved.status_code == 302 and saved.headers["location"] == f"/setup/users/{user.id}?notice=user-saved"
    )
    with server.ctx.db.read() as conn:
        after = repo.user_by_id(conn, user.id)
        assert after is not None
        profile = repo.profile_by_id(conn, after.profile_id)
    assert (after.first_name, after.last_name, after.email, after.is_active) == (
        "Grace",
        "Hopper",
        "grace@example.org",
        True,
    )
    assert profile is not None and profile.name == ADMIN
    assert "The user was saved." in setup.get(saved.headers["location"]).text
    # Active unchecked (absent from the form): deactivated.
    assert post(setup, f"/setup/users/{user.id}", changes).status_code == 302
    with server.ctx.db.read() as conn:
        deactivated = repo.user_by_id(conn, user.id)
    assert deactivated is not None and deactivated.is_active is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "nope"}, "email is not a valid address"),
        ({"profile": "Nobody Profile"}, "no profile named"),
    ],
)
def test_the_edit_form_refusals(
    server: Server, setup: httpx.Client, fields: dict[str, str], message: str
) -> None:
    user = server.create_user(profile=STANDARD)
    refused = post(setup, f"/setup/users/{user.id}", {"is_active": "true", **fields})
    assert refused.status_code == 400 and message in refused.text
    with server.ctx.db.read() as conn:
        assert repo.user_by_id(conn, user.id) == user


def test_a_password_reset_shows_a_new_token_once_and_the_new_password_works(
    server: Server, setup: httpx.Client
) -> None:
    user = server.create_user(profile=ADMIN)
    weak = post(setup, f"/setup/users/{user.id}/password", {"password": "weak"})
    assert weak.status_code == 400 and "password must be at least 8 characters" in weak.text
    reset = post(setup, f"/setup/users/{user.id}/password", {"password": "Brand9new"})
    assert reset.status_code == 200 and "The password was reset." in reset.text
    token = element_text(reset.text, "security-token")
    with server.ctx.db.read() as conn:
        assert lockout.security_token_hash(conn, user.id) == token_hash(token)
    assert token not in setup.get(f"/setup/users/{user.id}").text
    with logged_in(server, user, "Brand9new") as again:  # the new password logs in
        assert again.get("/setup").status_code == 200
    with server.client() as other:
        page = other.get("/setup/login")
        assert submit(other, page, username=user.username, password=PASSWORD).status_code == 401


def test_reset_security_token_shows_a_new_one_once(server: Server, setup: httpx.Client) -> None:
    user = server.create_user(profile=STANDARD)
    with server.ctx.db.read() as conn:
        before = lockout.security_token_hash(conn, user.id)
    reset = post(setup, f"/setup/users/{user.id}/security-token", {})
    assert reset.status_code == 200 and "A new security token was issued." in reset.text
    token = element_text(reset.text, "security-token")
    with server.ctx.db.read() as conn:
        after = lockout.security_token_hash(conn, user.id)
    assert after == token_hash(token) != before
    assert token not in setup.get(f"/setup/users/{user.id}").text


def test_unlock_clears_a_lockout(server: Server, setup: httpx.Client) -> None:
    user = server.create_user(profile=STANDARD)
    with server.ctx.db.write() as conn:
        repo.update_user(conn, user.id, {"locked_until_ms": server.ctx.now_ms() + 3_600_000})
    page = setup.get(f"/setup/users/{user.id}")
    assert "Locked out" in element_text(page.text, "locked-out") and 'id="unlock"' in page.text
    unlocked = post(setup, f"/setup/users/{user.id}/unlock", {})
    assert unlocked.status_code == 302 and unlocked.headers["location"].endswith("notice=user-unlocked")
    with server.ctx.db.read() as conn:
        after = repo.user_by_id(conn, user.id)
    assert after is not None and after.locked_until_ms is None
    page = setup.get(unlocked.headers["location"])
    assert element_text(page.text, "locked-out") == "No" and 'id="unlock"' not in page.text


def test_permission_sets_are_assigned_and_removed_from_the_user_page(
    server: Server, setup: httpx.Client
) -> None:
    user = server.create_user(profile=STANDARD)
    name = f"ps_{secrets.token_hex(3)}"
    assert post(setup, "/setup/permission-sets/new", {"name": name}).status_code == 302
    assert f'<option value="{name}">' in setup.get(f"/setup/users/{user.id}").text
    assigned = post(setup, f"/setup/users/{user.id}/permission-sets", {"permission_set": name})
    assert assigned.status_code == 302 and assigned.headers["location"].endswith("notice=assignment-saved")
    with server.ctx.db.read() as conn:
        assert repo.permission_set_names_for_user(conn, user.id) == [name]
    assert f"Remove {name}" in setup.get(f"/setup/users/{user.id}").text
    removed = post(setup, f"/setup/users/{user.id}/permission-sets/remove", {"permission_set": name})
    assert removed.status_code == 302
    with server.ctx.db.read() as conn:
        assert repo.permission_set_names_for_user(conn, user.id) == []
    # Removing it again, or assigning one that does not exist: refused on the page.
    again = post(setup, f"/setup/users/{user.id}/permission-sets/remove", {"permission_set": name})
    assert again.status_code == 400 and "is not assigned to that user" in again.text
    unknown = post(setup, f"/setup/users/{user.id}/permission-sets", {"permission_set": "No_Such_Set"})
    assert unknown.status_code == 400 and "no permission set named" in unknown.text


def test_a_non_administrator_and_a_form_without_csrf_are_refused(server: Server, setup: httpx.Client) -> None:
    user = server.create_user(profile=STANDARD)
    with logged_in(server, server.create_user(profile=STANDARD)) as standard:
        for path in ("/setup/users", "/setup/users/new", f"/setup/users/{user.id}"):
            assert standard.get(path).status_code == 403, path
        assert post(standard, f"/setup/users/{user.id}/security-token", {}).status_code == 403
    forged = setup.post(f"/setup/users/{user.id}/security-token", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and 'id="security-token"' not in forged.text


def test_the_admin_api_resets_a_security_token_as_the_page_does(server: Server) -> None:
    """``reset_security_token`` is declared once: the admin API (and the CLI) take it too."""
    user = server.create_user(profile=STANDARD)
    with admin_client(server) as admin:
        answer = admin.patch(f"/admin/api/v1/users/{user.id}", json={"reset_security_token": True})
        assert answer.status_code == 200, answer.text
        token = answer.json()["security_token"]
        shown = admin.get(f"/admin/api/v1/users/{user.id}").json()
    with server.ctx.db.read() as conn:
        assert lockout.security_token_hash(conn, user.id) == token_hash(token)
    assert "security_token" not in shown


def test_the_users_page_changes_are_in_the_audit_trail_as_the_console(
    server: Server, setup: httpx.Client
) -> None:
    user = server.create_user(profile=STANDARD)
    assert post(setup, f"/setup/users/{user.id}/security-token", {}).status_code == 200
    assert post(setup, f"/setup/users/{user.id}/unlock", {}).status_code == 302
    page = setup.get("/setup/audit-trail", params={"limit": "500", "section": "Manage Users"})
    mine = [e for e in records(page, list(CSV_COLUMNS)) if e["Target"] == user.username]
    actions = {e["Action"] for e in mine}
    assert {f"Reset security token for user {user.username}", f"Unlocked user {user.username}"} <= actions
    # Setup's are the console's (the user was made by the test's fixture: the system's).
    assert {e["Channel"] for e in mine if not e["Action"].startswith("Created")} == {"console"}
