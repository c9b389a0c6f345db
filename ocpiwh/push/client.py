"""HTTP client of the QualiCharge API: OAuth2 password flow, gzip bodies, bounded retries.

Credentials come from ``OCPIWH_QUALICHARGE_URL`` / ``_USER`` / ``_PASSWORD`` or the
``[qualicharge]`` table of the warehouse's 0600 credentials file; the password and the access
token are never logged nor put in an error message.

Retries: 429 and 5xx (the server says it did not do it) honour ``Retry-After``, bounded in
attempts and total time; a connection that could not be opened is retried too. A request whose
fate is unknown (connection dropped or timed out after the body left) is retried only when the
caller says the route is idempotent; otherwise :class:`Ambiguous` is raised so the caller can
reconcile instead of sending twice.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import random
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from ocpiwh.errors import AuthError, OcpiwhError, TransportError, UsageError

log = logging.getLogger(__name__)

API = "/api/v1"
ENV_URL, ENV_USER, ENV_PASSWORD = (
    "OCPIWH_QUALICHARGE_URL",
    "OCPIWH_QUALICHARGE_USER",
    "OCPIWH_QUALICHARGE_PASSWORD",
)


class Ambiguous(Exception):
    """The request may or may not have been processed (no answer came back)."""


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    password: str

    def __repr__(self) -> str:  # never the password, even in a traceback
        return f"Credentials(url={self.url!r}, username={self.username!r}, password=***)"


def load_credentials(credentials_file: Path | None) -> Credentials:
    """The environment wins, then ``[qualicharge]`` (url, username, password) of the file."""
    table: dict[str, Any] = {}
    if credentials_file is not None and credentials_file.exists():
        if credentials_file.stat().st_mode & 0o077:
            os.chmod(credentials_file, 0o600)
        try:
            table = tomllib.loads(credentials_file.read_text()).get("qualicharge", {})
        except tomllib.TOMLDecodeError:
            raise UsageError(f"credentials file {credentials_file} is corrupt") from None
    url = os.environ.get(ENV_URL) or table.get("url")
    user = os.environ.get(ENV_USER) or table.get("username")
    password = os.environ.get(ENV_PASSWORD) or table.get("password")
    missing = [
        name
        for name, value in ((ENV_URL, url), (ENV_USER, user), (ENV_PASSWORD, password))
        if not value
    ]
    if missing:
        where = f" or [qualicharge] url/username/password in {credentials_file}"
        raise UsageError(f"QualiCharge API not configured: set {', '.join(missing)}{where}")
    root = str(url).rstrip("/")
    if root.endswith(API):
        root = root[: -len(API)]
    return Credentials(root, str(user), str(password))


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 120.0


@dataclass
class Answer:
    status: int
    body: Any
    attempts: int

    @property
    def text(self) -> str:
        return orjson.dumps(self.body).decode() if self.body is not None else ""


class QualiChargeClient:
    """One authenticated session with the API (a fresh token when the old one expires)."""

    def __init__(
        self,
        creds: Credentials,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        gzip_bodies: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.creds = creds
        self.retry = retry or RetryPolicy()
        self.gzip_bodies = gzip_bodies
        self.sleep = sleep
        self.http = httpx.Client(base_url=creds.url, timeout=timeout, transport=transport)
        self._token: str | None = None
        self.requests_sent = 0

    def close(self) -> None:
        self.http.close()

    def _login(self) -> str:
        try:
            resp = self.http.post(
                f"{API}/auth/token",
                data={"username": self.creds.username, "password": self.creds.password},
            )
        except httpx.HTTPError as exc:
            raise TransportError(
                f"QualiCharge API at {self.creds.url} unreachable: {type(exc).__name__}"
            ) from None
        if resp.status_code in (401, 403):
            raise AuthError(
                "QualiCharge API refused the login",
                hint=f"check {ENV_USER} / {ENV_PASSWORD} or the credentials file",
            )
        token = None
        with contextlib.suppress(ValueError):
            token = resp.json().get("access_token") if resp.status_code == 200 else None
        if not token:
            raise TransportError(f"QualiCharge API login failed with HTTP {resp.status_code}")
        return str(token)

    def request(
        self, method: str, path: str, body: Any = None, *, idempotent: bool = False
    ) -> Answer:
        """Send with retries; the answer of the last attempt (any HTTP status but 429/5xx,
        unless retries ran out). Raises :class:`Ambiguous` on an unanswered non-idempotent
        request, :class:`TransportError` when retries run out."""
        content: bytes | None = None
        headers = {"Content-Type": "application/json"}
        if body is not None:
            content = orjson.dumps(body)
            if self.gzip_bodies:
                content = gzip.compress(content, compresslevel=6)
                headers["Content-Encoding"] = "gzip"
        started = time.monotonic()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if self._token is None:
                self._token = self._login()
            headers["Authorization"] = f"Bearer {self._token}"
            delay: float | None = None
            try:
                self.requests_sent += 1
                resp = self.http.request(method, path, content=content, headers=headers)
            except httpx.ConnectError as exc:  # never reached the server: safe to retry
                delay, reason = self._backoff(attempt), type(exc).__name__
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                if not idempotent:
                    raise Ambiguous(type(exc).__name__) from None
                delay, reason = self._backoff(attempt), type(exc).__name__
            else:
                if resp.status_code == 401 and not refreshed:
                    refreshed, self._token = True, None
                    continue
                if resp.status_code == 429 or resp.status_code >= 500:
                    delay = self._retry_after(resp) or self._backoff(attempt)
                    reason = f"HTTP {resp.status_code}"
                else:
                    try:
                        parsed = resp.json() if resp.content else None
                    except ValueError:
                        parsed = resp.text[:500]
                    return Answer(resp.status_code, parsed, attempt)
            elapsed = time.monotonic() - started
            if attempt >= self.retry.max_attempts or elapsed + delay > self.retry.max_total:
                raise TransportError(
                    f"QualiCharge API: {method} {path} failed after {attempt} attempts ({reason})"
                )
            log.info("QualiCharge %s %s: %s, retrying in %.2fs", method, path, reason, delay)
            self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        base = min(self.retry.max_delay, self.retry.base_delay * 2.0 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)

    def _retry_after(self, resp: httpx.Response) -> float | None:
        value = resp.headers.get("Retry-After")
        if not value:
            return None
        try:
            return min(self.retry.max_delay, max(0.0, float(value)))
        except ValueError:
            return None

    # -- reads used to reconcile after a crash -------------------------------------------------

    def get_statique(self, pdc: str) -> dict[str, Any] | None:
        answer = self.request("GET", f"{API}/statique/{quote(pdc, safe='')}", idempotent=True)
        if answer.status == 200 and isinstance(answer.body, dict):
            return answer.body
        if answer.status == 404:
            return None
        raise OcpiwhError(f"QualiCharge API: GET statique answered HTTP {answer.status}")

    def status_history(self, pdc: str, since: str) -> list[dict[str, Any]]:
        answer = self.request(
            "GET",
            f"{API}/dynamique/status/{quote(pdc, safe='')}/history?from={quote(since)}",
            idempotent=True,
        )
        if answer.status == 200 and isinstance(answer.body, list):
            return [r for r in answer.body if isinstance(r, dict)]
        if answer.status == 404:
            return []
        raise OcpiwhError(f"QualiCharge API: GET status history answered HTTP {answer.status}")
