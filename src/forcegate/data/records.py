"""Reading and writing single records (``/sobjects/{Type}[/{Id}]``), validated field by field as
Salesforce does, with soft delete."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, false, func, insert, select, update

from forcegate.context import Context
from forcegate.data.describe import field_editable, field_visible, not_found, readable_object
from forcegate.data.errors import DataApiError
from forcegate.data.metadata import load_schema
from forcegate.data.values import to_json
from forcegate.ids import InvalidId, new_id, normalize_id
from forcegate.model.access import Caller
from forcegate.model.objects import FieldInfo, ObjectInfo, OrgSchema
from forcegate.soql.translate import field_sql
from forcegate.storage.schema import data_schema_versions

__all__ = ["create_record", "delete_record", "get_record", "update_record"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_JAVA_TYPES = {
    "boolean": "boolean", "int": "int", "double": "double", "currency": "double", "percent": "double",
    "date": "Date", "datetime": "Datetime",
}  # fmt: skip


def _insufficient() -> DataApiError:
    return DataApiError(
        "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id", status=403
    )


def _record_id(obj: ObjectInfo, record_id: str) -> str:
    try:
        canonical = normalize_id(record_id)
    except InvalidId:
        raise DataApiError(
            "MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", fields=["Id"]
        ) from None
    if not canonical.startswith(obj.key_prefix):
        raise not_found()
    return canonical


def _no_such_column(obj: ObjectInfo, name: str) -> DataApiError:
    return DataApiError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}")


def get_record(
    ctx: Context, caller: Caller, object_name: str, record_id: str, version: str, fields: list[str] | None
) -> dict[str, Any]:
    with ctx.db.read() as conn:
        schema = load_schema(conn, caller.org_id)
        obj = readable_object(schema, caller, object_name)
        canonical = _record_id(obj, record_id)
        if fields is None:
            chosen = [f for f in obj.fields if field_visible(caller, obj, f)]
        else:
            chosen = []
            for name in fields:
                f = obj.field(name.strip())
                if f is None or not field_visible(caller, obj, f):
                    raise DataApiError(
                        "INVALID_FIELD",
                        f"No such column '{name.strip()}' on entity '{obj.name}'. If you are "
                        "attempting to use a "
                        "custom field, be sure to append the '__c' after the custom field name. Please "
                        "reference your WSDL or the describe call for the appropriate names.",
                    )
                if f not in chosen:
                    chosen.append(f)
        table = obj.sa_table
        columns = [field_sql(f, table).label(f"c{i}") for i, f in enumerate(chosen)]
        # The id is selected even when no field is: SQLite has no row of zero columns (``?fields=``).
        statement = select(table.c.id, *columns, *([table.c.is_deleted] if obj.soft_delete else [])).where(
            table.c.id == canonical, table.c[obj.org_column] == caller.org_id
        )
        row = conn.execute(statement).first()
    if row is None or (obj.soft_delete and row.is_deleted):
        raise not_found()
    record: dict[str, Any] = {
        "attributes": {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{canonical}"}
    }
    for i, f in enumerate(chosen):
        record[f.name] = to_json(f, row._mapping[f"c{i}"])
    return record


def _coerce(conn: Connection, schema: OrgSchema, obj: ObjectInfo, f: FieldInfo, value: Any) -> Any:
    """A JSON value → the stored value for the field, or Salesforce's refusal."""
    if value is None:
        if not f.nillable and f.type != "boolean":
            raise DataApiError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]", fields=[f.name]
            )
        return False if f.type == "boolean" else None
    kind = f.type

    def wrong() -> DataApiError:
        java = _JAVA_TYPES.get(kind, "String")
        shown = str(value)[:100]
        return DataApiError(
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {java} from {type(value).__name__} value {shown} or "
            "request may be "
            f"missing a required field",
        )

    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise wrong()
    if kind in ("int", "double", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong()
        if not math.isfinite(value) or abs(value) >= (2**31 if kind == "int" else 10**18):
            raise DataApiError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{f.label}: value outside of valid range on numeric field: {value}",
                fields=[f.name],
            )  # fmt: skip
        if kind == "int":
            if int(value) != value:
                raise wrong()
            return int(value)
        return float(value)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10]) if isinstance(value, str) else _raise(wrong())
        except ValueError:
            raise wrong() from None
    if kind == "datetime":
        if not isinstance(value, str):
            raise wrong()
        try:
            text = value.replace("Z", "+00:00")
            if re.search(r"[+-]\d{4}$", text):
                text = text[:-2] + ":" + text[-2:]
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise wrong() from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return int(moment.timestamp() * 1000)
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong()
        value = str(value)
    if kind == "reference":
        return _reference(conn, schema, obj, f, value)
    if value == "" and kind != "string":
        # Salesforce reads "" as null for every type but text: a required picklist refuses it as such.
        return _coerce(conn, schema, obj, f, None)
    if f.length and len(value) > f.length:
        raise DataApiError(
            "STRING_TOO_LONG",
            f"{f.label}: data value too large: {value[:50]} (max length={f.length})",
            fields=[f.name],
        )
    if kind == "email" and value and not _EMAIL.match(value):
        raise DataApiError(
            "INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {value}", fields=[f.name]
        )
    return value


