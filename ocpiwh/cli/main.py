"""Console entry point: run a command, turn every failure into one line and an exit code."""

from __future__ import annotations

import os
import sys

from rich.markup import escape

from ocpiwh.cli import startup
from ocpiwh.cli.commands import app
from ocpiwh.cli.common import err
from ocpiwh.errors import OcpiwhError, os_error


def main(argv: list[str] | None = None) -> None:
    """Console entry point: typer handles usage errors (exit 2) and --help; ocpiwh's own
    errors print one line (no traceback) and exit with their code."""
    try:
        app(args=argv, prog_name="ocpiwh")
    except OcpiwhError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # outside a command (while typer parses)
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


def run() -> None:
    """The process's entry (the ``ocpiwh`` script, ``python -m ocpiwh``): :func:`main`, with
    the garbage collector set for a process that runs one command (:mod:`ocpiwh.cli.startup`)."""
    with startup.process_collector():
        main()
