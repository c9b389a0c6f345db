"""The console entry's garbage collector: off while a command's modules import, on while the
command runs, everything frozen on the way out; ``main()`` alone leaves it as it was."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ocpiwh.cli.main import main

PROBE = """
import gc, json, sys
from ocpiwh.cli import app, main

seen = {}

class Spy:  # records the collector's state when the command's module is imported
    def find_spec(self, name, path=None, target=None):
        if name == "ocpiwh.cli.query":
            seen["importing"] = gc.isenabled()
        return None

sys.meta_path.insert(0, Spy())
setup_logging = app.setup_logging

def spy(*args):  # the root callback: after the command's modules, before the command
    seen["command"] = gc.isenabled()
    seen["frozen_at_command"] = gc.get_freeze_count()
    return setup_logging(*args)

app.setup_logging = spy
sys.argv = ["ocpiwh", *sys.argv[1:]]
try:
    main.run()
except SystemExit as exc:
    seen["exit"] = exc.code
seen["tracked_at_exit"] = len(gc.get_objects())
seen["frozen_at_exit"] = gc.get_freeze_count()
print("SEEN", json.dumps(seen))
"""


def _probe(*args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    seen: dict[str, object] = json.loads(proc.stdout.rsplit("SEEN", 1)[1])
    return seen


def test_the_collector_is_off_while_modules_import_and_on_while_the_command_runs(
    sessions_lake: Path,
) -> None:
    seen = _probe("-w", str(sessions_lake), "sql", "SELECT 1")
    assert seen["exit"] in (0, None)
    assert seen["importing"] is False
    assert seen["command"] is True
    assert isinstance(seen["frozen_at_command"], int) and seen["frozen_at_command"] > 10_000


def test_everything_is_frozen_on_the_way_out(sessions_lake: Path) -> None:
    """The interpreter's final collections have nothing left to walk."""
    seen = _probe("-w", str(sessions_lake), "sql", "SELECT 1")
    assert isinstance(seen["frozen_at_exit"], int) and seen["frozen_at_exit"] > 10_000
    assert isinstance(seen["tracked_at_exit"], int) and seen["tracked_at_exit"] < 1_000


def test_main_alone_leaves_the_collector_as_it_was(sessions_lake: Path) -> None:
    """The tests and scripts call main() in a process that goes on: nothing frozen, the
    collector as it was."""
    frozen = gc.get_freeze_count()
    with pytest.raises(SystemExit) as exit_:
        main(["-w", str(sessions_lake), "-q", "sql", "SELECT 1"])
    assert exit_.value.code in (0, None)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
