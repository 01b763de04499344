"""View Setup Audit Trail (issue 12, item 6): every administrative change, whatever its channel (Setup
in the browser, the admin API, the CLI, forcegate itself), newest first, with who made it, from which
IP, in which section, what changed (Action: ``org.audit``'s sentence with the old and new values; it
never records a secret) and on what. Filtered by user, section and UTC time range, a page at a time,
and downloadable as CSV (``?format=csv``). The table and the download are ``org.audit``'s one CSV
shape (``CSV_COLUMNS``, ``csv_row``), the CLI's too.
"""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.responses import Response
from starlette.routing import Route

from forcegate.org import audit
from forcegate.storage import repositories as repo
from forcegate.web.setup.console import Admin, page
from forcegate.web.setup.listing import DOWNLOAD_ROWS, Download, filtered_list, time_range

__all__ = ["PATH", "ROUTES"]

PATH = "/setup/audit-trail"
FILTERS = ("user", "section", "from", "to")  # the query string's filter parameters
# The sections the filter always offers, in Salesforce's words; it also offers any other section the
# org's entries name ("Customize Accounts"...), and takes any section typed into the URL.
SECTIONS = (
    audit.CONNECTED_APPS,
    audit.MANAGE_USERS,
    audit.SECURITY_CONTROLS,
    audit.CERTIFICATES,
    audit.CUSTOM_OBJECTS,
)


def _select(
    conn: Connection, org_id: str, given: dict[str, str], limit: int, offset: int
) -> list[audit.Entry]:
    """The entries the filters select, newest first; FilterError if the time range cannot be used."""
    since_ms, until_ms = time_range(given)
    return audit.entries(
        conn, org_id, user=given["user"] or None, section=given["section"] or None,
        since_ms=since_ms, until_ms=until_ms, limit=limit, offset=offset,
    )  # fmt: skip


@page
def audit_trail(admin: Admin) -> Response:
    """GET /setup/audit-trail: user, section, from, to (filters), offset, limit; ``format=csv``: every
    matching entry (up to DOWNLOAD_ROWS) as a download."""
    with admin.ctx.db.read() as conn:
        sections = sorted({*SECTIONS, *repo.audit_sections(conn, admin.org_id)})
    return filtered_list(
        admin,
        filters=FILTERS,
        select=lambda conn, given, limit, offset: _select(conn, admin.org_id, given, limit, offset),
        download=Download("SetupAuditTrail.csv", audit.CSV_COLUMNS, audit.csv_row, DOWNLOAD_ROWS),
        template="setup/audit_trail.html",
        section=PATH,
        sections=[(name, name) for name in sections],
        columns=audit.CSV_COLUMNS,
        cells=audit.csv_row,
    )


ROUTES: list[Route] = [Route(PATH, audit_trail, methods=["GET"])]
