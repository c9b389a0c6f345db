"""Recovery: bring the lake back to its last committed state after a crash.

Runs before every sync and compaction (under the warehouse lock). Compactions are finished
first (forward past their commit point, else back), then every batch journal is judged
against its module's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocpiwh.lake import compaction
from ocpiwh.lake.journal import clean_staging, drop_journals, pending_journals, rollback
from ocpiwh.lake.manifest import StateStore
from ocpiwh.lake.store import Location, Store, open_store


@dataclass
class Recovery:
    rolled_back: int = 0
    files_removed: int = 0
    committed: int = 0


def recover(root: Location | Store) -> Recovery:
    """Bring the lake back to its last committed state after a crash.

    A journal whose batch is listed in its module state was committed (the crash came
    between the state write and the journal removal): keep it. Any other journal is a batch
    of a window that never completed: remove its files; the window is fetched again.
    """
    store = open_store(root)
    report = Recovery()
    compaction.finish(store)
    for journal in pending_journals(store):
        source, module = journal.get("source"), journal.get("module")
        committed = False
        if source and module:
            committed = journal["batch_id"] in StateStore(store, source).load(module).batches
        if committed:
            drop_journals(store, [journal["batch_id"]])
            report.committed += 1
        else:
            report.files_removed += rollback(store, journal)
            report.rolled_back += 1
    clean_staging(store)
    return report
