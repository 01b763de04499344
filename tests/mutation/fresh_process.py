"""Run mutants whose function runs only at import time, each in a fresh Python process.

mutmut switches mutants at call time inside workers forked from a process that has already imported
forcegate, so a function called only while a module is imported (``_lookup`` building the token
lookup statements, ``_error`` building the canonical OAuth errors) always ran unmutated there and its
mutants "survive" untested. Here each one runs in a new process with ``MUTANT_UNDER_TEST`` set before
the import, against the given tests:

    cd mutants && FORCEGATE_TEST_BACKENDS=sqlite PYTHONPATH=src \\
        python ../tests/mutation/fresh_process.py 'forcegate.storage.token_lifecycle.x__lookup__mutmut_*' \\
        -- tests/flows/test_revocation.py tests/flows/test_introspection.py

Prints one line per mutant (killed / SURVIVED) and exits 1 when any survived.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path


def mutant_names(patterns: list[str]) -> list[str]:
    names = []
    for meta in sorted(Path("src").rglob("*.meta")):
        for name in json.loads(meta.read_text())["exit_code_by_key"]:
            if any(fnmatch.fnmatch(name, p) for p in patterns):
                names.append(name)
    return names


def main(argv: list[str]) -> int:
    split = argv.index("--")
    patterns, tests = argv[:split], argv[split + 1 :]
    survivors = 0
    for name in mutant_names(patterns):
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            env={**os.environ, "MUTANT_UNDER_TEST": name},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        killed = result.returncode != 0
        survivors += not killed
        print("killed  " if killed else "SURVIVED", name, flush=True)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
