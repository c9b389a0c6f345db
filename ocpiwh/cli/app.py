"""The root command ``ocpiwh`` and its global options; command modules register on :data:`app`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ocpiwh import __version__
from ocpiwh.cli.common import DEFAULT_WAREHOUSE, AppState, err, setup_logging

GLOBAL_OPTIONS: dict[str, str] = {
    "-w": "--warehouse",
    "--warehouse": "--warehouse",
    "-v": "--verbose",
    "--verbose": "--verbose",
    "-vv": "--verbose",
    "-q": "--quiet",
    "--quiet": "--quiet",
    "--version": "--version",
}
"""Options of the root command: they go before the command name, never after it."""


class RootGroup(TyperGroup):
    """The root command: says where a misplaced global option goes, and turns Ctrl-C into
    one line and exit 130."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # typer vendors click: match its NoSuchOption by name, not by (private) class
            name = str(getattr(exc, "option_name", "")).split("=", 1)[0]
            if type(exc).__name__ == "NoSuchOption" and name in GLOBAL_OPTIONS:
                where = getattr(getattr(exc, "ctx", None), "command_path", "") or ""
                command = " ".join(where.split()[1:]) or "COMMAND"
                exc.message = (  # type: ignore[attr-defined]
                    f"{name} is a global option: put it before the command, "
                    f"e.g. `ocpiwh {name} … {command} …`"
                )
                exc.possibilities = None  # type: ignore[attr-defined]
            raise
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None


app = typer.Typer(
    name="ocpiwh",
    cls=RootGroup,
    help=(
        "Mirror a charge point operator's OCPI platform into a local Parquet lake and query it "
        "with SQL.\n\n"
        "Typical use: `ocpiwh login URL`, then `ocpiwh sync` (from cron, or `--watch`), then "
        '`ocpiwh sql "SELECT ..."` or `ocpiwh export ...`. Try `ocpiwh demo` first.\n\n'
        "Global options go before the command: `ocpiwh -w /srv/ocpi -q sync`. "
        "Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n\n"
        "Example: `ocpiwh --warehouse /tmp/demo demo`"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            metavar="counter",
            show_default=False,
            help="More logs: -v progress, -vv every HTTP request (repeat the flag).",
        ),
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
