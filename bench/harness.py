"""What the benchmarks share: the org under test (fixtures), ``forcegate serve`` as a pinned
subprocess whose CPU time is read from /proc, the load run (threads with keep-alive ``httpx``
clients), the result table, and the in-process measurement (database counters, requests through
the ASGI app without a socket).

The method is that of the performance budget (sections B6 and C of "The budget" in
``bench/README.md``). A benchmark imports this module as ``bench.harness`` (``python -m bench.NAME``)
or as ``harness`` (``python bench/NAME.py``, where ``bench/`` is the first entry of ``sys.path``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
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
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Scope

from forcegate.bootstrap import ensure_org
from forcegate.config import Settings
from forcegate.context import Context
from forcegate.domain import User
from forcegate.flows.web_server import ValidatedAuthorization, approve_code, validate_authorize_request
from forcegate.org import connected_apps, users
from forcegate.org.audit import Actor
from forcegate.protocol.requests import parse_authorize_request
from forcegate.storage.migrate import upgrade

TOKEN_PATH = "/services/oauth2/token"
USERINFO_PATH = "/services/oauth2/userinfo"
REDIRECT_URI = "https://app.example.com/oauth/callback"
SCOPES = "api refresh_token"
FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}
LISTENING = re.compile(r"forcegate listening on (http://\S+)")
SERVER_CPU, CLIENT_CPU = 0, 1
SATURATED = 0.9  # a process busier than this is CPU-bound


# --- fixtures: the org under test ---------------------------------------------------------------


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
            actor=Actor.system("benchmark fixture"),
        )
        user, _ = users.create_user(
            ctx,
            conn,
            org.id,
            username=f"bench-{secrets.token_hex(4)}@example.com",
            password="Bench-passw0rd-" + secrets.token_hex(4),
            first_name="Bench",
            last_name="User",
            actor=Actor.system("benchmark fixture"),
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


def bearer_sender(token: str) -> Send:
    headers = {"authorization": f"Bearer {token}"}

    def send(client: httpx.Client) -> httpx.Response:
        return client.get(USERINFO_PATH, headers=headers)

    return send


@dataclass(frozen=True)
class Plan:
    seconds: float
    warmup: float


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


# --- in-process measurement -------------------------------------------------------------------


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
