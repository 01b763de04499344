"""The OAuth error catalogue is pinned: every error code and description the server can answer on
its OAuth endpoints (token, authorize, revocation, introspection, device, and the pages that show an
OAuth error) is an instance in ``forcegate.protocol.errors``, listed by name in
``tests/conformance/golden/errors/oauth.json``.

A change to the catalogue (a new error, a reworded description, a changed code or status) fails here
until the file changes with it, so a wire change is always a deliberate one. To regenerate on purpose:

    FORCEGATE_UPDATE_GOLDEN=1 PYTHONPATH=src .venv/bin/pytest tests/conformance/test_error_catalogue_oauth.py

then review the diff of the JSON file. SOAP faults (``flows/soap.py``) and the REST error arrays
(``[{"message","errorCode"}]``) are other families, pinned elsewhere.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

from forcegate.protocol import errors

GOLDEN = Path(__file__).parent / "golden" / "errors" / "oauth.json"
UPDATE_VARIABLE = "FORCEGATE_UPDATE_GOLDEN"
SRC = Path(errors.__file__).resolve().parents[1]


def catalogue_document() -> dict[str, Any]:
    entries = {
        name: {"error": error.error, "error_description": error.description, "status": error.status}
        for name, error in sorted(errors.catalogue().items())
    }
    pairs = sorted({(e["error"], e["error_description"]) for e in entries.values()})
    return {
        "errors": entries,
        # What a client can see, whatever we call it: each distinct (error, error_description) pair.
        "wire": [{"error": code, "error_description": description} for code, description in pairs],
    }


def test_the_catalogue_matches_its_golden_file() -> None:
    document = catalogue_document()
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), f"no {GOLDEN}: run with {UPDATE_VARIABLE}=1 to write it"
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert pinned == document, (
        f"the OAuth error catalogue changed without {GOLDEN.name}: if on purpose, rerun with "
        f"{UPDATE_VARIABLE}=1 and review the diff"
    )


def test_the_two_admin_approval_refusals_keep_salesforce_s_two_codes() -> None:
    # Salesforce answers invalid_app_access at the token endpoint and OAUTH_APP_ACCESS_DENIED on the
    # authorize redirect: two names, one per place.
    assert errors.NotAdminApproved.as_json() == {
        "error": "invalid_app_access",
        "error_description": "user is not admin approved to access this app",
    }
    assert errors.AuthorizeNotAdminApproved.as_json() == {
        "error": "OAUTH_APP_ACCESS_DENIED",
        "error_description": "user is not admin approved to access this app",
    }


def _calls_named(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in names)
            or (isinstance(node.func, ast.Attribute) and node.func.attr in names)
        )
    ]


def test_no_oauth_error_is_worded_outside_the_catalogue() -> None:
    """Outside ``protocol/errors.py`` no code makes an ``OAuthError`` or rewords one
    (``with_description``): the golden file would not know what it says."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py" and path.parent.name == "protocol":
            continue
        if "client" in path.relative_to(SRC).parts:
            continue  # the client package's own OAuthError reads answers, it does not make them
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls_named(tree, {"OAuthError", "with_description"}):
            offenders.append(f"{path.relative_to(SRC)}:{call.lineno}")
    assert offenders == []
