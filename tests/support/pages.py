"""Every browser test's Chromium and the one check of a page (issue 12, "Done when"): Debian's headless
Chromium driven by Playwright (never a downloaded browser), axe-core's accessibility rules, screenshots
at desktop and phone width into build/screenshots/, no horizontal scroll on a phone, no console error.

Use: the ``browser`` fixture (one Chromium per test module, registered in tests/conftest.py; without
/usr/bin/chromium it skips, under CI it fails), a
``Tab`` of it (``fresh_tab``: its console errors are collected from the first request on), then
``check_page(tab, name)`` on every page the test reaches.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Error, Locator, Page, sync_playwright

from tests.support.server import IN_CI, PASSWORD, Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# axe-core's impacts that fail a page; "minor" and "moderate" ones are left to review.
FAILING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000

_FAILED_LOAD = "Failed to load resource: the server responded with a status of"
_axe = Axe()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: `make chromium` (or apt-get install chromium) installs it"
        if IN_CI:
            pytest.fail(message + " (mandatory under CI)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A page of a browser context and the console errors it logged since its last check."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    def _on_console(self, message: ConsoleMessage) -> None:
        # A CSP violation (a blocked style or script) is logged as an error. So is every document
        # answered with a 4xx, which pages such as the 403 and the error page are on purpose.
        document_status = message.text.startswith(_FAILED_LOAD) and message.location["url"] == self.page.url
        if message.type == "error" and not document_status:
            self.console_errors.append(message.text)

    def _on_page_error(self, error: Error) -> None:
        self.console_errors.append(str(error))


@contextmanager
def fresh_tab(browser: Browser) -> Iterator[Tab]:
    """A page in a browser context of its own (no cookies), at desktop size, whose console errors are
    collected; the context is closed afterwards."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        tab = Tab(page)
        page.on("console", tab._on_console)
        page.on("pageerror", tab._on_page_error)
        yield tab
    finally:
        context.close()


@contextmanager
def setup_tab(browser: Browser, server: Server, path: str) -> Iterator[Tab]:
    """A fresh tab logged in to Setup through its login page as a new administrator, on ``path``
    (the login page's ``?next=``)."""
    with fresh_tab(browser) as tab:
        tab.page.goto(server.url + "/setup/login?" + urlencode({"next": path}))
        tab.page.get_by_label("Username").fill(server.create_user(profile="System Administrator").username)
        tab.page.get_by_label("Password").fill(PASSWORD)
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name="Log In").click()
        assert tab.page.url == server.url + path
        yield tab


def audit_trail_rows(page: Page, user: str, section: str = "Connected Apps") -> Locator:
    """From any Setup page: View Setup Audit Trail, filtered to ``user``'s changes in ``section``;
    the table's rows, newest first."""
    with page.expect_navigation():
        page.get_by_role("link", name="View Setup Audit Trail").click()
    filters = page.get_by_role("form", name="Filter changes")
    filters.get_by_label("User").fill(user)
    filters.get_by_label("Section").select_option(label=section)
    with page.expect_navigation():
        filters.get_by_role("button", name="Apply").click()
    return page.locator("table.list tbody tr")


def _serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is: id, impact and each target."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'])}"
        for v in results.response["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def check_page(tab: Tab, name: str) -> None:
    """The page ``tab`` shows now passes axe-core (no serious or critical violation), fits a phone's
    width, and logged no console error since the last check; its screenshots (full page, desktop and
    phone) are saved as build/screenshots/<name>-desktop.png and <name>-phone.png."""
    page = tab.page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        violations = _serious_violations(page)
        page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    errors, tab.console_errors[:] = list(tab.console_errors), []
    assert violations == [], f"{name} ({page.url}): axe-core finds " + "; ".join(violations)
    assert scroll_width <= PHONE["width"], (
        f"{name} ({page.url}) scrolls sideways on a phone: {scroll_width}px"
    )
    assert errors == [], f"{name} ({page.url}) logged console errors: {errors}"
