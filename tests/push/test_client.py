"""The client's exact sequences (httpx.MockTransport): Retry-After honoured and bounded,
unanswered requests not retried unless idempotent, an expired token renewed once, the
password kept out of reprs and errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ocpiwh.errors import AuthError, TransportError, UsageError
from ocpiwh.push.client import (
    Ambiguous,
    Credentials,
    QualiChargeClient,
    RetryPolicy,
    load_credentials,
)

CREDS = Credentials("http://api.test", "u", "hunter2-pw")


def _client(
    handler: Callable[[httpx.Request], httpx.Response], sleeps: list[float]
) -> QualiChargeClient:
    return QualiChargeClient(
        CREDS,
        retry=RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=5.0, max_total=60.0),
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )


def _login_or(
    answers: list[httpx.Response | Exception],
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/token":
            assert b"hunter2-pw" in request.content and request.method == "POST"
            return httpx.Response(
                200, json={"access_token": f"tok{len(answers)}", "token_type": "bearer"}
            )
        assert request.headers["Content-Encoding"] == "gzip"
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def test_retry_after_is_honoured_then_success() -> None:
    sleeps: list[float] = []
    answers: list[httpx.Response | Exception] = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503),
        httpx.Response(201, json={"size": 1, "items": ["x"]}),
    ]
    answer = _client(_login_or(answers), sleeps).request("POST", "/api/v1/x/bulk", [{"a": 1}])
    assert (answer.status, answer.attempts) == (201, 3)
    assert sleeps[0] == 3.0 and len(sleeps) == 2


def test_retries_are_bounded() -> None:
    sleeps: list[float] = []
    answers: list[httpx.Response | Exception] = [httpx.Response(503) for _ in range(10)]
    with pytest.raises(TransportError, match="after 4 attempts"):
        _client(_login_or(answers), sleeps).request("POST", "/api/v1/x/bulk", [{}])
    assert len(sleeps) == 3


def test_unanswered_request_is_ambiguous_unless_idempotent() -> None:
    drop = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    with pytest.raises(Ambiguous):
        _client(_login_or([drop]), []).request("POST", "/api/v1/x/bulk", [{}])
    answers: list[httpx.Response | Exception] = [drop, httpx.Response(201, json={})]
    ok = _client(_login_or(answers), []).request("POST", "/api/v1/s/bulk", [{}], idempotent=True)
    assert ok.status == 201
    refused = httpx.ConnectError("refused")  # never reached the server: always retried
    answers = [refused, httpx.Response(201, json={})]
    assert _client(_login_or(answers), []).request("POST", "/api/v1/x/bulk", [{}]).status == 201


def test_expired_token_is_renewed_once() -> None:
    logins: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/token":
            logins.append("x")
            return httpx.Response(
                200, json={"access_token": f"t{len(logins)}", "token_type": "bearer"}
            )
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(
                401, json={"message": "Authentication failed: Token signature expired"}
            )
        return httpx.Response(201, json={})

    assert _client(handler, []).request("POST", "/api/v1/x/bulk", [{}]).status == 201
    assert len(logins) == 2


def test_password_never_in_errors_or_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"message": "Authentication failed: Wrong login or password"}
        )

    with pytest.raises(AuthError) as info:
        _client(handler, []).request("POST", "/api/v1/x/bulk", [{}])
    assert "hunter2-pw" not in str(info.value) and "hunter2-pw" not in repr(CREDS)
    for var in ("OCPIWH_QUALICHARGE_URL", "OCPIWH_QUALICHARGE_USER", "OCPIWH_QUALICHARGE_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OCPIWH_QUALICHARGE_PASSWORD", "hunter2-pw")
    with pytest.raises(UsageError) as missing:
        load_credentials(None)
    assert "hunter2-pw" not in str(missing.value) and "OCPIWH_QUALICHARGE_URL" in str(missing.value)
    monkeypatch.setenv("OCPIWH_QUALICHARGE_URL", "http://h:1/api/v1/")
    monkeypatch.setenv("OCPIWH_QUALICHARGE_USER", "u")
    assert load_credentials(None).url == "http://h:1"
