"""The facts about an org's objects and fields that SOQL, describe and the record API all read.

A schema is data (``data_objects`` / ``data_fields`` rows, loaded by :mod:`forcegate.data.metadata`);
this module is only its shape, with no database access, so the SOQL compiler can be given a schema
built by hand (``tests/unit/test_soql_compiler.py``) and never imports the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.types import TypeEngine

__all__ = [
    "NUMBER_TYPES",
    "STRING_TYPES",
    "ChildRelationship",
    "FieldInfo",
    "ObjectInfo",
    "OrgSchema",
    "build_table",
    "column_type",
]

STRING_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "id", "reference"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})


@dataclass(frozen=True)
class FieldInfo:
    name: str
    label: str
    type: str
    length: int
    precision: int
    scale: int
    nillable: bool
    createable: bool
    updateable: bool
    required: bool
    column: str | None
    expression: dict[str, Any] | None
    reference_to: str | None
    relationship_name: str | None
    child_relationship_name: str | None
    picklist: tuple[str, ...]
    default: Any
    custom: bool
    system: bool
    name_field: bool

    @property
    def is_string(self) -> bool:
        return self.type in STRING_TYPES and self.type not in ("id", "reference")


@dataclass(frozen=True)
class ChildRelationship:
    name: str  # "Contacts"
    child_object: str  # "Contact"
    field: str  # "AccountId"


@dataclass
class ObjectInfo:
    id: str
    name: str
    label: str
    plural_label: str
    key_prefix: str
    table_name: str
    org_column: str
    custom: bool
    createable: bool
    updateable: bool
    deletable: bool
    soft_delete: bool
    fields: list[FieldInfo] = field(default_factory=list)
    by_lower: dict[str, FieldInfo] = field(default_factory=dict)
    relationships: dict[str, FieldInfo] = field(default_factory=dict)  # lower relationship name
    children: list[ChildRelationship] = field(default_factory=list)
    table: Table | None = None

    def field(self, name: str) -> FieldInfo | None:
        return self.by_lower.get(name.lower())

    def child(self, name: str) -> ChildRelationship | None:
        lowered = name.lower()
        return next((c for c in self.children if c.name.lower() == lowered), None)

    @property
    def name_field(self) -> FieldInfo | None:
        return next((f for f in self.fields if f.name_field), None)

    @property
    def sa_table(self) -> Table:
        assert self.table is not None
        return self.table


@dataclass
class OrgSchema:
    org_id: str
    version: int
    objects: dict[str, ObjectInfo]  # by lower-cased name

    def object(self, name: str) -> ObjectInfo | None:
        return self.objects.get(name.lower())

    def by_prefix(self, prefix: str) -> ObjectInfo | None:
        return next((o for o in self.objects.values() if o.key_prefix == prefix), None)


def column_type(type_: str, length: int) -> TypeEngine[Any]:
    """The SQL type of a field's stored column (date-times are epoch milliseconds, as elsewhere)."""
    if type_ == "boolean":
        return Boolean()
    if type_ == "int":
        return Integer()
    if type_ in ("double", "currency", "percent"):
        return Float()
    if type_ == "date":
        return Date()
    if type_ == "datetime":
        return BigInteger()
    if type_ == "textarea" and length > 255:
        return Text()
    return String(max(length, 18))


def build_table(info: ObjectInfo) -> Table:
    """A SQLAlchemy view of the object's table holding just the columns its fields use."""
    columns: dict[str, Column[Any]] = {
        "id": Column("id", String(18), primary_key=True),
        info.org_column: Column(info.org_column, String(18)),
    }
    for f in info.fields:
        if f.column and f.column not in columns:
            columns[f.column] = Column(f.column, column_type(f.type, f.length))
    if info.soft_delete and "is_deleted" not in columns:
        columns["is_deleted"] = Column("is_deleted", Boolean())
    return Table(info.table_name, MetaData(), *columns.values())
