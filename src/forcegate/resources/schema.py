"""Custom objects and fields of the data API (``forcegate objects|fields create``). The rules that
need the org's schema (names free, the referred object existing) are the data layer's
(``data.metadata``), which also holds each field type's default length, precision and scale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from forcegate.data.metadata import CUSTOM_FIELD_TYPES
from forcegate.resources.base import Declaration, Flag, Resource

__all__ = ["FIELD_CREATE", "FIELD_TYPES", "OBJECT_CREATE"]

# The choices are the data layer's list of custom field types (which also holds each type's default
# length, precision and scale): written there once, offered here as the CLI's and the document's choices.
FIELD_TYPES: tuple[str, ...] = tuple(CUSTOM_FIELD_TYPES)
if TYPE_CHECKING:
    FieldType = str
else:
    FieldType = Literal[FIELD_TYPES]


class ObjectCreate(Resource):
    """A custom object (with a Name field, an owner and the system fields)."""

    name: Annotated[
        str,
        Field(description="API name ending in __c, e.g. Thing__c"),
        Flag(help="API name ending in __c, e.g. Thing__c."),
    ]
    label: Annotated[str | None, Field(description="defaults from the name")] = None
    plural_label: Annotated[str | None, Field(description="defaults from the label")] = None


class FieldCreate(Resource):
    """A custom field of a standard or custom object."""

    name: Annotated[
        str,
        Field(description="API name ending in __c, e.g. Name__c"),
        Flag(help="API name ending in __c, e.g. Name__c."),
    ]
    type: Annotated[FieldType, Field(description="the field's type"), Flag(("--type",), name="type_")]
    label: Annotated[str | None, Field(description="defaults from the name")] = None
    length: Annotated[
        int | None,
        Field(description="text fields: maximum length"),
        Flag(help="Text fields: maximum length."),
    ] = None
    precision: Annotated[int | None, Field(description="number fields: digits in all")] = None
    scale: Annotated[int | None, Field(description="number fields: digits after the point")] = None
    required: Annotated[
        bool,
        Field(description="refuse records without a value"),
        Flag(help="Refuse records without a value."),
    ] = False
    picklist: Annotated[
        list[str],
        Field(description="picklist fields: the values"),
        Flag(("--picklist-value",), name="picklist", help="Picklist fields: repeat for each value."),
    ] = []
    reference_to: Annotated[
        str | None,
        Field(description="reference fields: the object referred to"),
        Flag(help="Reference fields: the object referred to."),
    ] = None
    relationship_name: Annotated[
        str | None,
        Field(description="reference fields: default <Name>__r"),
        Flag(help="Reference fields: default <Name>__r."),
    ] = None
    child_relationship_name: Annotated[
        str | None,
        Field(description="reference fields: default <Plural>__r"),
        Flag(help="Reference fields: default <Plural>__r."),
    ] = None


OBJECT_CREATE = Declaration(ObjectCreate)
FIELD_CREATE = Declaration(FieldCreate)
