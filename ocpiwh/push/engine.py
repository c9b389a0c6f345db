"""Push the warehouse's QualiCharge models to the API, each row once (see docs/push.md).

    report = push(root, client, kinds=("statique", "statuses", "sessions"))

Rows come from :func:`ocpiwh.export.export` (the models, validated, written as JSON lines in
``state/push/qualicharge/work/``), so what is pushed is exactly what ``ocpiwh export`` writes.
A row is sent when the ledger has no accepted copy of its content; every request is recorded
in flight before it leaves, so a run killed at any instant is reconciled by the next one.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import duckdb
import orjson

from ocpiwh import warehouse
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.export import export
from ocpiwh.export.core import _resolve
from ocpiwh.lake import crashpoint, open_store
from ocpiwh.lake.store import LocalStore, Location, Store
from ocpiwh.paths import config_dir
from ocpiwh.push.client import API, Ambiguous, Answer, QualiChargeClient
from ocpiwh.push.ledger import Ledger
from ocpiwh.sqltext import identifier as quote_ident

BULK_MAX_SIZE = 10
"""The API's default ``API_*_BULK_CREATE_MAX_SIZE``; a server configured higher takes more."""


@dataclass(frozen=True)
class Kind:
    name: str
    model: str
    bulk: str
    key: tuple[str, ...]
    resend_is_harmless: bool  # the API upserts (statique) or stores a second copy


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("statique", "irve_statique", "/statique/bulk", ("id_pdc_itinerance",), True),
        Kind(
            "statuses",
            "irve_dynamique_events",
            "/dynamique/status/bulk",
            ("id_pdc_itinerance", "horodatage"),
            False,
        ),
        Kind(
            "sessions",
            "qualicharge_sessions",
            "/dynamique/session/bulk",
            ("id_pdc_itinerance", "start"),
            False,
        ),
    )
}


@dataclass
class Row:
    key: str
    hash: str
    line: bytes
    """The exported JSON line: a whole table is held as compact bytes, parsed when sent."""

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(self.line)
        return body


@dataclass
class KindReport:
    kind: str
    rows: int = 0
    unchanged: int = 0
    to_create: int = 0
    to_update: int = 0
    accepted: int = 0
    rejected: int = 0
    in_doubt: int = 0
    reconciled: int = 0
    requests: int = 0
    to_withdraw: int = 0
    withdrawn: int = 0
    withdraw_refused: int = 0
    restored: int = 0
    reasons: list[tuple[str, str]] = field(default_factory=list)


def push_dir(root: Store) -> Path:
    """The ledger's folder: in the warehouse on a local disk; for a lake on an object store
    (no SQLite there), in the per-user state folder of the machine that pushes, keyed by the
    warehouse's URL (named in ``warehouse.txt`` beside it)."""
    if isinstance(root, LocalStore):
        return Path(root.root) / "state" / "push" / "qualicharge"
    digest = hashlib.sha256(root.url.encode()).hexdigest()[:16]
    folder = config_dir() / "push" / digest / "qualicharge"
    folder.mkdir(parents=True, exist_ok=True)
    label = folder / "warehouse.txt"
    if not label.exists():
        label.write_text(root.url + "\n")
    return folder


def content_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def row_key(kind: Kind, body: dict[str, Any]) -> str:
    """The ledger's key of an exported row (its kind's key columns, ``|``-joined)."""
    return "|".join(str(body.get(k)) for k in kind.key)


def load_rows(
    root: Store,
    kind: Kind,
    work: Path,
    *,
    now: datetime | None = None,
    max_session_age_days: float | None = None,
    params: Mapping[str, Any] | None = None,
    connect: Callable[[Store], duckdb.DuckDBPyConnection] | None = None,
    keys: Collection[str] | None = None,
) -> list[Row]:
    """The model's valid rows, deduplicated on the kind's key (last one wins); with ``keys``,
    only those (a feed's change set). ``params`` and ``connect`` go to the export."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"{kind.name}.jsonl"
    export(
        root,
        kind.model,
        out,
        "jsonl",
        params,
        now=now,
        max_session_age_days=max_session_age_days,
        connect=connect,
    )
    rows: dict[str, Row] = {}
    with out.open("rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            body = orjson.loads(line)
            key = row_key(kind, body)
            if keys is None or key in keys:
                rows[key] = Row(key, content_hash(body), line.rstrip())
    return list(rows.values())


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError("another `ocpiwh push` is running on this warehouse") from None
        yield


def plan(
    rows: Sequence[Row], ledger: Ledger, kind: str, *, resend_in_doubt: bool = False
) -> tuple[list[Row], list[Row], int]:
    """(to create with the bulk route, to update with PUT, unchanged), in the rows' order;
    what is settled is :meth:`Ledger.to_send`'s call."""
    todo = ledger.to_send(kind, ((r.key, r.hash) for r in rows), resend_in_doubt=resend_in_doubt)
    create = [r for r in rows if todo.get(r.key) is False]
    update = [r for r in rows if todo.get(r.key) is True]
    return create, update, len(rows) - len(todo)


