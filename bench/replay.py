"""A replay server: the simulator's pages rendered once, served from memory at socket speed.

    .venv/bin/python -m bench.replay --sessions 100000 --version 2.2.1 --latency-ms 20

The bundled simulator renders each page itself, on the same cores as the client, so a
ceiling measured against it is mostly the simulator's speed. This server takes the
simulator's output once (every object of each listed module, byte for byte, in listing
order, cached on disk under ``--cache``), memory-maps it and answers any
``offset``/``limit``/``date_from``/``date_to`` with a slice of that map written by one
``sendmsg``: no rendering, no copy in user space. Headers (``X-Total-Count``, ``X-Limit``,
``Link``), paging, the 400 for sessions without ``date_from``, auth and ``--latency-ms``
follow the simulator (``docs/simulator.md``); versions, version details and credentials are
the simulator's own responses. The platform is frozen (no clock, no admin): a benchmark
starts one per configuration. It prints ``serving <versions URL>`` once ready.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import contextlib
import hashlib
import hmac
import mmap
import os
import socket
import sys
import threading
import time
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import msgspec
import orjson

from ocpiwh.simulator.config import SimConfig
from ocpiwh.simulator.formats import iso
from ocpiwh.simulator.indexes import index
from ocpiwh.simulator.keys import MASK, SHIFT
from ocpiwh.simulator.server import Simulator, _parse_dt

#: the simulator's start instant for every replayed world (deterministic bytes)
START = datetime(2026, 6, 1, tzinfo=UTC)
PLACEHOLDER = "replay.invalid:1"
CACHE = Path(os.environ.get("OCPIWH_REPLAY_CACHE", "/tmp/ocpiwh-replay"))
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_CHUNK = 4096


@dataclass(frozen=True)
class World:
    sessions: int
    locations: int = 2000
    seed: int = 1
    version: str = "2.2.1"
    modules: tuple[str, ...] = ("sessions", "cdrs")
    token: str = "bench-token"

    def key(self) -> str:
        text = repr((self.sessions, self.locations, self.seed, self.version, self.modules, START))
        return f"{self.version}-{self.sessions}-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def render(world: World, cache: Path = CACHE) -> Path:
    """Render every object of ``world`` once into ``cache/<key>/`` (reused if present).

    Per module: ``<module>.json`` (each object followed by a comma, listing order),
    ``<module>.off`` (offsets, n + 1 of them) and ``<module>.lu`` (``last_updated``, epoch
    seconds, sorted); ``meta.json`` holds the simulator's non-list responses.
    """
    out = cache / world.key()
    if (out / "meta.json").exists():
        return out
    tmp = cache / (world.key() + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = SimConfig(
        seed=world.seed,
        locations=world.locations,
        sessions=world.sessions,
        token=world.token,
        clean=True,
        max_limit=1000,
        start=START,
    )
    sim = Simulator(cfg)
    w = sim.world
    for module in world.modules:
        keys, rank_to_idx = index(w, module)
        idxs = [rank_to_idx[k & MASK] for k in keys] if rank_to_idx else [k & MASK for k in keys]
        offsets = array("Q", [0])
        pos = 0
        with (tmp / f"{module}.json").open("wb") as f:
            for a in range(0, len(idxs), _CHUNK):
                for raw in _RAW_LIST.decode(
                    w.render_page(module, world.version, idxs[a : a + _CHUNK])
                ):
                    f.write(bytes(raw))
                    f.write(b",")
                    pos += len(raw) + 1
                    offsets.append(pos)
        (tmp / f"{module}.off").write_bytes(offsets.tobytes())
        (tmp / f"{module}.lu").write_bytes(array("q", [k >> SHIFT for k in keys]).tobytes())
    b64 = "Token " + base64.b64encode(world.token.encode()).decode()
    auth = {"authorization": b64 if world.version != "2.1.1" else "Token " + world.token}
    static: dict[str, str] = {}
    paths = ["/ocpi/versions", f"/ocpi/{world.version}"]
    cred = (
        "/ocpi/2.1.1/credentials"
        if world.version == "2.1.1"
        else f"/ocpi/{world.version}/credentials"
    )
    for path in (*paths, cred):
        res = sim.handle("GET", path, dict(auth), "127.0.0.1", PLACEHOLDER)
        assert isinstance(res, tuple) and res[0] == 200, (path, res)
        static[path] = res[2].decode()
    details = orjson.loads(static[f"/ocpi/{world.version}"])["data"]["endpoints"]
    paths_of = {e["identifier"]: urlsplit(e["url"]).path for e in details}
    meta = {
        "version": world.version,
        "token": world.token,
        "timestamp": iso(w.now),
        "max_limit": cfg.max_limit,
        "static": static,
        "lists": {paths_of[m]: m for m in world.modules},
    }
    (tmp / "meta.json").write_bytes(orjson.dumps(meta))
    with contextlib.suppress(OSError):
        tmp.rename(out)
    return out


class _Listing:
    """One module's objects, memory-mapped."""

    def __init__(self, folder: Path, module: str) -> None:
        self.module = module
        with (folder / f"{module}.json").open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            self.buf = (
                memoryview(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))
                if size
                else memoryview(b"")
            )
        self.off = array("Q")
        self.off.frombytes((folder / f"{module}.off").read_bytes())
        self.lu = array("q")
        self.lu.frombytes((folder / f"{module}.lu").read_bytes())


