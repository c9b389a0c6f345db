"""Every command module, imported so that it registers on the app (one explicit list)."""

from __future__ import annotations

import ocpiwh.cli.check
import ocpiwh.cli.demo
import ocpiwh.cli.export
import ocpiwh.cli.feed
import ocpiwh.cli.get
import ocpiwh.cli.irve
import ocpiwh.cli.lake
import ocpiwh.cli.models
import ocpiwh.cli.privacy
import ocpiwh.cli.push
import ocpiwh.cli.query
import ocpiwh.cli.sync  # noqa: F401  (each registers its commands on import)
from ocpiwh.cli.app import app
from ocpiwh.simulator.cli import simulate

app.command()(simulate)

__all__ = ["app"]