class Pusher:
    """One run over one kind: reconcile what a killed run left in flight, then send."""

    def __init__(
        self, ledger: Ledger, client: QualiChargeClient, kind: Kind, bulk_size: int
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.kind = kind
        self.bulk_size = bulk_size
        self.report = KindReport(kind.name)

    # -- after a crash --------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Rows left in flight: ask the API what it holds where it can be asked (statique:
        GET the point; statuses: the point's history), else mark them in doubt (sessions)."""
        for rid, rows in self.ledger.in_flight(self.kind.name).items():
            method, path = self.ledger.request(rid)
            if method == "DELETE":  # decommissioning is idempotent: do it again
                self.ledger.release(rid, None, "interrupted: decommission again", "accepted")
                for key, h in rows:
                    self._decommission(key, h)
            elif path.endswith("/up"):  # so is recommissioning
                self.ledger.release(rid, None, "interrupted: recommission again", "withdrawn")
                for key, h in rows:
                    self._recommission(key, h)
            else:
                self._settle(rid, rows, "reconciled after an interrupted run")

    def _settle(self, rid: str, rows: list[tuple[str, str]], why: str) -> None:
        held: list[tuple[str, str | None]] = []
        if self.kind.name == "statique":
            for key, h in rows:
                got = self.client.get_statique(key)
                if got is not None and content_hash(got) == h:
                    held.append((key, None))
        elif self.kind.name == "statuses":
            for key, h in rows:
                pdc, _, when = key.partition("|")
                history = self.client.status_history(pdc, when)
                if any(content_hash(_status_body(s)) == h for s in history):
                    held.append((key, None))
        else:
            self.ledger.release(rid, None, why, state="in_doubt")
            self.report.in_doubt += len(rows)
            return
        if held:
            self.ledger.accept(rid, None, why, held)
            self.report.reconciled += len(held)
        self.ledger.release(rid, None, why)  # the rest was not stored: send again

    # -- sending ----------------------------------------------------------------------------------

    def send(
        self, create: list[Row], update: list[Row], on_step: Callable[[str], None] | None = None
    ) -> None:
        """``on_step`` hears ``kind: n/total rows sent`` before each request batch."""
        step = on_step or (lambda _: None)
        total = len(create) + len(update)
        for i in range(0, len(create), self.bulk_size):
            step(f"{self.kind.name}: {i:,}/{total:,} rows sent")
            self._bulk(create[i : i + self.bulk_size])
        withdrawn = self.ledger.withdrawn(self.kind.name) if update else {}
        for n, row in enumerate(update, len(create)):  # statique only: PUT the changed point
            step(f"{self.kind.name}: {n:,}/{total:,} rows sent")
            if row.key not in withdrawn:
                self._put(row)
                continue
            back = self._recommission(row.key, withdrawn[row.key])  # a decommissioned point
            if back is False:  # the API never had it: create it
                self._bulk([row])
            elif back and row.hash != withdrawn[row.key]:
                self._put(row)

    def withdraw(self, gone: Mapping[str, str], on_step: Callable[[str], None]) -> None:
        """Decommission the points of ``gone`` (key → the content hash the API holds)."""
        for n, (key, h) in enumerate(sorted(gone.items())):
            on_step(f"{self.kind.name}: {n:,}/{len(gone):,} points decommissioned")
            self._decommission(key, h)

    def _idempotent(self, rid: str, method: str, path: str) -> Answer:
        """DELETE and …/up: idempotent, so retried on a dropped connection too."""
        self.report.requests += 1
        try:
            answer = self.client.request(method, path, None, idempotent=True)
        except OcpiwhError:
            self.ledger.release(rid, None, "retries exhausted", self._before(method))
            raise
        crashpoint("push-sent")
        return answer

    @staticmethod
    def _before(method: str) -> str:
        return "accepted" if method == "DELETE" else "withdrawn"

    def _decommission(self, key: str, h: str) -> None:
        path = f"{API}/statique/{quote(key, safe='')}"
        rid = self._begin("DELETE", path, [(key, h)])
        answer = self._idempotent(rid, "DELETE", path)
        if answer.status in (200, 204, 404):  # 404: the API does not hold it either
            self.ledger.withdraw(rid, answer.status, _short(answer))
            self.report.withdrawn += 1
            crashpoint("push-recorded")
            return
        self.ledger.release(rid, answer.status, _short(answer), "accepted")
        self.report.withdraw_refused += 1
        self.report.reasons.append((key, f"not decommissioned: {_reason(answer)}"))

    def _recommission(self, key: str, h: str) -> bool | None:
        """True: listed again, holding the content of hash ``h``; False: the API does not
        know the point; None: refused (reported, left withdrawn, tried again next run)."""
        path = f"{API}/statique/{quote(key, safe='')}/up"
        rid = self._begin("POST", path, [(key, h)])
        answer = self._idempotent(rid, "POST", path)
        if answer.status in (200, 204):
            self.ledger.accept(rid, answer.status, _short(answer), [(key, None)])
            self.report.restored += 1
            crashpoint("push-recorded")
            return True
        if answer.status == 404:
            self.ledger.release(rid, answer.status, _short(answer))
            return False
        self.ledger.release(rid, answer.status, _short(answer), "withdrawn")
        self.report.reasons.append((key, f"not recommissioned: {_reason(answer)}"))
        return None

    def _begin(self, method: str, path: str, rows: Sequence[Row | tuple[str, str]]) -> str:
        rid = uuid4().hex
        pairs = [(r.key, r.hash) if isinstance(r, Row) else r for r in rows]
        self.ledger.begin(rid, self.kind.name, method, path, pairs)
        crashpoint("push-inflight")
        return rid

    def _call(self, rid: str, method: str, path: str, rows: list[Row], body: Any) -> Answer | None:
        self.report.requests += 1
        try:
            answer = self.client.request(
                method, path, body, idempotent=self.kind.resend_is_harmless
            )
        except Ambiguous as exc:
            self._settle(rid, [(r.key, r.hash) for r in rows], f"no answer ({exc})")
            pending = self.ledger.keys(rid, "pending")
            left = [r for r in rows if r.key in pending]
            if left:
                self._bulk(left)
            return None
        except OcpiwhError:  # 429/5xx/unreachable until retries ran out: nothing was stored
            self.ledger.release(rid, None, "retries exhausted")
            raise
        crashpoint("push-sent")
        return answer

    def _bulk(self, rows: list[Row]) -> None:
        path = f"{API}{self.kind.bulk}"
        rid = self._begin("POST", path, rows)
        answer = self._call(rid, "POST", path, rows, [r.body for r in rows])
        if answer is None:
            return
        if answer.status in (200, 201):
            items = answer.body.get("items") if isinstance(answer.body, dict) else None
            ids = (
                [str(x) for x in items]
                if isinstance(items, list) and len(items) == len(rows)
                else [None] * len(rows)
            )
            self.ledger.accept(
                rid,
                answer.status,
                _short(answer),
                [(r.key, i) for r, i in zip(rows, ids, strict=True)],
            )
            self.report.accepted += len(rows)
            crashpoint("push-recorded")
        elif answer.status in (400, 404, 409, 422):
            if len(rows) == 1:
                self._rejected(rid, answer, rows[0])
                return
            self.ledger.release(rid, answer.status, _short(answer))
            half = len(rows) // 2  # isolate the refused rows: each half is sent on its own
            self._bulk(rows[:half])
            self._bulk(rows[half:])
        else:
            self.ledger.release(rid, answer.status, _short(answer))
            raise OcpiwhError(
                f"QualiCharge API: POST {path} answered HTTP {answer.status}: {_short(answer)[:300]}"
            )

    def _put(self, row: Row) -> None:
        pdc = str(row.body.get("id_pdc_itinerance"))
        path = f"{API}/statique/{pdc}"
        rid = self._begin("PUT", path, [row])
        answer = self._call(rid, "PUT", path, [row], row.body)
        if answer is None:
            return
        if answer.status in (200, 201):
            self.ledger.accept(rid, answer.status, _short(answer), [(row.key, None)])
            self.report.accepted += 1
            crashpoint("push-recorded")
        elif answer.status == 404:  # no longer on the server (decommissioned?): create it
            self.ledger.release(rid, answer.status, _short(answer))
            self._bulk([row])
        elif answer.status in (400, 406, 409, 422):
            self._rejected(rid, answer, row)
        else:
            self.ledger.release(rid, answer.status, _short(answer))
            raise OcpiwhError(f"QualiCharge API: PUT {path} answered HTTP {answer.status}")

    def _rejected(self, rid: str, answer: Answer, row: Row) -> None:
        reason = _reason(answer)
        self.ledger.reject(rid, answer.status, _short(answer), row.key, reason)
        self.report.rejected += 1
        self.report.reasons.append((row.key, reason))


def _status_body(s: dict[str, Any]) -> dict[str, Any]:
    """A status as read back, in the shape it was sent (times as ``…Z``)."""
    out = dict(s)
    h = out.get("horodatage")
    if isinstance(h, str) and h.endswith("+00:00"):
        out["horodatage"] = h[: -len("+00:00")] + "Z"
    return out


def _short(answer: Answer) -> str:
    return f"HTTP {answer.status} {answer.text}"[:2000]


def _reason(answer: Answer) -> str:
    """The API's reason in one line: FastAPI's ``detail`` (a list of pydantic errors or text)."""
    body = answer.body
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):
        parts = []
        for e in detail[:5]:
            if isinstance(e, dict):
                loc = ".".join(str(x) for x in (e.get("loc") or [])[2:]) or "row"
                parts.append(f"{loc}: {e.get('msg')}")
        return f"HTTP {answer.status}: " + "; ".join(parts)
    if isinstance(body, dict) and "message" in body and detail is None:
        detail = body["message"]
    return f"HTTP {answer.status}: {detail}"


