"""Regenerate the policy tables of docs/privacy.md: ``python -m ocpiwh.privacy docs/privacy.md``."""

from __future__ import annotations

import sys
from pathlib import Path

from ._engine import render_markdown

BEGIN = "<!-- BEGIN GENERATED POLICY TABLES (python -m ocpiwh.privacy docs/privacy.md) -->"
END = "<!-- END GENERATED POLICY TABLES -->"


def replace_tables(text: str) -> str:
    """``text`` with the part between the markers replaced by :func:`render_markdown`."""
    head, _, rest = text.partition(BEGIN)
    _, found, tail = rest.partition(END)
    if not found:
        raise SystemExit(f"markers not found: {BEGIN} … {END}")
    return f"{head}{BEGIN}\n\n{render_markdown()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/privacy.md")
    path.write_text(replace_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
