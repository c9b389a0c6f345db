"""Plumbing the loopback HTTP servers share (the OCPI simulator, the QualiCharge stand-in).

A threading server, a quiet HTTP/1.1 handler whose verbs all go to one ``_serve(method)``,
and a background thread serving until stopped, so each server writes only its routes.
"""

from __future__ import annotations

import abc
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Handler(BaseHTTPRequestHandler, abc.ABC):
    """Every verb goes to :meth:`_serve`; no access log (each server keeps its own record).

    Abstract: a server's handler must define :meth:`_serve` (its routes)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @abc.abstractmethod
    def _serve(self, method: str) -> None:
        """Answer one request of verb ``method`` (the server's routes)."""

    def drop(self) -> None:
        """Close the connection without an answer (a fault the servers inject)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


def start(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    """Serve on a daemon thread (polling every 0.1 s, so :func:`stop` returns quickly)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
    )
    thread.start()
    return thread


def stop(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer, name: str) -> Iterator[None]:
    """:func:`start` on entry, :func:`stop` on exit."""
    thread = start(server, name)
    try:
        yield
    finally:
        stop(server, thread)


def wait_for_interrupt() -> None:
    """Block the foreground until Ctrl-C (the background thread serves)."""
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
