"""Login History (issue 12, item 5) over HTTP: each filter, paging, the CSV download, and the refusal
of filters that cannot be understood (400 with the page, never a 500)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import secrets
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser

from tests.support.browser import log_in_to_setup, setup_session
from tests.support.pages import check_page, setup_tab
from tests.support.server import PASSWORD, Server
from tests.support.tables import assert_filter_refused, pages, records
from tests.support.tokens import web_server_tokens

PATH = "/setup/login-history"
ADMIN = "System Administrator"
COLUMNS = ["Login Time", "Username", "Source IP", "Login Type", "Status", "Application", "Client", "Flow"]


WRONG = "not-the-password"


def _attempt(server: Server, username: str, password: str = WRONG, user_agent: str = "pytest") -> None:
    """A Setup login attempt (flow "setup"): with the wrong password, an "Invalid Password" row."""
    with server.client(headers={"User-Agent": user_agent}) as browser:
        log_in_to_setup(browser, username, password)


def _rows(browser: httpx.Client, **filters: str) -> list[dict[str, str]]:
    page = browser.get(PATH + "?" + urlencode({"limit": "500", **filters}))
    assert page.status_code == 200, page.text
    return records(page, COLUMNS)


def _usernames(rows: list[dict[str, str]]) -> list[str]:
    return [r["Username"] for r in rows]


def test_the_page_lists_logins_newest_first_in_salesforces_columns(server: Server) -> None:
    user = server.create_user()
    _attempt(server, user.username, user_agent="Mozilla/5.0 (first)")
    server.clock.advance(60)
    _attempt(server, user.username, PASSWORD, user_agent="Mozilla/5.0 (second)")
    with setup_session(server) as browser:
        rows = _rows(browser, user=user.username)
        page = browser.get(PATH)
    assert page.headers["cache-control"] == "no-store"
    assert "<h1>Login History</h1>" in page.text
    second, first = rows
    assert second["Status"] == "Success" and first["Status"] == "Invalid Password"
    assert second["Client"] == "Mozilla/5.0 (second)" and first["Client"] == "Mozilla/5.0 (first)"
    assert second["Login Time"] > first["Login Time"]
    assert {r["Username"] for r in rows} == {user.username}
    assert {r["Source IP"] for r in rows} == {"127.0.0.1"}
    assert {r["Login Type"] for r in rows} == {"Application"}
    assert {r["Flow"] for r in rows} == {"setup"}
    assert {r["Application"] for r in rows} == {""}


def test_the_user_filter_finds_a_users_logins_and_attempts_with_unknown_usernames(server: Server) -> None:
    user, other = server.create_user(), server.create_user()
    for someone in (user, other):
        _attempt(server, someone.username)
    guessed = f"nobody-{secrets.token_hex(4)}@example.com"
    _attempt(server, guessed)
    with setup_session(server) as browser:
        assert _usernames(_rows(browser, user=user.username)) == [user.username]
        # Usernames compare case-insensitively: the user's rows, recorded under their username.
        assert _usernames(_rows(browser, user=user.username.upper())) == [user.username]
        assert _usernames(_rows(browser, user=guessed)) == [guessed]
        assert _rows(browser, user="never-" + guessed) == []


def test_the_app_and_flow_filters(server: Server) -> None:
    app, secret = server.create_app()
    other_app, other_secret = server.create_app()
    user = server.create_user()
    web_server_tokens(server, app, secret, user)
    web_server_tokens(server, other_app, other_secret, user)
    _attempt(server, user.username)
    expected = server.login_history_of(user_id=user.id, app_id=app.id)
    assert expected
    with setup_session(server) as browser:
        by_app = _rows(browser, user=user.username, app=app.id)
        by_flow = _rows(browser, user=user.username, flow="setup")
        web = _rows(browser, user=user.username, flow="web_server", app=other_app.id)
        page = browser.get(PATH)
    assert len(by_app) == len(expected)
    assert {r["Application"] for r in by_app} == {app.name}
    assert {r["Login Type"] for r in by_app} == {"Remote Access 2.0"}
    assert [r["Flow"] for r in by_flow] == ["setup"] and by_flow[0]["Application"] == ""
    assert web and {(r["Flow"], r["Application"]) for r in web} == {("web_server", other_app.name)}
    # The filters' choices: the org's apps by name, the flows in Salesforce's words.
    assert f'<option value="{app.id}">{html.escape(app.name)}</option>' in page.text
    assert '<option value="jwt_bearer">JWT Bearer</option>' in page.text


def test_the_status_filter(server: Server) -> None:
    user = server.create_user()
    _attempt(server, user.username)
    _attempt(server, user.username, PASSWORD)
    server.update_user(user, is_active=False)  # the next attempt is "User is Inactive"
    _attempt(server, user.username, PASSWORD)
    with setup_session(server) as browser:
        everything = _rows(browser, user=user.username)
        success = _rows(browser, user=user.username, status="Success")
        failures = _rows(browser, user=user.username, status="failures")
        invalid = _rows(browser, user=user.username, status="Invalid Password")
        inactive = _rows(browser, user=user.username, status="User is Inactive")
    assert len(everything) == 3
    assert [r["Status"] for r in success] == ["Success"]
    assert sorted(r["Status"] for r in failures) == ["Invalid Password", "User is Inactive"]
    assert [r["Status"] for r in invalid] == ["Invalid Password"]
    assert [r["Status"] for r in inactive] == ["User is Inactive"]


def _day(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d")


def _minute(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M")


def test_the_time_range_filter_takes_dates_and_datetimes_in_utc(server: Server) -> None:
    user = server.create_user()
    server.clock.advance(-3 * 24 * 3600)  # three days ago
    first = server.clock.now_ms()
    _attempt(server, user.username, user_agent="first")
    server.clock.offset_ms = 0
    second = server.clock.now_ms()
    _attempt(server, user.username, user_agent="second")

    def clients(**filters: str) -> list[str]:
        return [r["Client"] for r in _rows(browser, user=user.username, **filters)]

    with setup_session(server) as browser:
        assert clients() == ["second", "first"]
        assert clients(**{"from": _day(second)}) == ["second"]
        assert clients(to=_day(first)) == ["first"]  # a date alone: To includes the whole day
        assert clients(**{"from": _day(first), "to": _day(first)}) == ["first"]
        assert clients(**{"from": _minute(first), "to": _minute(first)}) == ["first"]  # its minute
        assert clients(**{"from": _minute(second + 60_000)}) == []
        both = {"from": _minute(first) + ":00", "to": _minute(second) + ":59"}  # to the second
        assert clients(**both) == ["second", "first"]
        # The form shows a date alone as the minutes it covers (what datetime-local inputs hold).
        page = browser.get(PATH + "?" + urlencode({"from": _day(first), "to": _day(first)}))
    assert f'value="{_day(first)}T00:00"' in page.text and f'value="{_day(first)}T23:59"' in page.text


def test_the_page_is_paginated_newest_first(server: Server) -> None:
    user = server.create_user()
    for n in range(5):
        _attempt(server, user.username, user_agent=f"attempt {n}")
        server.clock.advance(1)
    with setup_session(server) as browser:
        first = PATH + "?" + urlencode({"user": user.username, "limit": "2"})
        shown = [records(page, COLUMNS) for page in pages(browser, first)]
    assert [len(page) for page in shown] == [2, 2, 1]  # the Next links kept the user filter
    assert [row["Client"] for page in shown for row in page] == [f"attempt {n}" for n in reversed(range(5))]


def _csv(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_download_is_a_csv_of_the_filtered_rows(server: Server) -> None:
    user, other = server.create_user(), server.create_user()
    _attempt(server, user.username, user_agent='=HYPERLINK("http://evil.example")')
    _attempt(server, user.username, PASSWORD, user_agent="@SUM(1+1)")
    _attempt(server, other.username)
    with setup_session(server) as browser:
        page = browser.get(PATH + "?" + urlencode({"user": user.username, "status": "Success"}))
        (link,) = re.findall(r'<a class="button" href="([^"]+)" id="download-login-history"', page.text)
        download = browser.get(html.unescape(link))
        everything = browser.get(PATH + "?" + urlencode({"user": user.username, "format": "csv"}))
    wanted = {"user": user.username, "status": "Success", "format": "csv"}
    assert html.unescape(link) == PATH + "?" + urlencode(wanted)
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == 'attachment; filename="LoginHistory.csv"'
    assert download.headers["cache-control"] == "no-store"
    header, *rows = _csv(download)
    assert header == COLUMNS
    (row,) = rows
    assert row[1:] == [user.username, "127.0.0.1", "Application", "Success", "", "'@SUM(1+1)", "setup"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[0])
    assert download.text.endswith("\r\n")
    # Without a status filter: both rows, newest first; a formula a client sent is never one in the file.
    _, newest, oldest = _csv(everything)
    assert newest[4] == "Success" and oldest[4] == "Invalid Password"
    assert oldest[6] == '\'=HYPERLINK("http://evil.example")'


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"from": "yesterday"}, "From: enter a date"),
        ({"to": "2026-13-45"}, "To: 2026-13-45 is not a date."),
        ({"from": "2026-02-30T10:00"}, "From: 2026-02-30T10:00 is not a date."),
        ({"to": "2026-01-01T25:00"}, "To: 2026-01-01T25:00 is not a date."),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "To: 9999-12-31 is not a date."),
        ({"from": "2026-01-01 10:00"}, "From: enter a date"),
        ({"from": "2026-01-02", "to": "2026-01-01"}, "From must be before To."),
        ({"app": "0H4000000000000AAA"}, "Application: there is no such connected app."),
        ({"flow": "telepathy"}, "Flow: there is no such flow."),
        ({"format": "xml"}, "Format: the only download is csv."),
        ({"user": "nul\x00byte"}, "A filter holds characters or a length nothing recorded could have."),
        ({"status": "x" * 300}, "A filter holds characters or a length nothing recorded could have."),
    ],
)
def test_a_filter_that_cannot_be_understood_is_the_page_with_its_error_and_400(
    server: Server, filters: dict[str, str], message: str
) -> None:
    with setup_session(server) as browser:
        answers = assert_filter_refused(browser, PATH, filters, message, "Correct the filters to see logins.")
    assert all("<h1>Login History</h1>" in answer.text for answer in answers)


def test_an_app_of_another_org_is_not_a_filter(server: Server) -> None:
    """The app filter takes the ID of one of this org's apps only: the lookup checks the org."""
    app, _ = server.create_app()
    with setup_session(server) as browser:
        assert browser.get(PATH + "?" + urlencode({"app": app.id})).status_code == 200
        assert browser.get(PATH + "?" + urlencode({"app": app.id.lower()})).status_code == 400


