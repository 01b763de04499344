"""Objects and fields as data: loading an org's schema, installing the standard objects, and the
admin operations that add custom objects and fields (with the DDL that gives them storage).

Each process caches an org's schema and checks ``data_schema_versions`` (one indexed read) before
using it, so a field added by one process is seen by all of them at their next request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    MetaData,
    String,
    Table,
    false,
    insert,
    select,
    update,
)

from forcegate.data.errors import DataApiError
from forcegate.data.standard import STANDARD_OBJECTS, FieldSpec, ObjectSpec, label_for, record_system_fields
from forcegate.ids import new_id
from forcegate.model.objects import (
    ChildRelationship,
    FieldInfo,
    ObjectInfo,
    OrgSchema,
    build_table,
    column_type,
)
from forcegate.storage.schema import data_fields, data_objects, data_schema_versions

__all__ = [
    "CUSTOM_FIELD_TYPES",
    "create_custom_field",
    "create_custom_object",
    "field_info",
    "install_standard_objects",
    "load_schema",
    "object_names",
]

CUSTOM_OBJECT_PREFIX = "01I"  # Salesforce's CustomObject definitions
CUSTOM_FIELD_PREFIX = "00N"  # Salesforce's CustomField definitions
RUNTIME_TABLE_PREFIX = "cx_"  # custom objects' record tables, created at run time

# Field types an admin may give a custom field, and their defaults (length, precision, scale).
CUSTOM_FIELD_TYPES: dict[str, tuple[int, int, int]] = {
    "string": (255, 0, 0),
    "textarea": (32768, 0, 0),
    "email": (80, 0, 0),
    "phone": (40, 0, 0),
    "url": (255, 0, 0),
    "picklist": (255, 0, 0),
    "boolean": (0, 0, 0),
    "int": (0, 9, 0),
    "double": (0, 18, 2),
    "currency": (0, 18, 2),
    "percent": (0, 5, 2),
    "date": (0, 0, 0),
    "datetime": (0, 0, 0),
    "reference": (18, 0, 0),
}

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$")


# --- loading ------------------------------------------------------------------------------------

_cache: dict[str, OrgSchema] = {}
_cache_lock = threading.Lock()


def _schema_version(conn: Connection, org_id: str) -> int | None:
    return conn.execute(
        select(data_schema_versions.c.version).where(data_schema_versions.c.org_id == org_id)
    ).scalar_one_or_none()


def load_schema(conn: Connection, org_id: str) -> OrgSchema:
    """The org's objects and fields (installing the standard ones on first use needs a write
    connection; orgs made by ``ensure_org`` already have them)."""
    version = _schema_version(conn, org_id)
    if version is None:
        install_standard_objects(conn, org_id, 0)
        version = _schema_version(conn, org_id)
        assert version is not None
    cached = _cache.get(org_id)
    if cached is not None and cached.version == version:
        return cached
    schema = _read_schema(conn, org_id, version)
    with _cache_lock:
        _cache[org_id] = schema
    return schema


def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def _read_schema(conn: Connection, org_id: str, version: int) -> OrgSchema:
    objects: dict[str, ObjectInfo] = {}
    by_id: dict[str, ObjectInfo] = {}
    for row in conn.execute(
        select(data_objects).where(data_objects.c.org_id == org_id).order_by(data_objects.c.name_lower)
    ):
        info = ObjectInfo(
            id=row.id, name=row.name, label=row.label, plural_label=row.plural_label,
            key_prefix=row.key_prefix, table_name=row.table_name, org_column=row.org_column,
            custom=row.is_custom, createable=row.createable, updateable=row.updateable,
            deletable=row.deletable, soft_delete=row.soft_delete,
        )  # fmt: skip
        objects[row.name_lower] = info
        by_id[row.id] = info
    rows = conn.execute(
        select(data_fields)
        .where(data_fields.c.org_id == org_id)
        .order_by(data_fields.c.position, data_fields.c.name_lower)
    )
    for row in rows:
        info = by_id[row.object_id]
        f = FieldInfo(
            name=row.name, label=row.label, type=row.type, length=row.length, precision=row.precision,
            scale=row.scale, nillable=row.nillable, createable=row.createable, updateable=row.updateable,
            required=row.required, column=row.column_name, expression=_json(row.expression),
            reference_to=row.reference_to, relationship_name=row.relationship_name,
            child_relationship_name=row.child_relationship_name,
            picklist=tuple(_json(row.picklist_values) or ()), default=_json(row.default_value),
            custom=row.is_custom, system=row.is_system, name_field=row.is_name_field,
        )  # fmt: skip
        info.fields.append(f)
        info.by_lower[f.name.lower()] = f
        if f.relationship_name and f.reference_to:
            info.relationships[f.relationship_name.lower()] = f
    for info in objects.values():
        for f in info.fields:
            if f.child_relationship_name and f.reference_to:
                parent = objects.get(f.reference_to.lower())
                if parent is not None:
                    parent.children.append(ChildRelationship(f.child_relationship_name, info.name, f.name))
        info.table = build_table(info)
    return OrgSchema(org_id, version, objects)


def field_info(conn: Connection, org_id: str, object_name: str, field_name: str) -> FieldInfo | None:
    """A field by object and field name in any case (None when either does not exist)."""
    obj = load_schema(conn, org_id).object(object_name)
    return obj.field(field_name) if obj is not None else None


def object_names(conn: Connection, org_id: str) -> list[str]:
    """Every object's API name, standard and custom (for permission admin commands)."""
    return sorted(o.name for o in load_schema(conn, org_id).objects.values())


