"""The manifest: per source and module, the committed window and the committed files.

    state/<source>/<module>.json     {"window_end", "last_full", "batches", "files", "backfill", …}
    state/<source>/batches.jsonl     one line per committed batch (rows, privacy policy, window)
    state/<source>/runs.jsonl        one line per sync run (result, counts, error)
    state/journal/<batch>.json       batches published but not yet committed (see journal)

The module file is replaced atomically and written only after a window's data is durable,
so it never claims data the lake does not hold. Its ``files`` list names every committed file
of the module (raw, quarantine, tombstones), and every reader — views, ``sql``, models,
exports, status — reads exactly those, on a local disk as on an object store: a file in
``raw/`` that no manifest lists is invisible (a batch of a window still being fetched, or
one a crash left behind), so a query during a sync sees the last commit, whole. Writing the
module file is the commit. :func:`ocpiwh.lake.recovery.recover` runs before every sync.

A local warehouse written before manifests existed has module files without ``files``; its
readers fall back to listing the module's folders until the next sync's recovery writes the
list (:func:`ocpiwh.lake.recovery.migrate`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow.parquet as pq

from ocpiwh.lake.journal import crashpoint, drop_journals
from ocpiwh.lake.layout import REMOVED
from ocpiwh.lake.store import Location, Store, open_store
from ocpiwh.paths import MODULES
from ocpiwh.sqltext import literal


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
    files: list[str] | None = None
    """Every committed file of the module (None: a legacy local module, read by listing)."""
    backfill: dict[str, Any] | None = None
    """While a window larger than one sub-window is being fetched, sub-window by sub-window:
    ``{"until": <the window's end>, "objects": <fetched so far>, "estimate": <total>}``;
    None once the module is caught up."""
    interrupted: bool = False
    """The last sync of the module was stopped (Ctrl-C) before its window completed."""

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "window_end": _iso(self.window_end),
            "last_full": _iso(self.last_full),
            "batches": self.batches,
            "updated_at": _iso(self.updated_at),
            "files": self.files if self.files is not None else [],
        }
        if self.backfill is not None:
            data["backfill"] = self.backfill
        if self.interrupted:
            data["interrupted"] = True
        return orjson.dumps(data, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, data: bytes) -> ModuleState:
        d = orjson.loads(data)
        return cls(
            window_end=_parse(d.get("window_end")),
            last_full=_parse(d.get("last_full")),
            batches=list(d.get("batches") or []),
            updated_at=_parse(d.get("updated_at")),
            files=list(d["files"]) if d.get("files") is not None else None,
            backfill=d.get("backfill"),
            interrupted=bool(d.get("interrupted")),
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
    files: list[str] = field(default_factory=list)
    """The batch's files, relative to the warehouse root."""


class StateStore:
    """State of one source in one warehouse."""

    def __init__(self, root: Location | Store, source: str) -> None:
        self.store = open_store(root)
        self.source = source
        self.dir = f"state/{source}"

    def _module_file(self, module: str) -> str:
        return f"{self.dir}/{module}.json"

    def load(self, module: str) -> ModuleState:
        return _load_state(self.store, self._module_file(module)) or ModuleState()

    def commit(self, module: str, state: ModuleState, records: list[BatchRecord]) -> None:
        """Make a window's batches part of the lake: state first, then logs and journals."""
        state.batches = [r.batch_id for r in records]
        state.updated_at = datetime.now(UTC)
        state.files = [*(state.files or []), *(f for r in records for f in r.files)]
        self.store.write(self._module_file(module), state.to_json())
        if records:  # a commit that published nothing has no journal to leave behind
            crashpoint("committed")
        self._append("batches.jsonl", [asdict(r) for r in records])
        drop_journals(self.store, state.batches)

    def keep_batches(self, module: str, records: list[BatchRecord]) -> None:
        """Keep batches of an interrupted window without advancing it (Ctrl-C).

        The window is fetched again next time; the views dedupe what overlaps.
        """
        state = self.load(module)
        state.interrupted = True
        self.commit(module, state, records)

    def replace_files(self, module: str, old: Iterable[str], new: str) -> None:
        """Compaction's commit: ``new`` holds the rows of ``old`` (one atomic replace)."""
        state = self.load(module)
        gone = set(old)
        state.files = [f for f in state.files or [] if f not in gone] + [new]
        self.store.write(self._module_file(module), state.to_json())

    def append_run(self, summary: dict[str, Any]) -> None:
        self._append("runs.jsonl", [summary])

    def runs(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.store.read(f"{self.dir}/runs.jsonl"))

    def batches(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.store.read(f"{self.dir}/batches.jsonl"))

    def _append(self, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.store.append(f"{self.dir}/{name}", b"".join(orjson.dumps(r) + b"\n" for r in rows))


def manifests(store: Store) -> dict[tuple[str, str], ModuleState]:
    """Every module state of the warehouse, by (source, module)."""
    out = {}
    for rel, _ in store.list("state/"):
        parts = rel.split("/")
        if len(parts) == 3 and parts[2].endswith(".json") and parts[2][:-5] in MODULES:
            state = _load_state(store, rel)
            if state is not None:
                out[(parts[1], parts[2][:-5])] = state
    return out


def _load_state(store: Store, rel: str, attempts: int = 5) -> ModuleState | None:
    """A module state, re-read if it was replaced while being read (object stores read
    a size, then a byte range: a concurrent replacement reads truncated, never valid)."""
    for attempt in range(attempts):
        data = store.read(rel)
        if data is None:
            return None
        try:
            return ModuleState.from_json(data)
        except orjson.JSONDecodeError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None


def committed_files(
    store: Store, prefix: str, states: dict[tuple[str, str], ModuleState] | None = None
) -> list[str]:
    """Committed files under ``prefix`` (e.g. ``raw/sessions/``), from the manifests.

    ``states`` (from :func:`manifests`) spares a caller that asks for several prefixes
    reading the manifests again, and lets it read one consistent set of them."""
    if states is None:
        states = manifests(store)
    files: set[str] = set()
    legacy: set[tuple[str, str]] = set()
    for (source, module), state in states.items():
        if state.files is None:
            legacy.add((source, module))
        else:
            files.update(f for f in state.files if f.startswith(prefix))
    for source, module in sorted(legacy):  # written before manifests: read by listing
        for folder in (
            f"raw/{module}/source={source}/",
            f"quarantine/{module}/source={source}/",
            f"raw/{REMOVED}/source={source}/",
        ):
            if folder.startswith(prefix) or prefix.startswith(folder):
                files.update(
                    rel
                    for rel, _ in store.list(folder)
                    if rel.endswith(".parquet") and rel.startswith(prefix)
                )
    return sorted(files)


def parquet_source(
    store: Store,
    prefix: str,
    extra: Iterable[str] = (),
    states: dict[tuple[str, str], ModuleState] | None = None,
) -> str | None:
    """The argument of ``read_parquet`` for the committed files under ``prefix`` plus
    ``extra`` (files of a window not committed yet); None when there are none."""
    files = sorted(
        {*committed_files(store, prefix, states), *(f for f in extra if f.startswith(prefix))}
    )
    if not files:
        return None
    return "[" + ", ".join(literal(store.uri(f)) for f in files) + "]"


def folders_source(store: Store, folders: Iterable[str]) -> str | None:
    """The argument of ``read_parquet`` for the committed files directly in ``folders``
    (partitions, e.g. ``raw/sessions/source=x/year=2026/month=03``)."""
    inside = set(folders)
    if not inside:
        return None
    files = [f for f in committed_files(store, "raw/") if f.rsplit("/", 1)[0] in inside]
    return "[" + ", ".join(literal(store.uri(f)) for f in files) + "]" if files else None


def source_has_data(store: Store, source: str) -> bool:
    """Has any module of ``source`` committed a window or a file?"""
    return any(
        st.window_end is not None or st.files
        for (src, _), st in manifests(store).items()
        if src == source
    )


def drop_source(store: Store, source: str) -> int:
    """Remove every file and the state of ``source`` (``login --reset-source``); returns the
    number of files removed. The caller holds the warehouse lock. The state goes first, so
    an interruption leaves files no manifest lists (invisible; a rerun removes them)."""
    for rel, _ in store.list(f"state/{source}/"):
        store.delete(rel)
    removed = 0
    for top in ("raw/", "quarantine/"):
        for rel, _ in store.list(top):
            parts = rel.split("/")
            if len(parts) > 2 and parts[2] == f"source={source}":
                removed += store.delete(rel)
    return removed


def migrate_legacy(store: Store) -> int:
    """Write the ``files`` list of every module written before manifests (a local warehouse
    of an earlier ocpiwh), from its folders; returns how many modules it migrated.

    Runs under the warehouse lock, after recovery has removed uncommitted batches, so every
    file left in the module's folders is committed. Tombstone files are shared by a source's
    modules: each is given to the module named in its rows.
    """
    states = manifests(store)
    legacy = {key: st for key, st in states.items() if st.files is None}
    if not legacy:
        return 0
    removed_by_module: dict[tuple[str, str], list[str]] = {}
    for source in {source for source, _ in legacy}:
        for rel, _ in store.list(f"raw/{REMOVED}/source={source}/"):
            local = store.local_root
            if not rel.endswith(".parquet") or local is None:
                continue
            modules = pq.read_table(local / rel, columns=["module"]).column("module")
            for module in set(modules.to_pylist()):
                removed_by_module.setdefault((source, str(module)), []).append(rel)
    for (source, module), state in sorted(legacy.items()):
        files = [
            rel
            for folder in (
                f"raw/{module}/source={source}/",
                f"quarantine/{module}/source={source}/",
            )
            for rel, _ in store.list(folder)
            if rel.endswith(".parquet")
        ]
        state.files = sorted([*files, *removed_by_module.get((source, module), [])])
        store.write(f"state/{source}/{module}.json", state.to_json())
    return len(legacy)


def _read_jsonl(data: bytes | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in (data or b"").splitlines():
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue  # a line torn by a crash mid-append: the log is informational
    return out
