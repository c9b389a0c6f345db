"""The page filter (msgspec, one C pass) agrees with the generic filter on every object.

Same objects, same JSON values (key order aside), same counters, same non-objects, whichever
path each object took: the fast decode, the generic fallback, or a private context.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpiwh.privacy import (
    MODULES,
    VERSIONS,
    FieldRule,
    Obj,
    PrivacyProfile,
    Sites,
    _fast,
    compile_filter,
)
from ocpiwh.privacy._schema import CDR_DIMENSION_TYPES, schema
from tests.simulator import spec

from ._gen import Gen

KEY = bytes(range(32))
CASES = [(m, v) for m in MODULES for v in VERSIONS]
SOC = {"type": "STATE_OF_CHARGE", "volume": 55}
HOME, SHOP = "HOME-1", "SHOP-1"
# OCPI 2.1.1 locations declared public, but one declared not public
DECLARED = PrivacyProfile(sites=Sites(True, private=frozenset({HOME})))
LOCATED_211 = [(m, "2.1.1") for m in ("locations", "sessions", "cdrs")]


def generic(
    module: str, version: str, items: list[Any], profile: PrivacyProfile | None = None
) -> tuple[list[Any], list[Any], dict]:
    f = compile_filter(module, version, profile or PrivacyProfile(), KEY)
    docs, others = [], []
    for item in items:
        out = f(item)
        if out is None:
            others.append(item)
        else:
            docs.append(out)
    return docs, others, f.stats.as_dict()


def paged(
    module: str, version: str, items: list[Any], profile: PrivacyProfile | None = None
) -> tuple[list[Any], list[Any], dict]:
    f = compile_filter(module, version, profile or PrivacyProfile(), KEY)
    docs, others = f.filter_page(orjson.dumps(items))
    return [orjson.loads(d) for d in docs], others, f.stats.as_dict()


def mangle(draw: Any, node: Obj, obj: dict[str, Any]) -> None:
    """Put a wrong shape somewhere: what platforms send and the generic filter tolerates."""
    names = [n for n in node.fields if n in obj]
    if not names:
        return
    name = draw(st.sampled_from(names))
    child = node.fields[name]
    if isinstance(child, FieldRule):
        obj[name] = draw(st.sampled_from([{"a": 1}, [1, [2]], [{"x": 1}], "  on_driveway ", 7]))
    elif child.many:
        obj[name] = draw(st.sampled_from([{"lone": "object"}, "text", [1, None, {}], None]))
    else:
        obj[name] = draw(st.sampled_from([[{"a": 1}], "text", 3, None]))


@pytest.mark.parametrize("chunk", [_fast.CHUNK, 2])
@pytest.mark.parametrize(("module", "version"), CASES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_page_filter_equals_generic_filter(
    module: str, version: str, chunk: int, data: Any
) -> None:
    """Whole pages, and pages cut into slices of 2 items (so that a private object, a
    fallback or a non-object lands in any slice)."""
    root = schema(module, version)
    items: list[Any] = []
    for _ in range(data.draw(st.integers(1, 7))):
        kind = data.draw(st.sampled_from(["clean", "clean", "extras", "mangled", "not-object"]))
        if kind == "not-object":
            items.append(data.draw(st.sampled_from([1, "text", None, [1, 2], True])))
            continue
        obj = Gen(data.draw, extras=kind == "extras").obj(root)
        if kind == "mangled":
            mangle(data.draw, root, obj)
        items.append(obj)
    with mock.patch.object(_fast, "CHUNK", chunk):
        assert paged(module, version, items) == generic(module, version, items)


@pytest.mark.parametrize(("module", "version"), LOCATED_211)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_page_filter_equals_generic_filter_with_declared_sites(
    module: str, version: str, data: Any
) -> None:
    """2.1.1 locations declared public but one: the location id is a private-context test,
    guarded by the page filter like ``type``."""
    root = schema(module, version)
    items: list[Any] = []
    for _ in range(data.draw(st.integers(1, 6))):
        obj = Gen(data.draw, extras=data.draw(st.booleans())).obj(root)
        site = obj if module == "locations" else obj.get("location")
        if isinstance(site, dict):
            site["id"] = data.draw(st.sampled_from([HOME, SHOP, " HOME-1", 7, None, [HOME]]))
        items.append(obj)
    assert paged(module, version, items, DECLARED) == generic(module, version, items, DECLARED)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_clean_pages_take_the_fast_path_and_private_objects_the_generic_one(version: str) -> None:
    """A home-charger CDR among clean ones: only it goes through the generic filter, and the
    page's counters are those of the generic filter over the whole page."""
    clean = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "C1",
        "cdr_token": {"uid": "RFID-1", "type": "RFID", "contract_id": "FR-ABC-C1"},
        "meter_id": None,
        "cdr_location": {
            "id": "L1",
            "postal_code": "75011",
            "coordinates": {"latitude": "48.8566", "longitude": "2.3522"},
        },
        "charging_periods": [
            {"start_date_time": "x", "dimensions": [{"type": "ENERGY", "volume": 3}]}
        ],
        "last_updated": "2026-01-01T00:00:00Z",
    }
    home = {**clean, "id": "C2", "home_charging_compensation": True, "meter_id": "M1"}
    soc = {
        **clean,
        "id": "C3",
        "charging_periods": [{"dimensions": [SOC, {"type": "TIME", "volume": 1}]}],
    }
    items = [clean, home, soc, clean]
    docs, others, stats = paged("cdrs", version, items)
    assert (docs, others, stats) == generic("cdrs", version, items)
    assert docs[1]["cdr_location"]["postal_code"] == "75"  # the private context applied
    assert docs[0]["cdr_location"]["postal_code"] == "75011"
    assert docs[2]["charging_periods"][0]["dimensions"] == [{"type": "TIME", "volume": 1}]
    assert stats["pseudonymized"] == 8  # uid and contract_id of 4 CDRs
    assert stats["dropped"] == 5  # 4 meter_id (null ones count) + 1 SoC dimension


