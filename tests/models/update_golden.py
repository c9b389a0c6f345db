"""Rewrite the expected.csv of golden model cases, by hand only (the test never writes them).

    python tests/models/update_golden.py                       # every case
    python tests/models/update_golden.py session_durations     # every case of a model
    python tests/models/update_golden.py utilization/march     # one case

Then review `git diff tests/models/golden`: the expected files are the specification.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from golden_lake import build_lake, golden_cases, to_csv

from ocpiwh import models, warehouse


def update(case: Path) -> bool:
    """Rewrite ``case``'s expected.csv; True when it changed."""
    with tempfile.TemporaryDirectory() as tmp:
        root = build_lake(case, Path(tmp))
        con = warehouse.connect(root)
        try:
            table = models.get_model(case.parent.name).run(
                con, json.loads((case / "params.json").read_text())
            )
        finally:
            con.close()
    target = case / "expected.csv"
    new = to_csv(table)
    if target.exists() and target.read_text() == new:
        return False
    target.write_text(new)
    return True


def main(argv: list[str]) -> int:
    cases = [
        c
        for c in golden_cases()
        if not argv or c.parent.name in argv or f"{c.parent.name}/{c.name}" in argv
    ]
    if not cases:
        print(f"no golden case matches {' '.join(argv)}")
        return 2
    for case in cases:
        if update(case):
            print(
                f"rewrote {case.relative_to(Path.cwd()) if case.is_relative_to(Path.cwd()) else case}/expected.csv"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
