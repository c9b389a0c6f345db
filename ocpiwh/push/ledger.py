"""The idempotency ledger of pushes to QualiCharge: what was sent, and what the API answered.

One SQLite file in the warehouse, ``state/push/qualicharge/ledger.sqlite`` (stdlib, one
transaction per step: a SIGKILL leaves the last committed step). Per row
(kind, key): the content hash last sent, its state, the request that carried it, the API's
answer (an item id, or the reason of a rejection) and the hash last *accepted*. Per request:
its id, route, rows, HTTP status and answer.

States: ``in_flight`` (recorded before the request goes out; a run that finds one was killed
mid-request and must reconcile), ``accepted``, ``rejected`` (not resent until its content
changes), ``pending`` (released after a refused chunk, to be sent again), ``in_doubt`` (the API
may or may not hold it and offers no way to ask: not resent unless asked), ``withdrawn`` (a
point decommissioned with ``DELETE /statique/{id}``; its last accepted content is kept: a point
that comes back is recommissioned, then updated if it changed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ocpiwh.output import iso_utc

STATES = ("accepted", "rejected", "pending", "in_flight", "in_doubt", "withdrawn")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    hash TEXT NOT NULL,
    state TEXT NOT NULL,
    request_id TEXT,
    answer TEXT,
    accepted_hash TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    rows INTEGER NOT NULL,
    status INTEGER,
    answer TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX IF NOT EXISTS rows_request ON rows (request_id);
"""


@dataclass(frozen=True)
class Entry:
    """What the ledger knows of one row."""

    hash: str
    state: str
    accepted_hash: str | None
    request_id: str | None


