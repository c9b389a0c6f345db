"""Rewrite the golden AFIR publications, by hand only (the tests never write them).

    PYTHONPATH=$PWD python tests/afir/update_golden.py

Then review `git diff tests/afir/golden`: the files are the specification.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

import orjson
from afir_lake import DELTA_SINCE, NOW, VERSIONS, build_lake

from ocpiwh import afir

GOLDEN = Path(__file__).parent / "golden"
CASES = (("afir_table", None), ("afir_status", None), ("afir_status_delta", DELTA_SINCE))


def write(version: str, folder: Path) -> list[Path]:
    """Publish every case of ``version`` into ``folder``; the files written."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        root = build_lake(Path(tmp) / "wh", version)
        for case, since in CASES:
            out = folder / f"{case}.json"
            model = case.removesuffix("_delta")
            afir.publish(root, model, out, since=since, now=datetime.fromisoformat(NOW))
            out.with_name(out.name + ".manifest.json").unlink()
            # indented for review; the test compares the parsed documents
            out.write_bytes(
                orjson.dumps(orjson.loads(out.read_bytes()), option=orjson.OPT_INDENT_2)
            )
            written += [out, out.with_name(out.name + ".report.csv")]
    return written


def main() -> int:
    for version in VERSIONS:
        folder = GOLDEN / version
        folder.mkdir(parents=True, exist_ok=True)
        for path in write(version, folder):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
