"""SOQL conformance: well over 150 queries against a known dataset, on SQLite and PostgreSQL.

Valid queries are compared with what the evaluator in ``tests/support/soql_dataset.py`` computes from the
dataset; invalid ones must fail with Salesforce's errorCode (and, where it matters, message).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from forcegate.data import api
from forcegate.data.errors import DataApiError
from tests.support.server import Server
from tests.support.soql_dataset import VERSION, Dataset, Row, build, compare, order, strip

pytestmark = pytest.mark.storage


@pytest.fixture(scope="module")
def data(server: Server) -> Iterator[Dataset]:
    def shift(offset_ms: int) -> None:
        server.clock.offset_ms = offset_ms

    yield build(server.ctx, shift)


def run(server: Server, data: Dataset, soql: str, **kw: Any) -> dict[str, Any]:
    return api.query(server.ctx, data.caller, soql, VERSION, **kw)


# --- projections -----------------------------------------------------------------------------------

_REL_ID = {"account": "AccountId", "parent": "ParentId", "contact": "ContactId", "owner": "OwnerId"}


def project(d: Dataset, row: Row, paths: list[str]) -> Row:
    out: Row = {}
    for path in paths:
        parts = path.split(".")
        target, current = out, row
        for rel in parts[:-1]:
            id_field = _REL_ID[rel.lower()]
            parent_id = current.get(id_field)
            if rel.lower() == "owner":
                parent: Row | None = {"Name": d.owner_name, "Id": d.owner_id} if parent_id else None
            else:
                parent = d.by_id(parent_id)
            if parent is None:
                target[rel] = None
                break
            target = target.setdefault(rel, {})
            current = parent
        else:
            target[parts[-1]] = current.get(parts[-1])
    return out


@dataclass
class Case:
    soql: str
    expect: Callable[[Dataset], Any]
    ordered: bool = True
    id: str = ""


CASES: list[Case] = []


def rows_case(
    soql: str,
    obj: str,
    paths: list[str],
    where: Callable[[Dataset, Row], bool] = lambda d, r: True,
    sort: Callable[[Dataset, list[Row]], list[Row]] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> None:
    def expect(d: Dataset) -> list[Row]:
        rows = [r for r in d.rows(obj) if where(d, r)]
        if sort is not None:
            rows = sort(d, rows)
        rows = rows[offset:]
        if limit is not None:
            rows = rows[:limit]
        return [project(d, r, paths) for r in rows]

    CASES.append(Case(soql, expect, ordered=sort is not None))


def lit(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


OPS = ["=", "!=", "<", "<=", ">", ">="]

# 1. comparison matrix: every operator on strings, numbers, dates, booleans, with nulls in the data
for field, values, ops in [
    ("NumberOfEmployees", [0, 250, 1200], OPS),
    ("AnnualRevenue", [90000.5, 5000000.0], OPS),
    ("Name", ["acme corp", "Eta O'Brien"], OPS),
    ("Industry", ["energy", "Technology", None], ["=", "!="]),
    ("BillingCountry", ["usa"], OPS),
]:
    for value in values:
        for op in ops:
            rows_case(
                f"SELECT Id FROM Account WHERE {field} {op} {lit(value)}",
                "Account",
                ["Id"],
                lambda d, r, f=field, o=op, v=value: compare(o, r.get(f), v),
            )
for op in OPS:
    rows_case(
        f"SELECT Id, Name FROM Contact WHERE Birthdate {op} BIRTH_50",
        "Contact",
        ["Id", "Name"],
        lambda d, r, o=op: compare(
            o, r.get("Birthdate"), (d.today - dt.timedelta(days=365 * 50)).isoformat()
        ),
    )
    rows_case(
        f"SELECT Id FROM Opportunity WHERE CloseDate {op} TODAY_ISO",
        "Opportunity",
        ["Id"],
        lambda d, r, o=op: compare(o, r["CloseDate"], d.today.isoformat()),
    )
for value in (True, False):
    for op in ("=", "!="):
        rows_case(
            f"SELECT Id, Name FROM Opportunity WHERE IsWon {op} {lit(value)}",
            "Opportunity",
            ["Id", "Name"],
            lambda d, r, o=op, v=value: compare(o, r["IsWon"], v),
        )
for op in ("=", "!="):
    rows_case(
        f"SELECT Id FROM Opportunity WHERE Amount {op} null",
        "Opportunity",
        ["Id"],
        lambda d, r, o=op: compare(o, r.get("Amount"), None),
    )


# 2. LIKE (case-insensitive, % and _, escaped wildcards)
def like(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    regex = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


for pattern in ["acme%", "%corp", "%a%", "A_me%", "%100\\%", "zeta\\_%", "%o\\'brien", "theta", "_ota", "%"]:
    unescaped = pattern.replace("\\'", "'")
    rows_case(
        f"SELECT Id, Name FROM Account WHERE Name LIKE '{pattern}'",
        "Account",
        ["Id", "Name"],
        lambda d, r, p=unescaped: like(p, r["Name"]),
    )
rows_case(
    "SELECT Id FROM Contact WHERE Email LIKE '%@acme.example.com'",
    "Contact",
    ["Id"],
    lambda d, r: like("%@acme.example.com", r.get("Email")),
)
rows_case(
    "SELECT Id FROM Contact WHERE NOT Email LIKE '%example.com'",
    "Contact",
    ["Id"],
    lambda d, r: not like("%example.com", r.get("Email")),
)


# 3. IN / NOT IN, with nulls
def in_list(value: Any, values: list[Any]) -> bool:
    return any(compare("=", value, v) for v in values)


for field, values in [
    ("Industry", ["Energy", "retail"]),
    ("Industry", ["Energy", None]),
    ("Rating", ["Hot", "Warm"]),
    ("NumberOfEmployees", [12, 1200]),
    ("NumberOfEmployees", [0]),
    ("BillingCountry", [None]),
]:
    listed = ", ".join(lit(v) for v in values)
    rows_case(
        f"SELECT Id FROM Account WHERE {field} IN ({listed})",
        "Account",
        ["Id"],
        lambda d, r, f=field, v=values: in_list(r.get(f), v),
    )
    rows_case(
        f"SELECT Id FROM Account WHERE {field} NOT IN ({listed})",
        "Account",
        ["Id"],
        lambda d, r, f=field, v=values: not in_list(r.get(f), v),
    )


def account_ids(d: Dataset, *indexes: int) -> list[str]:
    return [d.accounts[i]["Id"] for i in indexes]


CASES.append(
    Case(
        "SELECT Id FROM Contact WHERE AccountId IN (ACC_0, ACC_2)",
        lambda d: [{"Id": r["Id"]} for r in d.contacts if r.get("AccountId") in account_ids(d, 0, 2)],
        ordered=False,
    )
)
CASES.append(
    Case(
        "SELECT Id FROM Contact WHERE AccountId = ACC_0_15",
        lambda d: [{"Id": r["Id"]} for r in d.contacts if r.get("AccountId") == d.accounts[0]["Id"]],
        ordered=False,
    )
)

# 4. AND / OR / NOT / parentheses
for soql, predicate in [
    (
        "Industry = 'Energy' AND NumberOfEmployees > 50",
        lambda r: compare("=", r.get("Industry"), "Energy") and compare(">", r.get("NumberOfEmployees"), 50),
    ),
    (
        "Industry = 'Energy' OR Industry = 'Retail'",
        lambda r: compare("=", r.get("Industry"), "Energy") or compare("=", r.get("Industry"), "Retail"),
    ),
    (
        "(Industry = 'Energy' OR Industry = 'Retail') AND NumberOfEmployees < 1000",
        lambda r: (
            (compare("=", r.get("Industry"), "Energy") or compare("=", r.get("Industry"), "Retail"))
            and compare("<", r.get("NumberOfEmployees"), 1000)
        ),
    ),
    (
        "Industry = 'Energy' OR (Industry = 'Technology' AND NumberOfEmployees > 10)",
        lambda r: (
            compare("=", r.get("Industry"), "Energy")
            or (
                compare("=", r.get("Industry"), "Technology") and compare(">", r.get("NumberOfEmployees"), 10)
            )
        ),
    ),
    ("NOT Industry = 'Energy'", lambda r: not compare("=", r.get("Industry"), "Energy")),
    (
        "NOT (Industry = 'Energy' OR Rating = 'Hot')",
        lambda r: not (compare("=", r.get("Industry"), "Energy") or compare("=", r.get("Rating"), "Hot")),
    ),
    ("NOT (NumberOfEmployees > 100)", lambda r: not compare(">", r.get("NumberOfEmployees"), 100)),
    (
        "Rating != null AND (AnnualRevenue >= 1000000 OR NumberOfEmployees = null)",
        lambda r: (
            compare("!=", r.get("Rating"), None)
            and (
                compare(">=", r.get("AnnualRevenue"), 1000000)
                or compare("=", r.get("NumberOfEmployees"), None)
            )
        ),
    ),
    ("((Name LIKE 'a%'))", lambda r: like("a%", r["Name"])),
    (
        "Industry != 'Energy' AND Industry != 'Technology' AND Industry != null",
        lambda r: r.get("Industry") not in ("Energy", "Technology", None),
    ),
    (
        "NOT Rating IN ('Hot') AND NOT Industry = null",
        lambda r: not in_list(r.get("Rating"), ["Hot"]) and r.get("Industry") is not None,
    ),
    (
        "(NumberOfEmployees > 100 AND NumberOfEmployees < 1000) OR (AnnualRevenue > 10000000)",
        lambda r: (
            (compare(">", r.get("NumberOfEmployees"), 100) and compare("<", r.get("NumberOfEmployees"), 1000))
            or compare(">", r.get("AnnualRevenue"), 10000000)
        ),
    ),
]:
    rows_case(
        f"SELECT Id, Name FROM Account WHERE {soql}",
        "Account",
        ["Id", "Name"],
        lambda d, r, p=predicate: p(r),
    )


# 5. ORDER BY, NULLS FIRST/LAST, LIMIT, OFFSET
def by(field: str, desc: bool = False, nulls_first: bool | None = None) -> Any:
    return (lambda r, f=field: r.get(f), desc, nulls_first)


for clause, keys, limit, offset in [
    ("ORDER BY Name", [by("Name")], None, 0),
    ("ORDER BY Name DESC", [by("Name", True)], None, 0),
    ("ORDER BY NumberOfEmployees", [by("NumberOfEmployees")], None, 0),
    ("ORDER BY NumberOfEmployees DESC", [by("NumberOfEmployees", True)], None, 0),
    ("ORDER BY NumberOfEmployees ASC NULLS LAST", [by("NumberOfEmployees", False, False)], None, 0),
    ("ORDER BY NumberOfEmployees DESC NULLS FIRST", [by("NumberOfEmployees", True, True)], None, 0),
    ("ORDER BY Industry, Name", [by("Industry"), by("Name")], None, 0),
    (
        "ORDER BY Industry DESC NULLS LAST, NumberOfEmployees DESC, Name",
        [by("Industry", True, False), by("NumberOfEmployees", True), by("Name")],
        None,
        0,
    ),
    ("ORDER BY AnnualRevenue DESC NULLS LAST LIMIT 3", [by("AnnualRevenue", True, False)], 3, 0),
    ("ORDER BY Name LIMIT 5 OFFSET 2", [by("Name")], 5, 2),
    ("ORDER BY Name OFFSET 10", [by("Name")], None, 10),
    ("ORDER BY Name LIMIT 0", [by("Name")], 0, 0),
    ("ORDER BY Name LIMIT 100 OFFSET 11", [by("Name")], 100, 11),
    ("ORDER BY Rating NULLS FIRST, Name DESC", [by("Rating", False, True), by("Name", True)], None, 0),
    (
        "ORDER BY BillingCountry ASC NULLS LAST, Name ASC",
        [by("BillingCountry", False, False), by("Name")],
        None,
        0,
    ),
]:
    rows_case(
        f"SELECT Name, NumberOfEmployees FROM Account {clause}",
        "Account",
        ["Name", "NumberOfEmployees"],
        sort=lambda d, rows, k=keys: order(rows, *k),
        limit=limit,
        offset=offset,
    )
rows_case(
    "SELECT LastName FROM Contact WHERE AccountId != null ORDER BY Account.Name DESC, LastName LIMIT 7",
    "Contact",
    ["LastName"],
    lambda d, r: r.get("AccountId") is not None,
    sort=lambda d, rows: order(rows, (lambda r: d.by_id(r["AccountId"])["Name"], True, None), by("LastName")),  # type: ignore[index]
    limit=7,
)
rows_case(
    "SELECT Name, CloseDate FROM Opportunity ORDER BY CloseDate DESC, Name",
    "Opportunity",
    ["Name", "CloseDate"],
    sort=lambda d, rows: order(rows, by("CloseDate", True), by("Name")),
)
rows_case(
    "SELECT Name, Amount FROM Opportunity ORDER BY Amount NULLS LAST, Name",
    "Opportunity",
    ["Name", "Amount"],
    sort=lambda d, rows: order(rows, by("Amount", False, False), by("Name")),
)

# 6. parent relationships (and values of every type)
rows_case("SELECT Name, Account.Name FROM Contact", "Contact", ["Name", "Account.Name"])
rows_case(
    "SELECT LastName, Account.Name, Account.Industry FROM Contact WHERE Account.Industry = 'Energy'",
    "Contact",
    ["LastName", "Account.Name", "Account.Industry"],
    lambda d, r: (d.by_id(r.get("AccountId")) or {}).get("Industry") == "Energy",
)
rows_case(
    "SELECT Name, Parent.Name, Parent.Parent.Name FROM Account",
    "Account",
    ["Name", "Parent.Name", "Parent.Parent.Name"],
)
rows_case(
    "SELECT Subject, Contact.LastName, Contact.Account.Name FROM Case",
    "Case",
    ["Subject", "Contact.LastName", "Contact.Account.Name"],
)
rows_case("SELECT Name, Owner.Name FROM Opportunity", "Opportunity", ["Name", "Owner.Name"])
rows_case(
    "SELECT Name FROM Opportunity WHERE Account.NumberOfEmployees > 1000 AND Account.Rating != null",
    "Opportunity",
    ["Name"],
    lambda d, r: (
        compare(">", d.by_id(r["AccountId"])["NumberOfEmployees"], 1000)
        and d.by_id(r["AccountId"])["Rating"] is not None
    ),  # type: ignore[index]
)
rows_case(
    "SELECT LastName FROM Contact WHERE Account.Name LIKE 'acme%' ORDER BY LastName",
    "Contact",
    ["LastName"],
    lambda d, r: like("acme%", (d.by_id(r.get("AccountId")) or {}).get("Name")),
    sort=lambda d, rows: order(rows, by("LastName")),
)
rows_case(
    "SELECT Name, Amount, Probability, CloseDate, IsClosed, IsWon, StageName FROM Opportunity",
    "Opportunity",
    ["Name", "Amount", "Probability", "CloseDate", "IsClosed", "IsWon", "StageName"],
)
rows_case(
    "SELECT Name, Company, Status, Industry, NumberOfEmployees FROM Lead",
    "Lead",
    ["Name", "Company", "Status", "Industry", "NumberOfEmployees"],
)
rows_case(
    "SELECT Subject, Status, Priority, Origin, IsClosed FROM Case",
    "Case",
    ["Subject", "Status", "Priority", "Origin", "IsClosed"],
)
rows_case(
    "SELECT FirstName, LastName, Email, Birthdate, LeadSource FROM Contact",
    "Contact",
    ["FirstName", "LastName", "Email", "Birthdate", "LeadSource"],
)


# 7. child subqueries
def children(d: Dataset, parent: Row, rows: list[Row], fk: str, paths: list[str], sort: Any = None) -> Any:
    kids = [r for r in rows if r.get(fk) == parent["Id"]]
    if sort:
        kids = order(kids, *sort)
    if not kids:
        return None
    return {"totalSize": len(kids), "done": True, "records": [project(d, k, paths) for k in kids]}


CASES.append(
    Case(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account ORDER BY Name",
        lambda d: [
            {
                "Name": a["Name"],
                "Contacts": children(d, a, d.contacts, "AccountId", ["LastName"], [by("LastName")]),
            }
            for a in order(d.accounts, by("Name"))
        ],
    )
)
CASES.append(
    Case(
        "SELECT Name, (SELECT Name, Amount FROM Opportunities WHERE Amount > 50000 ORDER BY Amount DESC), "
        "(SELECT Subject FROM Cases ORDER BY Subject) FROM Account WHERE Industry != null ORDER BY Name",
        lambda d: [
            {
                "Name": a["Name"],
                "Opportunities": children(
                    d,
                    a,
                    [o for o in d.opportunities if compare(">", o.get("Amount"), 50000)],
                    "AccountId",
                    ["Name", "Amount"],
                    [by("Amount", True)],
                ),
                "Cases": children(d, a, d.cases, "AccountId", ["Subject"], [by("Subject")]),
            }
            for a in order([a for a in d.accounts if a.get("Industry") is not None], by("Name"))
        ],
    )
)
CASES.append(
    Case(
        "SELECT LastName, (SELECT Subject, Account.Name FROM Cases) FROM Contact WHERE LastName IN "
        "('Lovelace', 'Anonymous') ORDER BY LastName",
        lambda d: [
            {
                "LastName": c["LastName"],
                "Cases": children(d, c, d.cases, "ContactId", ["Subject", "Account.Name"]),
            }
            for c in order(
                [c for c in d.contacts if c["LastName"] in ("Lovelace", "Anonymous")], by("LastName")
            )
        ],
    )
)
CASES.append(
    Case(
        "SELECT Name, (SELECT Name FROM ChildAccounts ORDER BY Name LIMIT 1) FROM Account WHERE "
        "ParentId = null ORDER BY Name",
        lambda d: [
            {
                "Name": a["Name"],
                "ChildAccounts": (
                    lambda kids: None if not kids else {"totalSize": 1, "done": True, "records": kids[:1]}
                )(
                    [
                        {"Name": k["Name"]}
                        for k in order([k for k in d.accounts if k.get("ParentId") == a["Id"]], by("Name"))
                    ]
                ),
            }
            for a in order([a for a in d.accounts if a.get("ParentId") is None], by("Name"))
        ],
    )
)
CASES.append(
    Case(
        "select name, (select lastname from CONTACTS where lastname like 't%') from account where "
        "name = 'ACME CORP'",
        lambda d: [
            {
                "Name": a["Name"],
                "Contacts": children(
                    d, a, [c for c in d.contacts if like("t%", c["LastName"])], "AccountId", ["LastName"]
                ),
            }
            for a in d.accounts
            if a["Name"] == "Acme Corp"
        ],
    )
)


# 8. aggregates
def groups(rows: list[Row], key: Callable[[Row], Any]) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def values(rows: list[Row], field: str) -> list[Any]:
    return [r[field] for r in rows if r.get(field) is not None]


CASES += [
    Case("SELECT COUNT() FROM Account", lambda d: {"totalSize": len(d.accounts), "records": []}),
    Case(
        "SELECT COUNT() FROM Contact WHERE AccountId = null",
        lambda d: {"totalSize": sum(1 for c in d.contacts if c.get("AccountId") is None), "records": []},
    ),
    Case(
        "SELECT COUNT() FROM Account WHERE Industry = 'Energy' LIMIT 2",
        lambda d: {
            "totalSize": min(2, sum(1 for a in d.accounts if a.get("Industry") == "Energy")),
            "records": [],
        },
    ),
    Case("SELECT COUNT(Id) FROM Account", lambda d: [{"expr0": len(d.accounts)}]),
    Case(
        "SELECT COUNT(Industry) cnt, COUNT_DISTINCT(Industry) FROM Account",
        lambda d: [
            {"cnt": len(values(d.accounts, "Industry")), "expr0": len(set(values(d.accounts, "Industry")))}
        ],
    ),
    Case(
        "SELECT SUM(Amount), AVG(Amount), MIN(Amount), MAX(Amount) FROM Opportunity",
        lambda d: [
            {
                "expr0": sum(values(d.opportunities, "Amount")),
                "expr1": sum(values(d.opportunities, "Amount")) / len(values(d.opportunities, "Amount")),
                "expr2": min(values(d.opportunities, "Amount")),
                "expr3": max(values(d.opportunities, "Amount")),
            }
        ],
    ),
    Case(
        "SELECT StageName, COUNT(Id) n, SUM(Amount) total FROM Opportunity GROUP BY StageName ORDER "
        "BY StageName",
        lambda d: [
            {
                "StageName": stage,
                "n": len(rows),
                "total": float(sum(values(rows, "Amount"))) if values(rows, "Amount") else None,
            }
            for stage, rows in sorted(
                groups(d.opportunities, lambda r: r["StageName"]).items(), key=lambda kv: kv[0].lower()
            )
        ],
    ),
    Case(
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry NULLS LAST",
        lambda d: [
            {"Industry": industry, "expr0": len(rows)}
            for industry, rows in sorted(
                groups(d.accounts, lambda r: r.get("Industry")).items(),
                key=lambda kv: (kv[0] is None, (kv[0] or "").lower()),
            )
        ],
    ),
    Case(
        "SELECT Industry, MAX(NumberOfEmployees) biggest, MIN(Name) FROM Account WHERE Industry != "
        "null GROUP BY Industry ORDER BY MAX(NumberOfEmployees) DESC, Industry",
        lambda d: [
            {
                "Industry": industry,
                "biggest": max(values(rows, "NumberOfEmployees"), default=None),
                "expr0": min((r["Name"] for r in rows), key=str.lower)
                if False
                else min(r["Name"] for r in rows),
            }
            for industry, rows in sorted(
                groups([a for a in d.accounts if a.get("Industry")], lambda r: r["Industry"]).items(),
                key=lambda kv: (-(max(values(kv[1], "NumberOfEmployees"), default=-1)), kv[0].lower()),
            )
        ],
    ),
    Case(
        "SELECT IsWon, COUNT(Id) FROM Opportunity WHERE IsClosed = true GROUP BY IsWon ORDER BY IsWon",
        lambda d: [
            {"IsWon": won, "expr0": len(rows)}
            for won, rows in sorted(
                groups([o for o in d.opportunities if o["IsClosed"]], lambda r: r["IsWon"]).items()
            )
        ],
    ),
    Case(
        "SELECT AccountId, COUNT(Id) FROM Contact WHERE AccountId != null GROUP BY AccountId ORDER "
        "BY COUNT(Id) DESC, AccountId",
        lambda d: [
            {"AccountId": acc, "expr0": len(rows)}
            for acc, rows in sorted(
                groups([c for c in d.contacts if c.get("AccountId")], lambda r: r["AccountId"]).items(),
                key=lambda kv: (-len(kv[1]), kv[0]),
            )
        ],
    ),
    Case(
        "SELECT MIN(CloseDate), MAX(CloseDate) FROM Opportunity",
        lambda d: [
            {
                "expr0": min(o["CloseDate"] for o in d.opportunities),
                "expr1": max(o["CloseDate"] for o in d.opportunities),
            }
        ],
    ),
    Case(
        "SELECT Account.Name, COUNT(Id) FROM Opportunity GROUP BY Account.Name ORDER BY Account.Name LIMIT 3",
        lambda d: [
            {"Name": name, "expr0": len(rows)}
            for name, rows in sorted(
                groups(d.opportunities, lambda r: d.by_id(r["AccountId"])["Name"]).items(),
                key=lambda kv: kv[0].lower(),
            )[:3]  # type: ignore[index]
        ],
    ),
    Case(
        "SELECT Status, COUNT(Id) FROM Lead GROUP BY Status ORDER BY Status",
        lambda d: [
            {"Status": s, "expr0": len(rows)}
            for s, rows in sorted(
                groups(d.leads, lambda r: r["Status"]).items(), key=lambda kv: kv[0].lower()
            )
        ],
    ),
]


# 9. date literals, on a date field (CloseDate) and a date-time field (CreatedDate)
def literal_range(name: str, n: int | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Independent reading of Salesforce's date literal definitions."""
    one = dt.timedelta(days=1)
    sunday = today - dt.timedelta(days=(today.weekday() + 1) % 7)

    def month(offset: int) -> dt.date:
        index = today.year * 12 + today.month - 1 + offset
        return dt.date(index // 12, index % 12 + 1, 1)

    table = {
        "TODAY": (today, today + one),
        "YESTERDAY": (today - one, today),
        "TOMORROW": (today + one, today + 2 * one),
        "THIS_WEEK": (sunday, sunday + 7 * one),
        "LAST_WEEK": (sunday - 7 * one, sunday),
        "NEXT_WEEK": (sunday + 7 * one, sunday + 14 * one),
        "THIS_MONTH": (month(0), month(1)),
        "LAST_MONTH": (month(-1), month(0)),
        "NEXT_MONTH": (month(1), month(2)),
        "THIS_YEAR": (dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)),
        "LAST_YEAR": (dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)),
        "NEXT_YEAR": (dt.date(today.year + 1, 1, 1), dt.date(today.year + 2, 1, 1)),
        "LAST_90_DAYS": (today - 90 * one, today + one),
        "NEXT_90_DAYS": (today + one, today + 91 * one),
    }
    if name == "LAST_N_DAYS":
        return today - (n or 0) * one, today + one
    if name == "NEXT_N_DAYS":
        return today + one, today + ((n or 0) + 1) * one
    if name == "N_DAYS_AGO":
        return today - (n or 0) * one, today - ((n or 0) - 1) * one
    return table[name]


