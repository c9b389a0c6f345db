"""Every `--help` says what the code says: no text eaten by markup, an example everywhere.

Each command's help is rendered the way a user sees it (typer's rich output, wide enough not
to wrap) and compared with the docstring and the option help strings it comes from.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from ocpiwh.cli.commands import app
from ocpiwh.cli.main import main

BOX = re.compile(r"[│╭╮╰╯─┃━┏┓┗┛]")


def _commands() -> Iterator[tuple[list[str], Any]]:
    root = typer.main.get_command(app)
    yield [], root

    def walk(group: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        for name in sorted(group.commands):
            cmd = group.commands[name]
            if getattr(cmd, "hidden", False):
                continue
            yield [*path, name], cmd
            if hasattr(cmd, "commands"):
                yield from walk(cmd, [*path, name])

    yield from walk(root, [])


COMMANDS = list(_commands())


def _flat(text: str) -> str:
    return " ".join(BOX.sub(" ", text).split())


def _as_written(text: str) -> str:
    """The text a user must see: the source, where ``\\[`` is rich's escape for ``[``
    (any other ``[word]`` would be eaten as markup, and this test would catch it)."""
    return _flat(inspect.cleandoc(text).replace("\\[", "["))


def _rendered(path: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    return _flat(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("path", "cmd"), COMMANDS, ids=[" ".join(p) or "ocpiwh" for p, _ in COMMANDS]
)
def test_help_shows_the_docstring_and_every_option_text(
    path: list[str], cmd: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "2000")  # one line per option: the comparison needs no unwrap
    shown = _rendered(path, capsys)
    doc = _as_written(cmd.help or "")
    assert doc and doc in shown, f"the help of `ocpiwh {' '.join(path)}` lost text of its docstring"
    for param in cmd.params:
        text = _as_written(getattr(param, "help", None) or "")
        if text and not getattr(param, "hidden", False):
            assert text in shown, f"{param.name}: {text!r} is not shown as written"


@pytest.mark.parametrize(
    ("path", "cmd"), COMMANDS, ids=[" ".join(p) or "ocpiwh" for p, _ in COMMANDS]
)
def test_every_command_has_an_example(path: list[str], cmd: Any) -> None:
    assert re.search(r"Examples?:\s*`?ocpiwh ", cmd.help or ""), (
        f"`ocpiwh {' '.join(path)}` has no `Example: ocpiwh …` in its help"
    )


def test_asterisks_and_counters_are_literal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "2000")
    root = _rendered([], capsys)
    verbose = root[root.index("--verbose") :][:120]
    assert "counter" in verbose and "<int>" not in verbose and "default: 0" not in verbose
    assert "AWS_*" in root
    assert "FR*OWH" in _rendered(["login"], capsys)


def test_a_global_option_after_the_command_says_where_it_goes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["models", "list", "-w", "elsewhere"])
    assert done.value.code == 2
    err = _flat(capsys.readouterr().err)
    assert "-w is a global option: put it before the command" in err
    assert "ocpiwh -w … models list" in err
