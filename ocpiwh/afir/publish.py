"""Write an AFIR publication: model → sites (JSON from DuckDB) → validated → envelope → file.

Each site is assembled by the model and serialized by DuckDB (``to_json``, NULL members
dropped by :data:`STRIP_NULLS`); Python only parses each site once to validate it and splices
the valid sites' text into the envelope. Invalid sites are left out and listed in
``<out>.report.csv`` with the AFIR entries OCPI did not give (rule ``afir:missing``). The file,
report and manifest are each written under a temporary name and renamed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from ocpiwh import __version__, output, warehouse
from ocpiwh import models as models_lib
from ocpiwh.afir.config import AfirConfig
from ocpiwh.afir.schema import SCHEMA_FILE, site_errors, validator
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.irve.config import IrveConfig
from ocpiwh.irve.validate import ValidationReport, write_report_csv
from ocpiwh.lake import Location, Store, open_store
from ocpiwh.paths import atomic_write_bytes, fsync_dir

AFIR_MODELS: tuple[str, ...] = ("afir_table", "afir_status")
DUCKDB_ONLY_MODELS: frozenset[str] = frozenset({"afir_refill_points", *AFIR_MODELS})
"""Models that assemble DATEX II documents with DuckDB structs and ``to_json``: they are not
compiled for Spark or Trino (docs/scale-out.md); their rows are documents, not data."""
PROFILE = {"modelBaseVersionG": "3", "profileNameG": "AFIR Energy Infrastructure",
           "profileVersionG": "01-00-00"}  # fmt: skip
_HOLE = "\x00sites\x00"
# NULL members out of DuckDB's JSON: `,"k":null`, then a leading `"k":null,`, then `{"k":null}`.
# Only a member name can be followed by `":null` (quotes inside strings are escaped).
STRIP_NULLS = (
    "regexp_replace(regexp_replace(regexp_replace(to_json({col})::VARCHAR, "
    """',"[A-Za-z0-9_]+":null', '', 'g'), '"[A-Za-z0-9_]+":null,', '', 'g'), """
    """'\\{{"[A-Za-z0-9_]+":null\\}}', '{{}}', 'g')"""
)


@dataclass
class AfirResult:
    """What :func:`publish` wrote."""

    name: str
    out: Path
    kind: str  # "snapshot" or "delta"
    sites: int
    refill_points: int
    validation: ValidationReport
    report_path: Path
    manifest_path: Path
    manifest: dict[str, Any]
    since: datetime | None = None
    data_until: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def invalid_sites(self) -> int:
        return self.validation.invalid


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def report_path(out: Path) -> Path:
    return out.with_name(out.name + ".report.csv")


def parse_since(value: str | datetime | None) -> datetime | None:
    """``--since``: an ISO time (UTC if naive) or a previous publication (its manifest's
    ``data_until``: every change the lake knew when it was written)."""
    if value is None or isinstance(value, datetime):
        return None if value is None else _utc(value)
    text = str(value).strip()
    path = Path(text).expanduser()
    if path.is_file():
        meta = manifest_path(path)
        try:
            until = orjson.loads(meta.read_bytes())["afir"]["data_until"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
            raise UsageError(
                f"--since {text}: no AFIR manifest beside it ({meta.name}); give a time instead "
                "(2026-04-14T10:00:00Z)"
            ) from None
        if not until:
            raise UsageError(f"--since {text}: its manifest records no data_until; give a time")
        return _utc(datetime.fromisoformat(str(until).replace("Z", "+00:00")))
    try:
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise UsageError(
            f"--since {text!r} is neither a publication file nor a time; "
            "give e.g. status.json or 2026-04-14T10:00:00Z"
        ) from None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def model_params(
    root: Store, model: models_lib.Model, cfg: AfirConfig, since: datetime | None
) -> dict[str, Any]:
    """The bound values of an AFIR model: ``[irve]`` (the open-data boundary), ``[afir]``."""
    declared = model.all_params
    given: dict[str, Any] = {}
    if "irve_config" in declared:
        given["irve_config"] = IrveConfig.load(root).to_json()
    if "afir_config" in declared:
        given["afir_config"] = cfg.to_json()
    if since is not None and "since" in declared:
        given["since"] = since
    bound = model.bind(given)
    used = model._placeholders(model.expanded_tree)
    return {k: bound[k] for k in used}


def data_until(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The end of the committed sync windows of locations and tariffs (the earliest source):
    every status change before it is in the lake; the next delta starts there. A lake
    written without sync windows: just after its latest ``last_updated``."""
    row = con.execute(
        "SELECT min(window_end) FROM _manifest WHERE module IN ('locations', 'tariffs')"
    ).fetchone()
    value = row[0] if row else None
    if not isinstance(value, datetime):
        row = con.execute(
            "SELECT greatest((SELECT max(last_updated) FROM locations), (SELECT max(last_updated) "
            "FROM evses), (SELECT max(last_updated) FROM tariffs)) + INTERVAL 1 MICROSECOND"
        ).fetchone()
        value = row[0] if row else None
    return _utc(value) if isinstance(value, datetime) else None


