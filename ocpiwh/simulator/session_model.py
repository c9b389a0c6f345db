"""What a charging session is: its timing and energy, regenerated from ``(seed, index)``.

kWh = needed energy; duration = energy / (power × efficiency) + idle time; the CDR follows
30 s–15 min after completion. Only :mod:`.bulk` repeats these formulas (column-wise).

Phases: a session appears ``pre`` seconds before its start as PENDING (~25 %, 15–120 s,
the driver authorizing) or RESERVATION (~10 % of those on reservable public EVSEs, 5–30 min),
then is ACTIVE (its meter reported every ``meter_interval_s``: kWh, periods and cost grow),
then COMPLETED; credit CDRs follow some CDRs 1 h–3 days later.
"""

from __future__ import annotations

from .dirt import SESSION_DIRT
from .hashing import mix
from .state import Core, WorldState


def core(st: WorldState, i: int, allow_dup: bool = True) -> Core:
    """Session ``i`` as scheduled by the seed, or as a live update re-timed it."""
    if allow_dup and st.altered:  # (a duplicate copies its neighbour as scheduled)
        a = st.altered.get(i)
        if a is not None:
            return a
    h = mix(st.s_salt ^ i)
    h2 = mix(h)
    start = st.base + i * st.slot + 1 + (h2 % st.slot)
    g = h % len(st.conns)
    conn = st.conns[g]
    kw = conn.kw
    tok = (h >> 20) % st.n_tokens0
    u1 = ((h2 >> 16) & 0xFFFF) / 65536.0
    u2 = ((h2 >> 32) & 0xFFFF) / 65536.0
    fl = st.s_flags[i] if i < len(st.s_flags) else -1
    if fl < 0:
        dp, mp = st.pick["sessions"]
        m = mp.pick(i)
        d = 0 if m else dp.pick(i)
    else:
        d, m = fl & 0xF, fl >> 4
    kind = SESSION_DIRT[d - 1] if d else None
    if kind == "duplicate_content" and allow_dup and i > 0:
        prev = core(st, i - 1, allow_dup=False)
        return prev._replace(kind=d, mal=m)
    if conn.power_type == "DC":
        needed = 8.0 + 52.0 * u1
        charge_h = needed / (kw * 0.72)
        idle_h = 0.25 * u2 * u2
    else:
        needed = 3.0 + 42.0 * u1
        charge_h = needed / (kw * 0.92)
        idle_h = 4.0 * u2 * u2 if not st.evses[conn.evse].home else 6.0 * u2
    kwh = round(needed, 3)
    charge_s = int(charge_h * 3600)
    idle_s = int(idle_h * 3600)
    end = done = start + charge_s + idle_s + 60
    if kind == "zero_energy":
        kwh, charge_s, idle_s = 0.0, 0, 120 + (h2 >> 50) % 780
        end = done = start + idle_s
    elif kind == "long_session":
        total = int((7.5 + 4.5 * u2) * 86400)
        idle_s = total - charge_s
        end = done = start + total
    elif kind == "end_before_start":
        end = start - (charge_s + idle_s + 60)
        done = start + 300
    return Core(start, done, end, kwh, g, tok, charge_s, idle_s, d, m)


def cdr_time(st: WorldState, i: int, done: int) -> int:
    """When session ``i``'s CDR appears: 30 s–15 min after completion."""
    return done + 30 + (mix(st.d_salt ^ i) % 900)


HIDDEN, WAITING, ACTIVE, DONE = 0, 1, 2, 3  # session phases
NONE, PENDING, RESERVATION = 0, 1, 2  # what a WAITING session is
PRE_MAX = 1800  # longest pre-start phase (s): sessions are added this early, hidden


def pre_phase(st: WorldState, i: int, conn: int | None = None) -> tuple[int, int]:
    """(PENDING | RESERVATION | NONE, seconds) before session ``i`` starts (``conn``: its
    connector, when ``i`` is not in the columns yet)."""
    h = mix(st.pre_salt ^ i)
    u = h & 0xFFFF
    if u < 6554 and st.conn_reservable[st.s_conn[i] if conn is None else conn]:
        return RESERVATION, 300 + (h >> 16) % 1501
    if u < 16384:
        return PENDING, 15 + (h >> 16) % 106
    return NONE, 0


def appear_time(st: WorldState, i: int) -> int:
    return st.s_start[i] - pre_phase(st, i)[1]


def phase_at(st: WorldState, i: int, t: int) -> int:
    if st.s_done[i] <= t:
        return DONE
    start = st.s_start[i]
    if start <= t:
        return ACTIVE
    return WAITING if start - pre_phase(st, i)[1] <= t else HIDDEN


def meter_time(st: WorldState, start: int, t: int) -> int:
    """The last meter reading of a session started at ``start``, at ``t``."""
    p = st.meter_s
    return start + (t - start) // p * p if p else start


def lu_at(st: WorldState, i: int, t: int) -> int | None:
    """``last_updated`` of session ``i`` at ``t`` (None: not visible yet)."""
    done = st.s_done[i]
    if done <= t:
        lu = done
    else:
        start = st.s_start[i]
        if start <= t:
            lu = meter_time(st, start, t)
        else:
            lu = start - pre_phase(st, i)[1]
            if lu > t:
                return None
    b = st.bumps["sessions"].get(i)
    return lu if b is None or b < lu else b


def s_lu(st: WorldState, i: int) -> int:
    """``last_updated`` of a visible session ``i`` now."""
    lu = lu_at(st, i, st.now)
    assert lu is not None
    return lu


def next_change(st: WorldState, i: int, t: int) -> int | None:
    """When session ``i`` next changes by itself after ``t`` (None: never, it is COMPLETED)."""
    done = st.s_done[i]
    if done <= t:
        return None
    start = st.s_start[i]
    if start > t:
        appear = start - pre_phase(st, i)[1]
        return appear if appear > t else start
    p = st.meter_s
    return min(done, start + ((t - start) // p + 1) * p) if p else done


def energy_at(c: Core, lu: int) -> tuple[float, int, int]:
    """(kWh, charging s, idle s) of a running session as of its reading at ``lu``."""
    elapsed = max(0, lu - c.start)
    charged = min(elapsed, c.charge_s)
    kwh = round(c.kwh * charged / c.charge_s, 3) if c.charge_s else 0.0
    return kwh, charged, elapsed - charged


def credit_delay(st: WorldState, i: int) -> int | None:
    """Seconds from CDR ``i`` to its credit CDR, or None (clean CDRs only, ``credit_rate``)."""
    if st.s_flags[i] or st.c_flags[i]:
        return None
    h = mix(st.credit_salt ^ i)
    if (h & 0xFFFFFF) >= st.credit_threshold:
        return None
    return 3600 + (h >> 24) % (3 * 86400)
