"""When a feed of afir_status delivers a delta and when a full snapshot (docs/afir.md).

Mobilithek asks for at most one delta per second and a full snapshot at least every 3,500
deltas or 6 hours; ``[afir] feed_min_interval_s``, ``feed_full_every`` and
``feed_full_every_h`` change those. afir_table is always a full publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ocpiwh.afir.config import AfirConfig


@dataclass(frozen=True)
class Plan:
    """The next delivery: ``since`` None means a full snapshot."""

    since: str | None
    reason: str


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def plan(model: str, done: Sequence[dict[str, Any]], cfg: AfirConfig, now: datetime) -> Plan | None:
    """The next delivery of an AFIR feed given its recorded deliveries (their manifests),
    or None when the last one is less than ``feed_min_interval_s`` old."""
    if not done:
        return Plan(None, "first delivery")
    last = done[-1].get("afir") or {}
    made = _time(last.get("publication_time"))
    if made is not None and now - made < timedelta(seconds=cfg.feed_min_interval_s):
        return None
    if model != "afir_status":
        return Plan(None, "afir_table is always complete")
    deltas = 0
    snapshot_at: datetime | None = None
    for manifest in reversed(done):
        meta = manifest.get("afir") or {}
        if meta.get("publication") == "snapshot":
            snapshot_at = _time(meta.get("publication_time"))
            break
        deltas += 1
    if snapshot_at is None:
        return Plan(None, "no snapshot recorded")
    if deltas >= cfg.feed_full_every:
        return Plan(None, f"{deltas} deltas since the last snapshot")
    if now - snapshot_at >= timedelta(hours=cfg.feed_full_every_h):
        return Plan(None, f"last snapshot older than {cfg.feed_full_every_h:g} h")
    since = last.get("data_until")
    return Plan(since, "delta") if since else Plan(None, "the last delivery has no data_until")
