"""The root command ``ocpiwh`` and its global options; command modules register on :data:`app`.

Command modules are imported when their command is used, not before (the table of
:mod:`ocpiwh.cli.names` lists them): the one place that loads them is :class:`LazyCommands`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from ocpiwh import __version__
from ocpiwh.cli import coercion, startup
from ocpiwh.cli.common import DEFAULT_WAREHOUSE, AppState, err, setup_logging
from ocpiwh.cli.names import COMMANDS

coercion.install()  # plain option values skip typer's pydantic coercion (0.1–0.2 s a process)

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

DUCKDB_INTERRUPTED = "Query interrupted"
"""What DuckDB's Python client raises (a plain RuntimeError, the KeyboardInterrupt gone) when
Ctrl-C lands while a query runs: an interrupt like any other, not a bug."""


def _complete(name: str) -> bool:
    """Are all the modules defining ``name`` imported (a group may span several)?"""
    entry = COMMANDS.get(name)
    return entry is None or all(module in sys.modules for module in entry.modules)


class LazyCommands(MutableMapping[str, Any]):
    """The root's commands by name: the names of :data:`COMMANDS` (plus any command already
    registered), each command built on first access by importing its modules."""

    def __init__(self, built: Mapping[str, Any]) -> None:
        # a group whose modules are not all imported yet is incomplete: built again on access
        self._built: dict[str, Any] = {n: c for n, c in built.items() if _complete(n)}

    def loaded(self, name: str) -> bool:
        return name in self._built

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            entry = COMMANDS.get(name)
            if entry is None:
                raise KeyError(name)
            for module in entry.modules:
                importlib.import_module(module)
            fresh: Any = getattr(typer.main.get_command(app), "commands", None)
            if not isinstance(fresh, LazyCommands) or not fresh.loaded(name):
                raise KeyError(f"{', '.join(entry.modules)} define no command {name!r}")
            self._built[name] = fresh._built[name]
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._built if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for name in self._built if name not in COMMANDS)


class RootGroup(TyperGroup):
    """The root command: loads a command's module when it is used, lists the others from
    their summaries, says where a misplaced global option goes, and turns Ctrl-C into one
    line and exit 130."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)
        self._listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True  # the command list needs summaries, not the commands
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names only: TyperGroup's would build every command

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        commands = self.commands
        if self._listing and isinstance(commands, LazyCommands) and not commands.loaded(cmd_name):
            entry = COMMANDS.get(cmd_name)
            if entry is not None:
                return TyperCommand(name=cmd_name, help=entry.summary)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        found = super().resolve_command(ctx, args)  # imports the command's modules
        startup.command_loaded()
        return found

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and str(exc) != DUCKDB_INTERRUPTED:
                raise
            err.print("interrupted")
            raise typer.Exit(130) from None
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
