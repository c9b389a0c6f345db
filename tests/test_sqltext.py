"""DuckDB literals and identifiers, rendered without sqlglot, are what sqlglot renders for
DuckDB, and DuckDB reads them back as the value they were made from."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from ocpiwh.sqltext import identifier, literal

# what DuckDB can hold in a string: no NUL, no lone surrogate
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
SAMPLES = ["", "a", "it's", 'say "hi"', "a\\b", "x\ny", "tab\there", "é ü 漢", "a.b", "select"]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _check(value: str, con: duckdb.DuckDBPyConnection) -> None:
    assert literal(value) == exp.Literal.string(value).sql(dialect="duckdb")
    assert con.execute(f"SELECT {literal(value)}").fetchall() == [(value,)]
    if value:  # DuckDB has no empty name
        assert identifier(value) == exp.to_identifier(value, quoted=True).sql(dialect="duckdb")
        assert con.execute(f"SELECT 1 AS {identifier(value)}").description[0][0] == value


@pytest.mark.parametrize("value", SAMPLES)
def test_the_samples_are_rendered_as_sqlglot_does_and_read_back(
    value: str, con: duckdb.DuckDBPyConnection
) -> None:
    _check(value, con)


@settings(max_examples=200, deadline=None)
@given(value=TEXT)
def test_any_text_is_rendered_as_sqlglot_does_and_read_back(value: str) -> None:
    with duckdb.connect() as con:
        _check(value, con)


def test_other_dialects_take_sqlglots_rendering() -> None:
    assert literal("it's", "spark") == "'it\\'s'"
    assert identifier("a`b", "spark") == "`a``b`"
