"""Property tests: nothing dropped or pseudonymized survives; every KEEP field is unchanged."""

from __future__ import annotations

from typing import Any

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
    Treatment,
    coarsen_coordinate,
    coarsen_postal_code,
    compile_filter,
    pseudonymize,
)
from ocpiwh.privacy._schema import schema

from ._gen import Gen

KEY = bytes(range(32))
COARSEN = {"coord": coarsen_coordinate, "postal": coarsen_postal_code}


class Checker:
    """Walks input and output side by side with the declared policy."""

    def __init__(self) -> None:
        self.forbidden: list[str] = []
        self.unknown: int = 0

    def forbid(self, v: Any) -> None:
        if isinstance(v, str):
            self.forbidden.append(v)
        elif isinstance(v, list):
            for x in v:
                self.forbid(x)
        elif isinstance(v, dict):
            for x in v.values():
                self.forbid(x)

    def obj(self, node: Obj, inp: dict[str, Any], out: dict[str, Any], private: bool) -> None:
        if node.private_if is not None and not private:
            private = node.private_if(inp)
        for k, v in inp.items():
            child = node.fields.get(k)
            if child is None:
                assert k not in out, f"unknown field {k} kept"
                self.unknown += 1
                self.forbid(v)
                continue
            t = child.private if (private and child.private is not None) else child.treatment
            if isinstance(child, FieldRule):
                if t is Treatment.KEEP:
                    assert out[k] == v, k
                elif t is Treatment.DROP:
                    assert k not in out, k
                    self.forbid(v)
                elif t is Treatment.PSEUDONYMIZE:
                    assert child.kind
                    if v is None:
                        assert out[k] is None
                    elif isinstance(v, list):
                        assert out[k] == pseudonymize(KEY, str(v), child.kind)
                    else:
                        assert out[k] == pseudonymize(KEY, str(v), child.kind)
                    assert str(out[k]).startswith("ps_") or v is None
                    self.forbid(v)
                else:
                    assert child.coarsen
                    expected = COARSEN[child.coarsen](v)
                    assert out.get(k) == expected, (k, v, out.get(k))
                continue
            if t is Treatment.DROP:
                assert k not in out, k
                self.forbid(v)
                continue
            if v is None:
                assert out[k] is None
                continue
            if child.many:
                items = [x for x in v if child.skip_item_if is None or not child.skip_item_if(x)]
                for x in v:
                    if child.skip_item_if is not None and child.skip_item_if(x):
                        self.forbid(x)
                assert len(out[k]) == len(items)
                for x, y in zip(items, out[k], strict=True):
                    self.obj(child, x, y, private)
            else:
                self.obj(child, v, out[k], private)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("module", MODULES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_policy_enforced(module: str, version: str, data: st.DataObject) -> None:
    root = schema(module, version)
    obj = Gen(data.draw).obj(root)
    before = orjson.dumps(obj)
    f = compile_filter(module, version, PrivacyProfile(), KEY)
    out = f(obj)
    assert out is not None
    assert orjson.dumps(obj) == before, "input mutated"
    check = Checker()
    check.obj(root, obj, out, False)
    dumped = orjson.dumps(out).decode()
    for value in check.forbidden:
        assert value not in dumped, f"{value!r} leaked"
    assert f.stats.unknown_total == check.unknown
    assert f.stats.objects == 1


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("module", MODULES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_output_is_stable_under_refiltering(module: str, version: str, data: st.DataObject) -> None:
    """Filtering twice changes nothing more than filtering once, except re-pseudonymizing."""
    root = schema(module, version)
    obj = Gen(data.draw, extras=False).obj(root)
    f = compile_filter(module, version, PrivacyProfile(), KEY)
    once = f(obj)
    assert once is not None
    twice = f(once)
    assert twice is not None
    assert set(twice) == set(once)
