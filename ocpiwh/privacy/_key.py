"""The pseudonym key and the keyed pseudonym function."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ocpiwh.errors import UsageError

if TYPE_CHECKING:
    from _hashlib import HASH

KEY_SIZE = 32
PSEUDONYM_PREFIX = "ps_"
PSEUDONYM_KINDS: tuple[str, ...] = ("uid", "contract")
_NOT_AN_ID = frozenset({"", "#NA"})


def load_or_create_key(path: Path) -> bytes:
    """Return the 32-byte pseudonym key at ``path``, creating it (mode 0600) on first use.

    The parent folder is created with mode 0700. An existing key readable by group/others is
    fixed to 0600; a key of the wrong size is refused (never silently replaced: replacing it
    would break the link between old and new pseudonyms).
    """
    path = Path(path)
    if not path.exists():
        _create_key(path)
    try:
        st = path.stat()
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, 0o600)
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the pseudonym key {path}: {exc.strerror}") from exc
    if len(data) != KEY_SIZE:
        raise UsageError(
            f"pseudonym key {path} has {len(data)} bytes, expected {KEY_SIZE}",
            hint="restore the right file, or delete it to start new pseudonyms (no link to old data)",
        )
    return data


def _create_key(path: Path) -> None:
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)
    tmp = parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, secrets.token_bytes(KEY_SIZE))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # link() fails if another process created the key meanwhile: then we use theirs.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def normalize_id(value: object) -> str:
    """OCPI ids are CiStrings: strip and upper-case so spellings of one id link."""
    text = value if isinstance(value, str) else str(value)
    return text.strip().upper()


_BLOCK = hashlib.sha256().block_size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


@lru_cache(maxsize=8)
def _hmac_states(key: bytes) -> tuple[HASH, HASH]:
    """HMAC-SHA256's inner and outer SHA-256 states after the padded key (RFC 2104).

    A pseudonym copies them and hashes only its message: ~12k instructions (1.0 µs) against
    ~25k (2.0 µs) for ``hmac.digest``, which redoes OpenSSL's MAC set-up and the key's two
    blocks for every message, and ``hmac.HMAC.copy`` copies OpenSSL's MAC context (1.6 µs).
    A backfill of distinct drivers misses the cache for most ids, so this was a quarter of
    the privacy stage. The same digest as ``hmac.digest`` (tested), so pseudonyms do not
    change.
    """
    padded = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
    return hashlib.sha256(padded.translate(_IPAD)), hashlib.sha256(padded.translate(_OPAD))


@lru_cache(maxsize=1 << 14)
def _pseudonym(key: bytes, kind: str, value: str) -> str:
    norm = normalize_id(value)
    if norm in _NOT_AN_ID:
        return norm  # "" / "#NA" (OCPI's "not available") identify nobody
    inner, outer = _hmac_states(key)
    inner = inner.copy()
    inner.update(kind.encode() + b"\x00" + norm.encode("utf-8", "surrogatepass"))
    outer = outer.copy()
    outer.update(inner.digest())
    return PSEUDONYM_PREFIX + outer.hexdigest()[:32]


def pseudonymize(key: bytes, value: str, kind: str) -> str:
    """``"ps_"`` + 32 hex chars of HMAC-SHA256(key, kind + NUL + normalized value).

    ``""`` and ``"#NA"`` are returned as they are (they identify nobody).
    The same id gives the same pseudonym in every module, version and sync run with one key;
    another key gives unrelated pseudonyms. ``kind`` ("uid" or "contract") separates id spaces.
    """
    if kind not in PSEUDONYM_KINDS:
        raise ValueError(f"unknown pseudonym kind {kind!r}")
    if not isinstance(value, str):
        value = str(value)
    return _pseudonym(bytes(key), kind, value)


def _has_object(v: Any) -> bool:
    if v.__class__ is dict:
        return True
    if v.__class__ is list:
        return any(_has_object(x) for x in v)
    return False


def pseudonymizer(key: bytes, kind: str) -> Callable[[Any], str]:
    """The pseudonym of any non-null value of ``kind`` (strings as they are, other scalars
    by ``str``, objects and lists holding objects by their sorted-key JSON). Shared by the
    generic and the page filters, so both agree; recent values hit ``_pseudonym``'s one
    process-wide cache (a cache per filter and thread cost ~100 MB at 1M sessions)."""

    def convert(v: Any) -> str:
        if v.__class__ is not str:
            v = orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode() if _has_object(v) else str(v)
        return _pseudonym(key, kind, v)

    return convert
