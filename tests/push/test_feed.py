"""Feeds delivering to QualiCharge (`feed add NAME --to qualicharge`): each run pushes the
rows new or changed since the feed's cursor through the push ledger, against the stand-in
on loopback; a run killed with SIGKILL at any step and run again sends nothing twice and
misses nothing (asserted on the stand-in's record of requests); `--watch` follows syncs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_until

from ocpiwh.delivery import feeds
from ocpiwh.login import login
from ocpiwh.push import Ledger
from ocpiwh.push.standin import StandIn, serve_standin
from ocpiwh.simulator import SimConfig, serve_in_thread
from tests.delivery.conftest import interrupt
from tests.export.test_export import IRVE_TOML
from tests.sync.conftest import cli, run_sync

from .conftest import (
    FAST,
    MODELS,
    TOKEN,
    api_env,
    canon,
    expected_on_server,
    exported,
    held,
    killed_at,
    make_standin,
    stored,
)

FEEDS = {f"qc-{kind}": model for kind, model in MODELS.items()}


def _ok(root: Path, env: dict[str, str], *args: str) -> str:
    done = cli(root, *args, env=env)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout + done.stderr


def _add_feeds(root: Path, env: dict[str, str], *, command: bool = False) -> None:
    """The three feeds, with the `feed add` command or (three processes cost ~9 s a test)
    with the library call it makes, in this process."""
    if command:
        for name, model in FEEDS.items():
            _ok(root, env, "feed", "add", name, "--model", model, "--to", "qualicharge")
        return
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        for name, model in FEEDS.items():
            feeds.add(root, name, model, "jsonl", "qualicharge")


def _expected(*snapshots: dict[str, list[dict[str, Any]]]) -> dict[str, Counter[bytes]]:
    """What the server should hold after pushing each snapshot in turn: statique is an upsert
    (the last snapshot's points), statuses and sessions keep every distinct version of a
    point ever declared (the API refuses the others)."""
    declared = {r["id_pdc_itinerance"] for snap in snapshots for r in snap["statique"]}
    out = {"statique": Counter(canon(r) for r in snapshots[-1]["statique"])}
    for kind in ("statuses", "sessions"):
        out[kind] = Counter(
            {
                canon(r): 1
                for snap in snapshots
                for r in snap[kind]
                if r["id_pdc_itinerance"] in declared
            }
        )
    return out


def cli_spawn(root: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """The real ``ocpiwh`` in the background, with the API's environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "PYTHONFAULTHANDLER": "1"},
    )


def _rejected(ledger: Ledger, kind: str) -> list[str]:
    return [k for k, e in ledger.entries(kind).items() if e.state == "rejected"]


def test_feeds_push_each_delta_once_across_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=8)
    cfg = SimConfig(
        seed=5, locations=12, sessions=200, token=TOKEN, clean=True, start=start, max_limit=200
    )
    with serve_in_thread(cfg) as sim, serve_standin(make_standin()) as si:
        login(root, sim.versions_url, TOKEN, retry=FAST)
        with (root / "ocpiwh.toml").open("a") as fh:
            fh.write(IRVE_TOML)
        run_sync(root)  # fails naming each module's error
        env = api_env(si)
        _add_feeds(root, env, command=True)
        first = exported(root, tmp_path)
        said = _ok(root, env, "feed", "run")
        assert held(si) == expected_on_server(first)
        assert "qc-sessions: #1" in said and "pushed" in said
        shown = " ".join(_ok(root, env, "feed", "show", "qc-sessions").split())
        assert "#1; pushed" in shown and "accepted" in shown
        # statique ran first: no status or session of a declared point was refused
        declared = {r["id_pdc_itinerance"] for r in first["statique"]}
        ledger = Ledger(root / "state" / "push" / "qualicharge")
        refused = [k for kind in ("statuses", "sessions") for k in _rejected(ledger, kind)]
        ledger.close()
        assert not [k for k in refused if k.partition("|")[0] in declared]

        before = len(si.requests)
        again = _ok(root, env, "feed", "run")
        assert again.count("nothing new") == 3 and len(si.requests) == before

        # the simulator moves on; `feed run --watch` pushes what the next sync commits
        proc = cli_spawn(root, env, "feed", "run", "--watch", "--interval", "0.3s")
        try:
            sim.advance(seconds=2400)
            run_sync(root)  # fails naming each module's error
            wait_until(lambda: len(feeds.deliveries(root, "qc-sessions")) == 2, 90)
            wait_until(lambda: feeds.pending(root, "qc-sessions") is None, 90)
        finally:
            rc, err = interrupt(proc)
        assert rc in (0, 130), err
        second = exported(root, tmp_path / "data" / "state")
        got = held(si)
    want = _expected(first, second)
    assert got == want
    assert max(stored(si).values()) == 1, "a row was stored twice"
    d2 = feeds.deliveries(root, "qc-sessions")[-1]
    assert d2["feed"]["counts"]["new"] + d2["feed"]["counts"]["changed"] > 0
    # the second delivery pushed exactly the sessions that were new or changed
    old = {canon(r) for r in first["sessions"]}
    fresh = {canon(r) for r in second["sessions"]} - old
    assert d2["push"]["sent"] == len(fresh)
    assert d2["push"]["accepted"] + d2["push"]["rejected"] == len(fresh)


