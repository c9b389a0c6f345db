"""Tariffs and tokens as served now (dirt, malformed objects, ``last_updated`` bumps)."""

from __future__ import annotations

from .dirt import Obj, malform
from .state import WorldState
from .tariffs import tariff_obj
from .tokens import token_obj


def render_tariff(st: WorldState, ti: int, version: str) -> Obj:
    t = st.tariffs[ti]
    kind, mal = st.tariff_kind[ti]
    lu = max(t.created, st.bumps["tariffs"].get(ti, 0))
    o = tariff_obj(t, version, kind, lu)
    if mal:
        return malform(o, mal, None)
    return o


def render_token(st: WorldState, ki: int, version: str) -> Obj:
    t = st.tokens[ki]
    kind, mal = st.token_kind[ki]
    lu = max(t.created, st.bumps["tokens"].get(ki, 0))
    o = token_obj(t, version, kind, lu, st.token_valid.get(ki, t.valid))
    if mal:
        return malform(o, mal, None)
    return o
