"""Import every command module so it registers on the app (kept explicit: one list)."""

from __future__ import annotations

from ocpiwh.cli import app, check, demo, export, irve, lake, models, privacy, query, sync  # noqa: F401
from ocpiwh.simulator.cli import simulate

app.command()(simulate)
