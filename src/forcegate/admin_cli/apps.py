"""``forcegate apps``: connected apps, their secrets, policies, access and tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from forcegate.admin_cli.common import OrgCommands, org_transaction, print_json
from forcegate.domain import PERMITTED_USERS_POLICIES, REFRESH_TOKEN_POLICIES
from forcegate.org import access, credentials, users
from forcegate.org import connected_apps as apps
from forcegate.storage import repositories as repo

F = TypeVar("F", bound=Callable[..., Any])


@click.group("apps", cls=OrgCommands)
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
def apps_create(
    name: str,
    callback_urls: tuple[str, ...],
    scopes: str,
    disabled: bool,
    database: str | None,
    **policies: Any,
) -> None:
    """Register a connected app; prints its consumer key and (once only) its consumer secret."""
    with org_transaction(database) as (ctx, conn, org_id):
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
        print_json(apps.app_view(app, consumer_secret=secret))


@apps_group.command("list")
def apps_list(database: str | None) -> None:
    """All connected apps (never their secrets)."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json([apps.app_view(a) for a in repo.list_apps(conn, org_id)])


@apps_group.command("show")
@click.argument("app")
def apps_show(app: str, database: str | None) -> None:
    """One app, by record ID, consumer key or name."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(apps.app_view(apps.find_app(conn, org_id, app)))


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
    with org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        print_json(apps.app_view(apps.update_app(ctx, conn, found, changes)))


@apps_group.command("delete")
@click.argument("app")
def apps_delete(app: str, database: str | None) -> None:
    """Delete an app and every token issued to it."""
    with org_transaction(database) as (_ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        repo.delete_app(conn, found.id)
        print_json({"deleted": found.id, "name": found.name})


@apps_group.command("access")
@click.argument("app")
@click.option("--profile", help="Profile whose users are pre-authorized.")
@click.option("--permission-set", help="Permission set whose users are pre-authorized.")
@click.option("--revoke", is_flag=True, help="Remove the assignment instead.")
def apps_access(
    app: str, profile: str | None, permission_set: str | None, revoke: bool, database: str | None
) -> None:
    """Pre-authorize a profile's or permission set's users for an admin-approved app."""
    with org_transaction(database) as (_ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        print_json(
            access.grant_access(conn, found, profile=profile, permission_set=permission_set, revoke=revoke)
        )


@apps_group.command("rotate-secret")
@click.argument("app")
def apps_rotate_secret(app: str, database: str | None) -> None:
    """Generate a new consumer secret (printed once). The old one keeps working until
    `apps revoke-old-secret`, so clients can move over first."""
    with org_transaction(database) as (ctx, conn, org_id):
        rotated, secret = credentials.rotate_secret(ctx, conn, apps.find_app(conn, org_id, app))
        print_json(apps.app_view(rotated, consumer_secret=secret))


@apps_group.command("revoke-old-secret")
@click.argument("app")
def apps_revoke_old_secret(app: str, database: str | None) -> None:
    """End the old consumer secret of a rotation: from now on only the new one authenticates."""
    with org_transaction(database) as (ctx, conn, org_id):
        print_json(apps.app_view(credentials.revoke_old_secret(ctx, conn, apps.find_app(conn, org_id, app))))


@apps_group.command("revoke-tokens")
@click.argument("app")
@click.option("--user", "user_ref", help="Only this user's tokens (record ID or username).")
def apps_revoke_tokens(app: str, user_ref: str | None, database: str | None) -> None:
    """Revoke every access and refresh token of an app (or of one user for it), at once."""
    with org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        user = users.find_user(conn, org_id, user_ref) if user_ref else None
        print_json(credentials.revoke_tokens(ctx, conn, org_id, user=user, app=found))
