"""A parsed query + the org's schema + the caller's access → a parameterised SQLAlchemy Core SELECT,
and the plan to shape its rows as Salesforce does.

Values from the query only ever reach SQL as bound parameters. Comparisons follow SOQL's two-valued
logic (``Industry != 'Energy'`` matches records without an industry), string comparisons ignore case,
and every ordering ends with the record Id so batches of one query never overlap.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    Table,
    and_,
    bindparam,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
)
from sqlalchemy.sql.selectable import NamedFromClause

from forcegate.ids import InvalidId, normalize_id
from forcegate.model import visible
from forcegate.model.access import Caller
from forcegate.model.objects import NUMBER_TYPES, FieldInfo, ObjectInfo, OrgSchema, column_type
from forcegate.soql import ast
from forcegate.soql.dates import (
    DATE_LITERALS,
    N_DATE_LITERALS,
    DateLiteralOutOfRange,
    date_range,
    out_of_range,
)
from forcegate.soql.errors import SoqlError, located

__all__ = ["Compiled", "OutputField", "compile_query", "field_sql"]

_MAX_NUMBER = 10**18
MAX_PARAMETERS = 20_000
# What one statement may ask for, below what either backend evaluates (SQLite: an expression tree at
# most 1,000 deep, which a chain of conditions becomes; 2,000 result columns or ORDER BY / GROUP BY
# terms; PostgreSQL: 1,664 result columns). Beyond: Salesforce's QUERY_TOO_COMPLICATED.
MAX_FILTER_CONDITIONS = 300  # comparisons in all the statement's WHERE clauses
MAX_TERMS = 1000  # fields and aggregates selected, ORDER BY terms, GROUP BY terms: each
MAX_SUBQUERIES = 20  # Salesforce's limit on parent-to-child relationships in a query
_AGG_NUMERIC = frozenset({"SUM", "AVG"})
_TYPE_WORD = {
    "int": "integer", "double": "double", "currency": "currency", "percent": "percent",
    "boolean": "boolean", "date": "date", "datetime": "dateTime",
}  # fmt: skip


@dataclass
class OutputField:
    """One selected field: where it sits in the record (relationship names, then the field name)."""

    relationships: tuple[str, ...]  # canonical relationship names from the queried object
    field: FieldInfo
    label: str  # SQL label of its column in the result rows


@dataclass
class Relationship:
    """A parent reached by a relationship path; its Id column tells whether the parent exists."""

    path: tuple[str, ...]
    object: ObjectInfo
    table: FromClause
    id_label: str


@dataclass
class OutputAggregate:
    key: str  # the result key: alias, expr0..., or the grouped field's name
    function: str | None  # None for a grouped field
    field: FieldInfo | None
    label: str


@dataclass
class Child:
    relationship: str  # canonical child relationship name ("Contacts")
    foreign_key: FieldInfo  # the child's field pointing at the parent
    compiled: Compiled


@dataclass
class Compiled:
    object: ObjectInfo
    statement: Select[Any]  # without the query's LIMIT/OFFSET (paging composes them)
    limit: int | None
    offset: int | None
    fields: list[OutputField] = field(default_factory=list)
    relationships: dict[tuple[str, ...], Relationship] = field(default_factory=dict)
    aggregates: list[OutputAggregate] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    order: list[tuple[str, Any]] = field(default_factory=list)  # ("record", key path) for sub-ordering
    is_aggregate: bool = False
    count_only: bool = False
    id_label: str = "c_id"
    parent_key_label: str | None = None  # subqueries: the label of the foreign key column
    root_table: FromClause | None = None  # t0 and its parents' outer joins
    t0: FromClause | None = None  # the queried object's table


class _Translator:
    def __init__(
        self,
        schema: OrgSchema,
        caller: Caller,
        soql: str,
        today: dt.date,
        include_deleted: bool,
        postgres: bool,
    ) -> None:
        self.schema = schema
        self.caller = caller
        self.soql = soql
        self.today = today
        self.include_deleted = include_deleted
        self.postgres = postgres
        self._labels = 0
        self._params = 0

    # --- helpers --------------------------------------------------------------------------------

    def error(self, code: str, pos: ast.Pos, text: str) -> SoqlError:
        return located(code, self.soql, pos.line, pos.column, text)

    def label(self) -> str:
        self._labels += 1
        return f"c{self._labels}"

    def param(self, value: Any, type_: Any = None) -> Any:
        self._params += 1
        return bindparam(f"p{self._params}", value, type_=type_)

    def readable_object(self, name: str) -> ObjectInfo | None:
        return visible.readable_object(self.schema, self.caller.access, name)

    def readable_field(self, obj: ObjectInfo, name: str) -> FieldInfo | None:
        return visible.readable_field(self.caller.access, obj, name)

    def no_such_column(self, obj: ObjectInfo, path: ast.FieldPath, name: str) -> SoqlError:
        return self.error(
            "INVALID_FIELD", path.pos,
            f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a custom field, "
            "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
            "describe call for the appropriate names.",
        )  # fmt: skip

    def sql_value(self, f: FieldInfo, table: FromClause) -> ColumnElement[Any]:
        return field_sql(f, table)

    # --- FROM and relationship paths ----------------------------------------------------------

    def root(self, query: ast.Query, obj: ObjectInfo, compiled: Compiled) -> None:
        compiled.root_table = compiled.t0 = _alias(obj.sa_table, "t0")

    def resolve(
        self, compiled: Compiled, path: ast.FieldPath, *, allow_relationship_only: bool = False
    ) -> tuple[tuple[str, ...], FieldInfo, FromClause]:
        """A field path → (canonical relationship names, field, table alias), joining parents."""
        obj = compiled.object
        table = compiled.t0
        assert table is not None
        rel_names: list[str] = []
        parts = list(path.parts)
        if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.field(parts[1]) is not None:
            parts = parts[1:]  # "Account.Name" from Account: the object's own name may prefix a field
        for depth, part in enumerate(parts[:-1]):
            ref = obj.relationships.get(part.lower())
            parent = visible.parent_object(self.schema, self.caller.access, obj, ref) if ref else None
            if ref is None or parent is None:
                raise self.error(
                    "INVALID_FIELD", path.pos,
                    f"Didn't understand relationship '{part}' in field path. If you are attempting to use a "
                    "custom relationship, be sure to append the '__r' after the custom relationship name. "
                    "Please reference your WSDL or the describe call for the appropriate names.",
                )  # fmt: skip
            if depth >= 4:
                raise self.error("MALFORMED_QUERY", path.pos, "relationship paths are limited to 5 levels")
            rel_names.append(ref.relationship_name or part)
            key = tuple(n.lower() for n in rel_names)
            known = compiled.relationships.get(key)
            if known is None:
                alias = _alias(parent.sa_table, f"r{len(compiled.relationships) + 1}")
                on = alias.c.id == self.sql_value(ref, table)
                if parent.soft_delete:
                    on = and_(on, alias.c.is_deleted == false())
                assert compiled.root_table is not None
                compiled.root_table = compiled.root_table.outerjoin(alias, on)
                known = Relationship(tuple(rel_names), parent, alias, self.label())
                compiled.relationships[key] = known
            obj, table = parent, known.table
        last = parts[-1]
        f = self.readable_field(obj, last)
        if f is None:
            if obj.relationships.get(last.lower()) is not None and not allow_relationship_only:
                raise self.error(
                    "INVALID_FIELD", path.pos,
                    f"No such column '{last}' on entity '{obj.name}'. If you are attempting to use a custom "
                    "field, be sure to append the '__c' after the custom field name. Please reference your "
                    "WSDL or the describe call for the appropriate names.",
                )  # fmt: skip
            raise self.no_such_column(obj, path, last)
        return tuple(rel_names), f, table

    # --- SELECT ----------------------------------------------------------------------------------

    def compile(self, query: ast.Query, obj: ObjectInfo, *, sub: bool = False) -> Compiled:
        compiled = Compiled(object=obj, statement=select(), limit=query.limit, offset=query.offset)
        self.root(query, obj, compiled)
        aggregates = [i for i in query.select if isinstance(i, ast.SelectAggregate)]
        compiled.is_aggregate = bool(aggregates) or bool(query.group_by)
        if compiled.is_aggregate:
            self.compile_aggregate(query, compiled)
        else:
            self.compile_records(query, compiled, sub=sub)
        return compiled

    def compile_records(self, query: ast.Query, compiled: Compiled, *, sub: bool) -> None:
        columns: list[Any] = []
        seen: set[str] = set()
        for item in query.select:
            if isinstance(item, ast.SelectSubquery):
                if sub:
                    raise self.error("MALFORMED_QUERY", item.query.object_pos, "unexpected token: 'SELECT'")
                compiled.children.append(self.compile_child(item.query, compiled))
                continue
            assert isinstance(item, ast.SelectField)
            rels, f, table = self.resolve(compiled, item.path)
            key = ".".join((*[r.lower() for r in rels], f.name.lower()))
            if key in seen:
                raise self.error(
                    "MALFORMED_QUERY", item.path.pos, f"duplicate field selected: {item.path.text}"
                )
            seen.add(key)
            label = self.label()
            columns.append(self.sql_value(f, table).label(label))
            compiled.fields.append(OutputField(rels, f, label))
        t0 = self._t0(compiled)
        # WHERE and ORDER BY may reach parents the SELECT list does not: resolve them before the FROM.
        where = self.condition(query.where, compiled) if query.where is not None else None
        order = [self.order_item(o, compiled) for o in query.order_by]
        columns.append(t0.c.id.label(compiled.id_label))
        for rel in compiled.relationships.values():
            columns.append(rel.table.c.id.label(rel.id_label))
        assert compiled.root_table is not None
        statement = select(*columns).select_from(compiled.root_table).where(*self.scope(compiled, t0))
        if where is not None:
            statement = statement.where(where)
        compiled.statement = statement.order_by(*order, self._id_order(t0))

    def _t0(self, compiled: Compiled) -> FromClause:
        assert compiled.t0 is not None
        return compiled.t0

    def scope(self, compiled: Compiled, t0: FromClause) -> list[ColumnElement[bool]]:
        obj = compiled.object
        clauses: list[ColumnElement[bool]] = [
            t0.c[obj.org_column] == self.param(self.schema.org_id, String())
        ]
        if obj.soft_delete and not self.include_deleted:
            clauses.append(t0.c.is_deleted == false())
        return clauses

    def compile_child(self, query: ast.Query, parent: Compiled) -> Child:
        rel = parent.object.child(query.object_name)
        found = visible.readable_child(self.schema, self.caller.access, rel) if rel else None
        if rel is None or found is None:
            raise self.error(
                "INVALID_TYPE", query.object_pos,
                f"Didn't understand relationship '{query.object_name}' in FROM part of query call. If "
                "you are "
                "attempting to use a custom relationship, be sure to append the '__r' after the custom "
                "relationship name. Please reference your WSDL or the describe call for the "
                "appropriate names.",
            )  # fmt: skip
        if any(isinstance(i, ast.SelectAggregate) for i in query.select):
            raise self.error(
                "MALFORMED_QUERY", query.object_pos, "Aggregate functions are not supported in subqueries"
            )
        child_obj, foreign_key = found
        compiled = self.compile(query, child_obj, sub=True)
        t0 = self._t0(compiled)
        label = self.label()
        compiled.parent_key_label = label
        compiled.statement = compiled.statement.add_columns(self.sql_value(foreign_key, t0).label(label))
        return Child(rel.name, foreign_key, compiled)

    # --- aggregates ----------------------------------------------------------------------------

    def compile_aggregate(self, query: ast.Query, compiled: Compiled) -> None:
        columns: list[Any] = []
        grouped: dict[str, ColumnElement[Any]] = {}
        group_exprs: list[ColumnElement[Any]] = []
        for path in query.group_by:
            _rels, f, table = self.resolve(compiled, path)
            if f.type in ("textarea",) and f.length > 255:
                raise self.error(
                    "MALFORMED_QUERY", path.pos, f"field '{f.name}' can not be grouped in a query call"
                )
            expr = self.sql_value(f, table)
            grouped[".".join(p.lower() for p in path.parts)] = expr
            group_exprs.append(expr)
        items = list(query.select)
        first = items[0] if len(items) == 1 else None
        count_only = (
            isinstance(first, ast.SelectAggregate)
            and first.aggregate.function == "COUNT"
            and first.aggregate.argument is None
        )
        if count_only and not query.group_by:
            compiled.count_only = True
        expr_index = 0
        keys: set[str] = set()
        for item in items:
            if isinstance(item, ast.SelectSubquery):
                raise self.error("MALFORMED_QUERY", item.query.object_pos, "unexpected token: 'SELECT'")
            label = self.label()
            if isinstance(item, ast.SelectField):
                path_key = ".".join(p.lower() for p in item.path.parts)
                if path_key not in grouped:
                    _rels, f, _table = self.resolve(compiled, item.path)
                    raise self.error(
                        "MALFORMED_QUERY", item.path.pos, f"Field must be grouped or aggregated: {f.name}"
                    )
                _rels, f, _table = self.resolve(compiled, item.path)
                key = f.name
                columns.append(grouped[path_key].label(label))
                compiled.aggregates.append(OutputAggregate(key, None, f, label))
            else:
                agg = item.aggregate
                expr, agg_field = self.aggregate_expr(agg, compiled, allow_bare_count=compiled.count_only)
                if item.alias is not None:
                    key = item.alias
                else:
                    key = f"expr{expr_index}"
                    expr_index += 1
                columns.append(expr.label(label))
                compiled.aggregates.append(OutputAggregate(key, agg.function, agg_field, label))
            if key.lower() in keys:
                raise self.error("MALFORMED_QUERY", ast.Pos(1, 1), f"duplicate alias: {key}")
            keys.add(key.lower())
        t0 = self._t0(compiled)
        where = self.condition(query.where, compiled) if query.where is not None else None
        order = self.aggregate_order(query, compiled, grouped)
        assert compiled.root_table is not None
        statement = select(*columns).select_from(compiled.root_table).where(*self.scope(compiled, t0))
        if where is not None:
            statement = statement.where(where)
        if compiled.count_only:
            # COUNT() answers only totalSize: count the matching ids (LIMIT/OFFSET apply to them).
            compiled.statement = statement.with_only_columns(t0.c.id)
            return
        if group_exprs:
            statement = statement.group_by(*group_exprs)
        compiled.statement = statement.order_by(*order, *group_exprs)

    def aggregate_order(
        self, query: ast.Query, compiled: Compiled, grouped: dict[str, ColumnElement[Any]]
    ) -> list[Any]:
        order: list[Any] = []
        for item in query.order_by:
            if isinstance(item.expression, ast.Aggregate):
                expr, f = self.aggregate_expr(item.expression, compiled, allow_bare_count=True)
                typed = f if item.expression.function in ("MIN", "MAX") else None
                order.append(self._direction(expr, item, typed))
            else:
                key = ".".join(p.lower() for p in item.expression.parts)
                if key not in grouped:
                    raise self.error(
                        "MALFORMED_QUERY", item.expression.pos,
                        f"Ordered field must be grouped or aggregated: {item.expression.text}",
                    )  # fmt: skip
                _rels, f, _t = self.resolve(compiled, item.expression)
                order.append(self._direction(grouped[key], item, f))
        return order

    def aggregate_expr(
        self, agg: ast.Aggregate, compiled: Compiled, *, allow_bare_count: bool
    ) -> tuple[ColumnElement[Any], FieldInfo | None]:
        if agg.argument is None:
            if agg.function != "COUNT" or not allow_bare_count:
                raise self.error("MALFORMED_QUERY", agg.pos, f"unexpected token: '{agg.function}'")
            return func.count(), None
        _rels, f, table = self.resolve(compiled, agg.argument)
        value = self.sql_value(f, table)
        function = agg.function
        if function in _AGG_NUMERIC and f.type not in NUMBER_TYPES:
            raise self.error(
                "MALFORMED_QUERY",
                agg.argument.pos,
                f"field {f.name} does not support aggregate operator {function}",
            )
        if function in ("MIN", "MAX") and f.type in ("boolean", "textarea"):
            raise self.error(
                "MALFORMED_QUERY",
                agg.argument.pos,
                f"field {f.name} does not support aggregate operator {function}",
            )
        if function == "COUNT":
            return func.count(value), f
        if function == "COUNT_DISTINCT":
            return func.count(value.distinct()), f
        if function == "SUM":
            return func.sum(value), f
        if function == "AVG":
            return func.avg(value), f
        if function == "MIN":
            return func.min(value), f
        return func.max(value), f

    # --- ORDER BY ------------------------------------------------------------------------------

    def _sort_key(self, expr: ColumnElement[Any], f: FieldInfo | None) -> ColumnElement[Any]:
        # Byte order of lower-cased text on every backend (PostgreSQL would use its locale's collation).
        if f is not None and f.is_string:
            lowered = func.lower(expr)
            return lowered.collate("C") if self.postgres else lowered
        if f is not None and f.type in ("id", "reference") and self.postgres:
            return expr.collate("C")
        return expr

    def _id_order(self, t0: FromClause) -> ColumnElement[Any]:
        return t0.c.id.collate("C") if self.postgres else t0.c.id

    def _direction(self, expr: ColumnElement[Any], item: ast.OrderItem, f: FieldInfo | None) -> Any:
        key = self._sort_key(expr, f)
        ordered = key.desc() if item.descending else key.asc()
        return ordered.nulls_first() if item.nulls_first else ordered.nulls_last()

    def order_item(self, item: ast.OrderItem, compiled: Compiled) -> Any:
        if isinstance(item.expression, ast.Aggregate):
            raise self.error(
                "MALFORMED_QUERY",
                item.expression.pos,
                "Aggregate functions can only be ordered in aggregate queries",
            )
        _rels, f, table = self.resolve(compiled, item.expression)
        if f.type == "textarea" and f.length > 255:
            raise self.error(
                "MALFORMED_QUERY", item.expression.pos, f"field '{f.name}' can not be sorted in a query call"
            )
        return self._direction(self.sql_value(f, table), item, f)

    # --- WHERE ---------------------------------------------------------------------------------

    def condition(self, cond: ast.Condition, compiled: Compiled) -> ColumnElement[bool]:
        if isinstance(cond, ast.BoolOp):
            parts = [self.condition(c, compiled) for c in cond.items]
            return and_(*parts) if cond.operator == "AND" else or_(*parts)
        if isinstance(cond, ast.Not):
            return not_(self.condition(cond.item, compiled))
        return self.comparison(cond, compiled)

    def comparison(self, cmp: ast.Comparison, compiled: Compiled) -> ColumnElement[bool]:
        _rels, f, table = self.resolve(compiled, cmp.field)
        column = self.sql_value(f, table)
        op = cmp.operator
        if op in ("IN", "NOT IN"):
            assert isinstance(cmp.value, tuple)
            values = [self.coerce(f, v, op) for v in cmp.value]
            if any(isinstance(v, tuple) for v in values):
                raise self.error("MALFORMED_QUERY", cmp.pos, "date literals are not supported in IN")
            non_null = [v for v in values if v is not None]
            has_null = len(non_null) != len(values)
            left = func.lower(column) if f.is_string else column
            if f.is_string:
                non_null = [v.lower() for v in non_null]
            member: ColumnElement[bool] = (
                and_(left.in_(self._expanding(non_null, column)), column.isnot(None)) if non_null else false()
            )
            if has_null:
                member = or_(member, column.is_(None))
            return member if op == "IN" else not_(member)
        assert isinstance(cmp.value, ast.Value)
        value = cmp.value
        if op == "LIKE":
            if not f.is_string:
                raise self.error("INVALID_FIELD", cmp.pos, f"invalid operator on field: {f.name}")
            if value.kind != "string":
                raise self.error(
                    "INVALID_FIELD", value.pos,
                    f"value of filter criterion for field '{f.name}' must be of type string and "
                    "should be enclosed in quotes",
                )  # fmt: skip
            from forcegate.soql.parser import unescape

            pattern = unescape(value.text, like=True)
            assert pattern is not None
            return and_(
                func.lower(column).like(func.lower(self.param(pattern, String())), escape="\\"),
                column.isnot(None),
            )
        coerced = self.coerce(f, value, op)
        if coerced is None:
            if op == "=":
                return column.is_(None)
            if op == "!=":
                return column.isnot(None)
            raise self.error("MALFORMED_QUERY", value.pos, f"invalid operator {op} for null")
        if isinstance(coerced, tuple):  # a date literal's range
            start, end = (self.param(v, column.type) for v in coerced)
            ranges = {
                "=": and_(column >= start, column < end),
                "!=": or_(column < start, column >= end, column.is_(None)),
                "<": column < start,
                "<=": column < end,
                ">": column >= end,
                ">=": column >= start,
            }
            result = ranges[op]
            return result if op == "!=" else and_(result, column.isnot(None))
        left = column
        right: Any = self.param(coerced, column.type)
        if f.is_string:
            left = self._sort_key(column, f)
            right = func.lower(right)
            if self.postgres and op not in ("=", "!="):
                right = right.collate("C")
        comparisons = {
            "=": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }
        if op in ("<", "<=", ">", ">=") and f.type in ("boolean",):
            raise self.error("INVALID_FIELD", cmp.pos, f"invalid operator on field: {f.name}")
        result = comparisons[op]
        if op == "!=":
            return or_(result, column.is_(None))
        return and_(result, column.isnot(None))

    def _expanding(self, values: list[Any], column: ColumnElement[Any]) -> Any:
        self._params += len(values)
        return bindparam(f"p{self._params}", values, expanding=True, type_=column.type)

    def coerce(self, f: FieldInfo, value: ast.Value, op: str) -> Any:
        """The SQL parameter for a literal compared with the field; a (start, end) pair for date
        literals; None for null. Wrong kinds are refused as Salesforce does."""
        kind = value.kind
        if kind == "null":
            return None
        type_ = f.type
        if kind == "date_literal":
            name = value.value
            wrong_arity = name in N_DATE_LITERALS and value.n is None
            if wrong_arity or (name in DATE_LITERALS and value.n is not None):
                raise self.error("MALFORMED_QUERY", value.pos, f"unexpected token: '{value.text}'")
            if name not in DATE_LITERALS and name not in N_DATE_LITERALS:
                raise self.error("MALFORMED_QUERY", value.pos, f"unexpected token: '{value.text}'")
            if type_ not in ("date", "datetime"):
                raise self._wrong_type(f, value)
            try:
                start, end = date_range(name, value.n, self.today)
            except DateLiteralOutOfRange:
                raise self.error("MALFORMED_QUERY", value.pos, out_of_range(value.text)) from None
            if type_ == "date":
                return (start, end)
            return (_date_ms(start), _date_ms(end))
        if f.is_string:
            if kind != "string":
                raise self.error(
                    "INVALID_FIELD", value.pos,
                    f"value of filter criterion for field '{f.name}' must be of type string and "
                    "should be enclosed in quotes",
                )  # fmt: skip
            return str(value.value)
        if type_ in ("id", "reference"):
            if kind != "string":
                raise self.error(
                    "INVALID_FIELD", value.pos,
                    f"value of filter criterion for field '{f.name}' must be of type id and should be "
                    "enclosed in quotes",
                )  # fmt: skip
            try:
                return normalize_id(str(value.value))
            except InvalidId:
                if str(value.value) == "":
                    return None
                raise self.error(
                    "INVALID_QUERY_FILTER_OPERATOR", value.pos, f"invalid ID field: {value.value}"
                ) from None
        if type_ == "boolean":
            if kind != "boolean":
                raise self._wrong_type(f, value)
            return bool(value.value)
        if type_ in NUMBER_TYPES:
            if kind != "number":
                raise self._wrong_type(f, value)
            number = value.value
            if not math.isfinite(number) or abs(number) > _MAX_NUMBER:
                raise self.error(
                    "INVALID_FIELD",
                    value.pos,
                    f"value of filter criterion for field '{f.name}' is out of range",
                )
            return number
        if type_ == "date":
            if kind != "date":
                raise self._wrong_type(f, value)
            return value.value
        if type_ == "datetime":
            if kind != "datetime":
                raise self._wrong_type(f, value)
            moment: dt.datetime = value.value
            return int(moment.timestamp() * 1000)
        raise self._wrong_type(f, value)

    def _wrong_type(self, f: FieldInfo, value: ast.Value) -> SoqlError:
        word = _TYPE_WORD.get(f.type, f.type)
        return self.error(
            "INVALID_FIELD", value.pos,
            f"value of filter criterion for field '{f.name}' must be of type {word} and should not be "
            "enclosed in quotes",
        )  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _alias(table: Table, name: str) -> NamedFromClause:
    """The same alias object for every query: an alias builds its column collection on first use,
    ~0.4 ms for a wide object (half of a 10-row query's translation). Schema tables are rebuilt,
    never changed, when an org's schema changes, so a cached alias never goes stale."""
    return table.alias(name)


def field_sql(f: FieldInfo, table: FromClause) -> ColumnElement[Any]:
    """The field's value in SQL, relative to the table (alias) holding it."""
    if f.column:
        return table.c[f.column]
    expression = f.expression or {"kind": "const", "value": None}
    if expression["kind"] == "concat":
        first, last = (table.c[c] for c in expression["columns"])
        return func.trim(func.coalesce(first, "") + " " + func.coalesce(last, ""))
    value = expression.get("value")
    if value is None:
        return null()
    return literal(value, column_type(f.type, f.length))


def _date_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def _conditions(condition: ast.Condition | None) -> int:
    """How many comparisons a WHERE clause holds (iteratively: the parser bounds the depth, not this)."""
    count = 0
    stack = [condition] if condition is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BoolOp):
            stack.extend(node.items)
        elif isinstance(node, ast.Not):
            stack.append(node.item)
        else:
            count += 1
    return count


