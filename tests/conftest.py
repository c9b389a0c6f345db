"""Shared by every test: a private config folder (secrets) and no ambient token or warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tokens and pseudonym keys go to a folder of the test's own, never the user's."""
    cfg = tmp_path / "config"
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(cfg))
    monkeypatch.delenv("OCPIWH_TOKEN", raising=False)
    monkeypatch.delenv("OCPIWH_WAREHOUSE", raising=False)
    return cfg
