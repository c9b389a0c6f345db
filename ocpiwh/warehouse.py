"""The query side of the lake: DuckDB views over the raw Parquet, and ways to run SQL on them.

    con = connect(root)                      # in-memory DuckDB, TimeZone UTC, every view created
    table = query(root, "SELECT * FROM sessions WHERE kwh > $min", {"min": 10})
    ocpiwh.output.write(table, "csv", Path("out.csv"))  # files and tables: ocpiwh.output
    refresh(root)                            # writes <root>/warehouse.duckdb (views only)

Views are defined in ``sql/views/<name>.sql`` (one SELECT per file, leading comment = its
description); each module's latest-version and ``_history`` views are rendered from the two
templates ``sql/views/_latest.sql.in`` and ``_history.sql.in`` (see :data:`MODULE_VIEWS`).
They read the lake through internal ``_raw_<module>`` views generated here: each is a typed
empty relation (the columns of ``sql/normalize/<module>.sql`` + lineage) unioned by name with
``read_parquet([...], union_by_name=true, hive_partitioning=true)`` over exactly the files the
manifests list when the connection is made (one committed snapshot; the view ``_manifest``
records it). Local paths are relative to the warehouse folder: the in-memory connection sets
``file_search_path`` to it, and the shell runs from it, so the folder can be moved.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ocpiwh import catalogue, lake, modelcache, resources
from ocpiwh.catalogue import one_line, one_statement
from ocpiwh.catalogue import run_sql as run_sql  # re-exported: models, checks run SQL here
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.lake import Location, ModuleState, Store, committed_files, manifests, open_store
from ocpiwh.paths import MODULES, Warehouse, fsync_dir
from ocpiwh.sqltext import identifier, literal

SHELL_STORAGE_VERSION = "v1.4.0"
"""warehouse.duckdb is written in this storage format so the duckdb-cli 1.x shell opens it."""

_LINEAGE_TYPES: tuple[tuple[str, str], ...] = (
    ("_source", "VARCHAR"),
    ("_batch_id", "VARCHAR"),
    ("_fetched_at", "TIMESTAMPTZ"),
    ("_ocpi_version", "VARCHAR"),
    ("_privacy", "VARCHAR"),
)
_REMOVED_TYPES: tuple[tuple[str, str], ...] = (
    ("module", "VARCHAR"),
    ("country_code", "VARCHAR"),
    ("party_id", "VARCHAR"),
    ("id", "VARCHAR"),
    ("_batch_id", "VARCHAR"),
    ("_source", "VARCHAR"),
    ("_removed_at", "TIMESTAMPTZ"),
)
_QUARANTINE_TYPES: dict[str, str] = {"_fetched_at": "TIMESTAMPTZ"}


# -- view definitions ------------------------------------------------------------------------


def views_dir() -> Path:
    return resources.sql_dir() / "views"


@cache
def definitions_cache() -> modelcache.Entries:
    """What is derived from the view and normalize SQL alone (column types, view order),
    kept between processes: every command that builds views would otherwise pay ~0.2 CPU-s
    for it. Keyed by those files, warehouse.py and the DuckDB version."""
    digest = hashlib.sha256(catalogue.definitions() + duckdb.__version__.encode())
    return modelcache.entries("views-" + digest.hexdigest()[:32])


@cache
def _normalized_types(module: str) -> tuple[tuple[str, str], ...]:
    """(column, DuckDB type) of the rows ``sql/normalize/<module>.sql`` produces (minus _error)."""

    def compute() -> list[tuple[str, str]]:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone='UTC'")
            con.execute(lake.normalize_macros())
            con.execute("CREATE TABLE batch(_raw VARCHAR)")
            con.execute(
                f"CREATE TABLE shape AS SELECT * EXCLUDE (_error) FROM ({lake.normalize_sql(module)}) LIMIT 0",
                # no row is read: any party will do, it only lets the parameters bind
                {"platform_cc": "ZZ", "platform_party": "ZZZ"},
            )
            rows = con.execute("SELECT column_name, column_type FROM (DESCRIBE shape)").fetchall()
        finally:
            con.close()
        return [(str(name), str(typ)) for name, typ in rows]

    # a list of [name, type] pairs once it has been through the cache's JSON
    return tuple(
        (name, typ) for name, typ in definitions_cache().get(f"normalized_types:{module}", compute)
    )


def raw_columns(module: str) -> tuple[tuple[str, str], ...]:
    """Columns (and DuckDB types) of every raw file of ``module``, in file order."""
    if module == lake.REMOVED:
        return _REMOVED_TYPES
    if module == "quarantine":
        return tuple((c, _QUARANTINE_TYPES.get(c, "VARCHAR")) for c in lake.QUARANTINE_COLUMNS)
    typed = [(c, t) for c, t in _normalized_types(module) if c != "_raw"]
    return (*typed, *_LINEAGE_TYPES, ("_raw", "VARCHAR"))


def _reader_path(store: Store, rel: str) -> str:
    """How a view names a lake file: relative on a local disk (resolved against the
    warehouse folder, so the folder and its warehouse.duckdb can move), a URI elsewhere."""
    return rel if store.local_root is not None else store.uri(rel)


def raw_view_sql(
    store: Store, module: str, states: dict[tuple[str, str], ModuleState] | None = None
) -> str:
    """SELECT of the internal view ``_raw_<module>``: typed, empty when there are no files yet.

    It reads exactly the files the manifests list (``states``, read once by the caller for
    every view: one consistent snapshot), never a glob: a batch published but not committed
    is invisible (see :mod:`ocpiwh.lake.manifest`).
    """
    hive: list[tuple[str, str]] = [("source", "VARCHAR")]
    if module in lake.PARTITIONED_BY_START:
        hive += [("year", "BIGINT"), ("month", "BIGINT")]
    cols = [*raw_columns(module), *hive]
    empty = (
        "SELECT "
        + ", ".join(f"CAST(NULL AS {typ}) AS {identifier(name)}" for name, typ in cols)
        + " WHERE false"
    )
    prefix = "quarantine/" if module == "quarantine" else f"raw/{module}/"
    files = committed_files(store, prefix, states)
    body = empty
    if files:
        listing = ", ".join(literal(_reader_path(store, f)) for f in files)
        body += (
            f" UNION ALL BY NAME SELECT * FROM read_parquet([{listing}], union_by_name = true, "
            "hive_partitioning = true)"
        )
    exclude = ", ".join(identifier(name) for name, _ in hive)
    return f"SELECT * EXCLUDE ({exclude}) FROM ({body})"


def _manifest_sql(states: dict[tuple[str, str], ModuleState]) -> str:
    """The view ``_manifest``: per (source, module) the committed state the views read,
    so that what a reader reports (``synced_until``) matches the rows it read."""
    rows = [
        "("
        + ", ".join(
            [
                literal(source),
                literal(module),
                f"CAST({_ts(st.window_end)} AS TIMESTAMPTZ)",
                f"CAST({_ts(st.last_full)} AS TIMESTAMPTZ)",
                f"CAST({_ts(st.updated_at)} AS TIMESTAMPTZ)",
                str(len(st.files or [])),
            ]
        )
        + ")"
        for (source, module), st in sorted(states.items())
    ]
    columns = "source, module, window_end, last_full, updated_at, files"
    if not rows:
        return (
            "SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS module, "
            "NULL::TIMESTAMPTZ AS window_end, NULL::TIMESTAMPTZ AS last_full, "
            "NULL::TIMESTAMPTZ AS updated_at, NULL::BIGINT AS files WHERE false"
        )
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS m({columns})"


def _ts(value: datetime | None) -> str:
    return "NULL" if value is None else literal(value.isoformat())


def _raw_view_names() -> list[str]:
    return [f"_raw_{m}" for m in (*MODULES, lake.REMOVED, "quarantine")]


MODULE_VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    # module: (what it holds, nested JSON objects of _raw exposed as columns)
    "locations": ("Locations (charging sites)", ("opening_times",)),
    "sessions": ("Charging sessions", ("charging_periods",)),
    "cdrs": ("Charge detail records (CDRs)", ("charging_periods", "tariffs")),
    "tariffs": ("Tariffs", ("elements", "tariff_alt_text")),
    "tokens": ("Tokens (charging cards and app users, eMSP-owned)", ()),
}
"""Every module gets the same two views, rendered from ``sql/views/_latest.sql.in`` (the
module's name) and ``_history.sql.in`` (``<module>_history``): one definition of "latest
version" and "history" for all."""


@cache
def _view_files() -> dict[str, str]:
    files = {p.stem: p.read_text() for p in sorted(views_dir().glob("*.sql"))}
    latest = (views_dir() / "_latest.sql.in").read_text()
    history = (views_dir() / "_history.sql.in").read_text()
    for module, (what, nested) in MODULE_VIEWS.items():
        files[module] = latest.format(
            module=module,
            what=what,
            json_columns="".join(
                f",\n    json_extract(latest._raw, '$.{c}') AS {c}" for c in nested
            ),
        )
        files[f"{module}_history"] = history.format(
            module=module,
            what=what,
            json_columns="".join(f"\n    json_extract(_raw, '$.{c}') AS {c}," for c in nested),
        )
    return files


def _table_names(sql: str) -> set[str]:
    # sqlglot is imported here: the view order is computed once per release of the view
    # files (definitions_cache), and a sync or a query would otherwise import it (80–95 ms)
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:  # fall back to a plain word scan
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql))
    return {t.name for t in tree.find_all(exp.Table)}


