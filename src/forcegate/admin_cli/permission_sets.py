"""``forcegate permission-sets``: permission sets, what they grant and whom they are assigned to."""

from __future__ import annotations

from typing import Any

import click

from forcegate.admin_cli import data_permissions
from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import options
from forcegate.org import access, permissions, users
from forcegate.resources import permissions as declared
from forcegate.storage import repositories as repo


@click.group("permission-sets", cls=OrgCommands)
def permission_sets_group() -> None:
    """Permission sets."""


@permission_sets_group.command("create")
@options(declared.PERMISSION_SET_CREATE, "name", "label")
def permission_sets_create(name: str, label: str | None, database: str | None) -> None:
    """Create a permission set."""
    with org_transaction(database) as (ctx, conn, org_id):
        print_json(
            {
                "id": access.create_permission_set(ctx, conn, org_id, name, label, actor=CLI_ACTOR()),
                "name": name,
            }
        )


@permission_sets_group.command("list")
def permission_sets_list(database: str | None) -> None:
    """All permission sets."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(repo.list_permission_sets(conn, org_id))


@permission_sets_group.command("assign")
@click.argument("permission_set")
@options(declared.ASSIGNMENT, "user")
def permission_sets_assign(permission_set: str, user_ref: str, database: str | None) -> None:
    """Assign a permission set to a user."""
    with org_transaction(database) as (ctx, conn, org_id):
        user = users.find_user(conn, org_id, user_ref)
        access.assign_permission_set(ctx, conn, org_id, permission_set, user, actor=CLI_ACTOR())
        print_json(users.user_view(conn, user))


@permission_sets_group.command("show")
@click.argument("name")
def permission_sets_show(name: str, database: str | None) -> None:
    """One permission set with its permissions."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(
            permissions.parent_view(conn, permissions.find_parent(conn, org_id, "permission_set", name))
        )


@permission_sets_group.command("update")
@click.argument("name")
@data_permissions.options
def permission_sets_update(name: str, database: str | None, **values: Any) -> None:
    """Change a permission set's permissions (named objects and fields are replaced, others kept)."""
    changes = data_permissions.changes_from(values)
    with org_transaction(database) as (ctx, conn, org_id):
        found = permissions.find_parent(conn, org_id, "permission_set", name)
        permissions.apply_changes(ctx, conn, org_id, found, changes, actor=CLI_ACTOR())
        print_json(
            permissions.parent_view(conn, permissions.find_parent(conn, org_id, "permission_set", name))
        )


@permission_sets_group.command("unassign")
@click.argument("permission_set")
@options(declared.ASSIGNMENT, "user")
def permission_sets_unassign(permission_set: str, user_ref: str, database: str | None) -> None:
    """Take a permission set away from a user."""
    with org_transaction(database) as (ctx, conn, org_id):
        user = users.find_user(conn, org_id, user_ref)
        found = permissions.find_parent(conn, org_id, "permission_set", permission_set)
        permissions.unassign(ctx, conn, found, user, actor=CLI_ACTOR())
        print_json(users.user_view(conn, user))