@dataclass
class PushReport:
    kinds: list[KindReport]
    dry_run: bool
    requests: int


def push(
    root: Location | Store,
    client: QualiChargeClient | None,
    kinds: Sequence[str] = ("statique", "statuses", "sessions"),
    *,
    dry_run: bool = False,
    bulk_size: int = BULK_MAX_SIZE,
    resend_in_doubt: bool = False,
    withdraw: bool = False,
    now: datetime | None = None,
    max_session_age_days: float | None = None,
    on_step: Callable[[str], None] | None = None,
) -> PushReport:
    """Send what is new or changed in each kind (statique first: the API refuses statuses and
    sessions of undeclared points). ``dry_run`` plans without sending (``client`` may be None).
    ``withdraw``: decommission the points the API holds from us that ``irve_statique`` no
    longer has (invalid rows are still there: they are not withdrawn).
    ``on_step`` hears what is being done (for a progress display: a push can take hours)."""
    step = on_step or (lambda _: None)
    for k in kinds:
        if k not in KINDS:
            raise UsageError(f"--what must be among {', '.join(KINDS)}, got {k!r}")
    if bulk_size < 1:
        raise UsageError("--bulk-size must be at least 1")
    store = open_store(root)
    folder = push_dir(store)
    ordered = [KINDS[k] for k in KINDS if k in kinds]
    reports: list[KindReport] = []
    with _exclusive(folder):
        ledger = Ledger(folder)
        try:
            for kind in ordered:
                step(f"{kind.name}: export")
                rows = load_rows(
                    store, kind, folder / "work", now=now, max_session_age_days=max_session_age_days
                )
                gone = _gone(store, ledger, kind) if withdraw and kind.name == "statique" else {}
                if dry_run or client is None:
                    create, update, unchanged = plan(
                        rows, ledger, kind.name, resend_in_doubt=resend_in_doubt
                    )
                    r = KindReport(kind.name, len(rows), unchanged, len(create), len(update))
                    r.to_withdraw = len(gone)
                    reports.append(r)
                    continue
                reports.append(
                    _send_kind(ledger, client, kind, rows, bulk_size, resend_in_doubt, step, gone)
                )
        finally:
            ledger.close()
    return PushReport(reports, dry_run or client is None, client.requests_sent if client else 0)


