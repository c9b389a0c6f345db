"""Compaction: rewrite a partition's small files into one, keeping every row, atomically.

Each sync batch is a file; after months of hourly syncs a partition holds thousands of
small files and every query pays for opening them. Compaction merges them with DuckDB
(streaming, memory-capped) into local staging, writes a journal naming the new file and the
old ones, publishes the new file, then deletes the old ones and drops the journal.

The commit point is the manifest rewrite that swaps the old files for the new one (readers
read the files the manifests list, see :mod:`ocpiwh.lake.manifest`). :func:`finish` rolls an
interrupted compaction forward past its commit point, or back before it. The old files are
not deleted at once: a reader that listed them a moment before the swap may still be reading
them. They are recorded as garbage and deleted by a later sync or compaction once they have
been out of every manifest for :data:`GARBAGE_GRACE`.
"""

from __future__ import annotations

import logging
import shutil
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import orjson

from ocpiwh.lake.engine import housekeeping_connection
from ocpiwh.lake.journal import crashpoint, journal_rel, new_batch_id, pending_journals
from ocpiwh.lake.manifest import StateStore, manifests, migrate_legacy
from ocpiwh.lake.store import Location, Store, open_store
from ocpiwh.sqltext import literal

log = logging.getLogger("ocpiwh.sync")

COMPACTION_MEMORY = "128MB"
"""Merging reads whole column chunks (the ``_raw`` JSON is the bulk); it runs after a sync's
fetching is over, so it may use more than a batch does."""

AUTO_THRESHOLD = 16
"""After a sync, partitions with more small files than this are compacted automatically."""

GROUP_BYTES = 256 * 1024 * 1024
GROUP_FILES = 64
"""One merge reads at most this much (and this many files): memory per merge stays bounded
whatever the partition's size; a big backfill becomes a few merged files, not one."""

SMALL_FILE_BYTES = 64 * 1024 * 1024
"""Only files below this size are merged: a merged file is not rewritten again and again as
the partition grows (bounded work and memory per compaction, no write amplification)."""


@dataclass
class CompactionResult:
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)


GARBAGE_GRACE = timedelta(minutes=15)
"""How long files replaced by a compaction stay on disk for readers that listed them before."""

GARBAGE = "state/garbage/"


@dataclass(frozen=True)
class Partition:
    """A folder of Parquet files merged together; ``owner`` is the (source, module) whose
    manifest lists them."""

    folder: str
    files: tuple[tuple[str, int], ...]
    owner: tuple[str, str]


def partitions(root: Location | Store, modules: Iterable[str] | None = None) -> list[Partition]:
    """Leaf folders holding raw or quarantine Parquet files (of the given modules)."""
    store = open_store(root)
    wanted = set(modules) if modules else None
    sizes = dict(store.list("raw/") + store.list("quarantine/"))
    groups: dict[tuple[str, tuple[str, str]], list[tuple[str, int]]] = defaultdict(list)
    owned = [(owner, f) for owner, st in manifests(store).items() for f in st.files or []]
    for owner, rel in owned:
        parts = rel.split("/")
        if not rel.endswith(".parquet") or len(parts) < 3 or rel not in sizes:
            continue
        module = owner[1]
        if wanted is not None and module not in wanted and parts[1] not in wanted:
            continue
        groups[(rel.rsplit("/", 1)[0], owner)].append((rel, sizes[rel]))
    return [
        Partition(folder, tuple(sorted(files)), owner)
        for (folder, owner), files in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]


def is_fresh(rel: str, fresh_from: str | None) -> bool:
    """Was the file ``rel`` written by a batch (or compaction) at or after the batch id
    ``fresh_from``? Batch ids sort by time and every lake file is ``part-<batch id>…``."""
    if fresh_from is None:
        return False
    name = rel.rsplit("/", 1)[-1]
    return name.startswith("part-") and name[5:] >= fresh_from


def due(
    root: Location | Store,
    *,
    modules: Iterable[str] | None = None,
    min_files: int = 2,
    small_file_bytes: int = SMALL_FILE_BYTES,
    fresh_from: str | None = None,
) -> list[tuple[Partition, list[tuple[str, int]]]]:
    """The partitions :func:`compact` would merge, with their small files.

    With ``fresh_from`` (the first batch id of the running sync) a partition is due only
    when it holds ``min_files`` small files written *before* it: the files of a backfill
    are merged by the next sync, not inside the backfill (see ``docs/architecture.md``,
    Compaction). All its small files are merged then, the fresh ones too.
    """
    out = []
    for part in partitions(root, modules):
        files = [(rel, size) for rel, size in part.files if size < small_file_bytes]
        settled = [f for f in files if not is_fresh(f[0], fresh_from)]
        if len(settled) >= min_files:
            out.append((part, files))
    return out


