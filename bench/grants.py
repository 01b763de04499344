"""Benchmark the token endpoint's machine-to-machine grants against a real forcegate.

    .venv/bin/python bench/grants.py [--database URL] [--seconds N] [--concurrency C] [--only ...]

Measures, over HTTP with the shared ``bench/harness.py`` (server pinned to CPU 0, load
from this process on CPU 1, server CPU read from /proc):

* ``client_credentials``: grant_type=client_credentials with the app's key and secret;
* ``refresh``: grant_type=refresh_token, the same refresh token again and again (rotation off, the
  default, as Salesforce);
* ``refresh_rotating``: the same with rotation on: each connection follows its own chain of tokens;
* ``jwt_bearer``: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with RS256 assertions made
  ahead of time (each with its own jti, since a replayed jti is refused).

Then, in-process (no server, no socket), how much of a JWT bearer grant is signature verification:
the grant called directly vs the RS256 verification of the same assertions with the app's
certificate key, as the flow does it (joserfc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import RSAKey
from sqlalchemy.engine import make_url

from forcegate.flows.common import Caller
from forcegate.flows.jwt_bearer import jwt_bearer_grant
from forcegate.flows.web_server import validate_authorize_request
from forcegate.org import connected_apps
from forcegate.org.audit import Actor
from forcegate.protocol.requests import parse_authorize_request, parse_token_request
from forcegate.storage import repositories as repo

try:
    from bench import harness
except ImportError:  # `python bench/grants.py`: bench/ itself is first on sys.path
    import harness  # type: ignore[no-redef]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
BENCHMARKS = ("client_credentials", "refresh", "refresh_rotating", "jwt_bearer")
ASSERTION_MARGIN = 1.5
# Section C of the performance budget: CC grant with a fast secret check and one SQLite row, minus
# the ES256 signature (our access tokens are opaque): 202 + 1 + 43 µs, plus hashing/random ~10.
BUDGET_US = {
    "client_credentials": 202 + 1 + 43 + 10,
    "refresh": 202 + 87 + 10,
    "refresh_rotating": 202 + 87 + 10,
    "jwt_bearer": 202 + 91 + 43 + 10,  # + joserfc RS256 verify with claims (B1)
}


def self_signed(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forcegate-bench")])
    now = time.time()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.fromtimestamp(now - 60, dt.UTC))
        .not_valid_after(dt.datetime.fromtimestamp(now + 86400, dt.UTC))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class Org:
    """The apps under test, in the bench's own database, with the clear secrets."""

    def __init__(self, fx: harness.Fixture) -> None:
        self.fx = fx
        ctx = fx.ctx
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwk = RSAKey.import_key(
            self.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        with ctx.db.write() as conn:
            self.cc_app, self.cc_secret = connected_apps.create_app(
                ctx,
                conn,
                fx.org_id,
                name=f"bench-cc-{uuid.uuid4().hex[:8]}",
                callback_urls=[harness.REDIRECT_URI],
                scopes="api",
                client_credentials_enabled=True,
                client_credentials_user=fx.user.id,
                actor=Actor.system("benchmark fixture"),
            )
            self.jwt_app, _ = connected_apps.create_app(
                ctx,
                conn,
                fx.org_id,
                name=f"bench-jwt-{uuid.uuid4().hex[:8]}",
                callback_urls=[harness.REDIRECT_URI],
                scopes="api",
                certificate_pem=self_signed(self.private_key),
                actor=Actor.system("benchmark fixture"),
            )
            # A self-authorize app needs the user's prior approval (Salesforce's rule for this flow).
            repo.save_approval(conn, fx.org_id, fx.user.id, self.jwt_app.id, ["api"], ctx.now_ms())
            self.rotating_app, self.rotating_secret = connected_apps.create_app(
                ctx,
                conn,
                fx.org_id,
                name=f"bench-rot-{uuid.uuid4().hex[:8]}",
                callback_urls=[harness.REDIRECT_URI],
                scopes="api refresh_token",
                refresh_token_rotation=True,
                actor=Actor.system("benchmark fixture"),
            )

    def assertions(self, count: int, audience: str) -> list[str]:
        now = int(time.time())
        header = {"alg": "RS256"}
        return [
            jws.serialize_compact(
                header,
                json.dumps(
                    {
                        "iss": self.jwt_app.consumer_key,
                        "sub": self.fx.user.username,
                        "aud": audience,
                        "exp": now + 240,
                        "jti": uuid.uuid4().hex,
                    }
                ).encode(),
                self.jwk,
                algorithms=["RS256"],
            )
            for _ in range(count)
        ]


def refresh_token_over_http(server: harness.ServerProcess, fx: harness.Fixture) -> str:
    (code,) = harness.mint_codes(fx, 1)
    response = httpx.post(
        f"{server.url}{harness.TOKEN_PATH}",
        content=urlencode(harness.exchange_form(fx, code)),
        headers=harness.FORM_HEADERS,
    )
    response.raise_for_status()
    return str(response.json()["refresh_token"])


def form_sender(form: list[tuple[str, str]]) -> harness.Send:
    body = urlencode(form)

    def send(client: httpx.Client) -> httpx.Response:
        return client.post(harness.TOKEN_PATH, content=body, headers=harness.FORM_HEADERS)

    return send


def rotating_sender(org: Org, server: harness.ServerProcess, concurrency: int) -> harness.Send:
    """One chain of refresh tokens per connection: each answer carries the next token."""
    chains: dict[int, str] = {}
    lock = threading.Lock()
    rotating_fx = harness.Fixture(
        org.fx.ctx,
        org.fx.org_id,
        org.rotating_app.consumer_key,
        org.rotating_secret,
        org.fx.user,
        _authorization(org),
    )
    tokens = deque(refresh_token_over_http(server, rotating_fx) for _ in range(concurrency))

    def send(client: httpx.Client) -> httpx.Response:
        key = id(client)
        with lock:
            if key not in chains:
                chains[key] = tokens.popleft()
        form = [
            ("grant_type", "refresh_token"),
            ("client_id", org.rotating_app.consumer_key),
            ("client_secret", org.rotating_secret),
            ("refresh_token", chains[key]),
        ]
        response = client.post(harness.TOKEN_PATH, content=urlencode(form), headers=harness.FORM_HEADERS)
        if response.status_code == 200:
            chains[key] = response.json()["refresh_token"]
        return response

    return send


def _authorization(org: Org) -> Any:
    request = parse_authorize_request(
        [
            ("response_type", "code"),
            ("client_id", org.rotating_app.consumer_key),
            ("redirect_uri", harness.REDIRECT_URI),
            ("scope", "api refresh_token"),
        ]
    )
    with org.fx.ctx.db.read() as conn:
        return validate_authorize_request(conn, request)


def assertion_sender(assertions: deque[str]) -> harness.Send:
    def send(client: httpx.Client) -> httpx.Response:
        try:
            assertion = assertions.popleft()
        except IndexError:
            raise harness.Exhausted from None
        form = [("grant_type", JWT_BEARER), ("assertion", assertion)]
        return client.post(harness.TOKEN_PATH, content=urlencode(form), headers=harness.FORM_HEADERS)

    return send


def measure(
    server: harness.ServerProcess, send: harness.Send, plan: harness.Plan, concurrency: int, name: str
) -> harness.Result:
    with harness.keep_alive_clients(server.url or "", concurrency) as clients:
        harness.run_load(server, clients, send, 200, plan.warmup, "warm-up")
        return harness.run_load(server, clients, send, 200, plan.seconds, name)


def measure_jwt(
    server: harness.ServerProcess, org: Org, plan: harness.Plan, concurrency: int
) -> harness.Result:
    assertions: deque[str] = deque(org.assertions(2000, server.url or ""))
    send = assertion_sender(assertions)
    with harness.keep_alive_clients(server.url or "", concurrency) as clients:
        warm = harness.run_load(server, clients, send, 200, plan.warmup, "warm-up")
        needed = int(warm.rps * plan.seconds * ASSERTION_MARGIN) + 500
        assertions.clear()
        assertions.extend(org.assertions(needed, server.url or ""))
        return harness.run_load(server, clients, send, 200, plan.seconds, "jwt_bearer")


def http_results(server: harness.ServerProcess, org: Org, args: argparse.Namespace) -> list[harness.Result]:
    fx, plan = org.fx, harness.Plan(args.seconds, args.warmup)
    runs: dict[str, Callable[[int], harness.Result]] = {
        "client_credentials": lambda c: measure(
            server,
            form_sender(
                [
                    ("grant_type", "client_credentials"),
                    ("client_id", org.cc_app.consumer_key),
                    ("client_secret", org.cc_secret),
                ]
            ),
            plan,
            c,
            "client_credentials",
        ),
        "refresh": lambda c: measure(
            server,
            form_sender(
                [
                    ("grant_type", "refresh_token"),
                    ("client_id", fx.consumer_key),
                    ("client_secret", fx.consumer_secret),
                    ("refresh_token", refresh_token_over_http(server, fx)),
                ]
            ),
            plan,
            c,
            "refresh",
        ),
        "refresh_rotating": lambda c: measure(
            server, rotating_sender(org, server, c), plan, c, "refresh_rotating"
        ),
        "jwt_bearer": lambda c: measure_jwt(server, org, plan, c),
    }
    results = []
    for name in args.only:
        for concurrency in (1, args.concurrency):
            results.append(runs[name](concurrency))
    return results


def jwt_signature_share(org: Org, count: int) -> dict[str, float]:
    """CPU per JWT grant called directly, and of the RS256 verification inside it."""
    ctx, caller = org.fx.ctx, Caller(origin="http://127.0.0.1", ip="127.0.0.1", user_agent="bench")
    certificate = x509.load_pem_x509_certificate((org.jwt_app.certificate_pem or "").encode())
    public = RSAKey.import_key(
        certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    registry = jws.JWSRegistry(algorithms=["RS256"])
    warm = org.assertions(100, caller.origin)
    for a in warm:
        jwt_bearer_grant(
            ctx, parse_token_request([("grant_type", JWT_BEARER), ("assertion", a)], None), caller, ""
        )
    grants = org.assertions(count, caller.origin)
    requests = [parse_token_request([("grant_type", JWT_BEARER), ("assertion", a)], None) for a in grants]
    started = time.process_time()
    for request in requests:
        jwt_bearer_grant(ctx, request, caller, org.fx.org_id)
    grant_us = (time.process_time() - started) / count * 1e6
    started = time.process_time()
    for assertion in grants:
        signed = jws.extract_compact(assertion.encode(), registry=registry)
        assert jws.validate_compact(signed, public, registry=registry)
    verify_us = (time.process_time() - started) / count * 1e6
    return {"grant_cpu_us": grant_us, "verify_cpu_us": verify_us, "share": verify_us / grant_us}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS)
    )
    parser.add_argument("--server-log-level", default="info")
    parser.add_argument("--share-grants", type=int, default=1000, help="JWT grants timed in-process")
    args = parser.parse_args()
    args.only = [name for name in args.only.split(",") if name]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    home = Path(tempfile.mkdtemp(prefix="forcegate-bench-"))
    args.database = args.database or f"sqlite:///{home / 'bench.db'}"
    key = Fernet.generate_key().decode()
    ctx = harness.open_context(args.database, key)
    org = Org(harness.create_fixture(ctx))
    pin = harness.can_pin()
    server = harness.ServerProcess(args.database, key, home, args.server_log_level, pin)
    try:
        server.wait_ready()
        if pin:
            os.sched_setaffinity(0, {harness.CLIENT_CPU})
        print(
            f"forcegate at {server.url}; database {make_url(args.database).get_backend_name()};"
            f" server {'pinned to CPU 0, load on CPU 1' if pin else 'not pinned'}"
        )
        results = http_results(server, org, args)
    finally:
        server.stop()
    harness.print_table(results)
    print()
    # Per-request CPU is compared where the server is busy (the highest concurrency): at c=1 it also
    # pays for waking up on every request.
    busiest = {r.name: r for r in sorted(results, key=lambda r: r.concurrency)}
    print(f"{'grant':<20}{'budget µs':>10}{'2x budget':>10}{'measured µs':>13}{'at c':>6}{'ratio':>7}")
    for name, r in busiest.items():
        budget = BUDGET_US[name]
        print(
            f"{name:<20}{budget:>10}{2 * budget:>10}{r.server_us_per_request:>13.0f}{r.concurrency:>6}"
            f"{r.server_us_per_request / budget:>7.1f}"
        )
    share: dict[str, float] = {}
    if "jwt_bearer" in args.only:
        share = jwt_signature_share(org, args.share_grants)
        print(
            f"\nJWT bearer grant in-process: {share['grant_cpu_us']:.0f} µs CPU per grant, of which RS256"
            f" signature verification {share['verify_cpu_us']:.0f} µs ({share['share']:.0%})"
        )
    print(json.dumps({"results": [r.as_json() for r in results], "jwt_signature_share": share}))


if __name__ == "__main__":
    main()
