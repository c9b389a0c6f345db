"""The ``ocpiwh`` command line: a thin shell over the library.

Each command group lives in its own module and registers itself on :data:`app`.
User mistakes and platform failures print one line and exit non-zero (2: usage, 1: failure).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from ocpiwh import __version__
from ocpiwh.cli.common import DEFAULT_WAREHOUSE, AppState, err, setup_logging
from ocpiwh.errors import OcpiwhError, os_error

app = typer.Typer(
    name="ocpiwh",
    help=(
        "Mirror a charge point operator's OCPI platform into a local Parquet lake and query it "
        "with SQL.\n\n"
        "Typical use: `ocpiwh login URL`, then `ocpiwh sync` (from cron, or `--watch`), then "
        '`ocpiwh sql "SELECT ..."` or `ocpiwh export ...`. Try `ocpiwh demo` first.'
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ocpiwh {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    warehouse: Annotated[
        str,
        typer.Option(
            "--warehouse",
            "-w",
            envvar="OCPIWH_WAREHOUSE",
            help="Warehouse folder (the lake), or s3://BUCKET/PREFIX on an S3-compatible "
            "object store (endpoint and credentials from the AWS_* environment variables).",
            show_default=True,
        ),
    ] = DEFAULT_WAREHOUSE,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logs (-vv: every request).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Global options."""
    setup_logging(verbose, quiet)
    ctx.obj = AppState(warehouse=warehouse, verbose=verbose, quiet=quiet)


def _register() -> None:
    """Attach every command group; each module owns its commands."""
    from ocpiwh.cli import commands  # noqa: F401  (registers on import)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: typer handles usage errors (exit 2) and --help; ocpiwh's own
    errors print one line (no traceback) and exit with their code."""
    _register()
    try:
        app(args=argv, prog_name="ocpiwh")
    except OcpiwhError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except OSError as exc:  # read-only folder, full disk, permission denied: not a bug
        if os.environ.get("OCPIWH_DEBUG"):
            raise
        error = os_error(exc)
        err.print(f"[bold red]error:[/] {escape(str(error))}", markup=True, highlight=False)
        sys.exit(error.exit_code)
    except Exception as exc:
        if os.environ.get("OCPIWH_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}", markup=True
        )
        err.print("this is a bug in ocpiwh; rerun with OCPIWH_DEBUG=1 for the traceback")
        sys.exit(1)