def _send_kind(
    ledger: Ledger,
    client: QualiChargeClient,
    kind: Kind,
    rows: list[Row],
    bulk_size: int,
    resend_in_doubt: bool,
    step: Callable[[str], None],
    gone: Mapping[str, str] | None = None,
) -> KindReport:
    """Reconcile what a killed run left in flight, plan against the ledger, send, then
    decommission the points of ``gone`` (key → hash the API holds)."""
    pusher = Pusher(ledger, client, kind, bulk_size)
    step(f"{kind.name}: reconcile")
    pusher.reconcile()
    create, update, unchanged = plan(rows, ledger, kind.name, resend_in_doubt=resend_in_doubt)
    r = pusher.report
    r.rows, r.unchanged, r.to_create, r.to_update = len(rows), unchanged, len(create), len(update)
    pusher.send(create, update, step)
    if gone:
        on_api = ledger.on_api(kind.name)  # after the reconciliation: what the API holds now
        todo = {k: on_api[k] for k in gone if k in on_api}
        r.to_withdraw = len(todo)
        pusher.withdraw(todo, step)
    return r


def model_keys(store: Store, kind: Kind) -> set[str]:
    """The ledger keys of every row of the kind's model, valid or not (a point with an
    invalid row is still there: it is not withdrawn)."""
    source = _resolve(store, kind.model, None)
    cols = ", ".join(quote_ident(k) for k in kind.key)
    con = warehouse.connect(store)
    try:
        got = con.execute(
            f"SELECT DISTINCT {cols} FROM ({source.sql})", source.params or None
        ).fetchall()
    finally:
        con.close()
    return {"|".join(str(v) for v in row) for row in got}


