"""``ocpiwh demo``: the whole pipeline end to end on the bundled simulator.

Starts the simulator on a free loopback port, logs in, runs a first (full) sync, moves the
platform clock forward, runs an incremental sync, refreshes ``warehouse.duckdb`` and runs a
model. The simulated platform starts at a fixed instant, so running the demo again on the
same warehouse is a no-op sync: it shows that syncs are idempotent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from ocpiwh import warehouse
from ocpiwh.config import Config
from ocpiwh.export import ExportResult, export
from ocpiwh.login import login
from ocpiwh.models import get_model, load_models
from ocpiwh.push import Credentials, PushReport, QualiChargeClient, push
from ocpiwh.push.standin import StandIn, serve_standin
from ocpiwh.simulator import Faults, SimConfig, serve_in_thread
from ocpiwh.sync.engine import SourceResult, SyncOptions, sync

DEMO_SOURCE = "demo"
DEMO_START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

DEMO_IRVE: dict[str, Any] = {
    # Values OCPI does not carry (the operator's legal identity and contacts). These are
    # placeholders for the demo only: a real warehouse gets them from its operator.
    "session_max_age_days": 30,
    "defaults": {
        "nom_amenageur": "Aménageur de démonstration",
        "siren_amenageur": "130025265",
        "contact_amenageur": "amenageur@example.fr",
        "contact_operateur": "support@example.fr",
        "telephone_operateur": "+33 1 23 45 67 89",
        "code_insee_commune": "75111",
        "raccordement": "Indirect",
        "restriction_gabarit": "Aucune",
    },
}
EXPORTS = (
    ("irve_statique", "irve_statique.csv"),
    ("irve_dynamique", "irve_dynamique.csv"),
    ("qualicharge_sessions", "qualicharge_sessions.csv"),
    ("qualicharge_sessions", "qualicharge_sessions.jsonl"),
)


@dataclass
class DemoReport:
    root: Path
    versions_url: str = ""
    syncs: list[list[SourceResult]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    energy: pa.Table | None = None
    database: Path | None = None
    exports: list[ExportResult] = field(default_factory=list)
    pushed: PushReport | None = None


def run_demo(
    root: Path,
    *,
    sessions: int = 20_000,
    locations: int = 120,
    advance: timedelta = timedelta(hours=6),
    say: Callable[[str], None] = lambda _: None,
) -> DemoReport:
    """Run the pipeline against a fresh simulator; ``say`` hears one line per step."""
    report = DemoReport(root=root)
    token = secrets.token_urlsafe(24)  # never printed: the demo proves tokens stay private
    cfg = SimConfig(
        seed=42,
        sessions=sessions,
        locations=locations,
        token=token,
        start=DEMO_START,
        clean=False,
        faults=Faults(rate_malformed=0.001),
    )  # a few broken objects: see quarantine
    with serve_in_thread(cfg) as sim:
        report.versions_url = sim.versions_url
        say(f"simulated CPO platform at {sim.versions_url} (clock {sim.now():%Y-%m-%d %H:%M}Z)")
        src = login(root, sim.versions_url, token, source=DEMO_SOURCE).source
        say(f"logged in: OCPI {src.version}, Sender modules {', '.join(src.sender_modules())}")
        # The simulator's clock stands still between advances: no lag is needed.
        options = SyncOptions(lag=timedelta(0))
        report.syncs.append(sync(root, source=DEMO_SOURCE, options=options))
        say(_sync_line("first sync", report.syncs[-1]))
        sim.advance(seconds=advance.total_seconds())
        say(f"platform clock moved {advance} forward: new sessions, CDRs, status changes")
        report.syncs.append(sync(root, source=DEMO_SOURCE, options=options))
        say(_sync_line("incremental sync", report.syncs[-1]))
        platform_now = sim.now()
    report.database = warehouse.refresh(root)
    config = Config.load(root)
    if "irve" not in config.extra:
        config.extra["irve"] = DEMO_IRVE
        config.save()
        say("added demo [irve] values (operator identity and contacts) to ocpiwh.toml")
    out_dir = root / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, filename in EXPORTS:
        # judged at the simulated platform's clock: the demo's data lives in its own time
        result = export(root, name, out_dir / filename, now=platform_now)
        report.exports.append(result)
        v = result.validation
        checked = f", {v.valid:,} valid, {v.invalid:,} left out (see report)" if v else ""
        say(f"exported {name} → {result.out.name}: {result.rows:,} rows{checked}")
    report.pushed = _push_to_standin(root, platform_now)
    for kind in report.pushed.kinds:
        say(
            f"pushed {kind.kind} to a local QualiCharge stand-in: {kind.accepted:,} accepted, "
            f"{kind.rejected:,} rejected with the API's reason ({kind.requests:,} requests)"
        )
    con = warehouse.connect(root)
    try:
        for view in (
            "locations",
            "evses",
            "connectors",
            "sessions",
            "cdrs",
            "tariffs",
            "tokens",
            "evse_status_events",
            "quarantine",
        ):
            row = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0]
            report.rows[view] = int(row[0]) if row else 0
        report.quarantined = report.rows.pop("quarantine")
        model = get_model("energy_by_operator", load_models())
        report.energy = model.run(con, {"grain": "month"})
    finally:
        con.close()
    return report


def _push_to_standin(root: Path, now: datetime) -> PushReport:
    """The last mile, on loopback: the QualiCharge API's stand-in receives the demo's files
    through the push ledger (`ocpiwh push status` shows it afterwards). The demo's data lives
    in its simulated past, so the age limits are widened to ten years."""
    password = secrets.token_urlsafe(16)
    ten_years = timedelta(days=3650)
    standin = StandIn({"demo": password}, max_status_age=ten_years, max_session_age=ten_years)
    with serve_standin(standin) as server:
        client = QualiChargeClient(Credentials(server.url, "demo", password))
        return push(root, client, now=now, max_session_age_days=ten_years.days)


def _sync_line(label: str, results: list[SourceResult]) -> str:
    mods = [m for r in results for m in r.modules]
    fetched = sum(m.fetched for m in mods)
    new = sum(m.new for m in mods)
    updated = sum(m.updated for m in mods)
    quarantined = sum(m.quarantined for m in mods)
    elapsed = max((r.elapsed for r in results), default=0.0)
    return (
        f"{label}: {fetched:,} objects fetched ({new:,} new, {updated:,} updated, "
        f"{quarantined:,} quarantined) in {elapsed:.1f}s"
    )


def summary_rows(report: DemoReport) -> list[tuple[str, Any]]:
    """What the demo produced and where, for the closing table."""
    rows: list[tuple[str, Any]] = [(f"view {k}", f"{v:,} rows") for k, v in report.rows.items()]
    rows.append(("quarantined objects", f"{report.quarantined:,} (see the quarantine view)"))
    for res in report.exports:
        rows.append(
            (f"export {res.out.name}", f"{res.rows:,} rows, manifest {res.manifest_path.name}")
        )
    if report.pushed is not None:
        rows.append(
            ("QualiCharge push ledger", "state/push/qualicharge/ (see `ocpiwh push status`)")
        )
    rows.append(("Parquet lake", str(report.root / "raw")))
    if report.database:
        rows.append(("DuckDB views", str(report.database)))
    return rows
