"""A known dataset for the SOQL tests, in an org of its own (so records other tests create elsewhere in
the shared database never show up), and a small evaluator that computes what a query must answer
from the dataset with SOQL's rules — two-valued comparisons, case-insensitive strings, nulls first
ascending — independently of the SQL translator."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forcegate.context import Context
from forcegate.data import api
from forcegate.data.metadata import install_standard_objects
from forcegate.model.access import Caller
from forcegate.org import users
from forcegate.org.permissions import ensure_standard_profiles
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.server import PASSWORD

VERSION = "62.0"
Row = dict[str, Any]


@dataclass
class Dataset:
    org_id: str
    owner_id: str
    owner_name: str
    today: dt.date
    accounts: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    opportunities: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)
    leads: list[Row] = field(default_factory=list)

    @property
    def caller(self) -> Caller:
        return Caller(self.org_id, self.owner_id)

    def by_id(self, record_id: str | None) -> Row | None:
        for rows in (self.accounts, self.contacts, self.opportunities, self.cases, self.leads):
            for row in rows:
                if row["Id"] == record_id:
                    return row
        return None

    def rows(self, object_name: str) -> list[Row]:
        return {
            "account": self.accounts,
            "contact": self.contacts,
            "opportunity": self.opportunities,
            "case": self.cases,
            "lead": self.leads,
        }[object_name.lower()]


def _day(today: dt.date, offset: int | None) -> str | None:
    return None if offset is None else (today + dt.timedelta(days=offset)).isoformat()


ACCOUNTS = [
    # Name, Industry, NumberOfEmployees, AnnualRevenue, Rating, BillingCountry, parent index
    ("Acme Corp", "Energy", 1200, 5_000_000.0, "Hot", "USA", None),
    ("acme labs", "Technology", 45, 750_000.0, "Warm", "USA", 0),
    ("Beta Industries", "Manufacturing", 300, 12_000_000.0, None, "Germany", None),
    ("Gamma LLC", None, None, None, "Cold", "France", None),
    ("delta & co", "Energy", 12, 90_000.5, "Hot", None, 2),
    ("Epsilon 100%", "Retail", 5000, 80_000_000.0, "Warm", "Japan", None),
    ("Zeta_Underscore", "Technology", 0, 0.0, None, "USA", None),
    ("Eta O'Brien", "Banking", 250, 3_000_000.0, "Cold", "Ireland", 0),
    ("Theta", "Energy", 80, None, "Warm", "USA", None),
    ("iota", "Retail", 700, 9_500_000.0, "Hot", "Canada", None),
    ("Kappa Systems", "Technology", 1200, 42_000_000.0, None, "Germany", 5),
    ("Lambda", None, 3, 1_000.0, None, None, None),
]
CONTACTS = [
    # FirstName, LastName, account index, Email, Birthdate offset (days from today), LeadSource
    ("Ada", "Lovelace", 0, "ada@acme.example.com", -365 * 36, "Web"),
    ("Alan", "Turing", 0, "alan@acme.example.com", -365 * 41, "Phone Inquiry"),
    ("Grace", "Hopper", 1, "grace@labs.example.com", -365 * 50, "Web"),
    (None, "Anonymous", None, None, None, None),
    ("Linus", "Torvalds", 2, "linus@beta.example.com", -365 * 30, "Partner Referral"),
    ("margaret", "hamilton", 2, "mh@beta.example.com", -365 * 60, "Web"),
    ("Dennis", "Ritchie", 4, "dmr@delta.example.com", -365 * 45, None),
    ("Barbara", "Liskov", 5, "bl@eps.example.com", -365 * 55, "Other"),
    ("Ken", "Thompson", 5, None, -365 * 48, "Web"),
    ("Frances", "Allen", 7, "fa@eta.example.com", -365 * 70, "Purchased List"),
    ("Donald", "Knuth", 9, "dk@iota.example.com", -365 * 65, "Web"),
    ("Radia", "Perlman", 9, "rp@iota.example.com", 0, "Phone Inquiry"),
    ("Tim", "Berners-Lee", 10, "tbl@kappa.example.com", -1, "Web"),
    ("Hedy", "Lamarr", None, "hedy@example.com", 1, "Other"),
    ("John", "O'Neil", 10, "jo@kappa.example.com", -3, "Web"),
    ("Katherine", "Johnson", 11, "kj@lambda.example.com", -20, None),
    ("Edsger", "Dijkstra", 3, "ewd@gamma.example.com", -40, "Web"),
    ("Shafi", "Goldwasser", 3, "sg@gamma.example.com", 5, "Partner Referral"),
]
OPPORTUNITIES = [
    # Name, account index, StageName, CloseDate offset, Amount, Probability
    ("Acme Renewal", 0, "Closed Won", 0, 100_000.0, 100.0),
    ("Acme Expansion", 0, "Prospecting", 1, 250_000.0, 10.0),
    ("Labs Pilot", 1, "Qualification", -1, 15_000.0, 20.0),
    ("Beta Deal", 2, "Closed Lost", -5, 500_000.0, 0.0),
    ("Beta Upsell", 2, "Negotiation/Review", 10, None, 75.0),
    ("Delta Small", 4, "Closed Won", -40, 5_000.0, 100.0),
    ("Eps Big", 5, "Proposal/Price Quote", 40, 1_000_000.0, 50.0),
    ("Eps Renewal", 5, "Closed Won", -400, 300_000.0, 100.0),
    ("Zeta Trial", 6, "Prospecting", 400, 1_000.0, 10.0),
    ("Eta Loan", 7, "Value Proposition", -2, 75_000.0, 40.0),
    ("Iota Stores", 9, "Closed Won", -10, 220_000.0, 100.0),
    ("Kappa Platform", 10, "Needs Analysis", 20, 640_000.0, 20.0),
    ("Kappa Support", 10, "Closed Lost", -100, 12_000.0, 0.0),
]
CASES = [
    # Subject, account index, contact index, Status, Priority, Origin
    ("Cannot log in", 0, 0, "New", "High", "Web"),
    ("Invoice question", 0, 1, "Closed", "Low", "Email"),
    ("Outage", 2, 4, "Escalated", "High", "Phone"),
    ("Feature request", 5, 7, "Working", "Medium", "Web"),
    ("Password reset", None, 3, "New", None, None),
    ("Shipment delayed", 9, 10, "Closed", "Medium", "Email"),
]
LEADS = [
    # FirstName, LastName, Company, Status, Industry, NumberOfEmployees
    ("Sophie", "Wilson", "ARM Holdings", "Open - Not Contacted", "Technology", 6000),
    ("Guido", "van Rossum", "Python Software", "Working - Contacted", "Not For Profit", 10),
    ("Anita", "Borg", "Systers", "Closed - Converted", None, None),
    ("Vint", "Cerf", "Internet Co", "Open - Not Contacted", "Communications", 300),
    ("Niklaus", "Wirth", "ETH", "Closed - Not Converted", "Education", 20000),
]


def build(ctx: Context, clock_offset: Callable[[int], None]) -> Dataset:
    """Create the org, its owner user and the records (through the data API's Python calls)."""
    now = ctx.now_ms()
    with ctx.db.write() as conn:
        org = repo.insert_org(conn, name=f"SOQL Test {secrets.token_hex(3)}", instance_name="FG9", now_ms=now)
        ensure_standard_profiles(ctx, conn, org.id)
        install_standard_objects(conn, org.id, now)
        owner, _ = users.create_user(
            ctx,
            conn,
            org.id,
            username=f"soql-{secrets.token_hex(4)}@example.com",
            password=PASSWORD,
            profile="System Administrator",
            first_name="Olga",
            last_name="Owner",
            actor=FIXTURE,
        )
    today = dt.datetime.fromtimestamp(ctx.now_ms() / 1000, tz=dt.UTC).date()
    data = Dataset(org.id, owner.id, "Olga Owner", today)
    caller = data.caller

    def create(object_name: str, values: Row, days_ago: int = 0) -> Row:
        clock_offset(-days_ago * 86_400_000)
        try:
            values = {k: v for k, v in values.items()}
            record_id = api.create_record(ctx, caller, object_name, values)
        finally:
            clock_offset(0)
        row = dict(values, Id=record_id, OwnerId=owner.id, CreatedDaysAgo=days_ago, IsDeleted=False)
        data.rows(object_name).append(row)
        return row

    for i, (name, industry, employees, revenue, rating, country, parent) in enumerate(ACCOUNTS):
        create(
            "Account",
            {
                "Name": name,
                "Industry": industry,
                "NumberOfEmployees": employees,
                "AnnualRevenue": revenue,
                "Rating": rating,
                "BillingCountry": country,
                "ParentId": data.accounts[parent]["Id"] if parent is not None else None,
            },
            days_ago=(0, 1, 2, 5, 10, 40, 100, 400, 0, 3, 8, 800)[i],
        )
    for i, (first, last, account, email, birth, source) in enumerate(CONTACTS):
        create(
            "Contact",
            {
                "FirstName": first,
                "LastName": last,
                "Email": email,
                "LeadSource": source,
                "AccountId": data.accounts[account]["Id"] if account is not None else None,
                "Birthdate": _day(today, birth),
            },
            days_ago=i % 4,
        )
    for name, account, stage, close, amount, probability in OPPORTUNITIES:
        row = create(
            "Opportunity",
            {
                "Name": name,
                "AccountId": data.accounts[account]["Id"],
                "StageName": stage,
                "CloseDate": _day(today, close),
                "Amount": amount,
                "Probability": probability,
            },
        )
        row["IsClosed"] = stage.startswith("Closed")
        row["IsWon"] = stage == "Closed Won"
    for subject, account, contact, status, priority, origin in CASES:
        row = create(
            "Case",
            {
                "Subject": subject,
                "Status": status,
                "Priority": priority,
                "Origin": origin,
                "AccountId": data.accounts[account]["Id"] if account is not None else None,
                "ContactId": data.contacts[contact]["Id"],
            },
        )
        row["IsClosed"] = status == "Closed"
    for first, last, company, status, industry, employees in LEADS:
        create(
            "Lead",
            {
                "FirstName": first,
                "LastName": last,
                "Company": company,
                "Status": status,
                "Industry": industry,
                "NumberOfEmployees": employees,
            },
        )
    for rows in (data.contacts, data.leads):
        for row in rows:
            row["Name"] = " ".join(p for p in (row.get("FirstName"), row["LastName"]) if p)
    return data


# --- the evaluator --------------------------------------------------------------------------------


def compare(op: str, value: Any, literal: Any) -> bool:
    """SOQL comparison: never unknown; ``!=`` matches nulls; strings compare without case."""
    if literal is None:
        return (value is None) if op == "=" else (value is not None)
    if value is None:
        return op == "!="
    if isinstance(value, str) and isinstance(literal, str):
        value, literal = value.lower(), literal.lower()
    return {
        "=": value == literal,
        "!=": value != literal,
        "<": value < literal,
        "<=": value <= literal,
        ">": value > literal,
        ">=": value >= literal,
    }[op]


def sort_key(value: Any, descending: bool, nulls_first: bool) -> tuple[int, Any]:
    """A key for ``sorted``: nulls where asked, strings without case."""
    if isinstance(value, str):
        value = value.lower()
    null_rank = 0 if nulls_first else 1
    if value is None:
        return (null_rank if not descending else 1 - null_rank, 0)
    return (1 - null_rank if not descending else null_rank, value)


def order(rows: list[Row], *keys: tuple[Callable[[Row], Any], bool, bool | None]) -> list[Row]:
    """Stable multi-key sort: each key (getter, descending, nulls_first or None for the default)."""
    result = sorted(rows, key=lambda r: r["Id"])  # the final tie-break, as the server orders
    for getter, descending, nulls_first in reversed(keys):
        first = (not descending) if nulls_first is None else nulls_first
        result.sort(key=lambda r: sort_key(getter(r), descending, first), reverse=descending)
    return result


def strip(value: Any) -> Any:
    """A query result without ``attributes`` (compared field by field)."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k != "attributes"}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value
