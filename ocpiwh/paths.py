"""Where things live: the warehouse folder (the lake) and the secrets folder (outside it).

The warehouse folder can be copied or shared with analysts, so it never holds a secret.
Secrets (platform tokens, the pseudonym key) live in a per-user folder, keyed by the
warehouse's id (written in ``ocpiwh.toml``), so moving the warehouse keeps its secrets.

    <warehouse>/ocpiwh.toml            sources, no secrets
    <warehouse>/raw/<module>/source=<name>/...   append-only Parquet
    <warehouse>/quarantine/<module>/...          objects that failed parsing
    <warehouse>/state/                           windows, batch log, run results
    <warehouse>/staging/                         batches being written (never read by views)
    <warehouse>/warehouse.duckdb                 views only (local folders)

The warehouse may also be ``s3://bucket/prefix`` (see :mod:`ocpiwh.lake.store`): the same layout
as object keys, staging in a local temporary folder, no DuckDB file.

    $OCPIWH_CONFIG_DIR (default ~/.config/ocpiwh)/warehouses/<id>/credentials.toml  (0600)
    $OCPIWH_CONFIG_DIR/warehouses/<id>/pseudonym.key                              (0600)
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODULES: tuple[str, ...] = ("locations", "sessions", "cdrs", "tariffs", "tokens")
"""The OCPI Sender modules ocpiwh mirrors, in the order a sync processes them."""


def user_dir(kind: str) -> Path:
    """The per-user folder of ``kind`` (``config``, ``cache``): ``$OCPIWH_<KIND>_DIR``, else
    ``$XDG_<KIND>_HOME/ocpiwh``, else ``~/.<kind>/ocpiwh`` (the XDG base directories)."""
    env = os.environ.get(f"OCPIWH_{kind.upper()}_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get(f"XDG_{kind.upper()}_HOME") or str(Path.home() / f".{kind}")
    return Path(base) / "ocpiwh"


def config_dir() -> Path:
    """The per-user folder for secrets; ``OCPIWH_CONFIG_DIR`` overrides it (tests, CI)."""
    return user_dir("config")


@dataclass(frozen=True)
class Warehouse:
    """Paths of a warehouse *folder* that only make sense on a local disk (the DuckDB file,
    engines given folders). Everything else goes through :mod:`ocpiwh.lake.store`, which also
    serves object stores."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def database(self) -> Path:
        return self.root / "warehouse.duckdb"


def secrets_dir(warehouse_id: str) -> Path:
    """Private folder (0700) for a warehouse's secrets, outside the lake."""
    path = config_dir() / "warehouses" / warehouse_id
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    The temporary file is created with ``mode`` from the start, so a secret is never
    readable by others even for an instant.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a crash after this keeps the new entry)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