def test_a_non_administrator_gets_403_and_no_login_asks_for_one(server: Server) -> None:
    with setup_session(server, profile="Standard User") as browser:
        refused = browser.get(PATH)
        refused_csv = browser.get(PATH + "?format=csv")
    assert refused.status_code == 403 and refused_csv.status_code == 403
    assert "Insufficient Privileges" in refused_csv.text
    with server.client() as browser:
        anonymous = browser.get(PATH + "?format=csv")
    assert anonymous.status_code == 302
    assert anonymous.headers["location"] == "/setup/login?" + urlencode({"next": PATH + "?format=csv"})


def test_in_chromium_filter_then_download_the_csv(server: Server, browser: Browser) -> None:
    user = server.create_user()
    _attempt(server, user.username, user_agent="chromium test: wrong password")
    _attempt(server, user.username, PASSWORD, user_agent="chromium test: right password")
    with setup_tab(browser, server, PATH) as tab:
        page = tab.page
        assert page.get_by_role("heading", name="Login History").is_visible()

        filters = page.get_by_role("form", name="Filter logins")
        filters.get_by_label("Username").fill(user.username)
        filters.get_by_label("Status").select_option(label="Invalid Password")
        filters.get_by_label("Flow").select_option(label="Setup")
        with page.expect_navigation():
            filters.get_by_role("button", name="Apply").click()
        rows = page.locator("table.list tbody tr")
        assert rows.count() == 1
        assert "chromium test: wrong password" in rows.first.inner_text()
        assert filters.get_by_label("Username").input_value() == user.username
        check_page(tab, "setup-login-history-filtered")  # axe-core, a phone's width, no console error

        with page.expect_download() as started:
            page.get_by_role("link", name="Download").click()
        download = started.value
        assert download.suggested_filename == "LoginHistory.csv"
        with open(download.path(), encoding="utf-8", newline="") as saved:
            header, *records = list(csv.reader(saved))
        assert header == COLUMNS
        assert [(r[1], r[4], r[6]) for r in records] == [
            (user.username, "Invalid Password", "chromium test: wrong password")
        ]

        # A filter that cannot be used: the page says so, and is as accessible as the others.
        filters.get_by_label("From (UTC)").fill("2026-01-02T00:00")
        filters.get_by_label("To (UTC)").fill("2026-01-01T00:00")
        with page.expect_navigation():
            filters.get_by_role("button", name="Apply").click()
        assert page.get_by_role("alert").inner_text() == "From must be before To."
        check_page(tab, "setup-login-history-refused")
