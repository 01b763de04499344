"""The import contracts of pyproject.toml ([tool.importlinter], run by `make lint`) hold, and each one
fails when the import it forbids is written: a copy of the package gets one deliberate import, and
`lint-imports` must report that contract broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _lint_imports(project: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", *selected],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " broken" in result.stdout and "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("contract", "module", "mistake"),
    [
        # Storage below everything that decides: it may not reach up into the org's services.
        ("layers", "storage/db.py", "from forcegate.org import errors"),
        # The cycle issue 11 broke: the context (built below org) importing an org service.
        ("layers", "context.py", "from forcegate.org import users"),
        # Start-up wiring sits above org: org may not call it.
        ("layers", "org/users.py", "from forcegate import bootstrap"),
        ("acyclic", "context.py", "from forcegate.org import users"),
        ("entry-points", "domain.py", "from forcegate.web import common"),
        # The other cycle: the compiler reading the data layer's loader (or the database).
        ("soql", "soql/translate.py", "from forcegate.data import metadata"),
        ("soql", "model/objects.py", "from forcegate.context import Context"),
        ("protocol", "protocol/scopes.py", "import starlette"),
        ("protocol", "protocol/pkce.py", "from forcegate import domain"),
        ("leaves", "secrets_box.py", "from forcegate.storage import db"),
        ("client", "client/session.py", "from forcegate import config"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, contract: str, module: str, mistake: str
) -> None:
    shutil.copytree(ROOT / "src" / "forcegate", tmp_path / "src" / "forcegate",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "forcegate" / module
    target.write_text(target.read_text() + f"\n{mistake}  # deliberate\n")
    result = _lint_imports(tmp_path, contract)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and "1 broken" in result.stdout
