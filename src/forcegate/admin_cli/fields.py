"""``forcegate fields``: custom fields of the data API's objects."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, print_json
from forcegate.admin_cli.declared import options
from forcegate.admin_cli.objects import schema_transaction
from forcegate.resources import schema as declared


@click.group("fields", cls=OrgCommands)
def fields_group() -> None:
    """Fields of the data API's objects."""


@fields_group.command("create")
@click.argument("object_name", metavar="OBJECT")
@options(declared.FIELD_CREATE, *declared.FieldCreate.model_fields)
def fields_create(
    object_name: str,
    name: str,
    type_: str,
    label: str | None,
    length: int | None,
    precision: int | None,
    scale: int | None,
    required: bool,
    picklist: tuple[str, ...],
    reference_to: str | None,
    relationship_name: str | None,
    child_relationship_name: str | None,
    database: str | None,
) -> None:
    """Add a custom field to an object (standard or custom)."""
    from forcegate.org import customization

    with schema_transaction(database) as (ctx, conn, org_id):
        created = customization.create_custom_field(
            ctx, conn, org_id, object_name, name, type_, label=label, length=length,
            precision=precision, scale=scale, required=required, picklist=picklist,
            reference_to=reference_to, relationship_name=relationship_name,
            child_relationship_name=child_relationship_name, actor=CLI_ACTOR(),
        )  # fmt: skip
        print_json(
            {"object": object_name, "name": created.name, "type": created.type, "label": created.label}
        )
