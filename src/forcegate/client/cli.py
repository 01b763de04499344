"""The client side of the ``forcegate`` command: log in to any Salesforce-compatible org, keep its
tokens safe, and query it.

    forcegate login web|device|jwt|password|client-credentials --alias NAME ...
    forcegate connections list|show|remove
    forcegate token show|refresh|revoke
    forcegate query "SOQL" [--json|--csv]
    forcegate describe TYPE
    forcegate limits

Tokens live in the OS keyring or, where none works, in an encrypted file (``FORCEGATE_CLIENT_HOME``, default
``~/.forcegate``; passphrase from ``FORCEGATE_PASSPHRASE``). No command prints a token unless asked
(``token show --reveal``).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from forcegate.client.auth import NOT_FOR_API
from forcegate.client.connection import (
    LOGIN_URL,
    SANDBOX_URL,
    Connection,
    DeviceCode,
    default_audience,
    normalize_login_url,
)
from forcegate.client.errors import (
    ClientError,
    KeyFileError,
    LoginError,
    NetworkError,
    OAuthError,
    RefreshTokenRejected,
    SalesforceError,
    SessionExpired,
    StoreError,
)
from forcegate.client.rest import SalesforceClient
from forcegate.client.saved import manager_for
from forcegate.client.session import Session
from forcegate.client.store import VAULT_NAME, StoredConnection, TokenStore, default_home, open_store
from forcegate.client.terminal import printable, shown

__all__ = ["EXIT_CODES", "register"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_LOGIN_REFUSED = 3
EXIT_LOG_IN_AGAIN = 4
EXIT_NO_SUCH_CONNECTION = 5
EXIT_API_ERROR = 6
EXIT_UNREACHABLE = 7
EXIT_STORE = 8
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "any other error",
    EXIT_USAGE: "bad command line",
    EXIT_LOGIN_REFUSED: "the server refused the login (its error and description are printed)",
    EXIT_LOG_IN_AGAIN: "the session cannot be renewed (refresh token refused or revoked): log in again",
    EXIT_NO_SUCH_CONNECTION: "no connection with that alias (or no default connection)",
    EXIT_API_ERROR: "the API refused the request (its errorCode and message are printed)",
    EXIT_UNREACHABLE: "the server could not be reached",
    EXIT_STORE: "the token store cannot be opened (no keyring and no FORCEGATE_PASSPHRASE, or a wrong one)",
}
EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())

# Nothing printed is read as markup: server text goes through forcegate.client.terminal.shown anyway.
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class Failure(click.ClickException):
    """A message on stderr and a documented exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(printable(message))  # error messages quote the server
        self.exit_code = exit_code  # type: ignore[misc]


# What to do next, for the refusals people meet most (descriptions as Salesforce words them).
HINTS = {
    "client identifier invalid": "check --client-id: it is the connected app's consumer key",
    "invalid client credentials": "check --client-secret (or FORCEGATE_CLIENT_SECRET)",
    "authentication failure": "check the password; from an untrusted IP append the security token",
    "request not supported on this domain": "use your My Domain URL: --login-url https://<domain>.my.salesforce.com",
    "user hasn't approved this consumer": "approve the app once with `forcegate login web`, or have an admin "
    "pre-authorize the user",
    "user is not admin approved to access this app": "an admin must give the user's profile or a permission "
    "set access to the app",
    "redirect_uri must match configuration": "register http://localhost:PORT/OauthRedirect with the app",
}


# What to do next when forcegate named the cause (OAuthError.hint, from its Forcegate-Hint header).
HINTS_BY_CAUSE = {
    "username_password_flow_disabled": "the org does not allow the username-password flow: an admin can "
    "allow it with `forcegate org update --allow-username-password-flows` (on Salesforce: Setup > OAuth "
    "and OpenID Connect Settings > Allow OAuth Username-Password Flows)",
}
PASSWORD_REFUSED = (
    "check the password; from an untrusted IP append the security token. If both are right, the org may "
    "block the username-password flow (Salesforce does by default in orgs created since Summer '23): "
    "its login history says which"
)
NO_API_SCOPE = (
    "the connection's token lacks the `api` scope, which the REST API requires. Log in again asking for it "
    '(`forcegate login web --scope "api refresh_token"`, or device); jwt, password and client-credentials '
    "logins get the app's scopes, so there ask the app's admin to add `api` to them"
)


