"""``forcegate fields``: custom fields of the data API's objects."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import OrgCommands, print_json
from forcegate.admin_cli.objects import schema_transaction


@click.group("fields", cls=OrgCommands)
def fields_group() -> None:
    """Fields of the data API's objects."""


@fields_group.command("create")
@click.argument("object_name", metavar="OBJECT")
@click.option("--name", required=True, help="API name ending in __c, e.g. Name__c.")
@click.option(
    "--type",
    "type_",
    required=True,
    type=click.Choice(
        ["string", "textarea", "email", "phone", "url", "picklist", "boolean", "int", "double",
         "currency", "percent", "date", "datetime", "reference"]
    ),
)  # fmt: skip
@click.option("--label", default=None)
@click.option("--length", type=int, default=None, help="Text fields: maximum length.")
@click.option("--precision", type=int, default=None)
@click.option("--scale", type=int, default=None)
@click.option("--required", is_flag=True, help="Refuse records without a value.")
@click.option("--picklist-value", "picklist", multiple=True, help="Picklist fields: repeat for each value.")
@click.option("--reference-to", default=None, help="Reference fields: the object referred to.")
@click.option("--relationship-name", default=None, help="Reference fields: default <Name>__r.")
@click.option("--child-relationship-name", default=None, help="Reference fields: default <Plural>__r.")
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
    from forcegate.data import metadata

    with schema_transaction(database) as (ctx, conn, org_id):
        created = metadata.create_custom_field(
            conn, org_id, object_name, name, type_, label=label, length=length, precision=precision,
            scale=scale, required=required, picklist=picklist, reference_to=reference_to,
            relationship_name=relationship_name, child_relationship_name=child_relationship_name,
            now_ms=ctx.now_ms(),
        )  # fmt: skip
        print_json(
            {"object": object_name, "name": created.name, "type": created.type, "label": created.label}
        )
