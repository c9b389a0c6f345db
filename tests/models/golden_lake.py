"""Golden-case helpers: build a lake from hand-made OCPI objects, format rows canonically."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ocpiwh.lake import write_batch

GOLDEN = Path(__file__).parent / "golden"


def golden_cases() -> list[Path]:
    return sorted(p for p in GOLDEN.glob("*/*") if (p / "params.json").exists())


def build_lake(case: Path, root: Path) -> Path:
    """``input/NN-<module>-<version>.json`` files, in name order, one batch each."""
    for path in sorted((case / "input").glob("*.json")):
        _, module, version = path.stem.split("-", 2)
        write_batch(
            root,
            source="sim",
            module=module,
            version=version,
            objects=json.loads(path.read_text()),
            platform_party=("FR", "SIM"),
        )
    return root


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def to_csv(table: pa.Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([fmt(v) for v in row.values()])
    return buf.getvalue()
