"""Fuzzing the admin API from its own OpenAPI document (schemathesis): every operation, with inputs
that fit the document and inputs that break it, sent over HTTP with a System Administrator's bearer
token, on both backends. Whatever arrives, the answer is below 500 and the server logs no error.

Path parameters are random most of the time and, the rest of the time, name a real app, user,
profile or permission set made for the purpose (never the fuzzing admin or its app), so update,
rotate and revoke reach the service code rather than stopping at "not found".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema

from forcegate.web.admin import OPENAPI
from tests.support.data_api import bearer, token_for
from tests.support.fuzzing import ServerLog, examples, fuzz_server_for, server_log
from tests.support.server import Server

__all__ = ["server_log"]  # the fixture, imported for the tests below

OPENAPI_PATH = "/admin/api/v1/openapi.json"
OPERATIONS = sorted(
    (path, method.upper())
    for path, item in OPENAPI["paths"].items()
    for method in item
    if method in ("get", "post", "patch", "delete", "put")
)
# Per operation and generation mode: 25 operations x 2 modes x 5 = 250 cases per backend.
PER_MODE = 5


@dataclass
class AdminFuzz:
    server: Server
    schema: BaseSchema
    headers: dict[str, str]
    targets: dict[str, list[str]]  # path parameter -> real values besides random ones


@pytest.fixture(scope="module")
def fuzz(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminFuzz]:
    for server in fuzz_server_for(backend[0], tmp_path_factory.mktemp("fuzz-admin")):
        token = token_for(server, server.create_user(profile="System Administrator"))
        headers = bearer(token)
        victim = server.create_user(profile="Standard User")
        app, _ = server.create_app()
        with server.client(headers=headers) as admin:
            for kind in ("profiles", "permission-sets"):
                created = admin.post(f"/admin/api/v1/{kind}", json={"name": f"fuzz-{kind}"})
                assert created.status_code == 201, created.text
        schema = schemathesis.openapi.from_url(server.url + OPENAPI_PATH)
        yield AdminFuzz(
            server,
            schema,
            headers,
            {
                "ref": [victim.id, victim.username, app.consumer_key, app.name, app.id[:15]],
                "user": [victim.username, victim.id],
                "name": ["fuzz-profiles", "fuzz-permission-sets", "Standard User"],
            },
        )


def _cases(fuzz: AdminFuzz, path: str, method: str) -> st.SearchStrategy[Any]:
    operation = fuzz.schema[path][method]
    params = re.findall(r"{(\w+)}", path)
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if params:
            fixed = st.fixed_dictionaries({name: st.sampled_from(fuzz.targets[name]) for name in params})
            strategies.append(
                fixed.flatmap(
                    lambda values, m=mode: operation.as_strategy(generation_mode=m, path_parameters=values)
                )
            )
    return st.one_of(strategies)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_admin_api_answers_below_500_and_logs_no_error(
    fuzz: AdminFuzz, server_log: ServerLog, path: str, method: str
) -> None:
    session = requests.Session()

    @examples(PER_MODE * 2)
    @given(case=_cases(fuzz, path, method))
    def run(case: Any) -> None:
        with server_log.no_new_errors(case):
            response = case.call(base_url=fuzz.server.url, session=session, headers=fuzz.headers, timeout=30)
        assert response.status_code < 500, (case, response.status_code, response.text[:500])

    run()
    # The fuzzing admin still works: no case locked it out by accident (it would hide every later case).
    assert session.get(fuzz.server.url + "/admin/api/v1/users", headers=fuzz.headers).status_code == 200
