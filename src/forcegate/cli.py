"""The ``forcegate`` command: run the server and administer the org.

Every command takes ``--database URL`` (default ``FORCEGATE_DATABASE_URL``, else the SQLite file that
``make serve`` uses) and prints JSON, so scripts can read it.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Connection

from forcegate.config import Settings, default_database_url
from forcegate.context import Context
from forcegate.domain import PERMITTED_USERS_POLICIES, REFRESH_TOKEN_POLICIES, Org
from forcegate.org import access, users
from forcegate.org import connected_apps as apps
from forcegate.org.bootstrap import ensure_demo, ensure_org
from forcegate.org.errors import AdminError
from forcegate.storage import repositories as repo
from forcegate.storage.migrate import upgrade

F = TypeVar("F", bound=Callable[..., Any])


def database_option(func: F) -> F:
    return click.option(
        "--database",
        "database",
        default=None,
        metavar="URL",
        help="SQLAlchemy database URL [default: FORCEGATE_DATABASE_URL, else var/forcegate.db]",
    )(func)


def _context(database: str | None) -> Context:
    ctx = Context.from_settings(Settings().with_overrides(database_url=database or default_database_url()))
    upgrade(ctx.db)
    return ctx


def _print(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))


@contextmanager
def _org_transaction(database: str | None) -> Iterator[tuple[Context, Connection, str]]:
    """A write transaction on the org; admin errors become a message and exit status 1."""
    ctx = _context(database)
    try:
        with ctx.db.write() as conn:
            org = ensure_org(ctx, conn)
            yield ctx, conn, org.id
    except AdminError as error:
        raise click.ClickException(error.message) from None
    finally:
        ctx.db.dispose()


@click.group()
@click.version_option(package_name="forcegate")
def main() -> None:
    """forcegate: a self-hosted, Salesforce-compatible OAuth 2.0 / OpenID Connect server."""


# --- serve ----------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=int, help="Port to listen on (0: any free port)."
)
@database_option
@click.option(
    "--public-url",
    default=None,
    help="Origin clients see [default: FORCEGATE_PUBLIC_URL, else the listen address].",
)
@click.option(
    "--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate: serve HTTPS."
)
@click.option(
    "--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key for --tls-cert."
)
@click.option(
    "--demo/--no-demo",
    default=False,
    help="On an empty database, create a demo admin and app and print them.",
)
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
def serve(
    host: str,
    port: int,
    database: str | None,
    public_url: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    demo: bool,
    log_level: str,
) -> None:
    """Run the server."""
    import uvicorn

    from forcegate.server import uvicorn_config
    from forcegate.web.app import create_app

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ctx = _context(database)
    if demo:
        with ctx.db.write() as conn:
            created = ensure_demo(ctx, conn)
        if created is not None:
            _print_demo(created, ctx.settings.database_url)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Listen before announcing the address: connections made as soon as it is printed queue in the
    # backlog until uvicorn accepts them, instead of being refused.
    sock.listen(2048)
    bound_port = sock.getsockname()[1]
    scheme = "https" if tls_cert else "http"
    shown_host = f"[{host}]" if ":" in host else host
    listen_url = f"{scheme}://{shown_host}:{bound_port}"
    origin = (public_url or ctx.settings.public_url or listen_url).rstrip("/")
    app = create_app(ctx, origin)
    click.echo(f"forcegate listening on {listen_url} (public URL {origin})", err=True)
    config = uvicorn_config(app, log_level=log_level, ssl_certfile=tls_cert, ssl_keyfile=tls_key)
    uvicorn.Server(config).run(sockets=[sock])


def _print_demo(demo: Any, database: str) -> None:
    click.echo(
        "\nDemo org created:\n"
        f"  admin username:   {demo.admin_username}\n"
        f"  admin password:   {demo.admin_password}\n"
        f"  demo app consumer key:    {demo.consumer_key}\n"
        f"  demo app consumer secret: {demo.consumer_secret}\n"
        "  demo app callback: http://localhost:1717/OauthRedirect  scopes: api refresh_token openid\n"
        f"These are shown once; keep them. (The database is {database}.)\n",
        err=True,
    )


# --- db -----------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str | None) -> None:
    """Apply every pending migration and create the org if it is missing."""
    with _org_transaction(database) as (_ctx, _conn, org_id):
        pass
    _print({"database": database or default_database_url(), "org_id": org_id, "status": "up to date"})


# --- connected apps -------------------------------------------------------------------------


@main.group("apps")
def apps_group() -> None:
    """Connected apps."""


def _policy_options(func: F) -> F:
    """The app policy flags shared by ``apps create`` and ``apps update`` (unset: unchanged/default)."""
    options = [
        click.option("--require-pkce/--no-require-pkce", default=None, help="[default: off]"),
        click.option(
            "--require-secret/--no-require-secret",
            default=None,
            help="Require the consumer secret in the Web Server flow. [default: on]",
        ),
        click.option("--access-token-lifetime", type=int, help="Seconds. [default: 7200]"),
        click.option("--user-agent-flow/--no-user-agent-flow", default=None, help="[default: on]"),
        click.option("--device-flow/--no-device-flow", default=None, help="[default: off]"),
        click.option(
            "--client-credentials/--no-client-credentials",
            default=None,
            help="[default: off; needs --run-as]",
        ),
        click.option("--run-as", "run_as", metavar="USER", help="The client credentials flow's run-as user."),
        click.option(
            "--certificate",
            type=click.Path(exists=True, dir_okay=False),
            help="X.509 certificate (PEM) verifying JWT bearer assertions; enables that flow.",
        ),
        click.option(
            "--permitted-users",
            type=click.Choice(PERMITTED_USERS_POLICIES),
            help="[default: all_self_authorize]",
        ),
        click.option(
            "--refresh-token-policy",
            type=click.Choice(REFRESH_TOKEN_POLICIES),
            help="[default: until_revoked]",
        ),
        click.option(
            "--refresh-token-validity", type=int, metavar="SECONDS", help="N of the refresh token policy."
        ),
        click.option(
            "--refresh-token-rotation/--no-refresh-token-rotation", default=None, help="[default: off]"
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _policy_changes(values: dict[str, Any]) -> dict[str, Any]:
    """Flag values -> the service's field names, leaving out flags not given."""
    certificate = values.pop("certificate", None)
    renamed = {
        "require_pkce": values.get("require_pkce"),
        "require_secret_for_web_server": values.get("require_secret"),
        "access_token_lifetime_seconds": values.get("access_token_lifetime"),
        "user_agent_flow_enabled": values.get("user_agent_flow"),
        "device_flow_enabled": values.get("device_flow"),
        "client_credentials_enabled": values.get("client_credentials"),
        "client_credentials_user": values.get("run_as"),
        "certificate_pem": Path(certificate).read_text() if certificate else None,
        "permitted_users": values.get("permitted_users"),
        "refresh_token_policy": values.get("refresh_token_policy"),
        "refresh_token_validity_seconds": values.get("refresh_token_validity"),
        "refresh_token_rotation": values.get("refresh_token_rotation"),
    }
    return {k: v for k, v in renamed.items() if v is not None}