def _creator(
    cfg: AfirConfig, parties: Counter[tuple[str, str]]
) -> tuple[dict[str, str], list[str]]:
    if cfg.country and cfg.national_identifier:
        return {"country": cfg.country, "nationalIdentifier": cfg.national_identifier}, []
    cc, party = parties.most_common(1)[0][0] if parties else ("ZZ", "UNK")
    creator = {
        "country": cfg.country or cc,
        "nationalIdentifier": cfg.national_identifier or f"{cc}*{party}",
    }
    return creator, [
        f"publicationCreator {creator['country']}/{creator['nationalIdentifier']} taken from the "
        "OCPI party; set [afir] country and national_identifier (your id at the access point)"
    ]


def _envelope(
    name: str, cfg: AfirConfig, creator: dict[str, str], now: datetime, delta: bool, version: str
) -> dict[str, Any]:
    header = {
        "lang": cfg.lang,
        "publicationTime": _iso(now),
        "publicationCreator": creator,
        "headerInformation": {
            "confidentiality": {"value": "noRestriction"},
            "informationStatus": {"value": cfg.information_status},
        },
    }
    if name == "afir_table":
        table = {"idG": cfg.table_id, "versionG": version, "energyInfrastructureSite": _HOLE}
        publication = {**header, "energyInfrastructureTable": [table]}
        return {"payload": {**PROFILE, "aegiEnergyInfrastructureTablePublication": publication}}
    status = {
        **header,
        "tableReference": [{"targetClass": "EnergyInfrastructureTable", "idG": cfg.table_id}],
        "energyInfrastructureSiteStatus": _HOLE,
    }
    # DATEX II has no field for the start of a delta: the protocol says which one it is
    protocol = "deltaPush" if delta else "snapshotPush"
    return {
        "messageContainer": {
            "payload": [{**PROFILE, "aegiEnergyInfrastructureStatusPublication": status}],
            "exchangeInformation": {
                "exchangeContext": {
                    "codedExchangeProtocol": {"value": protocol},
                    "exchangeSpecificationVersion": "3.0",
                    "supplierOrCisRequester": {},
                },
                "dynamicInformation": {
                    "exchangeStatus": {"value": "online"},
                    "messageGenerationTimestamp": _iso(now),
                },
            },
        }
    }


def _check_envelope(name: str, envelope: dict[str, Any]) -> None:
    """The envelope alone (sites empty) must be valid: a configuration mistake stops here."""
    doc = orjson.loads(orjson.dumps(envelope).replace(orjson.dumps(_HOLE), b"[]"))
    definition = "TableDocument" if name == "afir_table" else "StatusDocument"
    problems = [str(e.message) for e in validator(definition).iter_errors(doc)]
    if problems:
        raise UsageError(
            f"{name}: the publication header is invalid ({problems[0][:200]}); check [afir]"
        )


