"""The raw lake's layout: which module is partitioned how, and the columns every file carries.

One place defines it so that the writer, the views and the docs cannot disagree.

    raw/<module>/source=<name>/part-<batch>-<n>.parquet                       locations, tariffs, tokens
    raw/<module>/source=<name>/year=<YYYY>/month=<MM>/part-<batch>-<i>.parquet sessions, cdrs (by start)
    raw/removed/source=<name>/part-<batch>.parquet       keys absent from a full listing (tombstones)
    quarantine/<module>/source=<name>/part-<batch>.parquet   objects that failed parsing, with reason

Every raw row carries the normalized columns of ``sql/normalize/<module>.sql`` plus the
lineage columns below; ``_raw`` is the whole object as JSON after the privacy stage.
"""

from __future__ import annotations

from ocpiwh import resources

PARTITIONED_BY_START: frozenset[str] = frozenset({"sessions", "cdrs"})
"""Partitioned by year/month of ``start_date_time`` (never ``last_updated``: every version of
a session must land in the same partition)."""

FULL_LISTING: frozenset[str] = frozenset({"locations", "tariffs", "tokens"})
"""Modules whose deletions show only as absence from a complete listing (``sync --full``)."""

KEY_COLUMNS: tuple[str, ...] = ("country_code", "party_id", "id")
"""Primary key of every module (tokens: ``id`` is the token uid, pseudonymized by default)."""

REMOVED = "removed"
QUARANTINE_COLUMNS: tuple[str, ...] = (
    "_source",
    "_batch_id",
    "_fetched_at",
    "_ocpi_version",
    "module",
    "reason",
    "payload",
    "url",
)


def module_glob(module: str) -> str:
    """Glob (relative to the warehouse folder) that reads every raw file of ``module``."""
    return f"raw/{module}/**/*.parquet"


def normalize_sql(module: str) -> str:
    """The SELECT that turns a batch of privacy-filtered objects into typed rows."""
    return (resources.sql_dir() / "normalize" / f"{module}.sql").read_text()


def normalize_macros() -> str:
    """Lenient scalar parsers (``ocpi_ts``, ``ocpi_num`` …) used by the normalize queries."""
    return (resources.sql_dir() / "normalize" / "_macros.sql").read_text()


UNPADDED_SEARCH_PATH = "ocpi_unpadded,main"
"""The typing's search path for a batch without padded strings (:func:`unpadded_macros`)."""


def unpadded_macros() -> str:
    """Schema ``ocpi_unpadded``: ``ocpi_str`` without ``trim``, for such batches."""
    return (resources.sql_dir() / "normalize" / "_unpadded.sql").read_text()
