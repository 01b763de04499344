"""The Setup Audit Trail (Salesforce's "View Setup Audit Trail", its ``SetupAuditTrail`` object): every
configuration change, whoever made it and through whichever channel (the browser console, the admin
API, the CLI, or forcegate itself), recorded by the service that makes the change, in the same
transaction: a change that is refused or rolled back leaves no entry, and no change goes unrecorded.

An entry says when (Date), who (User: the username, ``cli:<os user>`` or ``system``), from where
(Source IP, for the web channels), where in Setup (Section, in Salesforce's names: "Connected Apps",
"Manage Users", ...), what (Action: a stable code such as ``connected_app.updated``, and Display: the
sentence an admin reads) and on what (Target), with the changed fields' old and new values.

Secrets never reach an entry: a consumer secret, a password or a security token appears as
``(secret changed)``, a certificate as its SHA-256 fingerprint.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

from forcegate import csv_export
from forcegate.domain import User
from forcegate.org.errors import ValidationFailed
from forcegate.storage import repositories as repo

__all__ = [
    "CSV_COLUMNS",
    "SECRET_CHANGED",
    "Actor",
    "Change",
    "Channel",
    "Entry",
    "csv_row",
    "diff",
    "entries",
    "filters_from",
    "record",
    "to_csv",
]

Channel = Literal["console", "admin_api", "cli", "system"]

# Setup's sections, in Salesforce's words.
CONNECTED_APPS = "Connected Apps"
MANAGE_USERS = "Manage Users"
SECURITY_CONTROLS = "Security Controls"
CERTIFICATES = "Certificate and Key Management"
CUSTOM_OBJECTS = "Custom Objects"

# What an entry shows for any secret that changed (never the secret, nor its hash).
SECRET_CHANGED = "(secret changed)"
DEFAULT_LIMIT = 200  # entries a listing shows unless told otherwise
MAX_LIMIT = 2000
DISPLAY_LENGTH = 1000  # SetupAuditTrail.Display's length


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and through what: every mutating service takes one."""

    channel: Channel
    user_id: str | None = None
    username: str | None = None  # shown as "User"
    source_ip: str | None = None

    @classmethod
    def console(cls, user: User, ip: str) -> Actor:
        return cls("console", user.id, user.username, ip)

    @classmethod
    def admin_api(cls, user: User, ip: str) -> Actor:
        return cls("admin_api", user.id, user.username, ip)

    @classmethod
    def cli(cls) -> Actor:
        """The CLI works on the database directly, as whoever runs it on the server's machine."""
        return cls("cli", username=f"cli:{getpass.getuser()}")

    @classmethod
    def system(cls, why: str) -> Actor:
        """forcegate itself (the demo org, test fixtures); ``why`` is for the reader of the code."""
        del why
        return cls("system", username="system")


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}

    def sentence(self) -> str:
        label = self.field.replace("_", " ")
        if self.new == SECRET_CHANGED:
            return f"changed {label}"
        return f"{label} from {_shown(self.old)} to {_shown(self.new)}"


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _plain(value: Any) -> Any:
    """A JSON value (tuples become lists)."""
    return list(value) if isinstance(value, tuple) else value


def diff(old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]) -> list[Change]:
    """The fields whose value differs between ``old`` and ``new``, in the order of ``fields``."""
    return [
        Change(f, _plain(old.get(f)), _plain(new.get(f)))
        for f in fields
        if _plain(old.get(f)) != _plain(new.get(f))
    ]


def secret_changed(field: str) -> Change:
    return Change(field, None, SECRET_CHANGED)


def described(what: str, changes: Sequence[Change]) -> str:
    """``Changed <what>: a from x to y; b from ...``, for an entry listing several changes."""
    return f"Changed {what}: " + "; ".join(c.sentence() for c in changes)


def record(
    conn: Connection,
    now_ms: int,
    org_id: str,
    actor: Actor,
    *,
    section: str,
    action: str,
    target: str,
    display: str,
    changes: Sequence[Change] = (),
) -> None:
    """Add an entry, in the caller's transaction (so it stands or falls with the change)."""
    repo.insert_audit_entry(
        conn,
        {
            "org_id": org_id,
            "created_ms": now_ms,
            "actor_user_id": actor.user_id,
            "actor": (actor.username or actor.channel)[:255],
            "channel": actor.channel,
            "source_ip": actor.source_ip[:45] if actor.source_ip else None,
            "section": section,
            "action": action,
            "display": display if len(display) <= DISPLAY_LENGTH else display[: DISPLAY_LENGTH - 1] + "…",
            "target": target[:255],
            "changes": json.dumps([c.as_json() for c in changes], default=str),
        },
    )


