"""User mistakes and platform failures: one clear line, non-zero exit, nothing half-written."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ocpiwh.simulator import serve_in_thread

from .conftest import TOKEN, assert_matches_truth, cli, do_login, sim_config


def _one_line_error(run: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert run.returncode == code, (run.returncode, run.stderr)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert "Traceback" not in run.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_wrong_token(root: Path, simulator: Any) -> None:
    run = cli(root, "login", simulator.versions_url, "--token", "not-the-token")
    _one_line_error(run, 1, "refused the token")
    assert "not-the-token" not in run.stderr + run.stdout
    assert not root.exists()  # nothing written


def test_sync_with_a_token_the_platform_no_longer_accepts(root: Path, simulator: Any) -> None:
    """No empty summary table, and a hint that names something the user can do."""
    assert cli(root, "login", simulator.versions_url, "--token", TOKEN).returncode == 0
    run = cli(root, "sync", env={"OCPIWH_TOKEN": "not-the-token"})
    assert run.returncode == 1
    assert "sync summary" not in run.stderr and "auth mode" not in run.stderr
    assert "refused the token" in run.stderr and "ocpiwh login" in run.stderr
    assert "not-the-token" not in run.stderr + run.stdout


def test_unreachable_url(root: Path) -> None:
    run = cli(root, "login", "http://127.0.0.1:9/ocpi/versions", "--token", TOKEN)
    _one_line_error(run, 1, "cannot reach")
    assert not root.exists()


def test_url_that_is_not_ocpi(root: Path, simulator: Any) -> None:
    run = cli(root, "login", simulator.base_url + "/admin/clock", "--token", TOKEN)
    _one_line_error(run, 1, "not an OCPI")
    assert not root.exists()


def test_not_a_url_is_a_usage_error(root: Path) -> None:
    _one_line_error(cli(root, "login", "cpo.example.com", "--token", TOKEN), 2, "http")


def test_module_the_platform_lacks(root: Path) -> None:
    with serve_in_thread(sim_config(expose_tokens=False)) as sim:
        do_login(root, sim)
        run = cli(root, "sync", "-m", "tokens", env={"OCPIWH_TOKEN": TOKEN})
        _one_line_error(run, 2, "does not offer tokens")
        assert not (root / "raw").exists()


def test_unknown_module_and_bad_options(root: Path, simulator: Any) -> None:
    do_login(root, simulator)
    _one_line_error(cli(root, "sync", "-m", "nosuch"), 2, "unknown module")
    _one_line_error(cli(root, "sync", "--since", "yesterday"), 2, "--since")
    _one_line_error(cli(root, "sync", "--lag", "soon"), 2, "--lag")


def test_sync_without_login(root: Path) -> None:
    _one_line_error(cli(root, "sync"), 2, "ocpiwh login")


def test_token_required_without_terminal(root: Path, simulator: Any) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), "login", simulator.versions_url],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    _one_line_error(run, 2, "no token")


def test_credentials_file_is_private_and_token_not_in_warehouse(
    root: Path, simulator: Any, private_config: Path
) -> None:
    run = cli(root, "login", simulator.versions_url, "--token", TOKEN)
    assert run.returncode == 0, run.stderr
    creds = list(private_config.rglob("credentials.toml"))
    assert len(creds) == 1 and creds[0].stat().st_mode & 0o777 == 0o600
    assert creds[0].parent.stat().st_mode & 0o777 == 0o700
    assert TOKEN not in (root / "ocpiwh.toml").read_text()
    status = cli(root, "status")
    assert status.returncode == 0 and TOKEN not in status.stdout + status.stderr


def test_watch_stops_cleanly_on_ctrl_c(root: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ocpiwh",
                "--warehouse",
                str(root),
                "sync",
                "--watch",
                "--interval",
                "1h",
                "--lag",
                "0s",
            ],
            env={**__import__("os").environ, "OCPIWH_TOKEN": TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # wait for the real condition: the first sync is done and the pause has begun
        waiting = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line)
                if "next sync in" in line:
                    waiting.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert waiting.wait(120), "".join(lines)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        err = "".join(lines)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert_matches_truth(root, sim, "2.3.0")
