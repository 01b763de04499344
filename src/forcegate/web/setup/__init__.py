"""Setup in the browser: the org's administration, one module per section (issue 12).

``console`` holds what every page shares (the administrator check, CSRF, layout, paging, CSV);
``home`` the way in and out. Every route is listed in ``ROUTES``; path parameters are named the same
everywhere: ``{app}`` a connected app's record ID, ``{user}`` a user's record ID, ``{profile}`` a
profile's name, ``{permission_set}`` a permission set's name, ``{kid}`` a signing key's ID.
"""

from __future__ import annotations

from starlette.routing import Route

from forcegate.web.setup import (
    apps,
    audit_trail,
    home,
    login_history,
    oauth_usage,
    permissions,
    security,
    users,
)
from forcegate.web.setup.console import HOME_PATH, LOGIN_PATH, LOGOUT_PATH

__all__ = ["HOME_PATH", "LOGIN_PATH", "LOGOUT_PATH", "ROUTES"]

ROUTES: list[Route] = [
    *home.ROUTES,
    *apps.ROUTES,
    *security.ROUTES,
    *oauth_usage.ROUTES,
    *login_history.ROUTES,
    *audit_trail.ROUTES,
    *users.ROUTES,
    *permissions.ROUTES,
]