def in_range(op: str, day: dt.date, start: dt.date, end: dt.date) -> bool:
    return {
        "=": start <= day < end,
        "!=": not start <= day < end,
        "<": day < start,
        "<=": day < end,
        ">": day >= end,
        ">=": day >= start,
    }[op]


for literal in [
    "TODAY",
    "YESTERDAY",
    "TOMORROW",
    "LAST_N_DAYS:7",
    "NEXT_N_DAYS:15",
    "N_DAYS_AGO:5",
    "THIS_MONTH",
    "LAST_MONTH",
    "NEXT_MONTH",
    "THIS_YEAR",
    "LAST_YEAR",
    "NEXT_YEAR",
    "THIS_WEEK",
    "LAST_WEEK",
    "NEXT_WEEK",
    "LAST_90_DAYS",
    "NEXT_90_DAYS",
]:
    name, _, number = literal.partition(":")
    for op in ("=", "!=") if literal not in ("TODAY", "LAST_N_DAYS:7") else OPS:
        rows_case(
            f"SELECT Name FROM Opportunity WHERE CloseDate {op} {literal}",
            "Opportunity",
            ["Name"],
            lambda d, r, nm=name, n=number, o=op: in_range(
                o, dt.date.fromisoformat(r["CloseDate"]), *literal_range(nm, int(n) if n else None, d.today)
            ),
        )
