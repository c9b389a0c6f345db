"""HTTP front of the simulator: OCPI versions/modules, pagination, auth, faults, admin."""

from __future__ import annotations

import base64
import bisect
import contextlib
import hmac
import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from ocpiwh import httpserve
from ocpiwh.paths import MODULES

from .config import VERSIONS, SimConfig, check_live
from .formats import iso
from .hashing import mix
from .indexes import bump, index
from .keys import MASK, SHIFT
from .lifecycle import advance_to
from .live import KINDS as LIVE_KINDS
from .live import apply as apply_live
from .live import count as live_updates
from .names import PLATFORM_NAME, PLATFORM_PARTY
from .summary import summary as world_summary
from .world import World

_DROP = object()

Response = tuple[int, list[tuple[str, str]], bytes]


def _module_path(version: str, module: str) -> str:
    if version == "2.1.1":
        return f"/ocpi/2.1.1/{module}"
    if module == "credentials":
        return f"/ocpi/{version}/credentials"
    if module == "tokens":
        return f"/ocpi/{version}/emsp/tokens"
    return f"/ocpi/{version}/cpo/{module}"


def _parse_dt(text: str) -> int:
    """OCPI DateTime (with/without Z, fractions, +00:00) → epoch seconds, rounded up."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1]
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return math.ceil(dt.timestamp())


class Simulator:
    """The in-process world + HTTP server. Use :func:`serve_in_thread` in tests."""

    def __init__(self, cfg: SimConfig | None = None) -> None:
        self.cfg = cfg or SimConfig()
        if self.cfg.start is not None:
            st = self.cfg.start
            if st.tzinfo is None:
                st = st.replace(tzinfo=UTC)
            t0 = int(st.timestamp())
        else:
            t0 = (int(time.time()) + self.cfg.clock_offset_s) // 60 * 60
        self._real0 = time.monotonic()
        self.lock = threading.RLock()
        self.world = World(self.cfg, t0)
        self.faults = self.cfg.effective_faults
        self._fault_salt = mix(self.cfg.seed * 1_000_003 + 17)
        self._counter = 0
        self.live_rate = self.cfg.live  # see set_live()
        self._stats: dict[str, Any] = {
            "requests": 0,
            "by_status": {},
            "faults": {"429": 0, "503": 0, "drop": 0, "latency": 0, "update_while_paging": 0},
            "objects_served": 0,
            "list_requests": {m: 0 for m in MODULES},
            "pages": {m: 0 for m in MODULES},
            "live": {
                "rate": self.live_rate,
                "updates": 0,
                "by_kind": {k: 0 for k in LIVE_KINDS},
                "clock_moved_s": 0,
            },
        }
        self._b64 = base64.b64encode(self.cfg.token.encode()).decode()
        # rendered pages, LRU bounded by total bytes; keys include (now, mutation counter)
        self._page_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._page_cache_bytes = 0
        self.page_cache_budget = 96 * 1024 * 1024
        # Read-ahead: after a list page, the next page is rendered on a background thread
        # while the client parses (same bytes, same cache key; dropped if the state moved).
        self.prefetch_pages = 1
        self._prefetch_jobs: deque[tuple[Any, ...]] = deque(maxlen=8)
        self._prefetch_cv = threading.Condition(threading.Lock())
        self._prefetch_thread: threading.Thread | None = None
        self._prefetch_stop = False
        self._tls = threading.local()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # ------------------------------------------------------------------ public API
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def versions_url(self) -> str:
        return self.base_url + "/ocpi/versions"

    def _tick(self) -> None:
        if self.cfg.tick:
            target = self.world.t0 + int(time.monotonic() - self._real0)
            if target > self.world.now:
                advance_to(self.world, target)

    def now(self) -> datetime:
        with self.lock:
            self._tick()
            return datetime.fromtimestamp(self.world.now, UTC)

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        """Advance the platform clock (``advance(seconds=3600)``, or ``minutes=``/``hours=``/``days=``)."""
        total = seconds + timedelta(**kw).total_seconds()
        if total < 0:
            raise ValueError("the clock only moves forward")
        with self.lock:
            advance_to(self.world, self.world.now + int(total))
            return datetime.fromtimestamp(self.world.now, UTC)

    def set_live(self, rate: float) -> None:
        """Change the live update rate (0: the platform holds still from now on)."""
        check_live(rate)
        with self.lock:
            self.live_rate = rate
            self._stats["live"]["rate"] = rate

    def truth(self, module: str, version: str = "2.2.1") -> list[dict[str, Any]]:
        self._check(module, version)
        with self.lock:
            self._tick()
            if module == "tokens" and not self.cfg.expose_tokens:
                return []
            return list(self.world.truth(module, version))

    def summary(self) -> dict[str, Any]:
        with self.lock:
            self._tick()
            return world_summary(self.world)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(self._stats))  # type: ignore[no-any-return]

    def dump_truth(self, path: str | Path) -> Path:
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        with self.lock:
            self._tick()
            for module in MODULES:
                if module == "tokens" and not self.cfg.expose_tokens:
                    continue
                for version in VERSIONS:
                    with (out / f"{module}-{version}.jsonl").open("wb") as f:
                        for obj in self.world.truth(module, version):
                            f.write(orjson.dumps(obj) + b"\n")
            (out / "summary.json").write_bytes(
                orjson.dumps(world_summary(self.world), option=orjson.OPT_INDENT_2)
            )
        return out

    def _page(self, module: str, version: str, start: int, stop: int) -> tuple[list[int], bytes]:
        """Object indexes and rendered JSON array of ``keys[start:stop]``, via the cache."""
        w = self.world
        keys, rank_to_idx = index(w, module)
        page = keys[start:stop] if start < stop else []
        idxs = [rank_to_idx[k & MASK] for k in page] if rank_to_idx else [k & MASK for k in page]
        ckey = (module, version, start, len(idxs), w.now, w.mut)
        body = self._page_cache.get(ckey)
        if body is None:
            body = w.render_page(module, version, idxs)
            self._cache_put(ckey, body)
        else:
            self._page_cache.move_to_end(ckey)
        return idxs, body

    def _live(self, module: str, page: list[int], n: int) -> None:
        """Live mode: the platform changes after the page ``n`` was served (see :mod:`.live`)."""
        w = self.world
        stats = self._stats["live"]
        t0 = w.now
        for _ in range(live_updates(w, self.live_rate, n)):
            kind = apply_live(w, module, page, self.cfg.live_step_s)
            stats["updates"] += 1
            stats["by_kind"][kind] += 1
        stats["clock_moved_s"] += w.now - t0

    def _prefetch(self, module: str, version: str, start: int, limit: int, hi: int) -> None:
        """Note the page(s) after this one; queued once the response is written."""
        w = self.world
        jobs = [
            (module, version, a, min(a + limit, hi), w.now, w.mut)
            for a in range(start + limit, min(start + limit * (self.prefetch_pages + 1), hi), limit)
        ]
        self._tls.jobs = jobs

    def _kick_prefetch(self) -> None:
        """After a response went out: hand the noted read-ahead pages to the worker."""
        jobs = getattr(self._tls, "jobs", None)
        if not jobs:
            return
        self._tls.jobs = None
        if self._prefetch_thread is None:
            return
        with self._prefetch_cv:
            self._prefetch_jobs.extend(jobs)
            self._prefetch_cv.notify()

    def _prefetch_loop(self) -> None:
        while True:
            with self._prefetch_cv:
                while not self._prefetch_jobs and not self._prefetch_stop:
                    self._prefetch_cv.wait()
                if self._prefetch_stop:
                    return
                module, version, a, b, now, mut = self._prefetch_jobs.popleft()
            with self.lock:
                w = self.world
                if (w.now, w.mut) != (now, mut):
                    continue  # the world changed: that page may never be asked for
                if (module, version, a, b - a, now, mut) in self._page_cache:
                    continue
                with contextlib.suppress(Exception):
                    self._page(module, version, a, b)

    def _cache_put(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) > self.page_cache_budget // 4:
            return
        self._page_cache[key] = body
        self._page_cache_bytes += len(body)
        while self._page_cache_bytes > self.page_cache_budget:
            _, old = self._page_cache.popitem(last=False)
            self._page_cache_bytes -= len(old)

    @staticmethod
    def _check(module: str, version: str) -> None:
        if module not in MODULES:
            raise ValueError(f"unknown module {module!r}; one of {', '.join(MODULES)}")
        if version not in VERSIONS:
            raise ValueError(f"unknown version {version!r}; one of {', '.join(VERSIONS)}")

    # ------------------------------------------------------------------ server
    def start(self, host: str = "127.0.0.1", port: int = 0) -> Simulator:
        server = _Server((host, port), _Handler)
        server.sim = self
        self._server = server
        self.host = host if host not in ("0.0.0.0", "") else "127.0.0.1"
        self.port = server.server_address[1]
        self._thread = httpserve.start(server, f"ocpi-sim-{self.port}")
        self._prefetch_stop = False
        self._prefetch_thread = threading.Thread(
            target=self._prefetch_loop, daemon=True, name=f"ocpi-sim-{self.port}-prefetch"
        )
        self._prefetch_thread.start()
        return self

    def stop(self) -> None:
        if self._prefetch_thread is not None:
            with self._prefetch_cv:
                self._prefetch_stop = True
                self._prefetch_jobs.clear()
                self._prefetch_cv.notify()
            self._prefetch_thread.join(timeout=5)
            self._prefetch_thread = None
        if self._server is not None and self._thread is not None:
            httpserve.stop(self._server, self._thread)
            self._server, self._thread = None, None

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ request handling
    def _envelope(
        self, data: Any, status_code: int = 1000, message: str = "Success", raw: bytes | None = None
    ) -> bytes:
        ts = iso(self.world.now)
        body = raw if raw is not None else orjson.dumps(data)
        return b"".join(  # one copy of a (possibly 1 MB) page
            (b'{"data":', body, b',"status_code":', str(status_code).encode(),
             b',"status_message":', orjson.dumps(message), b',"timestamp":"', ts.encode(), b'"}')
        )  # fmt: skip

    def _error(self, http: int, code: int, message: str) -> Response:
        return http, [], self._envelope(None, code, message)

    def _auth_ok(self, header: str | None, version: str | None) -> bool:
        if not header or not header.startswith("Token "):
            return False
        value = header[6:].strip()
        plain = hmac.compare_digest(value.encode(), self.cfg.token.encode())
        b64 = hmac.compare_digest(value.encode(), self._b64.encode())
        if self.cfg.auth == "either" or version is None:
            return plain or b64
        return plain if version == "2.1.1" else b64

    def handle(
        self, method: str, target: str, headers: dict[str, str], client: str, host_header: str
    ) -> Response | object:
        """Route one request. Returns (status, headers, body) or ``_DROP``."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = parse_qsl(parts.query, keep_blank_values=True)
        with self.lock:
            self._tick()
            if path.startswith("/admin"):
                if client not in ("127.0.0.1", "::1", "localhost") and not client.startswith(
                    "127."
                ):
                    return self._error(403, 2000, "admin endpoints are loopback-only")
                return self._admin(method, path, dict(query))
            self._counter += 1
            n = self._counter
            self._stats["requests"] += 1
            f = self.faults
            if f.rate_429 or f.rate_503 or f.rate_drop:
                u = (mix(self._fault_salt ^ n) >> 11) / 9007199254740992.0
                if u < f.rate_drop:
                    self._stats["faults"]["drop"] += 1
                    return _DROP
                u -= f.rate_drop
                if u < f.rate_429:
                    self._stats["faults"]["429"] += 1
                    return (
                        429,
                        [("Retry-After", str(f.retry_after_s))],
                        self._envelope(None, 2000, "Too many requests, slow down"),
                    )
                u -= f.rate_429
                if u < f.rate_503:
                    self._stats["faults"]["503"] += 1
                    return (
                        503,
                        [("Retry-After", str(f.retry_after_s))],
                        self._envelope(None, 3000, "Service temporarily unavailable"),
                    )
            if method != "GET":
                return self._error(405, 2000, f"{method} is not supported by this simulator")
            return self._ocpi(path, query, headers, host_header, n)

    def _admin(self, method: str, path: str, q: dict[str, str]) -> Response:
        if path == "/admin/advance" and method == "POST":
            try:
                seconds = int(float(q.get("seconds", "0")))
            except ValueError:
                return self._error(400, 2001, "seconds must be a number")
            if seconds < 0:
                return self._error(400, 2001, "the clock only moves forward")
            advance_to(self.world, self.world.now + seconds)
            return 200, [], self._envelope({"now": iso(self.world.now)})
        if path == "/admin/live" and method == "POST":
            try:
                self.set_live(float(q.get("rate", "")))
            except ValueError as e:
                return self._error(400, 2001, f"rate: {e}")
            return 200, [], self._envelope({"live": self.live_rate})
        if method != "GET":
            return self._error(405, 2000, "use GET (POST only for /admin/advance and /admin/live)")
        if path == "/admin/clock":
            return 200, [], self._envelope({"now": iso(self.world.now)})
        if path == "/admin/summary":
            return 200, [], orjson.dumps(world_summary(self.world))
        if path == "/admin/stats":
            return 200, [], orjson.dumps(self._stats)
        if path == "/admin/truth":
            module, version = q.get("module", ""), q.get("version", "2.2.1")
            try:
                self._check(module, version)
            except ValueError as e:
                return self._error(400, 2001, str(e))
            body = b"".join(orjson.dumps(o) + b"\n" for o in self.world.truth(module, version))
            return 200, [("Content-Type", "application/x-ndjson")], body
        return self._error(404, 2000, f"unknown admin path {path}")

    def _modules(self) -> tuple[str, ...]:
        mods = ("credentials", "locations", "sessions", "cdrs", "tariffs")
        return (*mods, "tokens") if self.cfg.expose_tokens else mods

    def _ocpi(
        self, path: str, query: list[tuple[str, str]], headers: dict[str, str], host: str, n: int
    ) -> Response:
        segs = path.split("/")[1:]  # ["ocpi", ...]
        if not segs or segs[0] != "ocpi":
            return self._error(404, 2000, f"unknown path {path}")
        auth = headers.get("authorization")
        base = f"http://{host}" if host else self.base_url
        if segs == ["ocpi", "versions"]:
            if not self._auth_ok(auth, None):
                return self._unauthorized(auth)
            data = [{"version": v, "url": f"{base}/ocpi/{v}"} for v in VERSIONS]
            return 200, [], self._envelope(data)
        if len(segs) < 2 or segs[1] not in VERSIONS:
            return self._error(404, 2000, f"unknown path {path}")
        version = segs[1]
        if not self._auth_ok(auth, version):
            return self._unauthorized(auth)
        if len(segs) == 2:
            endpoints = []
            for m in self._modules():
                ep: dict[str, str] = {"identifier": m}
                if version != "2.1.1":
                    ep["role"] = "SENDER"
                ep["url"] = base + _module_path(version, m)
                endpoints.append(ep)
            return 200, [], self._envelope({"version": version, "endpoints": endpoints})
        module = next((m for m in self._modules() if _module_path(version, m) == path), None)
        if module is None:
            return self._error(404, 2000, f"unknown path {path}")
        if module == "credentials":
            return 200, [], self._envelope(self._credentials(version, base))
        return self._list(module, version, path, query, base, n)

    def _unauthorized(self, auth: str | None) -> Response:
        msg = "Missing Authorization header" if not auth else "Invalid or unknown token"
        return 401, [("WWW-Authenticate", "Token")], self._envelope(None, 2000, msg)

    def _credentials(self, version: str, base: str) -> dict[str, Any]:
        cc, pid = PLATFORM_PARTY
        bd = {"name": PLATFORM_NAME, "website": "https://simulator.ocpiwh.example"}
        url = base + "/ocpi/versions"
        if version == "2.1.1":
            return {"token": self.cfg.token, "url": url, "business_details": bd,
                    "party_id": pid, "country_code": cc}  # fmt: skip
        return {
            "token": self.cfg.token,
            "url": url,
            "roles": [{"role": "CPO", "business_details": bd, "party_id": pid, "country_code": cc}],
        }

    def _list(
        self,
        module: str,
        version: str,
        path: str,
        query: list[tuple[str, str]],
        base: str,
        n: int,
    ) -> Response:
        q = dict(query)
        self._stats["list_requests"][module] += 1
        try:
            offset = int(q.get("offset", "0"))
            limit = int(q.get("limit", str(self.cfg.max_limit)))
            if offset < 0 or limit < 1:
                raise ValueError
        except ValueError:
            return self._error(400, 2001, "offset must be an integer >= 0 and limit >= 1")
        limit = min(limit, self.cfg.max_limit)
        try:
            date_from = _parse_dt(q["date_from"]) if q.get("date_from") else None
            date_to = _parse_dt(q["date_to"]) if q.get("date_to") else None
        except ValueError:
            return self._error(400, 2001, "date_from/date_to must be RFC 3339 date-times")
        if module == "sessions" and date_from is None:
            return self._error(400, 2001, "Missing required parameter: date_from")
        w = self.world
        keys, _ = index(w, module)
        lo = 0 if date_from is None else bisect.bisect_left(keys, date_from << SHIFT)
        hi = len(keys) if date_to is None else bisect.bisect_left(keys, date_to << SHIFT)
        hi = max(hi, lo)
        total = hi - lo
        start = lo + offset
        idxs, body = self._page(module, version, start, min(start + limit, hi))
        self._stats["objects_served"] += len(idxs)
        self._stats["pages"][module] += 1
        hdrs = [("X-Total-Count", str(total)), ("X-Limit", str(self.cfg.max_limit))]
        if offset + limit < total:
            params = [(k, v) for k, v in query if k not in ("offset", "limit")]
            params += [("offset", str(offset + limit)), ("limit", str(limit))]
            hdrs.append(("Link", f'<{base}{path}?{urlencode(params)}>; rel="next"'))
        resp = 200, hdrs, self._envelope(None, raw=body)
        rate = self.faults.rate_update_while_paging
        if rate and idxs and module != "cdrs":
            u = (mix(self._fault_salt ^ (n * 31 + 7)) >> 11) / 9007199254740992.0
            if u < rate:
                victim = idxs[mix(self._fault_salt ^ n) % len(idxs)]
                bump(w, module, victim)
                self._stats["faults"]["update_while_paging"] += 1
        if self.live_rate:
            self._live(module, idxs, n)
        if self.prefetch_pages and start + limit < hi:
            self._prefetch(module, version, start, limit, hi)
        return resp