def test_every_module_and_version_has_a_fast_path() -> None:
    """Including 2.1.1 locations, sessions and CDRs. Declared public, their location's
    private context is guarded (through the single-object path to it); undeclared, every
    2.1.1 location is private, and the types carry its private treatments with no test.
    Only some ids declared public: a test the types cannot guard, the generic filter."""
    some = PrivacyProfile(sites=Sites(None, public=frozenset({SHOP})))
    for module, version in CASES:
        for profile in (DECLARED, PrivacyProfile()):
            assert compile_filter(module, version, profile, KEY)._page is not None
        f = compile_filter(module, version, some, KEY)
        assert (f._page is None) == ((module, version) in LOCATED_211), (module, version)


@pytest.mark.parametrize("module", ["locations", "sessions", "cdrs"])
def test_undeclared_211_locations_take_their_private_treatments_on_the_fast_path(
    module: str, monkeypatch: Any
) -> None:
    """Undeclared, a 2.1.1 location is private: name and address dropped, postal code and
    coordinates coarsened (counted as the generic filter counts them), in the page decode."""
    loc = {
        "id": "L1",
        "type": "ON_STREET",
        "name": "Chez Dupont",
        "address": "1 rue X",
        "postal_code": " 75011",
        "coordinates": {"latitude": "48,856613", "longitude": 2.352222},
        "related_locations": [{"latitude": "1.234", "longitude": None, "name": {"text": "x"}}],
        "evses": [{"uid": "E1", "coordinates": {"latitude": "bad", "longitude": "2.1"}}],
    }
    wrap = {"locations": lambda: loc, "sessions": lambda: {"id": "S1", "location": loc}}
    obj = wrap.get(module, lambda: {"id": "C1", "location": loc})()
    items = [obj, {**obj, "id": "X2"}]
    f = compile_filter(module, "2.1.1", PrivacyProfile(), KEY)
    assert f._page is not None

    def fail(*_: Any) -> Any:
        raise AssertionError("fell back to one object at a time")

    monkeypatch.setattr(f._page, "_one_by_one", fail)
    docs, others = f.filter_page(orjson.dumps(items))
    got = ([orjson.loads(d) for d in docs], others, f.stats.as_dict())
    assert got == generic(module, "2.1.1", items)
    out = got[0][0] if module == "locations" else got[0][0]["location"]
    assert "name" not in out and "address" not in out
    assert out["postal_code"] == "75"
    assert out["coordinates"] == {"latitude": "48.86", "longitude": 2.35}
    assert out["evses"][0]["coordinates"] == {"latitude": None, "longitude": "2.10"}
    assert got[2]["coarsened"] == 2 * 6


