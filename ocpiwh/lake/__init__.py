"""The lake: where a warehouse's bytes live and how they are committed, kept and read.

One public face for ``sync/``, ``warehouse``, ``export``, ``status`` and the CLI; nothing in
this package imports them. Inside, data flows one way:

    layout      which module is partitioned how, the columns every file carries
    store       a local folder or an S3-compatible object store, addressed by relative path
    journal     batch ids, the journal that makes publishing recoverable, crash points
    manifest    per (source, module): the committed window and files (what readers read)
    engine      the capped DuckDB instances of the write path
    writer      a batch of filtered objects → typed, partitioned Parquet, journaled, published
    compaction  small files merged, swapped in the manifest
    recovery    back to the last committed state after a crash
    lock        one writer per warehouse
"""

from ocpiwh.lake.compaction import AUTO_THRESHOLD, CompactionResult, collect_garbage, compact
from ocpiwh.lake.compaction import due as compaction_due
from ocpiwh.lake.engine import housekeeping_connection, release_engine
from ocpiwh.lake.journal import crashpoint, discard_batches, new_batch_id, pending_journals
from ocpiwh.lake.layout import (
    FULL_LISTING,
    KEY_COLUMNS,
    PARTITIONED_BY_START,
    QUARANTINE_COLUMNS,
    REMOVED,
    module_glob,
    normalize_macros,
    normalize_sql,
)
from ocpiwh.lake.lock import warehouse_lock
from ocpiwh.lake.manifest import (
    BatchRecord,
    ModuleState,
    StateStore,
    committed_files,
    drop_source,
    folders_source,
    manifests,
    parquet_source,
    source_has_data,
)
from ocpiwh.lake.recovery import Recovery, recover
from ocpiwh.lake.store import LocalStore, Location, ObjectStore, Store, is_remote, open_store
from ocpiwh.lake.writer import BatchResult, JsonLines, LakeWriter, Rejected, write_batch

__all__ = [
    "AUTO_THRESHOLD",
    "FULL_LISTING",
    "KEY_COLUMNS",
    "PARTITIONED_BY_START",
    "QUARANTINE_COLUMNS",
    "REMOVED",
    "BatchRecord",
    "BatchResult",
    "CompactionResult",
    "JsonLines",
    "LakeWriter",
    "LocalStore",
    "Location",
    "ModuleState",
    "ObjectStore",
    "Recovery",
    "Rejected",
    "StateStore",
    "Store",
    "collect_garbage",
    "committed_files",
    "compact",
    "compaction_due",
    "crashpoint",
    "discard_batches",
    "drop_source",
    "folders_source",
    "housekeeping_connection",
    "is_remote",
    "manifests",
    "module_glob",
    "new_batch_id",
    "normalize_macros",
    "normalize_sql",
    "open_store",
    "parquet_source",
    "pending_journals",
    "recover",
    "release_engine",
    "source_has_data",
    "warehouse_lock",
    "write_batch",
]
