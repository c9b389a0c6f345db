"""Recovery: bring the lake back to its last committed state after a crash.

Runs before every sync and compaction (under the warehouse lock). Compactions are finished
first (forward past their commit point, else back), then every batch journal is judged
against its module's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocpiwh.lake.compaction import collect_garbage, finish
from ocpiwh.lake.journal import clean_staging, drop_journals, pending_journals, rollback
from ocpiwh.lake.manifest import StateStore, migrate_legacy
from ocpiwh.lake.store import Location, Store, open_store


@dataclass
class Recovery:
    rolled_back: int = 0
    files_removed: int = 0
    committed: int = 0


def recover(root: Location | Store) -> Recovery:
    """Bring the lake back to its last committed state after a crash.

    A journal whose files its module's manifest lists was committed (the crash came between
    the manifest write and the journal removal): keep it. Any other journal is a batch of a
    (sub-)window that never completed: remove its files; that window is fetched again. Then
    legacy modules get their manifest, and files compactions replaced long enough ago go.
    """
    store = open_store(root)
    report = Recovery()
    finish(store)
    for journal in pending_journals(store):
        if _committed(store, journal):
            drop_journals(store, [journal["batch_id"]])
            report.committed += 1
        else:
            report.files_removed += rollback(store, journal)
            report.rolled_back += 1
    clean_staging(store)
    migrate_legacy(store)
    collect_garbage(store)
    return report


def _committed(store: Store, journal: dict[str, Any]) -> bool:
    """Is the batch of ``journal`` part of its module's committed state?"""
    source, module = journal.get("source"), journal.get("module")
    if not source or not module:
        return False
    state = StateStore(store, source).load(module)
    files = journal.get("files") or []
    if state.files is None or not files:  # legacy state: its last window's batch ids
        return bool(journal["batch_id"] in state.batches)
    listed = set(state.files)
    return all(f in listed for f in files)
