"""The options of what a profile or a permission set grants in the data API, shared by
``profiles create|update`` and ``permission-sets update``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from forcegate.admin_cli.declared import given
from forcegate.admin_cli.declared import options as declared_options
from forcegate.resources import permissions as declared

F = TypeVar("F", bound=Callable[..., Any])


# What a profile or permission set grants in the data API, as declared.
GRANTS = (*declared.SYSTEM_PERMISSIONS, "object_permissions", "field_permissions")
options = declared_options(declared.CHANGES, *GRANTS)


def changes_from(values: dict[str, Any]) -> dict[str, Any]:
    changes = given(declared.CHANGES, values, *declared.SYSTEM_PERMISSIONS)
    kinds = (("objects", declared.OBJECT_FLAGS), ("fields", declared.FIELD_FLAGS))
    for kind, flag_declaration in kinds:
        flags = tuple(f.name for f in flag_declaration.fields())
        parsed: dict[str, dict[str, bool]] = {}
        for spec in values.get(kind) or ():
            name, colon, perms = spec.partition(":")
            given_flags = {p.strip() for p in perms.split(",") if p.strip()}
            if not colon or given_flags - set(flags):
                raise click.BadParameter(f"{spec!r}: expected NAME:PERMS with PERMS from {', '.join(flags)}")
            parsed[name.strip()] = {flag: flag in given_flags for flag in flags}
        if parsed:
            changes["object_permissions" if kind == "objects" else "field_permissions"] = parsed
    return changes
