"""The migrations build exactly the schema the code queries, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from forcegate.data.metadata import RUNTIME_TABLE_PREFIX
from forcegate.storage.schema import EXPRESSION_INDEXES, metadata
from tests.support.server import Server


def _declared(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out what custom objects and fields add at run time: their cx_* record tables and the
    ``*__c`` columns added to standard record tables (see forcegate.data.metadata); and the expression
    indexes of migration 0007, which autogenerate cannot compare."""
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False
    if type_ == "table" and name is not None and name.startswith(RUNTIME_TABLE_PREFIX):
        return False
    table = getattr(obj, "table", None)
    if table is not None and str(getattr(table, "name", "")).startswith(RUNTIME_TABLE_PREFIX):
        return False
    return not (type_ == "column" and name is not None and name.endswith("__c"))


def test_when_migrated_then_database_matches_schema_module(server: Server) -> None:
    with server.ctx.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _declared})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_when_org_created_then_standard_profiles_and_platform_cli_exist(server: Server) -> None:
    from forcegate.org.connected_apps import find_app
    from forcegate.storage import repositories as repo

    with server.ctx.db.read() as conn:
        names = {p.name for p in repo.list_profiles(conn, server.org_id)}
        cli = find_app(conn, server.org_id, "PlatformCLI")
    assert {"System Administrator", "Standard User"} <= names
    assert cli.consumer_key == "PlatformCLI"
    assert cli.callback_urls == ("http://localhost:1717/OauthRedirect",)
    assert cli.scopes == ("refresh_token", "api", "web")
    assert cli.require_pkce and not cli.require_secret_for_web_server


def test_when_soql_orders_by_name_then_the_expression_index_serves_it(server: Server) -> None:
    """The exact SQL the translator emits for ``ORDER BY Name LIMIT 10`` can be answered from migration
    0007's index, in index order, on both backends (no sort of the whole table)."""
    import datetime as dt

    from sqlalchemy import text

    from forcegate.data.metadata import load_schema
    from forcegate.model.access import FULL_ACCESS, Caller
    from forcegate.soql.parser import parse
    from forcegate.soql.translate import compile_query

    postgres = server.backend == "postgresql"
    with server.ctx.db.read() as conn:
        schema = load_schema(conn, server.org_id)
        compiled = compile_query(
            schema,
            Caller(server.org_id, None, FULL_ACCESS),
            parse("SELECT Id, Name FROM Account ORDER BY Name LIMIT 10"),
            today=dt.date.today(),
            postgres=postgres,
        )
        statement = compiled.statement.compile(conn, compile_kwargs={"render_postcompile": True})
        if postgres:
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # tiny test tables: force the choice
            plan = conn.exec_driver_sql("EXPLAIN " + str(statement), statement.params).fetchall()
        else:
            params = tuple(statement.params[name] for name in statement.positiontup or [])
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(statement), params).fetchall()
    rendered = "\n".join(str(row[-1]) for row in plan)
    assert "ix_data_accounts_org_lower_name" in rendered, rendered
