"""``ocpiwh check``: QualiCharge's data-quality rules over the warehouse (see docs/quality.md)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ocpiwh import quality
from ocpiwh.afir import compliance
from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, out, parse_params, progress, state
from ocpiwh.errors import UsageError
from ocpiwh.output import iso_utc
from ocpiwh.quality.checks import CheckReport, RuleResult

MAX_ITEMS = 5


@app.command("check")
def check_command(
    ctx: typer.Context,
    rules: Annotated[
        list[str] | None,
        typer.Argument(
            help="Rules (codes) or families (static, session, status, pdc, status-session); default: all."
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Window start (ISO date or time, UTC). Default: QualiCharge's (statuses: yesterday; sessions: the day 15 days ago).",
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Window end, exclusive (default: --from + 1 day).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="RULE.NAME=VALUE, e.g. DUPS.threshold=0.01 (repeatable)."
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Rules whose failure exits 1: RULE,RULE… | all | none | default (the rules QualiCharge's API enforces; or \\[quality] fail_on).",
        ),
    ] = None,
    json_out: Annotated[
        str | None,
        typer.Option("--json", help="Write the full report as JSON to FILE (`-`: stdout)."),
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="One line per operational unit, with flagged objects.")
    ] = False,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="qualicharge (QualiCharge's rules) or afir (per site, AFIR entries missing or stale: docs/afir.md).",
        ),
    ] = "qualicharge",
) -> None:
    """Run QualiCharge's data-quality rules per operational unit; exit 1 if a blocking rule fails.

    Example: `ocpiwh check --from 2026-03-01 --to 2026-03-08 --fail-on all --json report.json`
    or `ocpiwh check session -p DUPS.threshold=0.01` or `ocpiwh check --profile afir`
    """
    if profile == "afir":
        _check_afir(ctx, json_out, details)
        return
    if profile != "qualicharge":
        raise UsageError(f"--profile must be qualicharge or afir, got {profile!r}")
    with progress("check", enabled=not state(ctx).quiet) as step:
        report = quality.run_checks(
            state(ctx).warehouse,
            from_=from_,
            to=to,
            params=parse_params(param),
            rules=rules,
            fail_on=fail_on,
            step=step,
        )
    if json_out == "-":
        sys.stdout.write(report.to_json() + "\n")
    else:
        render(report, details)
        if json_out:
            Path(json_out).write_text(report.to_json() + "\n", encoding="utf-8")
            err.print(f"report: {json_out}")
    if not report.ok:
        raise typer.Exit(1)


def _check_afir(ctx: typer.Context, json_out: str | None, details: bool) -> None:
    with progress("check --profile afir", enabled=not state(ctx).quiet):
        report = compliance.check(state(ctx).warehouse)
    if json_out == "-":
        sys.stdout.write(report.to_json() + "\n")
    else:
        grid = Table("AFIR data types", "entry", "problem", "sites")
        grid.columns[3].justify = "right"
        for table, entry, problem, n in report.by_entry():
            grid.add_row(table, escape(entry), problem, f"{n:,}")
        out.print(
            f"AFIR: {report.sites:,} sites checked; last publications (feeds): "
            f"table {report.published['afir_table'] or 'none'}, "
            f"status {report.published['afir_status'] or 'none'}"
        )
        if report.findings:
            out.print(grid)
        if details:
            for f in report.findings:
                out.print(f"{escape(f.site_id)}: {escape(f.entry)} {f.problem} {escape(f.detail)}")
        if json_out:
            Path(json_out).write_text(report.to_json() + "\n", encoding="utf-8")
            err.print(f"report: {json_out}")
    if not report.ok:
        raise typer.Exit(1)


def _value(r: RuleResult, v: float | None) -> str:
    if v is None:
        return "–"
    if r.value_kind == "count" and float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:.4g}"


def render(report: CheckReport, details: bool = False) -> None:
    grid = Table("rule", "meaning", "fails when", "unit", "value", "flagged/checked", "result")
    for r in report.results:
        units = r.units or []
        if not units:
            grid.add_row(r.code, escape(r.meaning), escape(r.fails_when), "", "–", "", "no data")
            continue
        if not details:  # one line: the worst unit's value, the counts of all units
            worst = max(units, key=lambda u: (u.failed, u.value or 0))
            failing = sum(u.failed for u in units)
            unit = worst.unit if len(units) == 1 else f"{len(units)} units, worst {worst.unit}"
            result = _result(r.failed, r.blocking)
            if len(units) > 1 and failing:
                result += f" in {failing}/{len(units)} units"
            grid.add_row(
                r.code,
                escape(r.meaning),
                escape(r.fails_when),
                escape(unit),
                _value(r, worst.value),
                f"{r.flagged:,}/{r.checked:,}",
                result,
            )
            continue
        for u in units:
            grid.add_row(
                r.code,
                escape(r.meaning),
                escape(r.fails_when),
                escape(u.unit),
                _value(r, u.value),
                f"{u.flagged:,}/{u.checked:,}",
                _result(u.failed, r.blocking),
            )
            if u.items:
                more = f" … +{len(u.items) - MAX_ITEMS}" if len(u.items) > MAX_ITEMS else ""
                grid.add_row("", "", "", "", "", escape(", ".join(u.items[:MAX_ITEMS]) + more), "")
    out.print(grid)
    families: dict[tuple[str, str], list[str]] = {}
    for r in report.results:
        if r.window is not None:
            key = (iso_utc(r.window.start), iso_utc(r.window.end))
            names = families.setdefault(key, [])
            if r.family not in names:
                names.append(r.family)
    for (start, end), names in sorted(families.items()):
        which = "every rule" if len(families) == 1 else f"{', '.join(names)} rules"
        out.print(f"window of {which}: [{start}, {end})", soft_wrap=True)
    hint = _empty_window_hint(report)
    if hint:
        out.print(hint, soft_wrap=True)
    failed = [r.code for r in report.failed]
    blocking = [r.code for r in report.blocking_failures]
    out.print(
        f"{len(report.results)} rules, {len(failed)} failed"
        + (f": {', '.join(failed)}" if failed else "")
        + (f"; blocking: {', '.join(blocking)}" if blocking else "; none blocking")
    )
    if report.not_computable:
        out.print(
            "not computable here: "
            + ", ".join(f"{code} ({why})" for code, why in report.not_computable.items())
        )


def _result(failed: bool, blocking: bool) -> str:
    if not failed:
        return "[green]pass[/]"
    return "[red]FAIL[/] (blocking)" if blocking else "[red]FAIL[/]"


def _empty_window_hint(report: CheckReport) -> str | None:
    """What to run when QualiCharge's default windows miss the data (a new warehouse)."""
    empty = [r for r in report.results if r.window is not None and not r.units]
    if not (report.default_windows and empty):
        return None
    span = report.data_span
    if span is None:
        return "no data: the warehouse has no session or status change yet (run `ocpiwh sync`)"
    first, last = span.start.date(), span.end.date() + timedelta(days=1)
    return (
        f"{len(empty)} rule(s) without data in QualiCharge's default windows; the data runs "
        f"from {iso_utc(span.start)} to {iso_utc(span.end)}: "
        f"try `ocpiwh check --from {first} --to {last}`"
    )


