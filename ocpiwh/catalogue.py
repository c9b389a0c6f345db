"""The views stored in ``warehouse.duckdb``, reused by readers while they are current.

Building the views costs more than most interactive queries (typing every module's raw
columns, ordering the views, binding each one), so :func:`ocpiwh.warehouse.refresh` stores
them once per commit in ``warehouse.duckdb`` along with the *fingerprint* of what they were
built from: the committed manifests (``state/<source>/<module>.json``, byte for byte), the
view definitions (``sql/views``, ``sql/normalize``, the code that renders them) and the
ocpiwh version. A reader attaches that file read-only and uses its views only when the
fingerprint equals the one of the manifests *now*; anything else (a commit since, a legacy
manifest, an object store, a shell holding the file) falls back to building the views.

This module is what a reader needs before it knows which way it goes, and what running a
statement needs, so it imports neither the lake nor sqlglot: ``ocpiwh sql`` on a current
catalogue starts without them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import orjson

from ocpiwh import __version__, resources
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.paths import MODULES, Warehouse

if TYPE_CHECKING:
    import pyarrow as pa

CATALOGUE_VIEW = "_catalogue"
"""The view of warehouse.duckdb holding the fingerprint of its views (NULL: not reusable)."""
CATALOGUE_FORMAT = "1"
"""Bump when what a stored catalogue holds changes in a way the hashed files do not show."""
STORED_ALIAS = "wh"
"""The name a reader attaches warehouse.duckdb under (its views resolve inside it)."""


def definitions() -> bytes:
    """Everything besides the manifests that the views' SQL depends on."""
    digest = hashlib.sha256(f"{CATALOGUE_FORMAT}\0{__version__}\0".encode())
    sql = resources.sql_dir()
    for path in sorted([*(sql / "views").iterdir(), *(sql / "normalize").iterdir()]):
        if path.is_file():
            digest.update(f"{path.parent.name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    digest.update(Path(__file__).with_name("warehouse.py").read_bytes())
    return digest.digest()


def fingerprint(root: Path) -> str | None:
    """What the views of the local warehouse at ``root`` would be built from, as a hash;
    None when it cannot be told from the manifests alone (a module written before manifests
    listed their files is read by listing folders)."""
    digest = hashlib.sha256(definitions())
    for path in sorted(root.glob("state/*/*.json")):
        if path.stem not in MODULES or not path.is_file():
            continue
        try:
            data = path.read_bytes()
            legacy = orjson.loads(data).get("files") is None
        except (OSError, orjson.JSONDecodeError, AttributeError):
            return None
        if legacy:
            return None
        rel = path.relative_to(root).as_posix()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def local_root(location: str | Path) -> Path | None:
    """The folder of a local warehouse; None for an object store (it has no stored views)."""
    text = str(location)
    if "://" in text:
        return None
    return Path(text).expanduser().resolve()


def session(con: duckdb.DuckDBPyConnection, root: Path | None) -> None:
    """Settings every warehouse connection has: UTC, no progress bar, and (local) relative
    paths resolved against the warehouse folder."""
    con.execute("SET TimeZone = 'UTC'")
    # the progress bar writes to stdout: it would corrupt csv/json results piped from there
    con.execute("SET enable_progress_bar = false")
    if root is not None:
        con.execute("SET file_search_path = $p", {"p": str(root)})


def guard(con: duckdb.DuckDBPyConnection, allowed: list[str]) -> None:
    """SQL may only touch files under ``allowed`` and may not install or load extensions:
    a guard against accidents (``COPY … TO`` elsewhere), not a security boundary."""
    con.execute("SET allowed_directories = $d", {"d": allowed})
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def local_allowed(root: Path) -> list[str]:
    # relative globs are checked as written, then as resolved: allow both spellings
    return [str(root).rstrip("/") + "/", "raw/", "quarantine/"]


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint recorded in the attached warehouse.duckdb; None if absent or unreadable."""
    try:
        row = con.execute(
            f"SELECT fingerprint FROM {STORED_ALIAS}.main.{CATALOGUE_VIEW}"
        ).fetchone()
    except duckdb.Error:
        return None
    return None if row is None or row[0] is None else str(row[0])


def connect_stored(
    location: str | Path, *, read_only: bool = True
) -> duckdb.DuckDBPyConnection | None:
    """An in-memory connection reading the views of ``warehouse.duckdb``, or None when they
    are not the current commit's (the caller then builds them: :func:`ocpiwh.warehouse.connect`).

    The file is attached read-only before the manifests are fingerprinted: if a sync
    replaces it in between, the fingerprints differ and the reader falls back, never
    reading views older than the manifests it checked. Objects the caller creates go to the
    in-memory database; names resolve there first, then in the stored views.
    """
    root = local_root(location)
    if root is None:
        return None
    database = Warehouse(root).database
    if not database.is_file():
        return None
    con = duckdb.connect(":memory:")
    try:
        session(con, root)
        try:
            con.execute(f"ATTACH $db AS {STORED_ALIAS} (READ_ONLY)", {"db": str(database)})
        except duckdb.Error:  # locked by a shell, or written by another DuckDB
            con.close()
            return None
        current = fingerprint(root)
        if current is None or stored_fingerprint(con) != current:
            con.close()
            return None
        con.execute(f"SET search_path = 'memory.main,{STORED_ALIAS}.main'")
        if read_only:
            guard(con, local_allowed(root))
    except BaseException:
        con.close()
        raise
    return con


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 400 else text[:397] + "..."


def run_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> pa.Table:
    """Run one statement with bound parameters; a DuckDB error becomes a one-line OcpiwhError."""
    try:
        rel = con.sql(sql, params=dict(params) if params else None)
        if rel is None:  # a statement without a result
            import pyarrow as pa  # (the one pyarrow use here: DuckDB imports it for the rest)

            return pa.table({})
        table: pa.Table = rel.to_arrow_table()
    except duckdb.Error as exc:
        raise OcpiwhError(f"SQL error: {one_line(exc)}") from None
    return table


def one_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse several statements: DuckDB would run them all and show only the last result."""
    try:
        count = len(con.extract_statements(sql))
    except duckdb.Error as exc:
        raise OcpiwhError(f"SQL error: {one_line(exc)}") from None
    if count > 1:
        raise UsageError(
            f"one SQL statement at a time, got {count}",
            hint="run them one by one, or combine them with WITH … or UNION ALL",
        )


RESULT = "_result"
"""The temporary table :func:`materialize` stores a result in."""
CATALOGUE_QUERIES = frozenset({"SHOW", "DESCRIBE", "DESC", "SUMMARIZE"})
NUMBERS = re.compile(r"(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))")
PLAIN_TYPES = re.compile(
    rf"({NUMBERS.pattern}|BOOLEAN|VARCHAR|JSON|UUID|DATE|TIME|TIMESTAMP"
    r"|TIMESTAMP WITH TIME ZONE|\"NULL\")"
)
"""Column types whose Python values show as their Arrow values do (output.cell); intervals
(months), maps, nested and nanosecond types are shown through Arrow."""


class Rows(NamedTuple):
    """The head of a result, as output.render_rows takes it."""

    names: list[str]
    numeric: list[bool]
    rows: list[tuple[Any, ...]]
    total: int


def materialize(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """Store the result of one query in the temporary table :data:`RESULT`, so it can be
    counted and its head read without pyarrow; False when ``sql`` is not a query or its
    result would not be stored as is (duplicate column names are renamed): run it as it is."""
    try:
        statements = con.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            return False
        if sql.split(None, 1)[0].upper() in CATALOGUE_QUERIES:
            return False  # would list the table being created
        names = con.sql(sql).columns  # bound, not run
        if len(set(names)) != len(names):
            return False
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RESULT} AS {sql}")
    except duckdb.Error:
        return False
    return True


def plain_rows(con: duckdb.DuckDBPyConnection, limit: int) -> Rows | None:
    """The first ``limit`` rows of :data:`RESULT` and its row count, as Python values; None
    when a column's type would show otherwise than through Arrow (read it with run_sql)."""
    relation = con.table(RESULT)
    types = [str(t) for t in relation.types]
    if not all(PLAIN_TYPES.fullmatch(t) for t in types):
        return None
    ((count,),) = con.execute(f"SELECT count(*) FROM {RESULT}").fetchall()
    return Rows(
        names=list(relation.columns),
        numeric=[NUMBERS.fullmatch(t) is not None for t in types],
        rows=relation.limit(limit).fetchall(),
        total=int(count),
    )