for literal, op in [
    ("TODAY", "="),
    ("YESTERDAY", "="),
    ("LAST_N_DAYS:3", "="),
    ("LAST_N_DAYS:30", "<"),
    ("THIS_YEAR", "="),
    ("LAST_N_DAYS:2", ">="),
    ("TODAY", "<"),
    ("N_DAYS_AGO:40", "="),
]:
    name, _, number = literal.partition(":")
    rows_case(
        f"SELECT Name FROM Account WHERE CreatedDate {op} {literal}",
        "Account",
        ["Name"],
        lambda d, r, nm=name, n=number, o=op: in_range(
            o,
            d.today - dt.timedelta(days=r["CreatedDaysAgo"]),
            *literal_range(nm, int(n) if n else None, d.today),
        ),
    )

# date-time literals: created "d days ago" lies after midnight (UTC) of k days ago exactly when d <= k
for k, suffix in ((0, "Z"), (2, ".000+0000"), (10, "+00:00"), (500, "Z")):
    for op in (">", "<"):
        rows_case(
            f"SELECT Name FROM Account WHERE CreatedDate {op} MIDNIGHT_{k}{suffix}",
            "Account",
            ["Name"],
            lambda d, r, k=k, o=op: (r["CreatedDaysAgo"] <= k) == (o == ">"),
        )


