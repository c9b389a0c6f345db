"""``ocpiwh check --profile afir``: per site, the AFIR entries missing or stale.

* missing: the entries afir_table reports OCPI (and ``[afir]``) did not give, and sites left
  out of the publication because they are invalid (entry ``valid``);
* static stale: the site changed (``last_updated``) more than ``static_max_age_h`` (24 h) ago
  and no afir_table delivery of a feed was made since the change;
* status stale: a refill point of the site changed status more than ``status_max_age_s`` (60 s) ago and
  no afir_status delivery was made since; and every site when the lake's last committed sync
  window ends more than ``status_max_age_s`` ago (nothing can be published fresher).

Publications are known from the feeds' delivery records (``feed add … --model afir_*``);
files written by ``ocpiwh export`` are not tracked, so without an AFIR feed every change older
than the deadline counts as unpublished.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ocpiwh import models as models_lib
from ocpiwh import warehouse
from ocpiwh.afir.config import AfirConfig
from ocpiwh.afir.publish import STRIP_NULLS, data_until, model_params
from ocpiwh.afir.schema import site_errors
from ocpiwh.lake import Location, Store, open_store

TABLES: dict[str, str] = {
    "operator": "A1-A2",
    "helpdesk": "A5",
    "coordinates": "A7",
    "countryCode": "A9",
    "address": "A11-A13",
    "operatingHours": "A14",
    "authenticationAndIdentificationMethods": "A20-A22",
    "evseId": "B1",
    "maxPowerAtSocket": "B6",
    "adHocPrice": "F3",
    "valid": "A,B,F",
    "static data": "A,B",
    "status": "F1-F2",
}
"""The data types of the annex of Implementing Regulation (EU) 2025/655 behind each entry: Table A
(static, recharging station), B (static, recharging point), F (dynamic: F1 operational status,
F2 availability, F3 ad-hoc price). Numbering as listed in etalab/schema-irve's note on IRVE v3
(docs/note-conception-irve-v3-annexes.md, section D), see docs/afir.md."""


@dataclass
class SiteFinding:
    site_id: str
    entry: str
    table: str
    problem: str  # "missing", "invalid" or "stale"
    detail: str = ""


@dataclass
class AfirCompliance:
    """What ``check --profile afir`` found."""

    sites: int
    checked_at: datetime
    findings: list[SiteFinding] = field(default_factory=list)
    published: dict[str, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def by_entry(self) -> list[tuple[str, str, str, int]]:
        """(table, entry, problem, sites), most sites first."""
        counts: dict[tuple[str, str, str], set[str]] = {}
        for f in self.findings:
            counts.setdefault((f.table, f.entry, f.problem), set()).add(f.site_id)
        rows = [(t, e, p, len(s)) for (t, e, p), s in counts.items()]
        return sorted(rows, key=lambda r: (-r[3], r[0], r[1], r[2]))

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "profile": "afir",
                "checked_at": self.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sites": self.sites,
                "published": self.published,
                "ok": self.ok,
                "summary": [
                    {"table": t, "entry": e, "problem": p, "sites": n}
                    for t, e, p, n in self.by_entry()
                ],
                "findings": [f.__dict__ for f in self.findings],
            },
            option=orjson.OPT_INDENT_2,
        ).decode()


def _last_published(store: Store) -> dict[str, datetime | None]:
    """The latest publication time per AFIR model among the feeds' recorded deliveries."""
    out: dict[str, datetime | None] = {"afir_table": None, "afir_status": None}
    root = store.local_root
    if root is None:
        return out
    for log in sorted(Path(root, "state", "feeds").glob("*/deliveries.jsonl")):
        for line in log.read_bytes().splitlines():
            try:
                manifest: dict[str, Any] = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            meta = manifest.get("afir") or {}
            name = manifest.get("name")
            when = meta.get("publication_time")
            if name in out and when:
                t = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
                if out[name] is None or t > out[name]:  # type: ignore[operator]
                    out[name] = t
    return out


def check(root: Location | Store, now: datetime | None = None) -> AfirCompliance:
    """Per site: missing, invalid and stale AFIR entries (see the module's docstring)."""
    store = open_store(root)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    cfg = AfirConfig.load(store)
    registry = models_lib.load_models()
    published = _last_published(store)
    con = warehouse.connect(store)
    try:
        table = registry["afir_table"]
        rows = con.sql(
            f"SELECT site_id, last_updated, missing, {STRIP_NULLS.format(col='site')} AS j "
            f"FROM ({table.expanded_sql})",
            params=model_params(store, table, cfg, None) or None,
        ).fetchall()
        status = registry["afir_status"]
        points = con.sql(
            f"SELECT site_id, last_updated FROM ({status.expanded_sql})",
            params=model_params(store, status, cfg, None) or None,
        ).fetchall()
        synced = data_until(con)
    finally:
        con.close()
    report = AfirCompliance(
        sites=len(rows),
        checked_at=now,
        published={
            k: v.strftime("%Y-%m-%dT%H:%M:%SZ") if v else None for k, v in published.items()
        },
    )
    static_limit = timedelta(hours=cfg.static_max_age_h)
    status_limit = timedelta(seconds=cfg.status_max_age_s)
    for site_id, changed, missing, text in rows:
        report.findings += _site_findings(site_id, missing or [], text)
        if now - changed > static_limit and (
            published["afir_table"] is None or published["afir_table"] < changed
        ):
            report.findings.append(
                SiteFinding(
                    site_id,
                    "static data",
                    TABLES["static data"],
                    "stale",
                    f"changed {_iso(changed)}, not published within {cfg.static_max_age_h:g} h",
                )
            )
    for site_id, changed in points:  # the site's latest status change
        late = now - changed > status_limit and (
            published["afir_status"] is None or published["afir_status"] < changed
        )
        if late:
            report.findings.append(
                SiteFinding(
                    site_id,
                    "status",
                    TABLES["status"],
                    "stale",
                    f"changed {_iso(changed)}, not published within {cfg.status_max_age_s:g} s",
                )
            )
    if synced is not None and now - synced > status_limit:
        for site_id, *_ in rows:
            report.findings.append(
                SiteFinding(
                    site_id,
                    "status",
                    TABLES["status"],
                    "stale",
                    f"lake synced until {_iso(synced)} only",
                )
            )
    return report


def _site_findings(site_id: str, missing: Iterable[str], text: str) -> list[SiteFinding]:
    found = [SiteFinding(site_id, e, TABLES[e], "missing") for e in missing]
    errors = list(site_errors("afir_table", orjson.loads(text)))
    if errors:
        found.append(
            SiteFinding(
                site_id,
                "valid",
                TABLES["valid"],
                "invalid",
                f"{errors[0].path}: {errors[0].message}",
            )
        )
    return found


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
