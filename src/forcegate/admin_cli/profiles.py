"""``forcegate profiles``: profiles and the data-API permissions they grant."""

from __future__ import annotations

from typing import Any

import click

from forcegate.admin_cli import data_permissions
from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import options
from forcegate.org import permissions
from forcegate.resources import permissions as declared
from forcegate.storage import repositories as repo


@click.group("profiles", cls=OrgCommands)
def profiles_group() -> None:
    """Profiles: every user has one; it grants their data-API permissions."""


@profiles_group.command("list")
def profiles_list(database: str | None) -> None:
    """All profiles with their permissions."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(
            [
                permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", p.name))
                for p in repo.list_profiles(conn, org_id)
            ]
        )


@profiles_group.command("show")
@click.argument("name")
def profiles_show(name: str, database: str | None) -> None:
    """One profile."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", name)))


@profiles_group.command("create")
@options(declared.PROFILE_CREATE, "name")
@data_permissions.options
def profiles_create(name: str, database: str | None, **values: Any) -> None:
    """Create a profile that grants nothing but what the options grant."""
    changes = data_permissions.changes_from(values)
    with org_transaction(database) as (ctx, conn, org_id):
        profile = permissions.create_profile(ctx, conn, org_id, name, actor=CLI_ACTOR())
        permissions.apply_changes(ctx, conn, org_id, profile, changes, actor=CLI_ACTOR())
        print_json(
            permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", profile.name))
        )


@profiles_group.command("update")
@click.argument("name")
@data_permissions.options
def profiles_update(name: str, database: str | None, **values: Any) -> None:
    """Change a profile's permissions (named objects and fields are replaced, others kept)."""
    changes = data_permissions.changes_from(values)
    with org_transaction(database) as (ctx, conn, org_id):
        profile = permissions.find_parent(conn, org_id, "profile", name)
        permissions.apply_changes(ctx, conn, org_id, profile, changes, actor=CLI_ACTOR())
        print_json(
            permissions.parent_view(conn, permissions.find_parent(conn, org_id, "profile", profile.name))
        )