@dataclass(frozen=True)
class LoginAttempt:
    """What a login command asked for, so a refusal's hint can name it."""

    connection: Connection
    flow: str
    scopes: tuple[str, ...] = ()
    audience: str | None = None


def _refusal(error: OAuthError, attempt: LoginAttempt | None = None) -> str:
    message = f"the server refused: {error.error}: {error.description}"
    hint = HINTS_BY_CAUSE.get(error.hint) or (_attempt_hint(error, attempt) if attempt else None)
    hint = hint or HINTS.get(error.description)
    return f"{message}\n{hint}" if hint else message


def _attempt_hint(error: OAuthError, attempt: LoginAttempt) -> str | None:
    app = attempt.connection.consumer_key
    if error.error == "invalid_scope":
        return (
            f"the app does not allow every scope asked for ({' '.join(attempt.scopes)}): ask only for "
            "scopes it has with --scope, or have an admin add the others to it (on forcegate: "
            f'`forcegate apps show {app}` lists its scopes, `forcegate apps update {app} --scopes "..."` '
            "sets them)"
        )
    if error.description == "Audience validation failed" and attempt.audience:
        url = attempt.connection.login_url
        return (
            f"the assertion's audience was {attempt.audience}. forcegate accepts its own URL ({url}) and "
            "each URL in its FORCEGATE_LOGIN_URLS setting; Salesforce accepts https://login.salesforce.com, "
            f"https://test.salesforce.com or the site's URL. Pass --audience {url}, or add "
            f"{attempt.audience} to FORCEGATE_LOGIN_URLS on the server"
        )
    if attempt.flow == "password" and error.description == "authentication failure":
        return PASSWORD_REFUSED
    return None


@contextmanager
def _logging_in(attempt: LoginAttempt) -> Iterator[None]:
    """A refused login says what it tried, for hints that name the scopes or the audience."""
    try:
        yield
    except RefreshTokenRejected:
        raise
    except OAuthError as error:
        raise Failure(_refusal(error, attempt), EXIT_LOGIN_REFUSED) from None