def test_a_private_embedded_location_takes_the_generic_filter() -> None:
    """2.1.1: a session at a home charger (its location ON_DRIVEWAY) gets the coarsened
    coordinates the generic filter gives it; its neighbours stay on the fast path."""
    loc = {
        "id": "L1",
        "type": "ON_STREET",
        "postal_code": "75011",
        "coordinates": {"latitude": "48.856613", "longitude": "2.352222"},
    }
    public = {"id": "S1", "auth_id": "DE-ABC-C1", "location": loc, "kwh": 3}
    home = {**public, "id": "S2", "location": {**loc, "type": "ON_DRIVEWAY"}}
    declared = {**public, "id": "S3", "location": {**loc, "id": HOME}}
    items = [public, home, public, declared]
    docs, others, stats = paged("sessions", "2.1.1", items, DECLARED)
    assert (docs, others, stats) == generic("sessions", "2.1.1", items, DECLARED)
    coarse = {"latitude": "48.86", "longitude": "2.35"}
    assert docs[1]["location"]["coordinates"] == docs[3]["location"]["coordinates"] == coarse
    assert docs[0]["location"]["coordinates"] == loc["coordinates"]
    assert stats["pseudonymized"] == 4
    # undeclared, every 2.1.1 location is private
    docs, others, stats = paged("sessions", "2.1.1", items)
    assert (docs, others, stats) == generic("sessions", "2.1.1", items)
    assert all(d["location"]["coordinates"] == coarse for d in docs)


def test_privacy_passes_use_the_generic_filter() -> None:
    profile = PrivacyProfile(passes=("sessions:cdr_token.uid",))
    f = compile_filter("sessions", "2.2.1", profile, KEY)
    assert f._page is None
    docs, _ = f.filter_page(orjson.dumps([{"id": "S1", "cdr_token": {"uid": "RFID-1"}}]))
    assert orjson.loads(docs[0])["cdr_token"]["uid"] == "RFID-1"


@pytest.mark.parametrize(("module", "version"), CASES)
def test_private_if_keys_name_what_the_test_reads(module: str, version: str) -> None:
    """The fast path tests each declared key alone: the predicate must be true of an object
    exactly when it is true of one of those keys alone, and false of absent or null ones.
    A test true of an empty object (private by default) is declared true of every object
    (``private_always``, applied with no test), and is."""
    values = [True, False, None, "false", "TRUE", "ON_DRIVEWAY", " on_driveway ", "ON_STREET"]
    values += [HOME, SHOP]
    nodes = [schema(module, version), schema(module, version, DECLARED.sites)]
    while nodes:
        node = nodes.pop()
        nodes += [c for c in node.fields.values() if isinstance(c, Obj)]
        if node.private_if is None:
            continue
        assert node.private_if_keys
        if node.private_if({}):
            assert node.private_always
            for a in values:
                for b in values:
                    assert node.private_if(dict(zip(node.private_if_keys, [a, b], strict=True)))
            continue
        assert not node.private_always
        for k in node.private_if_keys:
            assert not node.private_if({k: None})
            assert not node.private_if({})
        for a in values:
            for b in values:
                obj = dict(zip(node.private_if_keys, [a, b, a], strict=False))
                alone = any(node.private_if({k: v}) for k, v in obj.items())
                assert node.private_if(obj) == alone
                obj["other"] = "ON_DRIVEWAY"
                assert node.private_if(obj) == alone


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_state_of_charge_pages_stay_on_the_fast_path(version: str, monkeypatch: Any) -> None:
    """Platforms that report SoC do it in every session: those pages must not fall back
    object by object; the marked dimensions are removed and counted as the generic filter
    does (spellings it normalizes included)."""
    sessions = [
        {
            "id": f"S{i}",
            "cdr_token": {"uid": f"RFID-{i % 3}", "contract_id": f"FR-ABC-C{i}"},
            "charging_periods": [
                {"dimensions": [{"type": "ENERGY", "volume": i}, SOC]},
                {"dimensions": [{"type": " state_of_charge ", "volume": 80}, None]},
                {"dimensions": None},
            ],
            "last_updated": "2026-01-01T00:00:00Z",
        }
        for i in range(5)
    ]
    f = compile_filter("sessions", version, PrivacyProfile(), KEY)
    assert f._page is not None

    def fail(*_: Any) -> Any:
        raise AssertionError("fell back to one object at a time")

    monkeypatch.setattr(f._page, "_one_by_one", fail)
    docs, others = f.filter_page(orjson.dumps(sessions))
    assert ([orjson.loads(d) for d in docs], others, f.stats.as_dict()) == generic(
        "sessions", version, sessions
    )
    assert f.stats.dropped == 10
    assert orjson.loads(docs[0])["charging_periods"][1]["dimensions"] == [None]