@cache
def view_order() -> tuple[str, ...]:
    """Public view names in dependency order (a view comes after every view it reads)."""
    return tuple(definitions_cache().get("view_order", _view_order))


def _view_order() -> list[str]:
    files = _view_files()
    deps = {name: _table_names(sql) & (set(files) - {name}) for name, sql in files.items()}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise OcpiwhError(f"views form a cycle through {name!r}")
        visiting.add(name)
        for dep in sorted(deps[name]):
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(files):
        visit(name)
    return ordered


def view_sql(name: str) -> str:
    """The SELECT behind a public view."""
    try:
        return _view_files()[name]
    except KeyError:
        raise UsageError(f"no view named {name!r}") from None


def view_description(name: str) -> str:
    """The leading comment of a view's file, as one paragraph."""
    lines = []
    for line in view_sql(name).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines)


def create_views(con: duckdb.DuckDBPyConnection, root: Location | Store) -> None:
    """(Re)create every view on ``con``; relative paths resolve against ``root`` at query time."""
    store = open_store(root)
    states = manifests(store)  # read once: every view reads the same commit
    con.execute(f"CREATE OR REPLACE VIEW _manifest AS {_manifest_sql(states)}")
    for module in (*MODULES, lake.REMOVED, "quarantine"):
        sql = raw_view_sql(store, module, states)
        con.execute(f"CREATE OR REPLACE VIEW _raw_{module} AS {sql}")
    for name in view_order():
        body = view_sql(name).strip().rstrip(";")
        con.execute(f"CREATE OR REPLACE VIEW {identifier(name)} AS\n{body}")


