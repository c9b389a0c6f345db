from __future__ import annotations

import base64
import logging
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ocpiwh.errors import AuthError, OcpiError, TransportError, UsageError
from ocpiwh.ocpi import OcpiClient, RetryPolicy

from .fakes import TOKEN, Recorder, Sleeps, envelope

MakeClient = Callable[..., OcpiClient]
B64 = base64.b64encode(TOKEN.encode()).decode()
URL = "http://cpo.example/ocpi/2.2.1/locations"


def auth_of(req: httpx.Request) -> str:
    return req.headers["Authorization"]


def accept_only(encoded: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(req: httpx.Request) -> httpx.Response:
        if auth_of(req) != f"Token {encoded}":
            return envelope(None, 2000, http_status=401, status_message="Unauthorized")
        return envelope([])

    return answer


def assert_no_token(exc: BaseException) -> None:
    text = " ".join(
        [
            str(exc),
            repr(exc),
            repr(exc.args),
            getattr(exc, "hint", "") or "",
            *traceback.format_exception(exc),
        ]
    )
    assert TOKEN not in text
    assert B64 not in text


# -- auth -------------------------------------------------------------------------------


def test_base64_for_22_with_padding_and_no_newline(make_client: MakeClient) -> None:
    rec = Recorder(accept_only(B64))
    client = make_client(rec, version="2.2.1")
    client.get(URL, module="locations")
    assert auth_of(rec.requests[0]) == f"Token {B64}"
    assert base64.b64decode(B64) == TOKEN.encode()
    assert client.auth_mode_used == "base64"


def test_base64_encodes_utf8_with_padding(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec, token="example-token", version="2.3.0")
    client.get(URL)
    assert auth_of(rec.requests[0]) == "Token ZXhhbXBsZS10b2tlbg=="


def test_plain_for_211_and_unknown_version(make_client: MakeClient) -> None:
    for version in ("2.1.1", None):
        rec = Recorder(accept_only(TOKEN))
        client = make_client(rec, version=version)
        client.get(URL)
        assert [auth_of(r) for r in rec.requests] == [f"Token {TOKEN}"]
        assert client.auth_mode_used == "plain"


def test_auto_falls_back_once_and_remembers(make_client: MakeClient) -> None:
    rec = Recorder(accept_only(TOKEN))  # a 2.2.1 platform that wants the plain token
    client = make_client(rec, version="2.2.1")
    client.get(URL, module="locations")
    assert [auth_of(r) for r in rec.requests] == [f"Token {B64}", f"Token {TOKEN}"]
    assert client.auth_mode_used == "plain"
    client.get(URL, module="locations")
    assert auth_of(rec.requests[2]) == f"Token {TOKEN}"
    assert len(rec.requests) == 3
    assert client.stats.retries_by_reason == {"auth": 1}


def test_auto_falls_back_to_base64_when_version_unknown(make_client: MakeClient) -> None:
    rec = Recorder(accept_only(B64))
    client = make_client(rec)
    client.get(URL)
    assert [auth_of(r) for r in rec.requests] == [f"Token {TOKEN}", f"Token {B64}"]
    assert client.auth_mode_used == "base64"
    client.version = "2.1.1"  # proven by a fallback: kept even though 2.1.1 prefers plain
    client.get(URL)
    assert auth_of(rec.requests[-1]) == f"Token {B64}"


def test_weak_guess_before_version_is_known_is_reconsidered(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([]))  # public versions endpoint: accepts anything
    client = make_client(rec)
    client.get(URL, module="versions")
    assert client.auth_mode_used == "plain"
    client.version = "2.2.1"
    client.get(URL, module="locations")
    assert auth_of(rec.requests[-1]) == f"Token {B64}"


@pytest.mark.parametrize("mode", ["base64", "plain"])
def test_explicit_mode_never_falls_back(make_client: MakeClient, mode: str) -> None:
    rec = Recorder(lambda r: envelope(None, 2000, http_status=401))
    client = make_client(rec, version="2.2.1", auth_mode=mode)
    with pytest.raises(AuthError) as info:
        client.get(URL)
    assert len(rec.requests) == 1
    expected = B64 if mode == "base64" else TOKEN
    assert auth_of(rec.requests[0]) == f"Token {expected}"
    assert_no_token(info.value)


def test_401_with_both_encodings_is_auth_error_without_token(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ocpiwh")
    echo = f"unknown token {TOKEN} / {B64}"  # a careless server echoing the token
    rec = Recorder(lambda r: envelope(None, 2000, http_status=401, status_message=echo))
    client = make_client(rec, version="2.2.1")
    with pytest.raises(AuthError) as info:
        client.get(URL + f"?t={TOKEN}")
    err = info.value
    assert len(rec.requests) == 2
    assert "HTTP 401" in str(err) and "refused the token" in str(err)
    assert err.hint is not None and "Token A" in err.hint and "OCPIWH_TOKEN" in err.hint
    assert err.http_status == 401
    assert_no_token(err)
    assert err.__cause__ is None and err.__context__ is None
    assert TOKEN not in caplog.text and B64 not in caplog.text
    assert TOKEN not in repr(client) and B64 not in repr(client)


def test_server_message_echoing_token_is_redacted(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope(None, 2001, status_message=f"bad token {TOKEN}"))
    client = make_client(rec, version="2.1.1")
    with pytest.raises(OcpiError) as info:
        client.get(URL)
    assert "2001" in str(info.value)
    assert_no_token(info.value)


def test_bad_tokens_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        OcpiClient("")
    with pytest.raises(UsageError) as info:
        OcpiClient("abc def")
    assert "abc def" not in str(info.value)
    with pytest.raises(UsageError):
        OcpiClient(TOKEN, auth_mode="weird")  # type: ignore[arg-type]


# -- headers ----------------------------------------------------------------------------


def test_request_ids_are_fresh_uuid4(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec, version="2.1.1")
    client.get(URL)
    client.get(URL)
    ids = set()
    for req in rec.requests:
        for name in ("X-Request-ID", "X-Correlation-ID"):
            value = req.headers[name]
            assert uuid.UUID(value).version == 4
            ids.add(value)
    assert len(ids) == 4


ROUTING = (
    "OCPI-from-country-code",
    "OCPI-from-party-id",
    "OCPI-to-country-code",
    "OCPI-to-party-id",
)


@pytest.mark.parametrize(
    ("version", "module", "expected"),
    [
        ("2.2.1", "locations", True),
        ("2.3.0", "sessions", True),
        ("2.2.1", "credentials", False),
        ("2.2.1", "versions", False),
        ("2.2.1", None, False),
        ("2.1.1", "locations", False),
    ],
)
def test_routing_headers(
    make_client: MakeClient, version: str, module: str | None, expected: bool
) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec, version=version, from_party=("NL", "OWH"), to_party=("FR", "CPO"))
    client.get(URL, module=module)
    headers = rec.requests[0].headers
    if expected:
        assert [headers[h] for h in ROUTING] == ["NL", "OWH", "FR", "CPO"]
    else:
        assert not any(h in headers for h in ROUTING)


def test_routing_headers_only_when_known(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec, version="2.2.1", from_party=("NL", "OWH"))
    client.get(URL, module="cdrs")
    headers = rec.requests[0].headers
    assert headers["OCPI-from-party-id"] == "OWH"
    assert "OCPI-to-party-id" not in headers


def test_datetime_params_are_formatted(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec, version="2.2.1")
    since = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    client.get(URL, {"date_from": since, "limit": 10, "skip": None})
    assert rec.requests[0].url.params["date_from"] == "2026-01-01T12:00:00Z"
    assert rec.requests[0].url.params["limit"] == "10"
    assert "skip" not in rec.requests[0].url.params


# -- envelope ---------------------------------------------------------------------------


def test_response_fields(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([{"id": "1"}], 1000, headers={"X-Total-Count": "1"}))
    client = make_client(rec, version="2.2.1")
    resp = client.get(URL)
    assert resp.data == [{"id": "1"}]
    assert resp.status_code == 1000
    assert resp.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert resp.headers["x-total-count"] == "1"
    assert resp.raw_size == len(rec.requests and envelope([{"id": "1"}]).content)
    assert resp.url == URL
    assert client.stats.requests == 1 and client.stats.bytes == resp.raw_size


def test_ocpi_error_on_http_200(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope(None, 2001, status_message="Missing date_from"))
    client = make_client(rec, version="2.2.1")
    with pytest.raises(OcpiError) as info:
        client.get(URL)
    err = info.value
    assert not isinstance(err, TransportError | AuthError)
    assert err.ocpi_status == 2001 and err.http_status == 200
    assert "2001" in str(err) and "Missing date_from" in str(err)
    assert "\n" not in str(err)
    assert len(rec.requests) == 1  # not retried


@pytest.mark.parametrize(
    "body",
    [b"<html>hello</html>", b"", b'{"foo": 1}', b"[1, 2]", b'{"status_code": "abc"}'],
)
def test_not_an_ocpi_endpoint(make_client: MakeClient, body: bytes) -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=body))
    client = make_client(rec)
    with pytest.raises(OcpiError) as info:
        client.get("http://example.com/")
    assert "is not an OCPI endpoint (no OCPI envelope in the response)" in str(info.value)
    assert info.value.hint


