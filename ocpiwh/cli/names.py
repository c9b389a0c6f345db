"""Every top-level command: its name, the modules defining it, and its one-line summary.

The root command lists commands from this table and imports a command's modules only when
that command runs (or shows its own help): ``ocpiwh --help`` and ``ocpiwh sql`` do not pay
for the simulator, sync engine, sqlglot … of the others. ``tests/cli/test_names.py`` checks
the table against the commands the modules define (names, modules and summaries), so it
cannot drift. Order: the order ``ocpiwh --help`` lists them in.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    modules: tuple[str, ...]
    """Modules to import for the command to be registered on the root (all of them)."""
    summary: str
    """The first paragraph of the command's help, as ``ocpiwh --help`` shows it."""


COMMANDS: dict[str, Entry] = {
    "check": Entry(
        ("ocpiwh.cli.check",),
        "Run QualiCharge's data-quality rules per operational unit; exit 1 if a blocking rule fails.",
    ),
    "demo": Entry(
        ("ocpiwh.cli.demo",),
        "Run the whole pipeline on the bundled OCPI simulator and summarize what it produced.",
    ),
    "export": Entry(
        ("ocpiwh.cli.export",),
        "Export a model or view to CSV, Parquet or JSON lines, atomically, with a manifest.",
    ),
    "get": Entry(
        ("ocpiwh.cli.get",),
        "Write rows as JSON lines on standard output (one object per line, times in UTC).",
    ),
    "sql": Entry(
        ("ocpiwh.cli.query",),
        "Run SQL over the warehouse's views (locations, evses, connectors, sessions, cdrs, …).",
    ),
    "shell": Entry(
        ("ocpiwh.cli.shell",),
        "Open the DuckDB shell on warehouse.duckdb (refreshed first), from the warehouse folder.",
    ),
    "qualicharge-standin": Entry(
        ("ocpiwh.cli.push",),
        "Serve a local stand-in of the QualiCharge API (auth, bulk routes, PUT, validation\n"
        "errors in the API's shape) for tests and the demo. The password is read from\n"
        "`OCPIWH_QUALICHARGE_PASSWORD`. Every request is listed at `/_admin/requests`.",
    ),
    "login": Entry(
        ("ocpiwh.cli.sync",),
        "Connect to an OCPI platform, negotiate the version and record its Sender endpoints.",
    ),
    "sync": Entry(
        ("ocpiwh.cli.sync",),
        "Mirror the platform's Sender modules into the lake, incrementally.",
    ),
    "status": Entry(
        ("ocpiwh.cli.sync",),
        "Show sources, versions, endpoints, per-module windows and row counts, and the last run.",
    ),
    "compact": Entry(
        ("ocpiwh.cli.sync",),
        "Merge each partition's small files into one, keeping every row (history), atomically.",
    ),
    "simulate": Entry(
        ("ocpiwh.cli.simulate",),
        "Serve a simulated OCPI CPO platform (2.1.1, 2.2.1, 2.3.0) until Ctrl-C.",
    ),
    "indicators": Entry(
        ("ocpiwh.cli.check",),
        "QualiCharge indicators (i1 i4 i7 t1 e4 u5 u6 u9 u10 u11 u12 u13 u14) in QualiCharge's "
        "row shape. Export one with `ocpiwh export ind_u10 --out u10.csv -p level=5`.",
    ),
    "irve": Entry(
        ("ocpiwh.cli.export", "ocpiwh.cli.irve"),
        "IRVE / QualiCharge files: validate a CSV against the official Table Schema (and "
        "QualiCharge's rules). Export them with `ocpiwh export irve_statique --out irve.csv`.",
    ),
    "feed": Entry(
        ("ocpiwh.cli.feed",),
        "Feeds: deliver a model's new and changed rows (and tombstones of removed ones) to a "
        "consumer, one file per run, exactly once, from a cursor on the lake's commits. "
        "See docs/delivery.md.",
    ),
    "lake": Entry(
        ("ocpiwh.cli.lake",),
        "The Parquet lake on other engines: DDL for Spark or Trino (see docs/scale-out.md).",
    ),
    "models": Entry(
        ("ocpiwh.cli.models",),
        "Parameterized SQL models over the views: list, show, run, compile to other engines.",
    ),
    "privacy": Entry(
        ("ocpiwh.cli.privacy",),
        "Inspect what the privacy stage keeps, drops or pseudonymizes.",
    ),
    "push": Entry(
        ("ocpiwh.cli.push",),
        "Deliver the QualiCharge models to the QualiCharge API, each row once (a ledger in the "
        "warehouse remembers what was sent and what the API answered; docs/push.md).",
    ),
}
