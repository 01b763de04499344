"""Setup and the admin API closed to non-administrators, and Setup's forms to cross-site posts (issue 12,
"Done when"): every route of forcegate.web.setup.ROUTES and forcegate.web.admin.ADMIN_ROUTES, its path
filled from a fixture org (tests/support/routes.py), one test per route so that a failure names it.

- A logged-in Standard User gets 403 on every Setup page and every Setup POST (sent with the one CSRF
  token such a user can get: the one Setup's 403 page carries for its Log Out form), and 403
  INSUFFICIENT_ACCESS on every admin API route with an ``api`` bearer token.
- A logged-in administrator's post to any Setup route without its csrf_token, or with a wrong one, is
  answered 403 and changes nothing: the admin API's view of the org is the same after it, and the
  session still works.

The way in and out (the login page and Log Out) is for everybody; the login form's CSRF check (a
double-submit cookie, not the session's) is tested in test_setup_access.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from forcegate.web.setup import HOME_PATH, LOGIN_PATH, LOGOUT_PATH
from tests.support.admin_api import PREFIX, Api, access_token
from tests.support.browser import forms, log_in_to_setup, setup_csrf_token
from tests.support.routes import (
    ADMIN_API_ROUTES,
    SETUP_GET_ROUTES,
    SETUP_POST_ROUTES,
    FixtureOrg,
    fill,
    fixture_org,
)
from tests.support.server import PASSWORD, Server

# Open to every user: how one gets in, and out again (the 403 page has a Log Out button).
WAY_IN_AND_OUT = {LOGIN_PATH, LOGOUT_PATH}
# Every other route under /setup is for administrators only ("/" only redirects to /setup).
ADMIN_ONLY = [
    (method, r.path)
    for method, routes in (("GET", SETUP_GET_ROUTES), ("POST", SETUP_POST_ROUTES))
    for r in routes
    if r.path.startswith(HOME_PATH) and r.path not in WAY_IN_AND_OUT
]
CSRF_CHECKED_POSTS = [r.path for r in SETUP_POST_ROUTES if r.path != LOGIN_PATH]
STANDARD = "Standard User"


@pytest.fixture(scope="module")
def org(server: Server) -> FixtureOrg:
    return fixture_org(server)


@dataclass
class Session:
    """A browser without JavaScript logged in to Setup, and the CSRF token its pages carry."""

    client: httpx.Client
    csrf_token: str


def _setup_session(server: Server, profile: str, expected_status: int) -> Iterator[Session]:
    with server.client() as client:
        log_in_to_setup(client, server.create_user(profile=profile).username, PASSWORD)
        home = client.get(HOME_PATH)
        assert home.status_code == expected_status, home.text
        yield Session(client, setup_csrf_token(home))


@pytest.fixture(scope="module")
def standard_user(server: Server) -> Iterator[Session]:
    yield from _setup_session(server, STANDARD, 403)


@pytest.fixture(scope="module")
def admin(server: Server) -> Iterator[Session]:
    yield from _setup_session(server, "System Administrator", 200)


def _refused_and_unchanged(
    org: FixtureOrg, session: Session, path: str, data: dict[str, str]
) -> httpx.Response:
    before = org.view()
    refused = session.client.post(path, data=data)
    assert refused.status_code == 403, (path, refused.status_code, refused.text)
    assert org.view() == before, path
    return refused


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY, ids=[f"{m} {p}" for m, p in ADMIN_ONLY])
def test_a_standard_user_gets_403_on_every_setup_route(
    org: FixtureOrg, standard_user: Session, method: str, path: str
) -> None:
    if method == "GET":
        refused = standard_user.client.get(fill(path, org))
        assert refused.status_code == 403, (path, refused.status_code)
        assert "Insufficient Privileges" in refused.text
    else:
        _refused_and_unchanged(org, standard_user, fill(path, org), {"csrf_token": standard_user.csrf_token})


@pytest.fixture(scope="module")
def standard_api(server: Server) -> Api:
    return Api(server, access_token(server, server.create_user(profile=STANDARD).username))


@pytest.mark.parametrize(("method", "path"), ADMIN_API_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_API_ROUTES])
def test_a_standard_user_gets_insufficient_access_on_every_admin_api_route(
    org: FixtureOrg, standard_api: Api, method: str, path: str
) -> None:
    api_path = fill(path, org).removeprefix(PREFIX)
    body: dict[str, Any] = {"json": {}} if method in ("POST", "PATCH") else {}
    refused = standard_api.call(method, api_path, **body)
    assert refused.status_code == 403, (method, path, refused.text)
    assert refused.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS"


@pytest.fixture(scope="module")
def form_fields(org: FixtureOrg, admin: Session) -> dict[str, dict[str, str]]:
    """The fields of every form on Setup's pages, by the path it posts to: a refused post is otherwise
    the form an administrator would send, so only its CSRF token is wrong."""
    found: dict[str, dict[str, str]] = {}
    for route in SETUP_GET_ROUTES:
        page = admin.client.get(fill(route.path, org))
        for form in forms(page.text):
            fields = dict(form["fields"])  # type: ignore[call-overload]
            fields.update(dict(form["buttons"][:1]))  # type: ignore[index]
            found.setdefault(str(form["action"]), fields)
    return found


@pytest.mark.parametrize("csrf_token", [None, "wrong"], ids=["without", "wrong"])
@pytest.mark.parametrize("path", CSRF_CHECKED_POSTS)
def test_every_setup_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    org: FixtureOrg,
    admin: Session,
    form_fields: dict[str, dict[str, str]],
    path: str,
    csrf_token: str | None,
) -> None:
    action = fill(path, org)
    data = {k: v for k, v in form_fields.get(action, {}).items() if k != "csrf_token"}
    if csrf_token is not None:
        data["csrf_token"] = csrf_token
    _refused_and_unchanged(org, admin, action, data)
    assert admin.client.get(HOME_PATH).status_code == 200  # still logged in


def test_a_path_parameter_nobody_fills_fails_the_run(org: FixtureOrg) -> None:
    """A new route cannot go unchecked: a parameter with no fixture record fails, it is not skipped."""
    assert fill("/admin/api/v1/connected-apps/{ref}", org) == f"/admin/api/v1/connected-apps/{org.app.id}"
    assert fill("/setup/profiles/{profile}", org) == "/setup/profiles/" + org.profile.replace(" ", "%20")
    with pytest.raises(pytest.fail.Exception, match=r"\{widget\}"):
        fill("/setup/widgets/{widget}", org)