@apps_group.command("create")
@click.option("--name", required=True)
@click.option("--callback-url", "callback_urls", multiple=True, required=True, help="Repeat for several.")
@click.option("--scopes", required=True, help='Space-separated, e.g. "api refresh_token openid".')
@click.option("--disabled", is_flag=True, help="Create the app disabled.")
@_policy_options
@database_option
def apps_create(
    name: str,
    callback_urls: tuple[str, ...],
    scopes: str,
    disabled: bool,
    database: str | None,
    **policies: Any,
) -> None:
    """Register a connected app; prints its consumer key and (once only) its consumer secret."""
    with _org_transaction(database) as (ctx, conn, org_id):
        app, secret = apps.create_app(
            ctx,
            conn,
            org_id,
            name=name,
            callback_urls=list(callback_urls),
            scopes=scopes,
            is_enabled=not disabled,
            **_policy_changes(policies),
        )
        _print(apps.app_view(app, consumer_secret=secret))


@apps_group.command("list")
@database_option
def apps_list(database: str | None) -> None:
    """All connected apps (never their secrets)."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print([apps.app_view(a) for a in repo.list_apps(conn, org_id)])


@apps_group.command("show")
@click.argument("app")
@database_option
def apps_show(app: str, database: str | None) -> None:
    """One app, by record ID, consumer key or name."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(apps.app_view(apps.find_app(conn, org_id, app)))


