"""Thread-safe OCPI HTTP client: auth encoding, OCPI envelope, retries, adaptive concurrency.

One :class:`OcpiClient` is shared by many worker threads. It never puts the token in a
message, repr or log line: anything derived from server text or URLs goes through
:meth:`OcpiClient._redact` first, and exceptions raised here do not chain httpx errors.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

import httpx
import msgspec
import orjson

from ocpiwh.errors import AuthError, OcpiError, TransportError, UsageError

from .datetimes import format_ocpi_datetime, parse_ocpi_datetime
from .retry import RETRY_STATUSES, AdaptiveLimiter, RetryPolicy, parse_retry_after
from .versions import CONFIGURATION_MODULES, SUPPORTED_VERSIONS, has_roles, normalize_version

log = logging.getLogger("ocpiwh.ocpi")

AuthMode = Literal["auto", "base64", "plain"]
_AUTH_MODES = ("auto", "base64", "plain")

AUTH_HINT = "check --token / OCPIWH_TOKEN; a registration token (Token A) cannot read modules"

ParamValue = str | int | float | bool | datetime | None
Params = Mapping[str, ParamValue]


class _Envelope(msgspec.Struct):
    """The OCPI response envelope, with ``data`` left unparsed: a list page is parsed once,
    by the privacy stage (:meth:`ocpiwh.privacy.ObjectFilter.filter_page`)."""

    status_code: Any = msgspec.UNSET
    status_message: Any = None
    timestamp: Any = None
    data: msgspec.Raw = msgspec.Raw()  # empty when absent


_ENVELOPE = msgspec.json.Decoder(_Envelope)


@dataclass(frozen=True)
class Response:
    """A successful OCPI response (status_code 1000–1999)."""

    raw_data: msgspec.Raw | None
    """The JSON text of the envelope's ``data`` (None when absent or null)."""
    status_code: int
    status_message: str | None
    timestamp: datetime | None
    headers: httpx.Headers = field(repr=False)
    raw_size: int
    url: str
    http_status: int = 200

    @property
    def data(self) -> Any:
        """The envelope's ``data``, parsed."""
        return orjson.loads(memoryview(self.raw_data)) if self.raw_data is not None else None


