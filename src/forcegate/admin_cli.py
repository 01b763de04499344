"""The server side of the ``forcegate`` command: run the server and administer the org.

``forcegate.cli`` loads this module only when one of its commands runs, so the client commands
(login, query, ...) start without importing the server.

Every command takes ``--database URL`` (default ``FORCEGATE_DATABASE_URL``, else the SQLite file that
``make serve`` uses) and prints JSON, so scripts can read it.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from forcegate import housekeeping, keys, logs
from forcegate.bootstrap import DEMO_CALLBACK, DEMO_SCOPES, DemoOrg, ensure_demo, ensure_org, stored_demo
from forcegate.config import Settings, default_database_url
from forcegate.context import Context
from forcegate.domain import PERMITTED_USERS_POLICIES, REFRESH_TOKEN_POLICIES, Org
from forcegate.org import access, credentials, permissions, users
from forcegate.org import connected_apps as apps
from forcegate.org.errors import AdminError
from forcegate.storage import demo_credentials, signing_keys
from forcegate.storage import permissions as perm_store
from forcegate.storage import repositories as repo
from forcegate.storage.migrate import has_schema, upgrade

if TYPE_CHECKING:
    import uvicorn

F = TypeVar("F", bound=Callable[..., Any])


def database_option(func: F) -> F:
    return click.option(
        "--database",
        "database",
        default=None,
        metavar="URL",
        help="SQLAlchemy database URL [default: FORCEGATE_DATABASE_URL, else var/forcegate.db]",
    )(func)


def _context(database: str | None, *, create: bool = False) -> Context:
    """The org's context, migrated to the newest schema. Only ``serve`` and ``db upgrade`` may
    ``create`` the database: any other command run from the wrong folder would otherwise answer from
    a new, empty org (and leave a stray database and server key behind)."""
    url = database or default_database_url()
    settings = Settings().with_overrides(database_url=url)
    try:
        if not create and not has_schema(url):
            raise click.ClickException(_no_database_message(database, url))
        if not create and not settings.server_keys and not settings.server_key_file.exists():
            # A new key could decrypt none of the database's secrets.
            raise click.ClickException(
                f"no server key at {settings.server_key_file}, the key that encrypts this database's "
                "secrets. Set FORCEGATE_SERVER_KEYS, FORCEGATE_SERVER_KEY_FILE or FORCEGATE_HOME as the "
                "server has them."
            )
        ctx = Context.from_settings(settings)
        upgrade(ctx.db)
    except OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        raise click.ClickException(f"cannot open the database {shown}: {error.orig}") from None
    return ctx


def _no_database_message(database: str | None, url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        found = f"no forcegate database at {Path(parsed.database or '').resolve()}"
    else:
        shown = parsed.render_as_string(hide_password=True)
        found = f"the database {shown} has no forcegate schema (it was never migrated)"
    if database:
        source = "given by --database"
    elif os.environ.get("FORCEGATE_DATABASE_URL"):
        source = "from FORCEGATE_DATABASE_URL"
    elif os.environ.get("FORCEGATE_HOME"):
        source = f"from FORCEGATE_HOME={os.environ['FORCEGATE_HOME']}"
    else:
        source = "the default, var/ in the current folder"
    return (
        f"{found} ({source}). Point the command at your org's database with --database URL, "
        "FORCEGATE_DATABASE_URL or FORCEGATE_HOME (the folder holding forcegate.db and server.key, "
        "e.g. the var/ of the folder where `make serve` runs), "
        "or create a new one with `forcegate db upgrade`."
    )


def _print(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))


@contextmanager
def _org_transaction(
    database: str | None, *, create: bool = False
) -> Iterator[tuple[Context, Connection, str]]:
    """A write transaction on the org; admin errors become a message and exit status 1."""
    ctx = _context(database, create=create)
    try:
        with ctx.db.write() as conn:
            org = ensure_org(ctx, conn)
            yield ctx, conn, org.id
    except AdminError as error:
        raise click.ClickException(error.message) from None
    finally:
        ctx.db.dispose()


@click.group()
def main() -> None:
    """The server and administration commands (``forcegate.cli`` adds them to the root command)."""


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
    "--shutdown-timeout",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="On SIGTERM or Ctrl-C, how long open connections (idle keep-alive ones too) may stay before "
    "they are closed and the server exits.",
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
    shutdown_timeout: float,
    log_level: str,
) -> None:
    """Run the server."""
    from forcegate.server import uvicorn_config
    from forcegate.web.app import create_app

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    logs.configure(log_level)
    # Listen before anything else: a taken port must leave no database or key behind, and connections
    # made as soon as the address is printed queue in the backlog until uvicorn accepts them.
    sock = _listen(host, port)
    ctx = _context(database, create=True)
    created, has_demo = None, False
    if demo:
        with ctx.db.write() as conn:
            created = ensure_demo(ctx, conn)
            org = repo.first_org(conn)
            has_demo = org is not None and demo_credentials.load(conn, org.id) is not None
    bound_port = sock.getsockname()[1]
    scheme = "https" if tls_cert else "http"
    shown_host = f"[{host}]" if ":" in host else host
    listen_url = f"{scheme}://{shown_host}:{bound_port}"
    origin = (public_url or ctx.settings.public_url or listen_url).rstrip("/")
    app = create_app(ctx, origin)

    def announce() -> None:
        if created is not None:
            _print_demo(created, ctx.settings.database_url)
        elif has_demo:
            click.echo("Demo org: `forcegate demo show` prints its admin and app again.", err=True)
        click.echo(f"forcegate listening on {listen_url} (public URL {origin})", err=True)

    config = uvicorn_config(
        app,
        log_level=log_level,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        timeout_graceful_shutdown=shutdown_timeout,
    )
    _run_until_stopped(config, sock, on_started=announce)


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on HOST:PORT; a port in use is one line that says how to pick another."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno != errno.EADDRINUSE:
            raise click.ClickException(f"cannot listen on {host} port {port}: {error.strerror}") from None
        free = _free_port_after(family, host, port)
        raise click.ClickException(
            f"port {port} on {host} is in use; run `make serve PORT={free}` or "
            f"`forcegate serve --port {free}` (or --port 0 for any free port)"
        ) from None
    sock.listen(2048)
    return sock


def _free_port_after(family: socket.AddressFamily, host: str, port: int) -> int:
    """The next port after PORT that is free on HOST now (PORT + 1 if none of the next hundred is)."""
    for candidate in range(port + 1, min(port + 101, 65536)):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return port + 1


def _run_until_stopped(config: uvicorn.Config, sock: socket.socket, on_started: Callable[[], None]) -> None:
    """Serve on SOCK until SIGTERM or Ctrl-C; ON_STARTED runs once uvicorn accepts connections."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            on_started()

    Server(config).run(sockets=[sock])


