"""Import every command module so it registers on the app (kept explicit: one list)."""

from __future__ import annotations

from ocpiwh.cli import (  # noqa: F401
    app,
    check,
    demo,
    export,
    feed,
    get,
    irve,
    lake,
    models,
    privacy,
    push,
    query,
    sync,
)
from ocpiwh.simulator.cli import simulate

app.command()(simulate)
