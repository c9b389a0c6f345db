"""Mutation testing for the SQL files: break one thing at a time, run the tests that should notice.

    python tools/sql_mutate.py                      # every target below, every mutant
    python tools/sql_mutate.py --sample 40 --seed 1 # a random sample (bounded time)
    python tools/sql_mutate.py --list               # the mutants, nothing run
    python tools/sql_mutate.py sql/models/ind_pdc.sql --op drop_upper
    python tools/sql_mutate.py sql/models/irve_statique.sql --line 167 --line 314

A mutant is one textual change outside comments, string literals and quoted identifiers:
``drop_<fn>`` replaces ``upper(x)`` / ``lower(x)`` / ``trim(x)`` by ``x`` (the IRVE id rule
``upper(trim(evse_id))`` is written in several files: each copy must be defended);
``cmp`` flips a comparison (``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``=`` ↔ ``<>``); ``and_or`` swaps
one AND/OR; ``null`` swaps ``IS NULL`` / ``IS NOT NULL``. A mutant sqlglot cannot parse while
the original parses is *stillborn*: reported, not run, not scored. The file is written, the
tests of its target are run (``pytest -x``), the file restored (also on Ctrl-C): killed when
the tests fail, survived when they pass. On demand (``make mutate``), not in CI.
"""

from __future__ import annotations

import argparse
import fnmatch
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot.errors import ParseError

ROOT = Path(__file__).resolve().parents[1]

ID_TEST = "tests/models/test_models_lib.py::test_evse_id_spelling_changes_no_output"
GOLDEN = "tests/models/test_models_golden.py"
OPEN_DATA = "tests/irve/test_open_data.py"
ACCEPTANCE = "tests/irve/test_qualicharge_acceptance.py"
EXPORT = "tests/export/test_export.py"
STATIQUE = "tests/irve/test_statique_mapping.py"
DYNAMIQUE = [f"{EXPORT}::test_dynamique_status_mapping", f"{EXPORT}::test_dynamique_events_window"]

TARGETS: list[tuple[str, list[str]]] = [
    ("sql/models/irve_statique.sql", [STATIQUE, "tests/irve/test_statique_edges.py", ID_TEST]),
    ("sql/models/irve_dynamique.sql", [*DYNAMIQUE, ID_TEST, OPEN_DATA, ACCEPTANCE]),
    ("sql/models/irve_dynamique_events.sql", [*DYNAMIQUE, ID_TEST, OPEN_DATA, ACCEPTANCE]),
    ("sql/models/ind_pdc.sql", [ID_TEST, GOLDEN]),
    ("sql/checks/base/qc_sessions.sql", [ID_TEST, "tests/quality"]),
    (
        "sql/normalize/*.sql",
        ["tests/warehouse/test_wh_views.py", STATIQUE],
    ),
]
"""(file glob, pytest arguments): the SQL to mutate and the tests that defend it. Edit this
list to add a file (and the tests that should notice a change in it)."""

FUNCS = ("upper", "lower", "trim")
OPS = ("drop_upper", "drop_lower", "drop_trim", "cmp", "and_or", "null")
CMP = {"<=": "<", ">=": ">", "<>": "=", "!=": "=", "=": "<>", "<": "<=", ">": ">="}


@dataclass(frozen=True)
class Mutant:
    path: Path
    op: str
    start: int
    end: int
    replacement: str
    line: int
    text: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.replacement + source[self.end :]

    def describe(self, source: str) -> str:
        return f"{self.op}: {source[self.start : self.end]!r} → {self.replacement!r}"