def publish(
    root: Location | Store,
    name: str,
    out: Path,
    *,
    since: str | datetime | None = None,
    now: datetime | None = None,
    on_step: Callable[[str], None] | None = None,
) -> AfirResult:
    """Write AFIR publication ``name`` (afir_table or afir_status) of the warehouse at ``root``
    to ``out`` (JSON). ``since`` (afir_status only): a delta of the refill points changed at or
    after that time, or after a previous publication (see :func:`parse_since`)."""
    step = on_step or (lambda _: None)
    if name not in AFIR_MODELS:
        raise UsageError(f"{name} is not an AFIR publication; valid: {', '.join(AFIR_MODELS)}")
    start = parse_since(since)
    if start is not None and name != "afir_status":
        raise UsageError("--since applies to afir_status only (afir_table is always complete)")
    store = open_store(root)
    out = Path(out).expanduser().resolve()
    if not out.parent.is_dir():
        raise UsageError(f"folder {out.parent} does not exist")
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give a file name")
    cfg = AfirConfig.load(store)
    model = models_lib.get_model(name)
    now = _utc(now or datetime.now(UTC))
    con = warehouse.connect(store, read_only=False)
    token = secrets.token_hex(4)
    tmp = out.with_name(f".{out.name}.ocpiwh-afir-{token}")
    tmp_report = out.with_name(f".{out.name}.ocpiwh-afir-{token}.report")
    try:
        step("running the model")
        params = model_params(store, model, cfg, start)
        try:
            con.execute(f"CREATE TEMP TABLE _afir AS {model.expanded_sql}", params or None)
            table = con.sql(
                "SELECT country_code, party_id, site_id, refill_points, "
                f"{'missing' if name == 'afir_table' else 'NULL::VARCHAR[]'} AS missing, "
                f"{STRIP_NULLS.format(col='site')} AS j FROM _afir ORDER BY rowid"
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise OcpiwhError(f"{name} failed: {' '.join(str(exc).split())[:400]}") from None
        until = data_until(con)
        step("validating every site")
        texts: list[bytes] = []
        rows: dict[str, list[Any]] = {"row": [], "key": [], "field": [], "rule": [], "value": []}
        invalid = points = 0
        parties: Counter[tuple[str, str]] = Counter()
        versions = hashlib.sha256()
        missing_counts: Counter[str] = Counter()
        cols = table.to_pydict()
        for i, text in enumerate(cols["j"]):
            key = cols["site_id"][i]
            site = orjson.loads(text)
            errors = list(site_errors(name, site))
            for entry in cols["missing"][i] or []:
                missing_counts[entry] += 1
                _add(rows, i + 1, key, entry, "afir:missing", "not in the OCPI data nor [afir]")
            if errors:
                invalid += 1
                for e in errors:
                    _add(rows, i + 1, key, e.path or "(site)", f"schema:{e.keyword}", e.message)
                continue
            texts.append(text.encode())
            points += int(cols["refill_points"][i])
            parties[(cols["country_code"][i], cols["party_id"][i])] += 1
            versions.update(str(site.get("versionG", "")).encode())
        creator, warnings = _creator(cfg, parties)
        envelope = _envelope(name, cfg, creator, now, start is not None, versions.hexdigest()[:12])
        _check_envelope(name, envelope)
        step("writing the publication")
        body = orjson.dumps(envelope).replace(orjson.dumps(_HOLE), b"[" + b",".join(texts) + b"]")
        tmp.write_bytes(body)
        errors_table = pa.table(
            {
                k: pa.array(v, type=pa.int64() if k == "row" else pa.string())
                for k, v in rows.items()
            }
        )
        report = ValidationReport(
            schema=name, profile="afir", rows=table.num_rows, errors=errors_table, invalid=invalid
        )
        write_report_csv(errors_table, tmp_report)
        manifest = {
            "ocpiwh_version": __version__,
            "created_at": output.iso_utc(datetime.now(UTC)),
            "name": name,
            "kind": "model",
            "format": "json",
            "path": out.name,
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "sql_sha256": hashlib.sha256(model.expanded_sql.encode()).hexdigest(),
            "afir": {
                "profile": "AFIR Energy Infrastructure 01-00-00",
                "publication": "delta" if start is not None else "snapshot",
                "publication_time": _iso(now),
                "since": start.isoformat().replace("+00:00", "Z") if start else None,
                "data_until": until.isoformat().replace("+00:00", "Z") if until else None,
                "schema": SCHEMA_FILE.name,
                "schema_sha256": hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest(),
                "sites": len(texts),
                "refill_points": points,
                "invalid_sites": invalid,
                "missing": dict(sorted(missing_counts.items())),
            },
            "validation": {
                "schema": name,
                "profile": "afir",
                "rows": table.num_rows,
                "valid": report.valid,
                "invalid": invalid,
                "report": report_path(out).name,
                "failures": [{"rule": r, "field": f, "rows": n} for r, f, n in report.by_rule()],
            },
        }
        tmp.replace(out)
        tmp_report.replace(report_path(out))
        fsync_dir(out.parent)
        atomic_write_bytes(manifest_path(out), orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    except BaseException:
        tmp.unlink(missing_ok=True)
        tmp_report.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return AfirResult(
        name=name,
        out=out,
        kind="delta" if start is not None else "snapshot",
        sites=len(texts),
        refill_points=points,
        validation=report,
        report_path=report_path(out),
        manifest_path=manifest_path(out),
        manifest=manifest,
        since=start,
        data_until=until,
        warnings=warnings,
    )


def _add(rows: dict[str, list[Any]], row: int, key: str, where: str, rule: str, value: str) -> None:
    rows["row"].append(row)
    rows["key"].append(key)
    rows["field"].append(where)
    rows["rule"].append(rule)
    rows["value"].append(value)
