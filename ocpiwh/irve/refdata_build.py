"""Build the commune table shipped in ``ocpiwh/irve/refdata/`` (``make refdata``).

    python -m ocpiwh.irve.refdata_build CURRENT.tgz QUALICHARGE_YEAR.tgz [OUT_DIR]

Inputs are npm tarballs of ``@etalab/decoupage-administratif`` (INSEE's *Code officiel
géographique* + DGCL's EPCI + La Poste's postal codes, Licence Ouverte; see docs/refdata.md):
the current year's, from which codes are derived, and the one of the year of QualiCharge's
commune table (contours administratifs 2024 → package 4.1.0), which says whether QualiCharge's
rule INSE will know a code. Output, deterministic (same inputs → same bytes):

``communes.csv.gz``  one row per commune, municipal arrondissement, delegated or associated
                     commune: ``code, nom, kind, parent, departement, region, epci,
                     codes_postaux, in_qualicharge`` (kind: ``commune``, ``arrondissement``,
                     ``deleguee``, ``associee``; parent: the current commune of the three others;
                     codes_postaux space-separated; in_qualicharge: 1 when the code is a commune
                     of the QualiCharge year).
``communes.meta.json``  sources (package, version, sha256 of each tarball), licence, row count
                     per kind and sha256 of the uncompressed CSV: the test that the shipped table
                     is the generator's output checks these.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

PACKAGE = "@etalab/decoupage-administratif"
COLUMNS = (
    "code", "nom", "kind", "parent", "departement", "region", "epci", "codes_postaux",
    "in_qualicharge",
)  # fmt: skip
KINDS = {
    "commune-actuelle": "commune",
    "arrondissement-municipal": "arrondissement",
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
}
OUT_DIR = Path(__file__).resolve().parent / "refdata"


def _member(tar: tarfile.TarFile, name: str) -> Any:
    f = tar.extractfile(f"package/{name}")
    if f is None:
        raise SystemExit(f"{name} missing from the tarball")
    return json.loads(f.read())


def read_package(path: Path) -> dict[str, Any]:
    """communes, epci and version of one npm tarball."""
    with tarfile.open(path, "r:gz") as tar:
        meta = _member(tar, "package.json")
        return {
            "version": str(meta["version"]),
            "name": str(meta["name"]),
            "communes": _member(tar, "data/communes.json"),
            "epci": _member(tar, "data/epci.json"),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }


def build_rows(current: dict[str, Any], qc_year: dict[str, Any]) -> list[dict[str, str]]:
    epci = {m["code"]: e["code"] for e in current["epci"] for m in e["membres"]}
    qc_codes = {c["code"] for c in qc_year["communes"] if c["type"] == "commune-actuelle"}
    rows = []
    for c in current["communes"]:
        kind = KINDS.get(c["type"])
        if kind is None:
            continue
        parent = "" if kind == "commune" else str(c.get("commune") or c.get("chefLieu") or "")
        rows.append(
            {
                "code": c["code"],
                "nom": c["nom"],
                "kind": kind,
                "parent": parent,
                "departement": c.get("departement", ""),
                "region": c.get("region", ""),
                "epci": epci.get(parent or c["code"], ""),
                "codes_postaux": " ".join(sorted(c.get("codesPostaux", []))),
                "in_qualicharge": "1" if kind == "commune" and c["code"] in qc_codes else "0",
            }
        )
    rows.sort(key=lambda r: (r["code"], r["kind"]))
    return rows


def render_csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def build(current_tgz: Path, qc_tgz: Path, out_dir: Path = OUT_DIR) -> dict[str, Any]:
    """Write ``communes.csv.gz`` and ``communes.meta.json`` into ``out_dir``; return the meta."""
    current, qc_year = read_package(current_tgz), read_package(qc_tgz)
    for pkg in (current, qc_year):
        if pkg["name"] != PACKAGE:
            raise SystemExit(f"{pkg['name']} is not {PACKAGE}")
    rows = build_rows(current, qc_year)
    data = render_csv(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "communes.csv.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    meta = {
        "source": {
            "package": PACKAGE,
            "version": current["version"],
            "tarball_sha256": current["sha256"],
            "url": f"https://registry.npmjs.org/{PACKAGE}/-/decoupage-administratif-"
            f"{current['version']}.tgz",
        },
        "qualicharge_year_source": {
            "package": PACKAGE,
            "version": qc_year["version"],
            "tarball_sha256": qc_year["sha256"],
            "why": "QualiCharge's rule INSE checks codes against Etalab contours "
            "administratifs 2024 (COG 2024)",
        },
        "licence": "Licence Ouverte / Open Licence 2.0 (data); MIT (package code, not shipped)",
        "columns": list(COLUMNS),
        "rows": len(rows),
        "rows_by_kind": dict(sorted(Counter(r["kind"] for r in rows).items())),
        "csv_sha256": hashlib.sha256(data).hexdigest(),
    }
    (out_dir / "communes.meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return meta


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    out = Path(argv[2]) if len(argv) == 3 else OUT_DIR
    meta = build(Path(argv[0]), Path(argv[1]), out)
    print(f"{out}/communes.csv.gz: {meta['rows']} rows {meta['rows_by_kind']}")


if __name__ == "__main__":
    main(sys.argv[1:])