# --- writing metadata ---------------------------------------------------------------------------


def _bump(conn: Connection, org_id: str) -> None:
    changed = conn.execute(
        update(data_schema_versions)
        .where(data_schema_versions.c.org_id == org_id)
        .values(version=data_schema_versions.c.version + 1)
    ).rowcount
    if not changed:
        conn.execute(insert(data_schema_versions).values(org_id=org_id, version=1))


def _insert_field(
    conn: Connection, org_id: str, object_id: str, spec: FieldSpec, position: int, now_ms: int, custom: bool
) -> None:
    conn.execute(
        insert(data_fields).values(
            id=new_id(CUSTOM_FIELD_PREFIX), org_id=org_id, object_id=object_id, name=spec.name,
            name_lower=spec.name.lower(), label=spec.label or label_for(spec.name), type=spec.type,
            length=spec.length, precision=spec.precision, scale=spec.scale, nillable=spec.nillable,
            createable=spec.createable, updateable=spec.updateable, required=spec.required,
            column_name=spec.column,
            expression=json.dumps(spec.expression) if spec.expression is not None else None,
            reference_to=spec.reference_to, relationship_name=spec.relationship_name,
            child_relationship_name=spec.child_relationship_name,
            picklist_values=json.dumps(list(spec.picklist)) if spec.picklist else None,
            default_value=json.dumps(spec.default) if spec.default is not None else None,
            is_custom=custom, is_system=spec.system, is_name_field=spec.name_field, position=position,
            created_ms=now_ms,
        )
    )  # fmt: skip


def _insert_object(conn: Connection, org_id: str, spec: ObjectSpec, now_ms: int) -> str:
    object_id = new_id(CUSTOM_OBJECT_PREFIX)
    conn.execute(
        insert(data_objects).values(
            id=object_id, org_id=org_id, name=spec.name, name_lower=spec.name.lower(), label=spec.label,
            plural_label=spec.plural_label, key_prefix=spec.key_prefix, table_name=spec.table_name,
            org_column=spec.org_column, is_custom=spec.custom, createable=spec.createable,
            updateable=spec.updateable, deletable=spec.deletable, soft_delete=spec.soft_delete,
            created_ms=now_ms,
        )
    )  # fmt: skip
    return object_id


