"""The parsed query: plain values the translator walks. Positions are 1-based (row, column)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Aggregate",
    "BoolOp",
    "Comparison",
    "Condition",
    "FieldPath",
    "Not",
    "OrderItem",
    "Query",
    "SelectAggregate",
    "SelectField",
    "SelectItem",
    "SelectSubquery",
    "Value",
]


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


@dataclass(frozen=True)
class FieldPath:
    parts: tuple[str, ...]
    pos: Pos

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Aggregate:
    function: str  # upper case: COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX
    argument: FieldPath | None
    pos: Pos


@dataclass(frozen=True)
class Value:
    # string, number, boolean, null, date, datetime, date_literal
    kind: str
    value: Any
    pos: Pos
    text: str
    n: int | None = None  # LAST_N_DAYS:n


@dataclass(frozen=True)
class Comparison:
    field: FieldPath
    operator: str  # =, !=, <, <=, >, >=, LIKE, IN, NOT IN
    value: Value | tuple[Value, ...]
    pos: Pos


@dataclass(frozen=True)
class BoolOp:
    operator: str  # AND / OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class SelectField:
    path: FieldPath


@dataclass(frozen=True)
class SelectAggregate:
    aggregate: Aggregate
    alias: str | None


@dataclass(frozen=True)
class SelectSubquery:
    query: Query


SelectItem = SelectField | SelectAggregate | SelectSubquery


@dataclass(frozen=True)
class OrderItem:
    expression: FieldPath | Aggregate
    descending: bool
    nulls_first: bool  # Salesforce's default: first ascending, last descending


@dataclass(frozen=True)
class Query:
    select: tuple[SelectItem, ...]
    object_name: str
    object_pos: Pos
    where: Condition | None = None
    group_by: tuple[FieldPath, ...] = ()
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    text: str = field(default="", compare=False)