# 10. names are case-insensitive; answers use the canonical spelling
rows_case(
    "select name, INDUSTRY from ACCOUNT where industry = 'ENERGY' order by NAME",
    "Account",
    ["Name", "Industry"],
    lambda d, r: compare("=", r.get("Industry"), "energy"),
    sort=lambda d, rows: order(rows, by("Name")),
)
rows_case(
    "SeLeCt lastname, account.NAME FrOm contact WhErE account.industry = 'technology'",
    "Contact",
    ["LastName", "Account.Name"],
    lambda d, r: (d.by_id(r.get("AccountId")) or {}).get("Industry") == "Technology",
)
rows_case(
    "SELECT Account.Name FROM Account WHERE Account.Rating = 'Hot'",
    "Account",
    ["Name"],
    lambda d, r: r.get("Rating") == "Hot",
)
rows_case(
    "SELECT Id, Name FROM Account WHERE Name = 'Acme Corp' OR Name = 'ACME LABS'",
    "Account",
    ["Id", "Name"],
    lambda d, r: r["Name"].lower() in ("acme corp", "acme labs"),
)
rows_case(
    "SELECT Name FROM Account WHERE Name = 'Eta O\\'Brien'",
    "Account",
    ["Name"],
    lambda d, r: r["Name"] == "Eta O'Brien",
)
rows_case(
    "SELECT Name FROM Account WHERE Name = 'delta \\u0026 co'",
    "Account",
    ["Name"],
    lambda d, r: r["Name"] == "delta & co",
)
rows_case(
    "SELECT Name FROM Account WHERE Name > 'K' AND Name < 'l'",
    "Account",
    ["Name"],
    lambda d, r: "k" < r["Name"].lower() < "l",
)
rows_case(
    "SELECT\n  Name\nFROM\n  Account\nWHERE\n  NumberOfEmployees >= 1200",
    "Account",
    ["Name"],
    lambda d, r: compare(">=", r.get("NumberOfEmployees"), 1200),
)


