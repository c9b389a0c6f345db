"""Lake writer: privacy-filtered objects → typed, partitioned Parquet, crash-safe.

A batch is normalized in DuckDB (one vectorized query, ``sql/normalize/<module>.sql``), written
to a local staging folder, recorded in a journal, then published into ``raw/`` (renamed on a
local disk, uploaded to an object store; see :mod:`ocpiwh.lake.store`), where no reader sees it
yet. The caller commits the module's manifest last (:mod:`ocpiwh.lake.manifest`): from then
on readers read the batch. Recovery removes the files of any batch whose window was never
committed, so a killed sync rerun leaves the lake exactly as one clean sync would.
"""

from __future__ import annotations

import array
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ocpiwh.jsontexts import Packed, pack
from ocpiwh.lake.engine import Normalizer, typing_lock
from ocpiwh.lake.journal import crashpoint, drop_journals, journal_rel, new_batch_id
from ocpiwh.lake.layout import FULL_LISTING, PARTITIONED_BY_START, REMOVED
from ocpiwh.lake.manifest import BatchRecord, StateStore
from ocpiwh.lake.store import Location, Store, open_store
from ocpiwh.sqltext import literal

log = logging.getLogger("ocpiwh.sync")

ROW_GROUP_SIZE = 256_000
ZSTD_LEVEL = 1
"""Batch files' zstd level: level 3 cost the writer ~10 % more CPU for 0.6 % smaller files
(1M sessions: 166 against 167 MB); compaction rewrites them at DuckDB's default anyway."""
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": ZSTD_LEVEL}


class JsonLines:
    """The serialized objects of a batch: per page, one buffer of their JSON texts end to end
    and the offsets where each begins (Arrow's string layout, so DuckDB reads the batch
    without a copy, a file or a JSON split).

    Holding thousands of separate ``orjson.dumps`` results costs ~15x their size in RSS
    (each keeps an over-allocated buffer); one joined buffer per page costs its size.
    """

    def __init__(self) -> None:
        self.pages: list[tuple[bytes | bytearray, array.array[int]]] = []
        self.count = 0
        self.nbytes = 0
        self.unpadded = True
        """No page holds a string that may begin or end with a space
        (:func:`ocpiwh.jsontexts.unpadded`): the typing may skip ``trim``."""

    @classmethod
    def of(cls, docs: Sequence[bytes | bytearray]) -> JsonLines:
        lines = cls()
        lines.add(docs)
        return lines

    def add(self, docs: Sequence[bytes | bytearray]) -> None:
        if docs:
            self.add_packed(pack(docs))

    def add_packed(self, packed: Packed) -> None:
        """Add a page already packed (:func:`ocpiwh.jsontexts.pack`)."""
        count = len(packed.offsets) - 1
        if count < 1:
            return
        self.pages.append((packed.buf, packed.offsets))
        self.count += count
        self.nbytes += len(packed.buf)
        self.unpadded = self.unpadded and packed.unpadded

    def extend(self, other: JsonLines) -> None:
        self.pages.extend(other.pages)
        self.count += other.count
        self.nbytes += other.nbytes
        self.unpadded = self.unpadded and other.unpadded

    def __len__(self) -> int:
        return self.count

    def docs(self) -> list[bytes | bytearray]:
        """Every object's JSON text, in order."""
        return [
            buf[offsets[i] : offsets[i + 1]]
            for buf, offsets in self.pages
            for i in range(len(offsets) - 1)
        ]

    def halves(self) -> tuple[JsonLines, JsonLines]:
        """Split in two (by object) for a batch too large to type at once."""
        docs = self.docs()
        mid = len(docs) // 2
        return JsonLines.of(docs[:mid]), JsonLines.of(docs[mid:])

    def to_arrow(self) -> pa.Table:
        """A one-column table ``_raw`` over the page buffers (no copy)."""
        chunks = [
            pa.LargeStringArray.from_buffers(
                len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(buf)
            )
            for buf, offsets in self.pages
        ]
        return pa.table({"_raw": pa.chunked_array(chunks, pa.large_string())})


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
    files: list[str] = field(default_factory=list)
    """Its files, relative to the warehouse root."""
    bytes: int = 0
    keys: pa.Table | None = None
    """(country_code, party_id, id) of the rows written, for full-listing removal detection."""