@pytest.mark.parametrize(
    ("module", "version"), [("sessions", "2.2.1"), ("cdrs", "2.2.1"), ("cdrs", "2.3.0")]
)
def test_every_ocpi_dimension_type_but_soc_passes_the_strict_decode(
    module: str, version: str, monkeypatch: Any
) -> None:
    """The strict decode lists the kept values: a clean page of every OCPI dimension type
    (numbers and nulls too) needs neither the tolerant decode nor the generic filter."""
    kept = [*sorted(CDR_DIMENSION_TYPES - {"STATE_OF_CHARGE"}), 7, 1.5, True, None]
    dims = [{"type": t, "volume": 1} for t in kept]
    objs = [{"id": f"X{i}", "charging_periods": [{"dimensions": dims}]} for i in range(3)]
    f = compile_filter(module, version, PrivacyProfile(), KEY)
    assert f._page is not None
    strict, _ = f._page._pages
    monkeypatch.setattr(f._page, "_pages", [strict])

    def fail(*_: Any) -> Any:
        raise AssertionError("the strict decode refused a kept dimension type")

    monkeypatch.setattr(f._page, "_one_by_one", fail)
    docs, _ = f.filter_page(orjson.dumps(objs))
    assert [orjson.loads(d)["charging_periods"][0]["dimensions"] for d in docs] == [dims] * 3


def test_the_policy_knows_every_ocpi_dimension_type() -> None:
    """The kept list is the OCPI enum (the simulator's independent spec of it), so a
    platform's ordinary dimensions never leave the strict decode."""
    assert CDR_DIMENSION_TYPES == spec.CDR_DIMENSION_211 | spec.CDR_DIMENSION_221


@pytest.mark.parametrize("odd", ["FOO_BAR", "energy", " TIME", "State_Of_Charge", ""])
def test_an_unlisted_dimension_type_is_decided_as_the_generic_filter_does(odd: str) -> None:
    """A value the strict decode does not list takes the tolerant decode: the page's
    output and counters are still the generic filter's."""
    objs = [
        {
            "id": f"S{i}",
            "charging_periods": [{"dimensions": [{"type": odd}, SOC, {"type": "TIME"}]}],
        }
        for i in range(3)
    ]
    assert paged("sessions", "2.2.1", objs) == generic("sessions", "2.2.1", objs)


RACE = """
import sys, threading, orjson
sys.setswitchinterval(1e-6)  # switch threads as often as possible
from ocpiwh.privacy import PrivacyProfile, compile_filter
key = bytes(range(32))
page = orjson.dumps([{"id": "S1", "cdr_token": {"uid": "U1", "contract_id": "C1"}}])
barrier, errors = threading.Barrier(8), []
def work(module):
    barrier.wait()
    try:
        f = compile_filter(module, "2.2.1", PrivacyProfile(), key)
        f.filter_page(page)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=work, args=(m,)) for m in ["sessions", "cdrs"] * 4]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
"""


def test_filters_compiled_at_once_by_many_threads_agree_on_their_types() -> None:
    """Found by a crash-safety rerun: two fetch threads compiling the first filters of a
    process made two types for one pseudonym kind, and one hook knew neither."""
    import subprocess
    import sys

    for _ in range(3):  # a fresh process each time: the type registries start empty
        subprocess.run([sys.executable, "-c", RACE], check=True, timeout=60)
