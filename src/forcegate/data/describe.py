"""Describe documents (``/sobjects``, ``/sobjects/{Type}``, ``/sobjects/{Type}/describe``) from the
org's schema rows, filtered by what the caller may see and do."""

from __future__ import annotations

from typing import Any

from forcegate.context import Context
from forcegate.data.errors import DataApiError
from forcegate.data.metadata import load_schema
from forcegate.model import visible
from forcegate.model.access import Caller
from forcegate.model.objects import FieldInfo, ObjectInfo, OrgSchema
from forcegate.model.visible import SYSTEM_ALWAYS_READABLE

__all__ = ["describe_global", "describe_sobject", "readable_object", "sobject_basic_info"]

_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime",
}  # fmt: skip


def not_found() -> DataApiError:
    return DataApiError("NOT_FOUND", "The requested resource does not exist", status=404)


def readable_object(schema: OrgSchema, caller: Caller, name: str) -> ObjectInfo:
    """The object, or NOT_FOUND when the org has none by that name or the caller may not read it."""
    info = visible.readable_object(schema, caller.access, name)
    if info is None:
        raise not_found()
    return info


def field_visible(caller: Caller, obj: ObjectInfo, f: FieldInfo) -> bool:
    return visible.field_visible(caller.access, obj, f)


def field_editable(caller: Caller, obj: ObjectInfo, f: FieldInfo) -> bool:
    if f.name.lower() in SYSTEM_ALWAYS_READABLE:
        return False
    permissions = caller.access.field_permissions(obj.name, f.name)
    return permissions.readable and permissions.editable


def _urls(version: str, obj: ObjectInfo) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def _entry(caller: Caller, obj: ObjectInfo, version: str) -> dict[str, Any]:
    permissions = caller.access.object_permissions(obj.name)
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": obj.createable and permissions.can_create,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.deletable and permissions.can_delete,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.plural_label,
        "layoutable": obj.createable,
        "mergeable": False,
        "mruEnabled": obj.createable,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": obj.createable,
        "triggerable": obj.createable,
        "undeletable": obj.soft_delete and obj.deletable and permissions.can_delete,
        "updateable": obj.updateable and permissions.can_edit,
        "urls": _urls(version, obj),
    }


def describe_global(ctx: Context, caller: Caller, version: str) -> dict[str, Any]:
    with ctx.db.read() as conn:
        schema = load_schema(conn, caller.org_id)
    objects = sorted(
        (o for o in schema.objects.values() if caller.access.object_permissions(o.name).can_read),
        key=lambda o: o.name,
    )
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [_entry(caller, o, version) for o in objects],
    }


def sobject_basic_info(ctx: Context, caller: Caller, object_name: str, version: str) -> dict[str, Any]:
    with ctx.db.read() as conn:
        schema = load_schema(conn, caller.org_id)
    obj = readable_object(schema, caller, object_name)
    return {"objectDescribe": _entry(caller, obj, version), "recentItems": []}


def _field(schema: OrgSchema, caller: Caller, obj: ObjectInfo, f: FieldInfo) -> dict[str, Any]:
    permissions = caller.access.object_permissions(obj.name)
    parent = visible.parent_object(schema, caller.access, obj, f)
    editable = field_editable(caller, obj, f)
    is_text = f.type not in _SOAP_TYPES
    long_text = f.type == "textarea" and f.length > 255
    return {
        "aggregatable": not long_text,
        "autoNumber": f.name == "CaseNumber",
        "byteLength": f.length * 3 if is_text or f.type in ("id", "reference") else 0,
        "calculated": f.expression is not None and f.expression.get("kind") == "concat",
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": f.createable and editable and obj.createable and permissions.can_create,
        "custom": f.custom,
        "defaultValue": f.default,
        "defaultValueFormula": None,
        "defaultedOnCreate": f.default is not None or f.system or f.name == "OwnerId" or f.type == "boolean",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": f.precision if f.type == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": not long_text,
        "filteredLookupInfo": None,
        "groupable": not long_text and f.type not in ("double", "currency", "percent", "datetime"),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": f.name == "Id",
        "inlineHelpText": None,
        "label": f.label,
        "length": f.length if is_text or f.type in ("id", "reference") else 0,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name_field,
        "namePointing": False,
        "nillable": f.nillable,
        "permissionable": f.nillable and not f.system,
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == f.default,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in f.picklist
        ],
        "polymorphicForeignKey": False,
        "precision": f.precision if f.type in ("double", "currency", "percent") else 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": [parent.name] if parent else [],
        "relationshipName": f.relationship_name if parent else None,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": f.scale if f.type in ("double", "currency", "percent") else 0,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPES.get(f.type, "xsd:string"),
        "sortable": not long_text,
        "type": f.type,
        "unique": False,
        "updateable": f.updateable and editable and obj.updateable and permissions.can_edit,
        "writeRequiresMasterRead": False,
    }


def describe_sobject(ctx: Context, caller: Caller, object_name: str, version: str) -> dict[str, Any]:
    with ctx.db.read() as conn:
        schema = load_schema(conn, caller.org_id)
    obj = readable_object(schema, caller, object_name)
    document = _entry(caller, obj, version)
    children = [
        {
            "cascadeDelete": False,
            "childSObject": child.child_object,
            "deprecatedAndHidden": False,
            "field": child.field,
            "junctionIdListNames": [],
            "junctionReferenceTo": [],
            "relationshipName": child.name,
            "restrictedDelete": False,
        }
        for child in visible.child_relationships(schema, caller.access, obj)
    ]
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    document.update(
        actionOverrides=[],
        childRelationships=children,
        compactLayoutable=obj.createable,
        fields=[_field(schema, caller, obj, f) for f in obj.fields if field_visible(caller, obj, f)],
        listviewable=None,
        lookupLayoutable=None,
        namedLayoutInfos=[],
        networkScopeFieldName=None,
        recordTypeInfos=[],
        searchLayoutable=obj.createable,
        sobjectDescribeOption="FULL",
        supportedScopes=[{"label": "All " + obj.plural_label.lower(), "name": "everything"}],
    )
    document["urls"] = {**_urls(version, obj), "layouts": f"{base}/describe/layouts"}
    return dict(sorted(document.items()))
