"""Connected Apps OAuth Usage (issue 12, item 4): per connected app, the users holding live tokens,
how many, since when and last used; revoke one user's tokens for the app, or every user's.

A live token is an access token neither revoked nor expired, or a refresh token neither revoked,
rotated nor expired by its app's refresh token policy (``storage.token_lifecycle.oauth_usage``).
"Last Used" is the last time a token of the user's was issued or one of their refresh tokens was
used: a call to the data API with an access token is not recorded, as the bearer check writes
nothing. Revoking goes through ``org.credentials.revoke_tokens``, as the admin API's
``revoke-tokens`` does: the access tokens fail at the data API at once, the refresh tokens at the
token endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from forcegate.org import connected_apps, credentials, users
from forcegate.org.errors import NotFound
from forcegate.storage import token_lifecycle
from forcegate.storage.token_lifecycle import OAuthUsage
from forcegate.web.setup.console import Admin, Paging, action, page

__all__ = ["PATH", "ROUTES"]

PATH = "/setup/oauth-usage"
NOT_FOUND = "No such connected app or user in this org: it may have been deleted."


@dataclass(frozen=True)
class AppUsage:
    """A connected app's section of the page: its users on this page."""

    id: str
    name: str
    user_count: int
    users: list[OAuthUsage]


def by_app(rows: list[OAuthUsage]) -> list[AppUsage]:
    """The page's rows (ordered by app) grouped under their apps."""
    groups: list[AppUsage] = []
    for row in rows:
        if not groups or groups[-1].id != row.app_id:
            groups.append(AppUsage(row.app_id, row.app_name, row.app_user_count, []))
        groups[-1].users.append(row)
    return groups


@page
def usage(admin: Admin) -> Response:
    """GET /setup/oauth-usage: the apps whose users hold live tokens, a row per user (paginated)."""
    paging = Paging.of(admin.request)
    with admin.ctx.db.read() as conn:
        rows = token_lifecycle.oauth_usage(
            conn, admin.org_id, admin.ctx.now_ms(), limit=paging.limit + 1, offset=paging.offset
        )
    shown = rows[: paging.limit]
    return admin.render(
        "setup/oauth_usage.html",
        section=PATH,
        apps=by_app(shown),
        links=paging.links(admin.request, len(shown), len(rows) > paging.limit),
    )


def _revoke(admin: Admin, *, for_user: bool) -> Response:
    """Revoke the tokens of the path's app: every user's, or (``for_user``) the path's user's."""
    refs = [admin.request.path_params["app"]] + ([admin.request.path_params["user"]] if for_user else [])
    try:
        with admin.ctx.db.write() as conn:
            app = connected_apps.find_app(conn, admin.org_id, refs[0])
            user = users.find_user(conn, admin.org_id, refs[1]) if for_user else None
            credentials.revoke_tokens(admin.ctx, conn, admin.org_id, user=user, app=app, actor=admin.actor)
    except NotFound:
        return admin.not_found(NOT_FOUND, section=PATH)
    return admin.redirect(PATH, notice="tokens-revoked")


@action
def revoke_user(admin: Admin, form: FormData) -> Response:
    """POST /setup/oauth-usage/{app}/users/{user}/revoke: csrf_token. That user's tokens for the app."""
    return _revoke(admin, for_user=True)


@action
def revoke_all(admin: Admin, form: FormData) -> Response:
    """POST /setup/oauth-usage/{app}/revoke: csrf_token. Every user's tokens for the app."""
    return _revoke(admin, for_user=False)


ROUTES: list[Route] = [
    Route(PATH, usage, methods=["GET"]),
    Route(PATH + "/{app}/revoke", revoke_all, methods=["POST"]),
    Route(PATH + "/{app}/users/{user}/revoke", revoke_user, methods=["POST"]),
]
