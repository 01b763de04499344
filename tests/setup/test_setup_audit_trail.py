"""View Setup Audit Trail (issue 12, item 6) over HTTP: changes made through the admin API, Setup and
the CLI each appear with their user, channel and IP; the filters, paging and the CSV download (in
org.audit's CSV shape, the CLI's); filters that cannot be used are refused with the page and 400."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import html
import io
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser

from forcegate.org import audit
from forcegate.org.audit import CSV_COLUMNS
from tests.support.actors import FIXTURE
from tests.support.admin_api import Api, access_token
from tests.support.admin_cli import Cli
from tests.support.browser import setup_csrf_token, setup_session
from tests.support.pages import audit_trail_rows, check_page, setup_tab
from tests.support.server import Server
from tests.support.tables import assert_filter_refused, pages, records
from tests.support.tokens import web_server_tokens

PATH = "/setup/audit-trail"
ADMIN = "System Administrator"
COLUMNS = list(CSV_COLUMNS)  # the page shows the download's columns


def _entries(browser: httpx.Client, **filters: str) -> list[dict[str, str]]:
    page = browser.get(PATH + "?" + urlencode({"limit": "500", **filters}))
    assert page.status_code == 200, page.text
    return records(page, COLUMNS)


def _api(server: Server) -> tuple[Api, str]:
    """The admin API as a new administrator, and their username."""
    admin = server.create_user(profile=ADMIN)
    return Api(server, access_token(server, admin.username)), admin.username


def _app_body(name: str) -> dict[str, object]:
    return {"name": name, "callback_urls": ["https://app.example.com/cb"], "scopes": "api refresh_token"}


def test_an_admin_api_change_shows_its_user_channel_ip_and_what_changed(server: Server) -> None:
    api, username = _api(server)
    name = f"audited-{secrets.token_hex(4)}"
    created = api.ok("POST", "/connected-apps", 201, json=_app_body(name))
    api.ok("PATCH", f"/connected-apps/{created['id']}", json={"scopes": "api"})
    with setup_session(server) as browser:
        updated, made = _entries(browser, user=username)
        page = browser.get(PATH)
    assert page.headers["cache-control"] == "no-store"
    assert "<h1>View Setup Audit Trail</h1>" in page.text
    for entry in (updated, made):
        assert entry["User"] == username
        assert entry["Channel"] == "admin_api"
        assert entry["Source IP"] == "127.0.0.1"
        assert entry["Section"] == "Connected Apps"
        assert entry["Target"] == name
        assert entry["Date"].endswith(" UTC")
    assert made["Action"] == f'Created connected app "{name}"'
    assert updated["Action"] == f'Changed connected app "{name}": scopes from api refresh_token to api'
    assert updated["Date"] >= made["Date"]


def test_a_setup_change_is_the_console_channel_with_the_admins_ip(server: Server) -> None:
    app, secret = server.create_app()
    web_server_tokens(server, app, secret, server.create_user())
    with setup_session(server) as browser:
        token = setup_csrf_token(browser.get(PATH))
        assert (
            browser.post(f"/setup/oauth-usage/{app.id}/revoke", data={"csrf_token": token}).status_code == 302
        )
        username = re.findall(r'<span class="user" id="setup-user">([^<]+)</span>', browser.get(PATH).text)[0]
        (entry,) = _entries(browser, user=username)
    assert entry["Channel"] == "console" and entry["Source IP"] == "127.0.0.1"
    assert entry["Section"] == "Connected Apps" and entry["Target"] == app.name
    assert "Revoked the OAuth tokens" in entry["Action"]


def test_a_cli_change_is_the_cli_channel_without_an_ip(server: Server, tmp_path: Path) -> None:
    name = f"cli-audited-{secrets.token_hex(4)}"
    settings = server.ctx.settings
    result = Cli(tmp_path).run(
        "apps", "create", "--name", name, "--callback-url", "https://app.example.com/cb", "--scopes", "api",
        "--database", settings.database_url, database=False, FORCEGATE_SERVER_KEYS=settings.server_keys or "",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with setup_session(server) as browser:
        found = [e for e in _entries(browser, user=f"cli:{getpass.getuser()}") if e["Target"] == name]
    (entry,) = found
    assert entry["Channel"] == "cli" and entry["Source IP"] == ""
    assert entry["Section"] == "Connected Apps"


def _day(days_ago: int = 0) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d")


def test_the_user_section_and_time_filters(server: Server) -> None:
    api, username = _api(server)
    other_api, _ = _api(server)
    server.clock.advance(-2 * 24 * 3600)  # two days ago
    old = f"old-{secrets.token_hex(4)}"
    api.ok("POST", "/connected-apps", 201, json=_app_body(old))
    server.clock.offset_ms = 0
    new = f"new-{secrets.token_hex(4)}"
    api.ok("POST", "/connected-apps", 201, json=_app_body(new))
    other_api.ok("POST", "/connected-apps", 201, json=_app_body(f"other-{secrets.token_hex(4)}"))
    user = f"audited-{secrets.token_hex(4)}@example.com"
    api.ok("POST", "/users", 201, json={
        "username": user, "email": "a@example.com", "last_name": "Audited", "password": "Passw0rd-for-tests",
        "profile": "Standard User",
    })  # fmt: skip
    with setup_session(server) as browser:

        def targets(**filters: str) -> list[str]:
            return [e["Target"] for e in _entries(browser, **{"user": username, **filters})]

        assert targets() == [user, new, old]
        assert targets(user=username.upper()) == [user, new, old]  # users compare case-insensitively
        assert targets(section="Connected Apps") == [new, old]
        assert targets(section="Manage Users") == [user]
        assert targets(section="Connected Apps", **{"from": _day()}) == [new]
        assert targets(section="Connected Apps", to=_day(1)) == [old]
        assert targets(**{"from": _day(2), "to": _day(2)}) == [old]


def test_the_section_filter_offers_every_section_the_org_has(server: Server) -> None:
    """Fields of a standard object are filed under its own section ("Customize Accounts"): the filter
    offers the sections the trail names besides the fixed ones."""
    section = f"Customize Widgets {secrets.token_hex(2)}"
    with server.ctx.db.write() as conn:
        audit.record(
            conn, server.clock.now_ms(), server.org_id, FIXTURE, section=section,
            action="custom_field.created", target="Widget.Color__c",
            display="Created custom field Color (string) on Widget",
        )  # fmt: skip
    with setup_session(server) as browser:
        page = browser.get(PATH)
        (entry,) = _entries(browser, section=section.upper())  # sections compare case-insensitively
    assert f'<option value="{section}">{section}</option>' in page.text
    assert '<option value="Connected Apps">Connected Apps</option>' in page.text
    assert entry["Target"] == "Widget.Color__c" and entry["Channel"] == "system"


def test_the_trail_is_paginated_newest_first(server: Server) -> None:
    api, username = _api(server)
    names = [f"paged-{n}-{secrets.token_hex(2)}" for n in range(5)]
    for name in names:
        api.ok("POST", "/connected-apps", 201, json=_app_body(name))
        server.clock.advance(1)
    with setup_session(server) as browser:
        first = PATH + "?" + urlencode({"user": username, "limit": "2"})
        shown = [records(page, COLUMNS) for page in pages(browser, first)]
    assert [len(page) for page in shown] == [2, 2, 1]
    assert [entry["Target"] for page in shown for entry in page] == list(reversed(names))


def test_download_is_org_audits_csv_of_the_filtered_entries(server: Server) -> None:
    api, username = _api(server)
    name = f"=HYPERLINK(1)-{secrets.token_hex(4)}"  # a name a spreadsheet would run as a formula
    other = f"other-{secrets.token_hex(4)}"
    api.ok("POST", "/connected-apps", 201, json=_app_body(name))
    api.ok("POST", "/connected-apps", 201, json=_app_body(other))
    with setup_session(server) as browser:
        page = browser.get(PATH + "?" + urlencode({"user": username, "section": "Connected Apps"}))
        (link,) = re.findall(r'<a class="button" href="([^"]+)" id="download-audit-trail"', page.text)
        download = browser.get(html.unescape(link))
    wanted = {"user": username, "section": "Connected Apps", "format": "csv"}
    assert html.unescape(link) == PATH + "?" + urlencode(wanted)
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == 'attachment; filename="SetupAuditTrail.csv"'
    header, *rows = list(csv.reader(io.StringIO(download.text)))
    assert header == list(CSV_COLUMNS)
    assert [row[6] for row in rows] == [other, "'" + name]  # newest first; never a formula
    for row in rows:
        assert row[1:5] == [username, "127.0.0.1", "admin_api", "Connected Apps"]
        assert row[5].startswith("Created connected app")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[0])


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"section": "x" * 256}, "A filter holds characters or a length nothing recorded could have."),
        ({"from": "last week"}, "From: enter a date"),
        ({"to": "2026-02-30"}, "To: 2026-02-30 is not a date."),
        ({"from": "2026-01-02", "to": "2026-01-01"}, "From must be before To."),
        ({"user": "x" * 256}, "A filter holds characters or a length nothing recorded could have."),
        ({"format": "pdf"}, "Format: the only download is csv."),
    ],
)
def test_a_filter_that_cannot_be_understood_is_the_page_with_its_error_and_400(
    server: Server, filters: dict[str, str], message: str
) -> None:
    with setup_session(server) as browser:
        assert_filter_refused(browser, PATH, filters, message, "Correct the filters to see changes.")


def test_a_non_administrator_gets_403_and_no_login_asks_for_one(server: Server) -> None:
    with setup_session(server, profile="Standard User") as browser:
        assert browser.get(PATH).status_code == 403
        assert browser.get(PATH + "?format=csv").status_code == 403
    with server.client() as browser:
        anonymous = browser.get(PATH)
    assert anonymous.status_code == 302
    assert anonymous.headers["location"] == "/setup/login?" + urlencode({"next": PATH})


def test_in_chromium_a_revoke_from_oauth_usage_is_in_the_trail(server: Server, browser: Browser) -> None:
    app, secret = server.create_app(name=f"0 Audited usage {secrets.token_hex(4)}")  # first on its page
    user = server.create_user()
    web_server_tokens(server, app, secret, user)
    with setup_tab(browser, server, "/setup/oauth-usage?limit=500") as tab:
        page = tab.page
        admin = page.locator("#setup-user").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name=f"Revoke All tokens for {app.name}").click()
        rows = audit_trail_rows(page, admin)
        assert rows.count() == 1
        cells = rows.first.locator("td").all_inner_texts()
        assert cells[1:5] == [admin, "127.0.0.1", "console", "Connected Apps"]
        assert cells[5] == f'Revoked the OAuth tokens of connected app "{app.name}"'
        check_page(tab, "setup-audit-trail-filtered")  # axe-core, a phone's width, no console error