def _substitute(soql: str, d: Dataset) -> str:
    return (
        re.sub(
            r"MIDNIGHT_(\d+)",
            lambda m: (d.today - dt.timedelta(days=int(m.group(1)))).isoformat() + "T00:00:00",
            soql,
        )
        .replace("BIRTH_50", (d.today - dt.timedelta(days=365 * 50)).isoformat())
        .replace("TODAY_ISO", d.today.isoformat())
        .replace("ACC_0_15", "'" + d.accounts[0]["Id"][:15] + "'")
        .replace("ACC_0", "'" + d.accounts[0]["Id"] + "'")
        .replace("ACC_2", "'" + d.accounts[2]["Id"] + "'")
    )


def _key(item: Any) -> str:
    return repr(sorted(item.items())) if isinstance(item, dict) else repr(item)


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}:{c.soql[:70]}" for i, c in enumerate(CASES)])
def test_valid_query_answers_expected_rows(server: Server, data: Dataset, case: Case) -> None:
    result = run(server, data, _substitute(case.soql, data))
    expected = case.expect(data)
    assert result["done"] is True
    if isinstance(expected, dict):  # COUNT(): only totalSize
        assert result["totalSize"] == expected["totalSize"] and result["records"] == []
        return
    actual = strip(result["records"])
    assert result["totalSize"] == len(expected)
    if case.ordered:
        assert actual == expected
    else:
        assert sorted(actual, key=_key) == sorted(expected, key=_key)


