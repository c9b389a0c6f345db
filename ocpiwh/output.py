"""The one output layer of ``sql``, ``models run``, ``export`` (and any command printing rows).

    fmt = resolve_format(None, Path("e.parquet"))     # "parquet": from the suffix
    write(table, fmt, Path("e.parquet"))              # atomic: temporary file, then rename

Rules, the same everywhere:

* the format is ``--format`` if given, else the suffix of ``--out`` (``.csv``, ``.parquet``,
  ``.jsonl``/``.ndjson``/``.json`` for JSON lines), else — on stdout — a readable table;
  an unknown suffix is refused (never a guess), and a text table never goes into a file;
* times are ISO 8601 UTC with a ``Z``: ``2026-06-01T08:00:00Z`` (fractional seconds only
  when a file's column has some); columns without a time zone are UTC too (every
  connection runs in UTC);
* numbers are exact in files (CSV, JSON and Parquet keep every digit), rounded and
  right-aligned in tables; intervals are ISO 8601 durations (``PT1H30M``).
"""

from __future__ import annotations

import contextlib
import decimal
import io
import math
import os
import secrets
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from ocpiwh.errors import OcpiwhError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported by the functions that handle Arrow data, not here: a `sql` printing
# a few rows as a table (print_rows) runs without it.

FORMATS: tuple[str, ...] = ("table", "csv", "jsonl", "parquet")
"""``table`` is for people (stdout only); the others are files or pipes."""
FILE_FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")
ALIASES: dict[str, str] = {"json": "jsonl", "ndjson": "jsonl"}
"""``--format json`` means JSON lines, one object per row (older spelling, still accepted)."""
SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
TABLE_MAX_ROWS = 50
"""Rows the ``table`` format prints; a footer tells how many were left out."""
FORMAT_HELP = (
    "table (stdout only, first 50 rows), csv, jsonl (JSON lines; also: json) or parquet. "
    "Default: from the suffix of --out (.csv .parquet .jsonl .ndjson .json), else table."
)


def _canonical(fmt: str) -> str:
    name = fmt.strip().lower()
    name = ALIASES.get(name, name)
    if name not in FORMATS:
        raise UsageError(
            f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}",
            hint="json means JSON lines",
        )
    return name


def format_from_suffix(out: Path) -> str:
    """The file format ``out``'s suffix names; anything else is refused in one line."""
    fmt = SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        shown = f"suffix {out.suffix!r}" if out.suffix else "no suffix"
        raise UsageError(
            f"cannot tell the format of {out.name} ({shown})",
            hint=f"name it {' '.join('*' + s for s in SUFFIXES)}, or pass --format "
            + "|".join(FILE_FORMATS),
        )
    return fmt


def resolve_format(fmt: str | None, out: Path | None) -> str:
    """The format to write: ``fmt`` if given, else from ``out``'s suffix, else ``table``.

    A table never goes into a file, and a format contradicting a known suffix
    (``--format csv --out x.parquet``) is refused rather than producing a misnamed file.
    """
    if fmt is None:
        return "table" if out is None else format_from_suffix(out)
    name = _canonical(fmt)
    if out is None:
        if name == "parquet":
            raise UsageError("--format parquet needs --out FILE (Parquet is binary)")
        return name
    if name == "table":
        raise UsageError(
            "a text table is not written to files",
            hint="drop --format to take it from the suffix of --out, or pick csv, jsonl, parquet",
        )
    named = SUFFIXES.get(out.suffix.lower())
    if named is not None and named != name:
        raise UsageError(f"--format {name} contradicts the suffix of {out.name} ({named})")
    return name


# -- values as text -------------------------------------------------------------------------


