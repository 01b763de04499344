"""Setup's Security Settings and Certificate and Key Management pages (issue 12, item 3), over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from forcegate.storage import repositories as repo
from tests.support.browser import forms, submit
from tests.support.org_settings import OrgSettings
from tests.support.server import PASSWORD, Server, make_settings, private_database, start_server

ADMIN = "System Administrator"


def _logged_in(server: Server) -> Iterator[httpx.Client]:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        page = browser.get("/setup/login")
        assert submit(browser, page, username=admin.username, password=PASSWORD).status_code == 302
        yield browser


@pytest.fixture
def admin_browser(server: Server) -> Iterator[httpx.Client]:
    """An administrator's browser, logged in to Setup."""
    yield from _logged_in(server)


@pytest.fixture(scope="module")
def own_server(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a database of its own: rotating and retiring signing keys on the shared one would
    change what later tests of it see (which keys are published, what housekeeping retires)."""
    tmp = tmp_path_factory.mktemp("signing-keys")
    for url in private_database(backend[0], tmp):
        yield from start_server(make_settings(url, tmp), backend[0])


@pytest.fixture
def keys_admin(own_server: Server) -> Iterator[httpx.Client]:
    """An administrator's browser, logged in to the own server's Setup."""
    yield from _logged_in(own_server)


def _form_of(page: httpx.Response, action: str) -> dict[str, str]:
    (found,) = [f for f in forms(page.text) if f["action"] == action]
    return dict(found["fields"])  # type: ignore[arg-type]


def _settings_form(browser: httpx.Client) -> dict[str, object]:
    """The settings form as a browser would post it unchanged (checked boxes only)."""
    page = browser.get("/setup/security")
    assert page.status_code == 200
    fields: dict[str, object] = _form_of(page, "/setup/security")
    for name in ("allow_username_password_flows", "allow_soap_login"):
        if f'name="{name}" value="true" checked' not in page.text:
            fields.pop(name, None)
    fields["trusted_ip_ranges"] = ""
    return fields


def test_the_security_settings_show_the_org_and_save_changes(
    server: Server, admin_browser: httpx.Client, org_settings: OrgSettings
) -> None:
    browser = admin_browser
    page = browser.get("/setup/security")
    assert "Allow OAuth Username-Password Flows" in page.text
    assert 'id="field-max-login-attempts"' in page.text
    fields = _settings_form(browser)
    fields.update(
        allow_username_password_flows="true",
        trusted_ip_ranges="10.0.0.0/8\r\n192.168.1.7",
        max_login_attempts="3",
        daily_api_requests="500",
    )
    saved = browser.post("/setup/security", data=fields)
    assert saved.status_code == 302
    assert saved.headers["location"] == "/setup/security?notice=settings-saved"
    after = browser.get(saved.headers["location"])
    assert "The security settings were saved." in after.text
    with server.ctx.db.read() as conn:
        org = repo.org_by_id(conn, server.org_id)
    assert org is not None
    assert org.allow_username_password_flows is True
    assert list(org.trusted_ip_ranges) == ["10.0.0.0/8", "192.168.1.7/32"]
    assert org.max_login_attempts == 3 and org.daily_api_requests == 500


def test_a_bad_setting_is_refused_next_to_its_field_and_nothing_changes(
    server: Server, admin_browser: httpx.Client, org_settings: OrgSettings
) -> None:
    browser = admin_browser
    fields = _settings_form(browser)
    fields.update(trusted_ip_ranges="10.0.0.0/8\r\nnot-an-ip", max_login_attempts="5")
    refused = browser.post("/setup/security", data=fields)
    assert refused.status_code == 400
    assert "trusted_ip_ranges" in refused.text and "not-an-ip" in refused.text
    fields.update(trusted_ip_ranges="", max_login_attempts="-1")
    negative = browser.post("/setup/security", data=fields)
    assert negative.status_code == 400
    assert 'id="field-max-login-attempts-error"' in negative.text
    with server.ctx.db.read() as conn:
        org = repo.org_by_id(conn, server.org_id)
    assert org is not None and org.max_login_attempts != 5


def test_rotating_a_signing_key_publishes_both_and_retiring_the_old_one_unpublishes_it(
    keys_admin: httpx.Client,
) -> None:
    browser = keys_admin
    before = browser.get("/id/keys").json()["keys"]
    page = browser.get("/setup/signing-keys")
    assert page.status_code == 200 and 'id="signing-keys"' in page.text
    rotated = browser.post("/setup/signing-keys/rotate", data=_form_of(page, "/setup/signing-keys/rotate"))
    assert rotated.headers["location"] == "/setup/signing-keys?notice=key-rotated"
    published = {k["kid"] for k in browser.get("/id/keys").json()["keys"]}
    assert {k["kid"] for k in before} < published
    old = before[0]["kid"]
    page = browser.get("/setup/signing-keys")
    assert "Active" in page.text and "Published" in page.text
    retire = f"/setup/signing-keys/{old}/retire"
    retired = browser.post(retire, data=_form_of(page, retire))
    assert retired.headers["location"] == "/setup/signing-keys?notice=key-retired"
    assert old not in {k["kid"] for k in browser.get("/id/keys").json()["keys"]}


def test_the_signing_key_itself_and_an_unknown_key_cannot_be_retired(keys_admin: httpx.Client) -> None:
    browser = keys_admin
    page = browser.get("/setup/signing-keys")
    token = _form_of(page, "/setup/signing-keys/rotate")["csrf_token"]
    active = browser.get("/id/keys").json()["keys"][0]["kid"]
    refused = browser.post(f"/setup/signing-keys/{active}/retire", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "is the signing key: rotate first" in refused.text
    assert active in {k["kid"] for k in browser.get("/id/keys").json()["keys"]}
    unknown = browser.post("/setup/signing-keys/99999/retire", data={"csrf_token": token})
    assert unknown.status_code == 404 and "There is no signing key 99999." in unknown.text
