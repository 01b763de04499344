"""``forcegate users`` and ``forcegate login-history``."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import OrgCommands, org_transaction, print_json
from forcegate.org import connected_apps as apps
from forcegate.org import credentials, users
from forcegate.storage import repositories as repo


@click.group("users", cls=OrgCommands)
def users_group() -> None:
    """Users."""


@users_group.command("create")
@click.option("--username", required=True, help="Email-shaped and unique.")
@click.option("--password", required=True)
@click.option("--profile", default=None, help='Profile name [default: "Standard User"].')
@click.option("--email", default=None, help="[default: the username]")
@click.option("--first-name", default="")
@click.option("--last-name", default=None)
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
    with org_transaction(database) as (ctx, conn, org_id):
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
@click.option("--active/--inactive", default=None)
@click.option("--profile", default=None)
@click.option("--password", default=None)
@click.option("--email", default=None)
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@click.option("--unlock", is_flag=True, help="Lift a login lockout at once (a new --password does too).")
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
    with org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        updated, security_token = users.update_user(
            ctx, conn, found, {k: v for k, v in changes.items() if v is not None}
        )
        print_json(users.user_view(conn, updated, security_token=security_token))


@users_group.command("revoke-tokens")
@click.argument("user")
@click.option("--app", "app_ref", help="Only the tokens of this app (record ID, consumer key or name).")
def users_revoke_tokens(user: str, app_ref: str | None, database: str | None) -> None:
    """Revoke every access and refresh token of a user (or of the user for one app), at once."""
    with org_transaction(database) as (ctx, conn, org_id):
        found = users.find_user(conn, org_id, user)
        app = apps.find_app(conn, org_id, app_ref) if app_ref else None
        print_json(credentials.revoke_tokens(ctx, conn, org_id, user=found, app=app))


@click.command("login-history")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def login_history(limit: int, database: str | None) -> None:
    """Recent authentication attempts, newest first."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(repo.recent_logins(conn, org_id, limit))
