"""Benchmark the housekeeping job's purge rate: dead rows deleted per second, with live rows around.

    .venv/bin/python bench/housekeeping.py [--database URL] [--dead N] [--live N] [--batch N]

Seeds a database (a fresh SQLite file by default, or the one ``--database`` names) with ``--dead``
dead grants and ``--live`` live ones, in the shapes the flows write them:

- dead: per grant an ``authorizations`` row, an expired access token, a revoked refresh token, an
  expired authorization code and an expired JWT bearer ``jti`` record (so about 5 rows per grant);
- live: per grant an authorization, an unexpired access token and a refresh token valid until
  revoked (they must survive, and make the purge queries skip rows as in a real deployment).

Then runs ``forcegate.housekeeping.run`` (the code the servers and ``forcegate housekeeping run``
run: the lease, batches of ``--batch`` rows in one transaction each) and prints rows deleted per
table, the wall time and rows/s, and a JSON line. It checks that every dead row went and every live
row stayed. The process is pinned to CPU 0 when it can be (the database server, for PostgreSQL, is
not). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy
from cryptography.fernet import Fernet
from sqlalchemy import insert

from forcegate import housekeeping
from forcegate.bootstrap import ensure_org
from forcegate.config import Settings
from forcegate.context import Context
from forcegate.ids import KeyPrefix, new_id
from forcegate.org import connected_apps, users
from forcegate.org.audit import Actor
from forcegate.storage import housekeeping as store
from forcegate.storage import repositories as repo
from forcegate.storage.migrate import upgrade
from forcegate.storage.schema import (
    access_tokens,
    authorization_codes,
    authorizations,
    jwt_assertions,
    refresh_tokens,
)

CHUNK = 5_000  # rows per INSERT statement while seeding


def _rows(
    ctx: Context, org_id: str, app_id: str, user_id: str, count: int, *, dead: bool
) -> dict[str, list[Any]]:
    now = ctx.now_ms()
    past, future = now - 3_600_000, now + 7_200_000
    tables: dict[str, list[Any]] = {
        "authorizations": [],
        "access_tokens": [],
        "refresh_tokens": [],
        "authorization_codes": [],
        "jwt_assertions": [],
    }
    for _ in range(count):
        grant = new_id(KeyPrefix.OAUTH_TOKEN)
        common = {"org_id": org_id, "authorization_id": grant, "app_id": app_id, "user_id": user_id}
        # Dead grants are old enough for housekeeping's minimum grant age.
        created = past - 3_600_000 if dead else now
        tables["authorizations"].append(
            {
                "id": grant,
                "org_id": org_id,
                "app_id": app_id,
                "user_id": user_id,
                "flow": "web_server",
                "scopes": "api refresh_token",
                "created_ms": created,
            }
        )
        tables["access_tokens"].append(
            {
                **common,
                "token_hash": secrets.token_hex(32),
                "scopes": "api",
                "issued_ms": created,
                "expires_ms": past if dead else future,
            }
        )
        tables["refresh_tokens"].append(
            {
                **common,
                "token_hash": secrets.token_hex(32),
                "scopes": "api refresh_token",
                "issued_ms": created,
                "revoked_ms": past if dead else None,
            }
        )
        if dead:
            tables["authorization_codes"].append(
                {
                    "code_hash": secrets.token_hex(32),
                    "org_id": org_id,
                    "app_id": app_id,
                    "user_id": user_id,
                    "redirect_uri": "https://app.example.com/oauth/callback",
                    "scopes": "api",
                    "auth_time_ms": created,
                    "created_ms": created,
                    "expires_ms": past,
                }
            )
            tables["jwt_assertions"].append(
                {"app_id": app_id, "jti_hash": secrets.token_hex(32), "org_id": org_id, "expires_ms": past}
            )
    return tables


_TABLES = {
    "authorizations": authorizations,
    "access_tokens": access_tokens,
    "refresh_tokens": refresh_tokens,
    "authorization_codes": authorization_codes,
    "jwt_assertions": jwt_assertions,
}


def seed(ctx: Context, org_id: str, app_id: str, user_id: str, dead: int, live: int) -> dict[str, int]:
    """Insert the rows; returns how many dead rows each table got."""
    counts: dict[str, int] = dict.fromkeys(_TABLES, 0)
    for is_dead, total in ((True, dead), (False, live)):
        done = 0
        while done < total:
            n = min(CHUNK, total - done)
            rows = _rows(ctx, org_id, app_id, user_id, n, dead=is_dead)
            with ctx.db.write() as conn:
                for name, table in _TABLES.items():
                    if rows[name]:
                        conn.execute(insert(table), rows[name])
                        if is_dead:
                            counts[name] += len(rows[name])
            done += n
    return counts


def _pin() -> str:
    if hasattr(os, "sched_setaffinity") and 0 in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {0})
        return "bench process: sched_setaffinity CPU 0"
    return "not pinned"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="SQLAlchemy URL [default: a fresh SQLite file]")
    parser.add_argument("--dead", type=int, default=50_000, help="dead grants to purge (about 5 rows each)")
    parser.add_argument("--live", type=int, default=20_000, help="live grants that must stay")
    parser.add_argument("--batch", type=int, default=housekeeping.BATCH, help="rows per delete transaction")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="forcegate-bench-housekeeping-"))
    url = args.database or f"sqlite:///{tmp / 'forcegate.db'}"
    settings = Settings(
        database_url=url,
        server_keys=Fernet.generate_key().decode(),
        server_key_file=tmp / "unused.key",
        housekeeping_interval_seconds=0,
        argon2_memory_kib=1024,
        argon2_time_cost=1,
    )
    ctx = Context.from_settings(settings)
    try:
        upgrade(ctx.db)
        with ctx.db.write() as conn:
            org = ensure_org(ctx, conn)
            app, _secret = connected_apps.create_app(
                ctx,
                conn,
                org.id,
                name=f"bench-{secrets.token_hex(4)}",
                callback_urls=["https://app.example.com/oauth/callback"],
                scopes="api refresh_token",
                actor=Actor.system("benchmark fixture"),
            )
            user, _token = users.create_user(
                ctx,
                conn,
                org.id,
                username=f"bench-{secrets.token_hex(4)}@example.com",
                password="Bench-passw0rd",
                first_name="Bench",
                last_name="User",
                actor=Actor.system("benchmark fixture"),
            )
        pinning = _pin()
        backend = ctx.db.engine.dialect.name
        print(
            f"forcegate housekeeping benchmark: backend={backend}, dead grants={args.dead}, "
            f"live grants={args.live}, batch={args.batch}, {pinning}, python={platform.python_version()}, "
            f"sqlalchemy={sqlalchemy.__version__}"
        )
        started = time.perf_counter()
        dead = seed(ctx, org.id, app.id, user.id, args.dead, args.live)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        with ctx.db.read() as conn:
            before = store.table_sizes(conn)

        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = housekeeping.run(ctx, scheduled=False, batch=args.batch)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        assert result is not None and result.complete, "another process holds the housekeeping lease"

        with ctx.db.read() as conn:
            after = store.table_sizes(conn)
        print(f"{'table':<22}{'before':>10}{'deleted':>10}{'after':>10}")
        for name in before:
            print(f"{name:<22}{before[name]:>10}{result.purged[name]:>10}{after[name]:>10}")
        for name, count in dead.items():
            assert result.purged[name] >= count, f"{name}: {result.purged[name]} deleted of {count} dead"
        assert after["access_tokens"] >= args.live and after["refresh_tokens"] >= args.live, "live rows lost"
        rate = result.total / wall if wall else 0.0
        print(
            f"purged {result.total} rows in {wall:.2f} s: {rate:,.0f} rows/s "
            f"(bench process CPU {cpu:.2f} s, {100 * cpu / wall:.0f} % of wall)"
        )
        print(
            json.dumps(
                {
                    "benchmark": "housekeeping",
                    "backend": backend,
                    "dead_grants": args.dead,
                    "live_grants": args.live,
                    "batch": args.batch,
                    "purged": result.purged,
                    "total": result.total,
                    "seconds": round(wall, 3),
                    "rows_per_second": round(rate),
                    "cpu_seconds": round(cpu, 3),
                }
            )
        )
        # Leave a PostgreSQL database as we found it (the live rows go with the app).
        with ctx.db.write() as conn:
            repo.delete_app(conn, app.id)
        return 0
    finally:
        ctx.db.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
