"""EVSE status: a per-EVSE schedule from the seed (or a live change), ``CHARGING`` while a
session runs on it, ``RESERVED`` while a session waits on it in RESERVATION.

Each change bumps the EVSE's and its location's ``last_updated`` (OCPI 2.2.1 §8.2.1.1).
"""

from __future__ import annotations

from .hashing import mix
from .locations import Evse
from .state import WorldState

_STATUSES = (
    ("AVAILABLE", 78),
    ("BLOCKED", 4),
    ("RESERVED", 3),
    ("OUTOFORDER", 5),
    ("INOPERATIVE", 4),
    ("UNKNOWN", 6),
)
STATUS_TABLE: tuple[str, ...] = tuple(s for s, w in _STATUSES for _ in range(w))


def scheduled(st: WorldState, ev: Evse, k: int) -> str:
    """Status of ``ev`` during its ``k``-th schedule period."""
    u = mix(st.st_salt ^ (ev.gid << 24) ^ k)
    if ev.home:
        return "AVAILABLE" if u % 10 else "UNKNOWN"
    return STATUS_TABLE[u % len(STATUS_TABLE)]


def evse_state(st: WorldState, ev: Evse) -> tuple[str, int]:
    """(status, last_updated) of an EVSE at ``now``."""
    t = st.now
    k = (t + ev.phase) // ev.period
    status = scheduled(st, ev, k)
    j = k
    while j > k - 12 and scheduled(st, ev, j - 1) == status:
        j -= 1
    changed = j * ev.period - ev.phase
    ov = st.evse_override.get(ev.gid)
    if ov is not None and ov[1] >= changed:  # a live change, until the schedule moves on
        status, changed = ov
    if st.active_by_evse.get(ev.gid, 0) > 0:
        status = "CHARGING"
    elif st.reserved_by_evse.get(ev.gid, 0) > 0:
        status = "RESERVED"
    lu = max(changed, st.ev_last.get(ev.gid, 0), st.locations[ev.loc].created)
    return status, min(lu, t)


def location_states(st: WorldState) -> tuple[list[int], list[list[tuple[str, int]]]]:
    """``last_updated`` of every location and (status, last_updated) of its EVSEs, now."""
    stamp = (st.now, st.mut)
    if st.loc_cache is not None and st.loc_cache[0] == stamp:
        return st.loc_cache[1], st.loc_cache[2]
    lus: list[int] = []
    states: list[list[tuple[str, int]]] = []
    bumps = st.bumps["locations"]
    for loc in st.locations:
        evs = [evse_state(st, st.evses[e]) for e in loc.evses]
        lu = max([loc.created, bumps.get(loc.idx, 0)] + [s[1] for s in evs])
        lus.append(lu)
        states.append(evs)
    st.loc_cache = (stamp, lus, states)
    return lus, states