class LakeWriter:
    """Writes batches of one (source, module) into the lake. Not thread-safe: one per worker."""

    def __init__(
        self,
        root: Location | Store,
        *,
        source: str,
        module: str,
        platform_party: tuple[str, str],
        privacy: str = "none",
    ) -> None:
        self.store = open_store(root)
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
        stage = self.store.staging() / batch_id
        stage.mkdir(parents=True, exist_ok=True)
        staged: list[Path] = []

        if lines:
            params = {
                "platform_cc": self.platform_party[0],
                "platform_party": self.platform_party[1],
                "source": self.source,
                "batch_id": batch_id,
                "fetched_at": fetched_at,
                "version": version,
                "privacy": self.privacy,
            }
            keys: list[pa.Table] = []
            result.rows = self._stage_lines(lines, stage, batch_id, params, quarantine, keys, "")
            if keys:
                result.keys = pa.concat_tables(keys)
            staged = sorted(p.relative_to(stage) for p in stage.rglob("*.parquet"))

        if quarantine:
            rel, table = self._quarantine_table(quarantine, batch_id, fetched_at, version, url)
            self._write_table(stage / rel, table)
            staged.append(rel)
            result.quarantined = len(quarantine)

        if staged:
            result.files, result.bytes = self._publish(batch_id, stage, staged, window_end)
        else:
            shutil.rmtree(stage, ignore_errors=True)
        return result

    def _stage_lines(
        self,
        lines: JsonLines,
        stage: Path,
        batch_id: str,
        params: dict[str, Any],
        quarantine: list[Rejected],
        keys: list[pa.Table],
        tag: str,
    ) -> int:
        """Type ``lines`` in DuckDB and COPY them into staging; returns the valid row count.

        Should DuckDB run out of its (deliberately small) memory on an unusual batch, the
        batch is split in halves, staged as more files of the same batch: memory stays
        bounded and the sync does not fail.
        """
        con = self.normalizer.con
        typed = self.normalizer.typed_sql(self.module, "batch_json")
        before = set(stage.rglob("*.parquet"))
        try:
            # Type the batch once (JSON parsed once), then work on the typed table:
            # filtering on _error over the JSON transform itself costs far more memory.
            with typing_lock:
                try:
                    con.register("batch_json", lines.to_arrow())
                    with self.normalizer.macros_for(lines.unpadded):
                        con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {typed}", params)
                    rows = self._copy_valid(con, stage, f"{batch_id}{tag}")
                    bad = con.execute(
                        "SELECT _error, _raw FROM typed WHERE _error IS NOT NULL"
                    ).fetchall()
                    if rows and self.module in FULL_LISTING:
                        keys.append(
                            con.sql(
                                "SELECT country_code, party_id, id FROM typed WHERE _error IS NULL"
                            ).to_arrow_table()
                        )
                finally:
                    con.unregister("batch_json")
                    con.execute("DROP TABLE IF EXISTS typed")
        except duckdb.OutOfMemoryException:
            if len(lines) < 2:
                raise
            for partial in set(stage.rglob("*.parquet")) - before:
                partial.unlink()
            log.info("batch %s: DuckDB memory cap reached, splitting it", batch_id)
            return sum(
                self._stage_lines(half, stage, batch_id, params, quarantine, keys, f"{tag}{i}")
                for i, half in enumerate(lines.halves())
            )
        quarantine.extend(Rejected(reason=reason, payload=raw) for reason, raw in bad)
        return rows

    def _copy_valid(self, con: duckdb.DuckDBPyConnection, stage: Path, batch_id: str) -> int:
        """COPY the valid rows of ``typed`` into staging, partitioned like the lake."""
        target = stage / "raw" / self.module / f"source={self.source}"
        target.mkdir(parents=True, exist_ok=True)
        options = (
            f"FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL}, "
            f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}"
        )
        if self.module not in PARTITIONED_BY_START:
            dest = target / f"part-{batch_id}.parquet"
            query = "SELECT * EXCLUDE (_error) FROM typed WHERE _error IS NULL"
            return int(
                con.execute(f"COPY ({query}) TO {literal(dest)} ({options})").fetchall()[0][0]
            )
        # One plain COPY per year/month present (a batch, ordered by last_updated, spans one
        # or two): DuckDB's PARTITION_BY buffers much more memory for the same result.
        parts = con.execute(
            "SELECT DISTINCT year, month FROM typed WHERE _error IS NULL ORDER BY ALL"
        ).fetchall()
        total = 0
        for year, month in parts:
            dest = target / f"year={year}" / f"month={month}"
            dest.mkdir(parents=True, exist_ok=True)
            query = (
                "SELECT * EXCLUDE (_error, year, month) FROM typed "
                "WHERE _error IS NULL AND year = $y AND month = $m"
            )
            rows = con.execute(
                f"COPY ({query}) TO {literal(dest / f'part-{batch_id}.parquet')} ({options})",
                {"y": year, "m": month},
            )
            total += int(rows.fetchall()[0][0])
        return total

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
        rel = Path("raw") / REMOVED / f"source={self.source}" / f"part-{batch_id}.parquet"
        stage = self.store.staging() / batch_id
        self._write_table(stage / rel, table)
        files, size = self._publish(batch_id, stage, [rel], window_end)
        return BatchResult(batch_id=batch_id, module=self.module, rows=n, files=files, bytes=size)

    # -- internals ---------------------------------------------------------------------------

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

    @staticmethod
    def _write_table(path: Path, table: pa.Table) -> None:
        """A small table (quarantine, tombstones) into staging."""
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, row_group_size=ROW_GROUP_SIZE, **PARQUET_OPTIONS)

    def _publish(
        self, batch_id: str, stage: Path, staged: list[Path], window_end: str | None
    ) -> tuple[list[str], int]:
        """Move staged files into the lake: journal first, then publish each file.

        The journal names every file before any is published, so recovery can remove them
        all. A published file stays invisible to readers until the commit lists it in the
        module's manifest.
        """
        size = sum((stage / rel).stat().st_size for rel in staged)
        crashpoint("staged")
        files = [rel.as_posix() for rel in staged]
        journal = {
            "kind": "batch",
            "batch_id": batch_id,
            "source": self.source,
            "module": self.module,
            "window_end": window_end,
            "files": files,
        }
        self.store.write(journal_rel(batch_id), orjson.dumps(journal))
        for i, (rel, local) in enumerate(zip(files, staged, strict=True)):
            if i:
                crashpoint("uploaded")
            self.store.publish(stage / local, rel)
        shutil.rmtree(stage, ignore_errors=True)
        crashpoint("published")
        return files, size


def write_batch(
    root: Location | Store,
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
    record = BatchRecord(
        result.batch_id,
        module,
        version,
        result.rows,
        result.quarantined,
        result.bytes,
        "none",
        None,
        None,
        files=result.files,
    )
    state = StateStore(writer.store, source)
    state.commit(module, state.load(module), [record])  # readers see committed files only
    drop_journals(writer.store, [result.batch_id])
    return result