def _print_demo(demo: DemoOrg, database: str) -> None:
    click.echo(
        "\nDemo org created:\n"
        f"  admin username:   {demo.admin_username}\n"
        f"  admin password:   {demo.admin_password}\n"
        f"  demo app consumer key:    {demo.consumer_key}\n"
        f"  demo app consumer secret: {demo.consumer_secret}\n"
        f"  demo app callback: {DEMO_CALLBACK}  scopes: {DEMO_SCOPES}\n"
        f"`forcegate demo show` prints them again. (The database is {database}.)\n",
        err=True,
    )


@main.group("demo")
def demo_group() -> None:
    """The demo org that `forcegate serve --demo` (`make serve`) creates on an empty database."""


@demo_group.command("show")
@database_option
def demo_show(database: str | None) -> None:
    """The demo admin's username and password and the demo app's key, secret and callback."""
    with _org_transaction(database) as (ctx, conn, org_id):
        try:
            found = stored_demo(ctx, conn, org_id)
        except ValueError as undecryptable:  # not the server key it was stored under
            raise click.ClickException(str(undecryptable)) from None
        if found is None:
            raise click.ClickException(
                "this org has no demo: `forcegate serve --demo` creates one only on a database without users"
            )
        _print(
            {
                "admin_username": found.admin_username,
                "admin_password": found.admin_password,
                "admin_password_changed": found.admin_password_changed,
                "consumer_key": found.consumer_key,
                "consumer_secret": found.consumer_secret,
                "callback_url": DEMO_CALLBACK,
                "scopes": DEMO_SCOPES,
            }
        )


