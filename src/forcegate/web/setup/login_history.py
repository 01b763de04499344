"""Login History (issue 12, item 5): every login to the org, newest first, filtered by user,
application, status, flow and time, a page at a time, and downloadable as CSV (``?format=csv``: the
same filters, every matching row up to ``CSV_ROWS``).

The columns are Salesforce's Login History columns (Login Time, Username, Source IP, Login Type,
Status, Application, Client: the user agent) and forcegate's flow; the HTML table and the CSV take
them from ``COLUMNS``. Times are UTC: the From and To filters too (a date alone: from its start,
to its end; To includes its minute or second).

A filter that cannot be understood (a nonsense date, an application or flow that does not exist)
gives the page with its error and status 400, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

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
from forcegate.protocol.requests import unstorable
from forcegate.storage import repositories as repo
from forcegate.storage.repositories import LoginFilter
from forcegate.storage.schema import LOGIN_STATUS_LENGTH
from forcegate.web.pages import iso_time
from forcegate.web.setup import home
from forcegate.web.setup.console import Admin, Paging, csv_response, page

__all__ = ["COLUMNS", "CSV_ROWS", "PATH", "ROUTES"]

PATH = "/setup/login-history"
CSV_ROWS = 20_000  # what Salesforce's Login History page keeps within reach: its latest 20,000 logins
ANY_FAILURE = "failures"  # the status filter's "every status but Success"
MAX_TEXT = 255  # a username's length
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

_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?")
_PRECISION = {10: dt.timedelta(days=1), 16: dt.timedelta(minutes=1), 19: dt.timedelta(seconds=1)}


class FilterError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Filters:
    """The filters as given (the form shows them again) and what they select."""

    given: Mapping[str, str]
    where: LoginFilter


def _moment(name: str, text: str, *, end: bool) -> int:
    """A From or To filter in milliseconds, UTC: a date, or a date and time to the minute or second
    (what date and datetime-local inputs send). ``end``: the instant after it (To includes it)."""
    if not _MOMENT.fullmatch(text):
        raise FilterError(f"{name}: enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDThh:mm), in UTC.")
    try:
        moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        if end:
            moment += _PRECISION[len(text)]
    except (ValueError, OverflowError) as exc:
        raise FilterError(f"{name}: {text} is not a date.") from exc
    return int(moment.timestamp() * 1000)


def _filters(conn: Connection, org_id: str, query: Mapping[str, str]) -> Filters:
    """The query string's filters, checked; FilterError names the first that cannot be used."""
    given = {name: query.get(name, "").strip() for name in FILTERS}
    if any(unstorable(value) or len(value) > MAX_TEXT for value in given.values()):
        raise FilterError("A filter holds characters or a length no login could have.")
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
    if given["from"]:
        where["since_ms"] = _moment("From", given["from"], end=False)
    if given["to"]:
        where["until_ms"] = _moment("To", given["to"], end=True)
    # The form's datetime-local inputs show a date alone as the first or last minute it covers.
    if len(given["from"]) == len("YYYY-MM-DD"):
        given["from"] += "T00:00"
    if len(given["to"]) == len("YYYY-MM-DD"):
        given["to"] += "T23:59"
    if where.get("since_ms", 0) >= where.get("until_ms", 2**63):
        raise FilterError("From must be before To.")
    return Filters(given, LoginFilter(**where))


def csv_row(row: Mapping[str, Any]) -> list[Any]:
    """A login as a CSV row: the columns' values, the time in ISO 8601 (UTC)."""
    return [iso_time(row[key]) if key == "login_ms" else row[key] for _, key in COLUMNS]


@page
def login_history(admin: Admin) -> Response:
    """GET /setup/login-history: user, app, status, flow, from, to (filters), offset, limit;
    ``format=csv``: every matching row (up to CSV_ROWS) as a download."""
    query = admin.request.query_params
    download = query.get("format", "")
    paging = Paging.of(admin.request)
    error: str | None = None
    rows: list[dict[str, Any]] = []
    with admin.ctx.db.read() as conn:
        apps = repo.list_apps(conn, admin.org_id)
        try:
            if download not in ("", "csv"):
                raise FilterError("Format: the only download is csv.")
            filters = _filters(conn, admin.org_id, query)
            if download == "csv":
                rows = repo.recent_logins(conn, admin.org_id, CSV_ROWS, where=filters.where)
            else:
                rows = repo.recent_logins(
                    conn, admin.org_id, paging.limit + 1, offset=paging.offset, where=filters.where
                )
        except FilterError as failed:
            error = failed.message
            filters = Filters({name: query.get(name, "") for name in FILTERS}, LoginFilter())
    if error is None and download == "csv":
        return csv_response("LoginHistory.csv", [header for header, _ in COLUMNS], map(csv_row, rows))
    shown = rows[: paging.limit]
    kept = {k: v for k, v in query.items() if k in filters.given and v}
    return admin.render(
        "setup/login_history.html",
        section=PATH,
        status=400 if error else 200,
        error=error,
        given=filters.given,
        apps=apps,
        statuses=STATUSES,
        success=LOGIN_SUCCESS,
        flows=FLOWS,
        columns=COLUMNS,
        rows=shown,
        csv_url=PATH + "?" + urlencode({**kept, "format": "csv"}),
        links=paging.links(admin.request, len(shown), len(rows) > paging.limit),
    )


ROUTES: list[Route] = [Route(PATH, login_history, methods=["GET"])]