@dataclass(frozen=True)
class Entry:
    id: str
    created_ms: int
    user: str
    user_id: str | None
    channel: str
    source_ip: str | None
    section: str
    action: str
    display: str
    target: str
    changes: list[dict[str, Any]]

    @property
    def date(self) -> str:
        """ISO-8601, UTC, to the millisecond."""
        moment = dt.datetime.fromtimestamp(self.created_ms / 1000, dt.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date,
            "created_ms": self.created_ms,
            "user": self.user,
            "user_id": self.user_id,
            "channel": self.channel,
            "source_ip": self.source_ip,
            "section": self.section,
            "action": self.action,
            "display": self.display,
            "target": self.target,
            "changes": self.changes,
        }


def entries(
    conn: Connection,
    org_id: str,
    *,
    user: str | None = None,
    section: str | None = None,
    action: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[Entry]:
    """The org's entries, newest first. ``user`` is the entry's User (a username, ``cli:<os user>``
    or ``system``); ``until_ms`` is exclusive."""
    rows = repo.audit_entries(
        conn, org_id, actor=user, section=section, action=action, since_ms=since_ms,
        until_ms=until_ms, limit=limit, offset=offset,
    )  # fmt: skip
    return [_entry(row) for row in rows]


def _entry(row: dict[str, Any]) -> Entry:
    """An entry from its row: the columns by their names, but the actor's, shown as User."""
    fields = {k: v for k, v in row.items() if k not in ("org_id", "actor", "actor_user_id", "changes")}
    return Entry(
        user=row["actor"], user_id=row["actor_user_id"], changes=json.loads(row["changes"]), **fields
    )


# The listing's filters and paging as a query string gives them (the admin API, Setup's page):
# name -> description.
QUERY_PARAMETERS = {
    "user": "only the entries of this User: a username, cli:<os user> or system",
    "section": 'only this Setup section, e.g. "Connected Apps"',
    "action": "only this action code, e.g. connected_app.updated",
    "since": "ISO-8601 date or time (UTC unless it says otherwise): entries at or after it",
    "until": "ISO-8601 date or time: entries before it",
    "limit": f"at most this many entries, 1 to {MAX_LIMIT} [default: {DEFAULT_LIMIT}]",
    "offset": "skip this many of the newest entries first [default: 0]",
}


def parse_time(value: str, name: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 date or time (UTC when no offset is given)."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"{name} must be an ISO-8601 date or time, e.g. 2026-12-01T08:00:00Z", name
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def _count(value: str, name: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}", name)
    return int(value)


def filters_from(query: Mapping[str, str]) -> dict[str, Any]:
    """``entries``' keyword arguments from query parameters (``QUERY_PARAMETERS``); an unknown or
    malformed one is refused."""
    unknown = sorted(set(query) - set(QUERY_PARAMETERS))
    if unknown:
        raise ValidationFailed(f"unknown parameter(s): {', '.join(unknown)}")
    filters: dict[str, Any] = {k: query[k] for k in ("user", "section", "action") if query.get(k)}
    for name in ("since", "until"):
        if name in query:
            filters[f"{name}_ms"] = parse_time(query[name], name)
    filters["limit"] = _count(query["limit"], "limit", 1, MAX_LIMIT) if "limit" in query else DEFAULT_LIMIT
    filters["offset"] = _count(query["offset"], "offset", 0, 2**31 - 1) if "offset" in query else 0
    return filters


# The CSV download's shape, the one place both the CLI and the browser console take it from.
CSV_COLUMNS = ("Date", "User", "Source IP", "Channel", "Section", "Action", "Target")


def csv_row(entry: Entry) -> tuple[str, ...]:
    return (
        entry.date, entry.user, entry.source_ip or "", entry.channel, entry.section, entry.display,
        entry.target,
    )  # fmt: skip


def to_csv(found: Iterable[Entry]) -> str:
    """The download: ``CSV_COLUMNS``, a row an entry (formula-like cells neutralised by csv_export)."""
    return csv_export.to_csv(CSV_COLUMNS, [csv_row(e) for e in found])
