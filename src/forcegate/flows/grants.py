"""The grant runner: what every token-endpoint grant shares, written once.

A grant module declares itself with one ``Grant``: the grant types (or, for Salesforce's device
flow, the ``response_type``) it answers, the request parameters it reads, how its client
authenticates, whether it is CPU-heavy, and its handler. The runner owns the phases a grant must not
forget (as dex's ``server/handlers`` and node-oidc-provider's ``lib/actions/grants/*`` do):

1. client lookup and authentication (``find_client``, ``check_client_secret``), unless the grant
   names its client itself (the JWT bearer assertion's ``iss``);
2. the grant's own work before its transaction, if any (the password check: argon2 must never hold
   the database's write lock), with the client authenticated first, in a read transaction;
3. ONE write transaction in which the grant's handler issues the tokens and the runner writes the
   success row of login history: the two commit together or not at all;
4. a refusal (``OAuthError``, already Salesforce's wire error) recorded in login history in its own
   short transaction, after revoking the family of a code or refresh token presented twice.

Flow modules never write login history for a grant themselves.

Adding a grant: a module ``flows/<flow>.py`` with a handler ``(ctx, conn, attempt) -> body`` that reads
the request from ``attempt.request``, finds the client in ``attempt.app`` (and the proved secret in
``attempt.secret``), notes the user in ``attempt.user`` as soon as it knows them, and raises a
catalogued ``protocol.errors`` instance to refuse; then ``GRANT = Grant(flow=..., grant_types=(...),
parameters=(...), client=..., issue=handler)``, and ``GRANT`` added to ``flows.DECLARED``. The token
endpoint and discovery pick it up from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import REMOTE_ACCESS_LOGIN, ConnectedApp, User
from forcegate.flows.common import (
    SUCCESS,
    Caller,
    check_client_secret,
    failure_status,
    find_client,
    insert_login,
    record_login,
)
from forcegate.protocol.errors import OAuthError
from forcegate.protocol.requests import TokenRequest
from forcegate.storage import repositories as repo

__all__ = ["Attempt", "ClientAuthentication", "Grant", "KeepWaiting"]

log = logging.getLogger("forcegate.flows")


class ClientAuthentication(Enum):
    """How a grant's client proves it is the app (the consumer secret, body or HTTP Basic)."""

    NONE = "none"  # the grant names and proves its client itself (the JWT bearer assertion)
    SECRET = "secret"  # always required: confidential-only grants
    SECRET_IF_CONFIDENTIAL = "secret_if_confidential"  # required unless the app is public
    SECRET_IF_SENT = "secret_if_sent"  # optional, but always checked when sent


@dataclass
class Attempt:
    """One token request as the runner and its grant learn it: what login history records (app, user,
    username, a status more precise than the refusal's), the consumer secret the client proved (the
    response ``signature`` is made with it), and the family to revoke when a code or refresh token
    came back a second time."""

    request: TokenRequest
    caller: Caller
    org_id: str
    app: ConnectedApp | None = None
    secret: str = ""
    user: User | None = None
    username: str = ""
    status: str | None = None
    revoke_authorization_id: str | None = None


@dataclass(frozen=True)
class KeepWaiting:
    """A handler's answer that is neither tokens nor a refusal (the device flow's
    ``authorization_pending``/``slow_down``): its bookkeeping commits, it goes out as an error, and it
    is no login attempt, so login history does not record it."""

    error: OAuthError


Issue = Callable[[Context, Connection, Attempt], "dict[str, Any] | KeepWaiting"]
Prepare = Callable[[Context, Attempt], None]


@dataclass(frozen=True)
class Grant:
    """One grant, declared once; calling it answers a token request with the body of a success, or
    raises the ``OAuthError`` to send.

    ``issue`` runs inside the write transaction; ``prepare`` (optional) runs before it, outside any
    transaction, for slow work such as a password hash. ``records_login``: a success is a login (the
    device flow's first step is not: nobody has logged in yet)."""

    flow: str
    issue: Issue
    grant_types: tuple[str, ...] = ()
    response_types: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    client: ClientAuthentication = ClientAuthentication.SECRET_IF_CONFIDENTIAL
    cpu_heavy: bool = False
    prepare: Prepare | None = None
    login_type: str = REMOTE_ACCESS_LOGIN
    records_login: bool = True

    def __call__(self, ctx: Context, request: TokenRequest, caller: Caller, org_id: str) -> dict[str, Any]:
        attempt = Attempt(request, caller, org_id)
        if "username" in self.parameters:
            attempt.username = (request.username or "").strip()
        try:
            if self.prepare is not None:
                if self.client is not ClientAuthentication.NONE:
                    with ctx.db.read() as conn:
                        self._authenticate_client(ctx, conn, attempt)
                self.prepare(ctx, attempt)
                with ctx.db.write() as conn:
                    outcome = self._issue(ctx, conn, attempt)
            else:
                with ctx.db.write() as conn:
                    if self.client is not ClientAuthentication.NONE:
                        self._authenticate_client(ctx, conn, attempt)
                    outcome = self._issue(ctx, conn, attempt)
        except OAuthError as error:
            self._refused(ctx, attempt, error)
            raise
        if isinstance(outcome, KeepWaiting):
            raise outcome.error
        return outcome

    def _authenticate_client(self, ctx: Context, conn: Connection, attempt: Attempt) -> None:
        app = attempt.app = find_client(conn, attempt.request.client_id)
        required = self.client is ClientAuthentication.SECRET or (
            self.client is ClientAuthentication.SECRET_IF_CONFIDENTIAL and app.require_secret_for_web_server
        )
        attempt.secret = check_client_secret(ctx, app, attempt.request.client_secret, required=required)

    def _issue(self, ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any] | KeepWaiting:
        """The handler, then the success row in the same transaction: no token without its row."""
        outcome = self.issue(ctx, conn, attempt)
        if self.records_login and not isinstance(outcome, KeepWaiting):
            insert_login(ctx, conn, attempt.caller, **self._history(attempt, SUCCESS))
        return outcome

    def _refused(self, ctx: Context, attempt: Attempt, error: OAuthError) -> None:
        if attempt.revoke_authorization_id is not None:
            # A code or token presented twice: someone else may hold it. The refusal rolled back the
            # grant's transaction; the revocation must survive it, so it gets its own.
            with ctx.db.write() as conn:
                repo.revoke_authorization(conn, attempt.revoke_authorization_id, ctx.now_ms())
            # The authorization id is a record id, not a secret; the token itself is never logged.
            log.warning(
                "%s reuse: revoked authorization %s and its tokens",
                self.flow,
                attempt.revoke_authorization_id,
            )
        record_login(ctx, attempt.caller, **self._history(attempt, attempt.status or failure_status(error)))

    def _history(self, attempt: Attempt, status: str) -> dict[str, Any]:
        return {
            "org_id": attempt.app.org_id if attempt.app else attempt.org_id,
            "status": status,
            "flow": self.flow,
            "login_type": self.login_type,
            "username": attempt.username,
            "user": attempt.user,
            "app": attempt.app,
        }
