"""Import every command module so it registers on the app (kept explicit: one list)."""

from __future__ import annotations
