"""OCPI protocol client: HTTP with auth/retries/throttling, discovery, paging.

The sync engine uses exactly these names::

    from ocpiwh.ocpi import (OcpiClient, AuthMode, RetryPolicy, Connection, Endpoint, discover,
                             Page, crawl, fetch_offsets, ClientStats, SUPPORTED_VERSIONS,
                             format_ocpi_datetime, parse_ocpi_datetime)
"""

from __future__ import annotations

from .datetimes import format_ocpi_datetime, parse_ocpi_datetime
from .discovery import Connection, Endpoint, discover, parse_party
from .http import AuthMode, ClientStats, OcpiClient, Response
from .paging import Page, crawl, fetch_offsets, parse_link_header
from .retry import AdaptiveLimiter, RetryPolicy, parse_retry_after
from .versions import SUPPORTED_VERSIONS, normalize_version

__all__ = [
    "SUPPORTED_VERSIONS",
    "AdaptiveLimiter",
    "AuthMode",
    "ClientStats",
    "Connection",
    "Endpoint",
    "OcpiClient",
    "Page",
    "Response",
    "RetryPolicy",
    "crawl",
    "discover",
    "fetch_offsets",
    "format_ocpi_datetime",
    "normalize_version",
    "parse_link_header",
    "parse_ocpi_datetime",
    "parse_party",
    "parse_retry_after",
]