def install_standard_objects(conn: Connection, org_id: str, now_ms: int) -> None:
    """Write the standard objects' definitions for the org; fields added to a definition since are
    added too. Idempotent (run by ``ensure_org``)."""
    existing = {
        r.name_lower: r.id
        for r in conn.execute(
            select(data_objects.c.name_lower, data_objects.c.id).where(data_objects.c.org_id == org_id)
        )
    }
    changed = False
    for spec in STANDARD_OBJECTS:
        object_id = existing.get(spec.name.lower())
        if object_id is None:
            object_id = _insert_object(conn, org_id, spec, now_ms)
            have: set[str] = set()
            changed = True
        else:
            have = set(
                conn.execute(
                    select(data_fields.c.name_lower).where(data_fields.c.object_id == object_id)
                ).scalars()
            )
        for position, fspec in enumerate(spec.fields):
            if fspec.name.lower() not in have:
                _insert_field(conn, org_id, object_id, fspec, position, now_ms, custom=False)
                changed = True
    if changed or _schema_version(conn, org_id) is None:
        _bump(conn, org_id)


def _check_custom_name(name: str, what: str) -> str:
    if not name.endswith("__c"):
        raise DataApiError("INVALID_INPUT", f"a custom {what}'s API name ends with __c: {name!r}")
    base = name[:-3]
    if not _API_NAME.match(base) or len(name) > 40 or "__" in base:
        raise DataApiError(
            "INVALID_INPUT",
            f"invalid custom {what} name {name!r}: letters, digits and single underscores, "
            "starting with a letter, at most 40 characters with the __c suffix",
        )
    return name


def _next_key_prefix(schema: OrgSchema) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    used = {o.key_prefix for o in schema.objects.values()}
    # Salesforce numbers custom objects a00, a01, ... a0x, ... a10...
    for second in alphabet:
        for third in alphabet:
            prefix = "a" + second + third
            if prefix not in used:
                return prefix
    raise DataApiError("LIMIT_EXCEEDED", "too many custom objects")


def create_custom_object(
    conn: Connection,
    org_id: str,
    name: str,
    label: str | None = None,
    plural_label: str | None = None,
    now_ms: int = 0,
) -> ObjectInfo:
    """Define ``Thing__c`` and create its record table (a name field, owner and the system fields)."""
    _check_custom_name(name, "object")
    schema = load_schema(conn, org_id)
    if schema.object(name) is not None:
        raise DataApiError("DUPLICATE_DEVELOPER_NAME", f"an object named {name} already exists")
    digest = hashlib.sha256(f"{org_id}:{name.lower()}".encode()).hexdigest()[:20]
    label = label or label_for(name[:-3]).replace("_", " ")
    spec = ObjectSpec(
        name=name,
        label=label,
        plural_label=plural_label or label + "s",
        key_prefix=_next_key_prefix(schema),
        table_name=f"{RUNTIME_TABLE_PREFIX}{digest}",
        fields=(
            *record_system_fields(),
            FieldSpec(
                "Name", "string", "name", label=f"{label} Name", length=80, nillable=False, name_field=True
            ),
        ),
        custom=True,
    )
    object_id = _insert_object(conn, org_id, spec, now_ms)
    for position, fspec in enumerate(spec.fields):
        _insert_field(conn, org_id, object_id, fspec, position, now_ms, custom=False)
    table = Table(
        spec.table_name,
        MetaData(),
        Column("id", String(18), primary_key=True),
        Column("org_id", String(18), nullable=False),
        Column("owner_id", String(18), nullable=True),
        Column("is_deleted", Boolean, nullable=False, server_default=false()),
        Column("created_ms", BigInteger, nullable=False),
        Column("created_by_id", String(18), nullable=True),
        Column("modified_ms", BigInteger, nullable=False),
        Column("modified_by_id", String(18), nullable=True),
        Column("name", String(80), nullable=True),
        Index(f"ix_{spec.table_name}_org_modified", "org_id", "modified_ms"),
    )
    table.create(conn)
    _bump(conn, org_id)
    created = load_schema(conn, org_id).object(name)
    assert created is not None
    return created


