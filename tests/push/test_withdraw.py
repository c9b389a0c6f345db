"""Points that disappear from the platform are decommissioned on the API
(``DELETE /statique/{id}``, the published route), and recommissioned (``POST …/up``) when
they come back: by ``push qualicharge --withdraw`` and by a statique feed's tombstones,
against the stand-in on loopback; a withdrawal killed after its answer is redone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from ocpiwh import warehouse
from ocpiwh.delivery import feeds
from ocpiwh.lake import BatchRecord, LakeWriter, StateStore, write_batch
from ocpiwh.lake.journal import drop_journals
from ocpiwh.push import Ledger, push, status
from ocpiwh.push.standin import API, StandIn
from tests.sync.conftest import cli

from .conftest import api_env, canon, client_for, exported

LEDGER = ("state", "push", "qualicharge")


def _location(root: Path, points: set[str]) -> dict[str, Any]:
    """A location holding some of ``points`` (source, key, version, its OCPI object)."""
    con = warehouse.connect(root)
    try:
        rows = con.execute(
            "SELECT _source, country_code, party_id, id, _ocpi_version, _raw FROM locations "
            "ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    for source, cc, party, lid, version, raw in rows:
        obj = orjson.loads(raw) if isinstance(raw, str) else raw
        uids = {e.get("evse_id") or "" for e in obj.get("evses") or []}
        if {u.replace("*", "") for u in uids} & points:
            return {"source": source, "key": (cc, party, lid), "version": version, "obj": obj}
    raise AssertionError("no location holds a pushed point")


def _remove(root: Path, loc: dict[str, Any]) -> None:
    """A tombstone, as a full listing that no longer returns the location writes."""
    cc, party, lid = loc["key"]
    writer = LakeWriter(root, source=loc["source"], module="locations", platform_party=(cc, party))
    try:
        res = writer.write_removed(
            pa.table({"country_code": [cc], "party_id": [party], "id": [lid]})
        )
    finally:
        writer.close()
    record = BatchRecord(
        res.batch_id,
        "locations",
        loc["version"],
        res.rows,
        0,
        res.bytes,
        "none",
        None,
        None,
        files=res.files,
    )
    state = StateStore(writer.store, loc["source"])
    state.commit("locations", state.load("locations"), [record])  # as a sync commits it
    drop_journals(writer.store, [res.batch_id])


def _relist(root: Path, loc: dict[str, Any]) -> None:
    """A later listing returns the location: it is back."""
    cc, party, _ = loc["key"]
    write_batch(
        root,
        source=loc["source"],
        module="locations",
        version=loc["version"],
        objects=[loc["obj"]],
        platform_party=(cc, party),
    )


def _points(rows: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]:
    return {r["id_pdc_itinerance"]: canon(r) for r in rows["statique"]}


def _listed(si: StandIn) -> dict[str, bytes]:
    return {k: canon(v) for k, v in si.active_statique().items()}


def _deletes(si: StandIn, start: int = 0) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in si.requests[start:] if r.method == "DELETE"]


def test_push_withdraw_decommissions_and_brings_back(
    root: Path, standin: StandIn, tmp_path: Path
) -> None:
    push(root, client_for(standin))
    first = _points(exported(root, tmp_path))
    loc = _location(root, set(first))
    _remove(root, loc)
    after = _points(exported(root, tmp_path))
    gone = set(first) - set(after)
    assert gone and set(after) < set(first)

    info = status(root)["kinds"]["statique"]
    assert info["to_withdraw"] == len(gone)
    n = len(standin.requests)
    push(root, client_for(standin))  # without --withdraw: nothing is decommissioned
    assert not _deletes(standin, n)
    report = push(root, client_for(standin), withdraw=True)
    assert sorted(_deletes(standin, n)) == sorted(gone)
    assert {k.kind: k.withdrawn for k in report.kinds}["statique"] == len(gone)
    assert _listed(standin) == after
    ledger = Ledger(root.joinpath(*LEDGER))
    states = {k: e.state for k, e in ledger.entries("statique").items()}
    ledger.close()
    assert {k for k, s in states.items() if s == "withdrawn"} == gone
    n = len(standin.requests)
    push(root, client_for(standin), withdraw=True)  # done: nothing more
    assert len(standin.requests) == n
    assert status(root)["kinds"]["statique"]["to_withdraw"] == 0

    _relist(root, loc)  # the location is back: recommissioned (then PUT if it changed)
    back = _points(exported(root, tmp_path))
    assert set(back) == set(first)
    report = push(root, client_for(standin), withdraw=True)
    ups = [r for r in standin.requests[n:] if r.path.endswith("/up")]
    assert sorted(r.path.split("/")[-2] for r in ups) == sorted(gone)
    assert all(r.status == 204 for r in ups)
    assert _listed(standin) == back
    assert {k.kind: k.restored for k in report.kinds}["statique"] == len(gone)


def test_refused_decommission_is_reported_not_fatal(
    root: Path, standin: StandIn, tmp_path: Path
) -> None:
    push(root, client_for(standin))
    first = _points(exported(root, tmp_path))
    _remove(root, _location(root, set(first)))
    standin.can_decommission = False  # an account without the static:delete scope
    report = push(root, client_for(standin), withdraw=True)
    statique = {k.kind: k for k in report.kinds}["statique"]
    assert statique.withdrawn == 0 and statique.withdraw_refused == statique.to_withdraw > 0
    assert all("Unsufficient permissions" in why for _, why in statique.reasons)
    assert status(root)["kinds"]["statique"]["to_withdraw"] == statique.to_withdraw
    env = api_env(standin)
    table = cli(root, "push", "status", env=env)
    assert "--withdraw" in " ".join(table.stdout.split())


def test_killed_withdrawal_is_redone(root: Path, standin: StandIn, tmp_path: Path) -> None:
    push(root, client_for(standin))
    first = _points(exported(root, tmp_path))
    _remove(root, _location(root, set(first)))
    after = _points(exported(root, tmp_path))
    gone = set(first) - set(after)
    env = api_env(standin)
    n = len(standin.requests)
    killed = cli(
        root, "push", "qualicharge", "--withdraw", env={**env, "OCPIWH_CRASH_AT": "push-sent:1"}
    )
    assert killed.returncode == -9
    assert len(_deletes(standin, n)) == 1  # answered, not recorded
    again = cli(root, "push", "qualicharge", "--withdraw", env=env)
    assert again.returncode == 0, again.stderr
    deletes = _deletes(standin, n)
    assert sorted(set(deletes)) == sorted(gone)
    assert len(deletes) == len(gone) + 1  # the interrupted one redone: idempotent
    assert _listed(standin) == after


def test_statique_feed_withdraws_its_tombstones(
    root: Path, standin: StandIn, tmp_path: Path, monkeypatch: Any
) -> None:
    for name, value in api_env(standin).items():
        monkeypatch.setenv(name, value)
    feeds.add(root, "qc", "irve_statique", "jsonl", "qualicharge")
    feeds.run(root, "qc", client=client_for(standin))
    first = _points(exported(root, tmp_path))
    assert _listed(standin) == first
    loc = _location(root, set(first))
    _remove(root, loc)
    after = _points(exported(root, tmp_path))
    n = len(standin.requests)
    made = feeds.run(root, "qc", client=client_for(standin))
    gone = set(first) - set(after)
    assert made[0].counts.removed == len(gone) and made[0].manifest["push"]["withdrawn"] == len(
        gone
    )
    assert sorted(_deletes(standin, n)) == sorted(gone)
    assert _listed(standin) == after
    _relist(root, loc)
    made = feeds.run(root, "qc", client=client_for(standin))
    assert made[0].manifest["push"]["recommissioned"] == len(gone)
    assert _listed(standin) == _points(exported(root, tmp_path))
    assert not [r for r in standin.requests if r.path.startswith(API) and r.status >= 500]
