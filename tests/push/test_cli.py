"""The commands: credentials from the environment or the 0600 file, never printed; dry run;
`push status --json`; one clear line for a missing configuration or a refused login."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import tomli_w

from ocpiwh.config import Config
from ocpiwh.push import Credentials, Ledger, QualiChargeClient
from ocpiwh.push.standin import API, StandIn
from tests.sync.conftest import cli

from .conftest import PASSWORD, USER, api_env, expected_on_server, exported, held


def _no_secret(si: StandIn, *outputs: str) -> None:
    tokens = list(si.tokens)
    assert tokens, "the stand-in should have issued a token"
    for text in outputs:
        assert PASSWORD not in text
        assert not any(t in text for t in tokens)


def test_push_and_status_never_print_credentials(root: Path, standin: StandIn) -> None:
    env = api_env(standin)
    dry = cli(root, "push", "qualicharge", "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    plan = {k["kind"]: k for k in json.loads(dry.stdout)["kinds"]}
    assert not standin.requests  # a dry run sends nothing, not even a login
    done = cli(root, "-vv", "push", "qualicharge", env=env)
    assert done.returncode == 0, done.stderr
    st = cli(root, "push", "status", "--json", env=env)
    info = json.loads(st.stdout)["kinds"]
    for kind, k in plan.items():
        assert info[kind]["accepted"] + info[kind]["rejected"] == k["to_create"] == k["rows"]
        assert info[kind]["to_send"] == 0
    assert len(held(standin)["statique"]) == info["statique"]["accepted"]
    table = cli(root, "push", "status", env=env)
    assert "accepted" in table.stdout
    assert ("rejected sessions" in table.stdout) == (info["sessions"]["rejected"] > 0)
    _no_secret(standin, dry.stdout, dry.stderr, done.stdout, done.stderr, st.stdout, table.stdout)


def test_credentials_file(root: Path, standin: StandIn) -> None:
    creds = Config.load(root).credentials_file
    creds.write_text(
        tomli_w.dumps({"qualicharge": {"url": standin.url, "username": USER, "password": PASSWORD}})
    )
    os.chmod(creds, 0o644)
    done = cli(root, "push", "qualicharge", "--what", "statique")
    assert done.returncode == 0, done.stderr
    assert held(standin)["statique"]
    assert creds.stat().st_mode & 0o077 == 0  # tightened back to 0600
    _no_secret(standin, done.stdout, done.stderr)


def test_refused_login_is_one_line_without_the_password(root: Path, standin: StandIn) -> None:
    env = {**api_env(standin), "OCPIWH_QUALICHARGE_PASSWORD": "wrong-" + PASSWORD}
    bad = cli(root, "-vv", "push", "qualicharge", env=env)
    assert bad.returncode == 1
    assert (
        bad.stderr.strip().splitlines()[-1].startswith("error: QualiCharge API refused the login")
    )
    assert "Traceback" not in bad.stderr and PASSWORD not in bad.stderr + bad.stdout
    assert not standin.api_requests()


def test_missing_configuration_is_a_usage_error(root: Path) -> None:
    env = {
        k: ""
        for k in (
            "OCPIWH_QUALICHARGE_URL",
            "OCPIWH_QUALICHARGE_USER",
            "OCPIWH_QUALICHARGE_PASSWORD",
        )
    }
    res = cli(root, "push", "qualicharge", env=env)
    assert res.returncode == 2
    assert "OCPIWH_QUALICHARGE_URL" in res.stderr and "Traceback" not in res.stderr
    res = cli(root, "push", "qualicharge", "--what", "nonsense", "--dry-run", env=env)
    assert res.returncode == 2 and "--what" in res.stderr


def test_one_push_at_a_time(root: Path) -> None:
    lock = root / "state" / "push" / "qualicharge" / "lock"
    lock.parent.mkdir(parents=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # as a running push holds it
        res = cli(root, "push", "qualicharge", "--dry-run")
    assert res.returncode == 2 and "another `ocpiwh push` is running" in res.stderr
    assert cli(root, "push", "qualicharge", "--dry-run").returncode == 0


def test_standin_command_serves_the_api(tmp_path: Path) -> None:
    env = {**os.environ, "OCPIWH_QUALICHARGE_PASSWORD": PASSWORD}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocpiwh", "qualicharge-standin", "--port", "0", "--user", USER],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("QualiCharge stand-in on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        client = QualiChargeClient(Credentials(url, USER, PASSWORD))
        answer = client.request("POST", "/api/v1/statique/bulk", [{"id_pdc_itinerance": "x"}])
        client.close()
        assert answer.status == 422 and answer.body["detail"][0]["loc"][:2] == ["body", 0]
        record = httpx.get(f"{url}/_admin/requests").json()
        assert [r["path"] for r in record] == ["/api/v1/auth/token", "/api/v1/statique/bulk"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sessions_in_doubt_are_named_with_what_to_do(
    root: Path, standin: StandIn, tmp_path: Path
) -> None:
    standin.add_fault("drop", f"{API}/dynamique/session/bulk", times=1)
    env = api_env(standin)
    done = cli(root, "push", "qualicharge", env=env)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "sessions in doubt" in said and "--resend-in-doubt" in said
    info = json.loads(cli(root, "push", "status", "--json", env=env).stdout)["kinds"]["sessions"]
    ledger = Ledger(root / "state" / "push" / "qualicharge")
    doubt = sorted(k for k, e in ledger.entries("sessions").items() if e.state == "in_doubt")
    ledger.close()
    assert 0 < len(doubt) <= 10 and info["in_doubt"] == len(doubt)
    assert info["in_doubt_keys"] == doubt
    table = cli(root, "push", "status", env=env)
    text = " ".join(table.stdout.split())
    assert f"{len(doubt)} sessions in doubt" in text and "--resend-in-doubt" in text
    assert doubt[0] in table.stdout
    # the user resends them knowingly: the server then holds every session once
    again = cli(root, "push", "qualicharge", "--what", "sessions", "--resend-in-doubt", env=env)
    assert again.returncode == 0, again.stderr
    after = cli(root, "push", "status", env=env)
    assert "in doubt:" not in " ".join(after.stdout.split())
    assert held(standin)["sessions"] == expected_on_server(exported(root, tmp_path))["sessions"]