class Ledger:
    """Open (creating) the ledger in ``folder``; every method commits before returning."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "ledger.sqlite"
        self.con = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.con.execute("PRAGMA journal_mode=WAL")
        # NORMAL: an answer recorded by a commit lost to a power cut leaves its rows in flight,
        # which the next run reconciles; the in-flight record itself is written with FULL.
        self.con.execute("PRAGMA synchronous=NORMAL")
        self.con.executescript(_SCHEMA)

    def close(self) -> None:
        self.con.close()

    def entries(self, kind: str) -> dict[str, Entry]:
        cur = self.con.execute(
            "SELECT key, hash, state, accepted_hash, request_id FROM rows WHERE kind = ?", (kind,)
        )
        return {k: Entry(h, s, a, r) for k, h, s, a, r in cur}

    def to_send(
        self, kind: str, rows: Iterable[tuple[str, str]], *, resend_in_doubt: bool = False
    ) -> dict[str, bool]:
        """Of ``rows`` (key, content hash; distinct keys), those to send: key → True to update
        (an earlier content was accepted), False to create. Settled rows are left out:
        accepted, rejected or in doubt (unless ``resend_in_doubt``) with that very hash. One
        join in SQLite: a push over a large table builds no Python object per ledger row."""
        self.con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS incoming (key TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        self.con.execute("BEGIN")  # the temp table only: the ledger itself is not locked
        try:
            self.con.execute("DELETE FROM incoming")
            self.con.executemany("INSERT INTO incoming VALUES (?, ?)", rows)
            cur = self.con.execute(
                "SELECT i.key, r.accepted_hash IS NOT NULL FROM incoming i "
                "LEFT JOIN rows r ON r.kind = ? AND r.key = i.key "
                "WHERE r.key IS NULL OR NOT ("
                "(r.state = 'accepted' AND r.accepted_hash IS i.hash) "
                "OR (r.state = 'rejected' AND r.hash IS i.hash) "
                "OR (r.state = 'in_doubt' AND r.hash IS i.hash AND NOT ?))",
                (kind, resend_in_doubt),
            )
            return {str(key): bool(update) for key, update in cur}
        finally:
            self.con.execute("ROLLBACK")

    def on_api(self, kind: str) -> dict[str, str]:
        """key → hash of the content the API holds, for rows it accepted once and that were
        not withdrawn since (a later version may be pending, rejected or in doubt)."""
        cur = self.con.execute(
            "SELECT key, accepted_hash FROM rows WHERE kind = ? AND accepted_hash IS NOT NULL "
            "AND state NOT IN ('withdrawn', 'in_flight')",
            (kind,),
        )
        return {str(k): str(h) for k, h in cur}

    def withdrawn(self, kind: str) -> dict[str, str]:
        """key → last accepted hash of the points decommissioned."""
        cur = self.con.execute(
            "SELECT key, accepted_hash FROM rows WHERE kind = ? AND state = 'withdrawn'", (kind,)
        )
        return {str(k): str(h) for k, h in cur}

    def request(self, rid: str) -> tuple[str, str]:
        """(method, path) of a recorded request."""
        row = self.con.execute("SELECT method, path FROM requests WHERE id = ?", (rid,)).fetchone()
        return (str(row[0]), str(row[1])) if row else ("", "")

    def withdraw(self, rid: str, status: int | None, answer: str) -> None:
        """The API decommissioned the request's point (or never had it)."""
        now = iso_utc(datetime.now(UTC))
        with self._tx():
            self._end(rid, status, answer, now)
            self.con.execute(
                "UPDATE rows SET state = 'withdrawn', answer = ?, updated_at = ? "
                "WHERE request_id = ? AND state = 'in_flight'",
                (answer[:2000], now, rid),
            )

    def in_flight(self, kind: str) -> dict[str, list[tuple[str, str]]]:
        """request id → [(key, hash)] of rows a killed run left in flight."""
        out: dict[str, list[tuple[str, str]]] = {}
        cur = self.con.execute(
            "SELECT request_id, key, hash FROM rows WHERE kind = ? AND state = 'in_flight' "
            "ORDER BY request_id, key",
            (kind,),
        )
        for rid, key, h in cur:
            out.setdefault(str(rid), []).append((key, h))
        return out

    def keys(self, rid: str, state: str) -> set[str]:
        """Keys of the request's rows now in ``state`` (by the request index, not the kind)."""
        cur = self.con.execute(
            "SELECT key FROM rows WHERE request_id = ? AND state = ?", (rid, state)
        )
        return {str(k) for (k,) in cur}

    def begin(
        self, rid: str, kind: str, method: str, path: str, rows: Sequence[tuple[str, str]]
    ) -> None:
        """Record the request and its rows as in flight, durably, before anything is sent."""
        now = iso_utc(datetime.now(UTC))
        self.con.execute("PRAGMA synchronous=FULL")
        with self._tx():
            self.con.execute(
                "INSERT INTO requests (id, kind, method, path, rows, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rid, kind, method, path, len(rows), now),
            )
            self.con.executemany(
                "INSERT INTO rows (kind, key, hash, state, request_id, updated_at) "
                "VALUES (?, ?, ?, 'in_flight', ?, ?) ON CONFLICT (kind, key) DO UPDATE SET "
                "hash = excluded.hash, state = 'in_flight', request_id = excluded.request_id, "
                "answer = NULL, updated_at = excluded.updated_at",
                [(kind, key, h, rid, now) for key, h in rows],
            )
        self.con.execute("PRAGMA synchronous=NORMAL")

    def accept(
        self, rid: str, status: int | None, answer: str, items: Iterable[tuple[str, str | None]]
    ) -> None:
        """The API took the request: its rows are accepted (answer: the item id it gave)."""
        now = iso_utc(datetime.now(UTC))
        with self._tx():
            self._end(rid, status, answer, now)
            kind = self._kind(rid)
            self.con.executemany(  # by primary key: a chunk of n rows costs n lookups, not n²
                "UPDATE rows SET state = 'accepted', accepted_hash = hash, answer = ?, "
                "updated_at = ? WHERE kind = ? AND key = ? AND request_id = ? "
                "AND state = 'in_flight'",
                [(item, now, kind, key, rid) for key, item in items],
            )

    def reject(self, rid: str, status: int, answer: str, key: str, reason: str) -> None:
        """The API refused this one row: kept with its reason, not resent until it changes."""
        now = iso_utc(datetime.now(UTC))
        with self._tx():
            self._end(rid, status, answer, now)
            self.con.execute(
                "UPDATE rows SET state = 'rejected', answer = ?, updated_at = ? "
                "WHERE kind = ? AND key = ? AND request_id = ?",
                (reason, now, self._kind(rid), key, rid),
            )

    def release(self, rid: str, status: int | None, answer: str, state: str = "pending") -> None:
        """The request's rows still in flight leave it: ``pending`` (nothing was stored: send
        again) or ``in_doubt`` (maybe stored, no way to ask)."""
        now = iso_utc(datetime.now(UTC))
        with self._tx():
            self._end(rid, status, answer, now)
            self.con.execute(
                "UPDATE rows SET state = ?, updated_at = ? "
                "WHERE request_id = ? AND state = 'in_flight'",
                (state, now, rid),
            )

    def _kind(self, rid: str) -> str:
        row = self.con.execute("SELECT kind FROM requests WHERE id = ?", (rid,)).fetchone()
        return str(row[0]) if row else ""

    def _end(self, rid: str, status: int | None, answer: str, now: str) -> None:
        self.con.execute(
            "UPDATE requests SET status = ?, answer = ?, ended_at = ? WHERE id = ?",
            (status, answer[:2000], now, rid),
        )

    def _tx(self) -> _Tx:
        return _Tx(self.con)

    # -- reporting ------------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for kind, state, n in self.con.execute(
            "SELECT kind, state, count(*) FROM rows GROUP BY kind, state ORDER BY kind, state"
        ):
            out.setdefault(kind, dict.fromkeys(STATES, 0))[state] = int(n)
        return out

    def requests(self) -> dict[str, dict[str, int]]:
        """kind → {requests, rows sent} (every attempt recorded, retries of one request
        counted once)."""
        out: dict[str, dict[str, int]] = {}
        for kind, n, rows in self.con.execute(
            "SELECT kind, count(*), sum(rows) FROM requests GROUP BY kind"
        ):
            out[kind] = {"requests": int(n), "rows_sent": int(rows or 0)}
        return out

    def in_doubt(self, kind: str, limit: int = 1000) -> list[str]:
        """Keys of rows in doubt (the API may hold them; no way to ask), first ``limit``."""
        cur = self.con.execute(
            "SELECT key FROM rows WHERE kind = ? AND state = 'in_doubt' ORDER BY key LIMIT ?",
            (kind, limit),
        )
        return [str(k) for (k,) in cur]

    def rejections(self, kind: str, limit: int = 1000) -> list[tuple[str, str]]:
        cur = self.con.execute(
            "SELECT key, answer FROM rows WHERE kind = ? AND state = 'rejected' ORDER BY key "
            "LIMIT ?",
            (kind, limit),
        )
        return [(str(k), str(a)) for k, a in cur]


class _Tx:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.con.execute("ROLLBACK" if exc_type else "COMMIT")
