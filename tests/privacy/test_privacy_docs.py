"""docs/privacy.md carries the generated policy tables, and they match the code."""

from __future__ import annotations

from pathlib import Path

from ocpiwh.privacy import render_markdown
from ocpiwh.privacy.__main__ import BEGIN, END, replace_tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"


def test_docs_tables_match_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    inner = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert inner.strip() == render_markdown().strip(), (
        "docs/privacy.md is stale: run `python -m ocpiwh.privacy docs/privacy.md`"
    )
    assert replace_tables(text) == text


def test_tables_cover_every_module_and_version() -> None:
    md = render_markdown()
    for module in ("locations", "sessions", "cdrs", "tariffs", "tokens"):
        for version in ("2.1.1", "2.2.1", "2.3.0"):
            assert f"### {module} — OCPI {version}" in md