def _fails_cleanly(func: F) -> F:
    """Every SDK error becomes one line on stderr and its exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RefreshTokenRejected as error:
            raise Failure(str(error), EXIT_LOG_IN_AGAIN) from None
        except OAuthError as error:
            raise Failure(_refusal(error), EXIT_LOGIN_REFUSED) from None
        except SessionExpired as error:
            if error.message == NOT_FOR_API:  # a new token with the same scopes would fail alike
                raise Failure(f"{error}\n{NO_API_SCOPE}", EXIT_API_ERROR) from None
            raise Failure(f"{error} - log in again", EXIT_LOG_IN_AGAIN) from None
        except SalesforceError as error:
            raise Failure(str(error), EXIT_API_ERROR) from None
        except NetworkError as error:
            raise Failure(str(error), EXIT_UNREACHABLE) from None
        except StoreError as error:
            raise Failure(str(error), EXIT_STORE) from None
        except KeyFileError as error:  # found locally: the command line named the wrong file
            raise Failure(str(error), EXIT_USAGE) from None
        except LoginError as error:
            raise Failure(str(error), EXIT_LOGIN_REFUSED) from None
        except ClientError as error:
            raise Failure(str(error), EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


def _command(group: click.Group, name: str, **settings: Any) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return group.command(name, epilog=EPILOG, **settings)(_fails_cleanly(func))  # type: ignore[return-value]

    return decorate


def _out() -> Console:
    """stdout; piped into a file or another program, tables are not squeezed to 80 columns."""
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 1000, markup=False)


def _emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


# --- the store --------------------------------------------------------------------------------------


def _store() -> TokenStore:
    try:
        return open_store()
    except StoreError:
        # Interactive: ask for the passphrase rather than fail. Scripts set FORCEGATE_PASSPHRASE.
        if os.environ.get("FORCEGATE_STORE", "auto") == "keyring" or not sys.stdin.isatty():
            raise
        new = not (default_home() / VAULT_NAME).exists()
        passphrase = click.prompt(
            "New passphrase for the token store" if new else "Passphrase of the token store",
            hide_input=True,
            confirmation_prompt=new,  # a typo now would lock the file for good
            err=True,
        )
        return open_store(passphrase=passphrase)


def _record(store: TokenStore, alias: str | None) -> StoredConnection:
    name = alias or store.default_alias()
    if not name:
        raise Failure(
            "no --alias given and no default connection: run `forcegate login ...` first",
            EXIT_NO_SUCH_CONNECTION,
        )
    record = store.get(name)
    if record is None:
        raise Failure(
            f"no connection named {name!r} (see `forcegate connections list`)", EXIT_NO_SUCH_CONNECTION
        )
    return record


@contextmanager
def _rest(alias: str | None, api_version: str | None = None) -> Iterator[SalesforceClient]:
    store = _store()
    record = _record(store, alias)
    if record.session is None:
        raise Failure(f"{record.alias} is logged out: log in again", EXIT_LOG_IN_AGAIN)
    client = SalesforceClient(manager_for(record, store), api_version=api_version)
    try:
        yield client
    finally:
        client.close()
        client.manager.connection.close()


def alias_option(func: F) -> F:
    return click.option(
        "--alias", "-a", metavar="NAME", default=None, help="Connection to use [default: the default one]."
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def api_version_option(func: F) -> F:
    return click.option(
        "--api-version", metavar="NN.0", default=None, help="REST API version [default: the newest served]."
    )(func)


# --- login ------------------------------------------------------------------------------------------


@click.group("login", epilog=EPILOG)
def login_group() -> None:
    """Log in to an org with one OAuth flow and store the connection under an alias."""


def _login_options(*, client_id_required: bool = False) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        options = [
            click.option(
                "--login-url",
                metavar="URL",
                default=None,
                help=f"Login host or My Domain URL [default: {LOGIN_URL}].",
            ),
            click.option("--sandbox", is_flag=True, help=f"Log in to a sandbox ({SANDBOX_URL})."),
            click.option(
                "--client-id",
                metavar="KEY",
                required=client_id_required,
                default=None if client_id_required else "PlatformCLI",
                show_default=not client_id_required,
                help="The connected app's consumer key.",
            ),
            click.option(
                "--client-secret",
                metavar="SECRET",
                envvar="FORCEGATE_CLIENT_SECRET",
                default=None,
                help="The consumer secret, if the app has one [env: FORCEGATE_CLIENT_SECRET].",
            ),
            click.option(
                "--alias",
                "-a",
                metavar="NAME",
                default=None,
                help="Name to store it under [default: username].",
            ),
            click.option("--set-default", is_flag=True, help="Make it the default connection."),
            json_option,
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _connection(
    login_url: str | None, sandbox: bool, client_id: str, client_secret: str | None
) -> Connection:
    if login_url and sandbox:
        raise click.UsageError("--login-url and --sandbox are mutually exclusive")
    url = SANDBOX_URL if sandbox else (login_url or LOGIN_URL)
    try:
        normalize_login_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--login-url") from None
    return Connection(url, client_id, client_secret)


def _username(connection: Connection, session: Session) -> str | None:
    """Best effort, for naming the connection: the identity service, else userinfo (whose claims
    depend on the scopes granted)."""
    for lookup in (connection.identity, connection.userinfo):
        try:
            info = lookup(session)
        except (ClientError, ValueError):
            continue
        name = info.get("username") or info.get("preferred_username")
        if name:
            return str(name)
    return None


def _session_view(record: StoredConnection, store: TokenStore) -> dict[str, Any]:
    """A connection as every command shows it; the store alone says which one is the default."""
    session = record.session
    return {
        "alias": record.alias,
        "default": store.default_alias() == record.alias,
        "username": record.username,
        "login_url": record.login_url,
        "client_id": record.consumer_key,
        "flow": record.flow,
        "instance_url": session.instance_url if session else None,
        "org_id": session.org_id if session else None,
        "user_id": session.user_id if session else None,
        "scopes": list(session.scopes) if session else [],
        "issued_at": session.issued_at.isoformat() if session else None,
        "expires_at": session.expires_at.isoformat() if session else None,
        # Stated by the server (introspection, a JWT token's exp) or computed from the usual lifetime.
        "expires_at_estimated": bool(session and session.expiry_estimated),
        "refresh_token": bool(session and session.refresh_token),
        "signature_verified": bool(session and session.signature_verified),
        "logged_in": session is not None,
    }


def _save_login(
    connection: Connection,
    session: Session,
    *,
    flow: str,
    alias: str | None,
    set_default: bool,
    as_json: bool,
    username: str | None = None,
    jwt_key_file: str | None = None,
) -> None:
    store = _store()
    session = connection.with_server_expiry(session)
    username = username or _username(connection, session)
    name = alias or username or session.user_id or "default"
    record = StoredConnection(
        alias=name,
        login_url=connection.login_url,
        consumer_key=connection.consumer_key,
        consumer_secret=connection.consumer_secret,
        flow=flow,
        username=username,
        jwt_key_file=jwt_key_file,
        session=session,
    )
    store.save(record)
    if set_default or not store.default_alias():
        store.set_default(name)
    connection.close()
    view = _session_view(record, store)
    if as_json:
        _emit_json(view)
    else:
        who = username or session.user_id or "?"
        err.print(
            Text.assemble(
                "Logged in as ", shown(who), " on ", shown(session.instance_url), "; saved as ",
                shown(name, "bold"), " in ", shown(store.description), ".",
            )
        )  # fmt: skip


def _scopes(scope: str | None) -> tuple[str, ...] | None:
    return tuple(scope.split()) if scope else ("api", "refresh_token")


@_command(login_group, "web")
@_login_options()
@click.option(
    "--port",
    default=1717,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Loopback port for the redirect.",
)
@click.option("--scope", default=None, help='Space-separated scopes [default: "api refresh_token"].')
@click.option("--no-browser", is_flag=True, help="Print the URL instead of opening a browser.")
@click.option("--timeout", default=300, show_default=True, type=int, help="Seconds to wait for the redirect.")
def login_web(
    login_url: str | None,
    sandbox: bool,
    client_id: str,
    client_secret: str | None,
    alias: str | None,
    set_default: bool,
    as_json: bool,
    port: int,
    scope: str | None,
    no_browser: bool,
    timeout: int,
) -> None:
    """Web Server flow with PKCE: log in in a browser; the redirect comes back to localhost:PORT
    (register http://localhost:PORT/OauthRedirect as a callback URL of the app)."""
    connection = _connection(login_url, sandbox, client_id, client_secret)

    def show(url: str) -> None:
        err.print("Open this URL in a browser to log in:", style="bold")
        err.print(shown(url), highlight=False, overflow="ignore", crop=False)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    scopes = _scopes(scope)
    with _logging_in(LoginAttempt(connection, "web", scopes or ())):
        session = connection.web_server_login(port=port, scopes=scopes, open_browser=show, timeout=timeout)
    _save_login(connection, session, flow="web", alias=alias, set_default=set_default, as_json=as_json)


@_command(login_group, "device")
@_login_options()
@click.option("--scope", default=None, help='Space-separated scopes [default: "api refresh_token"].')
def login_device(
    login_url: str | None,
    sandbox: bool,
    client_id: str,
    client_secret: str | None,
    alias: str | None,
    set_default: bool,
    as_json: bool,
    scope: str | None,
) -> None:
    """Device flow: for a terminal without a browser. Shows a code to type on another device."""
    connection = _connection(login_url, sandbox, client_id, client_secret)
    scopes = _scopes(scope)
    attempt = LoginAttempt(connection, "device", scopes or ())
    with _logging_in(attempt):
        code: DeviceCode = connection.start_device_login(scopes)
    err.print(
        Text.assemble(
            "Open ",
            shown(code.verification_uri, "bold"),
            " and enter the code ",
            shown(code.user_code, "bold"),
        ),
        highlight=False,
    )
    with err.status("Waiting for approval..."), _logging_in(attempt):
        session = connection.poll_device_login(code)
    _save_login(connection, session, flow="device", alias=alias, set_default=set_default, as_json=as_json)


@_command(login_group, "jwt")
@_login_options(client_id_required=True)
@click.option("--username", required=True, help="The Salesforce username to act as.")
@click.option(
    "--jwt-key-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key whose certificate the app holds.",
)
@click.option("--audience", default=None, help="JWT aud [default: the environment's login host].")
def login_jwt(
    login_url: str | None,
    sandbox: bool,
    client_id: str,
    client_secret: str | None,
    alias: str | None,
    set_default: bool,
    as_json: bool,
    username: str,
    jwt_key_file: Path,
    audience: str | None,
) -> None:
    """JWT bearer flow: a signed assertion, no browser; renews itself with the same key file."""
    connection = _connection(login_url, sandbox, client_id, client_secret)
    audience = audience or default_audience(connection.login_url)
    with _logging_in(LoginAttempt(connection, "jwt", audience=audience)):
        session = connection.jwt_login(username, jwt_key_file, audience=audience)
    _save_login(
        connection,
        session,
        flow="jwt",
        alias=alias,
        set_default=set_default,
        as_json=as_json,
        username=username,
        jwt_key_file=str(jwt_key_file.resolve()),
    )


@_command(login_group, "password")
@_login_options(client_id_required=True)
@click.option("--username", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    envvar="FORCEGATE_PASSWORD",
    help="[env: FORCEGATE_PASSWORD; prompted if absent]",
)
@click.option(
    "--security-token", default="", envvar="FORCEGATE_SECURITY_TOKEN", help="Appended to the password."
)
def login_password(
    login_url: str | None,
    sandbox: bool,
    client_id: str,
    client_secret: str | None,
    alias: str | None,
    set_default: bool,
    as_json: bool,
    username: str,
    password: str,
    security_token: str,
) -> None:
    """Username-password flow (deprecated by Salesforce: prefer jwt, web or device)."""
    connection = _connection(login_url, sandbox, client_id, client_secret)
    err.print("Warning: the username-password flow is deprecated; prefer jwt, web or device.", style="yellow")
    with warnings.catch_warnings(), _logging_in(LoginAttempt(connection, "password")):
        warnings.simplefilter("ignore", DeprecationWarning)
        session = connection.password_login(username, password, security_token)
    _save_login(
        connection,
        session,
        flow="password",
        alias=alias,
        set_default=set_default,
        as_json=as_json,
        username=username,
    )


@_command(login_group, "client-credentials")
@_login_options(client_id_required=True)
def login_client_credentials(
    login_url: str | None,
    sandbox: bool,
    client_id: str,
    client_secret: str | None,
    alias: str | None,
    set_default: bool,
    as_json: bool,
) -> None:
    """Client credentials flow: the app's own key and secret, acting as its run-as user
    (Salesforce serves it on My Domain URLs only)."""
    if not client_secret:
        raise click.UsageError("client-credentials needs --client-secret (or FORCEGATE_CLIENT_SECRET)")
    connection = _connection(login_url, sandbox, client_id, client_secret)
    session = connection.client_credentials_login()
    _save_login(
        connection, session, flow="client-credentials", alias=alias, set_default=set_default, as_json=as_json
    )


# --- connections ------------------------------------------------------------------------------------


@click.group("connections", epilog=EPILOG)
def connections_group() -> None:
    """The stored connections (aliases)."""


@_command(connections_group, "list")
@json_option
def connections_list(as_json: bool) -> None:
    """Every stored connection (no tokens shown)."""
    store = _store()
    views = [_session_view(r, store) for r in sorted(store.list(), key=lambda r: r.alias)]
    if as_json:
        _emit_json(views)
        return
    table = Table("", "alias", "username", "instance", "flow", "expires")
    for view in views:
        table.add_row(
            "*" if view["default"] else "",
            shown(view["alias"]),
            shown(view["username"]),
            shown(view["instance_url"] or "(logged out)"),
            shown(view["flow"]),
            shown(_expiry_text(view)),
        )
    _out().print(table)


@_command(connections_group, "show")
@click.argument("alias", required=False)
@json_option
def connections_show(alias: str | None, as_json: bool) -> None:
    """One connection's details (no tokens shown)."""
    store = _store()
    record = _record(store, alias)
    view = _session_view(record, store)
    if as_json:
        _emit_json(view)
        return
    _key_value_table(view)


@_command(connections_group, "remove")
@click.argument("alias")
@click.option("--revoke", is_flag=True, help="Revoke its tokens on the server first.")
def connections_remove(alias: str, revoke: bool) -> None:
    """Forget a connection (and with --revoke, end its tokens on the server)."""
    store = _store()
    record = _record(store, alias)
    if revoke and record.session is not None:
        _revoke(record)
    store.remove(record.alias)
    err.print(Text.assemble("Removed ", shown(record.alias), "."))


# --- token ------------------------------------------------------------------------------------------


@click.group("token", epilog=EPILOG)
def token_group() -> None:
    """The access token of a connection."""


def _masked(token: str) -> str:
    prefix, bang, _ = token.partition("!")
    return f"{prefix}!****" if bang else f"{token[:4]}****"


@_command(token_group, "show")
@alias_option
@click.option("--reveal", is_flag=True, help="Print only the access token itself, for scripts.")
@json_option
def token_show(alias: str | None, reveal: bool, as_json: bool) -> None:
    """The access token's details; the token itself only with --reveal."""
    store = _store()
    record = _record(store, alias)
    if record.session is None:
        raise Failure(f"{record.alias} is logged out: log in again", EXIT_LOG_IN_AGAIN)
    if reveal:
        click.echo(printable(record.session.access_token))
        return
    view = _session_view(record, store) | {"access_token": _masked(record.session.access_token)}
    if as_json:
        _emit_json(view)
    else:
        _key_value_table(view)


@_command(token_group, "refresh")
@alias_option
@json_option
def token_refresh(alias: str | None, as_json: bool) -> None:
    """Get a new access token now (a rotated refresh token is stored before anything else)."""
    store = _store()
    record = _record(store, alias)
    manager = manager_for(record, store)
    try:
        manager.force_refresh()
        record.session = manager.connection.with_server_expiry(manager.session)
    finally:
        manager.connection.close()
    store.save(record)
    view = _session_view(record, store)
    if as_json:
        _emit_json(view)
    else:
        err.print(Text.assemble("Refreshed ", shown(record.alias), f": valid until {_expiry_text(view)}."))


def _revoke(record: StoredConnection) -> None:
    assert record.session is not None
    with record.connection() as connection:
        # Revoking the refresh token ends every access token issued from it.
        connection.revoke(record.session.refresh_token or record.session.access_token)


@_command(token_group, "revoke")
@alias_option
def token_revoke(alias: str | None) -> None:
    """Revoke the connection's tokens on the server and forget them (the alias stays, logged out)."""
    store = _store()
    record = _record(store, alias)
    if record.session is None:
        raise Failure(f"{record.alias} is already logged out", EXIT_LOG_IN_AGAIN)
    _revoke(record)
    record.session = None
    store.save(record)
    err.print(Text.assemble("Revoked the tokens of ", shown(record.alias), "."))


# --- data -------------------------------------------------------------------------------------------


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"Owner": {"Name": "x"}}`` → ``{"Owner.Name": "x"}``; ``attributes`` dropped."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict) and "records" not in value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, dict):
            flat[f"{prefix}{key}"] = f"[{len(value.get('records') or [])} records]"
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def _expiry_text(view: dict[str, Any]) -> str | None:
    if view["expires_at"] is None:
        return None
    return f"{view['expires_at']} (estimate)" if view["expires_at_estimated"] else str(view["expires_at"])


