"""Feeds: per-consumer deliveries of a model's new and changed rows, exactly once.

    state/feeds/<name>/feed.json          the definition (model, parameters, format, target)
    state/feeds/<name>/deliveries.jsonl   every delivery made, in order: its manifest
    state/feeds/<name>/pending.json       a delivery begun and not yet recorded (its intent)

A feed's cursor is the ``cursor.to`` of its last delivery: the last committed batch per
(source, module) that delivery covered (:mod:`ocpiwh.delivery.cursor`). A run delivers the
rows new, changed or removed between that cursor and the lake's current one
(:mod:`ocpiwh.delivery.diff`), as one file named by its period, with the export manifest
plus the feed's fields. Definitions are state, not configuration: they are written by
``feed add`` and read with the cursors they go with, never hand-edited.

Exactly once: a run first records its intent (``pending.json``: cursor range, parameters,
SQL hash, file name), then writes the file (temporary name, fsync, rename, fsync of the
folder), then its manifest, then appends the delivery to ``deliveries.jsonl`` (rewritten
atomically: the commit) and drops the intent. The rows of a cursor range depend on the range,
the SQL and the parameters only, so a run killed anywhere is rolled *forward* by the next:
the intent is redone, giving the very same bytes (a file a consumer may already have picked
up is never replaced by a different one), then the next range is delivered. ``--redeliver``
rebuilds a recorded delivery the same way and checks its sha256.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson

from ocpiwh import __version__, afir
from ocpiwh.afir import cadence
from ocpiwh.config import Config
from ocpiwh.delivery import cursor as cur
from ocpiwh.delivery.diff import CHANGE, Counts, diff
from ocpiwh.delivery.relations import WALL_CLOCK_MODELS, Relation, resolve
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.export import EXPORT_FORMATS, manifest_path, pseudonymous_feeds
from ocpiwh.export.core import (
    _TMP_MARK,
    _clean_leftovers,
    _copy_options,
    _iso,
    _provenance,
    _select_for,
    _sha256,
)
from ocpiwh.lake import Location, Store, crashpoint, open_store
from ocpiwh.paths import atomic_write_bytes, fsync_dir
from ocpiwh.push import BULK_MAX_SIZE, KINDS, QualiChargeClient, load_credentials
from ocpiwh.push.engine import kind_of_model, push_change_set, push_dir, row_key

STDOUT = "-"
QUALICHARGE = "qualicharge"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SUFFIX = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}


@dataclass
class Feed:
    """A feed's definition (``state/feeds/<name>/feed.json``)."""

    name: str
    model: str
    format: str
    to: str
    """An absolute folder, or ``-`` (standard output)."""
    params: dict[str, str] = field(default_factory=dict)
    created_at: str = ""

    def to_json(self) -> bytes:
        return orjson.dumps(self.__dict__, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, data: bytes) -> Feed:
        d = orjson.loads(data)
        return cls(
            name=d["name"],
            model=d["model"],
            format=d["format"],
            to=d["to"],
            params=dict(d.get("params") or {}),
            created_at=d.get("created_at", ""),
        )


@dataclass
class Delivery:
    """What one run delivered (or would have: ``file`` None when there was nothing new)."""

    feed: str
    sequence: int
    file: Path | None
    counts: Counts
    manifest: dict[str, Any]
    """As recorded in ``deliveries.jsonl`` (its ``feed.cursor``: the range delivered)."""
    rolled_forward: bool = False


def _dir(name: str) -> str:
    return f"state/feeds/{name}"


def _stamp(value: datetime | None) -> str:
    """A period bound in a file name: 2026-06-01T080000Z."""
    return "origin" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")


