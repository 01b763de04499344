"""Custom objects and fields, as an admin creates them (``forcegate objects|fields create``): the data
layer defines them, this layer records the change in the Setup Audit Trail, in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.data import metadata
from forcegate.org import audit
from forcegate.org.audit import Actor

__all__ = ["create_custom_field", "create_custom_object"]


def create_custom_object(
    ctx: Context,
    conn: Connection,
    org_id: str,
    name: str,
    label: str | None,
    plural_label: str | None,
    *,
    actor: Actor,
) -> Any:
    now = ctx.now_ms()
    info = metadata.create_custom_object(conn, org_id, name, label, plural_label, now_ms=now)
    audit.record(
        conn, now, org_id, actor, section=audit.CUSTOM_OBJECTS, action="custom_object.created",
        target=info.name, display=f"Created custom object: {info.label}",
        changes=audit.diff({}, {"label": info.label, "plural_label": info.plural_label},
                           ("label", "plural_label")),
    )  # fmt: skip
    return info


def create_custom_field(
    ctx: Context, conn: Connection, org_id: str, object_name: str, name: str, type_: str, *, actor: Actor,
    **options: Any,
) -> Any:  # fmt: skip
    """A custom field; ``options`` as ``metadata.create_custom_field`` takes them."""
    now = ctx.now_ms()
    created = metadata.create_custom_field(conn, org_id, object_name, name, type_, now_ms=now, **options)
    obj = metadata.load_schema(conn, org_id).object(object_name)
    # Salesforce files a field under its object's section: "Customize Accounts" for a standard
    # object, "Custom Objects" for a custom one.
    section = audit.CUSTOM_OBJECTS if obj is None or obj.custom else f"Customize {obj.plural_label}"
    owner = obj.name if obj is not None else object_name
    audit.record(
        conn, now, org_id, actor, section=section, action="custom_field.created",
        target=f"{owner}.{created.name}",
        display=f"Created custom field {created.label} ({created.type}) on {owner}",
        changes=audit.diff({}, {"type": created.type, "label": created.label}, ("type", "label")),
    )  # fmt: skip
    return created
