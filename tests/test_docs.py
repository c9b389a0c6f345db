"""Generated documentation must match the code it documents, and docs cite only files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ocpiwh import docgen

ROOT = Path(__file__).resolve().parent.parent


def test_every_generated_doc_is_current() -> None:
    stale = sorted(p.relative_to(ROOT).as_posix() for p in docgen.stale(ROOT))
    assert not stale, f"out of date: {', '.join(stale)}: run `make docs` (python -m ocpiwh.docgen)"


def test_the_generator_knows_a_missing_section_when_it_sees_one() -> None:
    with pytest.raises(Exception, match="no generated section"):
        docgen.GENERATED["docs/sql.md"]("# a sql.md whose markers were deleted\n")


def test_make_docs_runs_the_one_generator() -> None:
    makefile = (ROOT / "Makefile").read_text()
    docs_recipe = makefile.split("\ndocs:", 1)[1].split("\n\n", 1)[0]
    assert "-m ocpiwh.docgen" in docs_recipe and "docs/cli.md" not in docs_recipe


# Markdown links to local files, and top-level notes such as CHANGELOG.md, wherever named.
_LINK = re.compile(r"\]\(([^)#:\s]+)\)")
_NOTE = re.compile(r"(?<![\w/.-])([A-Z][A-Z_]+\.md)\b")
_DOCS = [
    "README.md",
    "pyproject.toml",
    *(f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md"))),
]


@pytest.mark.parametrize("doc", _DOCS)
def test_docs_cite_only_files_the_repository_has(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    here = (ROOT / doc).parent
    cited = {(here / link, link) for link in _LINK.findall(text)}
    cited |= {(ROOT / note, note) for note in _NOTE.findall(text)}
    missing = sorted(name for path, name in cited if not path.exists())
    assert not missing, f"{doc} cites files the repository lacks: {missing}"


def test_readme_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