# (crash point:n-th time in one `feed run` of the three feeds, the kind left in flight)
CRASHES = [
    ("feed-pending:1", None),  # statique's intent recorded, nothing built
    ("push-sent:12", "statuses"),
    ("feed-pushed:2", None),  # statuses all pushed, delivery not recorded
    ("push-inflight:30", "sessions"),
    ("feed-recorded:3", None),
]


@pytest.mark.parametrize(("crash", "kind_left"), CRASHES)
def test_killed_feed_run_sends_nothing_twice(
    root: Path, tmp_path: Path, crash: str, kind_left: str | None
) -> None:
    rows = exported(root, tmp_path)
    want = expected_on_server(rows)
    si = make_standin()
    with serve_standin(si):
        env = api_env(si)
        _add_feeds(root, env)
        left = killed_at(root, crash, env, "feed", "run")
        assert left == ({kind_left} if kind_left else set())
        again = cli(root, "feed", "run", env=env)
        assert again.returncode == 0, again.stderr
        assert "completed interrupted delivery" in again.stderr or crash.startswith("feed-recorded")
        got = held(si)
        counts = stored(si)
        n = len(si.requests)
        third = cli(root, "feed", "run", env=env)
        assert third.returncode == 0 and third.stderr.count("nothing new") == 3
        assert len(si.requests) == n
    assert max(counts.values()) == 1, "a row was stored twice"
    for kind in ("statique", "statuses"):
        assert got[kind] == want[kind], kind
    for name in FEEDS:  # one delivery each, recorded once
        assert [d["feed"]["sequence"] for d in feeds.deliveries(root, name)] == [1]
        assert feeds.pending(root, name) is None
    ledger = Ledger(root / "state" / "push" / "qualicharge")
    entries = ledger.entries("sessions")
    ledger.close()
    assert not [k for k, e in entries.items() if e.state in ("in_flight", "pending")]
    doubt = {k for k, e in entries.items() if e.state == "in_doubt"}
    key = {canon(r): f"{r['id_pdc_itinerance']}|{r['start']}" for r in rows["sessions"]}
    missing = {key[m] for m in want["sessions"] - got["sessions"]}
    assert not got["sessions"] - want["sessions"]
    assert missing <= doubt  # a session chunk killed in flight: kept in doubt, never resent
    assert bool(doubt) == (kind_left == "sessions")


def test_feed_to_qualicharge_refusals(root: Path, standin: StandIn) -> None:
    env = api_env(standin)
    cases = {
        "--to qualicharge takes": ("--model", "session_durations"),
        "not configured": ("--model", "irve_statique"),
    }
    for i, (says, args) in enumerate(cases.items()):
        use = env if i == 0 else {k: "" for k in env}
        done = cli(root, "feed", "add", f"f{i}", *args, "--to", "qualicharge", env=use)
        assert done.returncode == 2, (says, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert feeds.list_feeds(root) == []
