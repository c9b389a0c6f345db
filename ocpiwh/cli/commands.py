"""The root command with every command reachable: each is loaded on first use (see
:mod:`ocpiwh.cli.names` for the one list of them), so importing this costs no command module."""

from __future__ import annotations

from ocpiwh.cli.app import app

__all__ = ["app"]
