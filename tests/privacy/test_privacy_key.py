"""The pseudonym key file: created 0600 (folder 0700), reused, wrong size refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ocpiwh.errors import UsageError
from ocpiwh.privacy import load_or_create_key


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_created_0600_in_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "warehouses" / "w1" / "pseudonym.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"]  # no temp left over


def test_reused(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    assert load_or_create_key(path) == load_or_create_key(path)
    other = tmp_path / "other.key"
    assert load_or_create_key(other) != load_or_create_key(path)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_wrong_size_rejected(tmp_path: Path, size: int) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_bytes(b"x" * size)
    os.chmod(path, 0o600)
    with pytest.raises(UsageError, match="32"):
        load_or_create_key(path)
    assert path.read_bytes() == b"x" * size  # never silently replaced


def test_loose_permissions_fixed(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_bytes(b"k" * 32)
    os.chmod(path, 0o644)
    assert load_or_create_key(path) == b"k" * 32
    assert mode(path) == 0o600
