"""Listing order of every module (``last_updated``, then id) and objects bumped to ``now``."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator

from .dirt import SESSION_DIRT, n_listed
from .evse_status import location_states
from .keys import MASK, SHIFT, remove_keys
from .session_model import lu_at
from .state import WorldState


def index(st: WorldState, module: str) -> tuple[array[int], list[int]]:
    """Sorted keys ``lu << SHIFT | rank`` and ``rank -> object index`` (empty: rank = index)."""
    if module == "sessions":
        return st.s_keys, []
    if module == "cdrs":
        return st.c_keys, []
    stamp = (st.now, st.mut)
    cached = st.small_cache.get(module)
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    bumps = st.bumps[module]
    items: list[tuple[str, int, int, str | None]] = []
    if module == "locations":
        lus, _ = location_states(st)
        for loc in st.locations:
            items.append((loc.id, loc.idx, lus[loc.idx], st.loc_kind[loc.idx][0]))
    elif module == "tariffs":
        for t in st.tariffs:
            lu = max(t.created, bumps.get(t.idx, 0))
            items.append((t.id, t.idx, lu, st.tariff_kind[t.idx][0]))
    else:
        for tk in st.tokens:
            lu = max(tk.created, bumps.get(tk.idx, 0))
            items.append((tk.uid, tk.idx, lu, st.token_kind[tk.idx][0]))
    items.sort()
    rank_to_idx = [it[1] for it in items]
    keys: list[int] = []
    for rank, it in enumerate(items):
        keys.extend([(it[2] << SHIFT) | rank] * (2 if it[3] == "duplicate_listing" else 1))
    keys.sort()
    arr = array("q", keys)
    st.small_cache[module] = (stamp, arr, rank_to_idx)
    return arr, rank_to_idx


def iter_listed(st: WorldState, module: str) -> Iterator[int]:
    """Object indexes in listing order, each once."""
    keys, rank_to_idx = index(st, module)
    seen_prev = -1
    for k in keys:
        r = k & MASK
        if r == seen_prev:
            continue
        seen_prev = r
        yield rank_to_idx[r] if rank_to_idx else r


def bump(st: WorldState, module: str, idx: int) -> None:
    """An object changes now: last_updated = now (a running session reports its meter)."""
    now = st.now
    if module == "sessions":
        if idx >= st.n_sessions:
            return
        old = lu_at(st, idx, now)
        if old is None or old >= now:
            return
        n = n_listed(st.s_flags[idx], SESSION_DIRT)
        remove_keys(st.s_keys, [(old << SHIFT) | idx] * n)
        st.bumps["sessions"][idx] = now
        for _ in range(n):
            bisect.insort(st.s_keys, (now << SHIFT) | idx)
    elif module == "cdrs":
        return  # CDRs are immutable
    else:
        st.bumps[module][idx] = now
    st.mut += 1