def _param_text(value: Any) -> str | None:
    """A bound parameter as text that binds back to the same value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- definitions ---------------------------------------------------------------------------------


def load(root: Location | Store, name: str) -> Feed:
    store = open_store(root)
    data = store.read(f"{_dir(name)}/feed.json")
    if data is None:
        known = ", ".join(f.name for f in list_feeds(store)) or "none"
        raise UsageError(f"no feed named {name!r} (feeds: {known})", hint="`ocpiwh feed add`")
    return Feed.from_json(data)


def list_feeds(root: Location | Store) -> list[Feed]:
    store = open_store(root)
    return [
        Feed.from_json(data)
        for rel, _ in store.list("state/feeds/")
        if rel.endswith("/feed.json") and (data := store.read(rel)) is not None
    ]


def check_deliverable(store: Store, model: str, params: Mapping[str, Any] | None) -> Relation:
    """The checks of ``feed add`` (and of every run: a model file may have changed since):
    the privacy guard and lineage check of ``export``, a clock-free model."""
    rel = resolve(store, model, params)
    feeds = pseudonymous_feeds(model)
    if feeds:
        raise UsageError(
            f"{model} would deliver pseudonymized data ({', '.join(feeds)}); "
            "feeds never carry pseudonyms",
            hint="deliver a model without them (e.g. session_durations, qualicharge_sessions), "
            "or use `ocpiwh export --allow-pseudonymous` once, knowingly",
        )
    if model in WALL_CLOCK_MODELS:
        raise UsageError(
            f"{model} reads the clock (now()): its rows change without a sync, so a delivery "
            "of it could not be rebuilt",
            hint="export it with `ocpiwh export` instead",
        )
    return rel


def add(
    root: Location | Store,
    name: str,
    model: str,
    fmt: str,
    to: str,
    params: Mapping[str, str] | None = None,
) -> Feed:
    """Define a feed; refused now, in one line, if a run of it would be refused later."""
    store = open_store(root)
    if not _NAME_RE.match(name):
        raise UsageError(f"feed name {name!r}: use letters, digits, - and _ (64 at most)")
    if store.read(f"{_dir(name)}/feed.json") is not None:
        raise UsageError(f"feed {name!r} exists", hint=f"`ocpiwh feed remove {name}` first")
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if to == QUALICHARGE:
        _check_pushable(store, model)
        fmt = "jsonl"  # the change set kept beside the ledger; the API takes JSON
    elif to != STDOUT:
        folder = Path(to).expanduser().resolve()
        if not folder.is_dir():
            raise UsageError(f"--to {to}: no such folder", hint="create it first, or use --to -")
        to = str(folder)
    check_deliverable(store, model, params)
    feed = Feed(
        name=name,
        model=model,
        format=fmt,
        to=to,
        params=dict(params or {}),
        created_at=_iso(datetime.now(UTC)) or "",
    )
    store.write(f"{_dir(name)}/feed.json", feed.to_json())
    return feed


def run_order(root: Location | Store, names: list[str]) -> list[str]:
    """``names`` in the order to run them: feeds pushing statique to QualiCharge first, then
    statuses, then sessions (the API refuses dynamic rows of undeclared points, and a
    refused row is not sent again until it changes), then the others, each by name."""
    order = {k.model: i for i, k in enumerate(KINDS.values())}

    def rank(name: str) -> tuple[int, str]:
        feed = load(root, name)
        return (order.get(feed.model, len(order)) if feed.to == QUALICHARGE else len(order), name)

    return sorted(names, key=rank)


def _check_pushable(store: Store, model: str) -> None:
    """``--to qualicharge``: a model the API takes, a ledger on a local disk, the API
    configured (the checks of a push, made at ``add``)."""
    if kind_of_model(model) is None:
        models = ", ".join(k.model for k in KINDS.values())
        raise UsageError(f"--to qualicharge takes {models}, not {model}")
    push_dir(store)
    creds = Config.load(store).credentials_file if store.is_warehouse() else None
    load_credentials(creds)


def remove(root: Location | Store, name: str) -> int:
    """Forget a feed and its cursor (delivered files stay); returns its deliveries count."""
    store = open_store(root)
    load(store, name)
    n = len(deliveries(store, name))
    with _feed_lock(store, name):
        for rel, _ in store.list(f"{_dir(name)}/"):
            store.delete(rel)
    return n


def deliveries(root: Location | Store, name: str) -> list[dict[str, Any]]:
    """The manifests of every recorded delivery of ``name``, oldest first."""
    store = open_store(root)
    out = []
    for line in (store.read(f"{_dir(name)}/deliveries.jsonl") or b"").splitlines():
        if line.strip():
            out.append(orjson.loads(line))
    return out


def pending(root: Location | Store, name: str) -> dict[str, Any] | None:
    data = open_store(root).read(f"{_dir(name)}/pending.json")
    return orjson.loads(data) if data else None


@contextmanager
def _feed_lock(store: Store, name: str) -> Iterator[None]:
    """One run of a feed at a time (cron and a ``--watch`` could overlap)."""
    path = store.lock_file().parent / "feeds" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OcpiwhError(
                f"feed {name} is being run by another process", hint="wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)


# -- running ---------------------------------------------------------------------------------


def _silent(_text: str) -> None:
    pass


def run(
    root: Location | Store,
    name: str,
    *,
    stdout: IO[bytes] | None = None,
    on_step: Callable[[str], None] = _silent,
    client: QualiChargeClient | None = None,
) -> list[Delivery]:
    """Deliver what is new for feed ``name``: first any delivery a killed run left pending,
    then the range from the last delivery to the lake's last commit (none: nothing new).
    ``on_step`` hears what is being done (the CLI's progress line); ``client`` is the
    QualiCharge API a ``--to qualicharge`` feed pushes to."""
    store = open_store(root)
    feed = load(store, name)
    if feed.to == QUALICHARGE and client is None:
        raise UsageError(f"feed {name} pushes to QualiCharge: it needs the API's client")
    sink = _Sink(stdout, client)
    out: list[Delivery] = []
    with _feed_lock(store, name):
        intent = pending(store, name)
        if intent is not None:
            done = deliveries(store, name)
            if done and done[-1]["feed"]["sequence"] >= intent["sequence"]:
                store.delete(f"{_dir(name)}/pending.json")  # recorded; only the intent was left
            else:
                on_step(f"completing interrupted delivery #{intent['sequence']}")
                out.append(_deliver(store, feed, intent, sink, on_step, rolled_forward=True))
        done = deliveries(store, name)
        last = done[-1]["feed"] if done else None
        start: dict[str, str] = dict(last["cursor"]["to"]) if last else {}
        rel = check_deliverable(store, feed.model, feed.params)
        con = cur.connect(store)
        try:
            end = cur.current(con, rel.modules)
            if not cur.advanced(start, end):
                return out
            period_from = last["period"]["to"] if last else _iso(_earliest(con, rel))
        finally:
            con.close()
        period_to = _iso(cur.cursor_time(end))
        sequence = (last["sequence"] if last else 0) + 1
        file = _file_name(feed, period_from, period_to, sequence, done)
        afir_plan: dict[str, Any] | None = None
        if feed.model in afir.AFIR_MODELS:  # a DATEX II document: delta or snapshot (cadence)
            now = datetime.now(UTC)
            step = cadence.plan(feed.model, done, afir.AfirConfig.load(store), now)
            if step is None:
                return out
            afir_plan = {"since": step.since, "publication_time": _iso(now), "why": step.reason}
            file = file.rsplit(".", 1)[0] + ".json"
        intent = {
            "sequence": sequence,
            "file": file,
            "previous": last["file"] if last else None,
            "cursor": {"from": start, "to": end},
            "period": {"from": period_from, "to": period_to},
            "model": feed.model,
            "params": {k: v for k, v in ((k, _param_text(v)) for k, v in rel.params.items())},
            "sql_sha256": hashlib.sha256(rel.sql.encode()).hexdigest(),
            "format": feed.format,
            "to": feed.to,
            **({"afir": afir_plan} if afir_plan else {}),
        }
        store.write(f"{_dir(name)}/pending.json", orjson.dumps(intent, option=orjson.OPT_INDENT_2))
        crashpoint("feed-pending")
        out.append(_deliver(store, feed, intent, sink, on_step))
    return out


def _file_name(
    feed: Feed, start: str | None, end: str | None, sequence: int, done: list[dict[str, Any]]
) -> str:
    def parse(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    base = f"{feed.name}-{_stamp(parse(start))}--{_stamp(parse(end))}"
    if any(d["feed"]["file"].startswith(base + ".") for d in done):
        base += f"-{sequence}"  # two commits in one second: the names stay apart
    return f"{base}.{_SUFFIX[feed.format]}"


def _earliest(con: duckdb.DuckDBPyConnection, rel: Relation) -> datetime | None:
    firsts = [
        con.execute(f"SELECT min(_batch_id) FROM _lake_raw_{m}").fetchall()[0][0]
        for m in sorted(rel.data_modules)
    ]
    return min((cur.batch_time(b) for b in firsts if b), default=None)


def _build(
    store: Store, intent: Mapping[str, Any], tmp: Path, on_step: Callable[[str], None]
) -> tuple[Counts, dict[str, Any], list[str]]:
    """Write the delivery ``intent`` describes to ``tmp``; returns counts, provenance and the
    columns. Refused when the model's SQL changed since the intent was made."""
    rel = resolve(
        store, intent["model"], {k: v for k, v in intent["params"].items() if v is not None}
    )
    sha = hashlib.sha256(rel.sql.encode()).hexdigest()
    if sha != intent["sql_sha256"]:
        raise OcpiwhError(
            f"the SQL of {intent['model']} changed since delivery {intent['sequence']} was made: "
            "it cannot be rebuilt as it was",
            hint="restore the model file, or remove the feed and add it again",
        )
    con = cur.connect(store, read_only=False)  # COPY writes outside the warehouse
    try:
        con.execute("SET threads = 1")  # one writer thread: the same bytes every time
        on_step(f"{intent['model']}: rows new, changed or removed since the last delivery")
        counts = diff(con, rel, intent["cursor"]["from"], intent["cursor"]["to"], "_delivery")
        select = _select_for(con, "_delivery", intent["format"])
        on_step(f"writing {intent['file']} ({counts.rows:,} rows)")
        con.execute(
            f"COPY (SELECT {select} FROM _delivery ORDER BY ALL) TO "
            f"'{str(tmp).replace(chr(39), chr(39) * 2)}' ({_copy_options(intent['format'], [])})"
        )
        cur.set_cursor(con, intent["cursor"]["to"])
        provenance = _provenance(store, con, set(rel.views))
        columns = [d[0] for d in con.execute("SELECT * FROM _delivery LIMIT 0").description or []]
    except duckdb.Error as exc:
        raise OcpiwhError(
            f"delivery of {intent['model']} failed: {' '.join(str(exc).split())[:400]}"
        ) from None
    finally:
        con.close()
    return counts, provenance, columns


def _manifest(
    feed: Feed,
    intent: Mapping[str, Any],
    counts: Counts,
    provenance: dict[str, Any],
    columns: list[str],
    tmp: Path,
) -> dict[str, Any]:
    """The export manifest's fields, plus the feed's (``feed``)."""
    sha = _sha256(tmp)
    return {
        "ocpiwh_version": __version__,
        "created_at": _iso(datetime.now(UTC)),
        "name": intent["model"],
        "kind": "feed",
        "format": intent["format"],
        "path": intent["file"],
        "partition_by": [],
        "rows": counts.rows,
        "sha256": sha,
        "files": [{"path": intent["file"], "bytes": tmp.stat().st_size, "sha256": sha}],
        "sql_sha256": intent["sql_sha256"],
        "parameters": intent["params"],
        "columns": columns,
        **provenance,
        "privacy": {
            "policy_fingerprints": provenance["privacy_fingerprints"],
            "pseudonymous_columns": [],
            "allowed": False,
        },
        "validation": None,
        "feed": _feed_section(feed, intent, counts),
    }


def _feed_section(feed: Feed, intent: Mapping[str, Any], counts: Counts) -> dict[str, Any]:
    """The manifest's ``feed`` entry: which delivery of which feed, from where to where."""
    return {
        "name": feed.name,
        "sequence": intent["sequence"],
        "file": intent["file"],
        "previous": intent["previous"],
        "cursor": intent["cursor"],
        "period": intent["period"],
        "counts": {"new": counts.new, "changed": counts.changed, "removed": counts.removed},
    }


def _build_afir(
    store: Store, feed: Feed, intent: Mapping[str, Any], tmp: Path, on_step: Callable[[str], None]
) -> dict[str, Any]:
    """An AFIR publication (ocpiwh.afir.publish) as the delivery: a delta since the previous
    delivery's ``data_until``, or a full snapshot, as the intent's cadence decided. Redone
    after a kill, it reads the lake as it is then (a later sync shows in it)."""
    plan = intent["afir"]
    result = afir.publish(
        store,
        intent["model"],
        tmp,
        since=plan["since"],
        now=datetime.fromisoformat(plan["publication_time"].replace("Z", "+00:00")),
        on_step=on_step,
    )
    result.manifest_path.unlink(missing_ok=True)  # the feed writes its own
    result.report_path.replace(tmp.parent / f"{intent['file']}.report.csv")
    sha = _sha256(tmp)
    return {
        **result.manifest,
        "kind": "feed",
        "path": intent["file"],
        "rows": result.sites,
        "sha256": sha,
        "files": [{"path": intent["file"], "bytes": tmp.stat().st_size, "sha256": sha}],
        "parameters": intent["params"],
        "feed": {**_feed_section(feed, intent, Counts(new=result.sites)), "cadence": plan["why"]},
    }


@dataclass
class _Sink:
    """Where a run's deliveries go besides a folder: standard output, the QualiCharge API."""

    stdout: IO[bytes] | None
    client: QualiChargeClient | None


def _deliver(
    store: Store,
    feed: Feed,
    intent: dict[str, Any],
    sink: _Sink,
    on_step: Callable[[str], None],
    *,
    rolled_forward: bool = False,
) -> Delivery:
    to_stdout = intent["to"] == STDOUT
    to_api = intent["to"] == QUALICHARGE
    if to_stdout:
        folder = Path(tempfile.mkdtemp(prefix="ocpiwh-feed-"))
    elif to_api:  # the change set stays beside the ledger, as the record of what was pushed
        folder = push_dir(store) / "feeds" / feed.name
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(intent["to"])
    if not folder.is_dir():
        raise OcpiwhError(f"feed {feed.name}: the folder {folder} is gone", hint="create it again")
    target = folder / intent["file"]
    _clean_leftovers(target)
    tmp = folder / f".{intent['file']}{_TMP_MARK}{os.getpid()}"
    try:
        if "afir" in intent:
            manifest = _build_afir(store, feed, intent, tmp, on_step)
            counts = Counts(new=int(manifest["rows"]))
        else:
            counts, provenance, columns = _build(store, intent, tmp, on_step)
            manifest = _manifest(feed, intent, counts, provenance, columns, tmp)
        if to_stdout:
            out = sink.stdout if sink.stdout is not None else sys.stdout.buffer
            with tmp.open("rb") as fh:
                shutil.copyfileobj(fh, out)
            out.flush()
        else:
            _publish(tmp, target, manifest)
        if to_api:
            assert sink.client is not None
            manifest["push"] = _push(store, intent, target, sink.client, on_step)
            atomic_write_bytes(
                manifest_path(target), orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
            )
            crashpoint("feed-pushed")
        _record(store, feed.name, manifest)
        crashpoint("feed-recorded")
        store.delete(f"{_dir(feed.name)}/pending.json")
    finally:
        tmp.unlink(missing_ok=True)
        if to_stdout:
            shutil.rmtree(folder, ignore_errors=True)
    return Delivery(
        feed=feed.name,
        sequence=intent["sequence"],
        file=None if to_stdout else target,
        counts=counts,
        manifest=manifest,
        rolled_forward=rolled_forward,
    )


def _push(
    store: Store,
    intent: Mapping[str, Any],
    change_set: Path,
    client: QualiChargeClient,
    on_step: Callable[[str], None],
) -> dict[str, Any]:
    """Send the new and changed rows of the change set, as ``export`` renders them on the
    lake as of the delivery's cursor, through the push ledger: a row the ledger holds as
    accepted (a killed run's, or ``push qualicharge``'s) is not sent again; removed points
    (statique) the API holds are decommissioned. The manifest's ``push``: what was sent and
    what the API answered."""
    kind = kind_of_model(intent["model"])
    assert kind is not None
    keys: set[str] = set()
    removed: set[str] = set()
    with change_set.open("rb") as fh:
        for line in fh:
            if line.strip():
                body = orjson.loads(line)
                (removed if body.get(CHANGE) == "removed" else keys).add(row_key(kind, body))
    params = {k: v for k, v in intent["params"].items() if v is not None}
    report = push_change_set(
        store,
        client,
        intent["model"],
        keys,
        params=params,
        connect=_connect_at(intent["cursor"]["to"]),
        work=change_set.parent / "work",
        withdraw=removed,
        bulk_size=BULK_MAX_SIZE,
        on_step=on_step,
    )
    return {
        "kind": kind.name,
        "rows": report.rows,
        "unchanged": report.unchanged,
        "sent": report.to_create + report.to_update,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "in_doubt": report.in_doubt,
        "reconciled": report.reconciled,
        "requests": report.requests,
        "invalid_or_too_old": len(keys) - report.rows,
        "withdrawn": report.withdrawn,
        "withdraw_refused": report.withdraw_refused,
        "recommissioned": report.restored,
    }


def _connect_at(cursor: Mapping[str, str]) -> Callable[[Store], duckdb.DuckDBPyConnection]:
    """A factory of writable connections reading the lake as of ``cursor``."""

    def connect(store: Store) -> duckdb.DuckDBPyConnection:
        con = cur.connect(store, read_only=False)
        cur.set_cursor(con, cursor)
        return con

    return connect


def _publish(tmp: Path, target: Path, manifest: Mapping[str, Any]) -> None:
    """``tmp`` becomes ``target`` durably (fsync, rename, fsync of the folder), then its
    manifest beside it (:func:`ocpiwh.paths.atomic_write_bytes`)."""
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)
    crashpoint("feed-written")
    atomic_write_bytes(manifest_path(target), orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    crashpoint("feed-manifest")


def _record(store: Store, name: str, manifest: dict[str, Any]) -> None:
    """The commit: the log is rewritten whole, atomically (never a torn last line)."""
    rel = f"{_dir(name)}/deliveries.jsonl"
    log = store.read(rel) or b""
    store.write(rel, log + orjson.dumps(manifest) + b"\n")


# -- rebuilding ------------------------------------------------------------------------------


def find_delivery(root: Location | Store, name: str, period: str) -> dict[str, Any]:
    """A recorded delivery by sequence number, file name, or period (``FROM--TO`` as in the
    file name)."""
    done = deliveries(root, name)
    for d in done:
        f = d["feed"]
        stem = f["file"].rsplit(".", 1)[0]
        if period in (str(f["sequence"]), f["file"], stem, stem.removeprefix(f"{name}-")):
            return d
    shown = ", ".join(d["feed"]["file"] for d in done[-5:]) or "none yet"
    raise UsageError(f"feed {name} has no delivery {period!r} (latest: {shown})")


def redeliver(
    root: Location | Store,
    name: str,
    period: str,
    *,
    to: Path | None = None,
    on_step: Callable[[str], None] = _silent,
) -> tuple[Path, str]:
    """Rebuild a recorded delivery into its folder (or ``to``): the same bytes, checked
    against the sha256 its manifest recorded, and the manifest as recorded."""
    store = open_store(root)
    feed = load(store, name)
    manifest = find_delivery(store, name, period)
    if "afir" in manifest:
        raise UsageError(
            f"{period}: an AFIR publication shows the lake when it was made; it is not rebuilt",
            hint="the next `feed run` publishes the current state (a full snapshot per the cadence)",
        )
    f = manifest["feed"]
    intent = {
        "sequence": f["sequence"],
        "file": f["file"],
        "previous": f["previous"],
        "cursor": f["cursor"],
        "period": f["period"],
        "model": manifest["name"],
        "params": manifest["parameters"],
        "sql_sha256": manifest["sql_sha256"],
        "format": manifest["format"],
        "to": str(to) if to is not None else feed.to,
    }
    folder = Path(intent["to"])
    if intent["to"] == STDOUT or not folder.is_dir():
        raise UsageError(f"cannot rebuild into {intent['to']!r}", hint="pass --to DIR")
    target = folder / intent["file"]
    tmp = folder / f".{intent['file']}{_TMP_MARK}{os.getpid()}"
    try:
        _build(store, intent, tmp, on_step)
        sha = _sha256(tmp)
        if sha != manifest["sha256"]:
            raise OcpiwhError(
                f"delivery {f['file']} rebuilt differently (sha256 {sha[:12]}… instead of "
                f"{manifest['sha256'][:12]}…): the lake no longer holds what it delivered",
                hint="was a source reset (`login --reset-source`) since?",
            )
        _publish(tmp, target, manifest)
    finally:
        tmp.unlink(missing_ok=True)
    return target, sha