def _raise(error: DataApiError) -> Any:
    raise error


def _reference(conn: Connection, schema: OrgSchema, obj: ObjectInfo, f: FieldInfo, value: str) -> str | None:
    if value == "":
        if not f.nillable:
            raise DataApiError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]", fields=[f.name]
            )
        return None
    target = schema.object(f.reference_to or "")
    try:
        canonical = normalize_id(value)
    except InvalidId:
        raise DataApiError(
            "MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", fields=[f.name]
        ) from None
    if target is None:
        return canonical
    if not canonical.startswith(target.key_prefix):
        raise DataApiError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"{f.label}: id value of incorrect type: {value}",
            fields=[f.name],
        )
    table = target.sa_table
    found = select(table.c.id).where(table.c.id == canonical, table.c[target.org_column] == schema.org_id)
    if target.soft_delete:
        found = found.where(table.c.is_deleted == false())
    if conn.execute(found).first() is None:
        raise DataApiError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fields=[f.name])
    return canonical


def _values(
    conn: Connection,
    schema: OrgSchema,
    caller: Caller,
    obj: ObjectInfo,
    values: Mapping[str, Any],
    *,
    creating: bool,
) -> dict[FieldInfo, Any]:
    if not isinstance(values, Mapping):
        raise DataApiError(
            "JSON_PARSER_ERROR", "Cannot deserialize instance of the sobject from a non-object"
        )
    out: dict[FieldInfo, Any] = {}
    not_editable: list[str] = []
    for name, value in values.items():
        if name == "attributes":
            continue
        f = obj.field(name)
        if f is None or not field_visible(caller, obj, f):
            if name.lower() == "id":
                raise DataApiError(
                    "INVALID_FIELD", "The Id field should not be specified in the sobject data."
                )
            raise _no_such_column(obj, name)
        if f.name == "Id":
            if creating:
                raise DataApiError(
                    "INVALID_FIELD", "The Id field should not be specified in the sobject data."
                )
            continue
        allowed = f.createable if creating else f.updateable
        if not allowed or not field_editable(caller, obj, f):
            not_editable.append(f.name)
            continue
        out[f] = value
    if not_editable:
        action = "create" if creating else "update"
        raise DataApiError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to {action}/update fields: {', '.join(not_editable)}. Please check the security "
            "settings of "
            "this field and verify that it is read/write for your profile or permission set.",
            fields=not_editable,
        )
    return {f: _coerce(conn, schema, obj, f, value) for f, value in out.items()}


def _derived(obj: ObjectInfo, row: dict[str, Any], now_ms: int) -> None:
    """Fields Salesforce computes: an opportunity's IsClosed/IsWon from its stage, a case's IsClosed
    and ClosedDate from its status."""
    if obj.name == "Opportunity" and "stage_name" in row:
        stage = row["stage_name"] or ""
        row["is_closed"] = stage.startswith("Closed")
        row["is_won"] = stage == "Closed Won"
    if obj.name == "Case" and "status" in row:
        closed = row["status"] == "Closed"
        row["is_closed"] = closed
        row["closed_ms"] = now_ms if closed else None


