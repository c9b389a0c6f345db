"""Compaction: rewrite a partition's small files into one, keeping every row, atomically.

Each sync batch is a file; after months of hourly syncs a partition holds thousands of
small files and every query pays for opening them. Compaction merges them with DuckDB
(streaming, memory-capped) into ``staging/``, writes a journal naming the new file and the
old ones, renames the new file into the partition, deletes the old ones, then drops the
journal. :func:`finish` completes or undoes an interrupted compaction: a reader may see old
and new rows together for an instant, which the views' dedupe absorbs, but never a half file.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ocpiwh.paths import Warehouse, atomic_write_bytes, fsync_dir
from ocpiwh.sync import writer

COMPACTION_MEMORY = "256MB"
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


def partitions(root: Path, modules: Iterable[str] | None = None) -> list[Path]:
    """Leaf folders holding raw or quarantine Parquet files (of the given modules)."""
    wanted = set(modules) if modules else None
    out = []
    for top in ("raw", "quarantine"):
        base = root / top
        if not base.is_dir():
            continue
        for module_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            if wanted is not None and module_dir.name not in wanted:
                continue
            leaves = {f.parent for f in module_dir.rglob("*.parquet")}
            out.extend(sorted(leaves))
    return out


def compact(
    root: Path,
    *,
    modules: Iterable[str] | None = None,
    min_files: int = 2,
    small_file_bytes: int = SMALL_FILE_BYTES,
) -> CompactionResult:
    """Merge the small files of every partition holding at least ``min_files`` of them.

    The caller holds the warehouse lock (no sync may publish into a partition meanwhile).
    """
    wh = Warehouse(root)
    finish(root)
    result = CompactionResult()
    for folder in partitions(root, modules):
        files = sorted(f for f in folder.glob("*.parquet") if f.stat().st_size < small_file_bytes)
        if len(files) < min_files:
            continue
        result.partitions += 1
        for group in _groups(files):
            if len(group) < 2:
                continue
            rows = _merge(wh, folder, group)
            result.files_before += len(group)
            result.files_after += 1
            result.rows += rows
            result.details.append(
                {"partition": str(folder.relative_to(root)), "files": len(group), "rows": rows}
            )
    return result


def _groups(files: list[Path]) -> list[list[Path]]:
    """Consecutive runs of files (oldest first) of at most GROUP_BYTES and GROUP_FILES."""
    groups: list[list[Path]] = [[]]
    size = 0
    for f in files:
        n = f.stat().st_size
        if groups[-1] and (size + n > GROUP_BYTES or len(groups[-1]) >= GROUP_FILES):
            groups.append([])
            size = 0
        groups[-1].append(f)
        size += n
    return groups


def _merge(wh: Warehouse, folder: Path, files: list[Path]) -> int:
    job = writer.new_batch_id()
    stage = wh.staging / f"compact-{job}"
    stage.mkdir(parents=True, exist_ok=True)
    # The newest batch id stays in the name, so file names keep sorting by age.
    new_name = f"part-{job}-compacted.parquet"
    tmp = stage / new_name
    con = writer.housekeeping_connection(COMPACTION_MEMORY)
    try:
        listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        con.execute(
            f"COPY (SELECT * FROM read_parquet([{listing}], union_by_name = true, "
            f"hive_partitioning = false)) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 500000, ROW_GROUP_SIZE_BYTES '48MB')"
        )
        rows = con.execute(
            f"SELECT count(*) FROM read_parquet('{str(tmp).replace(chr(39), chr(39) * 2)}')"
        ).fetchall()[0][0]
    finally:
        con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    journal = {
        "kind": "compact",
        "batch_id": f"compact-{job}",
        "new": str((folder / new_name).relative_to(wh.root)),
        "staged": str(tmp.relative_to(wh.root)),
        "old": [str(f.relative_to(wh.root)) for f in files],
    }
    path = writer.journal_path(wh, f"compact-{job}")
    atomic_write_bytes(path, orjson.dumps(journal))
    writer.crashpoint("compact-journaled")
    os.replace(tmp, folder / new_name)
    fsync_dir(folder)
    writer.crashpoint("compacted")
    _finish_one(wh, journal, path)
    shutil.rmtree(stage, ignore_errors=True)
    return int(rows)


def _finish_one(wh: Warehouse, journal: dict[str, Any], path: Path) -> None:
    new = wh.root / journal["new"]
    if new.exists():  # the merged file is in place: the old files go (roll forward)
        for rel in journal["old"]:
            (wh.root / rel).unlink(missing_ok=True)
        for parent in {(wh.root / rel).parent for rel in journal["old"]}:
            if parent.exists():
                fsync_dir(parent)
    else:  # crashed before the rename: the old files are intact (roll back)
        (wh.root / journal["staged"]).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def finish(root: Path) -> int:
    """Complete or undo compactions a crash interrupted; returns how many there were."""
    wh = Warehouse(root)
    n = 0
    for journal in writer.pending_journals(wh):
        if journal.get("kind") == "compact":
            _finish_one(wh, journal, Path(journal["_path"]))
            n += 1
    return n
