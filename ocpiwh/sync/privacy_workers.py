"""The privacy stage of large windows in worker processes.

A sync's fetch workers, its module threads and the batch writers share one GIL. The
writers spend most of their time in DuckDB, which releases it; the privacy stage (parse,
filter, serialize: ~8-12 µs a session) does not, and with the HTTP client it kept the
GIL-bound side of a backfill at one core while DuckDB left the other half idle
(docs/benchmarks.md). In a process of its own it runs beside both.

The workers are started on first use, so a sync that never sees a large window pays nothing
(a worker costs ~0.1 CPU-s to start). Each is a fresh interpreter running :func:`main` with
this process's ``sys.path``: it imports the privacy stage and nothing else (~40 MB), never
the user's script (which ``multiprocessing``'s spawn would re-import). It compiles the same
filter from the same profile and key (sent through its pipe, never on a command line or on
disk), so a page's output is the same bytes whichever process filtered it. It holds nothing
but the page in flight: a worker that dies fails its window, which is fetched again, like
any failed window.

Ctrl-C is for the sync process (its first one stops at a safe point): the workers run in a
session of their own, out of the terminal's reach. They exit when their pipe closes, so a
sync that is killed leaves none behind.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import gc
import json
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

from ocpiwh.errors import OcpiwhError
from ocpiwh.jsontexts import Packed, pack
from ocpiwh.privacy import FilterStats, ObjectFilter, PrivacyProfile, compile_filter
from ocpiwh.sync.tuning import GC_THRESHOLD0

log = logging.getLogger("ocpiwh.sync")

MIN_OBJECTS = 20_000
"""A window of at least this many objects (its X-Total-Count, or what its module has
fetched so far this run) takes the workers; a smaller one stays in the sync process."""

MAX_WORKERS = 2
"""One worker filters ~100k sessions/s, more than the rest of a sync moves; a second one
covers two large modules at once."""

IN_FLIGHT = 2
"""Pages a worker holds at once: the one it filters and the next, already in its pipe, so
that it never waits for the sync between two pages. With one, it sat idle a quarter of a
backfill while the fetch thread read its reply and the next one, after the GIL, wrote
its page (sampled stacks and per-thread CPU, 1M sessions: docs/benchmarks.md)."""

_HINT = "run the sync with --privacy-workers 0 to filter in the sync process"

Filtered = tuple[Packed, list[Any], FilterStats]
"""A page's filtered JSON texts (packed), its items that are not objects, its privacy
counters."""

PIPE_BYTES = 1 << 20
"""Pipe buffer asked for (Linux; its default maximum for a user): a page crosses in one or
two writes instead of twenty 64 KiB ones, each a switch between the processes."""


def default_workers() -> int:
    """One per core this process may use beyond the first (the sync process keeps one), at
    most MAX_WORKERS; on a single core none: a worker would only compete with the sync."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(MAX_WORKERS, (cores or 1) - 1))


_SIZE = struct.Struct("!i")
_LARGE_SIZE = struct.Struct("!Q")


def _read_into(fd: int, view: memoryview) -> None:
    while view:
        n = os.readv(fd, [view])
        if n == 0:
            raise EOFError
        view = view[n:]


def recv_buffer(conn: Connection, reuse: bytearray | None = None) -> tuple[bytearray, memoryview]:
    """The next message of ``conn``, framed as ``Connection.send_bytes`` frames it, read
    straight into one buffer (``reuse`` if it is large enough, else a new one of the
    message's size): the buffer, and the view of the message in it.

    ``Connection.recv_bytes`` reads a message into a fresh ``bytes``, then copies it into
    a ``BytesIO``: two new page-sized buffers, each first touched page by page, for every
    page in both directions (~28 % of a 1M backfill's minor page faults, perf).
    ``Connection.recv_bytes_into`` goes through the same ``BytesIO`` before its copy, so it
    is no substitute; the test pins this framing to ``send_bytes``'s."""
    fd = conn.fileno()
    head = bytearray(_SIZE.size)
    _read_into(fd, memoryview(head))
    (size,) = _SIZE.unpack(head)
    if size == -1:  # send_bytes's header of a message over 2 GiB
        head = bytearray(_LARGE_SIZE.size)
        _read_into(fd, memoryview(head))
        (size,) = _LARGE_SIZE.unpack(head)
    buf = reuse if reuse is not None and len(reuse) >= size else bytearray(size)
    view = memoryview(buf)[:size]
    _read_into(fd, view)
    return buf, view


# -- the worker process ----------------------------------------------------------------------


def serve(requests: Connection, replies: Connection) -> None:
    """Filter pages until the sync closes the pipe: first ``(profile, key)``, then per page
    ``(module, version)`` and the page's bytes; the reply is ``("ok", others, stats,
    unpadded)`` then the packed texts' two buffers, or ``("error", traceback)`` for a
    failure of the filter itself (a bug: the sync raises it)."""
    # a page is ~20,000 short-lived containers: the default threshold ran the collector
    # every 700 of them (13-16 against 8-10 µs a session, measured)
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD0, *gc.get_threshold()[1:])
    filters: dict[tuple[str, str], ObjectFilter] = {}
    page = bytearray()  # every page is read into this one buffer (no fresh memory per page)
    try:
        profile, key = requests.recv()
        while True:
            module, version = requests.recv()
            page, data = recv_buffer(requests, page)  # the buffer, grown if it had to be
            try:
                f = filters.get((module, version))
                if f is None:
                    f = filters[(module, version)] = compile_filter(module, version, profile, key)
                docs, others = f.filter_page(data)
                packed = pack(docs)
                del docs
            except Exception:  # the sync raises it, with this traceback
                replies.send(("error", traceback.format_exc()))
                continue
            replies.send(("ok", others, f.stats.take(), packed.unpadded))
            replies.send_bytes(packed.buf)
            replies.send_bytes(packed.offsets)
    except (EOFError, BrokenPipeError):
        return  # the sync is done, or gone