def check_complexity(query: ast.Query) -> None:
    """QUERY_TOO_COMPLICATED when the statement asks for more than the limits above."""
    subqueries = [item.query for item in query.select if isinstance(item, ast.SelectSubquery)]
    statements = [query, *subqueries]
    if (
        sum(_conditions(q.where) for q in statements) > MAX_FILTER_CONDITIONS
        or any(max(len(q.select), len(q.order_by), len(q.group_by)) > MAX_TERMS for q in statements)
        or len(subqueries) > MAX_SUBQUERIES
    ):
        raise SoqlError(
            "QUERY_TOO_COMPLICATED",
            "Query is either selecting too many fields or the filter conditions are too complicated.",
        )


def compile_query(
    schema: OrgSchema,
    caller: Caller,
    query: ast.Query,
    *,
    today: dt.date,
    include_deleted: bool = False,
    postgres: bool = False,
) -> Compiled:
    """Resolve names against the schema (case-insensitively) and the caller's access, and build the SQL.
    INVALID_TYPE for an object the caller cannot read, INVALID_FIELD for a field, QUERY_TOO_COMPLICATED
    beyond the limits above, MALFORMED_QUERY for the rest."""
    check_complexity(query)
    translator = _Translator(schema, caller, query.text, today, include_deleted, postgres)
    for number, word in ((query.limit, "LIMIT"), (query.offset, "OFFSET")):
        if number is not None and number > (2000 if word == "OFFSET" else 2**31 - 1):
            limit = 2000 if word == "OFFSET" else 2**31 - 1
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL {word.lower()} allowed is {limit}")
    obj = translator.readable_object(query.object_name)
    if obj is None:
        raise translator.error(
            "INVALID_TYPE", query.object_pos,
            f"sObject type '{query.object_name}' is not supported. If you are attempting to use a "
            "custom object, "
            "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
            "describe call "
            "for the appropriate names.",
        )  # fmt: skip
    compiled = translator.compile(query, obj)
    if translator._params > MAX_PARAMETERS:
        # Each IN value is a bound parameter; SQLite allows 32,766 per statement.
        raise SoqlError(
            "MALFORMED_QUERY",
            f"too many values in the query: at most {MAX_PARAMETERS} filter values are allowed",
        )
    return compiled