def iso_utc(value: datetime, *, fraction: bool = True) -> str:
    """``2026-06-01T08:00:00Z``; microseconds only when non-zero and ``fraction``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if not fraction or value.microsecond == 0:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _number(value: float | decimal.Decimal) -> str:
    """Up to 3 decimals, no trailing zeros, no exponent for ordinary magnitudes."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    number = float(value)
    if number == 0:
        return "0"
    if abs(number) < 0.001:
        return f"{number:.3g}"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def iso_duration(value: Any) -> str:
    """An interval (DuckDB INTERVAL: months, days, nanoseconds) as ISO 8601: ``P1DT1H30M``."""
    if isinstance(value, timedelta):
        months, days, nanos = 0, value.days, (value.seconds * 10**6 + value.microseconds) * 1000
    else:
        months, days, nanos = int(value.months), int(value.days), int(value.nanoseconds)
    date_part = (f"{months}M" if months else "") + (f"{days}D" if days else "")
    hours, rest = divmod(abs(nanos), 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{rest / 10**9:.9f}".rstrip("0").rstrip(".")
    sign = "-" if nanos < 0 else ""
    time_part = (
        (f"{sign}{hours}H" if hours else "")
        + (f"{sign}{minutes}M" if minutes else "")
        + (f"{sign}{seconds}S" if rest else "")
    )
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + ("T" + time_part if time_part else "")


def _is_interval(value: Any) -> bool:
    return isinstance(value, timedelta) or type(value).__name__ == "MonthDayNano"


def cell(value: Any) -> str:
    """A value as a table shows it (files keep the exact value)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | decimal.Decimal):
        return _number(value)
    if isinstance(value, datetime):
        return iso_utc(value, fraction=False)
    if isinstance(value, date | time):
        return value.isoformat()
    if _is_interval(value):
        return iso_duration(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=_json_default).decode()
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return orjson.Fragment(str(value))  # exact digits, as a JSON number
    if _is_interval(value):
        return iso_duration(value)
    return str(value)


# -- writers --------------------------------------------------------------------------------


def write(
    table: pa.Table, fmt: str, out: Path | None = None, *, max_rows: int = TABLE_MAX_ROWS
) -> None:
    """Write ``table`` as ``fmt`` (from :func:`resolve_format`) to ``out``, or to stdout.

    Files are written beside the target under a temporary name, then renamed: a failure
    leaves the old file (or none), never half of one.
    """
    fmt = _canonical(fmt)
    if out is None:
        if fmt == "parquet":
            raise UsageError("--format parquet needs --out FILE (Parquet is binary)")
        if fmt == "table":
            print_table(table, max_rows=max_rows)
            return
        _write_text(table, fmt, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if fmt == "table":
        raise UsageError("a text table is not written to files")
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp, compression="zstd")
        else:
            with tmp.open("wb") as sink:
                _write_text(table, fmt, sink)
        os.replace(tmp, out)
    except OSError as exc:  # the --out path, not the warehouse: say which file
        reason = exc.strerror or str(exc)
        if exc.filename and Path(exc.filename) not in (out, tmp):
            reason += f" ({exc.filename})"  # a folder on the way
        raise OcpiwhError(f"cannot write {out}: {reason}", hint="check --out") from None
    finally:
        with contextlib.suppress(OSError):  # already renamed, or never created
            tmp.unlink()


def _write_text(table: pa.Table, fmt: str, sink: IO[bytes]) -> None:
    if fmt == "csv":
        _write_csv(table, sink)
    else:
        _write_jsonl(table, sink)


def _write_jsonl(table: pa.Table, sink: IO[bytes]) -> None:
    for batch in table.to_batches():
        sink.write(jsonl_batch(batch))


def _times_as_iso(col: pa.Array, typ: pa.TimestampType) -> pa.Array:
    """Timestamps → ``2026-06-01T08:00:00Z`` text in Arrow, the fraction where a value has
    one (orjson's form): ``to_pylist`` would build a zoned ``datetime`` per value, the bulk
    of a JSON line's cost."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if typ.tz is not None:
        col = pc.cast(col, pa.timestamp(typ.unit))  # UTC wall time (Arrow stores UTC)
    whole = pc.strftime(pc.cast(col, pa.timestamp("s"), safe=False), format="%Y-%m-%dT%H:%M:%SZ")
    if typ.unit == "s":
        return whole
    per_second = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[typ.unit]
    fraction = pc.not_equal(pc.remainder(pc.cast(col, pa.int64()), per_second), 0)
    if not pc.any(fraction).as_py():
        return whole
    micro = pc.cast(col, pa.timestamp("us"), safe=False)
    return pc.if_else(fraction, pc.strftime(micro, format="%Y-%m-%dT%H:%M:%SZ"), whole)


def jsonl_batch(batch: pa.RecordBatch, embed: Iterable[str] = ()) -> bytes:
    """One record batch as JSON lines, the form of every ``jsonl`` output; written batch by
    batch, a result of any size streams in bounded memory. ``embed``: text columns holding
    JSON, written as JSON rather than as quoted strings."""
    import pyarrow as pa

    columns = [
        _times_as_iso(col, field.type) if pa.types.is_timestamp(field.type) else col
        for field, col in zip(batch.schema, batch.columns, strict=True)
    ]
    rows = pa.RecordBatch.from_arrays(columns, names=batch.schema.names).to_pylist()
    for c in [c for c in embed if c in batch.schema.names]:
        for row in rows:
            if row[c] is not None:
                row[c] = orjson.Fragment(row[c])
    opts = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
    dumps = orjson.dumps
    return b"".join([dumps(row, default=_json_default, option=opts) for row in rows])


def _timestamps_as_text(col: pa.ChunkedArray, typ: pa.TimestampType) -> pa.ChunkedArray:
    """ISO 8601 UTC with Z; the fraction only when some value of the column has one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if typ.tz is not None:
        col = pc.cast(col, pa.timestamp(typ.unit))  # UTC wall time (Arrow stores UTC)
    fraction = False
    if typ.unit != "s":
        per_second = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[typ.unit]
        ticks = pc.cast(col, pa.int64())
        fraction = bool(pc.any(pc.not_equal(pc.remainder(ticks, per_second), 0)).as_py())
        if not fraction:
            col = pc.cast(col, pa.timestamp("s"), safe=False)
    return pc.binary_join_element_wise(pc.strftime(col, format="%Y-%m-%dT%H:%M:%S"), "Z", "")


def _write_csv(table: pa.Table, sink: IO[bytes]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    cols = []
    for field, col in zip(table.schema, table.columns, strict=True):
        t = field.type
        if pa.types.is_timestamp(t):
            col = _timestamps_as_text(col, t)
        elif pa.types.is_interval(t) or pa.types.is_duration(t):
            col = pa.array([None if v is None else iso_duration(v) for v in col.to_pylist()])
        elif pa.types.is_nested(t):
            col = pa.array(_json_texts(col.to_pylist()), pa.string())  # CSV has no nested types
        cols.append(col)
    pcsv.write_csv(pa.table(cols, names=table.column_names), sink)


def _json_texts(values: Iterable[Any]) -> list[str | None]:
    opts = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z
    return [
        None if v is None else orjson.dumps(v, default=_json_default, option=opts).decode()
        for v in values
    ]


def _is_number(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def render_table(table: pa.Table, *, max_rows: int = TABLE_MAX_ROWS) -> tuple[Any, str]:
    """(rich Table of the first ``max_rows`` rows, footer line)."""
    return render_rows(
        table.schema.names,
        [_is_number(field.type) for field in table.schema],
        [tuple(row.values()) for row in table.slice(0, max_rows).to_pylist()],
        table.num_rows,
        max_rows=max_rows,
    )


def render_rows(
    names: list[str],
    numeric: list[bool],
    rows: list[tuple[Any, ...]],
    total: int,
    *,
    max_rows: int = TABLE_MAX_ROWS,
) -> tuple[Any, str]:
    """(rich Table, footer line) of ``rows`` (the first ``max_rows`` of ``total``) whose
    columns are ``names``, right-aligned where ``numeric``: the grid of every text table."""
    from rich.table import Table

    grid = Table(show_header=True, header_style="bold", show_lines=False)
    for name, number in zip(names, numeric, strict=True):
        grid.add_column(name, overflow="fold", justify="right" if number else "left")
    for row in rows[:max_rows]:
        grid.add_row(*(cell(v) for v in row))
    footer = f"{total} row{'s' if total != 1 else ''}"
    if total > max_rows:
        footer += f" (showing the first {max_rows}; use --format csv or --out FILE for all)"
    return grid, footer


def print_table(table: pa.Table, *, max_rows: int = TABLE_MAX_ROWS) -> None:
    """The readable grid on stdout (200 columns wide off a terminal, where rich would use 80)."""
    print_grid(*render_table(table, max_rows=max_rows))


def print_grid(grid: Any, footer: str) -> None:
    """A grid from :func:`render_rows` on stdout, as :func:`print_table` prints it."""
    from rich.console import Console

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    console.print(grid)
    console.print(footer, style="dim")


def table_text(table: pa.Table, *, max_rows: int = TABLE_MAX_ROWS) -> str:
    """The grid as plain text (tests, logs)."""
    from rich.console import Console

    grid, footer = render_table(table, max_rows=max_rows)
    buf = io.StringIO()
    console = Console(file=buf, highlight=False, width=200, no_color=True)
    console.print(grid)
    console.print(footer)
    return buf.getvalue()
