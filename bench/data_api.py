"""Benchmark the REST data API against a real forcegate: authenticated SOQL query throughput (a 10-row
and a 2,000-row query) and the cost of paging with query locators (queryMore).

    .venv/bin/python bench/data_api.py [--database URL] [--seconds N] [--concurrency C] [--rows N]

As ``bench/token_endpoint.py``, with the shared ``bench/harness.py``: ``forcegate serve`` as a
subprocess pinned to CPU 0 with ``taskset`` when the machine has two CPUs, the load generator pinned to
CPU 1 with threads that each own a keep-alive ``httpx.Client``, the server's CPU time read from
``/proc/<pid>/stat``. Every request carries a bearer token from the client credentials flow, of a
System Administrator, so each one pays for what a real call pays: token lookup, the user's profile and
permission sets, the daily request count, then the query.

Measurements:

* ``query 10 rows``   — ``SELECT Id, Name, Phone, Industry, CreatedDate FROM Account ORDER BY Name LIMIT 10``
* ``query 2000 rows`` — the same fields, ``LIMIT 2000`` (one full batch, ~0.5 MB of JSON)
* ``queryMore 200``   — ``GET /query/{locator}``: the second batch of a 200-row-batch query, asked
  again and again (a locator serves any process until it expires)
* a sequential walk of all ``--rows`` accounts in batches of 200 (one query, then queryMore until
  ``done``): wall time per walk and per batch, against one 2,000-row batch of the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from forcegate.bootstrap import ensure_org
from forcegate.context import Context
from forcegate.data import api
from forcegate.model.access import FULL_ACCESS, Caller
from forcegate.org import access, connected_apps, users
from forcegate.org.audit import Actor

try:
    from bench import harness
except ImportError:  # `python bench/data_api.py`: bench/ itself is first on sys.path
    import harness  # type: ignore[no-redef]

VERSION = "62.0"
QUERY_PATH = f"/services/data/v{VERSION}/query"
FIELDS = "Id, Name, Phone, Industry, CreatedDate"
SMALL = f"SELECT {FIELDS} FROM Account ORDER BY Name LIMIT 10"
LARGE = f"SELECT {FIELDS} FROM Account ORDER BY Name LIMIT 2000"
ALL = f"SELECT {FIELDS} FROM Account ORDER BY Name"
INDUSTRIES = ("Banking", "Energy", "Retail", "Technology", "Media")


def seed(ctx: Context, rows: int) -> tuple[str, str, str]:
    """``rows`` accounts, a System Administrator and a client-credentials app acting as them; an
    allowance no run can spend. Returns (org id, consumer key, consumer secret)."""
    with ctx.db.write() as conn:
        org = ensure_org(ctx, conn)
        access.update_org(
            ctx, conn, org, {"daily_api_requests": 1_000_000_000}, actor=Actor.system("benchmark fixture")
        )
        admin, _ = users.create_user(
            ctx,
            conn,
            org.id,
            username=f"bench-{secrets.token_hex(4)}@example.com",
            password="Bench-passw0rd-" + secrets.token_hex(4),
            profile="System Administrator",
            last_name="Bench",
            actor=Actor.system("benchmark fixture"),
        )
        app, secret = connected_apps.create_app(
            ctx,
            conn,
            org.id,
            name=f"bench-{secrets.token_hex(4)}",
            callback_urls=["https://app.example.com/oauth/callback"],
            scopes="api",
            client_credentials_enabled=True,
            client_credentials_user=admin.id,
            actor=Actor.system("benchmark fixture"),
        )
    system = Caller(org.id, None, FULL_ACCESS)
    for n in range(rows):
        api.create_record(
            ctx,
            system,
            "Account",
            {
                "Name": f"Bench Account {n:05d}",
                "Phone": f"+1 415 555 {n % 10000:04d}",
                "Industry": INDUSTRIES[n % 5],
            },
        )
    return org.id, app.consumer_key, secret


def token_over_http(url: str, key: str, secret: str) -> str:
    response = httpx.post(
        f"{url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": key, "client_secret": secret},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def query_sender(token: str, soql: str) -> Any:
    headers = {"authorization": f"Bearer {token}"}
    params = {"q": soql}

    def send(client: httpx.Client) -> httpx.Response:
        return client.get(QUERY_PATH, params=params, headers=headers)

    return send


def locator_sender(token: str, next_url: str) -> Any:
    headers = {"authorization": f"Bearer {token}"}

    def send(client: httpx.Client) -> httpx.Response:
        return client.get(next_url, headers=headers)

    return send


def walk(client: httpx.Client, token: str, batch: int) -> tuple[int, int]:
    """One full paging walk: (batches fetched, records seen)."""
    headers = {"authorization": f"Bearer {token}", "Sforce-Query-Options": f"batchSize={batch}"}
    page = client.get(QUERY_PATH, params={"q": ALL}, headers=headers).json()
    batches, records = 1, len(page["records"])
    while not page["done"]:
        page = client.get(page["nextRecordsUrl"], headers=headers).json()
        batches, records = batches + 1, records + len(page["records"])
    return batches, records


def measure_walks(url: str, token: str, rows: int, seconds: float) -> list[dict[str, Any]]:
    out = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for batch in (200, 2000):
            walk(client, token, batch)  # warm-up
            count, started = 0, time.perf_counter()
            batches = 0
            while time.perf_counter() - started < seconds or count == 0:
                batches, seen = walk(client, token, batch)
                assert seen == rows, (seen, rows)
                count += 1
            elapsed = time.perf_counter() - started
            out.append(
                {
                    "walk": f"{rows} rows in batches of {batch}",
                    "batches_per_walk": batches,
                    "walks": count,
                    "ms_per_walk": round(elapsed / count * 1000, 2),
                    "ms_per_batch": round(elapsed / count / batches * 1000, 2),
                    "ms_per_1000_rows": round(elapsed / count / rows * 1_000_000, 2),
                }
            )
    return out


def run(args: argparse.Namespace, key: str, home: Path, consumer: tuple[str, str]) -> None:
    pin = harness.can_pin()
    server = harness.ServerProcess(args.database, key, home, args.server_log_level, pin)
    try:
        url = server.wait_ready()
        pinning = server.pinning
        if pin:
            os.sched_setaffinity(0, {harness.CLIENT_CPU})
            pinning += f"; load generator: sched_setaffinity CPU {harness.CLIENT_CPU}"
        env = {**harness.environment(args, pinning), "rows": args.rows}
        print("forcegate data API benchmark: " + ", ".join(f"{k}={v}" for k, v in env.items()))
        token = token_over_http(url, *consumer)
        first = httpx.get(
            f"{url}{QUERY_PATH}",
            params={"q": ALL},
            headers={"authorization": f"Bearer {token}", "Sforce-Query-Options": "batchSize=200"},
        ).json()
        assert first["totalSize"] == args.rows and not first["done"], first.get("totalSize")
        plan = harness.Plan(args.seconds, args.warmup)
        levels = sorted({1, args.concurrency})
        results: list[harness.Result] = []
        for name, send in (
            ("query 10 rows", query_sender(token, SMALL)),
            ("query 2000 rows", query_sender(token, LARGE)),
            ("queryMore 200", locator_sender(token, first["nextRecordsUrl"])),
        ):
            results += [harness.measure_bearer(server, send, 200, plan, c, name) for c in levels]
        walks = measure_walks(url, token, args.rows, args.seconds)
    finally:
        server.stop()
    harness.print_table(results)
    print()
    for line in walks:
        print(
            f"  {line['walk']:<34} {line['ms_per_walk']:>9.2f} ms/walk  {line['ms_per_batch']:>8.2f} ms/batch"
            f"  {line['ms_per_1000_rows']:>8.2f} ms per 1,000 rows"
        )
    print(json.dumps({"environment": env, "results": [r.as_json() for r in results], "walks": walks}))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", help="SQLAlchemy URL [default: SQLite in a temporary directory]")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per measurement [10]")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each [2]")
    parser.add_argument("--concurrency", type=int, default=16, help="connections for the loaded runs [16]")
    parser.add_argument("--rows", type=int, default=5000, help="accounts to create and page through [5000]")
    parser.add_argument(
        "--server-log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="forcegate serve --log-level [warning]",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.rows <= 2000:
        raise SystemExit("--rows must exceed 2000 so that paging has something to page")
    with tempfile.TemporaryDirectory(prefix="forcegate-bench-") as tmp:
        home = Path(tmp)
        args.database = args.database or f"sqlite:///{home / 'forcegate.db'}"
        key = Fernet.generate_key().decode()
        ctx = harness.open_context(args.database, key)
        try:
            _org, consumer_key, secret = seed(ctx, args.rows)
        finally:
            ctx.db.dispose()
        run(args, key, home, (consumer_key, secret))


if __name__ == "__main__":
    main()