@apps_group.command("update")
@click.argument("app")
@click.option("--name")
@click.option("--callback-url", "callback_urls", multiple=True, help="Replaces the list; repeat for several.")
@click.option("--scopes")
@click.option("--enabled/--disabled", default=None)
@click.option(
    "--no-certificate", is_flag=True, help="Remove the certificate (turns the JWT bearer flow off)."
)
@click.option("--no-run-as", is_flag=True, help="Remove the client credentials run-as user.")
@_policy_options
@database_option
def apps_update(
    app: str,
    name: str | None,
    callback_urls: tuple[str, ...],
    scopes: str | None,
    enabled: bool | None,
    no_certificate: bool,
    no_run_as: bool,
    database: str | None,
    **policies: Any,
) -> None:
    """Change an app's settings and policies."""
    given = {
        "name": name,
        "callback_urls": list(callback_urls) or None,
        "scopes": scopes,
        "is_enabled": enabled,
    }
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    changes.update(_policy_changes(policies))
    if no_certificate:
        changes["certificate_pem"] = None
    if no_run_as:
        changes["client_credentials_user"] = None
    with _org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        _print(apps.app_view(apps.update_app(ctx, conn, found, changes)))


@apps_group.command("delete")
@click.argument("app")
@database_option
def apps_delete(app: str, database: str | None) -> None:
    """Delete an app and every token issued to it."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        repo.delete_app(conn, found.id)
        _print({"deleted": found.id, "name": found.name})


@apps_group.command("access")
@click.argument("app")
@click.option("--profile", help="Profile whose users are pre-authorized.")
@click.option("--permission-set", help="Permission set whose users are pre-authorized.")
@click.option("--revoke", is_flag=True, help="Remove the assignment instead.")
@database_option
def apps_access(
    app: str, profile: str | None, permission_set: str | None, revoke: bool, database: str | None
) -> None:
    """Pre-authorize a profile's or permission set's users for an admin-approved app."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        _print(
            access.grant_access(conn, found, profile=profile, permission_set=permission_set, revoke=revoke)
        )


# --- org settings and permission sets ---------------------------------------------------------


@main.group("org")
def org_group() -> None:
    """The org's security settings."""


@org_group.command("show")
@database_option
def org_show(database: str | None) -> None:
    """The org's settings."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(access.org_view(_the_org(conn, org_id)))


@org_group.command("update")
@click.option(
    "--allow-username-password-flows/--block-username-password-flows",
    default=None,
    help="The OAuth username-password flow (off by default, as Salesforce recommends).",
)
@click.option("--allow-soap-login/--block-soap-login", default=None, help="SOAP login() (off by default).")
@click.option(
    "--trusted-ip-range",
    "trusted_ip_ranges",
    multiple=True,
    metavar="CIDR",
    help="Replaces the trusted IP ranges; repeat for several.",
)
@click.option("--no-trusted-ip-ranges", is_flag=True, help="Remove every trusted IP range.")
@click.option("--max-login-attempts", type=int, help="Failed logins before lockout (0: no limit).")
@click.option("--lockout-minutes", type=int, help="Lockout length (0: until an admin unlocks).")
@database_option
def org_update(
    allow_username_password_flows: bool | None,
    allow_soap_login: bool | None,
    trusted_ip_ranges: tuple[str, ...],
    no_trusted_ip_ranges: bool,
    max_login_attempts: int | None,
    lockout_minutes: int | None,
    database: str | None,
) -> None:
    """Change the org's security settings."""
    given: dict[str, Any] = {
        "allow_username_password_flows": allow_username_password_flows,
        "allow_soap_login": allow_soap_login,
        "trusted_ip_ranges": [] if no_trusted_ip_ranges else (list(trusted_ip_ranges) or None),
        "max_login_attempts": max_login_attempts,
        "lockout_minutes": lockout_minutes,
    }
    with _org_transaction(database) as (_ctx, conn, org_id):
        updated = access.update_org(
            conn, _the_org(conn, org_id), {k: v for k, v in given.items() if v is not None}
        )
        _print(access.org_view(updated))


def _the_org(conn: Connection, org_id: str) -> Org:
    org = repo.org_by_id(conn, org_id)
    assert org is not None
    return org


@main.group("permission-sets")
def permission_sets_group() -> None:
    """Permission sets."""


@permission_sets_group.command("create")
@click.option("--name", required=True, help="API name, unique in the org.")
@click.option("--label", default=None)
@database_option
def permission_sets_create(name: str, label: str | None, database: str | None) -> None:
    """Create a permission set."""
    with _org_transaction(database) as (ctx, conn, org_id):
        _print({"id": access.create_permission_set(ctx, conn, org_id, name, label), "name": name})