class _Server(httpserve.Server):
    sim: Simulator


class _Handler(httpserve.Handler):
    server: _Server
    server_version = "ocpiwh-simulator/1"

    def _serve(self, method: str) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        result = sim.handle(method, self.path, hdrs, self.client_address[0], hdrs.get("host", ""))
        if result is _DROP:
            self.drop()
            return
        assert isinstance(result, tuple)
        status, extra, body = result
        lat = sim.faults.latency_ms
        if lat and not self.path.startswith("/admin"):
            with sim.lock:
                sim._stats["faults"]["latency"] += 1
            time.sleep(lat / 1000)
        with sim.lock:
            bs = sim._stats["by_status"]
            bs[str(status)] = bs.get(str(status), 0) + 1
        self.send_response(status)
        ctype = next((v for k, v in extra if k == "Content-Type"), "application/json")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            if k != "Content-Type":
                self.send_header(k, v)
        for h in ("X-Request-ID", "X-Correlation-ID"):
            v = self.headers.get(h)
            if v is not None:
                self.send_header(h, v)
        self.end_headers()
        self.wfile.write(body)
        sim._kick_prefetch()


@contextlib.contextmanager
def serve_in_thread(
    cfg: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[Simulator]:
    """Start a simulator on a background thread (port 0 = a free port); stop it on exit."""
    sim = Simulator(cfg)
    sim.start(host, port)
    try:
        yield sim
    finally:
        sim.stop()