def _key_value_table(view: dict[str, Any]) -> None:
    table = Table("field", "value", show_header=False)
    for key, value in view.items():
        if key == "expires_at_estimated":
            continue  # said beside expires_at
        table.add_row(key, shown(_expiry_text(view) if key == "expires_at" else value))
    _out().print(table)


# SELECT COUNT() FROM ...: the answer is a count (totalSize) and no records.
_COUNT_ONLY = re.compile(r"\s*SELECT\s+COUNT\s*\(\s*\)\s+FROM\s", re.IGNORECASE)


def _print_count(total: int, as_json: bool, as_csv: bool) -> None:
    """Named totalSize in every format, as the REST API's query answer names it."""
    if as_json:
        _emit_json({"totalSize": total})
    elif as_csv:
        click.echo(f"totalSize\n{total}")
    else:
        table = Table("totalSize")
        table.add_row(str(total))
        _out().print(table)


@click.command("query", epilog=EPILOG)
@click.argument("soql")
@alias_option
@api_version_option
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the records as CSV.")
@click.option("--all-rows", is_flag=True, help="Include deleted and archived records (queryAll).")
@_fails_cleanly
def query(
    soql: str, alias: str | None, api_version: str | None, as_json: bool, as_csv: bool, all_rows: bool
) -> None:
    """Run a SOQL query and print every record (all pages); SELECT COUNT() prints the count."""
    if as_json and as_csv:
        raise click.UsageError("--json and --csv are mutually exclusive")
    if _COUNT_ONLY.match(soql):
        with _rest(alias, api_version) as client:
            _print_count(client.count(soql, include_deleted=all_rows), as_json, as_csv)
        return
    with _rest(alias, api_version) as client:
        records = client.query_all(soql, include_deleted=all_rows)
    if as_json:
        _emit_json(records)
        return
    rows = [_flatten(r) for r in records]
    columns = _columns(rows)
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([printable(c) for c in columns])
        for row in rows:
            writer.writerow([printable(row.get(c)) for c in columns])
        return
    table = Table(caption=f"{len(rows)} record{'s' if len(rows) != 1 else ''}")
    for column in columns:
        table.add_column(shown(column))
    for row in rows:
        table.add_row(*(shown(row.get(c)) for c in columns))
    _out().print(table)


