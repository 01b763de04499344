"""``forcegate users`` and ``forcegate login-history``."""

from __future__ import annotations

from typing import Any

import click

from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import given, options
from forcegate.org import connected_apps as apps
from forcegate.org import credentials, users
from forcegate.resources import credentials as declared_credentials
from forcegate.resources import user as declared_user
from forcegate.storage import repositories as repo


@click.group("users", cls=OrgCommands)
def users_group() -> None:
    """Users."""


CREATED = ("username", "password", "profile", "email", "first_name", "last_name")
CHANGED = (
    "is_active",
    "profile",
    "password",
    "email",
    "first_name",
    "last_name",
    "unlock",
    "reset_security_token",
)


@users_group.command("create")
@options(declared_user.CREATE, *CREATED, defaults={"first_name": ""})
def users_create(database: str | None, **values: Any) -> None:
    """Create a user; prints it with its security token (shown once)."""
    fields = given(declared_user.CREATE, values, *CREATED)
    with org_transaction(database) as (ctx, conn, org_id):
        user, security_token = users.create_user(ctx, conn, org_id, actor=CLI_ACTOR(), **fields)
        print_json(users.user_view(conn, user, security_token=security_token))


@users_group.command("list")
def users_list(database: str | None) -> None:
    """All users."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json([users.user_view(conn, u) for u in repo.list_users(conn, org_id)])


@users_group.command("show")
@click.argument("user")
def users_show(user: str, database: str | None) -> None:
    """One user, by record ID or username."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(users.user_view(conn, users.find_user(conn, org_id, user)))


@users_group.command("update")
@click.argument("user")
@options(declared_user.UPDATE, *CHANGED)
def users_update(user: str, database: str | None, **values: Any) -> None:
    """Change a user (deactivating one ends their sessions' access at once)."""
    changes = given(declared_user.UPDATE, values, *CHANGED)
    with org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        updated, security_token = users.update_user(ctx, conn, found, changes, actor=CLI_ACTOR())
        print_json(users.user_view(conn, updated, security_token=security_token))


@users_group.command("revoke-tokens")
@click.argument("user")
@options(declared_credentials.USER_TOKEN_REVOCATION, "app")
def users_revoke_tokens(user: str, app_ref: str | None, database: str | None) -> None:
    """Revoke every access and refresh token of a user (or of the user for one app), at once."""
    with org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        app = apps.find_app(conn, org_id, app_ref) if app_ref else None
        print_json(credentials.revoke_tokens(ctx, conn, org_id, user=found, app=app, actor=CLI_ACTOR()))


@click.command("login-history")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def login_history(limit: int, database: str | None) -> None:
    """Recent authentication attempts, newest first."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(repo.recent_logins(conn, org_id, limit))
