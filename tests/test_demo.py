"""`ocpiwh demo` runs the whole chain end to end, and a rerun is an idempotent no-op sync."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from ocpiwh.cli.main import main


def test_demo_end_to_end_then_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(tmp_path / "config"))
    root = tmp_path / "data"
    args = ["--warehouse", str(root), "demo", "--sessions", "600", "--locations", "12"]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    out = capsys.readouterr()
    assert "demo summary" in out.out and "energy_by_operator" in out.out
    assert "incremental sync" in out.err
    for name in (
        "irve_statique.csv",
        "irve_dynamique.csv",
        "qualicharge_sessions.csv",
        "qualicharge_sessions.jsonl",
    ):
        path = root / "exports" / name
        assert path.exists() and path.stat().st_size > 0, name
        manifest = json.loads((root / "exports" / f"{name}.manifest.json").read_text())
        assert manifest["rows"] > 0
    # each file is what its suffix says (the .jsonl was once CSV)
    lines = (root / "exports" / "qualicharge_sessions.jsonl").read_text().splitlines()
    assert [sorted(json.loads(line)) for line in lines[:1]] == [
        ["end", "energy", "id_pdc_itinerance", "start"]
    ]
    assert (
        len(lines)
        == json.loads((root / "exports" / "qualicharge_sessions.jsonl.manifest.json").read_text())[
            "rows"
        ]
    )
    assert (root / "warehouse.duckdb").exists()
    # the token the demo generated lives only in the private credentials file (0600) …
    creds = list((tmp_path / "config").rglob("credentials.toml"))
    assert len(creds) == 1 and creds[0].stat().st_mode & 0o777 == 0o600
    token = tomllib.loads(creds[0].read_text())["sources"]["demo"]["token"]
    # … never in the warehouse folder (any file, Parquet included) nor in the output
    for path in root.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    assert token not in out.out + out.err

    with pytest.raises(SystemExit) as again:
        main(args)
    assert again.value.code == 0
    err = capsys.readouterr().err
    assert "first sync: 0 objects fetched" in err  # nothing new on the simulated platform