indicators_app = typer.Typer(
    name="indicators",
    help=(
        "QualiCharge indicators (i1 i4 i7 t1 e4 u5 u6 u9 u10 u11 u12 u13 u14) in QualiCharge's "
        "row shape. Export one with `ocpiwh export ind_u10 --out u10.csv -p level=5`.\n\n"
        "Example: `ocpiwh indicators run u10 u9 --period d --level 5 --up w`"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(indicators_app)


@indicators_app.command("run")
def indicators_run(
    ctx: typer.Context,
    codes: Annotated[
        list[str] | None, typer.Argument(help="Indicator codes (default: all).")
    ] = None,
    period: Annotated[str, typer.Option("--period", help="d, w, m, q or y.")] = "d",
    level: Annotated[
        str,
        typer.Option(
            "--level",
            help="0 national, 1 region, 2 department, 3 EPCI, 4 commune, 5 operational unit, 6 aménageur.",
        ),
    ] = "0",
    from_: Annotated[str | None, typer.Option("--from", help="Window start (UTC).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Window end, exclusive (UTC).")] = None,
    up: Annotated[
        str | None,
        typer.Option("--up", help="Roll the rows up to w, m, q or y (QualiCharge's `up`)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json or parquet.")
    ] = "table",
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Write to FILE.")] = None,
) -> None:
    """Compute indicators over the warehouse (and optionally roll them up).

    Example: `ocpiwh indicators run u10 --period d --level 5 --from 2026-03-01 --to 2026-04-01 --up w`
    """
    from ocpiwh import output
    from ocpiwh.cli.query import check_format

    table = quality.run_indicators(
        state(ctx).warehouse, codes, period=period, level=level, from_=from_, to=to
    )
    if up:
        table = quality.roll_up(table, up)
    output.write(table, check_format(fmt, out_path), out_path)