@click.command("describe", epilog=EPILOG)
@click.argument("sobject")
@alias_option
@api_version_option
@json_option
@_fails_cleanly
def describe(sobject: str, alias: str | None, api_version: str | None, as_json: bool) -> None:
    """Describe an sObject type: its fields and their types."""
    with _rest(alias, api_version) as client:
        result = client.describe(sobject)
    if as_json:
        _emit_json(result)
        return
    table = Table(
        "name",
        "label",
        "type",
        "length",
        "nillable",
        title=shown(f"{result.get('name', sobject)} ({result.get('label', '')})"),
    )
    for f in result.get("fields", []):
        table.add_row(*(shown(f.get(key)) for key in ("name", "label", "type", "length", "nillable")))
    _out().print(table)


@click.command("limits", epilog=EPILOG)
@alias_option
@api_version_option
@json_option
@_fails_cleanly
def limits(alias: str | None, api_version: str | None, as_json: bool) -> None:
    """The org's limits: maximum and remaining."""
    with _rest(alias, api_version) as client:
        result = client.limits()
    if as_json:
        _emit_json(result)
        return
    table = Table("limit", "max", "remaining")
    for name, value in sorted(result.items()):
        if isinstance(value, dict):
            table.add_row(shown(name), shown(value.get("Max")), shown(value.get("Remaining")))
    _out().print(table)


def register(main: click.Group) -> None:
    """Add the client commands to the ``forcegate`` group."""
    for command in (login_group, connections_group, token_group, query, describe, limits):
        main.add_command(command)
