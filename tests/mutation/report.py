"""Score per module of the last `make mutation` run (read from mutants/**/*.meta), for SURVIVORS.md.

    python tests/mutation/report.py [--survivors] [mutant-name-glob ...]

Only mutants matching the globs are counted (default: the Makefile's MUTANTS scope). The score is
killed / (killed + survived + no tests); timeouts count as killed (the mutant hung the tests), and
mutants not run yet are listed as pending.
"""

from __future__ import annotations

import collections
import fnmatch
import json
import sys
from pathlib import Path

from mutmut.stats import status_by_exit_code

SCOPE = [
    "forcegate.protocol.*",
    "forcegate.flows.common.*",
    "forcegate.flows.bearer.*",
    "forcegate.flows.revocation.*",
    "forcegate.flows.introspection.*",
    "forcegate.storage.token_lifecycle.*",
    "forcegate.model.access.*",
    "forcegate.model.visible.*",
    "forcegate.org.permissions.xǁUserAccessǁ*",
    "forcegate.org.permissions.x_load_user_access*",
    "forcegate.soql.translate.xǁ_Translatorǁreadable_*",
]


def main(argv: list[str]) -> None:
    show_survivors = "--survivors" in argv
    patterns = [a for a in argv if not a.startswith("--")] or SCOPE
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    survivors = []
    for meta in sorted(Path("mutants").rglob("*.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if not any(fnmatch.fnmatch(name, p) for p in patterns):
                continue
            status = "pending" if code is None else status_by_exit_code.get(code, f"exit {code}")
            counts[name.split(".x")[0]][status] += 1
            if status in ("survived", "no tests"):
                survivors.append(f"{status}: {name}")
    print("| module | mutants | killed | survived | no tests | pending | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for module, c in sorted(counts.items()):
        killed = c["killed"] + c["timeout"] + c["segfault"]
        judged = killed + c["survived"] + c["no tests"]
        score = f"{100 * killed / judged:.0f}%" if judged else "-"
        row = [module, sum(c.values()), killed, c["survived"], c["no tests"], c["pending"], score]
        print("| " + " | ".join(str(v) for v in row) + " |")
    if show_survivors:
        print("\n".join(survivors))


if __name__ == "__main__":
    main(sys.argv[1:])