# --- db -----------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str | None) -> None:
    """Apply every pending migration and create the org if it is missing."""
    with _org_transaction(database, create=True) as (_ctx, _conn, org_id):
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
        click.option(
            "--jwt-access-tokens/--no-jwt-access-tokens",
            default=None,
            help="Issue signed JWT access tokens instead of opaque ones. [default: off]",
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
        "jwt_access_tokens": values.get("jwt_access_tokens"),
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


@apps_group.command("rotate-secret")
@click.argument("app")
@database_option
def apps_rotate_secret(app: str, database: str | None) -> None:
    """Generate a new consumer secret (printed once). The old one keeps working until
    `apps revoke-old-secret`, so clients can move over first."""
    with _org_transaction(database) as (ctx, conn, org_id):
        rotated, secret = credentials.rotate_secret(ctx, conn, apps.find_app(conn, org_id, app))
        _print(apps.app_view(rotated, consumer_secret=secret))


@apps_group.command("revoke-old-secret")
@click.argument("app")
@database_option
def apps_revoke_old_secret(app: str, database: str | None) -> None:
    """End the old consumer secret of a rotation: from now on only the new one authenticates."""
    with _org_transaction(database) as (ctx, conn, org_id):
        _print(apps.app_view(credentials.revoke_old_secret(ctx, conn, apps.find_app(conn, org_id, app))))


@apps_group.command("revoke-tokens")
@click.argument("app")
@click.option("--user", "user_ref", help="Only this user's tokens (record ID or username).")
@database_option
def apps_revoke_tokens(app: str, user_ref: str | None, database: str | None) -> None:
    """Revoke every access and refresh token of an app (or of one user for it), at once."""
    with _org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        user = users.find_user(conn, org_id, user_ref) if user_ref else None
        _print(credentials.revoke_tokens(ctx, conn, org_id, user=user, app=found))


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
@click.option("--daily-api-requests", type=int, help="Data-API requests allowed per UTC day.")
@database_option
def org_update(
    allow_username_password_flows: bool | None,
    allow_soap_login: bool | None,
    trusted_ip_ranges: tuple[str, ...],
    no_trusted_ip_ranges: bool,
    max_login_attempts: int | None,
    lockout_minutes: int | None,
    daily_api_requests: int | None,
    database: str | None,
) -> None:
    """Change the org's security settings."""
    given: dict[str, Any] = {
        "allow_username_password_flows": allow_username_password_flows,
        "allow_soap_login": allow_soap_login,
        "trusted_ip_ranges": [] if no_trusted_ip_ranges else (list(trusted_ip_ranges) or None),
        "max_login_attempts": max_login_attempts,
        "lockout_minutes": lockout_minutes,
        "daily_api_requests": daily_api_requests,
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


def _permission_options(func: F) -> F:
    """What a profile or permission set grants in the data API."""
    options = [
        click.option("--api-enabled/--api-disabled", default=None, help='"API Enabled".'),
        click.option("--view-all-data/--no-view-all-data", default=None, help='"View All Data".'),
        click.option("--modify-all-data/--no-modify-all-data", default=None, help='"Modify All Data".'),
        click.option(
            "--object",
            "objects",
            multiple=True,
            metavar="OBJECT:PERMS",
            help="Set an object's permissions to exactly PERMS, from read,create,edit,delete,view_all,"
            "modify_all (e.g. Account:read,create,edit; Account: removes them). Repeatable.",
        ),
        click.option(
            "--field",
            "fields",
            multiple=True,
            metavar="OBJECT.FIELD:PERMS",
            help="Set a field's field-level security to PERMS from read,edit (e.g. Account.Phone:read; "
            "Account.Phone: hides it). Repeatable.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _permission_changes_from(values: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {
        k: values[k] for k in ("api_enabled", "view_all_data", "modify_all_data") if values.get(k) is not None
    }
    for kind, flags in (("objects", perm_store.OBJECT_FLAGS), ("fields", ("read", "edit"))):
        parsed: dict[str, dict[str, bool]] = {}
        for spec in values.get(kind) or ():
            name, colon, perms = spec.partition(":")
            given = {p.strip() for p in perms.split(",") if p.strip()}
            if not colon or given - set(flags):
                raise click.BadParameter(f"{spec!r}: expected NAME:PERMS with PERMS from {', '.join(flags)}")
            parsed[name.strip()] = {flag: flag in given for flag in flags}
        if parsed:
            changes["object_permissions" if kind == "objects" else "field_permissions"] = parsed
    return changes


@main.group("profiles")
def profiles_group() -> None:
    """Profiles: every user has one; it grants their data-API permissions."""


@profiles_group.command("list")
@database_option
def profiles_list(database: str | None) -> None:
    """All profiles with their permissions."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(
            [
                permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", p.name))
                for p in repo.list_profiles(conn, org_id)
            ]
        )


@profiles_group.command("show")
@click.argument("name")
@database_option
def profiles_show(name: str, database: str | None) -> None:
    """One profile."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", name)))


