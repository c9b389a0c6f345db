from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ocpiwh.ocpi import format_ocpi_datetime, parse_ocpi_datetime


def test_format() -> None:
    assert format_ocpi_datetime(datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)) == (
        "2026-03-04T05:06:07Z"
    )
    cet = timezone(timedelta(hours=1))
    assert format_ocpi_datetime(datetime(2026, 3, 4, 5, 6, 7, tzinfo=cet)) == (
        "2026-03-04T04:06:07Z"
    )
    assert format_ocpi_datetime(datetime(2026, 3, 4, 5, 6, 7)) == "2026-03-04T05:06:07Z"


def test_parse_lenient() -> None:
    expected = datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)
    for text in (
        "2015-06-29T20:39:09Z",
        "2015-06-29T20:39:09",
        "2015-06-29T20:39:09+00:00",
        "2015-06-29T22:39:09+02:00",
        "2015-06-29 20:39:09z",
        " 2015-06-29T20:39:09Z\r\n",
    ):
        assert parse_ocpi_datetime(text) == expected, text
    frac = parse_ocpi_datetime("2015-06-29T20:39:09.123456789Z")
    assert frac is not None and frac.microsecond == 123456
    assert parse_ocpi_datetime("2015-06-29T20:39:09.5") == expected.replace(microsecond=500000)
    for bad in (None, "", "yesterday", 12, "2015-13-01T00:00:00Z"):
        assert parse_ocpi_datetime(bad) is None


@given(st.datetimes(timezones=st.just(UTC)))
def test_roundtrip(dt: datetime) -> None:
    assert parse_ocpi_datetime(format_ocpi_datetime(dt)) == dt.replace(microsecond=0)
