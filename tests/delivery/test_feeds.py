"""Feeds end to end: deliveries across syncs of a changing simulator, SIGKILL at every step
of a run, rebuilding a past delivery, and the refusals of ``feed add``."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from waiting import wait_until

from ocpiwh.cli import common
from ocpiwh.cli.main import main
from ocpiwh.delivery import feeds
from ocpiwh.lake import compact

from .conftest import interrupt, ocpiwh, run_sync, spawn

MODEL = "session_durations"
KEY = ("country_code", "party_id", "session_id")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ok(root: Path, *args: str) -> str:
    done = ocpiwh(root, *args)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout + done.stderr


def _snapshot(root: Path, out: Path) -> set[tuple[str, ...]]:
    """The model's rows now, through `ocpiwh export` (same CSV text form as a feed)."""
    _ok(root, "export", MODEL, "--out", str(out))
    return {tuple(r.values()) for r in _csv_rows(out)}


def _delivered(folder: Path, name: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for d in feeds.deliveries(folder.parent / "data", name):
        rows += _csv_rows(folder / d["feed"]["file"])
    return rows


def test_three_syncs_every_version_exactly_once(synced: Path, sim: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _ok(synced, "feed", "add", "weekly", "--model", MODEL, "--format", "csv", "--to", str(out))
    snapshots: list[set[tuple[str, ...]]] = []
    for k in range(3):
        if k:
            sim.advance(seconds=2400)
            run_sync(synced)
        snapshots.append(_snapshot(synced, tmp_path / f"snap{k}.csv"))
        _ok(synced, "feed", "run", "weekly")
        _ok(synced, "feed", "run", "weekly")  # nothing new: no second file
    done = feeds.deliveries(synced, "weekly")
    assert [d["feed"]["sequence"] for d in done] == [1, 2, 3]
    assert [d["feed"]["previous"] for d in done] == [None, done[0]["path"], done[1]["path"]]
    for a, b in itertools.pairwise(done):  # ranges chain: no gap, no overlap
        assert b["feed"]["cursor"]["from"] == a["feed"]["cursor"]["to"]
        assert b["feed"]["period"]["from"] == a["feed"]["period"]["to"]
    delivered = _delivered(out, "weekly")
    versions = [
        tuple(v for c, v in r.items() if c != "_change")
        for r in delivered
        if r["_change"] != "removed"
    ]
    # every version the model showed at a run, delivered once, and nothing else
    assert Counter(versions).most_common(1)[0][1] == 1
    assert set(versions) == set().union(*snapshots)
    # replaying the deliveries in order gives the model's rows now
    state: dict[tuple[str, ...], tuple[str, ...]] = {}
    changed = 0
    for r in delivered:
        key = tuple(r[c] for c in KEY)
        if r["_change"] == "removed":
            state.pop(key)
            continue
        assert (r["_change"] == "changed") == (key in state)
        changed += r["_change"] == "changed"
        state[key] = tuple(v for c, v in r.items() if c != "_change")
    assert set(state.values()) == snapshots[-1]
    assert changed > 0  # the simulator's sessions progressed: new versions were delivered
    for d in done:  # the manifest says what the file holds
        rows = _csv_rows(out / d["path"])
        counts = Counter(r["_change"] for r in rows)
        assert d["feed"]["counts"] == {c: counts.get(c, 0) for c in ("new", "changed", "removed")}
        assert d["sha256"] == _sha(out / d["path"])
        assert orjson.loads((out / (d["path"] + ".manifest.json")).read_bytes()) == d


POINTS = ("feed-pending", "feed-written", "feed-manifest", "feed-recorded")


def test_sigkill_at_every_step_then_rerun(synced: Path, sim: Any, tmp_path: Path) -> None:
    """A feed killed at each step, rerun, delivers what an unharmed twin feed delivers:
    the same files, byte for byte, in the same ranges — nothing twice, nothing lost."""
    twin, hurt = tmp_path / "twin", tmp_path / "hurt"
    twin.mkdir()
    hurt.mkdir()
    for name, folder in (("twin", twin), ("hurt", hurt)):
        _ok(
            synced,
            "feed",
            "add",
            name,
            "--model",
            MODEL,
            "--format",
            "parquet",
            "--to",
            str(folder),
        )
    for i, point in enumerate(POINTS):
        if i:
            sim.advance(seconds=1800)
            run_sync(synced)
        _ok(synced, "feed", "run", "twin")
        made = len(feeds.deliveries(synced, "hurt"))
        killed = ocpiwh(synced, "feed", "run", "hurt", env={"OCPIWH_CRASH_AT": point})
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
        recorded = feeds.deliveries(synced, "hurt")
        assert len(recorded) == made + (point == "feed-recorded"), point
        written = hurt / feeds.pending(synced, "hurt")["file"]  # type: ignore[index]
        assert written.exists() == (point != "feed-pending"), point
        assert feeds.pending(synced, "hurt") is not None
        if point == "feed-written":  # a sync commits before the rerun: two ranges to deliver
            sim.advance(seconds=1800)
            run_sync(synced)
            _ok(synced, "feed", "run", "twin")
        _ok(synced, "feed", "run", "hurt")
        assert feeds.pending(synced, "hurt") is None
    a, b = feeds.deliveries(synced, "twin"), feeds.deliveries(synced, "hurt")
    assert len(a) == len(b) == len(POINTS) + 1
    for x, y in zip(a, b, strict=True):
        assert x["feed"]["cursor"] == y["feed"]["cursor"]
        assert x["sha256"] == y["sha256"] == _sha(hurt / y["path"])
        assert x["feed"]["counts"] == y["feed"]["counts"]
    assert sum(d["rows"] for d in b) > sum(1 for _ in b)
    # nothing but the delivered files (and their manifests) in the folder
    assert sorted(p.name for p in hurt.iterdir()) == sorted(
        n for d in b for n in (d["path"], d["path"] + ".manifest.json")
    )
    tables = [pq.read_table(hurt / d["path"]) for d in b]
    rows = [tuple(r.values()) for t in tables for r in t.to_pylist() if r["_change"] != "removed"]
    assert len(rows) == len(set(rows))


def test_redeliver_is_byte_identical(synced: Path, sim: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("csv", "parquet", "jsonl"):
        _ok(synced, "feed", "add", f"f-{fmt}", "--model", MODEL, "--format", fmt, "--to", str(out))
    for k in range(2):
        if k:
            sim.advance(seconds=2400)
            run_sync(synced)
        _ok(synced, "feed", "run")
    compact(synced, min_files=2)  # rows move to merged files; their batch ids stay
    for fmt in ("csv", "parquet", "jsonl"):
        first = feeds.deliveries(synced, f"f-{fmt}")[0]
        data, manifest = out / first["path"], out / (first["path"] + ".manifest.json")
        before = data.read_bytes(), manifest.read_bytes()
        data.unlink()
        manifest.write_text("{}")
        _ok(synced, "feed", "run", f"f-{fmt}", "--redeliver", "1")
        assert (data.read_bytes(), manifest.read_bytes()) == before
        period = first["feed"]["file"].rsplit(".", 1)[0].removeprefix(f"f-{fmt}-")
        rebuilt = tmp_path / f"again-{fmt}"
        rebuilt.mkdir()
        _ok(synced, "feed", "run", f"f-{fmt}", "--redeliver", period, "--to", str(rebuilt))
        assert (rebuilt / first["path"]).read_bytes() == before[0]
    missing = ocpiwh(synced, "feed", "run", "f-csv", "--redeliver", "99")
    assert missing.returncode == 2 and "no delivery" in missing.stderr


def test_add_refuses_what_a_run_would_refuse(synced: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    cases = {
        "pseudonymized": ("--model", "sessions", "--to", str(out)),
        "reads the clock": ("--model", "occupancy", "--to", str(out)),
        "--to qualicharge takes": ("--model", MODEL, "--to", "qualicharge"),
        "no such folder": ("--model", MODEL, "--to", str(tmp_path / "nowhere")),
        "no module, view or model": ("--model", "nope", "--to", str(out)),
        "--format": ("--model", MODEL, "--to", str(out), "--format", "xlsx"),
    }
    for i, (says, args) in enumerate(cases.items()):
        done = ocpiwh(synced, "feed", "add", f"f{i}", *args)
        assert done.returncode == 2, (says, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert feeds.list_feeds(synced) == []
    # sessions_history reads the pseudonymized token columns too: refused whatever the view
    hist = ocpiwh(synced, "feed", "add", "h", "--model", "sessions_history", "--to", str(out))
    assert hist.returncode == 2 and "cdr_token_uid" in hist.stderr


def test_stdout_feed_and_watch(synced: Path, sim: Any, tmp_path: Path) -> None:
    _ok(synced, "feed", "add", "pipe", "--model", MODEL, "--format", "jsonl", "--to", "-")
    first = ocpiwh(synced, "feed", "run", "pipe")
    assert first.returncode == 0, first.stderr
    rows = [orjson.loads(line) for line in first.stdout.splitlines()]
    assert rows and {r["_change"] for r in rows} == {"new"}
    assert rows[0]["start_date_time"].endswith("Z")
    assert feeds.deliveries(synced, "pipe")[0]["rows"] == len(rows)
    again = ocpiwh(synced, "feed", "run", "pipe")
    assert again.returncode == 0 and again.stdout == "" and "nothing new" in again.stderr

    out = tmp_path / "out"
    out.mkdir()
    _ok(synced, "feed", "add", "w", "--model", MODEL, "--format", "csv", "--to", str(out))
    proc = spawn(synced, "feed", "run", "w", "--watch", "--interval", "0.5s")
    try:
        wait_until(lambda: len(feeds.deliveries(synced, "w")) == 1)
        sim.advance(seconds=1800)
        run_sync(synced)
        wait_until(lambda: len(feeds.deliveries(synced, "w")) == 2)
    finally:
        rc, stderr = interrupt(proc)
    assert rc == 130, stderr
    assert "stopping after the current feed" in stderr and stderr.rstrip().endswith("interrupted")
    assert feeds.pending(synced, "w") is None and len(feeds.deliveries(synced, "w")) == 2


def test_feed_run_shows_its_steps_on_a_terminal_only(
    synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    feeds.add(synced, "steps", MODEL, "csv", str(out))

    def run(*args: str) -> int:
        try:
            main(["--warehouse", str(synced), *args])
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    screen = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, width=200))
    assert run("feed", "run", "steps") == 0
    # the spinner redraws ten times a second: only the last step is sure to be drawn
    assert "feed steps: writing steps-" in screen.getvalue()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=False))
    screen.seek(0)
    screen.truncate(0)
    assert run("feed", "run", "steps", "--redeliver", "1") == 0
    assert screen.getvalue() == ""  # not a terminal (cron, logs): no spinner
