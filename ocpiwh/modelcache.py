"""What sqlglot derives from the model files, kept between runs.

Parsing the models, inlining their dependencies, generating their SQL and tracing their
column lineage costs about a second per export (sqlglot is pure Python) and depends only on
the SQL files: it is stored in ``<cache dir>/models-<key>/``, one file per entry (processes
adding entries at once cannot drop each other's, as a read-modify-write of one file
could), where the key hashes the
contents of every file of the models' folder and of ``sql/views``, the ocpiwh and sqlglot
versions and :data:`FORMAT`. A changed file gives a new key, so an entry is never stale;
other purposes add their own inputs to the entry's name (a dialect, a table mapping, the
pseudonymous columns). What the views alone determine (column types, view order) lives under
``views-<key>`` (:func:`ocpiwh.warehouse.definitions_cache`), keyed by the view and normalize
files and the DuckDB version.

The cache folder is ``$OCPIWH_CACHE_DIR``, else ``$XDG_CACHE_HOME/ocpiwh`` (default
``~/.cache/ocpiwh``): per user, outside any warehouse, shared by all of them (entries are
keyed by content). A folder that cannot be written only means no cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import orjson

from ocpiwh import __version__, resources
from ocpiwh.paths import atomic_write_bytes, user_dir

FORMAT = "2"
"""Bump when what an entry holds changes in a way the hashed files do not show."""
T = TypeVar("T")


def cache_dir() -> Path:
    return user_dir("cache")


def files_key(folder: Path) -> str:
    """Hash of what the models of ``folder`` compile from (see the module docstring)."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{version('sqlglot')}\0".encode())
    sql = resources.sql_dir()  # the shipped models: their functions file is inlined
    for base in dict.fromkeys((folder, sql / "models", sql / "views")):
        for path in sorted(base.iterdir()):
            if path.is_file() and path.suffix in (".sql", ".in"):
                digest.update(f"{base.name}/{path.name}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


class Entries:
    """The entries of one key: each read from disk once, written when computed."""

    def __init__(self, key: str) -> None:
        self.folder = cache_dir() / f"models-{key}"
        self.data: dict[str, Any] = {}

    def path(self, name: str) -> Path:
        return self.folder / (hashlib.sha256(name.encode()).hexdigest()[:24] + ".json")

    def get(self, name: str, compute: Callable[[], T]) -> T:
        """The entry ``name``, computed (and stored) when absent. Values are JSON: lists
        come back as lists."""
        if name in self.data:
            return self.data[name]  # type: ignore[no-any-return]
        path = self.path(name)
        try:
            stored = orjson.loads(path.read_bytes())
            if isinstance(stored, dict) and stored.get("name") == name:
                self.data[name] = stored["value"]
                return stored["value"]  # type: ignore[no-any-return]
        except (OSError, orjson.JSONDecodeError):
            pass
        value = compute()
        self.data[name] = value
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, orjson.dumps({"name": name, "value": value}))
        except OSError:
            pass  # read-only or full: the value is still kept for this process
        return value


@cache
def entries(key: str) -> Entries:
    """The entries of ``key`` (one object per process and key)."""
    return Entries(key)
