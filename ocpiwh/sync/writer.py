"""Lake writer: privacy-filtered objects → typed, partitioned Parquet, crash-safe.

A batch is normalized in DuckDB (one vectorized query, ``sql/normalize/<module>.sql``), written
to ``staging/<batch>/`` (outside every glob the views read), recorded in a journal, then
renamed into ``raw/``. The caller commits the sync state last; :func:`recover` rolls back
the files of any batch whose window was never committed, so a killed sync rerun leaves the
lake exactly as one clean sync would.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ocpiwh import lake
from ocpiwh.paths import Warehouse, atomic_write_bytes, fsync_dir

ROW_GROUP_SIZE = 256_000
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 3}

_batch_lock = threading.Lock()
_batch_counter = itertools.count()


_crash_counts: dict[str, int] = {}


def crashpoint(name: str) -> None:
    """Fault injection for crash-safety tests (as SQLite does): ``OCPIWH_CRASH_AT=name[:n]``
    kills this process with SIGKILL the n-th time (default 1st) ``name`` is reached.

    Points: ``page`` (a page fetched, not yet written), ``staged`` (files in staging/),
    ``published`` (files renamed into raw/, state not committed), ``committed`` (state
    written, journals not yet dropped).
    """
    spec = os.environ.get("OCPIWH_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    with _batch_lock:
        _crash_counts[name] = _crash_counts.get(name, 0) + 1
        hit = _crash_counts[name] == int(nth or 1)
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)


def new_batch_id() -> str:
    """Sortable, unique batch id: UTC time to the microsecond, a counter, and random bits."""
    with _batch_lock:
        n = next(_batch_counter) % 10_000
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}-{n:04d}-{secrets.token_hex(3)}"


class JsonLines:
    """The serialized objects of a batch, kept as one buffer per page plus their lengths.

    Holding thousands of separate ``orjson.dumps`` results costs ~15x their size in RSS
    (each keeps an over-allocated buffer); one joined buffer per page costs its size.
    """

    def __init__(self) -> None:
        self.buffers: list[bytes] = []
        self.lengths: list[int] = []
        self.nbytes = 0

    @classmethod
    def of(cls, docs: Sequence[bytes]) -> JsonLines:
        lines = cls()
        lines.add(docs)
        return lines

    def add(self, docs: Sequence[bytes]) -> None:
        if not docs:
            return
        buf = b"".join(docs)
        self.buffers.append(buf)
        self.lengths.extend(len(d) for d in docs)
        self.nbytes += len(buf)

    def extend(self, other: JsonLines) -> None:
        self.buffers.extend(other.buffers)
        self.lengths.extend(other.lengths)
        self.nbytes += other.nbytes

    def __len__(self) -> int:
        return len(self.lengths)

    def to_arrow(self) -> pa.StringArray:
        """One Arrow string column, built from the buffers without a per-row Python object."""
        offsets = pa.array([0, *itertools.accumulate(self.lengths)], pa.int32())
        data = pa.py_buffer(b"".join(self.buffers))
        return pa.StringArray.from_buffers(len(self.lengths), offsets.buffers()[1], data)


@dataclass
class Rejected:
    """An object that could not be stored: why, and what of it may be kept (already filtered)."""

    reason: str
    payload: Any


@dataclass
class BatchResult:
    batch_id: str
    module: str
    rows: int = 0
    quarantined: int = 0
    files: list[Path] = field(default_factory=list)
    bytes: int = 0
    keys: pa.Table | None = None
    """(country_code, party_id, id) of the rows written, for full-listing removal detection."""


_engine_lock = threading.Lock()
_normalize_lock = threading.Lock()
_engine: duckdb.DuckDBPyConnection | None = None


def _shared_engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB instance for all normalizing threads of the process.

    Each instance has its own buffer pool and allocator; one shared instance (a cursor per
    thread) keeps the sync's native memory bounded by one cap, not one per module.
    """
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = duckdb.connect(config={"memory_limit": "256MB", "threads": 1})
            _engine.execute("SET TimeZone='UTC'")
            _engine.execute(lake.normalize_macros())
        return _engine


class Normalizer:
    """Types batches in DuckDB; one per thread (a cursor on the shared instance)."""

    def __init__(self) -> None:
        engine = _shared_engine()
        with _engine_lock:  # a connection object is not thread-safe, even to make cursors
            self.con = engine.cursor()
        self.con.execute("SET TimeZone='UTC'")
        self._sql = {
            m: lake.normalize_sql(m) for m in ("locations", "sessions", "cdrs", "tariffs", "tokens")
        }

    def normalize(self, module: str, lines: JsonLines, platform_party: tuple[str, str]) -> pa.Table:
        # One batch at a time in DuckDB: normalizing takes a fraction of the fetch time, and
        # concurrent batches would multiply DuckDB's working memory by the module count.
        with _normalize_lock:
            batch = pa.table({"_raw": lines.to_arrow()})
            self.con.register("batch", batch)
            try:
                return self.con.sql(
                    self._sql[module],
                    params={"platform_cc": platform_party[0], "platform_party": platform_party[1]},
                ).to_arrow_table()
            finally:
                self.con.unregister("batch")

    def close(self) -> None:
        self.con.close()


