"""How long the admin API takes to validate a body: pydantic v2 against msgspec (issue 11, item 2).

    PYTHONPATH=src .venv/bin/python bench/admin_validation.py [--rounds N] [--e2e N]

Validates the same connected-app create body (every settable field, with the admin API's rules:
strict types, bounds, choices, unknown fields refused) with

* ``hand``: the checks the admin API ran before issue 11 (web/admin.py's ``_string``/``_strings``
  and the service's ``_check_types`` and bounds), copied here so the number stays comparable;
* ``pydantic``: a strict ``BaseModel`` with ``extra="forbid"`` (``model_validate`` of the parsed dict);
* ``msgspec``: the same as a ``Struct`` with ``forbid_unknown_fields`` (``msgspec.convert(...,
  strict=True)`` of the parsed dict, and ``msgspec.json.decode`` of the raw bytes);
* ``declared``: forcegate's own declaration (``forcegate.resources``), i.e. what the API runs now.

Each is timed on a valid body and on an invalid one (an out-of-range lifetime), median of 7 runs of
``--rounds`` calls, in microseconds per call. msgspec is optional: install it in a scratch folder
(``pip install --target /tmp/msgspec_lib msgspec``) and add it to ``PYTHONPATH`` to time it; it is not
a dependency of forcegate.

``--e2e N`` also times N ``POST /admin/api/v1/connected-apps`` against a test server (uvicorn in a
thread of this process, SQLite in a temporary folder; ``tests/support``'s harness, so run it from the
repository's root): the end-to-end latency the validation is a part of.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic

try:
    import msgspec
    from msgspec import Meta
except ImportError:  # optional: see the docstring
    msgspec = None  # type: ignore[assignment]

BODY: dict[str, Any] = {
    "name": "bench-app",
    "callback_urls": ["https://app.example.com/cb", "http://localhost:1717/OauthRedirect"],
    "scopes": "api refresh_token openid",
    "is_enabled": True,
    "require_secret_for_web_server": True,
    "require_pkce": False,
    "access_token_lifetime_seconds": 3600,
    "user_agent_flow_enabled": True,
    "device_flow_enabled": False,
    "client_credentials_enabled": False,
    "client_credentials_user": None,
    "certificate_pem": None,
    "permitted_users": "all_self_authorize",
    "refresh_token_policy": "until_revoked",
    "refresh_token_validity_seconds": None,
    "refresh_token_rotation": False,
    "jwt_access_tokens": False,
}
INVALID = {**BODY, "access_token_lifetime_seconds": 30}


# --- hand validation, as before issue 11 ---------------------------------------------------------

_TYPES: dict[str, type] = {
    "name": str,
    "callback_urls": list,
    "scopes": str,
    "is_enabled": bool,
    "require_secret_for_web_server": bool,
    "require_pkce": bool,
    "access_token_lifetime_seconds": int,
    "user_agent_flow_enabled": bool,
    "device_flow_enabled": bool,
    "client_credentials_enabled": bool,
    "client_credentials_user": str,
    "certificate_pem": str,
    "permitted_users": str,
    "refresh_token_policy": str,
    "refresh_token_validity_seconds": int,
    "refresh_token_rotation": bool,
    "jwt_access_tokens": bool,
}
_NULLABLE = {"client_credentials_user", "certificate_pem", "refresh_token_validity_seconds"}


class Invalid(Exception):
    pass


def hand(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(_TYPES)
    if unknown:
        raise Invalid(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    for key, value in body.items():
        expected = _TYPES[key]
        if value is None and key in _NULLABLE:
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise Invalid(f"{key} must be a {expected.__name__}")
    if not all(isinstance(u, str) for u in body["callback_urls"]):
        raise Invalid("callback_urls must be a list of strings")
    name = body["name"].strip()
    if not name or len(name) > 255:
        raise Invalid("name must be 1 to 255 characters")
    if not 60 <= body.get("access_token_lifetime_seconds", 7200) <= 86400:
        raise Invalid("access_token_lifetime_seconds must be between 60 and 86400")
    if body.get("permitted_users", "all_self_authorize") not in ("all_self_authorize", "admin_approved"):
        raise Invalid("permitted_users must be one of all_self_authorize, admin_approved")
    policies = ("until_revoked", "expire_after", "expire_if_unused")
    if body.get("refresh_token_policy", "until_revoked") not in policies:
        raise Invalid("refresh_token_policy must be one of until_revoked, expire_after, expire_if_unused")
    validity = body.get("refresh_token_validity_seconds")
    if validity is not None and validity < 60:
        raise Invalid("refresh_token_validity_seconds must be at least 60")
    return body


# --- pydantic v2 ---------------------------------------------------------------------------------

Field = pydantic.Field


class PydanticApp(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=255)]
    callback_urls: Annotated[list[str], Field(min_length=1)]
    scopes: str
    is_enabled: bool = True
    require_secret_for_web_server: bool = True
    require_pkce: bool = False
    access_token_lifetime_seconds: Annotated[int, Field(ge=60, le=86400)] = 7200
    user_agent_flow_enabled: bool = True
    device_flow_enabled: bool = False
    client_credentials_enabled: bool = False
    client_credentials_user: str | None = None
    certificate_pem: str | None = None
    permitted_users: Literal["all_self_authorize", "admin_approved"] = "all_self_authorize"
    refresh_token_policy: Literal["until_revoked", "expire_after", "expire_if_unused"] = "until_revoked"
    refresh_token_validity_seconds: Annotated[int, Field(ge=60)] | None = None
    refresh_token_rotation: bool = False
    jwt_access_tokens: bool = False


def pydantic_dict(body: dict[str, Any]) -> Any:
    try:
        return PydanticApp.model_validate(body)
    except pydantic.ValidationError as error:
        raise Invalid(error.errors()[0]["msg"]) from None


# --- msgspec (optional) --------------------------------------------------------------------------


def _msgspec_validators() -> dict[str, Callable[[Any], Any]]:
    if msgspec is None:
        return {}

    class MsgspecApp(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
        name: Annotated[str, Meta(min_length=1, max_length=255)]
        callback_urls: Annotated[list[str], Meta(min_length=1)]
        scopes: str
        is_enabled: bool = True
        require_secret_for_web_server: bool = True
        require_pkce: bool = False
        access_token_lifetime_seconds: Annotated[int, Meta(ge=60, le=86400)] = 7200
        user_agent_flow_enabled: bool = True
        device_flow_enabled: bool = False
        client_credentials_enabled: bool = False
        client_credentials_user: str | None = None
        certificate_pem: str | None = None
        permitted_users: Literal["all_self_authorize", "admin_approved"] = "all_self_authorize"
        refresh_token_policy: Literal["until_revoked", "expire_after", "expire_if_unused"] = "until_revoked"
        refresh_token_validity_seconds: Annotated[int, Meta(ge=60)] | None = None
        refresh_token_rotation: bool = False
        jwt_access_tokens: bool = False

    decoder = msgspec.json.Decoder(MsgspecApp)

    def from_dict(body: dict[str, Any]) -> Any:
        try:
            return msgspec.convert(body, MsgspecApp, strict=True)
        except msgspec.ValidationError as error:
            raise Invalid(str(error)) from None

    def from_bytes(raw: bytes) -> Any:
        try:
            return decoder.decode(raw)
        except msgspec.ValidationError as error:
            raise Invalid(str(error)) from None

    return {"msgspec (dict)": from_dict, "msgspec (bytes)": from_bytes}


# --- forcegate's declaration ---------------------------------------------------------------------


def _declared() -> Callable[[dict[str, Any]], Any]:
    from forcegate.org.errors import ValidationFailed
    from forcegate.resources import connected_app

    def run(body: dict[str, Any]) -> Any:
        try:
            return connected_app.CREATE.validate(body)
        except ValidationFailed as error:
            raise Invalid(error.message) from None

    return run


# --- timing --------------------------------------------------------------------------------------


def _per_call_us(validate: Callable[[Any], Any], value: Any, rounds: int) -> float:
    def once() -> float:
        started = time.perf_counter_ns()
        for _ in range(rounds):
            with contextlib.suppress(Invalid):
                validate(value)
        return (time.perf_counter_ns() - started) / rounds / 1000

    once()  # warm-up
    return statistics.median(once() for _ in range(7))


def micro(rounds: int) -> None:
    candidates: dict[str, tuple[Callable[[Any], Any], bool]] = {
        "hand (before)": (hand, False),
        "pydantic (dict)": (pydantic_dict, False),
    }
    for name, fn in _msgspec_validators().items():
        candidates[name] = (fn, name.endswith("(bytes)"))
    with contextlib.suppress(ImportError):  # before issue 11 (for a before/after --e2e run)
        candidates["declared (forcegate.resources)"] = (_declared(), False)
    print(f"python {sys.version.split()[0]}, pydantic {pydantic.VERSION}", end="")
    print(f", msgspec {msgspec.__version__}" if msgspec is not None else ", msgspec not installed")
    print(f"{'validator':34} {'valid µs':>9} {'invalid µs':>11}")
    for name, (fn, raw) in candidates.items():
        valid, invalid = (json.dumps(BODY).encode(), json.dumps(INVALID).encode()) if raw else (BODY, INVALID)
        print(f"{name:34} {_per_call_us(fn, valid, rounds):9.2f} {_per_call_us(fn, invalid, rounds):11.2f}")


def e2e(requests: int) -> None:
    """POST /connected-apps to a real server (uvicorn in a thread of this process, SQLite)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.data_api import bearer, token_for
    from tests.support.server import make_settings, start_server

    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(f"sqlite:///{folder}/bench.db", Path(folder))
        for server in start_server(settings, "sqlite"):
            headers = bearer(token_for(server, server.create_user(profile="System Administrator")))
            timings = []
            with server.client(headers=headers) as client:
                for i in range(requests + 20):
                    started = time.perf_counter_ns()
                    answer = client.post("/admin/api/v1/connected-apps", json={**BODY, "name": f"bench-{i}"})
                    took = (time.perf_counter_ns() - started) / 1000
                    assert answer.status_code == 201, answer.text
                    if i >= 20:  # warm-up
                        timings.append(took)
    timings.sort()
    print(
        f"POST /admin/api/v1/connected-apps over loopback HTTP (SQLite), {requests} requests: "
        f"median {statistics.median(timings):.0f} µs, p90 {timings[int(len(timings) * 0.9)]:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--e2e", type=int, default=0, metavar="N")
    parser.add_argument("--no-micro", action="store_true", help="only the --e2e run")
    args = parser.parse_args()
    if not args.no_micro:
        micro(args.rounds)
    if args.e2e:
        e2e(args.e2e)


if __name__ == "__main__":
    main()
