"""Every Setup route and every admin API route with its path parameters filled from a fixture org, for
the tests that visit them all (tests/setup): a route with a parameter nobody knows how to fill fails,
so a new page or API route cannot go unchecked.

Setup's path parameter names are fixed by convention: ``{app}`` a connected app's record id, ``{user}``
a user's record id, ``{profile}`` a profile's name, ``{permission_set}`` a permission set's name,
``{kid}`` a signing key's kid. The admin API names its record ``{ref}`` or ``{name}`` after the
collection it follows (``/connected-apps/{ref}``, ``/profiles/{name}``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from starlette.routing import Route

from forcegate.domain import ConnectedApp, User
from forcegate.org.access import org_view
from forcegate.storage import repositories as repo
from forcegate.storage import signing_keys
from forcegate.web.admin import ADMIN_ROUTES
from forcegate.web.setup import ROUTES
from tests.support.admin_api import Api, api_for
from tests.support.server import Server

_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
# The admin API's collections and the Setup parameter naming the same record.
ADMIN_COLLECTIONS = {
    "connected-apps": "app",
    "users": "user",
    "profiles": "profile",
    "permission-sets": "permission_set",
}
# The admin API's lists: a refused change leaves them, the org settings and the signing keys as they were.
ORG_VIEWS = tuple(f"/{collection}" for collection in ADMIN_COLLECTIONS)


@dataclass(frozen=True)
class FixtureOrg:
    """One record of each kind a path names, and an administrator's admin API."""

    app: ConnectedApp
    user: User
    profile: str
    permission_set: str
    kid: str
    admin_api: Api

    @property
    def parameters(self) -> dict[str, str]:
        return {
            "app": self.app.id,
            "user": self.user.id,
            "profile": self.profile,
            "permission_set": self.permission_set,
            "kid": self.kid,
        }

    def view(self) -> dict[str, Any]:
        """The org as the admin API lists it, its settings and its signing keys (which no admin API
        route shows), to compare before and after a refused change."""
        server = self.admin_api.server
        with server.ctx.db.read() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            stored = {"org settings": org_view(org), "signing keys": signing_keys.all_keys(conn)}
        return {**{path: self.admin_api.ok("GET", path) for path in ORG_VIEWS}, **stored}


def fixture_org(server: Server) -> FixtureOrg:
    """A connected app, an extra user, a custom profile and a permission set (the signing key exists)."""
    suffix = secrets.token_hex(4)
    api = api_for(server)
    profile = api.ok("POST", "/profiles", 201, json={"name": f"Pages Profile {suffix}"})["name"]
    permission_set = api.ok("POST", "/permission-sets", 201, json={"name": f"Pages_{suffix}"})["name"]
    app, _ = server.create_app()
    return FixtureOrg(
        app=app,
        user=server.create_user(),
        profile=str(profile),
        permission_set=str(permission_set),
        kid=server.ctx.keys.signing_kid(),
        admin_api=api,
    )


def fill(path: str, org: FixtureOrg) -> str:
    """``path`` with each parameter replaced by the fixture org's record (URL-encoded)."""
    values = org.parameters

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            collection = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            name = ADMIN_COLLECTIONS.get(collection, name)
        if name not in values:
            pytest.fail(
                f"{path}: no fixture record for {{{match[1]}}}; give tests/support/routes.py's "
                "FixtureOrg one so the page is checked"
            )
        return quote(values[name], safe="")

    return _PARAMETER.sub(value, path)


def _setup_routes(method: str) -> list[Route]:
    # Only Routes can be enumerated: a Mount or Host would hide its pages from these tests.
    assert all(isinstance(r, Route) for r in ROUTES), "forcegate.web.setup.ROUTES must be Routes only"
    return [r for r in ROUTES if method in (r.methods or ())]


SETUP_GET_ROUTES = _setup_routes("GET")
SETUP_POST_ROUTES = _setup_routes("POST")
ADMIN_API_ROUTES = [(r.operation.method, r.operation.path) for r in ADMIN_ROUTES]


def page_name(path: str) -> str:
    """A route's page name, for its screenshots: /setup/apps/{app} is setup-apps-app."""
    return _PARAMETER.sub(r"\1", path).strip("/").replace("/", "-") or "root"