def code_mask(source: str) -> list[bool]:
    """True where a character is SQL code (not a comment, a string or a quoted name)."""
    mask = [True] * len(source)
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("--", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in "'\"":
            j = i + 1
            while j < n:
                if source[j] == c and source[j + 1 : j + 2] == c:
                    j += 2
                    continue
                if source[j] == c:
                    break
                j += 1
            j = min(j + 1, n)
        else:
            i += 1
            continue
        for k in range(i, j):
            mask[k] = False
        i = j
    return mask


def _close_paren(source: str, mask: list[bool], open_at: int) -> tuple[int, bool]:
    """Index of the ``)`` matching ``source[open_at]``, and whether a top-level comma is inside."""
    depth, comma = 0, False
    for i in range(open_at, len(source)):
        if not mask[i]:
            continue
        if source[i] == "(":
            depth += 1
        elif source[i] == ")":
            depth -= 1
            if depth == 0:
                return i, comma
        elif source[i] == "," and depth == 1:
            comma = True
    raise ValueError("unbalanced parentheses")


def mutants(path: Path, source: str) -> Iterator[Mutant]:
    mask = code_mask(source)

    def make(op: str, start: int, end: int, replacement: str) -> Mutant:
        line = source.count("\n", 0, start) + 1
        text = source.splitlines()[line - 1].strip()
        return Mutant(path, op, start, end, replacement, line, text)

    for fn in FUNCS:
        for m in re.finditer(rf"\b{fn}\s*\(", source, re.I):
            if not mask[m.start()]:
                continue
            close, comma = _close_paren(source, mask, m.end() - 1)
            if comma:  # trim(s, chars), …: not the one-argument form
                continue
            yield make(f"drop_{fn}", m.start(), close + 1, source[m.end() : close])
    for m in re.finditer(r"<=|>=|<>|!=|=|<|>", source):
        s, e = m.start(), m.end()
        if not mask[s] or source[s - 1 : s] in ("-", ":", "=", "!", "<", ">"):
            continue
        if source[e : e + 1] in (">", "="):  # =>, ->, ==
            continue
        yield make("cmp", s, e, CMP[m.group()])
    for m in re.finditer(r"\b(AND|OR)\b", source, re.I):
        if not mask[m.start()]:
            continue
        before = source[max(0, m.start() - 200) : m.start()].upper()
        if m.group().upper() == "AND" and re.search(r"\bBETWEEN\b(?!.*\bAND\b)", before, re.S):
            continue  # BETWEEN a AND b
        swap = "OR" if m.group().upper() == "AND" else "AND"
        yield make("and_or", m.start(), m.end(), swap)
    for m in re.finditer(r"\bIS\s+(NOT\s+)?NULL\b", source, re.I):
        if mask[m.start()]:
            yield make("null", m.start(), m.end(), "IS NULL" if m.group(1) else "IS NOT NULL")


def _parses(sql: str) -> bool:
    text = re.sub(r"\$(\w+)", r":\1", sql)
    try:
        sqlglot.parse(text, read="duckdb")
    except (ParseError, sqlglot.errors.TokenError):
        return False
    return True


def run_tests(args: list[str], timeout: float) -> tuple[str, float]:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - t0
    state = "survived" if proc.returncode == 0 else "killed"
    if proc.returncode in (2, 3, 4):  # interrupted, internal or usage error: not a verdict
        state = "error"
    return state, time.monotonic() - t0


def select(files: list[str]) -> list[tuple[Path, list[str]]]:
    out: list[tuple[Path, list[str]]] = []
    for pattern, tests in TARGETS:
        for path in sorted(ROOT.glob(pattern)):
            rel = str(path.relative_to(ROOT))
            if path.name.startswith("_") and "normalize" in rel:
                continue  # macros: mutated through the files that use them
            if not files or any(fnmatch.fnmatch(rel, f) for f in files):
                out.append((path, tests))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", help="globs of target files (default: every target)")
    ap.add_argument("--op", choices=OPS, action="append", help="only these operators")
    ap.add_argument(
        "--line",
        type=int,
        action="append",
        help="only the mutants on this line (repeatable): re-run earlier survivors",
    )
    ap.add_argument("--sample", type=int, default=0, help="run N mutants drawn at random")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--report", type=Path, help="write the results as Markdown here")
    a = ap.parse_args(argv)

    todo: list[tuple[Mutant, list[str]]] = []
    stillborn: list[Mutant] = []
    sources: dict[Path, str] = {}
    for path, tests in select(a.files):
        source = sources[path] = path.read_text()
        original_parses = _parses(source)
        for mutant in mutants(path, source):
            if a.op and mutant.op not in a.op:
                continue
            if a.line and mutant.line not in a.line:
                continue
            if original_parses and not _parses(mutant.apply(source)):
                stillborn.append(mutant)
            else:
                todo.append((mutant, tests))
    if a.sample and a.sample < len(todo):
        todo = sorted(random.Random(a.seed).sample(todo, a.sample), key=lambda t: t[0].start)
    if a.list:
        for mutant, _ in todo:
            rel = mutant.path.relative_to(ROOT)
            print(f"{rel}:{mutant.line}: {mutant.describe(sources[mutant.path])}")
        print(f"{len(todo)} mutants, {len(stillborn)} stillborn", file=sys.stderr)
        return 0

    baselines: dict[tuple[str, ...], float] = {}
    results: list[tuple[Mutant, str]] = []
    for mutant, tests in todo:
        key = tuple(tests)
        if key not in baselines:
            state, took = run_tests(tests, timeout=1800)
            if state != "survived":
                print(f"the tests fail before any mutation ({state}): {' '.join(tests)}")
                return 1
            baselines[key] = took
        source = sources[mutant.path]
        try:
            mutant.path.write_text(mutant.apply(source))
            state, took = run_tests(tests, timeout=3 * baselines[key] + 30)
        finally:
            mutant.path.write_text(source)
        rel = mutant.path.relative_to(ROOT)
        print(f"{state:9} {took:6.1f}s {rel}:{mutant.line} {mutant.describe(source)}", flush=True)
        results.append((mutant, state))
    report = render(results, stillborn, sources, sampled=bool(a.sample))
    print(report)
    if a.report:
        a.report.write_text(report)
    return 0


def render(
    results: list[tuple[Mutant, str]],
    stillborn: list[Mutant],
    sources: dict[Path, str],
    *,
    sampled: bool,
) -> str:
    lines = ["| file | mutants run | killed | survived | score |", "|---|---|---|---|---|"]
    by_file: dict[Path, list[str]] = {}
    for mutant, state in results:
        by_file.setdefault(mutant.path, []).append(state)
    for path, states in sorted(by_file.items()):
        killed = sum(s in ("killed", "timeout") for s in states)
        survived = states.count("survived")
        scored = killed + survived
        score = f"{100 * killed / scored:.0f} %" if scored else "–"
        rel = path.relative_to(ROOT)
        lines.append(f"| `{rel}` | {len(states)} | {killed} | {survived} | {score} |")
    lines.append("")
    lines.append(f"{'Sampled run. ' if sampled else ''}Stillborn (not run): {len(stillborn)}.")
    lines.append("")
    lines.append("Survivors:")
    lines.append("")
    for mutant, state in results:
        if state == "survived":
            rel = mutant.path.relative_to(ROOT)
            what = mutant.describe(sources[mutant.path])
            lines.append(f"- `{rel}:{mutant.line}` {what} — `{mutant.text[:100]}`")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
