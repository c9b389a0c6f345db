"""Sync state: per source and module, the last completed window; the batch and run logs.

    state/<source>/<module>.json     {"window_end", "last_full", "batches", "updated_at"}
    state/<source>/batches.jsonl     one line per committed batch (rows, privacy policy, window)
    state/<source>/runs.jsonl        one line per sync run (result, counts, error)
    state/journal/<batch>.json       batches published but not yet committed (see writer)

The module file is replaced atomically and written only after a window's data is durable,
so it never claims data the lake does not hold. :func:`recover` runs before every sync.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ocpiwh.paths import Warehouse, atomic_write_bytes
from ocpiwh.sync import writer


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@dataclass
class ModuleState:
    window_end: datetime | None = None
    """Platform time up to which every change of the module is in the lake."""
    last_full: datetime | None = None
    batches: list[str] = field(default_factory=list)
    """Batches of the last committed window (their journals may still exist after a crash)."""
    updated_at: datetime | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "window_end": _iso(self.window_end),
                "last_full": _iso(self.last_full),
                "batches": self.batches,
                "updated_at": _iso(self.updated_at),
            },
            option=orjson.OPT_INDENT_2,
        )

    @classmethod
    def from_json(cls, data: bytes) -> ModuleState:
        d = orjson.loads(data)
        return cls(
            window_end=_parse(d.get("window_end")),
            last_full=_parse(d.get("last_full")),
            batches=list(d.get("batches") or []),
            updated_at=_parse(d.get("updated_at")),
        )


@dataclass
class BatchRecord:
    batch_id: str
    module: str
    version: str
    rows: int
    quarantined: int
    bytes: int
    privacy: str
    window_from: str | None
    window_to: str | None
    kind: str = "data"  # or "removed"


class StateStore:
    """State of one source in one warehouse."""

    def __init__(self, root: Path, source: str) -> None:
        self.wh = Warehouse(root)
        self.source = source
        self.dir = self.wh.state / source

    def _module_file(self, module: str) -> Path:
        return self.dir / f"{module}.json"

    def load(self, module: str) -> ModuleState:
        path = self._module_file(module)
        if not path.exists():
            return ModuleState()
        return ModuleState.from_json(path.read_bytes())

    def commit(self, module: str, state: ModuleState, records: list[BatchRecord]) -> None:
        """Make a window's batches part of the lake: state first, then logs and journals."""
        state.batches = [r.batch_id for r in records]
        state.updated_at = datetime.now(UTC)
        atomic_write_bytes(self._module_file(module), state.to_json())
        writer.crashpoint("committed")
        self._append(self.dir / "batches.jsonl", [asdict(r) for r in records])
        writer.drop_journals(self.wh, state.batches)

    def keep_batches(self, module: str, records: list[BatchRecord]) -> None:
        """Keep batches of an interrupted window without advancing it (Ctrl-C in --watch).

        The window is fetched again next time; the views dedupe what overlaps.
        """
        self._append(self.dir / "batches.jsonl", [asdict(r) for r in records])
        writer.drop_journals(self.wh, [r.batch_id for r in records])

    def append_run(self, summary: dict[str, Any]) -> None:
        self._append(self.dir / "runs.jsonl", [summary])

    def runs(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.dir / "runs.jsonl")

    def batches(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.dir / "batches.jsonl")

    @staticmethod
    def _append(path: Path, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(orjson.dumps(r) + b"\n" for r in rows)
        with open(path, "ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_bytes().splitlines():
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue  # a line torn by a crash mid-append: the log is informational
    return out


@dataclass
class Recovery:
    rolled_back: int = 0
    files_removed: int = 0
    committed: int = 0


def recover(root: Path) -> Recovery:
    """Bring the lake back to its last committed state after a crash.

    A journal whose batch is listed in its module state was committed (the crash came
    between the state write and the journal removal): keep it. Any other journal is a batch
    of a window that never completed: remove its files; the window is fetched again.
    """
    from ocpiwh.sync import compact  # compaction journals are finished first

    wh = Warehouse(root)
    report = Recovery()
    compact.finish(root)
    for journal in writer.pending_journals(wh):
        source, module = journal.get("source"), journal.get("module")
        committed = False
        if source and module:
            committed = journal["batch_id"] in StateStore(root, source).load(module).batches
        if committed:
            writer.drop_journals(wh, [journal["batch_id"]])
            report.committed += 1
        else:
            report.files_removed += writer.rollback(wh, journal)
            report.rolled_back += 1
    writer.clean_staging(wh)
    return report