def _gone(store: Store, ledger: Ledger, kind: Kind) -> dict[str, str]:
    """Points the API holds from us (key → hash) that the model no longer has."""
    present = model_keys(store, kind)
    return {k: h for k, h in ledger.on_api(kind.name).items() if k not in present}


def kind_of_model(model: str) -> Kind | None:
    """The kind pushing ``model`` (None: the API takes no such rows)."""
    return next((k for k in KINDS.values() if k.model == model), None)


def push_change_set(
    root: Location | Store,
    client: QualiChargeClient,
    model: str,
    keys: Collection[str],
    *,
    params: Mapping[str, Any] | None,
    connect: Callable[[Store], duckdb.DuckDBPyConnection],
    work: Path,
    withdraw: Collection[str] = (),
    bulk_size: int = BULK_MAX_SIZE,
    on_step: Callable[[str], None] | None = None,
) -> KindReport:
    """A feed's change set: the rows of ``model`` whose ledger key is in ``keys``, as
    ``ocpiwh export`` writes them on the lake ``connect`` opens (the feed's cursor), sent
    through the same ledger, lock and planner as :func:`push` (a row the API already holds
    is not sent again, whoever sent it). ``withdraw``: keys of the change set's removed
    points, decommissioned where the API holds them (statique only)."""
    kind = kind_of_model(model)
    if kind is None:
        raise UsageError(f"QualiCharge takes no {model} rows")
    step = on_step or (lambda _: None)
    store = open_store(root)
    folder = push_dir(store)
    with _exclusive(folder):
        ledger = Ledger(folder)
        try:
            step(f"{kind.name}: export")
            rows = load_rows(store, kind, work, params=params, connect=connect, keys=set(keys))
            gone = dict.fromkeys(withdraw, "") if kind.name == "statique" else {}
            return _send_kind(ledger, client, kind, rows, bulk_size, False, step, gone)
        finally:
            ledger.close()


IN_DOUBT_ADVICE = (
    "{n:,} {kind} in doubt: a request carrying them got no answer, and the API has no route "
    "to ask whether it stored them (it stores a resent session twice). Leave them (a session "
    "may be missing), or once you have checked with QualiCharge, send them with "
    "`ocpiwh push qualicharge --what {kind} --resend-in-doubt` (a session may be stored "
    "twice); `ocpiwh push status --json` lists their keys"
)
"""What ``push status`` (and a push leaving rows in doubt) tells the user to do."""


def status(root: Location | Store, *, with_plan: bool = True) -> dict[str, Any]:
    """What the ledger holds, per kind: rows per state, requests, rejections with reasons;
    ``with_plan``: also ``to_send``, the rows of the warehouse a push would send now."""
    store = open_store(root)
    folder = push_dir(store)
    if not (folder / "ledger.sqlite").exists():
        return {"ledger": None, "kinds": {}}
    ledger = Ledger(folder)
    try:
        counts = ledger.counts()
        reqs = ledger.requests()
        kinds: dict[str, Any] = {}
        for name, kind in KINDS.items():
            if name not in counts and name not in reqs:
                continue
            entry: dict[str, Any] = {
                **counts.get(name, {}),
                **reqs.get(name, {"requests": 0, "rows_sent": 0}),
            }
            if with_plan:
                with tempfile.TemporaryDirectory(dir=folder, prefix=".status-") as tmp:
                    create, update, _ = plan(load_rows(store, kind, Path(tmp)), ledger, name)
                entry["to_send"] = len(create) + len(update)
                if name == "statique":  # what `push qualicharge --withdraw` would decommission
                    entry["to_withdraw"] = len(_gone(store, ledger, kind))
            entry["rejections"] = [{"key": k, "reason": r} for k, r in ledger.rejections(name)]
            entry["in_doubt_keys"] = ledger.in_doubt(name)
            kinds[name] = entry
        return {"ledger": str(ledger.path), "kinds": kinds}
    finally:
        ledger.close()