ERRORS: list[tuple[str, str, str | None]] = [
    # (query, errorCode, a fragment of the message)
    ("SELECT Id FORM Account", "MALFORMED_QUERY", "ERROR at Row:1:Column:11\nunexpected token: 'FORM'"),
    ("SELECT FROM Account", "MALFORMED_QUERY", "unexpected token: 'FROM'"),
    ("SELECT Id, FROM Account", "MALFORMED_QUERY", "unexpected token: 'FROM'"),
    ("SELECT Id Account", "MALFORMED_QUERY", "unexpected token: 'Account'"),
    ("SELECT Id FROM", "MALFORMED_QUERY", "unexpected token: '<EOF>'"),
    ("SELECT", "MALFORMED_QUERY", None),
    ("", "MALFORMED_QUERY", "SOQL statements cannot be empty or null"),
    ("   ", "MALFORMED_QUERY", None),
    ("UPDATE Account SET Name = 'x'", "MALFORMED_QUERY", "unexpected token: 'UPDATE'"),
    ("DELETE FROM Account", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Name", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Name = ", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Name == 'x'", "MALFORMED_QUERY", None),
    ('SELECT Id FROM Account WHERE Name = "x"', "MALFORMED_QUERY", "unexpected token: '\"'"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Name = 'bad \\q escape'", "MALFORMED_QUERY", "Invalid string literal"),
    (
        "SELECT Id FROM Account WHERE Name = 'x' AND Industry = 'y' OR Rating = 'z'",
        "MALFORMED_QUERY",
        "unexpected token: 'OR'",
    ),
    ("SELECT Id FROM Account WHERE (Name = 'x'", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Name = 'x')", "MALFORMED_QUERY", "unexpected token: ')'"),
    ("SELECT Id FROM Account ORDER Name", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account ORDER BY", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account ORDER BY Name NULLS", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account LIMIT", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account LIMIT -1", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account LIMIT 'x'", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account OFFSET 5 LIMIT 1", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Industry IN ()", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE Industry IN 'Energy'", "MALFORMED_QUERY", None),
    ("SELECT Id, Id FROM Account", "MALFORMED_QUERY", "duplicate field selected: Id"),
    ("SELECT Name, COUNT(Id) FROM Account", "MALFORMED_QUERY", "Field must be grouped or aggregated: Name"),
    (
        "SELECT Name, Industry FROM Account GROUP BY Industry",
        "MALFORMED_QUERY",
        "Field must be grouped or aggregated: Name",
    ),
    ("SELECT SUM(Name) FROM Account", "MALFORMED_QUERY", "does not support aggregate operator SUM"),
    ("SELECT COUNT() , Name FROM Account", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE CreatedDate = FOO_BAR", "MALFORMED_QUERY", "unexpected token: 'FOO_BAR'"),
    ("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE CreatedDate = TODAY:3", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account WHERE CreatedDate = 2024-13-45", "MALFORMED_QUERY", None),
    (
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Contact",
        "INVALID_TYPE",
        "Didn't understand relationship 'Contacts'",
    ),
    ("SELECT Name, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account", "MALFORMED_QUERY", None),
    ("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", None),
    (
        "SELECT Foo FROM Account",
        "INVALID_FIELD",
        "ERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'",
    ),
    ("SELECT Id, Name__c FROM Account", "INVALID_FIELD", "No such column 'Name__c'"),
    ("SELECT Id FROM Account WHERE Foo = 'x'", "INVALID_FIELD", "No such column 'Foo'"),
    ("SELECT Id FROM Account ORDER BY Foo", "INVALID_FIELD", None),
    ("SELECT Account.Foo FROM Contact", "INVALID_FIELD", "No such column 'Foo' on entity 'Account'"),
    ("SELECT Foo.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Foo' in field path"),
    ("SELECT AccountId.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'AccountId'"),
    ("SELECT Account FROM Contact", "INVALID_FIELD", "No such column 'Account'"),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees = '5'",
        "INVALID_FIELD",
        "must be of type integer and should not be enclosed in quotes",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 5",
        "INVALID_FIELD",
        "must be of type string and should be enclosed in quotes",
    ),
    ("SELECT Id FROM Opportunity WHERE IsWon = 'true'", "INVALID_FIELD", "must be of type boolean"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = '2024-01-01'", "INVALID_FIELD", "must be of type date"),
    (
        "SELECT Id FROM Opportunity WHERE CloseDate = 2024-01-01T00:00:00Z",
        "INVALID_FIELD",
        "must be of type date",
    ),
    ("SELECT Id FROM Account WHERE CreatedDate = 2024-01-01", "INVALID_FIELD", "must be of type dateTime"),
    ("SELECT Id FROM Account WHERE Name = TODAY", "INVALID_FIELD", None),
    ("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5'", "INVALID_FIELD", None),
    (
        "SELECT Id FROM Account WHERE Id = 'not-an-id'",
        "INVALID_QUERY_FILTER_OPERATOR",
        "invalid ID field: not-an-id",
    ),
    ("SELECT Id FROM Contact WHERE AccountId IN ('bad')", "INVALID_QUERY_FILTER_OPERATOR", None),
    ("SELECT Id FROM ScratchOrgInfo", "INVALID_TYPE", "sObject type 'ScratchOrgInfo' is not supported"),
    ("SELECT Id FROM Accounts", "INVALID_TYPE", "ERROR at Row:1:Column:16"),
    ("SELECT Id FROM Thing__c", "INVALID_TYPE", None),
    ("SELECT Name, (SELECT Id FROM Foos) FROM Account", "INVALID_TYPE", "in FROM part of query call"),
    ("SELECT Id\nFROM Account\nWHERE Bogus = 1", "INVALID_FIELD", "ERROR at Row:3:Column:7"),
]


@pytest.mark.parametrize(
    ("soql", "code", "fragment"), ERRORS, ids=[f"{i:02d}:{e[0][:60]}" for i, e in enumerate(ERRORS)]
)
def test_invalid_query_fails_with_salesforce_error(
    server: Server, data: Dataset, soql: str, code: str, fragment: str | None
) -> None:
    with pytest.raises(DataApiError) as caught:
        run(server, data, soql)
    assert caught.value.error_code == code, caught.value.message
    assert caught.value.status == 400
    if fragment is not None:
        assert fragment in caught.value.message


def test_conformance_suite_has_at_least_150_queries() -> None:
    assert len(CASES) + len(ERRORS) >= 150


def test_when_in_list_is_long_then_served_and_when_huge_then_malformed(server: Server, data: Dataset) -> None:
    names = ", ".join(f"'{i}'" for i in range(5000))
    result = run(server, data, f"SELECT Id FROM Account WHERE Name IN ({names}, 'Theta')")
    assert [r["Id"] for r in result["records"]] == [a["Id"] for a in data.accounts if a["Name"] == "Theta"]
    numbers = ",".join("1" for _ in range(25_000))
    with pytest.raises(DataApiError) as caught:
        run(server, data, f"SELECT Id FROM Account WHERE NumberOfEmployees IN ({numbers})")
    assert caught.value.error_code == "MALFORMED_QUERY"
