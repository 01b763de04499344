"""Benchmark SOQL execution in-process, through the data API's Python calls (no HTTP).

    .venv/bin/python bench/soql.py [--backend sqlite|postgresql|both] [--seconds N] [--rows N]

For each backend it builds a fresh database (a temporary SQLite file; a temporary PostgreSQL database
on 127.0.0.1:5432 dropped afterwards), an org with ``--rows`` accounts (default 6,000) and 2,000
contacts, then times, each for ``--seconds``:

* a 10-row query (filter + ORDER BY + LIMIT) and a 10-row query with a parent path (one join);
* a 2,000-row query (one full batch, six fields per record);
* paging: the first batch of a 6,000-row result (which stores a locator) and each queryMore batch;
* an aggregate (GROUP BY with COUNT and SUM), and parse + translate alone (no database).

Numbers are per call on this process (pinned to CPU 1 when the machine has two). HTTP-level figures
(token check, JSON encoding, the request limit) are in ``bench/data_api.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import insert

from forcegate.bootstrap import ensure_org
from forcegate.config import Settings
from forcegate.context import Context
from forcegate.data import api
from forcegate.data.metadata import load_schema
from forcegate.data.standard import INDUSTRIES
from forcegate.ids import KeyPrefix, new_id
from forcegate.model.access import Caller
from forcegate.soql.parser import parse
from forcegate.soql.translate import compile_query
from forcegate.storage.migrate import upgrade
from forcegate.storage.schema import data_accounts, data_contacts

VERSION = "62.0"
POSTGRES_ADMIN = os.environ.get("FORCEGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"forcegate_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate(ctx: Context, accounts: int) -> Caller:
    now = ctx.now_ms()
    with ctx.db.write() as conn:
        org = ensure_org(ctx, conn)
        account_rows = [
            {
                "id": new_id("001"),
                "org_id": org.id,
                "owner_id": None,
                "is_deleted": False,
                "created_ms": now - i * 60_000,
                "created_by_id": None,
                "modified_ms": now,
                "modified_by_id": None,
                "name": f"Account {i:05d}",
                "industry": INDUSTRIES[i % len(INDUSTRIES)],
                "annual_revenue": float(i * 1000),
                "number_of_employees": i % 5000,
                "billing_city": "Paris",
                "billing_country": "France",
            }
            for i in range(accounts)
        ]
        conn.execute(insert(data_accounts), account_rows)
        conn.execute(
            insert(data_contacts),
            [
                {
                    "id": new_id("003"),
                    "org_id": org.id,
                    "owner_id": None,
                    "is_deleted": False,
                    "created_ms": now,
                    "created_by_id": None,
                    "modified_ms": now,
                    "modified_by_id": None,
                    "account_id": account_rows[i % accounts]["id"],
                    "first_name": "Bench",
                    "last_name": f"Contact {i:05d}",
                    "email": f"c{i}@example.com",
                }
                for i in range(2000)
            ],
        )
    return Caller(org.id, new_id(KeyPrefix.USER))


def measure(seconds: float, call: Callable[[], Any]) -> dict[str, float]:
    call()  # warm-up: schema cache, statement cache, pool
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return {
        "calls": len(samples),
        "median_ms": statistics.median(samples) * 1000,
        "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000,
        "per_second": len(samples) / sum(samples),
    }


def run(backend: str, seconds: float, rows: int) -> list[tuple[str, dict[str, float]]]:
    with database(backend) as url:
        settings = Settings().with_overrides(
            database_url=url, server_keys=Fernet.generate_key().decode(), server_key_file=Path("/nonexistent")
        )
        ctx = Context.from_settings(settings)
        upgrade(ctx.db)
        caller = populate(ctx, rows)
        results: list[tuple[str, dict[str, float]]] = []

        def q(soql: str, **kw: Any) -> Callable[[], Any]:
            return lambda: api.query(ctx, caller, soql, VERSION, **kw)

        ten = (
            "SELECT Id, Name, Industry, AnnualRevenue FROM Account WHERE Industry = 'Energy' "
            "ORDER BY Name LIMIT 10"
        )
        check = api.query(ctx, caller, ten, VERSION)
        assert len(check["records"]) == 10
        results.append(("10 rows (filter, order, limit)", measure(seconds, q(ten))))
        results.append(
            (
                "10 rows with Account.Name (join)",
                measure(
                    seconds, q("SELECT Id, LastName, Account.Name FROM Contact ORDER BY LastName LIMIT 10")
                ),
            )
        )
        full = (
            "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, CreatedDate FROM Account LIMIT 2000"
        )
        assert len(api.query(ctx, caller, full, VERSION)["records"]) == 2000
        results.append(("2000 rows (one batch)", measure(seconds, q(full))))
        paged = "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, CreatedDate FROM Account"
        first = api.query(ctx, caller, paged, VERSION)
        assert first["done"] is False and len(first["records"]) == 2000
        locator = first["nextRecordsUrl"].rsplit("/", 1)[1].split("-")[0]
        results.append(("paging: first batch of 2000 (+count, +locator)", measure(seconds, q(paged))))
        results.append(
            (
                "paging: queryMore batch of 2000 (offset 2000)",
                measure(seconds, lambda: api.query_more(ctx, caller, f"{locator}-2000", VERSION)),
            )
        )
        results.append(
            (
                "paging: queryMore last batch (offset 4000)",
                measure(seconds, lambda: api.query_more(ctx, caller, f"{locator}-4000", VERSION)),
            )
        )
        results.append(
            (
                "aggregate: GROUP BY Industry, COUNT, SUM",
                measure(
                    seconds,
                    q("SELECT Industry, COUNT(Id), SUM(AnnualRevenue) FROM Account GROUP BY Industry"),
                ),
            )
        )
        with ctx.db.read() as conn:
            schema = load_schema(conn, caller.org_id)
        today = dt.date.today()
        results.append(
            (
                "parse + translate only (10-row query)",
                measure(seconds, lambda: compile_query(schema, caller, parse(ten), today=today)),
            )
        )
        ctx.db.dispose()
        return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rows", type=int, default=6000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1})
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.rows} accounts, {args.seconds}s each"
    )
    for backend in backends:
        print(f"\n{backend}")
        print(f"  {'case':<50} {'median ms':>10} {'p95 ms':>9} {'calls/s':>9} {'rows/s':>10}")
        for name, result in run(backend, args.seconds, args.rows):
            rows = 10 if name.startswith("10") else 2000 if "2000" in name or "batch" in name else 0
            rate = f"{result['per_second'] * rows:>10.0f}" if rows else f"{'':>10}"
            print(
                f"  {name:<50} {result['median_ms']:>10.2f} {result['p95_ms']:>9.2f} "
                f"{result['per_second']:>9.1f} {rate}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