def test_404_names_the_path(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: httpx.Response(404, text="nope"))
    client = make_client(rec)
    with pytest.raises(OcpiError) as info:
        client.get("http://cpo.example/ocpi/cpo/2.2.1/tariffs?offset=0")
    assert "/ocpi/cpo/2.2.1/tariffs" in str(info.value)
    assert "404" in str(info.value)
    assert info.value.http_status == 404


def test_http_error_with_ocpi_body(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope(None, 2001, http_status=400, status_message="bad limit"))
    client = make_client(rec)
    with pytest.raises(OcpiError) as info:
        client.get(URL)
    assert "HTTP 400" in str(info.value) and "2001" in str(info.value)


def test_connection_refused_is_transport_error(make_client: MakeClient) -> None:
    rec = Recorder()
    rec.queue.append(httpx.ConnectError("[Errno 111] Connection refused"))
    client = make_client(rec)
    with pytest.raises(TransportError) as info:
        client.get(URL)
    assert str(info.value).startswith("cannot reach cpo.example: ")
    assert info.value.hint == "check the URL and that the platform is running"
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert len(rec.requests) == 1


def test_connection_refused_after_success_is_retried(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec)
    client.get(URL)
    rec.queue.append(httpx.ConnectError("refused"))
    client.get(URL)
    assert client.stats.retries_by_reason == {"connect": 1}


