"""`ocpiwh irve init` on a fresh warehouse, then the blanks filled: the export gives valid rows.
Before that, an export without any valid row exits non-zero and says what would fix it."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pyarrow as pa
import pytest
import tomli_w
from ocpi_fixtures import connector, evse, location

from ocpiwh import warehouse
from ocpiwh.cli.main import main
from ocpiwh.irve.init import fix_hints
from ocpiwh.irve.validate import ValidationReport
from ocpiwh.lake import write_batch

SAMPLE = {
    "siren_amenageur": "130025265",
    "contact_amenageur": "amenageur@example.fr",
    "contact_operateur": "support@example.fr",
    "telephone_operateur": "01 44 27 63 50",
    "raccordement": "Indirect",
    "restriction_gabarit": "Aucune",
    "horaires": "24/7",
    "nom_amenageur": "Aménageur SAS",
    "code_insee_commune": "01093",
    "public": "true",
    "num_pdl": "12345678901234",
    "date_mise_en_service": "2024-01-02",
    "implantation_station": "Parking public",
}


@pytest.fixture()
def fresh(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    t2 = [connector("1", "IEC_62196_T2")]
    locs = [
        location("FRNEWP1", [evse("A", "FR*NEW*E1A", t2), evse("B", "FR*NEW*E1B", t2)], party="NEW"),
        location("FRNEWP2", [evse("C", "FR*NEW*E2C", t2)], party="NEW", postal_code="01400", city="Nulle-Part"),
    ]  # fmt: skip
    write_batch(root, source="t", module="locations", version="2.2.1", objects=locs)
    old = {
        "id": "FRNEWP3", "type": "PARKING_LOT", "name": "Vieux site", "address": "2 rue Neuve",
        "city": "Metz", "postal_code": "57000", "country": "FRA",
        "coordinates": {"latitude": "49.11", "longitude": "6.17"},
        "operator": {"name": "New"}, "last_updated": "2026-01-10T10:00:00Z",
        "evses": [{"uid": "D", "evse_id": "FR*NEW*E3D", "status": "AVAILABLE",
                   "last_updated": "2026-01-10T10:00:00Z",
                   "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                                   "power_type": "AC_3_PHASE", "voltage": 230, "amperage": 32,
                                   "last_updated": "2026-01-10T10:00:00Z"}]}],
    }  # fmt: skip
    write_batch(
        root,
        source="t",
        module="locations",
        version="2.1.1",
        objects=[old],
        platform_party=("FR", "NEW"),
    )
    warehouse.refresh(root)
    (root / "ocpiwh.toml").write_text('warehouse_id = "fresh"\n')
    return root


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0)


def test_init_then_fill_the_blanks_gives_valid_rows(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = ["--warehouse", str(fresh)]
    out = tmp_path / "irve.csv"
    # a fresh warehouse: no valid row, exit 1, and what to fix first
    assert _run([*w, "export", "irve_statique", "--out", str(out)]) == 1
    text = capsys.readouterr()
    assert "no valid row" in text.err and "siren_amenageur: 3 rows" in text.err, text.err
    assert "[irve.defaults] siren_amenageur" in text.err and "ocpiwh irve init" in text.err
    assert "ocpi211_public" in text.err  # the 2.1.1 site is left out until declared

    assert _run([*w, "irve", "init"]) == 0
    said = capsys.readouterr().out
    assert "[irve] written" in said and "3 stations" in said
    config = tomllib.loads((fresh / "ocpiwh.toml").read_text())
    defaults = config["irve"]["defaults"]
    assert set(defaults) >= {"siren_amenageur", "contact_amenageur", "raccordement"}
    assert all(v == "" for v in defaults.values())
    with (fresh / "irve-overrides.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_id = {r["location_id"]: r for r in rows}
    # exactly what each station lacks: the INSEE code the COG table could not derive (FRNEWP2),
    # the public declaration of the 2.1.1 site (FRNEWP3)
    assert by_id["FRNEWP2"]["missing"].split(";").count("code_insee_commune") == 1
    assert "code_insee_commune" not in by_id["FRNEWP1"]["missing"]
    assert "public" in by_id["FRNEWP3"]["missing"] and "public" not in by_id["FRNEWP1"]["missing"]
    assert _run([*w, "irve", "init"]) == 2  # never overwrites a CSV being filled
    capsys.readouterr()

    # the CPO fills the blanks
    config["irve"]["defaults"] = {k: SAMPLE[k] for k in defaults}
    (fresh / "ocpiwh.toml").write_text(tomli_w.dumps(config))
    for r in rows:
        for k in r:
            if k not in ("location_id", "missing", "adresse") and k in r["missing"].split(";"):
                r[k] = SAMPLE[k]
    with (fresh / "irve-overrides.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert _run([*w, "export", "irve_statique", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "4 valid, 0 invalid" in said.out and "warning" not in said.err
    with out.open(encoding="utf-8") as fh:
        written = {r["id_pdc_itinerance"]: r for r in csv.DictReader(fh)}
    assert written["FRNEWE2C"]["code_insee_commune"] == "01093"
    assert written["FRNEWE1A"]["code_insee_commune"] == "75056"  # derived
    assert written["FRNEWE3D"]["code_insee_commune"] == "57463"  # 2.1.1, declared public
    # models run reads [irve] the same way as export
    assert _run([*w, "models", "run", "irve_statique", "--format", "csv"]) == 0
    assert "130025265" in capsys.readouterr().out


def test_fix_hints_count_rows_per_field() -> None:
    """A row failing two rules on one field counts once; export-only rules give no hint."""
    errors = pa.table(
        {
            "row": pa.array([1, 1, 2, 3, 3, 4], pa.int64()),
            "key": ["a", "a", "b", "c", "c", "d"],
            "field": ["siren_amenageur"] * 3 + ["nom_operateur", "x", "x"],
            "rule": [
                "a:required",
                "qualicharge:siren_luhn",
                "a:required",
                "a:required",
                "export:too_old",
                "export:too_old",
            ],
            "value": [None] * 6,
        }
    )
    report = ValidationReport(schema="statique", profile="p", rows=4, errors=errors)
    hints = fix_hints(report)
    assert [h.split(" — ")[0] for h in hints] == [
        "siren_amenageur: 2 rows",
        "nom_operateur: 1 rows",
    ]
    assert fix_hints(report, limit=1) == hints[:1]
