"""Login History (issue 12, item 5): every login to the org, newest first, filtered by user,
application, status, flow and time, a page at a time, and downloadable as CSV (``?format=csv``: the
same filters, every matching row up to ``listing.DOWNLOAD_ROWS``).

The columns are Salesforce's Login History columns (Login Time, Username, Source IP, Login Type,
Status, Application, Client: the user agent) and forcegate's flow; the HTML table and the CSV take
them from ``COLUMNS``. Times are UTC: the From and To filters too (a date alone: from its start,
to its end; To includes its minute or second).

A filter that cannot be understood (a nonsense date, an application or flow that does not exist)
gives the page with its error and status 400, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from starlette.responses import Response
from starlette.routing import Route

from forcegate.domain import LOGIN_SUCCESS
from forcegate.flows import (
    client_credentials,
    device,
    introspection,
    jwt_bearer,
    login,
    refresh_token,
    revocation,
    soap,
    throttle,
    user_agent,
    username_password,
    web_server,
)
from forcegate.storage import repositories as repo
from forcegate.storage.repositories import LoginFilter
from forcegate.storage.schema import LOGIN_STATUS_LENGTH
from forcegate.web.pages import iso_time
from forcegate.web.setup import home
from forcegate.web.setup.console import Admin, page
from forcegate.web.setup.listing import DOWNLOAD_ROWS, Download, FilterError, filtered_list, time_range

__all__ = ["COLUMNS", "PATH", "ROUTES"]

PATH = "/setup/login-history"
ANY_FAILURE = "failures"  # the status filter's "every status but Success"
FILTERS = ("user", "app", "status", "flow", "from", "to")  # the query string's filter parameters

# Salesforce's Login History columns, and the flow: (header, login_history column).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Login Time", "login_ms"),
    ("Username", "username"),
    ("Source IP", "source_ip"),
    ("Login Type", "login_type"),
    ("Status", "status"),
    ("Application", "app_name"),
    ("Client", "user_agent"),
    ("Flow", "flow"),
)

# The status filter's choices: success, any failure, then the failures recorded in Salesforce's words.
STATUSES: tuple[tuple[str, str], ...] = (
    (LOGIN_SUCCESS, LOGIN_SUCCESS),
    (ANY_FAILURE, "Any failure"),
    *(
        (status, status)
        for status in (
            login.INVALID_PASSWORD,
            login.USER_INACTIVE,
            login.PASSWORD_LOCKOUT,
            login.SECURITY_TOKEN_REQUIRED,
            throttle.LOGIN_RATE_EXCEEDED,
            username_password.FLOW_BLOCKED,
            device.NOT_ADMIN_APPROVED_STATUS,
            soap.SOAP_DISABLED_STATUS,
            soap.API_DISABLED_STATUS,
        )
    ),
)

# Every flow login history records, by the name it stores, with Salesforce's name for it.
FLOWS: tuple[tuple[str, str], ...] = (
    (web_server.FLOW, "Web Server"),
    (user_agent.FLOW, "User-Agent"),
    (refresh_token.FLOW, "Refresh Token"),
    (jwt_bearer.FLOW, "JWT Bearer"),
    (device.FLOW, "Device"),
    (username_password.FLOW, "Username-Password"),
    (client_credentials.FLOW, "Client Credentials"),
    (soap.FLOW, "SOAP API login()"),
    (introspection.FLOW, "Token Introspection"),
    (revocation.FLOW, "Token Revocation"),
    (home.FLOW, "Setup"),
)


def _select(
    conn: Connection, org_id: str, given: dict[str, str], limit: int, offset: int
) -> list[dict[str, Any]]:
    """The logins the filters select, newest first; FilterError names the first that cannot be used."""
    where: dict[str, Any] = {}
    if given["user"]:
        # A user's logins are the rows recorded with their ID (whatever they typed); a username no
        # user has (a guess, a typo) finds the attempts made with it, as typed.
        user = repo.user_by_username(conn, given["user"])
        if user is not None and user.org_id == org_id:
            where["user_id"] = user.id
        else:
            where["username"] = given["user"]
    if given["app"]:
        app = repo.app_by_id(conn, given["app"])
        if app is None or app.org_id != org_id:
            raise FilterError("Application: there is no such connected app.")
        where["app_id"] = app.id
    if given["status"] == ANY_FAILURE:
        where["failures"] = True
    elif given["status"]:
        if len(given["status"]) > LOGIN_STATUS_LENGTH:
            raise FilterError("Status: no login has such a status.")
        where["status"] = given["status"]  # any status recorded, not only the listed ones
    if given["flow"]:
        if given["flow"] not in dict(FLOWS):
            raise FilterError("Flow: there is no such flow.")
        where["flow"] = given["flow"]
    where["since_ms"], where["until_ms"] = time_range(given)
    return repo.recent_logins(conn, org_id, limit, offset=offset, where=LoginFilter(**where))


def csv_row(row: Mapping[str, Any]) -> list[Any]:
    """A login as a CSV row: the columns' values, the time in ISO 8601 (UTC)."""
    return [iso_time(row[key]) if key == "login_ms" else row[key] for _, key in COLUMNS]


@page
def login_history(admin: Admin) -> Response:
    """GET /setup/login-history: user, app, status, flow, from, to (filters), offset, limit;
    ``format=csv``: every matching row (up to DOWNLOAD_ROWS) as a download."""
    with admin.ctx.db.read() as conn:
        apps = repo.list_apps(conn, admin.org_id)
    return filtered_list(
        admin,
        filters=FILTERS,
        select=lambda conn, given, limit, offset: _select(conn, admin.org_id, given, limit, offset),
        download=Download("LoginHistory.csv", [header for header, _ in COLUMNS], csv_row, DOWNLOAD_ROWS),
        template="setup/login_history.html",
        section=PATH,
        apps=[(app.id, app.name) for app in apps],
        statuses=STATUSES,
        success=LOGIN_SUCCESS,
        flows=FLOWS,
        columns=COLUMNS,
    )


ROUTES: list[Route] = [Route(PATH, login_history, methods=["GET"])]
