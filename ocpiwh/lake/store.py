"""Where a warehouse's bytes live: a local folder or an S3-compatible object store.

Everything that reads or writes the lake's files (config, state, journals, Parquet) goes
through a :class:`Store`, addressed by paths relative to the warehouse root
(``"raw/sessions/source=x/part-1.parquet"``). Both commit the same way: data files are put
at their final paths first (renamed from ``staging/`` on a local disk, uploaded on an object
store, where there is no rename), then published by atomically replacing the module's state
object, whose ``files`` list (the *manifest*, :mod:`ocpiwh.lake.manifest`) is what readers
read: a reader sees the old list or the new one, never half a batch.

* :class:`LocalStore`: a folder on a POSIX file system (atomic rename, fsync).
* :class:`ObjectStore`: ``s3://bucket/prefix`` (one PUT replaces an object atomically).

The object store is reached through pyarrow's S3 filesystem (no DuckDB extension is
downloaded at run time); DuckDB reads it through the same filesystem wrapped for fsspec and
registered on the connection. Credentials, region and endpoint come from the standard AWS
environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
``AWS_ENDPOINT_URL`` for S3-compatible stores such as MinIO or Ceph).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.paths import atomic_write_bytes, config_dir, fsync_dir

Location = str | os.PathLike[str]
"""A warehouse: a folder path, or ``s3://bucket/prefix``."""

REMOTE_SCHEMES = ("s3://", "s3a://")


def is_remote(location: Location) -> bool:
    return os.fspath(location).startswith(REMOTE_SCHEMES)


def open_store(location: Location | Store) -> Store:
    """The store of the warehouse at ``location`` (a folder, or ``s3://bucket/prefix``)."""
    if isinstance(location, Store):
        return location
    text = os.fspath(location)
    if is_remote(text):
        return ObjectStore(text)
    return LocalStore(Path(text).expanduser().resolve())


