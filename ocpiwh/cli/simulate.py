"""``ocpiwh simulate``: the simulator's own command, registered on the root."""

from __future__ import annotations

from ocpiwh.cli.app import app
from ocpiwh.simulator.cli import simulate

app.command()(simulate)
