"""The object permission matrix in Debian's headless Chromium: check a box, save, see it saved (with
what Setup implies); the page passes tests/support/pages.py's check (axe-core, phone width)."""

from __future__ import annotations

import secrets

from playwright.sync_api import Browser

from forcegate.org import permissions
from tests.support.actors import FIXTURE
from tests.support.pages import check_page, fresh_tab
from tests.support.server import PASSWORD, Server


def test_an_administrator_checks_a_box_in_the_matrix_and_sees_it_saved(
    server: Server, browser: Browser
) -> None:
    admin = server.create_user(profile="System Administrator")
    name = f"Matrix {secrets.token_hex(3)}"
    with server.ctx.db.write() as conn:
        permissions.create_profile(server.ctx, conn, server.org_id, name, actor=FIXTURE)
    with fresh_tab(browser) as tab:
        page = tab.page
        page.goto(server.url + "/setup/profiles")
        page.get_by_label("Username").fill(admin.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log In").click()
        page.get_by_role("link", name=name).click()
        assert page.get_by_role("heading", name=name).is_visible()
        delete = page.get_by_label("Account: Delete")
        assert not delete.is_checked()
        delete.check()
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url("**notice=permissions-saved")
        assert page.get_by_role("status").inner_text() == "The permissions were saved."
        # Saved, with what Delete implies in Salesforce: Edit and Read.
        for flag in ("Read", "Edit", "Delete"):
            assert page.get_by_label(f"Account: {flag}").is_checked(), flag
        for flag in ("Create", "View All", "Modify All"):
            assert not page.get_by_label(f"Account: {flag}").is_checked(), flag
        check_page(tab, "setup-profile-matrix-saved")
