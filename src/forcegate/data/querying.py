"""Running SOQL: compile, execute with paging, shape the rows, and keep locators in the database so
any process can serve the next batch (``01g…-<offset>``)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from forcegate.context import Context
from forcegate.data.errors import DataApiError
from forcegate.data.metadata import load_schema
from forcegate.data.values import to_json
from forcegate.ids import new_id
from forcegate.model.access import Caller
from forcegate.model.objects import FieldInfo, OrgSchema
from forcegate.soql import ast
from forcegate.soql.errors import SoqlError
from forcegate.soql.parser import parse
from forcegate.soql.translate import Compiled, compile_query
from forcegate.storage.schema import query_locators

__all__ = ["compile_soql", "query", "query_more"]

MIN_BATCH, MAX_BATCH = 200, 2000
LOCATOR_PREFIX = "01g"
LOCATOR_IDLE_MS = 15 * 60 * 1000
_LOCATOR = re.compile(r"^(01g[0-9A-Za-z]{15})-(\d{1,9})$")
_APEX_TYPES = {
    "id": "Id", "reference": "Id", "boolean": "Boolean", "int": "Integer", "double": "Double",
    "currency": "Decimal", "percent": "Double", "date": "Date", "datetime": "Datetime",
}  # fmt: skip


def _clamp(batch_size: int) -> int:
    return max(MIN_BATCH, min(MAX_BATCH, batch_size))


def _today(ctx: Context) -> dt.date:
    return dt.datetime.fromtimestamp(ctx.now_ms() / 1000, tz=dt.UTC).date()


def compile_soql(
    ctx: Context, schema: OrgSchema, caller: Caller, soql: str, *, include_deleted: bool
) -> tuple[ast.Query, Compiled]:
    """Parse and translate, with Salesforce's errors as DataApiError."""
    try:
        parsed = parse(soql)
        compiled = compile_query(
            schema, caller, parsed, today=_today(ctx), include_deleted=include_deleted,
            postgres=not ctx.db.is_sqlite,
        )  # fmt: skip
    except SoqlError as error:
        raise DataApiError(error.error_code, error.message) from None
    return parsed, compiled