# -- connections -----------------------------------------------------------------------------


def _check_root(root: Location | Store) -> Store:
    store = open_store(root)
    local = store.local_root
    if (local is not None and not local.is_dir()) or (local is None and not store.is_warehouse()):
        raise UsageError(
            f"no warehouse {'folder ' if local else ''}at {store}",
            hint="run `ocpiwh login` and `ocpiwh sync`, or pass --warehouse DIR",
        )
    return store


def connect(
    root: Location | Store, *, read_only: bool = True, stored: bool = True
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with every view of the warehouse at ``root``.

    TimeZone is UTC and relative paths resolve against the warehouse folder. With
    ``read_only`` (the default), SQL may only touch files inside the warehouse folder and may not
    install or load extensions: a guard against accidents (``COPY … TO`` elsewhere), not a
    security boundary. With ``stored`` (the default), the views come from ``warehouse.duckdb``
    when it holds the current commit's (:mod:`ocpiwh.catalogue`), else they are built here;
    pass False to redefine views on the connection (stored views would not see the change).
    """
    store = _check_root(root)
    if stored and store.local_root is not None:
        reused = catalogue.connect_stored(store.local_root, read_only=read_only)
        if reused is not None:
            return reused
    con = duckdb.connect(":memory:")
    try:
        catalogue.session(con, store.local_root)
        store.register(con)
        create_views(con, store)
        if read_only:
            # relative globs are checked as written, then as resolved: allow both spellings
            catalogue.guard(con, [store.uri("").rstrip("/") + "/", "raw/", "quarantine/"])
    except BaseException:
        con.close()
        raise
    return con


def refresh(root: Location | Store) -> Path | None:
    """Write ``<root>/warehouse.duckdb`` holding only the views; returns its path.

    Written to a temporary file then renamed (readers see the old file or the new one), in
    storage format v1.4.0 so the PyPI ``duckdb-cli`` shell opens it:
    ``cd <root> && duckdb warehouse.duckdb``. Its views use paths relative to the folder.
    An object-store warehouse has no such file (returns None): its views are created on
    each connection, from the manifests of that moment.
    """
    store = _check_root(root)
    if store.local_root is None:
        return None
    root = store.local_root
    target = Warehouse(root).database
    tmp = root / f".warehouse.duckdb.{os.getpid()}.tmp"
    for leftover in (tmp, Path(f"{tmp}.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET file_search_path = $p", {"p": str(root)})
        con.execute(
            f"ATTACH {literal(tmp.as_posix())} AS wh (STORAGE_VERSION '{SHELL_STORAGE_VERSION}')"
        )
        con.execute("USE wh")
        # the fingerprint of the manifests the views were built from: equal before and after,
        # nothing committed in between (else NULL: readers build their own views)
        before = catalogue.fingerprint(root)
        create_views(con, root)
        after = catalogue.fingerprint(root)
        mark = literal(before) if before is not None and before == after else "NULL"
        con.execute(
            f"CREATE VIEW {catalogue.CATALOGUE_VIEW} AS "
            f"SELECT CAST({mark} AS VARCHAR) AS fingerprint"
        )
        con.execute("USE memory")
        con.execute("DETACH wh")
        os.replace(tmp, target)
        fsync_dir(root)
    except duckdb.Error as exc:
        raise OcpiwhError(f"could not write {target.name}: {one_line(exc)}") from None
    finally:
        con.close()
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
    return target


def query(root: Location | Store, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
    """Run ``sql`` (``$name`` parameters bound from ``params``) over the warehouse's views."""
    con = connect(root)
    try:
        one_statement(con, sql)
        return run_sql(con, sql, params)
    finally:
        con.close()


# -- documentation ---------------------------------------------------------------------------

_H = "hours"
_W = "W"
_UTC = "UTC"
COLUMNS: dict[str, tuple[str, str]] = {
    # keys and lineage
    "country_code": (
        "",
        "ISO 3166 alpha-2 country of the party owning the object (2.1.1: the platform's)",
    ),
    "party_id": ("", "party id (CPO or eMSP) owning the object (2.1.1: the platform's)"),
    "id": ("", "object id, unique per country_code and party_id"),
    "location_id": ("", "id of the location (same country_code and party_id)"),
    "evse_uid": ("", "technical id of the EVSE, unique within its location"),
    "evse_id": ("", "human-readable eMI3 EVSE id, e.g. FR*ABC*E123"),
    "connector_id": ("", "connector id, unique within its EVSE"),
    "last_updated": (_UTC, "when the platform last changed this object"),
    "valid_to": (_UTC, "last_updated of the next version of this key (NULL: newest version)"),
    "_source": ("", "source name given at login"),
    "_batch_id": ("", "sortable id of the batch that wrote the row (later batch = later fetch)"),
    "_fetched_at": (_UTC, "when ocpiwh fetched the row (local clock)"),
    "_ocpi_version": ("", "OCPI version the object was served in (2.1.1, 2.2.1, 2.3.0)"),
    "_privacy": ("", "fingerprint of the privacy policy the row was written under"),
    "_raw": (
        "JSON",
        "the whole object as served, after the privacy stage (original version shape)",
    ),
    # locations
    "publish": ("", "may be published (2.1.1: always true)"),
    "parking_type": ("", "ParkingType (2.1.1 LocationType `type`)"),
    "name": ("", "display name"),
    "address": ("", "street and number"),
    "city": ("", "city or town"),
    "postal_code": ("", "postal code"),
    "state": ("", "state or province"),
    "country": ("", "ISO 3166 alpha-3 country of the location"),
    "latitude": ("degrees", "WGS 84 latitude"),
    "longitude": ("degrees", "WGS 84 longitude"),
    "operator_name": ("", "operator (BusinessDetails.name)"),
    "suboperator_name": ("", "suboperator name"),
    "owner_name": ("", "owner name"),
    "facilities": ("", "Facility values nearby"),
    "time_zone": ("", "IANA time zone of the location"),
    "charging_when_closed": ("", "charging possible outside opening hours"),
    "twentyfourseven": ("", "open 24/7"),
    "opening_times": ("JSON", "Hours object as served"),
    "locations.evses": (
        "",
        "EVSEs with their connectors (nested; flat in the evses and connectors views)",
    ),
    "locations_history.evses": ("", "EVSEs with their connectors (nested) in this version"),
    # evses / connectors
    "status": ("", "current status (EVSE Status, SessionStatus for sessions)"),
    "evse_status_events.status": ("", "EVSE status from valid_from to valid_to"),
    "valid_from": (
        _UTC,
        "when the EVSE took this status (its last_updated in the version first showing it)",
    ),
    "evse_status_events.valid_to": (_UTC, "when the next status began (NULL: still current)"),
    "capabilities": ("", "Capability values"),
    "floor_level": ("", "floor level"),
    "physical_reference": ("", "number or name printed on the EVSE"),
    "parking_restrictions": ("", "ParkingRestriction values"),
    "connector_count": ("", "number of connectors"),
    "evses.max_electric_power": (_W, "power of the most powerful connector"),
    "max_electric_power": (_W, "maximum power (served, or voltage × amperage × phases)"),
    "standard": ("", "ConnectorType, e.g. IEC_62196_T2"),
    "format": ("", "SOCKET or CABLE"),
    "power_type": ("", "AC_1_PHASE, AC_2_PHASE, AC_2_PHASE_SPLIT, AC_3_PHASE or DC"),
    "max_voltage": ("V", "maximum voltage (line to neutral for AC_3_PHASE; 2.1.1 `voltage`)"),
    "max_amperage": ("A", "maximum current (2.1.1 `amperage`)"),
    "power_derived": ("", "max_electric_power was computed, not served"),
    "tariff_ids": ("", "tariffs applying (2.1.1 `tariff_id` as a one-element list)"),
    "terms_and_conditions": ("", "URL of the terms and conditions"),
    # sessions / cdrs
    "start_date_time": (_UTC, "start (sessions, CDRs: charging start; tariffs: validity start)"),
    "end_date_time": (_UTC, "end (NULL while running; CDR 2.1.1 `stop_date_time`)"),
    "kwh": ("kWh", "energy charged so far"),
    "cdr_token_uid": ("", "token uid used (pseudonymized by default)"),
    "cdr_token_type": ("", "TokenType"),
    "cdr_token_contract_id": ("", "contract id (2.1.1 `auth_id`; pseudonymized by default)"),
    "cdr_token_country_code": ("", "country of the eMSP owning the token"),
    "cdr_token_party_id": ("", "party id of the eMSP owning the token"),
    "auth_method": ("", "AUTH_REQUEST, COMMAND or WHITELIST"),
    "authorization_reference": ("", "authorization reference"),
    "meter_id": ("", "meter id"),
    "currency": ("", "ISO 4217 currency"),
    "total_cost_excl_vat": ("currency", "total cost excluding VAT (2.3.0 before_taxes)"),
    "total_cost_incl_vat": ("currency", "total cost including VAT (2.3.0 before_taxes + taxes)"),
    "charging_periods": ("JSON", "ChargingPeriod list as served"),
    "session_id": ("", "id of the session this CDR closes"),
    "connector_standard": ("", "ConnectorType used"),
    "connector_format": ("", "SOCKET or CABLE"),
    "connector_power_type": ("", "PowerType used"),
    "total_energy": ("kWh", "energy charged"),
    "total_time": (_H, "duration, charging and not charging"),
    "total_parking_time": (_H, "time not charging"),
    "credit": ("", "credit CDR"),
    "credit_reference_id": ("", "id of the CDR this one credits"),
    "home_charging_compensation": ("", "home charging compensation"),
    "remark": ("", "free text"),
    "cdrs.tariffs": ("JSON", "tariffs as they applied at the start of the session"),
    "cdrs_history.tariffs": ("JSON", "tariffs as they applied at the start of the session"),
    # tariffs
    "type": ("", "TariffType (tariffs) or TokenType (tokens)"),
    "tariff_alt_url": ("", "URL of a human-readable tariff"),
    "tariff_alt_text": ("JSON", "DisplayText list as served"),
    "min_price_excl_vat": ("currency", "minimum price excluding VAT"),
    "max_price_excl_vat": ("currency", "maximum price excluding VAT"),
    "tax_included": ("", "2.3.0 TaxIncluded: YES, NO or N/A"),
    "elements": ("JSON", "TariffElement list as served (price components, restrictions)"),
    "tariffs.start_date_time": (_UTC, "tariff valid from"),
    "tariffs.end_date_time": (_UTC, "tariff valid until"),
    # tokens
    "uid": ("", "token uid (pseudonymized by default; equals id)"),
    "contract_id": ("", "contract id (2.1.1 `auth_id`; pseudonymized by default)"),
    "visual_number": ("", "number printed on the card"),
    "issuer": ("", "issuing company"),
    "group_id": ("", "group of tokens"),
    "valid": ("", "token is valid"),
    "whitelist": ("", "WhitelistType"),
    "language": ("", "ISO 639-1 language"),
    "default_profile_type": ("", "ProfileType"),
    # quarantine
    "module": ("", "OCPI module of the object"),
    "reason": ("", "why it was not stored"),
    "payload": ("JSON", "the object after the privacy stage"),
    "url": ("", "URL of the page it came from"),
}
"""column (or ``view.column``) → (unit, meaning) for docs/sql.md; tests require every column."""


def describe_view(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    rows = con.execute(
        f"SELECT column_name, column_type FROM (DESCRIBE {identifier(name)})"
    ).fetchall()
    return [(str(c), str(t)) for c, t in rows]


def render_view_docs(con: duckdb.DuckDBPyConnection | None = None) -> str:
    """Markdown tables of every public view's columns (type, unit, meaning), from the live views."""
    if con is not None:
        return _render(con, COLUMNS)
    import tempfile

    with tempfile.TemporaryDirectory() as empty:
        own = connect(Path(empty), read_only=False)
        try:
            return _render(own, COLUMNS)
        finally:
            own.close()


DOC_ORDER: tuple[str, ...] = (
    "locations",
    "evses",
    "connectors",
    "tariffs",
    "sessions",
    "cdrs",
    "tokens",
    "evse_status_events",
    "locations_history",
    "tariffs_history",
    "sessions_history",
    "cdrs_history",
    "tokens_history",
    "quarantine",
)


def _render(con: duckdb.DuckDBPyConnection, docs: Mapping[str, tuple[str, str]]) -> str:
    parts: list[str] = []
    names = [n for n in DOC_ORDER if n in view_order()]
    names += [n for n in view_order() if n not in names]
    for name in names:
        parts.append(f"### `{name}`\n\n{view_description(name)}\n")
        parts.append("| column | type | unit | meaning |")
        parts.append("|---|---|---|---|")
        for column, typ in describe_view(con, name):
            unit, meaning = docs.get(f"{name}.{column}") or docs.get(column) or ("", "")
            typ_md = typ.replace("|", "\\|")
            parts.append(f"| `{column}` | `{typ_md}` | {unit} | {meaning} |")
        parts.append("")
    return "\n".join(parts)


def undocumented_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``view.column`` entries that have no unit/meaning in the docs (tests keep this empty)."""
    missing = []
    for name in view_order():
        for column, _ in describe_view(con, name):
            if f"{name}.{column}" not in COLUMNS and column not in COLUMNS:
                missing.append(f"{name}.{column}")
    return missing
