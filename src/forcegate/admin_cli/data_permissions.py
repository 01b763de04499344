"""The options of what a profile or a permission set grants in the data API, shared by
``profiles create|update`` and ``permission-sets update``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from forcegate.storage import permissions as perm_store

F = TypeVar("F", bound=Callable[..., Any])


def options(func: F) -> F:
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


def changes_from(values: dict[str, Any]) -> dict[str, Any]:
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
