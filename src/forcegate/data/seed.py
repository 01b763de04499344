"""The demo org's records: a few hundred accounts, contacts, opportunities, leads and cases, the same
on every run (a seeded random generator; dates relative to the day of seeding)."""

from __future__ import annotations

import datetime as dt
import random
import string

from sqlalchemy import Connection, insert

from forcegate.data.standard import (
    ACCOUNT_TYPES,
    CASE_ORIGINS,
    CASE_PRIORITIES,
    CASE_REASONS,
    CASE_STATUSES,
    CASE_TYPES,
    INDUSTRIES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    OPPORTUNITY_TYPES,
    RATINGS,
    SALUTATIONS,
    STAGES,
)
from forcegate.ids import to18
from forcegate.storage.schema import data_accounts, data_cases, data_contacts, data_leads, data_opportunities

__all__ = ["DEMO_COUNTS", "seed_demo"]

DEMO_COUNTS = {"Account": 60, "Contact": 150, "Opportunity": 90, "Lead": 60, "Case": 50}

_FIRST = (
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Donald", "Radia",
    "Tim", "Hedy", "John", "Katherine", "Edsger", "Shafi", "Leslie", "Sophie", "Niklaus", "Anita", "Guido",
)  # fmt: skip
_LAST = (
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
    "Knuth", "Perlman", "Berners-Lee", "Lamarr", "McCarthy", "Johnson", "Dijkstra", "Goldwasser",
    "Lamport", "Wilson", "Wirth", "Borg", "van Rossum", "Kay", "Cerf", "Kahn", "Backus",
)  # fmt: skip
_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Soylent",
    "Hooli", "Vandelay", "Pied Piper", "Aperture", "Black Mesa", "Gringotts", "Oscorp", "Massive Dynamic",
    "Monarch", "Dunder Mifflin",
)  # fmt: skip
_SUFFIXES = ("Inc.", "Ltd", "Corp.", "GmbH", "Group", "Holdings", "LLC", "S.A.")
_CITIES = (
    ("San Francisco", "CA", "USA"), ("New York", "NY", "USA"), ("Austin", "TX", "USA"),
    ("London", None, "United Kingdom"), ("Paris", None, "France"), ("Berlin", None, "Germany"),
    ("Tokyo", None, "Japan"), ("Sydney", "NSW", "Australia"), ("Toronto", "ON", "Canada"),
)  # fmt: skip
_TITLES = ("CEO", "CTO", "VP Sales", "Buyer", "Engineer", "Director of IT", "Procurement Manager", "CFO")
_DEPARTMENTS = ("Sales", "Engineering", "Finance", "Operations", "IT", "Marketing")
_SUBJECTS = (
    "Cannot log in", "Invoice question", "Shipment delayed", "Feature request", "Outage report",
    "Password reset", "Upgrade help", "Billing address change",
)  # fmt: skip


def _id(rng: random.Random, prefix: str) -> str:
    alphabet = string.digits + string.ascii_letters
    return to18(prefix + "".join(rng.choice(alphabet) for _ in range(15 - len(prefix))))


