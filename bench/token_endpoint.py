"""Benchmark the token endpoint's code exchange and bearer validation against a real forcegate.

    .venv/bin/python bench/token_endpoint.py [--database URL] [--seconds N] [--concurrency C]
    .venv/bin/python bench/token_endpoint.py --profile [--database URL]

HTTP mode starts ``forcegate serve`` as a subprocess (pinned to CPU 0 with ``taskset`` when the
machine has two CPUs), drives it from this process (pinned to CPU 1) with threads that each own a
keep-alive ``httpx.Client``, and reads the server's CPU time from ``/proc/<pid>/stat``. Authorization
codes are minted straight into the database with ``web_server.approve_code`` (no HTML pages), in batches
sized from each warm-up. The method and the anchors are those of the performance budget (sections B6
and C of "The budget" in ``bench/README.md``).

``--profile`` needs no server: it times the code exchange in-process, called directly and through the
ASGI app, and userinfo (200 and 401) through the ASGI app, with the database work of each (pool
checkouts, statements, commits), then prints the top functions of 2,000 exchanges under cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import math
import os
import platform
import pstats
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import sqlalchemy
import starlette
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Scope

from forcegate.bootstrap import ensure_org
from forcegate.config import Settings
from forcegate.context import Context
from forcegate.domain import User
from forcegate.flows.common import Caller
from forcegate.flows.web_server import (
    ValidatedAuthorization,
    approve_code,
    exchange_code,
    validate_authorize_request,
)
from forcegate.org import connected_apps, users
from forcegate.protocol.requests import parse_authorize_request, parse_token_request
from forcegate.storage.migrate import upgrade
from forcegate.web.app import create_app

TOKEN_PATH = "/services/oauth2/token"
USERINFO_PATH = "/services/oauth2/userinfo"
REDIRECT_URI = "https://app.example.com/oauth/callback"
SCOPES = "api refresh_token"
FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}
LISTENING = re.compile(r"forcegate listening on (http://\S+)")
SERVER_CPU, CLIENT_CPU = 0, 1
WARMUP_CODES = 3000  # a warm-up that runs out of codes just ends early
CODE_MARGIN = 1.5  # mint this many times the codes the warm-up rate predicts
SATURATED = 0.9  # a process busier than this is CPU-bound

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


# --- the org under test -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """The app, user and validated authorize request every code is minted for."""

    ctx: Context
    org_id: str
    consumer_key: str
    consumer_secret: str
    user: User
    auth: ValidatedAuthorization


def open_context(database_url: str, server_key: str) -> Context:
    ctx = Context.from_settings(Settings(database_url=database_url, server_keys=server_key))
    upgrade(ctx.db)
    return ctx


def create_fixture(ctx: Context) -> Fixture:
    with ctx.db.write() as conn:
        org = ensure_org(ctx, conn)
        app, secret = connected_apps.create_app(
            ctx,
            conn,
            org.id,
            name=f"bench-{secrets.token_hex(4)}",
            callback_urls=[REDIRECT_URI],
            scopes=SCOPES,
        )
        user, _ = users.create_user(
            ctx,
            conn,
            org.id,
            username=f"bench-{secrets.token_hex(4)}@example.com",
            password="Bench-passw0rd-" + secrets.token_hex(4),
            first_name="Bench",
            last_name="User",
        )
        request = parse_authorize_request(
            [
                ("response_type", "code"),
                ("client_id", app.consumer_key),
                ("redirect_uri", REDIRECT_URI),
                ("scope", SCOPES),
            ]
        )
        auth = validate_authorize_request(conn, request)
    return Fixture(ctx, org.id, app.consumer_key, secret, user, auth)


def mint_codes(fx: Fixture, count: int, batch: int = 1000) -> list[str]:
    """``count`` fresh authorization codes, as the consent page would mint them, in few transactions."""
    codes: list[str] = []
    auth_time = fx.ctx.now_ms()
    while len(codes) < count:
        with fx.ctx.db.write() as conn:
            for _ in range(min(batch, count - len(codes))):
                url = approve_code(fx.ctx, conn, fx.user, fx.auth, auth_time)
                codes.append(parse_qs(urlsplit(url).query)["code"][0])
    return codes


def exchange_form(fx: Fixture, code: str) -> list[tuple[str, str]]:
    return [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", fx.consumer_key),
        ("client_secret", fx.consumer_secret),
        ("redirect_uri", REDIRECT_URI),
    ]


# --- the server subprocess --------------------------------------------------------------------


def forcegate_command() -> list[str]:
    script = Path(sys.executable).with_name("forcegate")
    if script.exists():
        return [str(script)]
    found = shutil.which("forcegate")
    if found is None:
        raise SystemExit("the forcegate command is not installed (pip install -e .)")
    return [found]


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0)


class ServerProcess:
    """``forcegate serve`` on a free loopback port; stderr is drained so logging never blocks it."""

    def __init__(self, database_url: str, server_key: str, home: Path, log_level: str, pin: bool) -> None:
        command = [
            *forcegate_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--database",
            database_url,
            "--log-level",
            log_level,
        ]
        taskset = shutil.which("taskset") if pin else None
        if taskset:
            command = [taskset, "-c", str(SERVER_CPU), *command]
        env = {**os.environ, "FORCEGATE_HOME": str(home), "FORCEGATE_SERVER_KEYS": server_key}
        for name in [n for n in env if n.startswith(("FORCEGATE_ARGON2_", "FORCEGATE_DATABASE_URL"))]:
            del env[name]  # default argon2 settings; the database is --database
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if pin and not taskset:
            os.sched_setaffinity(self.proc.pid, {SERVER_CPU})  # best effort: threads started later inherit it
        self.pinning = (
            "not pinned (needs CPUs 0 and 1)"
            if not pin
            else f"server: taskset -c {SERVER_CPU}"
            if taskset
            else f"server: sched_setaffinity CPU {SERVER_CPU}"
        )
        self.log_lines = 0
        self.tail: deque[str] = deque(maxlen=20)
        self.url: str | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.log_lines += 1
            self.tail.append(line)
            found = LISTENING.search(line) if self.url is None else None
            if found:
                self.url = found.group(1)
                self._ready.set()
        self._ready.set()

    def wait_ready(self, timeout: float = 60) -> str:
        self._ready.wait(timeout)
        if self.url is None:
            self.stop()
            raise SystemExit("forcegate did not start:\n" + "\n".join(self.tail))
        return self.url

    def cpu_seconds(self) -> float:
        """utime + stime of the server process, all threads (fields 14 and 15 of /proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- load generation --------------------------------------------------------------------------

Send = Callable[[httpx.Client], httpx.Response]


class Exhausted(Exception):
    """No authorization code left to exchange."""


@dataclass
class WorkerLog:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exhausted: bool = False


@dataclass
class Result:
    name: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu_s: float
    client_cpu_s: float
    exhausted: bool
    error_samples: list[str]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000

    @property
    def server_us_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e6 if self.requests else math.nan

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile_ms(0.50), 3),
            "p99_ms": round(self.percentile_ms(0.99), 3),
            "server_cpu_us_per_request": round(self.server_us_per_request, 1),
            "server_cpu_utilisation": round(self.server_cpu_s / self.seconds, 3),
            "client_cpu_utilisation": round(self.client_cpu_s / self.seconds, 3),
            "codes_exhausted": self.exhausted,
        }