class Store(ABC):
    """The files of one warehouse, by path relative to its root (``/``-separated)."""

    url: str
    """What users see and pass back as ``--warehouse``."""

    @property
    def local_root(self) -> Path | None:
        """The warehouse folder, for a local store (a DuckDB file can live there)."""
        return None

    @abstractmethod
    def read(self, rel: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""

    @abstractmethod
    def write(self, rel: str, data: bytes, *, mode: int = 0o644) -> None:
        """Replace the object atomically: readers see the old bytes or the new, never half."""

    @abstractmethod
    def append(self, rel: str, data: bytes) -> None:
        """Append to a log (durable when this returns). The caller holds the warehouse lock."""

    @abstractmethod
    def publish(self, src: Path, rel: str) -> None:
        """Move the finished local file ``src`` to ``rel`` (consumes ``src``)."""

    @abstractmethod
    def delete(self, rel: str) -> bool:
        """Remove the object; False when it did not exist."""

    @abstractmethod
    def exists(self, rel: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str) -> list[tuple[str, int]]:
        """(relative path, size) of every object under ``prefix``, recursively, sorted."""

    @abstractmethod
    def uri(self, rel: str) -> str:
        """How DuckDB (and users) address the object."""

    @abstractmethod
    def staging(self) -> Path:
        """A local folder for batches being written (never read by views)."""

    @abstractmethod
    def lock_file(self) -> Path:
        """The local file a writer ``flock``s (see :mod:`ocpiwh.lake.lock`)."""

    def register(self, con: Any) -> None:  # noqa: B027 (a local store needs nothing)
        """Let the DuckDB connection ``con`` read this store's URIs."""

    def is_warehouse(self) -> bool:
        return self.exists("ocpiwh.toml")

    def has_files(self, prefix: str) -> bool:
        return any(rel.endswith(".parquet") for rel, _ in self.list(prefix))

    def __str__(self) -> str:
        return self.url


class LocalStore(Store):
    """A warehouse folder on a local (POSIX) file system."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)

    @property
    def local_root(self) -> Path:
        return self.root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> bytes | None:
        try:
            return self.path(rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, rel: str, data: bytes, *, mode: int = 0o644) -> None:
        atomic_write_bytes(self.path(rel), data, mode=mode)

    def append(self, rel: str, data: bytes) -> None:
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def publish(self, src: Path, rel: str) -> None:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(src, target)
        fsync_dir(target.parent)

    def delete(self, rel: str) -> bool:
        path = self.path(rel)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False  # never there, or gone meanwhile: either way it is not there now
        fsync_dir(path.parent)  # a forgotten journal must not come back after a crash
        return True

    def exists(self, rel: str) -> bool:
        return self.path(rel).exists()

    def has_files(self, prefix: str) -> bool:
        # stops at the first file: every connection asks this of every module
        return any(rel.endswith(".parquet") for rel, _ in self._files(prefix))

    def list(self, prefix: str) -> list[tuple[str, int]]:
        return sorted(self._files(prefix))

    def _files(self, prefix: str) -> Iterator[tuple[str, int]]:
        """(relative path, size) of the files under ``prefix``, in directory order.

        Other threads of the same process commit while this lists (one module's sync drops
        its journals while another reads the manifests): a file or folder removed between
        the directory read and its stat was simply not there, as on an object store."""
        for folder, _, names in os.walk(self.path(prefix)):
            for name in names:
                try:
                    st = os.stat(os.path.join(folder, name))
                except (FileNotFoundError, NotADirectoryError):
                    continue
                if stat.S_ISREG(st.st_mode):
                    yield Path(folder, name).relative_to(self.root).as_posix(), st.st_size

    def uri(self, rel: str) -> str:
        return str(self.path(rel))

    def staging(self) -> Path:
        return self.root / "staging"

    def lock_file(self) -> Path:
        return self.root / "state" / ".lock"


F = TypeVar("F", bound=Callable[..., Any])


def _store_errors(fn: F) -> F:
    """An unreachable store, a refused credential or a missing bucket becomes one clear line."""

    @wraps(fn)
    def wrapper(self: ObjectStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise OcpiwhError(
                f"object store {self.url}: {_one_line(exc)}",
                hint="check AWS_ENDPOINT_URL, AWS_REGION and the AWS credentials",
            ) from None

    return wrapper  # type: ignore[return-value]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


class ObjectStore(Store):
    """A warehouse under ``s3://bucket/prefix`` (AWS S3 or any S3-compatible store)."""

    def __init__(self, url: str) -> None:
        rest = url.partition("://")[2]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise UsageError(f"{url!r} names no bucket", hint="use s3://BUCKET/PREFIX")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.fs = _s3_filesystem()
        self._append_lock = threading.Lock()
        self._check_bucket()

    @_store_errors
    def _check_bucket(self) -> None:
        from pyarrow import fs as pafs

        if self.fs.get_file_info(self.bucket).type == pafs.FileType.NotFound:
            raise UsageError(
                f"bucket {self.bucket!r} does not exist at {_endpoint() or 'AWS S3'}",
                hint="create it first, or check AWS_ENDPOINT_URL",
            )

    def key(self, rel: str) -> str:
        """The pyarrow path (``bucket/prefix/rel``)."""
        base = f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket
        return f"{base}/{rel}".rstrip("/")

    @_store_errors
    def read(self, rel: str) -> bytes | None:
        # pyarrow asks for the size, then GETs that byte range: an object replaced in between
        # reads truncated. Mutable objects (state, logs) are JSON, which their readers
        # re-read when they fail to parse (see ocpiwh.lake.manifest).
        try:
            with self.fs.open_input_stream(self.key(rel)) as fh:
                data: bytes = fh.read()
                return data
        except FileNotFoundError:
            return None

    @_store_errors
    def write(self, rel: str, data: bytes, *, mode: int = 0o644) -> None:
        with self.fs.open_output_stream(self.key(rel)) as fh:
            fh.write(data)

    def append(self, rel: str, data: bytes) -> None:
        # Objects cannot be appended to: rewrite (the logs are small). Other processes are
        # kept out by the warehouse lock, this process's other threads by this one.
        with self._append_lock:
            self.write(rel, (self.read(rel) or b"") + data)

    @_store_errors
    def publish(self, src: Path, rel: str) -> None:
        with open(src, "rb") as fh, self.fs.open_output_stream(self.key(rel)) as out:
            shutil.copyfileobj(fh, out, 8 * 1024 * 1024)
        src.unlink()

    @_store_errors
    def delete(self, rel: str) -> bool:
        try:
            self.fs.delete_file(self.key(rel))
        except FileNotFoundError:
            return False
        return True

    @_store_errors
    def exists(self, rel: str) -> bool:
        from pyarrow import fs as pafs

        return bool(self.fs.get_file_info(self.key(rel)).type == pafs.FileType.File)

    @_store_errors
    def list(self, prefix: str) -> list[tuple[str, int]]:
        from pyarrow import fs as pafs

        base = self.key(prefix)
        infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        root = self.key("")
        return sorted(
            (info.path[len(root) + 1 :], int(info.size or 0))
            for info in infos
            if info.type == pafs.FileType.File
        )

    def uri(self, rel: str) -> str:
        return f"s3://{self.key(rel)}"

    def _digest(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    def staging(self) -> Path:
        return Path(tempfile.gettempdir()) / "ocpiwh-staging" / self._digest()

    def lock_file(self) -> Path:
        # A local lock: one writer per machine. The sync of a lake runs on one machine
        # (it is bound by the OCPI platform); see docs/scale-out.md.
        return config_dir() / "locks" / f"{self._digest()}.lock"

    def register(self, con: Any) -> None:
        con.register_filesystem(_duckdb_filesystem(self.fs))


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _s3_filesystem() -> Any:
    from pyarrow import fs as pafs

    options: dict[str, Any] = {}
    endpoint = _endpoint()
    if endpoint:
        options["endpoint_override"] = endpoint
        if endpoint.startswith("http://"):
            options["scheme"] = "http"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return pafs.S3FileSystem(**options)


def _duckdb_filesystem(fs: Any) -> Any:
    """pyarrow's S3 filesystem as an fsspec filesystem answering ``s3://`` for DuckDB."""
    from fsspec.implementations.arrow import ArrowFSWrapper

    class S3ForDuckDB(ArrowFSWrapper):  # type: ignore[misc]
        protocol = ("s3", "s3a")

    return S3ForDuckDB(fs)


__all__ = ["LocalStore", "Location", "ObjectStore", "Store", "is_remote", "open_store"]
