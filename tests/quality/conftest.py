from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg = tmp_path / "config"
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(cfg))
    monkeypatch.delenv("OCPIWH_TOKEN", raising=False)
    monkeypatch.delenv("OCPIWH_WAREHOUSE", raising=False)
    return cfg
