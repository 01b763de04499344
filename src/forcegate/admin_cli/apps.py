"""``forcegate apps``: connected apps, their secrets, policies, access and tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import given, options
from forcegate.org import access, credentials, users
from forcegate.org import connected_apps as apps
from forcegate.resources import connected_app as declared_app
from forcegate.resources import credentials as declared_credentials
from forcegate.storage import repositories as repo

F = TypeVar("F", bound=Callable[..., Any])


@click.group("apps", cls=OrgCommands)
def apps_group() -> None:
    """Connected apps."""


# The policies both ``apps create`` and ``apps update`` set, as declared; ``--disabled`` and
# ``--enabled/--disabled`` set is_enabled in each command's own way.
POLICIES = tuple(f for f in declared_app.POLICY_FIELDS if f != "is_enabled")


@apps_group.command("create")
@options(declared_app.CREATE, "name", "callback_urls", "scopes")
@click.option("--disabled", is_flag=True, help="Create the app disabled.")
@options(declared_app.CREATE, *POLICIES)
def apps_create(disabled: bool, database: str | None, **values: Any) -> None:
    """Register a connected app; prints its consumer key and (once only) its consumer secret."""
    settings = given(declared_app.CREATE, values, "name", "callback_urls", "scopes", *POLICIES)
    with org_transaction(database) as (ctx, conn, org_id):
        app, secret = apps.create_app(
            ctx, conn, org_id, is_enabled=not disabled, actor=CLI_ACTOR(), **settings
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
@options(
    declared_app.UPDATE,
    "name",
    "callback_urls",
    "scopes",
    "is_enabled",
    helps={"callback_urls": "Replaces the list; repeat for several.", "scopes": None},
)
@click.option(
    "--no-certificate", is_flag=True, help="Remove the certificate (turns the JWT bearer flow off)."
)
@click.option("--no-run-as", is_flag=True, help="Remove the client credentials run-as user.")
@options(declared_app.UPDATE, *POLICIES)
def apps_update(app: str, no_certificate: bool, no_run_as: bool, database: str | None, **values: Any) -> None:
    """Change an app's settings and policies."""
    changes = given(declared_app.UPDATE, values, "name", "callback_urls", "scopes", "is_enabled", *POLICIES)
    if no_certificate:
        changes["certificate_pem"] = None
    if no_run_as:
        changes["client_credentials_user"] = None
    with org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        print_json(apps.app_view(apps.update_app(ctx, conn, found, changes, actor=CLI_ACTOR())))


@apps_group.command("delete")
@click.argument("app")
def apps_delete(app: str, database: str | None) -> None:
    """Delete an app and every token issued to it."""
    with org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        apps.delete_app(ctx, conn, found, actor=CLI_ACTOR())
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
    with org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        print_json(
            access.grant_access(
                ctx,
                conn,
                found,
                profile=profile,
                permission_set=permission_set,
                revoke=revoke,
                actor=CLI_ACTOR(),
            )
        )


@apps_group.command("rotate-secret")
@click.argument("app")
def apps_rotate_secret(app: str, database: str | None) -> None:
    """Generate a new consumer secret (printed once). The old one keeps working until
    `apps revoke-old-secret`, so clients can move over first."""
    with org_transaction(database) as (ctx, conn, org_id):
        rotated, secret = credentials.rotate_secret(
            ctx, conn, apps.find_app(conn, org_id, app), actor=CLI_ACTOR()
        )
        print_json(apps.app_view(rotated, consumer_secret=secret))


@apps_group.command("revoke-old-secret")
@click.argument("app")
def apps_revoke_old_secret(app: str, database: str | None) -> None:
    """End the old consumer secret of a rotation: from now on only the new one authenticates."""
    with org_transaction(database) as (ctx, conn, org_id):
        print_json(
            apps.app_view(
                credentials.revoke_old_secret(ctx, conn, apps.find_app(conn, org_id, app), actor=CLI_ACTOR())
            )
        )


@apps_group.command("revoke-tokens")
@click.argument("app")
@options(declared_credentials.APP_TOKEN_REVOCATION, "user")
def apps_revoke_tokens(app: str, user_ref: str | None, database: str | None) -> None:
    """Revoke every access and refresh token of an app (or of one user for it), at once."""
    with org_transaction(database) as (ctx, conn, org_id):
        found = apps.find_app(conn, org_id, app)
        user = users.find_user(conn, org_id, user_ref) if user_ref else None
        print_json(credentials.revoke_tokens(ctx, conn, org_id, user=user, app=found, actor=CLI_ACTOR()))
