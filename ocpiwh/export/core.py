"""Export a model or a view to CSV, Parquet or JSON lines, atomically, with a manifest.

    result = export(root, "irve_statique", Path("irve.csv"))
    result.rows, result.validation.invalid, result.manifest_path

* The file is written beside the target under a temporary name, then renamed: the target is
  the old file or the new one, never half of one (a failing query or a crash leaves the target
  untouched). A partitioned Parquet export is written to a temporary folder that is swapped in
  (DuckDB's ``COPY … PARTITION_BY … OVERWRITE`` would delete every partition first).
* ``<out>.manifest.json`` describes it: sources, last sync, OCPI versions, model and SQL hash,
  parameters, privacy policy fingerprints, rows, sha256 of every file.
* Exports whose columns derive (column lineage) from pseudonymized fields are refused unless
  ``allow_pseudonymous``.
* IRVE/QualiCharge models (:data:`ocpiwh.irve.MODEL_SCHEMAS`) are validated in DuckDB against
  their Table Schema (+ QualiCharge rules); invalid rows are left out (``keep_invalid`` keeps
  them) and listed in ``<out>.report.csv``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
from sqlglot import exp

from ocpiwh import __version__, afir, output, warehouse
from ocpiwh import models as models_lib
from ocpiwh.config import Config
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.export.pseudonymous import pseudonymous_columns, view_modules
from ocpiwh.irve.config import IrveConfig, model_values
from ocpiwh.irve.geo import report_not_derived
from ocpiwh.irve.phone import normalize_phones
from ocpiwh.irve.schema import MODEL_SCHEMAS
from ocpiwh.irve.validate import (
    PROFILES,
    ValidationReport,
    check_table,
    read_report,
    render_text,
    write_report_csv,
)
from ocpiwh.lake import Location, StateStore, Store, crashpoint, open_store
from ocpiwh.paths import MODULES, atomic_write_bytes, fsync_dir
from ocpiwh.sqltext import identifier, literal

EXPORT_FORMATS: tuple[str, ...] = output.FILE_FORMATS
_TMP_MARK = ".ocpiwh-export-"
STATUS_PUSH_MODEL = "irve_dynamique_events"
"""The status stream pushed to QualiCharge: its age limit applies (not to the snapshot)."""


@dataclass
class ExportResult:
    """What :func:`export` wrote."""

    name: str
    kind: str  # "model" or "view"
    out: Path
    format: str
    rows: int
    files: list[dict[str, Any]]
    manifest_path: Path
    manifest: dict[str, Any]
    validation: ValidationReport | None = None
    report_path: Path | None = None
    pseudonymous: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def report_path(out: Path) -> Path:
    return out.with_name(out.name + ".report.csv")


# -- what is exported -------------------------------------------------------------------------


@dataclass
class _Source:
    name: str
    kind: str
    sql: str
    params: dict[str, Any]
    model: models_lib.Model | None
    views: set[str]
    shared: dict[str, str] = field(default_factory=dict)  # view → table read once

    def needs_config(self) -> bool:
        """The model declares ``irve_config`` / ``blocked_as`` and they are not given."""
        declared = set(self.model.all_params) if self.model is not None else set()
        return bool({"irve_config", "blocked_as"} & (declared - set(self.params)))

    def complete(
        self, root: Store, con: duckdb.DuckDBPyConnection | None, locations: str | None = None
    ) -> None:
        """Every parameter the SQL uses, bound: given values, ``[irve]`` of ocpiwh.toml with
        the derived geography (as models run, check; read on ``con``, from the table
        ``locations`` when given) and defaults."""
        model = self.model
        if model is None:
            return
        given = self.params
        if con is not None and self.needs_config():
            given = model_values(root, con, model.all_params, given, locations=locations)
        bound = model.bind(given)
        self.params = {k: bound[k] for k in model.placeholders}

    def prepare(self, root: Store, con: duckdb.DuckDBPyConnection) -> str:
        """On the export's connection: read the lake's locations once for the model and
        what else the export reads of them (:func:`ocpiwh.models.share_views`), complete the
        parameters (the derived geography from those same rows) and return the SQL to run."""
        model = self.model
        if model is None:
            return self.sql
        if model.lake_reads >= 2 or "irve_sites" in model.model_dependencies:
            self.shared = models_lib.share_views(con, self.views)
        self.complete(root, con, self.shared.get("locations"))
        return model.sql_reading(self.shared)


def _resolve(
    root: Store, name: str, params: Mapping[str, Any] | None, *, defer: bool = False
) -> _Source:
    """What exporting ``name`` runs. Its parameters are complete unless ``defer`` (the
    export completes them on its own connection: :meth:`_Source.prepare`)."""
    registry = models_lib.load_models()
    if name in registry:
        model = registry[name]
        given = dict(params or {})
        model.bind(given)  # refuses unknown or ill-typed values before any work
        source = _Source(name, "model", model.expanded_sql, given, model, set(model.views))
        if defer:
            return source
        if not source.needs_config():
            source.complete(root, None)
            return source
        con = warehouse.connect(root)
        try:
            source.complete(root, con)
        finally:
            con.close()
        return source
    if name in warehouse.view_order():
        if params:
            raise UsageError(f"{name} is a view: it takes no --param")
        return _Source(name, "view", f"SELECT * FROM {identifier(name)}", {}, None, {name})
    raise UsageError(
        f"nothing named {name!r} to export; models: {', '.join(sorted(registry))}; "
        f"views: {', '.join(warehouse.view_order())}"
    )


def pseudonymous_feeds(name: str) -> list[str]:
    """``view.column`` pseudonymized values an export of ``name`` would carry (sorted)."""
    bad = pseudonymous_columns()
    registry = models_lib.load_models()
    if name not in registry:
        return sorted(f"{name}.{c}" for c in bad.get(name, ()))
    model = registry[name]
    if not model.views & set(bad):  # reads no view holding pseudonyms: nothing to trace
        return []
    # lineage is slow (sqlglot) and depends only on the SQL and on ``bad``: kept by modelcache
    columns = orjson.dumps({v: sorted(c) for v, c in sorted(bad.items())})
    digest = hashlib.sha256(columns).hexdigest()[:16]
    return model.cached(f"pseudonymous_feeds({digest})", lambda: _trace(model, bad))


def _trace(model: models_lib.Model, bad: Mapping[str, frozenset[str]]) -> list[str]:
    try:
        lineage = model.lineage()
    except OcpiwhError:
        return _pseudonymous_fallback(model, bad)
    hits = {f"{v}.{c}" for feeds in lineage.values() for v, c in feeds if c in bad.get(v, ())}
    return sorted(hits)


def _pseudonymous_fallback(model: models_lib.Model, bad: Mapping[str, frozenset[str]]) -> list[str]:
    """No lineage: any pseudonymous column named (or a star) in a model reading its view."""
    hits: set[str] = set()
    trees = [model.tree] + [model.registry[d].tree for d in model.model_dependencies]
    for view in model.views:
        cols = bad.get(view, frozenset())
        if not cols:
            continue
        for tree in trees:
            for col in tree.find_all(exp.Column):
                if col.name in cols:
                    hits.add(f"{view}.{col.name}")
            if any(True for _ in tree.find_all(exp.Star)):
                hits.update(f"{view}.{c}" for c in cols)
    return sorted(hits)


# -- provenance ---------------------------------------------------------------------------------


def _provenance(root: Store, con: duckdb.DuckDBPyConnection, views: set[str]) -> dict[str, Any]:
    modules: set[str] = set()
    for view in views:
        modules |= {m for m in view_modules(view) if m in MODULES}
    fingerprints: set[str] = set()
    versions: set[str] = set()
    lake_sources: set[str] = set()
    last_fetch: datetime | None = None
    for module in sorted(modules):
        rows = con.execute(
            f"SELECT _privacy, _ocpi_version, _source, max(_fetched_at) FROM _raw_{module} "
            "GROUP BY ALL"
        ).fetchall()
        for privacy, version, source, fetched in rows:
            if privacy:
                fingerprints.add(str(privacy))
            if version:
                versions.add(str(version))
            if source:
                lake_sources.add(str(source))
            if fetched is not None and (last_fetch is None or fetched > last_fetch):
                last_fetch = fetched
    committed = {
        (str(source), str(module)): (window_end, updated_at)
        for source, module, window_end, updated_at in con.execute(
            "SELECT source, module, window_end, updated_at FROM _manifest"
        ).fetchall()
    }
    sources: list[dict[str, Any]] = []
    last_sync: datetime | None = None
    config = Config.load(root) if root.is_warehouse() else None
    names = sorted(lake_sources | (set(config.sources) if config else set()))
    for source in names:
        entry: dict[str, Any] = {"name": source}
        if config and source in config.sources:
            src = config.sources[source]
            entry.update(
                url=src.url,
                ocpi_version=src.version,
                platform_party="*".join(src.platform_party) if src.platform_party else None,
            )
        store = StateStore(root, source)
        windows: dict[str, str | None] = {}
        for module in sorted(modules):
            # the commit the connection's views read, not the state of this instant
            window_end, updated_at = committed.get((source, module), (None, None))
            windows[module] = _iso(window_end)
            if updated_at and (last_sync is None or updated_at > last_sync):
                last_sync = updated_at
        entry["synced_until"] = windows
        for record in store.batches():
            if record.get("module") in modules and record.get("privacy"):
                fingerprints.add(str(record["privacy"]))
        sources.append(entry)
    return {
        "modules": sorted(modules),
        "sources": sources,
        "last_sync": _iso(last_sync),
        "last_fetched_at": _iso(last_fetch),
        "ocpi_versions": sorted(versions),
        "privacy_fingerprints": sorted(fingerprints),
    }


def _iso(value: datetime | None) -> str | None:
    """The manifest's times, in :mod:`ocpiwh.output`'s one form (naive values are UTC)."""
    return None if value is None else output.iso_utc(value)


def _param_json(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if name == "irve_config":  # may be large; the hash identifies it
        return {
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "bytes": len(text.encode()),
            "json": orjson.loads(text) if len(text) <= 20_000 else None,
        }
    return text


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- writing -------------------------------------------------------------------------------------


def _select_for(con: duckdb.DuckDBPyConnection, table: str, fmt: str) -> str:
    """The SELECT list writing ``table`` in ``fmt`` (CSV: the validated text form)."""
    described = con.execute(
        f"SELECT column_name, column_type FROM (DESCRIBE {identifier(table)})"
    ).fetchall()
    parts = []
    for column, typ in described:
        c, t = str(column), str(typ).upper()
        if fmt == "csv" or (fmt == "jsonl" and t.startswith("TIMESTAMP")):
            parts.append(f"{render_text(c, t)} AS {identifier(c)}")
        else:
            parts.append(identifier(c))
    return ", ".join(parts)


def _copy_options(fmt: str, partition_by: list[str]) -> str:
    if fmt == "csv":
        return "FORMAT CSV, HEADER true"
    if fmt == "jsonl":
        return "FORMAT JSON"
    opts = "FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 500000"
    if partition_by:
        opts += ", PARTITION_BY (" + ", ".join(identifier(c) for c in partition_by) + ")"
    return opts


def _clean_leftovers(out: Path) -> None:
    """Temporary files of an export of ``out`` killed before it could clean up."""
    for stale in out.parent.glob(f".{out.name}{_TMP_MARK}*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def export(
    root: Location | Store,
    name: str,
    out: Path,
    fmt: str | None = None,
    params: Mapping[str, Any] | None = None,
    partition_by: list[str] | str | None = None,
    allow_pseudonymous: bool = False,
    keep_invalid: bool = False,
    *,
    profile: str = "qualicharge",
    max_session_age_days: float | None = None,
    max_status_age_days: float | None = None,
    now: datetime | None = None,
    on_step: Callable[[str], None] | None = None,
    since: str | datetime | None = None,
    connect: Callable[[Store], duckdb.DuckDBPyConnection] | None = None,
) -> ExportResult:
    """Export model or view ``name`` of the warehouse at ``root`` to ``out``.

    ``fmt`` is csv, parquet or jsonl (None: from the suffix of ``out``, see
    :func:`ocpiwh.output.resolve_format`; a partitioned export's folder: parquet); ``params`` are the
    model's parameters (text or Python values); ``partition_by`` (Parquet only) writes a folder
    of hive partitions. IRVE/QualiCharge models are validated (``profile`` qualicharge or irve;
    ``max_session_age_days`` default from ``[irve] session_max_age_days``, else 15;
    ``max_status_age_days`` for ``irve_dynamique_events``, the status push stream, default
    ``[irve] status_max_age_days``, else 1). Rows past an age limit are left out as *too old*.
    ``on_step`` hears what is being done (for progress displays: a model can take a while).
    AFIR publications (``afir_table``, ``afir_status``; ``since`` for a status delta) are one
    DATEX II JSON document each: :func:`ocpiwh.afir.publish` writes them.
    ``connect`` opens the (writable) connection the model runs on: a feed pushing to
    QualiCharge passes one that reads the lake as of its cursor.
    """
    step = on_step or (lambda _: None)
    if name in afir.AFIR_MODELS:
        return _export_afir(
            root, name, out, fmt, params, partition_by, keep_invalid, since, now, step
        )
    if since is not None:
        raise UsageError("--since applies to afir_status only")
    root = open_store(root)
    out = Path(out).expanduser().resolve()
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    if fmt is None and parts and not out.suffix:  # a folder of hive partitions
        fmt = "parquet"
    fmt = output.resolve_format(fmt, out)  # refuses unknown suffixes and contradictions
    if profile not in PROFILES:
        raise UsageError(f"--profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    if parts and fmt != "parquet":
        raise UsageError("--partition-by needs --format parquet")
    if not out.parent.is_dir():
        raise UsageError(f"folder {out.parent} does not exist")
    if out.is_dir() and not parts:
        raise UsageError(f"{out} is a folder; give a file name")
    if out.exists() and not out.is_dir() and parts:
        raise UsageError(f"{out} is a file; a partitioned export writes a folder")

    source = _resolve(root, name, params, defer=True)
    feeds = pseudonymous_feeds(name)
    if feeds and not allow_pseudonymous:
        raise UsageError(
            f"{name} would export pseudonymized data ({', '.join(feeds)}); "
            "pass --allow-pseudonymous to export it anyway"
        )
    schema = MODEL_SCHEMAS.get(name) if source.kind == "model" else None
    if max_session_age_days is None and schema == "sessions":
        max_session_age_days = IrveConfig.load(root).session_max_age_days
    if name != STATUS_PUSH_MODEL:
        max_status_age_days = None  # the open-data snapshot may hold old states
    elif max_status_age_days is None:
        max_status_age_days = IrveConfig.load(root).status_max_age_days

    _clean_leftovers(out)
    token = secrets.token_hex(4)
    tmp = out.with_name(f".{out.name}{_TMP_MARK}{token}")
    tmp_report = out.with_name(f".{out.name}{_TMP_MARK}{token}.report")
    old = out.with_name(f".{out.name}{_TMP_MARK}{token}.old")
    con = connect(root) if connect else warehouse.connect(root, read_only=False)
    report: ValidationReport | None = None
    try:
        try:
            table = "_export"
            materialize = source.kind == "model"
            step("running the model" if materialize else "reading the view")
            if materialize:  # rowid gives every row a stable number for the report
                sql = source.prepare(root, con)
                con.execute(f"CREATE TEMP TABLE {table} AS {sql}", source.params or None)
            else:  # a view streams straight to the file
                con.execute(f"CREATE TEMP VIEW {table} AS {source.sql}")
            keep = ""
            if schema:
                step(f"validating against the {schema} schema")
                report = validate_table(
                    con,
                    table,
                    schema,
                    source.params,
                    profile=profile,
                    now=now,
                    max_session_age_days=max_session_age_days,
                    max_status_age_days=max_status_age_days,
                    locations=source.shared.get("locations", "locations"),
                )
                if not keep_invalid:
                    keep = ' WHERE rowid + 1 NOT IN (SELECT "row" FROM _irve_errors)'
            step(f"writing {fmt}")
            select = _select_for(con, table, fmt)
            order = " ORDER BY rowid" if materialize and not parts else ""
            copied = con.execute(
                f"COPY (SELECT {select} FROM {table}{keep}{order}) TO {literal(tmp)} "
                f"({_copy_options(fmt, parts)})"
            ).fetchall()
            written = int(copied[0][0]) if copied else 0
            n_rows = report.rows if report is not None else written
        except duckdb.Error as exc:
            raise OcpiwhError(
                f"export of {name} failed: {' '.join(str(exc).split())[:400]}"
            ) from None
        files = _describe_files(tmp, out)
        if report is not None:
            write_report_csv(report.errors, tmp_report)
        step("writing the manifest")
        provenance = _provenance(root, con, source.views)
        open_data, warnings = _open_data(con, source)
        crashpoint("export-written")
        manifest = {
            "ocpiwh_version": __version__,
            "created_at": _iso(datetime.now(UTC)),
            "name": name,
            "kind": source.kind,
            "format": fmt,
            "path": out.name,
            "partition_by": parts,
            "rows": written,
            "sha256": files[0]["sha256"] if not parts and files else None,
            "files": files,
            "sql_sha256": hashlib.sha256(source.sql.encode()).hexdigest(),
            "parameters": {k: _param_json(k, v) for k, v in sorted(source.params.items())},
            **provenance,
            "privacy": {
                "policy_fingerprints": provenance["privacy_fingerprints"],
                "pseudonymous_columns": feeds,
                "allowed": bool(feeds) and allow_pseudonymous,
            },
            "open_data": open_data,
            "validation": None
            if report is None
            else {
                "schema": schema,
                "profile": profile,
                "rows": n_rows,
                "valid": report.valid,
                "invalid": report.invalid,
                "too_old": report.too_old,
                "age_limits": report.age_limits(),
                "invalid_rows_written": keep_invalid,
                "report": report_path(out).name,
                "failures": [{"rule": r, "field": f, "rows": n} for r, f, n in report.by_rule()],
            },
        }
        # publish: data, then report, then manifest (each an atomic rename)
        if parts:
            if out.exists():
                os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
        if report is not None:
            os.replace(tmp_report, report_path(out))
        else:
            report_path(out).unlink(missing_ok=True)
        fsync_dir(out.parent)
        atomic_write_bytes(manifest_path(out), orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    except BaseException:
        for leftover in (tmp, tmp_report):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise
    finally:
        con.close()
    return ExportResult(
        name=name,
        kind=source.kind,
        out=out,
        format=fmt,
        rows=written,
        files=files,
        manifest_path=manifest_path(out),
        manifest=manifest,
        validation=report,
        report_path=report_path(out) if report is not None else None,
        pseudonymous=feeds,
        warnings=warnings,
    )


def _export_afir(
    root: Location | Store,
    name: str,
    out: Path,
    fmt: str | None,
    params: Mapping[str, Any] | None,
    partition_by: list[str] | str | None,
    keep_invalid: bool,
    since: str | datetime | None,
    now: datetime | None,
    step: Callable[[str], None],
) -> ExportResult:
    if fmt not in (None, "json") or params or partition_by or keep_invalid:
        raise UsageError(
            f"{name} is a DATEX II JSON publication: it takes --out and --since only "
            "(no --format, --param, --partition-by or --keep-invalid; invalid sites never ship)"
        )
    if Path(out).suffix.lower() != ".json":
        raise UsageError(f"{name} is one JSON document: give --out FILE.json, not {Path(out).name}")
    result = afir.publish(root, name, Path(out), since=since, now=now, on_step=step)
    return ExportResult(
        name=name,
        kind="model",
        out=result.out,
        format="json",
        rows=result.sites,
        files=[
            {
                "path": result.out.name,
                "bytes": result.manifest["bytes"],
                "sha256": result.manifest["sha256"],
            }
        ],
        manifest_path=result.manifest_path,
        manifest=result.manifest,
        validation=result.validation,
        report_path=result.report_path,
        warnings=result.warnings,
    )


def _open_data(
    con: duckdb.DuckDBPyConnection, source: _Source
) -> tuple[dict[str, int] | None, list[str]]:
    """Locations per open-data verdict (irve_sites) for exports built on it, and the warning
    to give while locations without a publish flag (OCPI 2.1.1) are not declared."""
    model = source.model
    if model is None or "irve_sites" not in [model.name, *model.model_dependencies]:
        return None, []
    sites = model.registry["irve_sites"]
    bound = {k: v for k, v in source.params.items() if k in sites.params}
    rows = (
        sites.run(con, bound, shared=source.shared)
        .group_by("why")
        .aggregate([("why", "count")])
        .to_pylist()
    )
    counts = {str(r["why"]): int(r["why_count"]) for r in rows}
    undeclared = counts.get("undeclared", 0)
    if not undeclared:
        return counts, []
    return counts, [
        f"{undeclared} location(s) without a publish flag (OCPI 2.1.1) left out: declare them "
        "public or not with [irve] ocpi211_public = true|false in ocpiwh.toml, or per location "
        "with a public column in the [irve] overrides CSV"
    ]


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: str,
    params: dict[str, Any],
    *,
    profile: str,
    now: datetime | None,
    max_session_age_days: float | None,
    max_status_age_days: float | None,
    locations: str = "locations",
) -> ValidationReport:
    """Everything an export does to validate the model's rows materialized in ``table``:
    phone numbers in E.164 (statique), the validation query into ``_irve_errors``, why
    ``code_insee_commune`` was not derived, whole stations left out, the report.
    (bench/bench_irve.py times this step against a plain COPY of the same rows.)"""
    if schema == "statique":
        normalize_phones(con, table)
    checked = check_table(
        con,
        table,
        schema,
        profile=profile,
        now=now,
        max_session_age_days=max_session_age_days,
        max_status_age_days=max_status_age_days,
    )
    if schema == "statique":
        _report_geography(con, table, params, locations)
        _invalidate_incomplete_stations(con, table)
    return read_report(con, schema, profile, checked)


def _report_geography(
    con: duckdb.DuckDBPyConnection, table: str, params: dict[str, Any], locations: str
) -> None:
    """Why ``code_insee_commune`` is empty where the COG table could not derive it (on the
    rows reported without one: when there are none, the places, megabytes of JSON for a
    large file, are not parsed)."""
    config = params.get("irve_config")
    if not isinstance(config, str):
        return
    unexplained = con.execute(
        f'SELECT 1 FROM {table} WHERE code_insee_commune IS NULL AND rowid + 1 IN (SELECT "row" '
        "FROM _irve_errors) LIMIT 1"
    ).fetchall()
    if unexplained:
        places = orjson.loads(config).get("places") or []
        report_not_derived(con, table, places, locations=locations)


def _invalidate_incomplete_stations(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Rows of a station with an invalid row are left out too (nbre_pdc must stay the
    number of rows of the station): reported as ``export:station_incomplete``."""
    con.execute(f"""
INSERT INTO _irve_errors
SELECT t.rowid + 1, t.id_pdc_itinerance, 'id_station_itinerance', 'export:station_incomplete',
       t.id_station_itinerance
FROM {table} AS t
WHERE t.id_station_itinerance IN (
        SELECT s.id_station_itinerance FROM {table} AS s
        WHERE s.rowid + 1 IN (SELECT "row" FROM _irve_errors))
    AND t.rowid + 1 NOT IN (SELECT "row" FROM _irve_errors)
""")


def _describe_files(tmp: Path, out: Path) -> list[dict[str, Any]]:
    if tmp.is_dir():
        files = []
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            rel = path.relative_to(tmp).as_posix()
            files.append(
                {"path": f"{out.name}/{rel}", "bytes": path.stat().st_size, "sha256": _sha256(path)}
            )
        return files
    return [{"path": out.name, "bytes": tmp.stat().st_size, "sha256": _sha256(tmp)}]


__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "export",
    "manifest_path",
    "pseudonymous_feeds",
    "report_path",
    "validate_table",
]