def test_real_connection_refused() -> None:
    with (
        OcpiClient(TOKEN, retry=RetryPolicy(sleep=lambda s: None)) as client,
        pytest.raises(TransportError) as info,
    ):
        client.get("http://127.0.0.1:9/ocpi/versions")
    assert "cannot reach 127.0.0.1" in str(info.value)


def test_invalid_url_is_usage_error(make_client: MakeClient) -> None:
    client = make_client(Recorder())
    with pytest.raises(UsageError):
        client.get("ftp://cpo.example/x")


# -- retries ----------------------------------------------------------------------------


def test_429_honours_retry_after_seconds(make_client: MakeClient, sleeps: Sleeps) -> None:
    rec = Recorder(lambda r: envelope([]))
    rec.queue.append(httpx.Response(429, headers={"Retry-After": "7"}))
    client = make_client(rec)
    resp = client.get(URL)
    assert resp.data == []
    assert sleeps == [7.0]
    assert client.stats.throttled == 1
    assert client.stats.retries == 1 and client.stats.retries_by_reason == {"429": 1}


def test_retry_after_http_date_and_cap(make_client: MakeClient, sleeps: Sleeps) -> None:
    rec = Recorder(lambda r: envelope([]))
    when = datetime.now(UTC) + timedelta(seconds=20)
    rec.queue.append(httpx.Response(503, headers={"Retry-After": format_datetime(when, True)}))
    rec.queue.append(httpx.Response(429, headers={"Retry-After": "3600"}))
    client = make_client(rec)
    client.get(URL)
    assert 15 < sleeps[0] <= 20
    assert sleeps[1] == 30.0  # capped by max_delay
    assert client.stats.retries_by_reason == {"503": 1, "429": 1}


