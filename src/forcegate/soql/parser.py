"""SOQL text → :class:`~forcegate.soql.ast.Query`, with a lark LALR grammar (``grammar.lark``).

Every failure is a :class:`~forcegate.soql.errors.SoqlError`; nothing else escapes ``parse``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from forcegate.soql import ast
from forcegate.soql.dates import out_of_range
from forcegate.soql.errors import SoqlError, located

__all__ = ["MAX_NESTING", "MAX_QUERY_LENGTH", "parse", "unescape"]

MAX_QUERY_LENGTH = 100_000  # Salesforce's limit on a SOQL statement
_MAX_PARENTHESES = 50  # open at once: bounds the tree lark and the transformer walk recursively
# NOT / AND / OR nesting: each level becomes a parenthesised SQL expression, and SQLite's parser
# overflows its stack from about 35 levels of those (PostgreSQL goes further).
MAX_NESTING = 25
_MAX_N_DIGITS = 10  # a date literal's N: 9,999 years are 3,652,059 days

_ESCAPES = {
    "n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t", "b": "\b", "B": "\b",
    "f": "\f", "F": "\f", '"': '"', "'": "'", "\\": "\\",
}  # fmt: skip


# SOQL's reserved words: never a name, even where the grammar would otherwise read one.
RESERVED = frozenset({
    "and", "asc", "desc", "excludes", "first", "from", "group", "having", "in", "includes", "last", "like",
    "limit", "not", "null", "nulls", "or", "select", "where", "with",
})  # fmt: skip


class _ReservedWord(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__(str(token))
        self.token = token


def _check_name(token: Token) -> Token:
    if token.value.lower() in RESERVED:
        raise _ReservedWord(token)
    return token


@cache
def _parser() -> Lark:
    grammar = resources.files("forcegate.soql").joinpath("grammar.lark").read_text()
    return Lark(
        grammar, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True,
        lexer_callbacks={"IDENT": _check_name},
    )  # fmt: skip


def unescape(body: str, *, like: bool = False) -> str | None:
    """A string literal's value (None when it has an illegal escape). In LIKE patterns ``\\%`` and
    ``\\_`` stay escaped (the translator gives them to SQL with ESCAPE '\\')."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(body):
            return None
        nxt = body[i + 1]
        if nxt == "u":
            digits = body[i + 2 : i + 6]
            if len(digits) != 4 or not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                return None
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        if nxt in "%_":  # wildcard escapes: kept for LIKE, literal elsewhere
            out.append("\\" + nxt)
        elif like and nxt == "\\":
            out.append("\\\\")
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
        else:
            return None
        i += 2
    return "".join(out)


def _pos(item: Token | Tree[Any]) -> ast.Pos:
    if isinstance(item, Token):
        return ast.Pos(item.line or 1, item.column or 1)
    return ast.Pos(item.meta.line, item.meta.column)


