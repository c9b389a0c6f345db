"""The SQL mutator makes the mutants it documents, and none inside comments or strings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("sql_mutate", ROOT / "tools" / "sql_mutate.py")
assert _spec and _spec.loader
sql_mutate = importlib.util.module_from_spec(_spec)
sys.modules["sql_mutate"] = sql_mutate
_spec.loader.exec_module(sql_mutate)

SQL = """-- upper(x) = 1 AND y
SELECT upper(trim(e.evse_id)) AS id, trim(s, 'x') AS t, 'a >= b OR c' AS lit, "a=b" AS q
FROM e WHERE e.n >= 3 AND e.m <> 2 AND e.k IS NULL AND e.d BETWEEN 1 AND 2
AND list_transform(l, x -> x) = [1] AND e.p <= 4
"""


def all_mutants() -> list[str]:
    return [m.apply(SQL) for m in sql_mutate.mutants(Path("t.sql"), SQL)]


def test_functions_dropped_one_at_a_time() -> None:
    got = all_mutants()
    assert SQL.replace("upper(trim(e.evse_id))", "trim(e.evse_id)") in got
    assert SQL.replace("upper(trim(e.evse_id))", "upper(e.evse_id)") in got
    assert not any("AS id, s AS t" in m for m in got)  # trim(s, chars) is not the 1-arg form


def test_comparisons_and_connectives() -> None:
    got = all_mutants()
    assert SQL.replace("e.n >= 3", "e.n > 3") in got
    assert SQL.replace("e.m <> 2", "e.m = 2") in got
    assert SQL.replace("e.p <= 4", "e.p < 4") in got
    assert SQL.replace("e.k IS NULL", "e.k IS NOT NULL") in got
    assert SQL.replace("e.n >= 3 AND", "e.n >= 3 OR") in got
    assert not any("BETWEEN 1 OR 2" in m for m in got)
    assert not any("x -> x" not in m for m in got)  # a lambda arrow is no comparison


def test_comments_strings_and_quoted_names_untouched() -> None:
    for mutant in all_mutants():
        assert mutant.startswith("-- upper(x) = 1 AND y\n")
        assert "'a >= b OR c'" in mutant and '"a=b"' in mutant


def test_every_target_exists_and_has_mutants() -> None:
    """A renamed SQL file would silently leave the list: each target must still match."""
    for pattern, tests in sql_mutate.TARGETS:
        files = sorted(ROOT.glob(pattern))
        assert files, pattern
        assert all((ROOT / t.split("::")[0]).exists() for t in tests)
        assert any(list(sql_mutate.mutants(f, f.read_text())) for f in files), pattern
