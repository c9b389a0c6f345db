"""OCPI protocol client: HTTP with auth/retries/throttling, discovery, paging.

The rest of ocpiwh (sync, login, CLI) uses these names::

    from ocpiwh.ocpi import (OcpiClient, RetryPolicy, discover, Page, crawl_window, CrawlStats,
                             SUPPORTED_VERSIONS, format_ocpi_datetime, parse_ocpi_datetime)

Behaviour worth knowing when calling this package:

* ``OcpiClient.get`` acquires ``client.throttle`` (an AIMD limiter) around every HTTP
  attempt and feeds it 429s/successes. The limiter is re-entrant per thread, so a worker may
  also hold ``with client.throttle:`` around a call; it is never held during backoff sleeps
  taken inside ``get`` unless the worker holds it itself.
* ``auth_mode="auto"``: the version's encoding first, one retry with the other on HTTP 401,
  then the working one is remembered (``client.auth_mode_used``). Persist it and pass it back
  as ``auth_mode`` next time to skip the probe (explicit modes never fall back).
* ``discover`` sets ``client.version`` to the chosen version and, if ``client.to_party`` was
  unset, to the platform's CPO party learned from its credentials endpoint.
* Connect failures (refused, DNS) fail at once with ``TransportError("cannot reach …")``
  for a host never reached; once a host has answered, they are retried like dropped
  connections. ``RetryPolicy(sleep=...)`` makes waits injectable for tests.
* ``crawl_window`` keeps every page it receives and pages against a frontier: when
  ``X-Total-Count`` shrinks (objects left a frozen window), the frontier moves back by the
  shrink and the next request goes below it; it never restarts from offset 0, and fails only
  when the frontier stops advancing (``ocpiwh.ocpi.frontier``). ``prepare`` runs in the
  worker that fetched the page. Pages reached through an opaque ``Link`` without an
  ``offset`` parameter cannot be stepped back (a warning is logged). ``crawl`` is the
  sequential form, through the same code (no caller in ocpiwh: tests and scripts).
"""

from __future__ import annotations

from .datetimes import format_ocpi_datetime, parse_ocpi_datetime
from .discovery import Connection, Endpoint, discover, parse_party
from .http import AuthMode, ClientStats, OcpiClient, Response
from .paging import CrawlStats, Page, crawl, crawl_window, parse_link_header
from .retry import AdaptiveLimiter, RetryPolicy, parse_retry_after
from .versions import SUPPORTED_VERSIONS, normalize_version

__all__ = [
    "SUPPORTED_VERSIONS",
    "AdaptiveLimiter",
    "AuthMode",
    "ClientStats",
    "Connection",
    "CrawlStats",
    "Endpoint",
    "OcpiClient",
    "Page",
    "Response",
    "RetryPolicy",
    "crawl",
    "crawl_window",
    "discover",
    "format_ocpi_datetime",
    "normalize_version",
    "parse_link_header",
    "parse_ocpi_datetime",
    "parse_party",
    "parse_retry_after",
]