def seed_demo(conn: Connection, org_id: str, owner_id: str | None, now_ms: int) -> dict[str, int]:
    """Insert the demo records; returns how many of each object."""
    rng = random.Random(20261129)
    today = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.UTC).date()
    day_ms = 86_400_000

    def audit(days_ago: int) -> dict[str, object]:
        moment = now_ms - days_ago * day_ms - rng.randrange(day_ms)
        return {
            "org_id": org_id, "owner_id": owner_id, "is_deleted": False, "created_ms": moment,
            "created_by_id": owner_id, "modified_ms": moment, "modified_by_id": owner_id,
        }  # fmt: skip

    accounts: list[dict[str, object]] = []
    names: set[str] = set()
    while len(accounts) < DEMO_COUNTS["Account"]:
        name = f"{rng.choice(_WORDS)} {rng.choice(_SUFFIXES)}"
        if name in names:
            name = f"{name} {len(names)}"
        names.add(name)
        city, state, country = rng.choice(_CITIES)
        employees = rng.choice((5, 12, 40, 120, 450, 1200, 5000, 20000))
        accounts.append(
            {
                "id": _id(rng, "001"), "name": name, "account_number": f"AC{10000 + len(accounts)}",
                "type": rng.choice(ACCOUNT_TYPES), "industry": rng.choice(INDUSTRIES),
                "rating": rng.choice((*RATINGS, None)),
                "annual_revenue": float(employees * rng.randrange(50, 400) * 1000),
                "number_of_employees": employees, "phone": f"+1 415 555 {rng.randrange(1000, 9999)}",
                "website": "https://www." + name.split()[0].lower() + ".example.com",
                "billing_street": f"{rng.randrange(1, 999)} Market Street", "billing_city": city,
                "billing_state": state, "billing_postal_code": f"{rng.randrange(10000, 99999)}",
                "billing_country": country, "description": None, "parent_id": None,
                **audit(rng.randrange(1, 700)),
            }
        )  # fmt: skip
    for account in accounts[40:]:
        account["parent_id"] = rng.choice(accounts[:10])["id"]
    contacts = []
    for i in range(DEMO_COUNTS["Contact"]):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        parent = accounts[i % len(accounts)] if i % 10 else None
        city, _state, country = rng.choice(_CITIES)
        contacts.append(
            {
                "id": _id(rng, "003"), "account_id": parent["id"] if parent else None,
                "salutation": rng.choice(SALUTATIONS), "first_name": first, "last_name": last,
                "title": rng.choice(_TITLES), "department": rng.choice(_DEPARTMENTS),
                "email": f"{first.lower()}.{last.lower().replace(' ', '')}{i}@example.com",
                "phone": f"+1 650 555 {rng.randrange(1000, 9999)}", "mobile_phone": None,
                "lead_source": rng.choice(LEAD_SOURCES),
                "birthdate": today - dt.timedelta(days=rng.randrange(22 * 365, 65 * 365)),
                "mailing_city": city, "mailing_country": country, "description": None,
                **audit(rng.randrange(1, 500)),
            }
        )  # fmt: skip
    opportunities = []
    for i in range(DEMO_COUNTS["Opportunity"]):
        account = accounts[i % len(accounts)]
        stage = rng.choice(STAGES)
        opportunities.append(
            {
                "id": _id(rng, "006"), "account_id": account["id"],
                "name": f"{account['name']} - {rng.choice(('Renewal', 'Expansion', 'New Deal', 'Pilot'))}",
                "stage_name": stage, "close_date": today + dt.timedelta(days=rng.randrange(-200, 200)),
                "amount": float(rng.randrange(5, 500) * 1000),
                "probability": float(rng.choice((10, 20, 50, 75, 90, 100))),
                "type": rng.choice(OPPORTUNITY_TYPES), "lead_source": rng.choice(LEAD_SOURCES),
                "is_closed": stage.startswith("Closed"), "is_won": stage == "Closed Won", "description": None,
                **audit(rng.randrange(1, 400)),
            }
        )  # fmt: skip
    leads = []
    for i in range(DEMO_COUNTS["Lead"]):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, _state, country = rng.choice(_CITIES)
        leads.append(
            {
                "id": _id(rng, "00Q"), "salutation": rng.choice(SALUTATIONS), "first_name": first,
                "last_name": last, "company": f"{rng.choice(_WORDS)} {rng.choice(_SUFFIXES)}",
                "title": rng.choice(_TITLES), "email": f"{first.lower()}{i}@lead.example.com",
                "phone": f"+1 212 555 {rng.randrange(1000, 9999)}", "status": rng.choice(LEAD_STATUSES),
                "lead_source": rng.choice(LEAD_SOURCES), "industry": rng.choice(INDUSTRIES),
                "rating": rng.choice(RATINGS), "annual_revenue": float(rng.randrange(1, 100) * 100000),
                "number_of_employees": rng.randrange(1, 5000), "city": city, "country": country,
                "is_converted": False, **audit(rng.randrange(1, 300)),
            }
        )  # fmt: skip
    cases = []
    for i in range(DEMO_COUNTS["Case"]):
        contact = contacts[(i * 7) % len(contacts)]
        status = rng.choice(CASE_STATUSES)
        row = {
            "id": _id(rng, "500"), "case_number": f"{i + 1:08d}", "account_id": contact["account_id"],
            "contact_id": contact["id"], "subject": rng.choice(_SUBJECTS), "description": None,
            "status": status, "priority": rng.choice(CASE_PRIORITIES), "origin": rng.choice(CASE_ORIGINS),
            "type": rng.choice(CASE_TYPES), "reason": rng.choice(CASE_REASONS),
            "is_closed": status == "Closed",
            **audit(rng.randrange(1, 120)),
        }  # fmt: skip
        row["closed_ms"] = row["modified_ms"] if status == "Closed" else None
        cases.append(row)
    for table, rows in (
        (data_accounts, accounts), (data_contacts, contacts), (data_opportunities, opportunities),
        (data_leads, leads), (data_cases, cases),
    ):  # fmt: skip
        conn.execute(insert(table), rows)
    return {k: v for k, v in DEMO_COUNTS.items()}
