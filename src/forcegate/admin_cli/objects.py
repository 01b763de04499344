"""``forcegate objects``: the data API's objects (standard and custom)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy import Connection

from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import options
from forcegate.context import Context
from forcegate.resources import schema as declared


@contextmanager
def schema_transaction(database: str | None) -> Iterator[tuple[Context, Connection, str]]:
    """The org's write transaction, in which the data layer's refusals (a taken name, an unknown
    object) also become a message and exit status 1."""
    from forcegate.data.errors import DataApiError

    try:
        with org_transaction(database) as opened:
            yield opened
    except DataApiError as error:
        raise click.ClickException(error.message) from None


def object_view(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "label": info.label,
        "labelPlural": info.plural_label,
        "keyPrefix": info.key_prefix,
        "custom": info.custom,
        "fields": [f"{f.name} ({f.type})" for f in info.fields],
    }


@click.group("objects", cls=OrgCommands)
def objects_group() -> None:
    """Objects of the data API (standard and custom)."""


@objects_group.command("create")
@options(declared.OBJECT_CREATE, *declared.ObjectCreate.model_fields)
def objects_create(name: str, label: str | None, plural_label: str | None, database: str | None) -> None:
    """Create a custom object (with a Name field, an owner and the system fields)."""
    from forcegate.org import customization

    with schema_transaction(database) as (ctx, conn, org_id):
        info = customization.create_custom_object(
            ctx, conn, org_id, name, label, plural_label, actor=CLI_ACTOR()
        )
        print_json(object_view(info))


@objects_group.command("list")
def objects_list(database: str | None) -> None:
    """Every object's API name."""
    from forcegate.data import metadata

    with schema_transaction(database) as (_ctx, conn, org_id):
        print_json(metadata.object_names(conn, org_id))


@objects_group.command("show")
@click.argument("name")
def objects_show(name: str, database: str | None) -> None:
    """An object and its fields."""
    from forcegate.data import metadata

    with schema_transaction(database) as (_ctx, conn, org_id):
        info = metadata.load_schema(conn, org_id).object(name)
        if info is None:
            raise click.ClickException(f"no object named {name!r}")
        print_json(object_view(info))