def create_custom_field(
    conn: Connection,
    org_id: str,
    object_name: str,
    name: str,
    type_: str,
    *,
    label: str | None = None,
    length: int | None = None,
    precision: int | None = None,
    scale: int | None = None,
    required: bool = False,
    picklist: tuple[str, ...] = (),
    reference_to: str | None = None,
    relationship_name: str | None = None,
    child_relationship_name: str | None = None,
    now_ms: int = 0,
) -> FieldInfo:
    """Add ``Name__c`` to a standard or custom object: a data_fields row and a column (ALTER TABLE)."""
    _check_custom_name(name, "field")
    schema = load_schema(conn, org_id)
    obj = schema.object(object_name)
    if obj is None or obj.table_name in ("users", "orgs", "login_history"):
        raise DataApiError("INVALID_TYPE", f"no object {object_name!r} to which custom fields can be added")
    if obj.field(name) is not None:
        raise DataApiError("DUPLICATE_DEVELOPER_NAME", f"{obj.name} already has a field named {name}")
    if type_ not in CUSTOM_FIELD_TYPES:
        raise DataApiError("INVALID_INPUT", f"unknown field type {type_!r}")
    d_length, d_precision, d_scale = CUSTOM_FIELD_TYPES[type_]
    target: ObjectInfo | None = None
    if type_ == "reference":
        target = schema.object(reference_to or "")
        if target is None:
            raise DataApiError(
                "INVALID_INPUT", f"a reference field needs an existing object: {reference_to!r}"
            )
        relationship_name = relationship_name or name[:-3] + "__r"
        child_relationship_name = child_relationship_name or (obj.plural_label.replace(" ", "_") + "__r")
        if target.child(child_relationship_name) is not None:
            raise DataApiError(
                "DUPLICATE_DEVELOPER_NAME",
                f"{target.name} already has a child relationship {child_relationship_name}",
            )
    elif reference_to:
        raise DataApiError("INVALID_INPUT", "only reference fields refer to another object")
    length_value = length if length is not None else d_length
    if type_ == "string" and not 1 <= length_value <= 255:
        raise DataApiError("INVALID_INPUT", "a text field's length is 1 to 255")
    column = name.lower()
    if column in _table_columns(conn, obj.table_name):
        # Standard objects' tables are shared by the orgs: another org has a field of that name.
        column = f"{column[:-3]}_{hashlib.sha256(org_id.encode()).hexdigest()[:8]}__c"
        if column in _table_columns(conn, obj.table_name):
            raise DataApiError("DUPLICATE_DEVELOPER_NAME", f"{obj.name} already has a field named {name}")
    spec = FieldSpec(
        name=name,
        type=type_,
        column=column,
        label=label or label_for(name[:-3]).replace("_", " "),
        length=length_value,
        precision=precision if precision is not None else d_precision,
        scale=scale if scale is not None else d_scale,
        nillable=not required and type_ != "boolean",
        required=required,
        reference_to=target.name if target else None,
        relationship_name=relationship_name if target else None,
        child_relationship_name=child_relationship_name if target else None,
        picklist=picklist,
        default=False if type_ == "boolean" else None,
    )
    position = len(obj.fields) + 1000
    _insert_field(conn, org_id, obj.id, spec, position, now_ms, custom=True)
    # A new checkbox is false on the records that exist already, as in Salesforce.
    server_default = false() if type_ == "boolean" else None
    _add_column(
        conn,
        obj.table_name,
        Column(column, column_type(type_, spec.length), nullable=True, server_default=server_default),
    )
    _bump(conn, org_id)
    created = load_schema(conn, org_id).object(obj.name)
    assert created is not None
    found = created.field(name)
    assert found is not None
    return found


def _table_columns(conn: Connection, table_name: str) -> set[str]:
    from sqlalchemy import inspect

    return {c["name"] for c in inspect(conn).get_columns(table_name)}


def _add_column(conn: Connection, table_name: str, column: Column[Any]) -> None:
    """ALTER TABLE … ADD COLUMN through Alembic's operations (quoting and dialect handled there)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    Operations(MigrationContext.configure(conn)).add_column(table_name, column)