def _work(client: httpx.Client, send: Send, expected: int, deadline: float, log: WorkerLog) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = send(client)
        except Exhausted:
            log.exhausted = True
            return
        except httpx.HTTPError as exc:
            log.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        log.latencies.append(time.perf_counter() - started)
        if response.status_code != expected:
            log.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")


def run_load(
    server: ServerProcess, clients: list[httpx.Client], send: Send, expected: int, seconds: float, name: str
) -> Result:
    """Every client sends back to back for ``seconds``; server CPU is read before and after."""
    logs = [WorkerLog() for _ in clients]
    cpu_before, client_before = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_work, args=(client, send, expected, deadline, log))
        for client, log in zip(clients, logs, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    errors = [e for log in logs for e in log.errors]
    latencies = [x for log in logs for x in log.latencies]
    return Result(
        name=name,
        concurrency=len(clients),
        requests=len(latencies),
        errors=len(errors),
        seconds=elapsed,
        latencies=latencies,
        server_cpu_s=server.cpu_seconds() - cpu_before,
        client_cpu_s=time.process_time() - client_before,
        exhausted=any(log.exhausted for log in logs),
        error_samples=errors[:5],
    )


@contextmanager
def keep_alive_clients(base_url: str, count: int) -> Iterator[list[httpx.Client]]:
    clients = [httpx.Client(base_url=base_url, timeout=30) for _ in range(count)]
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def code_sender(fx: Fixture, codes: deque[str]) -> Send:
    def send(client: httpx.Client) -> httpx.Response:
        try:
            code = codes.popleft()
        except IndexError:
            raise Exhausted from None
        return client.post(TOKEN_PATH, content=urlencode(exchange_form(fx, code)), headers=FORM_HEADERS)

    return send


def bearer_sender(token: str) -> Send:
    headers = {"authorization": f"Bearer {token}"}

    def send(client: httpx.Client) -> httpx.Response:
        return client.get(USERINFO_PATH, headers=headers)

    return send


@dataclass(frozen=True)
class Plan:
    seconds: float
    warmup: float


def measure_exchange(server: ServerProcess, fx: Fixture, plan: Plan, concurrency: int) -> Result:
    """Warm up (and learn the rate), mint codes for the measured run with a margin, measure."""
    codes: deque[str] = deque(mint_codes(fx, WARMUP_CODES))
    send = code_sender(fx, codes)
    with keep_alive_clients(server.url or "", concurrency) as clients:
        warm = run_load(server, clients, send, 200, plan.warmup, "warm-up")
        needed = int(warm.rps * plan.seconds * CODE_MARGIN) + 500
        codes.clear()
        codes.extend(mint_codes(fx, needed))
        return run_load(server, clients, send, 200, plan.seconds, "code exchange")


def measure_bearer(
    server: ServerProcess, send: Send, expected: int, plan: Plan, concurrency: int, name: str
) -> Result:
    with keep_alive_clients(server.url or "", concurrency) as clients:
        run_load(server, clients, send, expected, plan.warmup, "warm-up")
        return run_load(server, clients, send, expected, plan.seconds, name)


def access_token_over_http(server: ServerProcess, fx: Fixture) -> str:
    (code,) = mint_codes(fx, 1)
    response = httpx.post(
        f"{server.url}{TOKEN_PATH}", content=urlencode(exchange_form(fx, code)), headers=FORM_HEADERS
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


# --- reporting --------------------------------------------------------------------------------

BENCHMARKS = ("exchange", "userinfo", "invalid")
BUDGET_KEYS = {
    "code exchange": "code_exchange",
    "userinfo": "userinfo",
    "invalid bearer (401)": "invalid_bearer",
}


def print_table(results: list[Result]) -> None:
    header = (
        f"{'benchmark':<22}{'conc':>5}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'srv CPU µs/req':>16}{'srv CPU':>9}{'client CPU':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<22}{r.concurrency:>5}{r.requests:>10}{r.errors:>8}{r.rps:>9.0f}"
            f"{r.percentile_ms(0.5):>9.2f}{r.percentile_ms(0.99):>9.2f}{r.server_us_per_request:>16.0f}"
            f"{r.server_cpu_s / r.seconds:>9.0%}{r.client_cpu_s / r.seconds:>12.0%}"
        )
    for r in results:
        if r.exhausted:
            print(f"! {r.name} c={r.concurrency}: ran out of codes after {r.seconds:.1f} s")
        busy, server_busy = r.client_cpu_s / r.seconds, r.server_cpu_s / r.seconds
        if busy > SATURATED:
            print(
                f"! {r.name} c={r.concurrency}: the load generator was busy {busy:.0%} of its core:"
                " req/s may be client-bound (server CPU µs/req still holds)"
            )
        elif r.concurrency > 1 and server_busy < SATURATED:
            print(
                f"! {r.name} c={r.concurrency}: the server used only {server_busy:.0%} of its core:"
                " waiting (locks, database I/O), not CPU, limits req/s"
            )
        for sample in r.error_samples:
            print(f"! {r.name} c={r.concurrency} error: {sample}")


def budget_lines(results: list[Result]) -> list[dict[str, Any]]:
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


def environment(args: argparse.Namespace, pinning: str) -> dict[str, Any]:
    return {
        "database": make_url(args.database).get_backend_name(),
        "seconds": args.seconds,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "pinning": pinning,
        "server_log_level": args.server_log_level,
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "starlette": starlette.__version__,
        "uvicorn": uvicorn.__version__,
        "httpx": httpx.__version__,
    }


# --- HTTP mode --------------------------------------------------------------------------------


def run_http(args: argparse.Namespace, fx: Fixture, key: str, home: Path) -> None:
    pin = can_pin()
    server = ServerProcess(args.database, key, home, args.server_log_level, pin)
    try:
        server.wait_ready()
        pinning = server.pinning
        if pin:
            os.sched_setaffinity(0, {CLIENT_CPU})
            pinning += f"; load generator: sched_setaffinity CPU {CLIENT_CPU}"
        env = environment(args, pinning)
        print("forcegate token endpoint benchmark: " + ", ".join(f"{k}={v}" for k, v in env.items()))
        print(f"server {server.url} (pid {server.proc.pid}), default argon2 settings\n")
        results = http_results(server, fx, args)
        log_lines = server.log_lines
    finally:
        server.stop()
    print_table(results)
    verdicts = budget_lines(results)
    print_budget(verdicts)
    print(f"  server wrote {log_lines:,} stderr lines at log level {args.server_log_level}")
    print(json.dumps({"environment": env, "results": [r.as_json() for r in results], "budget": verdicts}))


def http_results(server: ServerProcess, fx: Fixture, args: argparse.Namespace) -> list[Result]:
    plan = Plan(args.seconds, args.warmup)
    levels = sorted({1, args.concurrency})
    results: list[Result] = []
    if "exchange" in args.only:
        results += [measure_exchange(server, fx, plan, c) for c in levels]
    if "userinfo" in args.only:
        valid = bearer_sender(access_token_over_http(server, fx))
        results += [measure_bearer(server, valid, 200, plan, c, "userinfo") for c in levels]
    if "invalid" in args.only:
        invalid = bearer_sender(f"{fx.org_id[:15]}!{secrets.token_urlsafe(32)}")  # well-formed, unknown
        results += [measure_bearer(server, invalid, 401, plan, c, "invalid bearer (401)") for c in levels]
    return results


# --- profile mode -----------------------------------------------------------------------------


@dataclass
class DbCounter:
    """Pool checkouts, statements (including BEGIN) and commits on an engine."""

    checkouts: int = 0
    statements: int = 0
    commits: int = 0

    def install(self, engine: Engine) -> None:
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _checkout(self, *_: Any) -> None:
        self.checkouts += 1

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.checkouts, self.statements, self.commits


def exchange_all(fx: Fixture, codes: list[str], caller: Caller) -> None:
    for code in codes:
        exchange_code(fx.ctx, parse_token_request(exchange_form(fx, code), None), caller, fx.org_id)


Headers = list[tuple[bytes, bytes]]


async def asgi_request(app: ASGIApp, method: str, path: str, headers: Headers, body: bytes = b"") -> int:
    """One request through the whole ASGI app (middleware, routing, thread pool), without a socket."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def asgi_loop(app: ASGIApp, requests: list[tuple[str, str, Headers, bytes]], expected: int) -> None:
    async def run() -> None:
        for method, path, headers, body in requests:
            status = await asgi_request(app, method, path, headers, body)
            assert status == expected, f"{method} {path}: HTTP {status}"

    asyncio.run(run())


@dataclass(frozen=True)
class Cost:
    """Per-request cost of one in-process path."""

    label: str
    cpu_us: float
    wall_us: float
    checkouts: float
    statements: float
    commits: float


def measure_cost(label: str, count: int, counter: DbCounter, run: Callable[[], None]) -> Cost:
    before, wall, cpu = counter.snapshot(), time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per = [(b - a) / count for a, b in zip(before, counter.snapshot(), strict=True)]
    return Cost(label, cpu / count * 1e6, wall / count * 1e6, *per)


def in_process_costs(fx: Fixture, caller: Caller, counter: DbCounter, count: int) -> list[Cost]:
    """The code exchange called directly and through the ASGI app; userinfo (200 and 401) likewise."""
    app = create_app(fx.ctx, caller.origin)
    form = [(b"content-type", FORM_HEADERS["content-type"].encode())]
    token = exchange_code(
        fx.ctx, parse_token_request(exchange_form(fx, mint_codes(fx, 1)[0]), None), caller, fx.org_id
    )["access_token"]
    unknown = f"{fx.org_id[:15]}!{secrets.token_urlsafe(32)}"

    def posts(codes: list[str]) -> list[tuple[str, str, Headers, bytes]]:
        return [("POST", TOKEN_PATH, form, urlencode(exchange_form(fx, c)).encode()) for c in codes]

    def gets(bearer: str) -> list[tuple[str, str, Headers, bytes]]:
        return [("GET", USERINFO_PATH, [(b"authorization", f"Bearer {bearer}".encode())], b"")] * count

    exchange_all(fx, mint_codes(fx, 200), caller)  # warm the statement caches and the pool
    asgi_loop(app, posts(mint_codes(fx, 200)), 200)
    direct, via_app = mint_codes(fx, count), posts(mint_codes(fx, count))
    return [
        measure_cost(
            "exchange_code() called directly", count, counter, lambda: exchange_all(fx, direct, caller)
        ),
        measure_cost(
            "POST /token through the ASGI app", count, counter, lambda: asgi_loop(app, via_app, 200)
        ),
        measure_cost(
            "GET /userinfo through the ASGI app", count, counter, lambda: asgi_loop(app, gets(token), 200)
        ),
        measure_cost(
            "GET /userinfo 401 (unknown token)", count, counter, lambda: asgi_loop(app, gets(unknown), 401)
        ),
    ]


def print_costs(costs: list[Cost], backend: str, log_level: str) -> None:
    print(
        f"In-process, no socket ({backend}; logging as `forcegate serve --log-level {log_level}`,"
        " into /dev/null). SQLite counts its BEGIN as a statement."
    )
    print(
        f"{'path':<36}{'CPU µs/req':>11}{'wall µs/req':>12}{'checkouts':>10}{'statements':>11}{'commits':>8}"
    )
    for c in costs:
        print(
            f"{c.label:<36}{c.cpu_us:>11.0f}{c.wall_us:>12.0f}{c.checkouts:>10g}{c.statements:>11g}{c.commits:>8g}"
        )


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


@contextmanager
def server_logging(level: str) -> Iterator[None]:
    """Log as ``forcegate serve`` does (same level and format), into /dev/null."""
    with open(os.devnull, "w") as sink:
        handler = logging.StreamHandler(sink)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(level.upper())
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)


def run_profile(args: argparse.Namespace, fx: Fixture) -> None:
    caller = Caller(origin="http://127.0.0.1", ip="127.0.0.1", user_agent="forcegate-bench")
    counter = DbCounter()
    counter.install(fx.ctx.db.engine)
    count = args.profile_codes
    backend = make_url(args.database).get_backend_name()
    with server_logging(args.server_log_level):
        costs = in_process_costs(fx, caller, counter, count)
        codes = mint_codes(fx, count)
        profile = cProfile.Profile()
        profile.runcall(exchange_all, fx, codes, caller)
    print_costs(costs, backend, args.server_log_level)
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
        ctx = open_context(args.database, key)
        try:
            fx = create_fixture(ctx)
            if args.profile:
                run_profile(args, fx)
            else:
                run_http(args, fx, key, home)
        finally:
            ctx.db.dispose()


if __name__ == "__main__":
    main()
