"""``ocpiwh irve init``: the ``[irve]`` section and an overrides CSV with exactly the blanks.

A new CPO's first IRVE export is all invalid: SIREN, contacts, raccordement… are not in OCPI.
:func:`init` runs ``irve_statique`` with the current configuration, validates it as the export
does, and writes what is still missing: operator-wide fields as empty keys of
``[irve.defaults]`` (one value for every station), per-station fields (``num_pdl``,
``date_mise_en_service``, ``code_insee_commune`` the COG table could not derive, ``public`` of
a location without a publish flag) as columns of the overrides CSV, one row per station, with a
``missing`` column listing what that station still lacks. Filling the blanks is the whole job.
:func:`fix_hints` says, for an export with no valid row, which fields and keys would fix most.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ocpiwh import models, warehouse
from ocpiwh.config import Config
from ocpiwh.errors import UsageError
from ocpiwh.irve.config import CONFIG_FIELDS, INFO_COLUMNS, IrveConfig, model_values
from ocpiwh.irve.geo import report_not_derived
from ocpiwh.irve.validate import ValidationReport, check_table, read_report
from ocpiwh.lake import Location, open_store

DEFAULT_OVERRIDES = "irve-overrides.csv"
PER_STATION = ("code_insee_commune", "num_pdl", "date_mise_en_service", "public")
"""Fields that differ from station to station: columns of the overrides CSV."""


@dataclass
class InitResult:
    overrides: Path
    section_written: bool
    defaults: list[str] = field(default_factory=list)
    stations: int = 0
    station_fields: list[str] = field(default_factory=list)
    complete: int = 0


_MISSING_RULES = [
    "ocpiwh:insee_not_derived",
    "qualicharge:num_pdl_required",
    "qualicharge:telephone",
]
"""Besides ``*:required``: the rules a configured value fixes (a refused phone included)."""


def _missing(report: ValidationReport) -> dict[int, set[str]]:
    """Row → configurable fields reported missing (or, for phones, refused)."""
    errors = report.errors
    rule = errors.column("rule")
    wanted = pc.and_(
        pc.or_(pc.ends_with(rule, ":required"), pc.is_in(rule, pa.array(_MISSING_RULES))),
        pc.is_in(errors.column("field"), pa.array(sorted(CONFIG_FIELDS))),
    )
    out: dict[int, set[str]] = {}
    for e in errors.filter(wanted).select(["row", "field"]).to_pylist():
        out.setdefault(int(e["row"]), set()).add(str(e["field"]))
    return out


def init(root: Location, overrides: str | None = None, *, force: bool = False) -> InitResult:
    """Write ``[irve]`` (unless present; ``force`` rewrites its blanks) and the overrides CSV."""
    store = open_store(root)
    if not store.is_warehouse():
        raise UsageError(f"{root} is not a warehouse; run `ocpiwh login` or `ocpiwh sync` first")
    config = Config.load(store)
    section: dict[str, Any] = dict(config.extra.get("irve") or {})
    present = bool(section)
    name = str(section.get("overrides") or overrides or DEFAULT_OVERRIDES)
    base = store.local_root or Path.cwd()
    path = Path(name) if Path(name).is_absolute() else base / name
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to rewrite it (its filled cells are lost)")
    current = {k: v for k, v in section.items() if k != "overrides" or path.exists()}
    cfg = IrveConfig.from_mapping(current, base=base)
    asked = cfg.ocpi211_public
    if asked is None:  # look at undeclared 2.1.1 sites too: their blanks are asked at once
        cfg.ocpi211_public = True
    con = warehouse.connect(store, read_only=False)
    try:
        model = models.get_model("irve_statique")
        values = model_values(store, con, model.all_params, cfg=cfg)
        con.execute(f"CREATE TEMP TABLE _init AS {model.expanded_sql}", _used(model, values))
        rows = check_table(con, "_init", "statique", max_session_age_days=None)
        report_not_derived(con, "_init", orjson.loads(values["irve_config"])["places"])
        report = read_report(con, "statique", "qualicharge", rows)
        stations = con.execute(
            "SELECT rowid + 1, id_station_local, id_station_itinerance, adresse_station FROM _init"
        ).fetchall()
        cfg.ocpi211_public = asked
        sites_model = models.get_model("irve_sites")
        sites = sites_model.run(
            con, _used(sites_model, model_values(store, con, ["irve_config"], cfg=cfg))
        )
    finally:
        con.close()
    missing = _missing(report)
    undeclared = {
        (r["country_code"], r["party_id"], r["location_id"])
        for r in sites.to_pylist()
        if r["why"] == "undeclared"
    }
    per_station: dict[str, set[str]] = {}
    address: dict[str, str] = {}
    for row, location_id, _station, adresse in stations:
        per_station.setdefault(str(location_id), set()).update(missing.get(int(row), set()))
        address[str(location_id)] = adresse or ""
    everywhere = set.intersection(*per_station.values()) if per_station else set()
    for _cc, _party, location_id in sorted(undeclared):  # left out until declared
        per_station.setdefault(str(location_id), set()).add("public")
    defaults = sorted(everywhere - set(PER_STATION))
    station_fields = sorted({f for fields in per_station.values() for f in fields} - set(defaults))
    _write_csv(path, per_station, station_fields, address)
    written = False
    if not present or force:
        section.setdefault("overrides", name)
        table = dict(section.get("defaults") or {})
        for f in defaults:
            table.setdefault(f, "")
        section["defaults"] = table
        config.extra["irve"] = section
        config.save()
        written = True
    complete = sum(1 for fields in per_station.values() if not fields)
    return InitResult(path, written, defaults, len(per_station), station_fields, complete)


def _used(model: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    bound = model.bind({k: v for k, v in values.items() if k in model.all_params})
    return {k: bound[k] for k in model._placeholders(model.expanded_tree)}


def _write_csv(
    path: Path, per_station: dict[str, set[str]], fields: list[str], address: dict[str, str]
) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["location_id", *fields, *INFO_COLUMNS])
    for location_id in sorted(per_station):
        lacks = per_station[location_id]
        writer.writerow(
            [
                location_id,
                *["" for _ in fields],
                ";".join(sorted(lacks)),
                address.get(location_id, ""),
            ]
        )
    path.write_text(buf.getvalue(), encoding="utf-8")


FIELD_KEYS = {
    "code_insee_commune": "a code_insee_commune column in the overrides CSV (or fix the postal "
    "code/city)",
    "num_pdl": "a num_pdl column in the overrides CSV (required when raccordement = Direct)",
    "date_mise_en_service": "a date_mise_en_service column in the overrides CSV",
    "id_station_itinerance": "an id_station_itinerance column in the overrides CSV",
}


def fix_hints(report: ValidationReport, limit: int = 10) -> list[str]:
    """For an export without valid rows: the fields failing most rows, and the key fixing each."""
    errors = report.errors
    failing = errors.filter(pc.invert(pc.starts_with(errors.column("rule"), "export:")))
    pairs = failing.group_by(["row", "field"]).aggregate([])  # one per (row, field)
    counts = pairs.group_by("field").aggregate([([], "count_all")])
    counts = counts.sort_by([("count_all", "descending"), ("field", "ascending")])
    hints = []
    for row in counts.slice(0, limit).to_pylist():
        fld, n = str(row["field"]), int(row["count_all"])
        if fld in FIELD_KEYS:
            how = FIELD_KEYS[fld]
        elif fld in CONFIG_FIELDS:
            how = f'[irve.defaults] {fld} = "…" in ocpiwh.toml (or per operator, or per station)'
        else:
            how = "comes from OCPI: fix it at the source (see the report)"
        hints.append(f"{fld}: {n:,} rows — {how}")
    return hints