@permission_sets_group.command("list")
@database_option
def permission_sets_list(database: str | None) -> None:
    """All permission sets."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(repo.list_permission_sets(conn, org_id))


@permission_sets_group.command("assign")
@click.argument("permission_set")
@click.option("--user", "user_ref", required=True, help="Record ID or username.")
@database_option
def permission_sets_assign(permission_set: str, user_ref: str, database: str | None) -> None:
    """Assign a permission set to a user."""
    with _org_transaction(database) as (ctx, conn, org_id):
        user = users.find_user(conn, org_id, user_ref)
        access.assign_permission_set(ctx, conn, org_id, permission_set, user)
        _print(users.user_view(conn, user))


# --- users ----------------------------------------------------------------------------------


@main.group("users")
def users_group() -> None:
    """Users."""


@users_group.command("create")
@click.option("--username", required=True, help="Email-shaped and unique.")
@click.option("--password", required=True)
@click.option("--profile", default=None, help='Profile name [default: "Standard User"].')
@click.option("--email", default=None, help="[default: the username]")
@click.option("--first-name", default="")
@click.option("--last-name", default=None)
@database_option
def users_create(
    username: str,
    password: str,
    profile: str | None,
    email: str | None,
    first_name: str,
    last_name: str | None,
    database: str | None,
) -> None:
    """Create a user; prints it with its security token (shown once)."""
    with _org_transaction(database) as (ctx, conn, org_id):
        user, security_token = users.create_user(
            ctx,
            conn,
            org_id,
            username=username,
            password=password,
            profile=profile,
            email=email,
            first_name=first_name,
            last_name=last_name,
        )
        _print(users.user_view(conn, user, security_token=security_token))


@users_group.command("list")
@database_option
def users_list(database: str | None) -> None:
    """All users."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print([users.user_view(conn, u) for u in repo.list_users(conn, org_id)])


@users_group.command("show")
@click.argument("user")
@database_option
def users_show(user: str, database: str | None) -> None:
    """One user, by record ID or username."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(users.user_view(conn, users.find_user(conn, org_id, user)))


@users_group.command("update")
@click.argument("user")
@click.option("--active/--inactive", default=None)
@click.option("--profile", default=None)
@click.option("--password", default=None)
@click.option("--email", default=None)
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@database_option
def users_update(
    user: str,
    active: bool | None,
    profile: str | None,
    password: str | None,
    email: str | None,
    first_name: str | None,
    last_name: str | None,
    database: str | None,
) -> None:
    """Change a user (deactivating one ends their sessions' access at once)."""
    changes = {
        "is_active": active,
        "profile": profile,
        "password": password,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }
    with _org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        updated = users.update_user(ctx, conn, found, {k: v for k, v in changes.items() if v is not None})
        _print(users.user_view(conn, updated))


@main.command("login-history")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@database_option
def login_history(limit: int, database: str | None) -> None:
    """Recent authentication attempts, newest first."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(repo.recent_logins(conn, org_id, limit))


# --- keys and certificates ------------------------------------------------------------------


@main.group("server-key")
def server_key() -> None:
    """The server key that encrypts consumer secrets."""


@server_key.command("generate")
def server_key_generate() -> None:
    """Print a new key, to put first in FORCEGATE_SERVER_KEYS (or the key file)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@server_key.command("reencrypt")
@database_option
def server_key_reencrypt(database: str | None) -> None:
    """Re-encrypt every stored secret under the first configured key (after adding a new one)."""
    with _org_transaction(database) as (ctx, conn, _org_id):
        rows = repo.all_app_secrets(conn)
        for app_id, encrypted in rows:
            repo.set_app_secret(conn, app_id, ctx.box.reencrypt(encrypted))
        _print({"reencrypted_connected_apps": len(rows)})


@main.group("tls")
def tls() -> None:
    """HTTPS for local development."""


@tls.command("dev-cert")
@click.option("--dir", "directory", default="var/tls", show_default=True, type=click.Path(file_okay=False))
@click.option("--hostname", "hostnames", multiple=True, default=["localhost"], show_default=True)
def tls_dev_cert(directory: str, hostnames: tuple[str, ...]) -> None:
    """Create a local development CA and a certificate for localhost, and say how to trust it."""
    from forcegate.devca import create_dev_certificates, trust_instructions

    certs = create_dev_certificates(Path(directory), hostnames=hostnames)
    click.echo(trust_instructions(certs))


if __name__ == "__main__":
    sys.exit(main())
