"""The generated policy tables cover every module and version (tests/test_docs.py checks
that docs/privacy.md carries them)."""

from __future__ import annotations

from ocpiwh.privacy import render_markdown


def test_tables_cover_every_module_and_version() -> None:
    md = render_markdown()
    for module in ("locations", "sessions", "cdrs", "tariffs", "tokens"):
        for version in ("2.1.1", "2.2.1", "2.3.0"):
            assert f"### {module} — OCPI {version}" in md
