"""The Mobilithek AFIR profile's own JSON Schemas, from a local clone, for checking only.

    git clone https://github.com/MobilithekDE/AFIR-DATEX-II-Recharging-Profil profile
    python tools/afir_schemas.py profile ~/.cache/ocpiwh-afir      # copy (never into ocpiwh/)
    OCPIWH_AFIR_SCHEMAS=~/.cache/ocpiwh-afir pytest tests/afir      # also validate against them
    python tools/afir_schemas.py --diff profile                     # enums/required that differ

The profile states no licence, so ocpiwh ships a schema of its own
(ocpiwh/afir/schemas/SOURCE.md); this script keeps the two comparable.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

RELEASE = Path("Releases/Version 01-00-00/Schema und Beispiele")
FOLDERS = ("EnergyInfrastructureTablePublication", "EnergyInfrastructureStatusPublication")
DERIVED = Path(__file__).parent.parent / "ocpiwh/afir/schemas/afir-01-00-00.derived.schema.json"


def copy(checkout: Path, dest: Path) -> None:
    for folder in FOLDERS:
        target = dest / folder
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((checkout / RELEASE / folder).glob("DATEXII_3_*.json")):
            shutil.copyfile(path, target / path.name)
            print(f"{target / path.name}")


def _defs(checkout: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for folder in FOLDERS:
        for path in sorted((checkout / RELEASE / folder).glob("DATEXII_3_*.json")):
            out.update(json.loads(path.read_text()).get("definitions", {}))
    return out


def diff(checkout: Path) -> int:
    upstream = _defs(checkout)
    ours = json.loads(DERIVED.read_text())["$defs"]
    n = 0
    for name, ours_def in sorted(ours.items()):
        base = name[:-1] if name.endswith("EnumG") else name
        up = upstream.get(base) or upstream.get(name)
        if up is None:
            continue
        want = set(ours_def.get("properties", {}).get("value", {}).get("enum", []))
        have = set(up.get("enum", [])) - {"extendedG"}
        if want and want != have:
            n += 1
            print(
                f"{name}: enum differs: ours-only {sorted(want - have)}, profile-only {sorted(have - want)}"
            )
        if "required" in up and set(up["required"]) != set(ours_def.get("required", [])):
            n += 1
            print(
                f"{name}: required differs: profile {up['required']}, ours {ours_def.get('required')}"
            )
    print(f"{n} difference(s)")
    return 1 if n else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--diff":
        return diff(Path(argv[1]))
    if len(argv) == 2:
        copy(Path(argv[0]), Path(argv[1]).expanduser())
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