def _writable(schema: OrgSchema, caller: Caller, object_name: str, action: str) -> ObjectInfo:
    obj = readable_object(schema, caller, object_name)
    permissions = caller.access.object_permissions(obj.name)
    allowed = {
        "create": obj.createable and permissions.can_create,
        "edit": obj.updateable and permissions.can_edit,
        "delete": obj.deletable and permissions.can_delete,
    }[action]
    if not allowed:
        raise _insufficient()
    return obj


def _actor(conn: Connection, caller: Caller) -> str | None:
    return caller.user_id


def create_record(ctx: Context, caller: Caller, object_name: str, values: Mapping[str, Any]) -> str:
    now = ctx.now_ms()
    with ctx.db.write() as conn:
        schema = load_schema(conn, caller.org_id)
        obj = _writable(schema, caller, object_name, "create")
        given = _values(conn, schema, caller, obj, values, creating=True)
        row: dict[str, Any] = {}
        for f in obj.fields:
            if f.column is None or f.system:
                continue
            if f in given:
                row[f.column] = given[f]
            elif f.default is not None:
                row[f.column] = f.default
            elif f.type == "boolean":
                row[f.column] = False
        missing = [
            f.name
            for f in obj.fields
            if f.required and f.column and row.get(f.column) in (None, "") and f.name != "OwnerId"
        ]
        if missing:
            raise DataApiError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                fields=missing,
            )
        actor = _actor(conn, caller)
        if "owner_id" in row or obj.field("OwnerId") is not None:
            row["owner_id"] = row.get("owner_id") or actor
        if obj.name == "Case":
            # Case numbers count up per org: concurrent creations queue on the org's schema row
            # (SQLite's write transactions are serial already).
            conn.execute(
                select(data_schema_versions.c.version)
                .where(data_schema_versions.c.org_id == caller.org_id)
                .with_for_update()
            )
            table = obj.sa_table
            count = conn.execute(
                select(func.count()).select_from(table).where(table.c.org_id == caller.org_id)
            ).scalar_one()
            row["case_number"] = f"{int(count) + 1:08d}"
        _derived(obj, row, now)
        record_id = new_id(obj.key_prefix)
        row.update(
            id=record_id, org_id=caller.org_id, is_deleted=False, created_ms=now, modified_ms=now,
            created_by_id=actor, modified_by_id=actor,
        )  # fmt: skip
        conn.execute(insert(obj.sa_table).values(**row))
    return record_id


def _existing(conn: Connection, obj: ObjectInfo, caller: Caller, record_id: str) -> Any:
    canonical = _record_id(obj, record_id)
    table = obj.sa_table
    row = conn.execute(
        select(table.c.id, table.c.is_deleted).where(table.c.id == canonical, table.c.org_id == caller.org_id)
    ).first()
    if row is None:
        raise not_found()
    if row.is_deleted:
        raise DataApiError("ENTITY_IS_DELETED", "entity is deleted", status=404, fields=[])
    return canonical


def update_record(
    ctx: Context, caller: Caller, object_name: str, record_id: str, values: Mapping[str, Any]
) -> None:
    now = ctx.now_ms()
    with ctx.db.write() as conn:
        schema = load_schema(conn, caller.org_id)
        obj = _writable(schema, caller, object_name, "edit")
        canonical = _existing(conn, obj, caller, record_id)
        given = _values(conn, schema, caller, obj, values, creating=False)
        row = {f.column: value for f, value in given.items() if f.column}
        for f, value in given.items():
            if f.required and value in (None, ""):
                raise DataApiError(
                    "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]", fields=[f.name]
                )
        _derived(obj, row, now)
        row.update(modified_ms=now, modified_by_id=_actor(conn, caller))
        conn.execute(update(obj.sa_table).where(obj.sa_table.c.id == canonical).values(**row))


def delete_record(ctx: Context, caller: Caller, object_name: str, record_id: str) -> None:
    now = ctx.now_ms()
    with ctx.db.write() as conn:
        schema = load_schema(conn, caller.org_id)
        obj = _writable(schema, caller, object_name, "delete")
        canonical = _existing(conn, obj, caller, record_id)
        table = obj.sa_table
        conn.execute(
            update(table)
            .where(table.c.id == canonical)
            .values(is_deleted=True, modified_ms=now, modified_by_id=_actor(conn, caller))
        )