class LakeWriter:
    """Writes batches of one (source, module) into the lake. Not thread-safe: one per worker."""

    def __init__(
        self,
        root: Path,
        *,
        source: str,
        module: str,
        platform_party: tuple[str, str],
        privacy: str = "none",
    ) -> None:
        self.wh = Warehouse(root)
        self.source = source
        self.module = module
        self.platform_party = platform_party
        self.privacy = privacy
        self._normalizer: Normalizer | None = None

    @property
    def normalizer(self) -> Normalizer:
        if self._normalizer is None:
            self._normalizer = Normalizer()
        return self._normalizer

    def close(self) -> None:
        if self._normalizer is not None:
            self._normalizer.close()
            self._normalizer = None

    def write(
        self,
        *,
        version: str,
        lines: JsonLines,
        rejected: Sequence[Rejected] = (),
        fetched_at: datetime | None = None,
        url: str | None = None,
        window_end: str | None = None,
    ) -> BatchResult:
        """Normalize and store one batch; returns once its files are in ``raw/``.

        ``lines`` are privacy-filtered objects serialized as JSON; ``rejected`` are objects the
        caller could not use (already sanitized by the privacy stage). Rows the normalizer
        cannot type join the quarantine with their reason.
        """
        fetched_at = fetched_at or datetime.now(UTC)
        batch_id = new_batch_id()
        result = BatchResult(batch_id=batch_id, module=self.module)
        quarantine: list[Rejected] = list(rejected)
        tables: list[tuple[Path, pa.Table]] = []

        if lines:
            typed = self.normalizer.normalize(self.module, lines, self.platform_party)
            errors = typed.column("_error")
            bad = pc.is_valid(errors)
            if pc.any(bad).as_py():
                bad_rows = typed.filter(bad)
                for reason, raw in zip(
                    bad_rows.column("_error").to_pylist(),
                    bad_rows.column("_raw").to_pylist(),
                    strict=True,
                ):
                    quarantine.append(Rejected(reason=reason, payload=raw))
                typed = typed.filter(pc.invert(bad))
            typed = typed.drop_columns(["_error"])
            n = typed.num_rows
            if n:
                typed = self._with_lineage(typed, batch_id, fetched_at, version)
                tables.extend(self._partitions(typed, batch_id))
                result.rows = n
                result.keys = typed.select(list(lake.KEY_COLUMNS))

        if quarantine:
            tables.append(self._quarantine_table(quarantine, batch_id, fetched_at, version, url))
            result.quarantined = len(quarantine)

        if tables:
            result.files, result.bytes = self._stage_and_publish(batch_id, tables, window_end)
        return result

    def write_removed(self, keys: pa.Table, *, window_end: str | None = None) -> BatchResult:
        """Tombstones for keys a full listing no longer contains (OCPI signals deletion no other way)."""
        batch_id = new_batch_id()
        n = keys.num_rows
        table = pa.table(
            {
                "module": pa.array([self.module] * n, pa.string()),
                "country_code": keys.column("country_code"),
                "party_id": keys.column("party_id"),
                "id": keys.column("id"),
                "_source": pa.array([self.source] * n, pa.string()),
                "_batch_id": pa.array([batch_id] * n, pa.string()),
                "_removed_at": pa.array([datetime.now(UTC)] * n, pa.timestamp("us", tz="UTC")),
            }
        )
        rel = Path("raw") / lake.REMOVED / f"source={self.source}" / f"part-{batch_id}.parquet"
        files, size = self._stage_and_publish(batch_id, [(rel, table)], window_end)
        return BatchResult(batch_id=batch_id, module=self.module, rows=n, files=files, bytes=size)

    # -- internals ---------------------------------------------------------------------------

    def _with_lineage(
        self, typed: pa.Table, batch_id: str, fetched_at: datetime, version: str
    ) -> pa.Table:
        n = typed.num_rows
        raw = typed.column("_raw")
        typed = typed.drop_columns(["_raw"])
        for name, value, typ in (
            ("_source", self.source, pa.string()),
            ("_batch_id", batch_id, pa.string()),
            ("_fetched_at", fetched_at, pa.timestamp("us", tz="UTC")),
            ("_ocpi_version", version, pa.string()),
            ("_privacy", self.privacy, pa.string()),
        ):
            typed = typed.append_column(name, pa.repeat(pa.scalar(value, typ), n))
        return typed.append_column("_raw", raw)

    def _partitions(self, typed: pa.Table, batch_id: str) -> list[tuple[Path, pa.Table]]:
        if self.module not in lake.PARTITIONED_BY_START:
            rel = lake.partition_dir(Path("raw"), self.module, self.source)
            return [(rel / f"part-{batch_id}.parquet", typed)]
        start = typed.column("start_date_time")
        years = pc.year(start)
        months = pc.month(start)
        ym = pc.add(pc.multiply(years, 100), months)
        out = []
        for value in pc.unique(ym).to_pylist():
            part = typed.filter(pc.equal(ym, value))
            year, month = divmod(int(value), 100)
            rel = lake.partition_dir(Path("raw"), self.module, self.source, year, month)
            out.append((rel / f"part-{batch_id}.parquet", part))
        return out

    def _quarantine_table(
        self,
        items: Sequence[Rejected],
        batch_id: str,
        fetched_at: datetime,
        version: str,
        url: str | None,
    ) -> tuple[Path, pa.Table]:
        n = len(items)
        payloads = [
            p if isinstance(p, str) else orjson.dumps(p).decode()
            for p in (i.payload for i in items)
        ]
        table = pa.table(
            {
                "_source": pa.array([self.source] * n, pa.string()),
                "_batch_id": pa.array([batch_id] * n, pa.string()),
                "_fetched_at": pa.array([fetched_at] * n, pa.timestamp("us", tz="UTC")),
                "_ocpi_version": pa.array([version] * n, pa.string()),
                "module": pa.array([self.module] * n, pa.string()),
                "reason": pa.array([i.reason for i in items], pa.string()),
                "payload": pa.array(payloads, pa.string()),
                "url": pa.array([url] * n, pa.string()),
            }
        )
        rel = (
            Path("quarantine") / self.module / f"source={self.source}" / f"part-{batch_id}.parquet"
        )
        return rel, table

    def _stage_and_publish(
        self, batch_id: str, tables: list[tuple[Path, pa.Table]], window_end: str | None
    ) -> tuple[list[Path], int]:
        root = self.wh.root
        stage = self.wh.staging / batch_id
        stage.mkdir(parents=True, exist_ok=True)
        size = 0
        for rel, table in tables:
            tmp = stage / rel
            tmp.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, tmp, row_group_size=ROW_GROUP_SIZE, **PARQUET_OPTIONS)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            size += tmp.stat().st_size
        crashpoint("staged")
        # The journal names every file before any is visible: recovery can remove them all.
        journal = {
            "kind": "batch",
            "batch_id": batch_id,
            "source": self.source,
            "module": self.module,
            "window_end": window_end,
            "files": [str(rel) for rel, _ in tables],
        }
        atomic_write_bytes(journal_path(self.wh, batch_id), orjson.dumps(journal))
        final: list[Path] = []
        for rel, _ in tables:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, target)
            fsync_dir(target.parent)
            final.append(target)
        shutil.rmtree(stage, ignore_errors=True)
        crashpoint("published")
        return final, size


