"""Typing without ``trim`` when no string of a batch can be padded, and only then.

``jsontexts.unpadded`` decides from the JSON texts of a page; a batch whose pages are all
unpadded is typed with ``sql/normalize/_unpadded.sql``'s ``ocpi_str`` (no ``trim``, ~20 % of
the typing). These tests pin both halves: every character DuckDB's ``trim`` removes marks a
text padded, and on unpadded texts both macro sets give the very same rows, for every module
and version of a dirty simulated platform.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
from ocpi_objects import VERSIONS, cdr, location, session, tariff, token

from ocpiwh.jsontexts import pack, unpadded
from ocpiwh.lake import JsonLines, housekeeping_connection, write_batch
from ocpiwh.lake.engine import Normalizer
from ocpiwh.paths import MODULES
from ocpiwh.simulator.config import SimConfig
from ocpiwh.simulator.world import World
from ocpiwh.warehouse import query


def _trimmed_characters() -> list[str]:
    """Every character DuckDB's trim removes at either end of a string, asked of DuckDB."""
    con = housekeeping_connection()
    try:
        rows = con.execute(
            """SELECT chr(cp::INTEGER) FROM range(1, 1114112) AS t(cp)
               WHERE (cp < 55296 OR cp > 57343)
                 AND (trim(chr(cp::INTEGER) || 'x') <> chr(cp::INTEGER) || 'x'
                      OR trim('x' || chr(cp::INTEGER)) <> 'x' || chr(cp::INTEGER))"""
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


TRIMMED = _trimmed_characters()
ENCODERS = {"orjson": orjson.dumps, "msgspec": msgspec.json.encode}


def test_duckdb_trims_the_space_separators_the_check_knows() -> None:
    # the check names the first bytes of these characters: another DuckDB trimming more
    # (a tab, a zero-width space) must fail here before it can change a typed value
    assert len(TRIMMED) == 17
    assert all(c == " " or ord(c) > 0x7F for c in TRIMMED)


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_every_character_trim_removes_marks_the_text_padded(encoder: str) -> None:
    encode = ENCODERS[encoder]
    for c in TRIMMED:
        for value in (f"{c}FR", f"FR{c}", c, f"{c}{c}", f"#NA{c}"):
            doc = {"id": "S1", "cdr_token": {"uid": value}, "kwh": 1.5}
            assert not unpadded(encode(doc)), (encoder, hex(ord(c)), value)
            assert not pack([orjson.dumps({"id": "S0"}), encode(doc)]).unpadded


def test_texts_without_padding_are_unpadded() -> None:
    docs = [
        orjson.dumps({"id": "S1", "address": "12 rue de la Gare", "city": "Saint-Étienne"}),
        orjson.dumps({"id": "S2", "kwh": "12.5", "end": "", "x": "#NA", "n": None, "l": [1]}),
        msgspec.json.encode({"id": "S3", "name": "a b  c", "q": 'say"hi"now'}),
    ]
    assert all(unpadded(d) for d in docs)
    # cautious: a space next to an escaped quote, a curly apostrophe (a lead byte it knows)
    assert not unpadded(orjson.dumps({"q": 'say "hi" now'}))
    assert not unpadded(orjson.dumps({"name": "l’Arche"}))
    assert pack(docs).unpadded
    assert unpadded(b"") and pack([]).unpadded


def test_a_space_far_down_a_long_text_is_still_seen() -> None:
    inner = orjson.dumps({"description": "a " * 10_000 + "b"})
    assert unpadded(inner)
    assert not unpadded(inner + orjson.dumps({"id": "S1", "name": "late "}))
    assert not unpadded(inner + orjson.dumps({"id": "S1", "name": " late"}))


def test_one_padded_page_makes_the_batch_padded() -> None:
    lines = JsonLines.of([orjson.dumps({"id": "S1"})])
    assert lines.unpadded
    other = JsonLines.of([orjson.dumps({"id": " S2"})])
    assert not other.unpadded
    lines.extend(other)
    assert not lines.unpadded
    lines = JsonLines()
    lines.add_packed(pack([orjson.dumps({"id": "S1"})]))
    lines.add([orjson.dumps({"id": "S2", "kwh": "7 "})])
    assert not lines.unpadded


def _objects(module: str, version: str) -> list[dict[str, Any]]:
    """A dirty platform's objects ('#NA', blanks, numbers as strings, bare values...) and
    the hand-made ones, of ``module`` in ``version``."""
    world = World(SimConfig(seed=5, locations=30, sessions=400, clean=False), t0=1_780_000_000)
    made = {
        "locations": location,
        "sessions": session,
        "cdrs": cdr,
        "tariffs": tariff,
        "tokens": token,
    }
    return [o for o in world.truth(module, version) if isinstance(o, dict)] + [
        made[module](version)
    ]


def _typed_rows(docs: list[bytes], module: str, version: str, trimless: bool) -> list[Any]:
    normalizer = Normalizer()
    con = normalizer.con
    try:
        con.register("batch_json", JsonLines.of(docs).to_arrow())
        params = {
            "platform_cc": "FR",
            "platform_party": "SIM",
            "source": "sim",
            "batch_id": "b",
            "fetched_at": datetime(2026, 1, 1, tzinfo=UTC),
            "version": version,
            "privacy": "none",
        }
        with normalizer.macros_for(trimless):
            rows = con.execute(
                f"SELECT * FROM ({normalizer.typed_sql(module, 'batch_json')}) ORDER BY _raw",
                params,
            ).fetchall()
        con.unregister("batch_json")
        return rows
    finally:
        normalizer.close()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("module", MODULES)
def test_unpadded_texts_type_the_same_with_or_without_trim(module: str, version: str) -> None:
    docs = [orjson.dumps(o) for o in _objects(module, version)]
    plain = [d for d in docs if unpadded(d)]
    assert len(plain) >= 10  # the comparison below is not over an empty batch
    with_trim = _typed_rows(plain, module, version, trimless=False)
    assert _typed_rows(plain, module, version, trimless=True) == with_trim
    assert any(v is not None for row in with_trim for v in row[:5])


def test_a_padded_batch_is_trimmed_through_the_writer(tmp_path: Path) -> None:
    base = session("2.2.1")
    objects = [
        {**base, "id": "S1", "kwh": "12.5"},
        {**base, "id": "S2\u00a0", "kwh": " 7 ", "status": "\u3000COMPLETED"},
    ]
    write_batch(tmp_path, source="sim", module="sessions", version="2.2.1", objects=objects)
    rows = query(tmp_path, "SELECT id, kwh, status FROM sessions_history ORDER BY id").to_pylist()
    assert rows == [
        {"id": "S1", "kwh": 12.5, "status": "COMPLETED"},
        {"id": "S2", "kwh": 7.0, "status": "COMPLETED"},
    ]
