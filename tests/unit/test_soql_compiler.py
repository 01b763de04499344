"""The SOQL compiler on its own: a schema and a caller built by hand from :mod:`forcegate.model`, no
database and no data layer. What the compiler needs of an org comes from the model alone (the
``soql`` contract in pyproject.toml holds it there; the last test shows it at run time)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from forcegate.model.access import FULL_ACCESS, Caller, FieldPermissions, ObjectPermissions
from forcegate.model.objects import ChildRelationship, FieldInfo, ObjectInfo, OrgSchema, build_table
from forcegate.soql.errors import SoqlError
from forcegate.soql.parser import parse
from forcegate.soql.translate import Compiled, compile_query

ORG = "00D000000000001AAA"
TODAY = dt.date(2026, 12, 2)


def _field(name: str, type_: str, column: str | None, **facts: Any) -> FieldInfo:
    values: dict[str, Any] = {
        "label": name, "length": 255 if type_ in ("string", "picklist") else 18, "precision": 0,
        "scale": 0, "nillable": True, "createable": True, "updateable": True, "required": False,
        "expression": None, "reference_to": None, "relationship_name": None,
        "child_relationship_name": None, "picklist": (), "default": None, "custom": False,
        "system": False, "name_field": False,
    }  # fmt: skip
    values.update(facts)
    return FieldInfo(name=name, type=type_, column=column, **values)


def _object(name: str, table_name: str, key_prefix: str, fields: list[FieldInfo]) -> ObjectInfo:
    info = ObjectInfo(
        id=f"01I00000000000{key_prefix}", name=name, label=name, plural_label=name + "s",
        key_prefix=key_prefix, table_name=table_name, org_column="org_id", custom=False,
        createable=True, updateable=True, deletable=True, soft_delete=True,
    )  # fmt: skip
    for f in fields:
        info.fields.append(f)
        info.by_lower[f.name.lower()] = f
        if f.relationship_name:
            info.relationships[f.relationship_name.lower()] = f
    info.table = build_table(info)
    return info


def _schema() -> OrgSchema:
    account = _object(
        "Account",
        "data_accounts",
        "001",
        [
            _field("Id", "id", "id", system=True, createable=False, updateable=False),
            _field("Name", "string", "name", name_field=True, nillable=False),
            _field("Industry", "picklist", "industry", picklist=("Energy", "Banking")),
            _field("AnnualRevenue", "currency", "annual_revenue", precision=18),
        ],
    )
    contact = _object(
        "Contact",
        "data_contacts",
        "003",
        [
            _field("Id", "id", "id", system=True, createable=False, updateable=False),
            _field("LastName", "string", "last_name", nillable=False),
            _field(
                "AccountId",
                "reference",
                "account_id",
                reference_to="Account",
                relationship_name="Account",
                child_relationship_name="Contacts",
            ),
        ],
    )
    account.children.append(ChildRelationship("Contacts", "Contact", "AccountId"))
    return OrgSchema(ORG, 1, {"account": account, "contact": contact})


class _HiddenIndustryNoContacts:
    """A caller who may read accounts except their Industry, and no contacts."""

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        return ObjectPermissions(read=object_name == "Account")

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        readable = (object_name, field_name) != ("Account", "Industry")
        return FieldPermissions(readable=readable)


def _compile(soql: str, caller: Caller | None = None) -> Compiled:
    return compile_query(_schema(), caller or Caller(ORG, None, FULL_ACCESS), parse(soql), today=TODAY)


def _sql(compiled: Compiled) -> str:
    return str(compiled.statement.compile(dialect=sqlite.dialect()))


def test_a_query_compiles_against_a_hand_built_schema() -> None:
    compiled = _compile(
        "select lastname, account.name from contact where account.industry = 'Energy' order by LastName"
    )
    assert compiled.object.name == "Contact"
    # Names resolved case-insensitively to the schema's canonical ones.
    assert [(f.relationships, f.field.name) for f in compiled.fields] == [
        ((), "LastName"),
        (("Account",), "Name"),
    ]
    assert compiled.relationships[("account",)].object.name == "Account"
    sql = _sql(compiled)
    assert "data_contacts" in sql and "LEFT OUTER JOIN data_accounts" in sql
    # The value reaches SQL only as a bound parameter; the org and soft-delete filters are always there.
    assert "Energy" not in sql
    assert "Energy" in compiled.statement.compile().params.values()
    assert ORG in compiled.statement.compile().params.values()
    assert "is_deleted" in sql


def test_a_child_subquery_and_an_aggregate_compile() -> None:
    compiled = _compile("SELECT Name, (SELECT LastName FROM Contacts) FROM Account")
    assert [c.relationship for c in compiled.children] == ["Contacts"]
    aggregate = _compile("SELECT Industry, SUM(AnnualRevenue) total FROM Account GROUP BY Industry")
    assert aggregate.is_aggregate
    assert [a.key for a in aggregate.aggregates] == ["Industry", "total"]


def test_what_the_caller_cannot_read_does_not_exist() -> None:
    caller = Caller(ORG, None, _HiddenIndustryNoContacts())
    assert _compile("SELECT Name FROM Account", caller).object.name == "Account"
    with pytest.raises(SoqlError) as hidden_field:
        _compile("SELECT Industry FROM Account", caller)
    assert hidden_field.value.error_code == "INVALID_FIELD"
    with pytest.raises(SoqlError) as hidden_object:
        _compile("SELECT LastName FROM Contact", caller)
    assert hidden_object.value.error_code == "INVALID_TYPE"
    with pytest.raises(SoqlError) as hidden_children:
        _compile("SELECT Name, (SELECT LastName FROM Contacts) FROM Account", caller)
    assert hidden_children.value.error_code == "INVALID_TYPE"


def test_a_number_field_refuses_a_string_value() -> None:
    with pytest.raises(SoqlError) as refused:
        _compile("SELECT Name FROM Account WHERE AnnualRevenue = 'lots'")
    assert refused.value.error_code == "INVALID_FIELD"


def test_the_compiler_loads_no_data_layer_database_or_context() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    probe = (
        "import sys; import forcegate.soql.parser, forcegate.soql.translate; "
        "print(sorted(m for m in sys.modules if m.startswith('forcegate.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=src
    ).stdout
    for layer in ("forcegate.data", "forcegate.storage", "forcegate.context", "forcegate.org"):
        assert f"'{layer}" not in loaded, loaded