# -- in the sync process ---------------------------------------------------------------------

_PATH_VARIABLE = "OCPIWH_WORKER_SYS_PATH"
_BOOT = (
    f"import json, os, sys; sys.path[:] = json.loads(os.environ.pop({_PATH_VARIABLE!r})); "
    "from ocpiwh.sync.privacy_workers import main; main()"
)
"""The worker's command: ``multiprocessing``'s spawn passes the parent's ``sys.path`` the
same way, without its re-import of the parent's main script."""


class _Worker:
    """One worker process and the two ends of its pipes, shared by up to :data:`IN_FLIGHT`
    threads: each writes its page in turn and reads its reply in the same order (a ticket
    each), so the worker finds its next page waiting when it replies."""

    def __init__(self) -> None:
        # the worker imports the very modules this process imported: its sys.path is ours
        env = {**os.environ, _PATH_VARIABLE: json.dumps(sys.path)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # Ctrl-C in the terminal is the sync's alone
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        # the connections own the pipe ends (Popen's file objects would close them twice)
        self.requests = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        if hasattr(fcntl, "F_SETPIPE_SZ"):
            for conn in (self.requests, self.replies):
                with contextlib.suppress(OSError):  # a lower system limit: the default size
                    fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._send_lock = threading.Lock()
        self._turn = threading.Condition()
        self._sent = 0  # tickets given (under _send_lock)
        self._replied = 0  # replies read (under _turn)
        self._broken = False

    def filter_page(self, module: str, version: str, data: bytes | memoryview) -> Filtered:
        """Send a page, then read its reply when the replies before it have been read.

        Raises ``EOFError``/``OSError`` if the worker is gone (for this page and every one
        after it: a reply missing from the sequence would make the next one wrong)."""
        with self._send_lock:
            if self._broken:
                raise EOFError
            ticket, self._sent = self._sent, self._sent + 1
            try:
                self.requests.send((module, version))
                self.requests.send_bytes(data)
            except BaseException:
                self._break()
                raise
        with self._turn:
            while self._replied != ticket and not self._broken:
                self._turn.wait()
            if self._broken:
                raise EOFError
        try:
            reply = self.replies.recv()
            if reply[0] != "ok":
                raise RuntimeError(f"the privacy stage failed in a worker process:\n{reply[1]}")
            buf, _ = recv_buffer(self.replies)
            offsets = array.array("q")
            offsets.frombytes(self.replies.recv_bytes())
        except (EOFError, OSError, KeyboardInterrupt):
            self._break()
            raise
        finally:
            with self._turn:
                self._replied += 1
                self._turn.notify_all()
        _, others, stats, unpadded = reply
        return Packed(buf, offsets, unpadded), others, stats

    def _break(self) -> None:
        with self._turn:
            self._broken = True
            self._turn.notify_all()

    def close(self) -> None:
        """Close its pipe (it exits on its own) and reap it."""
        self._break()
        self.requests.close()
        self.replies.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class PrivacyWorkers:
    """Worker processes that run :meth:`ObjectFilter.filter_page` for the sync's pages.

    Thread-safe: a fetch worker takes a place in a process's pipe for its page, and gives
    it back.
    """

    def __init__(self, profile: PrivacyProfile, key: bytes, workers: int) -> None:
        if workers < 1:
            raise ValueError("at least one privacy worker")
        self._init = pickle.dumps((profile, key))
        self._size = workers
        self._all: list[_Worker] = []
        self._slots: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        """Each worker IN_FLIGHT times: a thread takes a place in a worker's pipe."""
        self._lock = threading.Lock()
        self._closed = False

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise OcpiwhError("the sync is closing: no more pages are filtered")
            if self._all:
                return
            try:
                for _ in range(self._size):
                    w = _Worker()
                    self._all.append(w)
                    w.requests.send_bytes(self._init)
                    for _ in range(IN_FLIGHT):  # usable at once, should the next one fail
                        self._slots.put(w)
            except OSError as exc:
                raise OcpiwhError(
                    f"could not start a privacy worker process: {exc}", hint=_HINT
                ) from None
            log.info("a large window: its pages are filtered in %d worker process(es)", self._size)

    def filter_page(self, module: str, version: str, data: bytes | memoryview) -> Filtered:
        """``filter_page`` of ``module``/``version``'s filter, in a worker: the filtered
        JSON texts, the items that are not objects, and this page's privacy counters."""
        if not self._all:
            self._start()
        w = self._slots.get()
        try:
            return w.filter_page(module, version, data)
        except (EOFError, OSError):
            code = w.proc.poll()
            raise OcpiwhError(
                f"a privacy worker process died (exit status {code}): this window is "
                "fetched again next sync",
                hint=_HINT,
            ) from None
        finally:
            self._slots.put(w)  # a dead one too: whoever takes it next fails as fast

    def close(self) -> None:
        """Stop the workers (each finishes the page it has, if any)."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for w in workers:
            w.close()


def main() -> None:
    """The worker's entry point: replies go to a copy of stdout, and stdout itself to
    stderr, so that nothing printed in the worker can corrupt a reply."""
    replies = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(Connection(sys.stdin.fileno(), writable=False), Connection(replies, readable=False))