@profiles_group.command("create")
@click.option("--name", required=True, help="Unique in the org.")
@_permission_options
@database_option
def profiles_create(name: str, database: str | None, **values: Any) -> None:
    """Create a profile that grants nothing but what the options grant."""
    changes = _permission_changes_from(values)
    with _org_transaction(database) as (ctx, conn, org_id):
        profile = permissions.create_profile(ctx, conn, org_id, name)
        permissions.apply_changes(conn, org_id, profile, changes)
        _print(permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", profile.name)))


@profiles_group.command("update")
@click.argument("name")
@_permission_options
@database_option
def profiles_update(name: str, database: str | None, **values: Any) -> None:
    """Change a profile's permissions (named objects and fields are replaced, others kept)."""
    changes = _permission_changes_from(values)
    with _org_transaction(database) as (_ctx, conn, org_id):
        profile = permissions.find_parent(conn, org_id, "profile", name)
        permissions.apply_changes(conn, org_id, profile, changes)
        _print(permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", profile.name)))


@permission_sets_group.command("show")
@click.argument("name")
@database_option
def permission_sets_show(name: str, database: str | None) -> None:
    """One permission set with its permissions."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(permissions.parent_view(conn, permissions.find_parent(conn, org_id, "permission_set", name)))


@permission_sets_group.command("update")
@click.argument("name")
@_permission_options
@database_option
def permission_sets_update(name: str, database: str | None, **values: Any) -> None:
    """Change a permission set's permissions (named objects and fields are replaced, others kept)."""
    changes = _permission_changes_from(values)
    with _org_transaction(database) as (_ctx, conn, org_id):
        found = permissions.find_parent(conn, org_id, "permission_set", name)
        permissions.apply_changes(conn, org_id, found, changes)
        _print(permissions.parent_view(conn, permissions.find_parent(conn, org_id, "permission_set", name)))


@permission_sets_group.command("unassign")
@click.argument("permission_set")
@click.option("--user", "user_ref", required=True, help="Record ID or username.")
@database_option
def permission_sets_unassign(permission_set: str, user_ref: str, database: str | None) -> None:
    """Take a permission set away from a user."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        user = users.find_user(conn, org_id, user_ref)
        permissions.unassign(
            conn, permissions.find_parent(conn, org_id, "permission_set", permission_set), user.id
        )
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
@click.option("--unlock", is_flag=True, help="Lift a login lockout at once (a new --password does too).")
@database_option
def users_update(
    user: str,
    active: bool | None,
    profile: str | None,
    password: str | None,
    email: str | None,
    first_name: str | None,
    last_name: str | None,
    unlock: bool,
    database: str | None,
) -> None:
    """Change a user (deactivating one ends their sessions' access at once)."""
    changes: dict[str, object] = {
        "unlock": True if unlock else None,
        "is_active": active,
        "profile": profile,
        "password": password,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }
    with _org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        updated, security_token = users.update_user(
            ctx, conn, found, {k: v for k, v in changes.items() if v is not None}
        )
        _print(users.user_view(conn, updated, security_token=security_token))


@users_group.command("revoke-tokens")
@click.argument("user")
@click.option("--app", "app_ref", help="Only the tokens of this app (record ID, consumer key or name).")
@database_option
def users_revoke_tokens(user: str, app_ref: str | None, database: str | None) -> None:
    """Revoke every access and refresh token of a user (or of the user for one app), at once."""
    with _org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        app = apps.find_app(conn, org_id, app_ref) if app_ref else None
        _print(credentials.revoke_tokens(ctx, conn, org_id, user=found, app=app))


@main.command("login-history")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@database_option
def login_history(limit: int, database: str | None) -> None:
    """Recent authentication attempts, newest first."""
    with _org_transaction(database) as (_ctx, conn, org_id):
        _print(repo.recent_logins(conn, org_id, limit))


# --- housekeeping ---------------------------------------------------------------------------


@main.group("housekeeping")
def housekeeping_group() -> None:
    """Purging expired and revoked tokens, codes and device requests (servers also run it on a
    schedule: FORCEGATE_HOUSEKEEPING_INTERVAL_SECONDS)."""


@housekeeping_group.command("run")
@database_option
def housekeeping_run(database: str | None) -> None:
    """Purge now. Prints what was deleted per table; if a server is purging at this moment, prints
    {"ran": false} and leaves it to that server."""
    ctx = _context(database)
    try:
        result = housekeeping.run(ctx, scheduled=False)
        if result is None:
            _print(
                {
                    "ran": False,
                    "reason": "another process holds the housekeeping lease",
                    **housekeeping.status(ctx),
                }
            )
        else:
            _print(result.as_json())
    finally:
        ctx.db.dispose()


@housekeeping_group.command("status")
@database_option
def housekeeping_status(database: str | None) -> None:
    """The shared schedule (last run, next run, lease) and the row counts of the purged tables."""
    ctx = _context(database)
    try:
        _print(housekeeping.status(ctx))
    finally:
        ctx.db.dispose()


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
        # Old secrets of staged rotations (they still authenticate until revoked).
        for app_id, encrypted in repo.all_previous_app_secrets(conn):
            repo.set_previous_app_secret(conn, app_id, ctx.box.reencrypt(encrypted))
        signing = [k for k in signing_keys.all_keys(conn) if k.private_key_encrypted]
        for key in signing:
            signing_keys.set_private_key(conn, key.kid, ctx.box.reencrypt(key.private_key_encrypted))
        demos = demo_credentials.all_encrypted_passwords(conn)
        for demo_org_id, encrypted in demos:
            demo_credentials.set_encrypted_password(conn, demo_org_id, ctx.box.reencrypt(encrypted))
        _print(
            {
                "reencrypted_connected_apps": len(rows),
                "reencrypted_signing_keys": len(signing),
                "reencrypted_demo_passwords": len(demos),
            }
        )


@main.group("keys")
def keys_group() -> None:
    """Signing keys of id_tokens and JWT access tokens (published at /id/keys)."""


@keys_group.command("list")
@database_option
def keys_list(database: str | None) -> None:
    """Every signing key and its state: active (signs), published, expired or retired."""
    with _org_transaction(database) as (ctx, conn, _org_id):
        now = ctx.now_ms()
        _print([keys.key_view(k, now) for k in signing_keys.all_keys(conn)])


@keys_group.command("rotate")
@database_option
def keys_rotate(database: str | None) -> None:
    """Make a new key the signing key. The previous one stays published until the tokens it signed
    have expired; every server process switches within FORCEGATE_SIGNING_KEY_REFRESH_SECONDS."""
    with _org_transaction(database) as (ctx, conn, _org_id):
        _print(keys.rotate(ctx.box, conn, ctx.now_ms()))


@keys_group.command("retire")
@click.argument("kid", required=False)
@click.option("--force", is_flag=True, help="Retire KID even though tokens it signed may still be valid.")
@database_option
def keys_retire(kid: str | None, force: bool, database: str | None) -> None:
    """Retire (unpublish and wipe) KID, or without KID every rotated-out key whose tokens have expired."""
    with _org_transaction(database) as (ctx, conn, _org_id):
        now = ctx.now_ms()
        if kid is None:
            _print({"retired": keys.retire_expired(conn, now)})
            return
        try:
            keys.retire_key(conn, kid, now, force=force)
        except keys.NoSuchKey:
            raise click.ClickException(f"no signing key {kid!r}") from None
        except keys.RetireRefused as refused:
            raise click.ClickException(str(refused)) from None
        _print({"retired": [kid]})


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


# --- objects and fields (the data API's schema) -----------------------------------------------


@contextmanager
def _schema_transaction(database: str | None) -> Iterator[tuple[Context, Connection, str]]:
    from forcegate.data.errors import DataApiError

    try:
        with _org_transaction(database) as opened:
            yield opened
    except DataApiError as error:
        raise click.ClickException(error.message) from None


def _object_view(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "label": info.label,
        "labelPlural": info.plural_label,
        "keyPrefix": info.key_prefix,
        "custom": info.custom,
        "fields": [f"{f.name} ({f.type})" for f in info.fields],
    }


@main.group("objects")
def objects_group() -> None:
    """Objects of the data API (standard and custom)."""


@objects_group.command("create")
@click.option("--name", required=True, help="API name ending in __c, e.g. Thing__c.")
@click.option("--label", default=None)
@click.option("--plural-label", default=None)
@database_option
def objects_create(name: str, label: str | None, plural_label: str | None, database: str | None) -> None:
    """Create a custom object (with a Name field, an owner and the system fields)."""
    from forcegate.data import metadata

    with _schema_transaction(database) as (ctx, conn, org_id):
        info = metadata.create_custom_object(conn, org_id, name, label, plural_label, now_ms=ctx.now_ms())
        _print(_object_view(info))


@objects_group.command("list")
@database_option
def objects_list(database: str | None) -> None:
    """Every object's API name."""
    from forcegate.data import metadata

    with _schema_transaction(database) as (_ctx, conn, org_id):
        _print(metadata.object_names(conn, org_id))


@objects_group.command("show")
@click.argument("name")
@database_option
def objects_show(name: str, database: str | None) -> None:
    """An object and its fields."""
    from forcegate.data import metadata

    with _schema_transaction(database) as (_ctx, conn, org_id):
        info = metadata.load_schema(conn, org_id).object(name)
        if info is None:
            raise click.ClickException(f"no object named {name!r}")
        _print(_object_view(info))


@main.group("fields")
def fields_group() -> None:
    """Fields of the data API's objects."""


@fields_group.command("create")
@click.argument("object_name", metavar="OBJECT")
@click.option("--name", required=True, help="API name ending in __c, e.g. Name__c.")
@click.option(
    "--type",
    "type_",
    required=True,
    type=click.Choice(
        ["string", "textarea", "email", "phone", "url", "picklist", "boolean", "int", "double",
         "currency", "percent", "date", "datetime", "reference"]
    ),
)  # fmt: skip
@click.option("--label", default=None)
@click.option("--length", type=int, default=None, help="Text fields: maximum length.")
@click.option("--precision", type=int, default=None)
@click.option("--scale", type=int, default=None)
@click.option("--required", is_flag=True, help="Refuse records without a value.")
@click.option("--picklist-value", "picklist", multiple=True, help="Picklist fields: repeat for each value.")
@click.option("--reference-to", default=None, help="Reference fields: the object referred to.")
@click.option("--relationship-name", default=None, help="Reference fields: default <Name>__r.")
@click.option("--child-relationship-name", default=None, help="Reference fields: default <Plural>__r.")
@database_option
def fields_create(
    object_name: str,
    name: str,
    type_: str,
    label: str | None,
    length: int | None,
    precision: int | None,
    scale: int | None,
    required: bool,
    picklist: tuple[str, ...],
    reference_to: str | None,
    relationship_name: str | None,
    child_relationship_name: str | None,
    database: str | None,
) -> None:
    """Add a custom field to an object (standard or custom)."""
    from forcegate.data import metadata

    with _schema_transaction(database) as (ctx, conn, org_id):
        created = metadata.create_custom_field(
            conn, org_id, object_name, name, type_, label=label, length=length, precision=precision,
            scale=scale, required=required, picklist=picklist, reference_to=reference_to,
            relationship_name=relationship_name, child_relationship_name=child_relationship_name,
            now_ms=ctx.now_ms(),
        )  # fmt: skip
        _print({"object": object_name, "name": created.name, "type": created.type, "label": created.label})
