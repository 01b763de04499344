"""``forcegate tls``: HTTPS for local development."""

from __future__ import annotations

from pathlib import Path

import click

from forcegate.admin_cli.common import OrgCommands


@click.group("tls", cls=OrgCommands)
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
