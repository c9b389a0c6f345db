"""Shared by every test: a private config folder (secrets) and no ambient token or warehouse;
and a small lake of hand-made OCPI objects for the tests of the commands reading it."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

# the hand-made OCPI objects of tests/warehouse (ocpi_objects), importable from every test
sys.path.insert(0, str(Path(__file__).parent / "warehouse"))

from ocpi_objects import location, session

from ocpiwh.lake import write_batch

# The compiled-model cache (ocpiwh.modelcache) of this test process, shared by its tests as
# by a user's commands, never the user's ~/.cache/ocpiwh; set before any fixture runs.
os.environ["OCPIWH_CACHE_DIR"] = tempfile.mkdtemp(prefix="ocpiwh-test-cache-")
atexit.register(shutil.rmtree, os.environ["OCPIWH_CACHE_DIR"], ignore_errors=True)

# A suite started in the background (`nohup make test &` from a script) inherits SIGINT
# ignored, and so would every command it spawns: the tests that Ctrl-C one would wait for
# ever. Python's own handler here makes the children start with the default disposition.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

SHARED_PER_FOLDER = {"spark"}
"""Folders whose session-scoped fixtures are costly (a Spark JVM: ~30 s and 1 GB). The push
template lake (~3 s) and the moto server (~1 s) are built once per worker instead: keeping
their folders on one worker made them the suite's critical path (~7 and ~3.5 min)."""


class _FileScheduling(LoadScopeScheduling):
    """``pytest -n N`` (``make test``): a worker takes a whole module — or a whole folder of
    :data:`SHARED_PER_FOLDER` — so a module-scoped fixture (or the Spark session) is built
    once, not once per worker. (``--dist loadgroup`` would do it with marks, but pytest-xdist 3.8 cannot
    rename the node ids of pytest 9.)"""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        parts = path.split("/")
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in SHARED_PER_FOLDER:
            return parts[1]
        return path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> _FileScheduling:
    return _FileScheduling(config, log)


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tokens and pseudonym keys go to a folder of the test's own, never the user's."""
    cfg = tmp_path / "config"
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(cfg))
    monkeypatch.delenv("OCPIWH_TOKEN", raising=False)
    monkeypatch.delenv("OCPIWH_WAREHOUSE", raising=False)
    return cfg


@pytest.fixture(scope="module")
def sessions_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of source ``sim`` (OCPI 2.2.1): one location, sessions S1 and S2 (3 kWh)."""
    root = tmp_path_factory.mktemp("wh")
    write_batch(
        root, source="sim", module="locations", version="2.2.1", objects=[location("2.2.1")]
    )
    write_batch(
        root,
        source="sim",
        module="sessions",
        version="2.2.1",
        objects=[session("2.2.1"), session("2.2.1", id="S2", kwh=3.0)],
    )
    return root