def journal_path(wh: Warehouse, batch_id: str) -> Path:
    return wh.state / "journal" / f"{batch_id}.json"


def pending_journals(wh: Warehouse) -> list[dict[str, Any]]:
    """Journals of batches published but not yet committed (or of an unfinished compaction)."""
    folder = wh.state / "journal"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            data = {"batch_id": path.stem, "files": [], "kind": "corrupt"}
        data["_path"] = str(path)
        out.append(data)
    return out


def drop_journals(wh: Warehouse, batch_ids: Sequence[str]) -> None:
    """Forget the journals of committed batches (their files are now part of the lake)."""
    for batch_id in batch_ids:
        journal_path(wh, batch_id).unlink(missing_ok=True)
    folder = wh.state / "journal"
    if folder.is_dir():
        fsync_dir(folder)


def rollback(wh: Warehouse, journal: dict[str, Any]) -> int:
    """Remove the files of an uncommitted batch; returns how many were removed."""
    removed = 0
    for rel in journal.get("files", []):
        target = wh.root / rel
        if target.exists():
            target.unlink()
            removed += 1
    Path(journal["_path"]).unlink(missing_ok=True)
    return removed


def clean_staging(wh: Warehouse) -> None:
    """Staging holds only batches of a process that died; nothing there is referenced."""
    if wh.staging.is_dir():
        shutil.rmtree(wh.staging, ignore_errors=True)


def write_batch(
    root: Path,
    *,
    source: str,
    module: str,
    version: str,
    objects: Sequence[Any],
    platform_party: tuple[str, str] = ("FR", "SIM"),
    fetched_at: datetime | None = None,
) -> BatchResult:
    """Store raw OCPI objects (no privacy stage) exactly as a sync would; for tests and tools.

    Non-object entries are quarantined like a sync does.
    """
    lines = JsonLines.of([orjson.dumps(o) for o in objects if isinstance(o, dict)])
    rejected = [
        Rejected("not a JSON object", {"type": type(o).__name__})
        for o in objects
        if not isinstance(o, dict)
    ]
    writer = LakeWriter(root, source=source, module=module, platform_party=platform_party)
    try:
        result = writer.write(
            version=version, lines=lines, rejected=rejected, fetched_at=fetched_at
        )
    finally:
        writer.close()
    drop_journals(Warehouse(root), [result.batch_id])
    return result
