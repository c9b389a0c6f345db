"""Generate ``docs/cli.md`` from the command definitions, so the reference cannot drift.

python -m ocpiwh.docgen docs/cli.md      # rewrite
python -m ocpiwh.docgen --check docs/cli.md   # exit 1 when out of date (tests run this)
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import typer

HEADER = """# ocpiwh command-line reference

Generated from the code by `python -m ocpiwh.docgen docs/cli.md`; do not edit by hand.
Exit codes: 0 ok, 1 failure during work, 2 usage error. Every command accepts `-h/--help`.
"""


def _option_row(p: Any, ctx: Any) -> str | None:
    if getattr(p, "hidden", False) or p.name in ("help", "install_completion", "show_completion"):
        return None
    names = ", ".join(f"`{o}`" for o in (*p.opts, *getattr(p, "secondary_opts", ())))
    if p.param_type_name == "argument":
        names = f"`{(p.metavar or p.name).upper()}`"
    kind = str(p.display_type(ctx) or "").strip("<>")
    default = p.default
    if callable(default) or default in (None, (), [], False) or p.param_type_name == "argument":
        shown = ""
    else:
        shown = f"`{default}`"
    env = f" (env `{p.envvar}`)" if getattr(p, "envvar", None) else ""
    help_text = " ".join((p.help or "").split()) + env
    if getattr(p, "multiple", False) and "repeatable" not in help_text.lower():
        help_text += " Repeatable."
    return f"| {names} | {kind} | {shown} | {help_text} |"


def _command_section(path: list[str], cmd: Any) -> list[str]:
    ctx = typer.Context(cmd)
    lines = [f"## `ocpiwh {' '.join(path)}`", ""]
    doc = inspect.cleandoc(cmd.help or "")
    if doc:
        lines += [doc, ""]
    rows = [r for r in (_option_row(p, ctx) for p in cmd.params) if r]
    if rows:
        lines += ["| option | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    return lines


def render() -> str:
    from ocpiwh.cli import _register, app

    _register()
    root = typer.main.get_command(app)
    lines = [HEADER, "## Global options", ""]
    lines += ["| option | type | default | meaning |", "|---|---|---|---|"]
    root_ctx = typer.Context(root)
    lines += [r for r in (_option_row(p, root_ctx) for p in root.params) if r]
    lines.append("")

    def walk(group: Any, path: list[str]) -> None:
        for name in sorted(group.commands):
            cmd = group.commands[name]
            if getattr(cmd, "hidden", False):
                continue
            if hasattr(cmd, "commands"):
                lines.extend(
                    [
                        f"## `ocpiwh {' '.join([*path, name])}`",
                        "",
                        inspect.cleandoc(cmd.help or ""),
                        "",
                    ]
                )
                walk(cmd, [*path, name])
            else:
                lines.extend(_command_section([*path, name], cmd))

    walk(root, [])
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if not a.startswith("--")]
    target = Path(paths[0] if paths else "docs/cli.md")
    text = render()
    if check:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is out of date: run `python -m ocpiwh.docgen {target}`")
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