class Replay:
    """The server: one thread per connection, blocking sockets, responses by ``sendmsg``."""

    def __init__(self, folder: Path, latency_ms: int = 0, max_limit: int | None = None) -> None:
        meta = orjson.loads((folder / "meta.json").read_bytes())
        self.version: str = meta["version"]
        self.token: str = meta["token"]
        self.b64 = base64.b64encode(self.token.encode()).decode()
        self.max_limit: int = max_limit or meta["max_limit"]
        self.static: dict[str, str] = meta["static"]
        self.lists = {path: _Listing(folder, m) for path, m in meta["lists"].items()}
        self.tail = (
            b'],"status_code":1000,"status_message":"Success","timestamp":"'
            + meta["timestamp"].encode()
            + b'"}'
        )
        self.timestamp: str = meta["timestamp"]
        self.latency = latency_ms / 1000
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"http://{self.host}/ocpi/versions"

    def serve_forever(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length") or 0)
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                buf = buf[length:]
                status, extra, parts = self._handle(method, target, headers)
                if self.latency:
                    time.sleep(self.latency)
                size = sum(len(p) for p in parts)
                hdr = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}",
                       "Server: ocpiwh-replay/1", "Content-Type: application/json",
                       f"Content-Length: {size}"]  # fmt: skip
                hdr += [f"{k}: {v}" for k, v in extra]
                for h in ("x-request-id", "x-correlation-id"):
                    if h in headers:
                        hdr.append(f"{h}: {headers[h]}")
                out = [("\r\n".join(hdr) + "\r\n\r\n").encode(), *parts]
                try:
                    _sendall(conn, out)
                except OSError:
                    return

    def _envelope(self, code: int, message: str) -> list[bytes | memoryview]:
        return [orjson.dumps({"data": None, "status_code": code, "status_message": message,
                              "timestamp": self.timestamp})]  # fmt: skip

    def _auth_ok(self, header: str | None, versions: bool) -> bool:
        if not header or not header.startswith("Token "):
            return False
        value = header[6:].strip().encode()
        plain = hmac.compare_digest(value, self.token.encode())
        b64 = hmac.compare_digest(value, self.b64.encode())
        if versions:
            return plain or b64
        return plain if self.version == "2.1.1" else b64

    def _handle(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], list[bytes | memoryview]]:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        if method != "GET":
            return 405, [], self._envelope(2000, f"{method} is not supported")
        if not self._auth_ok(headers.get("authorization"), path == "/ocpi/versions"):
            return 401, [("WWW-Authenticate", "Token")], self._envelope(2000, "Invalid token")
        host = headers.get("host") or self.host
        if path in self.static:
            return 200, [], [self.static[path].replace(PLACEHOLDER, host).encode()]
        listing = self.lists.get(path)
        if listing is None:
            return 404, [], self._envelope(2000, f"unknown path {path}")
        query = parse_qsl(parts.query, keep_blank_values=True)
        q = dict(query)
        try:
            offset = int(q.get("offset", "0"))
            limit = int(q.get("limit", str(self.max_limit)))
            if offset < 0 or limit < 1:
                raise ValueError
            date_from = _parse_dt(q["date_from"]) if q.get("date_from") else None
            date_to = _parse_dt(q["date_to"]) if q.get("date_to") else None
        except ValueError:
            return 400, [], self._envelope(2001, "bad offset, limit, date_from or date_to")
        if listing.module == "sessions" and date_from is None:
            return 400, [], self._envelope(2001, "Missing required parameter: date_from")
        limit = min(limit, self.max_limit)
        lu = listing.lu
        lo = 0 if date_from is None else bisect.bisect_left(lu, date_from)
        hi = len(lu) if date_to is None else bisect.bisect_left(lu, date_to)
        hi = max(hi, lo)
        total = hi - lo
        start = min(lo + offset, hi)
        stop = min(start + limit, hi)
        body: list[bytes | memoryview] = [b'{"data":[']
        if stop > start:
            body.append(listing.buf[listing.off[start] : listing.off[stop] - 1])
        body.append(self.tail)
        hdrs = [("X-Total-Count", str(total)), ("X-Limit", str(self.max_limit))]
        if offset + limit < total:
            params = [(k, v) for k, v in query if k not in ("offset", "limit")]
            params += [("offset", str(offset + limit)), ("limit", str(limit))]
            hdrs.append(("Link", f'<http://{host}{path}?{urlencode(params)}>; rel="next"'))
        return 200, hdrs, body


def _sendall(conn: socket.socket, parts: list[bytes | memoryview]) -> None:
    views = [memoryview(p) for p in parts]
    while views:
        sent = conn.sendmsg(views)
        while views and sent >= len(views[0]):
            sent -= len(views[0])
            views.pop(0)
        if sent:
            views[0] = views[0][sent:]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--locations", type=int, default=2000)
    ap.add_argument("--version", default="2.2.1", choices=("2.1.1", "2.2.1", "2.3.0"))
    ap.add_argument("--module", action="append", choices=("sessions", "cdrs"))
    ap.add_argument("--token", default="bench-token")
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--max-limit", type=int, default=None)
    ap.add_argument("--cache", type=Path, default=CACHE)
    args = ap.parse_args(argv)
    world = World(
        sessions=args.sessions,
        locations=args.locations,
        version=args.version,
        modules=tuple(args.module or ("sessions", "cdrs")),
        token=args.token,
    )
    t = time.monotonic()
    folder = render(world, args.cache)
    server = Replay(folder, args.latency_ms, args.max_limit)
    print(f"rendered in {time.monotonic() - t:.1f}s: {folder}", file=sys.stderr, flush=True)
    print(f"serving {server.versions_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
