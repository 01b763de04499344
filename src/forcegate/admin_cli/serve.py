"""``forcegate serve``: run the server."""

from __future__ import annotations

import errno
import gc
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from forcegate import logs
from forcegate.admin_cli.common import open_context
from forcegate.bootstrap import DEMO_CALLBACK, DEMO_SCOPES, DemoOrg, ensure_demo
from forcegate.storage import demo_credentials
from forcegate.storage import repositories as repo

if TYPE_CHECKING:
    import uvicorn


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=int, help="Port to listen on (0: any free port)."
)
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
    ctx = open_context(database, create=True)
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
            _print_demo(created, ctx.settings.database_url, origin)
        elif has_demo:
            click.echo("Demo org: `forcegate demo show` prints its admin and app again.", err=True)
            click.echo(f"Setup: {origin}/setup", err=True)
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
            # What start-up made (modules, route tables, the declarations' validators) lives as long as
            # the process: frozen, the cyclic collector stops re-scanning it on every full collection.
            gc.freeze()
            on_started()

    Server(config).run(sockets=[sock])


def _print_demo(demo: DemoOrg, database: str, origin: str) -> None:
    click.echo(
        "\nDemo org created:\n"
        f"  admin username:   {demo.admin_username}\n"
        f"  admin password:   {demo.admin_password}\n"
        f"  Setup (log in as the admin): {origin}/setup\n"
        f"  demo app consumer key:    {demo.consumer_key}\n"
        f"  demo app consumer secret: {demo.consumer_secret}\n"
        f"  demo app callback: {DEMO_CALLBACK}  scopes: {DEMO_SCOPES}\n"
        f"`forcegate demo show` prints them again. (The database is {database}.)\n",
        err=True,
    )
