"""Models read the lake's locations once per run (shared temporary tables), and what sqlglot
derives from the model files is kept in a cache keyed by the files' contents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlglot
from golden_lake import GOLDEN, build_lake

from ocpiwh import modelcache, models, warehouse

CASES = sorted(
    c
    for c in GOLDEN.glob("*/*")
    if (c / "params.json").exists() and models.get_model(c.parent.name).lake_reads >= 2
)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OCPIWH_CACHE_DIR", str(folder))
    modelcache.entries.cache_clear()
    yield folder
    modelcache.entries.cache_clear()


def test_some_golden_models_read_the_locations_several_times() -> None:
    assert {c.parent.name for c in CASES} >= {"ind_pdc"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_shared_locations_give_the_rows_of_the_views(case: Path, tmp_path: Path) -> None:
    model = models.get_model(case.parent.name)
    root = build_lake(case, tmp_path / "wh")
    params = json.loads((case / "params.json").read_text())
    con = warehouse.connect(root)
    try:
        bound = model.bind(params)
        values = {k: bound[k] for k in model.placeholders}
        plain = warehouse.run_sql(con, model.expanded_sql, values)
        shared = model.run(con, params)
        temp = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
        tables = models.share_views(con, model.views)
        assert model.sql_reading(tables) != model.expanded_sql
        given = model.run(con, params, shared=tables)  # the caller's tables, left to it
        models.drop_shared(con, tables)
        left = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    finally:
        con.close()
    assert plain.num_rows > 0
    assert shared.equals(plain) and given.equals(plain)
    assert temp == [] and left == []  # run() dropped its tables; drop_shared the test's


def _copy_models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(models.models_dir(), folder)
    return folder


def test_a_changed_sql_file_is_seen(tmp_path: Path, own_cache: Path) -> None:
    folder = _copy_models(tmp_path)
    first = models.load_models(folder)["qualicharge_sessions"]
    assert "'cdr' AS source" in first.expanded_sql
    assert len(list(own_cache.glob("models-*"))) == 1
    dep = folder / "qualicharge_session_rows.sql"
    dep.write_text(dep.read_text().replace("'cdr' AS source", "'CDR' AS source"))
    second = models.load_models(folder)["qualicharge_sessions"]
    assert second.cache_key != first.cache_key
    assert "'CDR' AS source" in second.expanded_sql
    assert "'cdr' AS source" not in second.expanded_sql
    assert len(list(own_cache.glob("models-*"))) == 2


def test_the_cache_is_read_from_disk(
    tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process (here: the in-process entries forgotten) parses nothing."""
    folder = _copy_models(tmp_path)
    model = models.load_models(folder)["irve_statique"]
    expected = (model.expanded_sql, model.placeholders, model.lake_reads, model.views)
    reading = model.sql_reading({"locations": "_shared_0_locations"})
    modelcache.entries.cache_clear()

    def no_parsing(*_: object, **__: object) -> None:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(sqlglot, "parse_one", no_parsing)
    again = models.load_models(folder)["irve_statique"]
    assert (again.expanded_sql, again.placeholders, again.lake_reads, again.views) == expected
    assert again.sql_reading({"locations": "_shared_0_locations"}) == reading
    assert "_shared_0_locations" in reading and " locations AS l" not in reading


def test_an_unwritable_cache_folder_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("OCPIWH_CACHE_DIR", str(blocker / "cache"))
    model = models.load_models(_copy_models(tmp_path))["qualicharge_sessions"]
    assert "qualicharge_session_rows AS" in model.expanded_sql


def test_entries_added_at_once_by_two_processes_are_both_kept(own_cache: Path) -> None:
    """Two processes holding the same key, each adding its own entry: neither write drops
    the other's (one file per entry, no read-modify-write of a shared file)."""
    first, second = modelcache.Entries("k"), modelcache.Entries("k")
    assert first.get("a", lambda: [1]) == [1]
    assert second.get("b", lambda: [2]) == [2]
    third = modelcache.Entries("k")  # a third process, later

    def recompute() -> list[int]:
        raise AssertionError("recomputed although stored")

    assert (third.get("a", recompute), third.get("b", recompute)) == ([1], [2])
    assert len(list((own_cache / "models-k").iterdir())) == 2