class _Build(Transformer[Token, Any]):
    def __init__(self, soql: str) -> None:
        super().__init__()
        self.soql = soql

    def start(self, items: list[Any]) -> ast.Query:
        query: ast.Query = items[0]
        return query

    def _query(self, items: list[Any], *, sub: bool) -> ast.Query:
        if sub:
            _select, select_list, _from, name, where, order, limit = items
            group = None
            offset = None
        else:
            _select, select_list, _from, name, where, group, order, limit, offset = items
        return ast.Query(
            select=tuple(select_list),
            object_name=str(name),
            object_pos=_pos(name),
            where=where,
            group_by=tuple(group or ()),
            order_by=tuple(order or ()),
            limit=limit,
            offset=offset,
            text=self.soql,
        )

    def query(self, items: list[Any]) -> ast.Query:
        return self._query(items, sub=False)

    def subquery(self, items: list[Any]) -> ast.Query:
        return self._query(items, sub=True)

    def select_list(self, items: list[Any]) -> list[Any]:
        return items

    sub_select_list = select_list

    def select_field(self, items: list[Any]) -> ast.SelectField:
        return ast.SelectField(items[0])

    def select_aggregate(self, items: list[Any]) -> ast.SelectAggregate:
        return ast.SelectAggregate(items[0], str(items[1]) if items[1] is not None else None)

    def select_subquery(self, items: list[Any]) -> ast.SelectSubquery:
        return ast.SelectSubquery(items[0])

    @v_args(meta=True)
    def aggregate(self, meta: Any, items: list[Any]) -> ast.Aggregate:
        return ast.Aggregate(str(items[0]).upper(), items[1], ast.Pos(meta.line, meta.column))

    @v_args(meta=True)
    def field_path(self, meta: Any, items: list[Token]) -> ast.FieldPath:
        return ast.FieldPath(tuple(str(t) for t in items), ast.Pos(meta.line, meta.column))

    def where_clause(self, items: list[Any]) -> ast.Condition:
        condition: ast.Condition = items[1]
        return condition

    def and_chain(self, items: list[Any]) -> ast.BoolOp:
        return ast.BoolOp("AND", tuple(i for i in items if not isinstance(i, Token)))

    def or_chain(self, items: list[Any]) -> ast.BoolOp:
        return ast.BoolOp("OR", tuple(i for i in items if not isinstance(i, Token)))

    def not_cond(self, items: list[Any]) -> ast.Not:
        return ast.Not(items[1])

    def compare(self, items: list[Any]) -> ast.Comparison:
        op = str(items[1])
        return ast.Comparison(items[0], "!=" if op == "<>" else op, items[2], items[0].pos)

    def like(self, items: list[Any]) -> ast.Comparison:
        return ast.Comparison(items[0], "LIKE", items[2], items[0].pos)

    def in_list(self, items: list[Any]) -> ast.Comparison:
        return ast.Comparison(items[0], "IN", tuple(items[2]), items[0].pos)

    def not_in_list(self, items: list[Any]) -> ast.Comparison:
        return ast.Comparison(items[0], "NOT IN", tuple(items[3]), items[0].pos)

    def value_list(self, items: list[Any]) -> list[Any]:
        return items

    def string(self, items: list[Token]) -> ast.Value:
        token = items[0]
        body = str(token)[1:-1]
        value = unescape(body)
        if value is None:
            raise located(
                "MALFORMED_QUERY", self.soql, token.line or 1, token.column or 1,
                f"Invalid string literal '{body}'. Illegal character sequence in string literal.",
            )  # fmt: skip
        return ast.Value("string", value, _pos(token), body)

    def number(self, items: list[Token]) -> ast.Value:
        text = str(items[0])
        value: int | float = float(text) if ("." in text) else int(text)
        return ast.Value("number", value, _pos(items[0]), text)

    def date(self, items: list[Token]) -> ast.Value:
        text = str(items[0])
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise self._bad_literal(items[0]) from None
        return ast.Value("date", value, _pos(items[0]), text)

    def datetime(self, items: list[Token]) -> ast.Value:
        text = str(items[0])
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self._bad_literal(items[0]) from None
        return ast.Value("datetime", value, _pos(items[0]), text)

    def _bad_literal(self, token: Token) -> SoqlError:
        return located(
            "MALFORMED_QUERY", self.soql, token.line or 1, token.column or 1,
            f"line {token.line}:{(token.column or 1) - 1} no viable alternative at character '{token}'",
        )  # fmt: skip

    def true(self, items: list[Token]) -> ast.Value:
        return ast.Value("boolean", True, _pos(items[0]), str(items[0]))

    def false(self, items: list[Token]) -> ast.Value:
        return ast.Value("boolean", False, _pos(items[0]), str(items[0]))

    def null(self, items: list[Token]) -> ast.Value:
        return ast.Value("null", None, _pos(items[0]), str(items[0]))

    def date_literal(self, items: list[Any]) -> ast.Value:
        name: Token = items[0]
        text = str(name) + (f":{items[1]}" if items[1] is not None else "")
        digits = str(items[1]).lstrip("+-").lstrip("0") if items[1] is not None else ""
        if len(digits) > _MAX_N_DIGITS:  # beyond any calendar, and too long for int() past 4,300
            raise located("MALFORMED_QUERY", self.soql, name.line or 1, name.column or 1, out_of_range(text))
        n = int(str(items[1])) if items[1] is not None else None
        return ast.Value("date_literal", str(name).upper(), _pos(name), text, n)

    def group_clause(self, items: list[Any]) -> list[ast.FieldPath]:
        return [i for i in items if isinstance(i, ast.FieldPath)]

    def order_clause(self, items: list[Any]) -> list[ast.OrderItem]:
        return [i for i in items if isinstance(i, ast.OrderItem)]

    def order_item(self, items: list[Any]) -> ast.OrderItem:
        expression, direction, _nulls, where = items
        descending = direction is not None and str(direction).lower() == "desc"
        nulls_first = (not descending) if where is None else str(where).lower() == "first"
        return ast.OrderItem(expression, descending, nulls_first)

    def limit_clause(self, items: list[Token]) -> int:
        return int(str(items[1]))

    offset_clause = limit_clause


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return "<EOF>"
    return str(token)