def test_backoff_is_exponential_and_capped(make_client: MakeClient, sleeps: Sleeps) -> None:
    rec = Recorder(lambda r: httpx.Response(503))
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=5.0, jitter=False, sleep=sleeps)
    client = make_client(rec, retry=policy)
    with pytest.raises(TransportError) as info:
        client.get(URL + "?date_from=2026-01-01")
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert str(info.value).startswith("gave up on /ocpi/2.2.1/locations after 6 attempts: ")
    assert "503" in str(info.value)
    assert len(rec.requests) == 6


def test_full_jitter_stays_within_bounds() -> None:
    import random

    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, rng=random.Random(1))
    for attempt in range(1, 10):
        d = policy.delay(attempt)
        assert 0 <= d <= min(8.0, 2 ** (attempt - 1))


def test_max_total_bounds_the_wait(make_client: MakeClient, sleeps: Sleeps) -> None:
    rec = Recorder(lambda r: httpx.Response(429, headers={"Retry-After": "25"}))
    policy = RetryPolicy(max_total=60.0, jitter=False, sleep=sleeps)
    client = make_client(rec, retry=policy)
    with pytest.raises(TransportError):
        client.get(URL)
    assert sleeps == [25.0, 25.0]  # a third 25 s wait would exceed the 60 s budget
    assert len(rec.requests) == 3


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "connection",
        ),
        (httpx.ReadError("Connection reset by peer"), "connection"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
    ],
)
def test_transient_transport_failures_are_retried(
    make_client: MakeClient, exc: Exception, reason: str
) -> None:
    rec = Recorder(lambda r: envelope([{"id": "x"}]))
    rec.queue.extend([exc, exc])
    client = make_client(rec)
    assert client.get(URL).data == [{"id": "x"}]
    assert client.stats.retries_by_reason == {reason: 2}


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_retried(make_client: MakeClient, status: int) -> None:
    rec = Recorder(lambda r: envelope([]))
    rec.queue.append(httpx.Response(status))
    client = make_client(rec)
    client.get(URL)
    assert client.stats.retries_by_reason == {str(status): 1}


def test_exhaustion_on_dropped_connections(make_client: MakeClient) -> None:
    def boom(req: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection")

    client = make_client(Recorder(boom), retry=RetryPolicy(max_attempts=3, sleep=lambda s: None))
    with pytest.raises(TransportError) as info:
        client.get(URL)
    assert "after 3 attempts" in str(info.value) and "connection dropped" in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_other_4xx_not_retried(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: httpx.Response(400, text="bad"))
    client = make_client(rec)
    with pytest.raises(OcpiError):
        client.get(URL)
    assert len(rec.requests) == 1


def test_403_is_auth_error(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: httpx.Response(403))
    client = make_client(rec)
    with pytest.raises(AuthError) as info:
        client.get(URL)
    assert "403" in str(info.value)
    assert len(rec.requests) == 1


def test_logs_have_request_id_and_no_token(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ocpiwh.ocpi")
    rec = Recorder(lambda r: envelope([]))
    rec.queue.append(httpx.Response(503))
    client = make_client(rec, version="2.2.1")
    client.get("http://user:pw@cpo.example/ocpi/2.2.1/locations")
    text = caplog.text
    assert rec.requests[-1].headers["X-Request-ID"] in text
    assert "HTTP 200" in text and "pw@" not in text
    assert TOKEN not in text and B64 not in text
