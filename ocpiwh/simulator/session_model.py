"""What a charging session is: its timing and energy, regenerated from ``(seed, index)``.

kWh = needed energy; duration = energy / (power × efficiency) + idle time; the CDR follows
30 s–15 min after completion. Only :mod:`.bulk` repeats these formulas (column-wise).
"""

from __future__ import annotations

from typing import NamedTuple

from .dirt import SESSION_DIRT
from .hashing import mix
from .state import WorldState


class Core(NamedTuple):
    start: int  # start_date_time, and the moment the session appears
    done: int  # the moment it becomes COMPLETED (last_updated of the final version)
    end: int  # end_date_time as displayed (differs from done for end_before_start)
    kwh: float
    conn: int
    token: int
    charge_s: int
    idle_s: int
    kind: int  # dirt kind index + 1, 0 = none
    mal: int  # malformed kind index + 1, 0 = none


def core(st: WorldState, i: int, allow_dup: bool = True) -> Core:
    """Session ``i`` as scheduled by the seed."""
    h = mix(st.s_salt ^ i)
    h2 = mix(h)
    start = st.base + i * st.slot + 1 + (h2 % st.slot)
    g = h % len(st.conns)
    conn = st.conns[g]
    kw = conn.kw
    tok = (h >> 20) % len(st.tokens)
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


def s_lu(st: WorldState, i: int) -> int:
    """``last_updated`` of session ``i`` now."""
    done = st.s_done[i]
    lu = done if done <= st.now else st.s_start[i]
    b = st.bumps["sessions"].get(i)
    return lu if b is None or b < lu else b