def parse(soql: str) -> ast.Query:
    """Parse one SOQL statement; MALFORMED_QUERY for anything outside the grammar. The parsed query is
    immutable, so the same text (a client paging, or polling) is parsed once per process."""
    if len(soql) <= _CACHEABLE_LENGTH:
        return _parse_cached(soql)
    return _parse(soql)


_CACHEABLE_LENGTH = 4000


@lru_cache(maxsize=1024)
def _parse_cached(soql: str) -> ast.Query:
    return _parse(soql)


def _parse(soql: str) -> ast.Query:
    if not soql or not soql.strip():
        raise SoqlError("MALFORMED_QUERY", "SOQL statements cannot be empty or null")
    if not soql.isascii() and not _encodable(soql):
        raise SoqlError("MALFORMED_QUERY", "SOQL statements must be valid UTF-8 text")
    if len(soql) > MAX_QUERY_LENGTH:
        raise SoqlError(
            "MALFORMED_QUERY", f"SOQL statements cannot be longer than {MAX_QUERY_LENGTH} characters"
        )
    depth = 0
    for ch in soql:  # (parentheses inside string literals count too: harmless over-caution)
        depth += (ch == "(") - (ch == ")")
        if depth > _MAX_PARENTHESES:
            raise SoqlError("MALFORMED_QUERY", "SOQL statement is nested too deeply")
    try:
        tree = _parser().parse(soql)
        query: ast.Query = _Build(soql).transform(tree)
        if _depth(query.where) > MAX_NESTING or any(
            isinstance(item, ast.SelectSubquery) and _depth(item.query.where) > MAX_NESTING
            for item in query.select
        ):
            raise SoqlError("MALFORMED_QUERY", "SOQL statement is nested too deeply")
        return query
    except SoqlError:
        raise
    except _ReservedWord as reserved:
        token = reserved.token
        raise located(
            "MALFORMED_QUERY", soql, token.line or 1, token.column or 1, f"unexpected token: '{token}'"
        ) from None
    except UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            line, column = _end_position(soql)
        else:
            line, column = token.line or 1, token.column or 1
        raise located(
            "MALFORMED_QUERY", soql, line, column, f"unexpected token: '{_token_text(token)}'"
        ) from None
    except UnexpectedCharacters as error:
        at = error.pos_in_stream or 0
        char = soql[at] if 0 <= at < len(soql) else ""
        raise located(
            "MALFORMED_QUERY", soql, error.line or 1, error.column or 1, f"unexpected token: '{char}'"
        ) from None
    except (UnexpectedEOF, UnexpectedInput):
        line, column = _end_position(soql)
        raise located("MALFORMED_QUERY", soql, line, column, "unexpected token: '<EOF>'") from None
    except LarkError as error:  # a transformer callback failing, e.g. on an unforeseen shape
        cause = error.__context__
        if isinstance(cause, SoqlError):
            raise cause from None
        raise SoqlError("MALFORMED_QUERY", "unexpected token") from None
    except RecursionError:
        raise SoqlError("MALFORMED_QUERY", "SOQL statement is nested too deeply") from None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth(condition: ast.Condition | None) -> int:
    """How deeply NOT / AND / OR nest (the translator and SQL compilation recurse that deep)."""
    deepest = 0
    stack: list[tuple[ast.Condition, int]] = [(condition, 1)] if condition is not None else []
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, ast.Not):
            stack.append((node.item, level + 1))
        elif isinstance(node, ast.BoolOp):
            stack.extend((item, level + 1) for item in node.items)
    return deepest


def _end_position(soql: str) -> tuple[int, int]:
    lines = soql.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1
