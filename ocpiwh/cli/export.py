"""``ocpiwh export`` (any model or view to a file, with manifest) and ``ocpiwh irve validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ocpiwh import irve
from ocpiwh.cli.app import app
from ocpiwh.cli.common import MaxSessionAgeDays, err, out, parse_params, progress, state
from ocpiwh.errors import OcpiwhError
from ocpiwh.export import ExportResult, export
from ocpiwh.irve.init import fix_hints
from ocpiwh.irve.validate import ValidationReport

MAX_RULE_LINES = 15

irve_app = typer.Typer(
    name="irve",
    help=(
        "IRVE / QualiCharge files: validate a CSV against the official Table Schema (and "
        "QualiCharge's rules). Export them with `ocpiwh export irve_statique --out irve.csv`.\n\n"
        "Example: `ocpiwh irve validate irve.csv --schema statique`"
    ),
    no_args_is_help=True,
)
app.add_typer(irve_app)


@app.command("export")
def export_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model (`ocpiwh models list`) or view to export.")],
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Target file (or folder with --partition-by).")
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, parquet or jsonl (also: json). Default: from the suffix of --out "
            "(.csv .parquet .jsonl .ndjson .json); any other suffix needs --format.",
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE model parameter (repeatable)."),
    ] = None,
    partition_by: Annotated[
        list[str] | None,
        typer.Option(
            "--partition-by", help="Parquet only: hive partitions by COLUMN (repeatable)."
        ),
    ] = None,
    allow_pseudonymous: Annotated[
        bool,
        typer.Option(
            "--allow-pseudonymous", help="Allow columns derived from pseudonymized fields."
        ),
    ] = False,
    keep_invalid: Annotated[
        bool, typer.Option("--keep-invalid", help="IRVE exports: keep rows failing validation.")
    ] = False,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="IRVE validation: qualicharge (schema + QualiCharge rules) or irve (schema only).",
        ),
    ] = "qualicharge",
    max_age_days: MaxSessionAgeDays = None,
    max_status_age_days: Annotated[
        float | None,
        typer.Option(
            "--max-status-age-days",
            help="irve_dynamique_events: oldest status accepted, in days (default \\[irve] status_max_age_days, else 1, as QualiCharge).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="afir_status: a delta of the refill points changed since this time, or since a previous publication (its file).",
        ),
    ] = None,
) -> None:
    """Export a model or view to CSV, Parquet or JSON lines, atomically, with a manifest.

    Writes OUT (temporary file, then rename: never half a file) and `OUT.manifest.json`
    (sources, last sync, OCPI versions, SQL hash, parameters, privacy fingerprints, rows,
    sha256). IRVE/QualiCharge models are validated against the official Table Schema:
    invalid rows are left out and listed in `OUT.report.csv`.

    With `-q` (before the command) nothing but errors is printed; on a terminal, the
    current step and the elapsed time show on stderr while it runs.

    Example: `ocpiwh export irve_statique --out irve.csv` or
    `ocpiwh export qualicharge_sessions --out sessions.jsonl --param from=2026-03-01`

    AFIR (DATEX II, docs/afir.md): `ocpiwh export afir_table --out table.json`,
    `ocpiwh export afir_status --out status.json [--since previous-status.json]`.
    """
    quiet = state(ctx).quiet
    with progress(f"export {name}", enabled=not quiet) as step:
        result = export(
            state(ctx).warehouse,
            name,
            out_path,
            fmt,
            params=parse_params(param),
            partition_by=partition_by,
            allow_pseudonymous=allow_pseudonymous,
            keep_invalid=keep_invalid,
            profile=profile,
            max_session_age_days=max_age_days,
            max_status_age_days=max_status_age_days,
            on_step=step,
            since=since,
        )
    if not quiet:
        print_summary(result, keep_invalid)
    report = result.validation
    if report is not None and report.rows and not report.valid:
        err.print(f"error: no valid row in {result.out.name}; what would fix most rows:")
        for hint in fix_hints(report):
            err.print(f"  {escape(hint)}")
        err.print("  `ocpiwh irve init` writes these keys and a per-station overrides CSV to fill")
        raise typer.Exit(1)


def print_summary(result: ExportResult, keep_invalid: bool) -> None:
    """One screen: what was written, and rows valid/invalid per rule."""
    out.print(f"{result.name} → {result.out} ({result.format}, {result.rows:,} rows)")
    if result.pseudonymous:
        out.print(f"pseudonymous columns exported: {', '.join(result.pseudonymous)}")
    report = result.validation
    if report is not None:
        fate = "kept (--keep-invalid)" if keep_invalid else "left out"
        old = f", {report.too_old:,} too old to submit" if report.too_old else ""
        out.print(
            f"validated against {report.schema} ({report.profile}): {report.valid:,} valid, "
            f"{report.invalid:,} invalid{old} ({fate})"
        )
        for note in report.age_limits():
            out.print(f"too old: {escape(note)}")
        _rules_table(report, more=f"in {result.report_path}")
        out.print(f"report: {result.report_path}")
    out.print(f"manifest: {result.manifest_path}")
    for warning in result.warnings:
        err.print(f"warning: {escape(warning)}")


def _rules_table(report: ValidationReport, *, more: str) -> None:
    """Rows failing each rule (the first MAX_RULE_LINES); ``more`` says where the rest are."""
    rules = report.by_rule()
    if not rules:
        return
    grid = Table("rule", "field", "rows", show_lines=False)
    grid.columns[2].justify = "right"
    for rule, field, n in rules[:MAX_RULE_LINES]:
        grid.add_row(escape(rule), escape(field), f"{n:,}")
    out.print(grid)
    if len(rules) > MAX_RULE_LINES:
        out.print(f"… {len(rules) - MAX_RULE_LINES} more rules {more}")


@irve_app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument(help="CSV file (UTF-8, comma-separated, header row).")],
    schema: Annotated[
        str, typer.Option("--schema", "-s", help="statique, dynamique or sessions.")
    ] = "statique",
    profile: Annotated[
        str, typer.Option("--profile", help="qualicharge (schema + QualiCharge rules) or irve.")
    ] = "qualicharge",
    report_out: Annotated[
        Path | None,
        typer.Option("--report", help="Write the failures (row, key, field, rule, value) as CSV."),
    ] = None,
    max_age_days: Annotated[
        float | None,
        typer.Option("--max-age-days", help="sessions: oldest start accepted, in days (15)."),
    ] = None,
    max_status_age_days: Annotated[
        float | None,
        typer.Option(
            "--max-status-age-days",
            help="dynamique: oldest horodatage accepted, in days (default: not checked; QualiCharge's push: 1).",
        ),
    ] = None,
) -> None:
    """Validate a CSV against an IRVE Table Schema (+ QualiCharge's rules); exit 1 if invalid.

    Example: `ocpiwh irve validate irve.csv --schema statique --profile irve`
    """
    report = irve.validate(
        path,
        schema,
        profile=profile,
        max_session_age_days=max_age_days if max_age_days else 15.0,
        max_status_age_days=max_status_age_days,
    )
    if report.rows == 0:
        raise OcpiwhError(
            f"{path} has no data rows: nothing was validated",
            hint="an IRVE file needs one row per point de recharge after the header",
        )
    old = f", {report.too_old:,} too old to submit" if report.too_old else ""
    out.print(
        f"{path}: {report.rows:,} row{'s' if report.rows != 1 else ''}, {report.valid:,} valid, "
        f"{report.invalid:,} invalid{old} ({report.schema}, {report.profile})"
    )
    for note in report.age_limits():
        out.print(f"too old: {escape(note)}")
    _rules_table(
        report, more=f"in {report_out}" if report_out else "(--report FILE lists every failure)"
    )
    if report_out is not None:
        report.write_csv(report_out)
        err.print(f"report: {report_out}")
    if not report.ok:
        raise typer.Exit(1)
