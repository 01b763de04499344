"""Benchmark bearer validation on a protected endpoint (userinfo) for opaque and JWT access tokens.

    .venv/bin/python bench/bearer_validation.py [--database URL] [--seconds N] [--concurrency C]

Same method as ``bench/token_endpoint.py``, with the shared ``bench/harness.py``:
``forcegate serve`` as a subprocess pinned to CPU 0, the load generator pinned to CPU 1, threads with
keep-alive ``httpx.Client``s sending ``GET /services/oauth2/userinfo`` back to back, the server's CPU
read from ``/proc/<pid>/stat``. Two connected apps are created, one issuing opaque access tokens and
one issuing JWT access tokens (``jwt_access_tokens``); each gets one token from a real code exchange.

The server validates both kinds the same way: SHA-256 of the presented token and one indexed lookup
(joined with the user and the app), so revocation, deactivation and expiry apply at once. What a JWT
adds is a longer header to parse and hash. A resource server elsewhere can instead validate a JWT
access token locally against ``/id/keys`` without calling forcegate (and without seeing revocation):
that cost is measured in-process at the end, with joserfc and PyJWT, after the HTTP runs.
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
import jwt as pyjwt
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy.engine import make_url

from forcegate.org import connected_apps
from forcegate.org.audit import Actor
from forcegate.storage import repositories as repo

try:
    from bench import harness
except ImportError:  # `python bench/bearer_validation.py`: bench/ itself is first on sys.path
    import harness  # type: ignore[no-redef]

JWKS_PATH = "/id/keys"


def jwt_fixture(fx: harness.Fixture) -> harness.Fixture:
    """Turn the fixture's app into one that issues JWT access tokens."""
    with fx.ctx.db.write() as conn:
        app = repo.app_by_consumer_key(conn, fx.consumer_key)
        assert app is not None
        connected_apps.update_app(
            fx.ctx, conn, app, {"jwt_access_tokens": True}, actor=Actor.system("benchmark fixture")
        )
    return fx


def local_verification_us(token: str, jwks: dict[str, Any], issuer: str, count: int) -> dict[str, float]:
    """CPU µs per token for a resource server that checks the JWT itself (signature and claims)."""
    key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    registry = JWSRegistry(algorithms=["RS256"], strict_check_header=False)
    header = json.loads(pyjwt.utils.base64url_decode(token.split(".")[0]))
    pyjwk = next(k for k in pyjwt.PyJWKSet.from_dict(jwks).keys if k.key_id == header["kid"])
    claims_registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer})

    def joserfc_check() -> None:
        claims_registry.validate(jwt.decode(token, key_set, registry=registry).claims)

    def pyjwt_check() -> None:
        pyjwt.decode(token, pyjwk, algorithms=["RS256"], audience=issuer, issuer=issuer)

    results = {}
    for label, check in (
        ("joserfc decode+verify+claims", joserfc_check),
        ("PyJWT decode+verify+claims", pyjwt_check),
    ):
        for _ in range(200):
            check()
        started = time.process_time()
        for _ in range(count):
            check()
        results[label] = (time.process_time() - started) / count * 1e6
    return results


def in_process_costs(
    fx: harness.Fixture, issuer: str, tokens: dict[str, tuple[str, int]], count: int
) -> list[harness.Cost]:
    """GET /userinfo through the ASGI app without a socket: steadier on a shared host than HTTP."""
    from forcegate.web.app import create_app

    app = create_app(fx.ctx, issuer)
    counter = harness.DbCounter()
    counter.install(fx.ctx.db.engine)
    costs = []
    for label, (token, expected) in tokens.items():
        requests = [
            ("GET", harness.USERINFO_PATH, [(b"authorization", f"Bearer {token}".encode())], b"")
        ] * count
        harness.asgi_loop(app, requests[:200], expected)  # warm up
        costs.append(
            harness.measure_cost(
                label, count, counter, lambda r=requests, e=expected: harness.asgi_loop(app, r, e)
            )
        )
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=None, help="SQLAlchemy URL [default: a temporary SQLite file]")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--verify-count", type=int, default=5000, help="tokens verified locally per library")
    parser.add_argument("--in-process-count", type=int, default=3000, help="requests per in-process path")
    parser.add_argument("--server-log-level", default="info")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="forcegate-bench-") as tmp:
        home = Path(tmp)
        args.database = args.database or f"sqlite:///{home / 'bench.db'}"
        key = Fernet.generate_key().decode()
        ctx = harness.open_context(args.database, key)
        opaque_fx = harness.create_fixture(ctx)
        jwt_fx = jwt_fixture(harness.create_fixture(ctx))
        pin = harness.can_pin()
        server = harness.ServerProcess(args.database, key, home, args.server_log_level, pin)
        try:
            server.wait_ready()
            pinning = server.pinning
            if pin:
                os.sched_setaffinity(0, {harness.CLIENT_CPU})
                pinning += f"; load generator: sched_setaffinity CPU {harness.CLIENT_CPU}"
            opaque = harness.access_token_over_http(server, opaque_fx)
            signed = harness.access_token_over_http(server, jwt_fx)
            assert signed.count(".") == 2 and "!" in opaque, "unexpected token shapes"
            jwks = httpx.get(f"{server.url}{JWKS_PATH}").json()
            backend = make_url(args.database).get_backend_name()
            print(
                f"forcegate bearer validation benchmark: database={backend}, "
                f"seconds={args.seconds}, warmup={args.warmup}, {pinning}"
            )
            print(f"opaque token {len(opaque)} chars, JWT access token {len(signed)} chars\n")
            plan = harness.Plan(args.seconds, args.warmup)
            levels = sorted({1, args.concurrency})
            results: list[harness.Result] = []
            for name, token in (("userinfo opaque", opaque), ("userinfo JWT", signed)):
                results += [
                    harness.measure_bearer(server, harness.bearer_sender(token), 200, plan, c, name)
                    for c in levels
                ]
            unknown_jwt = signed[: signed.rindex(".") + 1] + secrets.token_urlsafe(256)  # forged signature
            results += [
                harness.measure_bearer(
                    server, harness.bearer_sender(unknown_jwt), 401, plan, c, "userinfo forged JWT 401"
                )
                for c in levels
            ]
            issuer = server.url or ""
        finally:
            server.stop()
        harness.print_table(results)
        print()
        paths = {
            "GET /userinfo opaque (200)": (opaque, 200),
            "GET /userinfo JWT (200)": (signed, 200),
            "GET /userinfo forged JWT (401)": (unknown_jwt, 401),
        }
        with harness.server_logging(args.server_log_level):
            costs = in_process_costs(opaque_fx, issuer, paths, args.in_process_count)
        harness.print_costs(costs, make_url(args.database).get_backend_name(), args.server_log_level)
        local = local_verification_us(signed, jwks, issuer, args.verify_count)
        print("\nLocal JWT validation by a resource server (in-process, one core, no revocation check):")
        for label, us in local.items():
            print(f"  {label:<30} {us:>7.1f} µs CPU per token  ≈ {1e6 / us:,.0f} tokens/s")
        print(
            json.dumps(
                {
                    "results": [r.as_json() for r in results],
                    "in_process_cpu_us": {c.label: round(c.cpu_us, 1) for c in costs},
                    "local_verification_us": local,
                }
            )
        )
        ctx.db.dispose()


if __name__ == "__main__":
    main()