class ClientStats:
    """Counters shared by all threads using one client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.retries_by_reason: dict[str, int] = {}
        self.bytes = 0
        self.throttled = 0

    def _add_request(self, size: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes += size

    def _add_retry(self, reason: str) -> None:
        with self._lock:
            self.retries += 1
            self.retries_by_reason[reason] = self.retries_by_reason.get(reason, 0) + 1

    def _add_throttled(self) -> None:
        with self._lock:
            self.throttled += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "retries_by_reason": dict(self.retries_by_reason),
                "bytes": self.bytes,
                "throttled": self.throttled,
            }

    def __repr__(self) -> str:
        return f"ClientStats({self.snapshot()})"


class _Retryable(Exception):
    """Internal: an attempt failed in a way worth retrying."""

    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


def _other(mode: str) -> Literal["base64", "plain"]:
    return "plain" if mode == "base64" else "base64"


def _format_params(params: Params | None) -> dict[str, str] | None:
    if params is None:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            out[key] = format_ocpi_datetime(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def _ocpi_hint(code: int) -> str:
    if code == 2001:
        return "the platform rejected the request parameters; check --since and the module"
    if code == 3002:
        return "the platform does not support this OCPI version; run `ocpiwh login` again"
    if code == 3003:
        return "the platform is missing endpoints; run `ocpiwh login` again"
    if code in (4001, 4003):
        return "the hub cannot route to the receiver; check --platform-party"
    if 3000 <= code < 5000:
        return "a server-side error; try again later or contact the platform operator"
    return "see the platform's status message; contact the platform operator if it persists"


class OcpiClient:
    """Synchronous OCPI client, safe to share between threads. See the package docs."""

    def __init__(
        self,
        token: str,
        version: str | None = None,
        auth_mode: AuthMode = "auto",
        from_party: tuple[str, str] | None = None,
        to_party: tuple[str, str] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        max_connections: int = 8,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        token = (token or "").strip()
        if not token:
            raise UsageError("no OCPI token given", hint="pass --token or set OCPIWH_TOKEN")
        if any(c.isspace() or not c.isprintable() for c in token):
            raise UsageError(
                "the OCPI token contains spaces or control characters",
                hint="copy the token exactly, without quotes or line breaks",
            )
        if auth_mode not in _AUTH_MODES:
            raise UsageError(
                f"unknown auth mode {auth_mode!r}", hint="use one of: auto, base64, plain"
            )
        if max_connections < 1:
            raise UsageError("max_connections must be at least 1", hint="use 1 or more")
        self._token = token
        self._token_b64 = base64.b64encode(token.encode("utf-8")).decode("ascii")
        self._secrets = (self._token_b64, token)
        self._lock = threading.Lock()
        # auto mode: the encoding that worked; "strong" once proven by a fallback or
        # learned while the version was known (a public versions endpoint proves nothing).
        self._learned: Literal["base64", "plain"] | None = None
        self._learned_strong = False
        self._version: str | None = None
        self.version = version
        self.auth_mode: AuthMode = auth_mode
        self.from_party = from_party
        self.to_party = to_party
        self.retry = retry if retry is not None else RetryPolicy()
        self.timeout = timeout
        self.max_connections = max_connections
        self.stats = ClientStats()
        self.throttle = AdaptiveLimiter(max_connections)
        self._reached_hosts: set[str] = set()
        self.parse_lock: AbstractContextManager[Any] = nullcontext()
        """Held while a response body is parsed. A caller whose threads do CPU-heavy work on
        the parsed pages (the sync) sets a lock it also holds for that work: pages are then
        parsed and processed one at a time rather than interleaved (GIL-bound anyway), which
        keeps fewer parsed pages alive and the caches warm."""
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        if transport is None:
            # httpx retries connection *establishment* only (DESIGN §7); the rest is ours.
            transport = httpx.HTTPTransport(retries=1, limits=limits)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            headers={"Accept": "application/json", "User-Agent": "ocpiwh"},
        )

    # -- configuration -------------------------------------------------------------------

    @property
    def version(self) -> str | None:
        return self._version

    @version.setter
    def version(self, value: str | None) -> None:
        if value is None:
            self._version = None
            return
        norm = normalize_version(value)
        if norm is None:
            raise UsageError(
                f"unsupported OCPI version {value!r}",
                hint=f"use one of: {', '.join(SUPPORTED_VERSIONS)}",
            )
        with self._lock:
            if norm != self._version and not self._learned_strong:
                self._learned = None  # weak guess from before the version was known
            self._version = norm

    @property
    def auth_mode_used(self) -> Literal["base64", "plain"]:
        """The token encoding that worked (or will be tried first if none has yet)."""
        if self.auth_mode != "auto":
            return self.auth_mode
        with self._lock:
            if self._learned is not None:
                return self._learned
        return "base64" if has_roles(self._version) else "plain"

    def __repr__(self) -> str:
        return (
            f"OcpiClient(version={self._version!r}, auth_mode={self.auth_mode!r}, "
            f"from_party={self.from_party!r}, to_party={self.to_party!r}, token=<hidden>)"
        )

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OcpiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def _safe_url(self, url: httpx.URL | str) -> str:
        """URL for messages and logs: no user info, no token."""
        try:
            u = httpx.URL(str(url))
            if u.userinfo:
                u = u.copy_with(username=None, password=None)
            text = str(u)
        except (httpx.InvalidURL, TypeError, ValueError):
            text = str(url)
        return self._redact(text)

    def _safe_path(self, url: httpx.URL | str) -> str:
        try:
            u = httpx.URL(str(url))
            text = u.path or "/"
        except (httpx.InvalidURL, TypeError, ValueError):
            text = str(url)
        return self._redact(text)

    def _auth_header(self, mode: str) -> str:
        return "Token " + (self._token_b64 if mode == "base64" else self._token)

    def _first_mode(self) -> Literal["base64", "plain"]:
        return self.auth_mode_used

    def _learn(self, mode: Literal["base64", "plain"], *, proven: bool) -> None:
        if self.auth_mode != "auto":
            return
        with self._lock:
            strong = proven or self._version is not None
            if self._learned != mode or (strong and not self._learned_strong):
                if self._learned != mode:
                    log.info("token encoding: %s", mode)
                self._learned = mode
                self._learned_strong = self._learned_strong or strong

    def _headers(self, module: str | None, mode: str) -> dict[str, str]:
        headers = {
            "Authorization": self._auth_header(mode),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        if module is not None and module not in CONFIGURATION_MODULES and has_roles(self._version):
            if self.from_party is not None:
                headers["OCPI-from-country-code"] = self.from_party[0]
                headers["OCPI-from-party-id"] = self.from_party[1]
            if self.to_party is not None:
                headers["OCPI-to-country-code"] = self.to_party[0]
                headers["OCPI-to-party-id"] = self.to_party[1]
        return headers

    # -- requests ------------------------------------------------------------------------

    def get(self, url: str, params: Params | None = None, *, module: str | None = None) -> Response:
        """GET an OCPI resource, retrying transient failures; return the parsed envelope.

        Raises :class:`AuthError` (token refused), :class:`OcpiError` (HTTP or OCPI error,
        not an OCPI endpoint), :class:`TransportError` (unreachable, retries exhausted).
        """
        qparams = _format_params(params)
        policy = self.retry
        started = time.monotonic()
        slept = 0.0  # the sleep may be injected (tests): count waits even if no time passes
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(url, qparams, module)
            except _Retryable as failure:
                reason, detail, retry_after = failure.reason, failure.detail, failure.retry_after
            path = self._safe_path(url)
            if attempt >= policy.max_attempts:
                raise self._gave_up(path, attempt, detail)
            delay = policy.delay(attempt, retry_after)
            spent = max(time.monotonic() - started, slept)
            if spent + delay > policy.max_total:
                raise self._gave_up(path, attempt, detail)
            self.stats._add_retry(reason)
            log.info(
                "retrying %s in %.2fs (attempt %d/%d): %s",
                path,
                delay,
                attempt + 1,
                policy.max_attempts,
                detail,
            )
            policy.sleep(delay)
            slept += delay

    def _gave_up(self, path: str, attempts: int, detail: str) -> TransportError:
        word = "attempt" if attempts == 1 else "attempts"
        return TransportError(
            f"gave up on {path} after {attempts} {word}: {detail}",
            hint="the platform is overloaded or unreachable; try again later",
        )

    def _attempt(self, url: str, params: dict[str, str] | None, module: str | None) -> Response:
        mode = self._first_mode()
        resp = self._send(url, params, module, mode)
        if resp.status_code == 401:
            path = self._safe_path(resp.request.url)
            if self.auth_mode != "auto":
                raise AuthError(
                    f"the platform refused the token (HTTP 401) for {path} "
                    f"with {mode} token encoding",
                    hint=AUTH_HINT + "; `ocpiwh login` again renegotiates the token encoding",
                    http_status=401,
                )
            other = _other(mode)
            log.info("HTTP 401 with %s token encoding; trying %s once", mode, other)
            self.stats._add_retry("auth")
            resp = self._send(url, params, module, other)
            if resp.status_code == 401:
                raise AuthError(
                    f"the platform refused the token (HTTP 401) for {path}, "
                    "both Base64-encoded and plain",
                    hint=AUTH_HINT,
                    http_status=401,
                )
            result = self._interpret(resp)
            self._learn(other, proven=True)
            return result
        result = self._interpret(resp)
        self._learn(mode, proven=False)
        return result

    def _send(
        self, url: str, params: dict[str, str] | None, module: str | None, mode: str
    ) -> httpx.Response:
        headers = self._headers(module, mode)
        request_id = headers["X-Request-ID"]
        # Errors are raised outside the ``except`` blocks so that no httpx exception (which
        # references the request and its Authorization header) is chained to ours.
        failure: Exception | None = None
        try:
            request = self._http.build_request("GET", url, params=params, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError):
            failure = UsageError(
                f"invalid URL: {self._safe_url(url)}",
                hint="give the full http(s) URL of the platform's OCPI versions endpoint",
            )
        if failure is not None:
            raise failure
        safe = self._safe_url(request.url)
        if request.url.scheme not in ("http", "https"):
            raise UsageError(
                f"unsupported URL scheme: {safe}", hint="use an http:// or https:// URL"
            )
        host = request.url.host
        t0 = time.monotonic()
        try:
            with self.throttle:
                resp = self._http.send(request)
                resp.read()
            # httpx keeps a response and its stream in a reference cycle, so only the cyclic
            # GC would free the response and its body (a page: about a megabyte). Cut it:
            # the body goes as soon as the page is parsed. (The content is already read.)
            resp.stream = httpx.ByteStream(b"")
        except httpx.ConnectError as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            if host in self._reached_hosts:
                failure = _Retryable("connect", f"cannot connect to {host}: {detail}")
            else:
                failure = TransportError(
                    f"cannot reach {host}: {detail}",
                    hint="check the URL and that the platform is running",
                )
        except httpx.TimeoutException:
            failure = _Retryable("timeout", f"no answer within {self.timeout:g}s ({safe})")
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            failure = _Retryable("connection", f"connection dropped ({detail})")
        except httpx.HTTPError as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            failure = TransportError(
                f"request to {safe} failed: {detail}",
                hint="check the URL and that the platform is running",
            )
        if failure is not None:
            log.debug("GET %s failed: %s (X-Request-ID %s)", safe, failure, request_id)
            raise failure
        elapsed = time.monotonic() - t0
        self._reached_hosts.add(host)
        size = len(resp.content)
        self.stats._add_request(size)
        log.debug(
            "GET %s -> HTTP %d, %d bytes, %.0f ms (X-Request-ID %s)",
            safe,
            resp.status_code,
            size,
            elapsed * 1000,
            request_id,
        )
        if resp.status_code in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if resp.status_code == 429:
                self.stats._add_throttled()
                self.throttle.on_throttled()
                raise _Retryable("429", "HTTP 429 Too Many Requests", retry_after)
            raise _Retryable(
                str(resp.status_code),
                f"HTTP {resp.status_code} {resp.reason_phrase}".rstrip(),
                retry_after,
            )
        return resp

    def _interpret(self, resp: httpx.Response) -> Response:
        status = resp.status_code
        url = resp.request.url
        path = self._safe_path(url)
        raw = resp.content
        envelope: _Envelope | None
        try:
            with self.parse_lock:
                envelope = _ENVELOPE.decode(raw) if raw else None
        except (msgspec.DecodeError, msgspec.ValidationError):
            envelope = None
        ocpi_code: int | None = None
        ocpi_msg: str | None = None
        if envelope is not None and envelope.status_code is not msgspec.UNSET:
            try:
                ocpi_code = int(envelope.status_code)
            except (TypeError, ValueError):
                ocpi_code = None
            msg = envelope.status_message
            ocpi_msg = self._redact(str(msg)).replace("\n", " ").strip() if msg else None
        ocpi_text = ""
        if ocpi_code is not None:
            ocpi_text = f" (OCPI status {ocpi_code}{': ' + ocpi_msg if ocpi_msg else ''})"

        if status == 403:
            raise AuthError(
                f"the platform denied access to {path} (HTTP 403){ocpi_text}",
                hint=AUTH_HINT,
                http_status=403,
                ocpi_status=ocpi_code,
            )
        if status == 404:
            raise OcpiError(
                f"{path} was not found on the platform (HTTP 404){ocpi_text}",
                hint="check the URL, or run `ocpiwh login` again if the platform moved endpoints",
                http_status=404,
                ocpi_status=ocpi_code,
            )
        if status >= 400:
            raise OcpiError(
                f"the platform answered {path} with HTTP {status}{ocpi_text}",
                hint=_ocpi_hint(ocpi_code) if ocpi_code else "check the URL and the platform",
                http_status=status,
                ocpi_status=ocpi_code,
            )
        if envelope is None or ocpi_code is None:
            raise OcpiError(
                f"{self._safe_url(url)} is not an OCPI endpoint (no OCPI envelope in the response)",
                hint="give the platform's OCPI versions URL, e.g. https://host/ocpi/versions",
                http_status=status,
            )
        if not 1000 <= ocpi_code <= 1999:
            raise OcpiError(
                f"the platform answered {path} with OCPI status {ocpi_code}"
                f"{': ' + ocpi_msg if ocpi_msg else ''}",
                hint=_ocpi_hint(ocpi_code),
                http_status=status,
                ocpi_status=ocpi_code,
            )
        self.throttle.on_success()
        data = envelope.data
        return Response(
            raw_data=data
            if len(data) and not (len(data) == 4 and bytes(data) == b"null")
            else None,
            status_code=ocpi_code,
            status_message=ocpi_msg,
            timestamp=parse_ocpi_datetime(envelope.timestamp),
            headers=resp.headers,
            raw_size=len(raw),
            url=str(url),
            http_status=status,
        )
