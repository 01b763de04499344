"""Benchmark the token endpoint's code exchange and bearer validation against a real forcegate.

    .venv/bin/python bench/token_endpoint.py [--database URL] [--seconds N] [--concurrency C]
    .venv/bin/python bench/token_endpoint.py --profile [--database URL]

HTTP mode starts ``forcegate serve`` as a subprocess (pinned to CPU 0 with ``taskset`` when the
machine has two CPUs), drives it from this process (pinned to CPU 1) with threads that each own a
keep-alive ``httpx.Client``, and reads the server's CPU time from ``/proc/<pid>/stat``. Authorization
codes are minted straight into the database with ``web_server.approve_code`` (no HTML pages), in batches
sized from each warm-up. The method and the anchors are those of the performance budget (sections B6
and C of "The budget" in ``bench/README.md``); the server, load and fixture code is the shared
``bench/harness.py``.

``--profile`` needs no server: it times the code exchange in-process, called directly and through the
ASGI app, and userinfo (200 and 401) through the ASGI app, with the database work of each (pool
checkouts, statements, commits), then prints the top functions of 2,000 exchanges under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import tempfile
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from forcegate.flows.common import Caller
from forcegate.flows.web_server import exchange_code
from forcegate.protocol.requests import parse_token_request
from forcegate.web.app import create_app

try:
    from bench import harness
except ImportError:  # `python bench/token_endpoint.py`: bench/ itself is first on sys.path
    import harness  # type: ignore[no-redef]

WARMUP_CODES = 3000  # a warm-up that runs out of codes just ends early
CODE_MARGIN = 1.5  # mint this many times the codes the warm-up rate predicts


# Performance budget, section C (CPU µs per request on one core; arithmetic on B2/B4/B6 medians).
# Our tokens are opaque: no JWT signing, so the grant anchor is the refresh-rotation row without ES256.
BUDGET_US = {
    "code_exchange": (202 + 87 + 10, "form POST 202 (B6) + rotation tx 87 (B4) + hashing/random/HMAC ~10"),
    "userinfo": (107 + 2 * 10 + 10, "GET 107 (B6) + token and user PK lookups ~2x10 (B4) + JSON ~10"),
    "invalid_bearer": (107 + 1 + 10, "GET 107 (B6) + SHA-256 1 (B2) + missed PK lookup ~10 (B4)"),
}
BUDGET_FACTOR = 2.0
PUBLISHED = (
    "Keycloak sizing guide: 120 refreshes/s and 120 client-credentials grants/s per vCPU (with TLS)",
    "Ory Hydra (in-memory, 2 vCPU): client-credentials grant 513 req/s, introspection 5,109 req/s",
)


def code_sender(fx: harness.Fixture, codes: deque[str]) -> harness.Send:
    def send(client: httpx.Client) -> httpx.Response:
        try:
            code = codes.popleft()
        except IndexError:
            raise harness.Exhausted from None
        return client.post(
            harness.TOKEN_PATH,
            content=urlencode(harness.exchange_form(fx, code)),
            headers=harness.FORM_HEADERS,
        )

    return send


def measure_exchange(
    server: harness.ServerProcess, fx: harness.Fixture, plan: harness.Plan, concurrency: int
) -> harness.Result:
    """Warm up (and learn the rate), mint codes for the measured run with a margin, measure."""
    codes: deque[str] = deque(harness.mint_codes(fx, WARMUP_CODES))
    send = code_sender(fx, codes)
    with harness.keep_alive_clients(server.url or "", concurrency) as clients:
        warm = harness.run_load(server, clients, send, 200, plan.warmup, "warm-up")
        needed = int(warm.rps * plan.seconds * CODE_MARGIN) + 500
        codes.clear()
        codes.extend(harness.mint_codes(fx, needed))
        return harness.run_load(server, clients, send, 200, plan.seconds, "code exchange")


# --- reporting --------------------------------------------------------------------------------

BENCHMARKS = ("exchange", "userinfo", "invalid")
BUDGET_KEYS = {
    "code exchange": "code_exchange",
    "userinfo": "userinfo",
    "invalid bearer (401)": "invalid_bearer",
}


def budget_lines(results: list[harness.Result]) -> list[dict[str, Any]]:
    """Compare the saturated (highest-concurrency) server CPU per request with section C."""
    verdicts = []
    for name, key in BUDGET_KEYS.items():
        runs = [r for r in results if r.name == name]
        if not runs:
            continue
        best = max(runs, key=lambda r: r.concurrency)
        anchor, how = BUDGET_US[key]
        ratio = best.server_us_per_request / anchor
        verdicts.append(
            {
                "benchmark": name,
                "concurrency": best.concurrency,
                "measured_us": round(best.server_us_per_request, 1),
                "anchor_us": anchor,
                "anchor": how,
                "ratio": round(ratio, 2),
                "within_budget": ratio <= BUDGET_FACTOR,
                "per_core_rps_equivalent": round(1e6 / best.server_us_per_request),
            }
        )
    return verdicts


def print_budget(verdicts: list[dict[str, Any]]) -> None:
    print(
        f"\nBudget (performance-budget.md §C; target: within {BUDGET_FACTOR:g}x"
        " the anchor's server CPU µs/request)"
    )
    for v in verdicts:
        verdict = "OK" if v["within_budget"] else "OVER"
        print(
            f"  {v['benchmark']:<22} {v['measured_us']:>7.0f} µs vs anchor {v['anchor_us']} µs"
            f" ({v['anchor']}) = {v['ratio']:.2f}x  [{verdict}]  ≈ {v['per_core_rps_equivalent']:,} req/s"
            " per server core"
        )
    for line in PUBLISHED:
        print(f"  context: {line}")


# --- HTTP mode --------------------------------------------------------------------------------


def run_http(args: argparse.Namespace, fx: harness.Fixture, key: str, home: Path) -> None:
    pin = harness.can_pin()
    server = harness.ServerProcess(args.database, key, home, args.server_log_level, pin)
    try:
        server.wait_ready()
        pinning = server.pinning
        if pin:
            os.sched_setaffinity(0, {harness.CLIENT_CPU})
            pinning += f"; load generator: sched_setaffinity CPU {harness.CLIENT_CPU}"
        env = harness.environment(args, pinning)
        print("forcegate token endpoint benchmark: " + ", ".join(f"{k}={v}" for k, v in env.items()))
        print(f"server {server.url} (pid {server.proc.pid}), default argon2 settings\n")
        results = http_results(server, fx, args)
        log_lines = server.log_lines
    finally:
        server.stop()
    harness.print_table(results)
    verdicts = budget_lines(results)
    print_budget(verdicts)
    print(f"  server wrote {log_lines:,} stderr lines at log level {args.server_log_level}")
    print(json.dumps({"environment": env, "results": [r.as_json() for r in results], "budget": verdicts}))


def http_results(
    server: harness.ServerProcess, fx: harness.Fixture, args: argparse.Namespace
) -> list[harness.Result]:
    plan = harness.Plan(args.seconds, args.warmup)
    levels = sorted({1, args.concurrency})
    results: list[harness.Result] = []
    if "exchange" in args.only:
        results += [measure_exchange(server, fx, plan, c) for c in levels]
    if "userinfo" in args.only:
        valid = harness.bearer_sender(harness.access_token_over_http(server, fx))
        results += [harness.measure_bearer(server, valid, 200, plan, c, "userinfo") for c in levels]
    if "invalid" in args.only:
        invalid = harness.bearer_sender(
            f"{fx.org_id[:15]}!{secrets.token_urlsafe(32)}"
        )  # well-formed, unknown
        results += [
            harness.measure_bearer(server, invalid, 401, plan, c, "invalid bearer (401)") for c in levels
        ]
    return results


# --- profile mode -----------------------------------------------------------------------------


def exchange_all(fx: harness.Fixture, codes: list[str], caller: Caller) -> None:
    for code in codes:
        exchange_code(fx.ctx, parse_token_request(harness.exchange_form(fx, code), None), caller, fx.org_id)


def in_process_costs(
    fx: harness.Fixture, caller: Caller, counter: harness.DbCounter, count: int
) -> list[harness.Cost]:
    """The code exchange called directly and through the ASGI app; userinfo (200 and 401) likewise."""
    app = create_app(fx.ctx, caller.origin)
    form = [(b"content-type", harness.FORM_HEADERS["content-type"].encode())]
    token = exchange_code(
        fx.ctx,
        parse_token_request(harness.exchange_form(fx, harness.mint_codes(fx, 1)[0]), None),
        caller,
        fx.org_id,
    )["access_token"]
    unknown = f"{fx.org_id[:15]}!{secrets.token_urlsafe(32)}"

    def posts(codes: list[str]) -> list[tuple[str, str, harness.Headers, bytes]]:
        return [
            ("POST", harness.TOKEN_PATH, form, urlencode(harness.exchange_form(fx, c)).encode())
            for c in codes
        ]

    def gets(bearer: str) -> list[tuple[str, str, harness.Headers, bytes]]:
        return [
            ("GET", harness.USERINFO_PATH, [(b"authorization", f"Bearer {bearer}".encode())], b"")
        ] * count

    exchange_all(fx, harness.mint_codes(fx, 200), caller)  # warm the statement caches and the pool
    harness.asgi_loop(app, posts(harness.mint_codes(fx, 200)), 200)
    direct, via_app = harness.mint_codes(fx, count), posts(harness.mint_codes(fx, count))
    return [
        harness.measure_cost(
            "exchange_code() called directly", count, counter, lambda: exchange_all(fx, direct, caller)
        ),
        harness.measure_cost(
            "POST /token through the ASGI app", count, counter, lambda: harness.asgi_loop(app, via_app, 200)
        ),
        harness.measure_cost(
            "GET /userinfo through the ASGI app",
            count,
            counter,
            lambda: harness.asgi_loop(app, gets(token), 200),
        ),
        harness.measure_cost(
            "GET /userinfo 401 (unknown token)",
            count,
            counter,
            lambda: harness.asgi_loop(app, gets(unknown), 401),
        ),
    ]


def _short(path: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def print_top(profile: cProfile.Profile, calls: int, sort: str, limit: int) -> None:
    """The heaviest functions by ``cumulative`` or ``internal`` (own) time, per exchange."""
    stats = pstats.Stats(profile)
    column = 3 if sort == "cumulative" else 2
    rows = sorted(stats.stats.items(), key=lambda item: item[1][column], reverse=True)  # type: ignore[attr-defined]
    print(f"\nTop {limit} functions by {sort} time ({calls} exchanges under cProfile):")
    print(f"{'ncalls':>10}{'tottime s':>11}{'cumtime s':>11}{'µs/exch':>9}{'calls/exch':>11}  function")
    for (path, line, func), (_cc, ncalls, tottime, cumtime, _callers) in rows[:limit]:
        where = f"{_short(path)}:{line}({func})" if line else func
        per = (cumtime if column == 3 else tottime) / calls * 1e6
        print(f"{ncalls:>10}{tottime:>11.3f}{cumtime:>11.3f}{per:>9.0f}{ncalls / calls:>11.1f}  {where}")


def run_profile(args: argparse.Namespace, fx: harness.Fixture) -> None:
    caller = Caller(origin="http://127.0.0.1", ip="127.0.0.1", user_agent="forcegate-bench")
    counter = harness.DbCounter()
    counter.install(fx.ctx.db.engine)
    count = args.profile_codes
    backend = make_url(args.database).get_backend_name()
    with harness.server_logging(args.server_log_level):
        costs = in_process_costs(fx, caller, counter, count)
        codes = harness.mint_codes(fx, count)
        profile = cProfile.Profile()
        profile.runcall(exchange_all, fx, codes, caller)
    harness.print_costs(costs, backend, args.server_log_level)
    print_top(profile, count, "cumulative", 25)
    print_top(profile, count, "internal", 15)
    print(json.dumps({"database": backend, "in_process": [c.__dict__ for c in costs]}))


# --- entry point ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", help="SQLAlchemy URL [default: SQLite in a temporary directory]")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per measurement [10]")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each [2]")
    parser.add_argument("--concurrency", type=int, default=16, help="connections for the loaded runs [16]")
    parser.add_argument(
        "--server-log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="forcegate serve --log-level [info, the server's default]",
    )
    parser.add_argument(
        "--only",
        type=lambda value: set(value.split(",")),
        default=set(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)} [all]",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the exchange in-process instead")
    parser.add_argument("--profile-codes", type=int, default=2000, help="exchanges to profile [2000]")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="forcegate-bench-") as tmp:
        home = Path(tmp)
        args.database = args.database or f"sqlite:///{home / 'forcegate.db'}"
        key = Fernet.generate_key().decode()
        ctx = harness.open_context(args.database, key)
        try:
            fx = harness.create_fixture(ctx)
            if args.profile:
                run_profile(args, fx)
            else:
                run_http(args, fx, key, home)
        finally:
            ctx.db.dispose()


if __name__ == "__main__":
    main()