def _url(version: str, object_name: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{object_name}/{record_id}"


def _shape_record(compiled: Compiled, row: Any, version: str) -> dict[str, Any]:
    obj = compiled.object
    mapping = row._mapping
    record_id = mapping[compiled.id_label]
    record: dict[str, Any] = {"attributes": {"type": obj.name, "url": _url(version, obj.name, record_id)}}
    nested: dict[tuple[str, ...], dict[str, Any] | None] = {}
    for out in compiled.fields:
        target = record
        missing = False
        for depth in range(1, len(out.relationships) + 1):
            path = out.relationships[:depth]
            key = tuple(p.lower() for p in path)
            if key not in nested:
                rel = compiled.relationships[key]
                parent_id = mapping[rel.id_label]
                holder = nested[key[:-1]] if depth > 1 else record
                if parent_id is None:
                    nested[key] = None
                    if holder is not None and path[-1] not in holder:
                        holder[path[-1]] = None
                else:
                    node = {
                        "attributes": {
                            "type": rel.object.name,
                            "url": _url(version, rel.object.name, parent_id),
                        }
                    }
                    nested[key] = node
                    if holder is not None:
                        holder[path[-1]] = node
            current = nested[key]
            if current is None:
                missing = True
                break
            target = current
        if not missing:
            target[out.field.name] = to_json(out.field, mapping[out.label])
    for child in compiled.children:
        record[child.relationship] = None
    return record


def _fetch_children(
    conn: Connection, compiled: Compiled, records: list[dict[str, Any]], ids: list[str], version: str
) -> None:
    if not compiled.children or not ids:
        return
    for child in compiled.children:
        sub = child.compiled
        key_label = sub.parent_key_label
        assert key_label is not None
        t0 = sub.t0
        assert t0 is not None and child.foreign_key.column is not None
        statement = sub.statement.where(t0.c[child.foreign_key.column].in_(ids))
        by_parent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        skipped: dict[str, int] = defaultdict(int)
        for row in conn.execute(statement):
            parent_id = row._mapping[key_label]
            if sub.offset and skipped[parent_id] < sub.offset:
                skipped[parent_id] += 1
                continue
            if sub.limit is not None and len(by_parent[parent_id]) >= sub.limit:
                continue
            by_parent[parent_id].append(_shape_record(sub, row, version))
        for record, parent_id in zip(records, ids, strict=True):
            rows = by_parent.get(parent_id)
            record[child.relationship] = (
                {"totalSize": len(rows), "done": True, "records": rows} if rows else None
            )


def _aggregate_result(compiled: Compiled, conn: Connection) -> dict[str, Any]:
    statement = compiled.statement
    if compiled.limit is not None:
        statement = statement.limit(compiled.limit)
    if compiled.offset:
        statement = statement.offset(compiled.offset)
    if compiled.count_only:
        return {"totalSize": _total(conn, compiled), "done": True, "records": []}
    records = []
    for row in conn.execute(statement):
        record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for out in compiled.aggregates:
            value = row._mapping[out.label]
            record[out.key] = to_json(out.field, value, aggregate=out.function)
        records.append(record)
    return {"totalSize": len(records), "done": True, "records": records}


def _run_batch(
    conn: Connection, compiled: Compiled, position: int, batch: int, version: str
) -> tuple[list[dict[str, Any]], bool]:
    """Rows [position, position + batch) of the query's result; and whether more rows follow."""
    limit = compiled.limit
    start = (compiled.offset or 0) + position
    take = batch if limit is None else max(0, min(batch, limit - position))
    if take == 0:
        return [], False
    rows = list(conn.execute(compiled.statement.offset(start).limit(take + 1)))
    more = len(rows) > take and (limit is None or position + take < limit)
    rows = rows[:take]
    records = [_shape_record(compiled, row, version) for row in rows]
    _fetch_children(conn, compiled, records, [row._mapping[compiled.id_label] for row in rows], version)
    return records, more


def _total(conn: Connection, compiled: Compiled) -> int:
    statement = compiled.statement.order_by(None)
    if compiled.limit is not None:
        statement = statement.limit(compiled.limit)
    if compiled.offset:
        statement = statement.offset(compiled.offset)
    return int(conn.execute(select(func.count()).select_from(statement.subquery())).scalar_one())


def _next_url(version: str, include_deleted: bool, locator_id: str, position: int) -> str:
    resource = "queryAll" if include_deleted else "query"
    return f"/services/data/v{version}/{resource}/{locator_id}-{position}"


def columns_document(compiled: Compiled, parsed: ast.Query) -> dict[str, Any]:
    """The ``columns=true`` answer: what each selected column is, without running the query."""

    def column(
        f: FieldInfo | None, name: str, *, aggregate: bool, joins: list[dict[str, Any]]
    ) -> dict[str, Any]:
        type_ = f.type if f else "int"
        return {
            "aggregate": aggregate,
            "apexType": _APEX_TYPES.get(type_, "String") if not joins else None,
            "booleanType": type_ == "boolean",
            "columnName": name,
            "custom": bool(f and f.custom),
            "displayName": name,
            "foreignKeyName": None,
            "insertable": bool(f and f.createable) and not aggregate,
            "joinColumns": joins,
            "numberType": type_ in ("int", "double", "currency", "percent"),
            "textType": type_ not in ("int", "double", "currency", "percent", "boolean", "date", "datetime"),
            "updatable": bool(f and f.updateable) and not aggregate,
        }

    columns: list[dict[str, Any]] = []
    if compiled.is_aggregate:
        for aggregate in compiled.aggregates:
            typed = aggregate.field if aggregate.function in (None, "MIN", "MAX") else None
            columns.append(column(typed, aggregate.key, aggregate=aggregate.function is not None, joins=[]))
    else:
        index: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for out in compiled.fields:
            leaf = column(out.field, out.field.name, aggregate=False, joins=[])
            if not out.relationships:
                columns.append(leaf)
                continue
            holder = columns
            for depth in range(1, len(out.relationships) + 1):
                key = tuple(r.lower() for r in out.relationships[:depth])
                if key not in index:
                    node = column(None, out.relationships[depth - 1], aggregate=False, joins=[])
                    node.update(
                        apexType=None, numberType=False, textType=False, insertable=False, updatable=False
                    )
                    holder.append(node)
                    index[key] = node["joinColumns"]
                holder = index[key]
            holder.append(leaf)
        for child in compiled.children:
            sub = columns_document(child.compiled, parsed)["columnMetadata"]
            node = column(None, child.relationship, aggregate=True, joins=sub)
            node.update(apexType=None, numberType=False, textType=False, insertable=False, updatable=False)
            columns.append(node)
    return {
        "columnMetadata": columns,
        "entityName": "AggregateResult" if compiled.is_aggregate else compiled.object.name,
        "groupBy": bool(parsed.group_by),
        "idSelected": any(o.field.name == "Id" and not o.relationships for o in compiled.fields),
        "keyPrefix": None if compiled.is_aggregate else compiled.object.key_prefix,
    }


def query(
    ctx: Context,
    caller: Caller,
    soql: str,
    version: str,
    *,
    include_deleted: bool = False,
    batch_size: int = MAX_BATCH,
    columns: bool = False,
) -> dict[str, Any]:
    batch = _clamp(batch_size)
    with ctx.db.read() as conn:
        schema = load_schema(conn, caller.org_id)
        parsed, compiled = compile_soql(ctx, schema, caller, soql, include_deleted=include_deleted)
        if columns:
            return columns_document(compiled, parsed)
        if compiled.is_aggregate:
            return _aggregate_result(compiled, conn)
        records, more = _run_batch(conn, compiled, 0, batch, version)
        if not more:
            return {"totalSize": len(records), "done": True, "records": records}
        total = _total(conn, compiled)
    locator_id = new_id(LOCATOR_PREFIX)
    now = ctx.now_ms()
    with ctx.db.write() as conn:
        conn.execute(delete(query_locators).where(query_locators.c.expires_ms < now))
        conn.execute(
            insert(query_locators).values(
                id=locator_id, org_id=caller.org_id, user_id=caller.user_id, soql=soql,
                include_deleted=include_deleted, batch_size=batch, total_size=total, created_ms=now,
                expires_ms=now + LOCATOR_IDLE_MS,
            )
        )  # fmt: skip
    return {
        "totalSize": total,
        "done": False,
        "nextRecordsUrl": _next_url(version, include_deleted, locator_id, len(records)),
        "records": records,
    }


def _invalid_locator() -> DataApiError:
    return DataApiError("INVALID_QUERY_LOCATOR", "invalid query locator")


def query_more(
    ctx: Context, caller: Caller, locator: str, version: str, *, batch_size: int | None = None
) -> dict[str, Any]:
    match = _LOCATOR.match(locator)
    if match is None:
        raise _invalid_locator()
    locator_id, position = match.group(1), int(match.group(2))
    now = ctx.now_ms()
    with ctx.db.read() as conn:
        row = conn.execute(select(query_locators).where(query_locators.c.id == locator_id)).first()
        if (
            row is None
            or row.org_id != caller.org_id
            or row.user_id != caller.user_id
            or row.expires_ms < now
            or position > row.total_size
        ):
            raise _invalid_locator()
        schema = load_schema(conn, caller.org_id)
        _parsed, compiled = compile_soql(ctx, schema, caller, row.soql, include_deleted=row.include_deleted)
        batch = _clamp(batch_size) if batch_size is not None else row.batch_size
        records, more = _run_batch(conn, compiled, position, batch, version)
    with ctx.db.write() as conn:
        conn.execute(
            update(query_locators)
            .where(query_locators.c.id == locator_id)
            .values(expires_ms=now + LOCATOR_IDLE_MS)
        )
    result: dict[str, Any] = {"totalSize": row.total_size, "done": not more}
    if more:
        result["nextRecordsUrl"] = _next_url(
            version, row.include_deleted, locator_id, position + len(records)
        )
    result["records"] = records
    return result