def compact(
    root: Location | Store,
    *,
    modules: Iterable[str] | None = None,
    min_files: int = 2,
    small_file_bytes: int = SMALL_FILE_BYTES,
    fresh_from: str | None = None,
) -> CompactionResult:
    """Merge the small files of every partition holding at least ``min_files`` of them
    (written before the batch id ``fresh_from``, when given: see :func:`due`).

    The caller holds the warehouse lock (no sync may publish into a partition meanwhile).
    """
    store = open_store(root)
    finish(store)
    migrate_legacy(store)
    result = CompactionResult()
    for part, files in due(
        store,
        modules=modules,
        min_files=min_files,
        small_file_bytes=small_file_bytes,
        fresh_from=fresh_from,
    ):
        result.partitions += 1
        for group in _groups(files):
            _merge_group(store, part, [rel for rel, _ in group], result)
    return result


def _merge_group(store: Store, part: Partition, group: list[str], result: CompactionResult) -> None:
    """Merge ``group``; should DuckDB's capped memory not suffice (unusually wide rows), merge
    its halves instead, and leave a pair that still does not fit as it is: compaction is an
    optimization, never a reason for a sync to fail."""
    if len(group) < 2:
        return
    try:
        rows = _merge(store, part, group)
    except duckdb.OutOfMemoryException:
        if len(group) < 4:
            log.warning(
                "compaction of %d files in %s skipped: over its memory cap", len(group), part.folder
            )
            return
        mid = len(group) // 2
        _merge_group(store, part, group[:mid], result)
        _merge_group(store, part, group[mid:], result)
        return
    result.files_before += len(group)
    result.files_after += 1
    result.rows += rows
    result.details.append({"partition": part.folder, "files": len(group), "rows": rows})


def _groups(files: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Consecutive runs of files (oldest first) of at most GROUP_BYTES and GROUP_FILES."""
    groups: list[list[tuple[str, int]]] = [[]]
    size = 0
    for f in files:
        n = f[1]
        if groups[-1] and (size + n > GROUP_BYTES or len(groups[-1]) >= GROUP_FILES):
            groups.append([])
            size = 0
        groups[-1].append(f)
        size += n
    return groups


def _merge(store: Store, part: Partition, files: list[str]) -> int:
    job = new_batch_id()
    stage = store.staging() / f"compact-{job}"
    stage.mkdir(parents=True, exist_ok=True)
    # The newest batch id stays in the name, so file names keep sorting by age.
    new_name = f"part-{job}-compacted.parquet"
    tmp = stage / new_name
    con = housekeeping_connection(COMPACTION_MEMORY)
    try:
        store.register(con)
        listing = ", ".join(literal(store.uri(f)) for f in files)
        con.execute(
            f"COPY (SELECT * FROM read_parquet([{listing}], union_by_name = true, "
            f"hive_partitioning = false)) TO {literal(str(tmp))} "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 500000, ROW_GROUP_SIZE_BYTES '24MB')"
        )
        rows = con.execute(f"SELECT count(*) FROM read_parquet({literal(str(tmp))})").fetchall()[0][
            0
        ]
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)  # nothing was journaled yet
        raise
    finally:
        con.close()
    journal: dict[str, Any] = {
        "kind": "compact",
        "batch_id": f"compact-{job}",
        "new": f"{part.folder}/{new_name}",
        "old": files,
        "owner": list(part.owner),
    }
    path = journal_rel(f"compact-{job}")
    store.write(path, orjson.dumps(journal))
    crashpoint("compact-journaled")
    store.publish(tmp, journal["new"])
    source, module = part.owner  # the commit point: the manifest swap
    StateStore(store, source).replace_files(module, files, journal["new"])
    crashpoint("compacted")
    journal["_path"] = path
    _finish_one(store, journal)
    shutil.rmtree(stage, ignore_errors=True)
    return int(rows)


def _committed(store: Store, journal: dict[str, Any]) -> bool:
    """Did the compaction reach its commit point (see the module docstring)?"""
    owner = journal.get("owner")
    if not owner:  # written before manifests: the rename was the commit
        return store.exists(journal["new"])
    return journal["new"] in (StateStore(store, owner[0]).load(owner[1]).files or [])


def _finish_one(store: Store, journal: dict[str, Any]) -> None:
    if _committed(store, journal):  # roll forward: the old files go, once no reader needs them
        record = {"files": journal["old"], "at": datetime.now(UTC).isoformat()}
        store.write(f"{GARBAGE}{journal['batch_id']}.json", orjson.dumps(record))
    else:  # roll back: the old files are intact
        store.delete(journal["new"])
    store.delete(journal["_path"])


def collect_garbage(root: Location | Store, grace: timedelta = GARBAGE_GRACE) -> int:
    """Delete files replaced by compactions more than ``grace`` ago; returns how many."""
    store = open_store(root)
    now = datetime.now(UTC)
    removed = 0
    for rel, _ in store.list(GARBAGE):
        try:
            record = orjson.loads(store.read(rel) or b"")
            at = datetime.fromisoformat(record["at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            store.delete(rel)  # torn by a crash: its files were never deleted, nor need be
            continue
        if now - at < grace:
            continue
        removed += sum(store.delete(f) for f in record.get("files", []))
        store.delete(rel)
    return removed


def finish(root: Location | Store) -> int:
    """Complete or undo compactions a crash interrupted; returns how many there were."""
    store = open_store(root)
    n = 0
    for journal in pending_journals(store):
        if journal.get("kind") == "compact":
            _finish_one(store, journal)
            n += 1
    return n
