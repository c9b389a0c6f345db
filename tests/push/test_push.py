"""Push of a simulator warehouse to the QualiCharge stand-in: the server ends holding exactly
the valid rows once, a rerun sends nothing, a changed point is PUT, faults end the same."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ocpiwh.push import Ledger, push, status
from ocpiwh.push.standin import API, BULK_MAX_SIZE, StandIn, serve_standin

from .conftest import canon, client_for, expected_on_server, exported, held, make_standin


def _unique_keys(rows: dict[str, list[dict[str, object]]]) -> None:
    keys = {
        "statique": ("id_pdc_itinerance",),
        "statuses": ("id_pdc_itinerance", "horodatage"),
        "sessions": ("id_pdc_itinerance", "start"),
    }
    for kind, rs in rows.items():
        seen = Counter(tuple(r[k] for k in keys[kind]) for r in rs)
        assert max(seen.values()) == 1, kind  # precondition of "each row once"


def test_push_delivers_each_valid_row_once(root: Path, standin: StandIn, tmp_path: Path) -> None:
    rows = exported(root, tmp_path)
    _unique_keys(rows)
    want = expected_on_server(rows)
    assert all(want.values()), "the simulator should give rows of every kind"
    steps: list[str] = []
    report = push(root, client_for(standin), on_step=steps.append)
    assert held(standin) == want

    # the progress display hears each kind's export, reconciliation and sending, in order
    for kind in ("statique", "statuses", "sessions"):
        n = {k.kind: k.to_create + k.to_update for k in report.kinds}[kind]
        mine = [s for s in steps if s.startswith(f"{kind}: ")]
        assert mine[:3] == [f"{kind}: export", f"{kind}: reconcile", f"{kind}: 0/{n:,} rows sent"]
        assert len(mine) == 2 + -(-n // BULK_MAX_SIZE)
    assert steps.index("statuses: export") > steps.index("statique: reconcile")

    reqs = standin.api_requests()
    assert reqs and all(r.gzip for r in reqs if r.method == "POST")
    assert all(len(r.rows or []) <= BULK_MAX_SIZE for r in reqs)
    accepted = Counter(canon(row) for r in reqs if r.status == 201 for row in r.rows or [])
    assert max(accepted.values()) == 1  # no row accepted twice

    # sessions of undeclared points are rejected, one by one, with the API's reason
    declared = {r["id_pdc_itinerance"] for r in rows["statique"]}
    orphans = {
        f"{r['id_pdc_itinerance']}|{r['start']}"
        for r in rows["sessions"]
        if r["id_pdc_itinerance"] not in declared
    }
    info = status(root)["kinds"]
    # (the open-data boundary may leave none: test_partly_rejected_chunk_is_bisected plants
    # rejections through the stand-in)
    assert info["sessions"]["rejected"] == len(orphans)
    assert {x["key"] for x in info["sessions"]["rejections"]} == orphans
    assert all("Undeclared attached point" in x["reason"] for x in info["sessions"]["rejections"])
    assert info["statique"]["accepted"] == len(rows["statique"])
    by_kind = {k.kind: k for k in report.kinds}
    assert by_kind["sessions"].accepted + by_kind["sessions"].rejected == len(rows["sessions"])

    # a rerun sends nothing (not even a login: no API request at all)
    before = len(standin.requests)
    again = push(root, client_for(standin))
    assert len(standin.requests) == before
    assert all(k.unchanged == k.rows and k.requests == 0 for k in again.kinds)


def test_changed_point_is_put_and_nothing_else(
    root: Path, standin: StandIn, tmp_path: Path
) -> None:
    push(root, client_for(standin))
    first = exported(root, tmp_path)
    toml = root / "ocpiwh.toml"
    toml.write_text(toml.read_text().replace("support@example.fr", "help@example.fr"))
    second = exported(root, tmp_path)
    old = {r["id_pdc_itinerance"]: r for r in first["statique"]}
    changed = {
        r["id_pdc_itinerance"] for r in second["statique"] if old.get(r["id_pdc_itinerance"]) != r
    }
    assert changed
    before = len(standin.requests)
    report = push(root, client_for(standin))
    new = standin.requests[before:]
    puts = [r for r in new if r.method == "PUT"]
    assert sorted(r.path.rsplit("/", 1)[1] for r in puts) == sorted(changed)
    assert all(r.status == 200 for r in puts)
    assert not [r for r in new if r.path.startswith(API + "/dynamique")]
    assert held(standin) == expected_on_server(second)
    assert {k.kind: k.to_update for k in report.kinds}["statique"] == len(changed)


def test_rerun_with_new_sessions_sends_only_them(
    root: Path, standin: StandIn, tmp_path: Path
) -> None:
    push(root, client_for(standin), ["statique"])
    assert not standin.sessions
    push(root, client_for(standin), ["statique", "sessions"])
    want = expected_on_server(exported(root, tmp_path))
    assert held(standin)["sessions"] == want["sessions"]
    assert held(standin)["statique"] == want["statique"]


@pytest.mark.parametrize("fault", ["429", "503", "drop", "drop_after"])
def test_faults_end_with_the_same_server_state(root: Path, tmp_path: Path, fault: str) -> None:
    rows = exported(root, tmp_path)
    si = make_standin()
    with serve_standin(si):
        for path in ("/statique/bulk", "/dynamique/status/bulk", "/dynamique/session/bulk"):
            si.add_fault(fault, API + path, times=2, retry_after=1.5)
        sleeps: list[float] = []
        report = push(root, client_for(si, sleeps))
        got = held(si)
    want = expected_on_server(rows)
    assert got["statique"] == want["statique"] and got["statuses"] == want["statuses"]
    if fault.startswith("drop"):
        # an unanswered session chunk cannot be checked (the API has no read route for
        # sessions): its rows are kept "in doubt" and not sent again; statuses were checked
        # through their history and statique resent (an upsert)
        ledger = Ledger(root / "state" / "push" / "qualicharge")
        doubt = [k for k, e in ledger.entries("sessions").items() if e.state == "in_doubt"]
        ledger.close()
        assert {k.kind: k.in_doubt for k in report.kinds} == {
            "statique": 0,
            "statuses": 0,
            "sessions": len(doubt),
        }
        assert 0 < len(doubt) <= 2 * BULK_MAX_SIZE
        key = {canon(r): f"{r['id_pdc_itinerance']}|{r['start']}" for r in rows["sessions"]}
        missing = want["sessions"] - got["sessions"]
        assert not got["sessions"] - want["sessions"]  # nothing twice, nothing unexpected
        if fault == "drop_after":
            assert not missing  # the doubtful chunks had been stored
        else:
            assert sorted(key[m] for m in missing) == sorted(doubt)
            with serve_standin(si):  # the user resends them knowingly
                push(root, client_for(si), ["sessions"], resend_in_doubt=True)
            assert held(si) == want
    else:
        assert got == want
    if fault == "429":
        assert sleeps.count(1.5) == 6  # Retry-After honoured
    assert not si.faults  # every injected fault was met


def test_partly_rejected_chunk_is_bisected(root: Path, tmp_path: Path) -> None:
    rows = exported(root, tmp_path)
    pick = [rows["statique"][i]["id_pdc_itinerance"] for i in (3, 14)]
    si = make_standin()
    si.reject_ids = set(pick)
    with serve_standin(si):
        push(root, client_for(si), ["statique"])
        got = held(si)["statique"]
        info = status(root)["kinds"]["statique"]
        assert got == Counter(
            canon(r) for r in rows["statique"] if r["id_pdc_itinerance"] not in pick
        )
        assert sorted(x["key"] for x in info["rejections"]) == sorted(pick)
        assert all("rejected by the stand-in" in x["reason"] for x in info["rejections"])
        # rejected rows are not resent until they change
        before = len(si.requests)
        push(root, client_for(si), ["statique"])
        assert len(si.requests) == before
