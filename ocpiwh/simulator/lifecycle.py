"""Sessions over time: the initial history, then completions, CDRs and new sessions as the
platform clock moves (:func:`advance_to`)."""

from __future__ import annotations

from array import array

from .dirt import CDR_DIRT, SESSION_DIRT, n_listed
from .hashing import M64
from .keys import SHIFT, remove_keys
from .session_model import Core, cdr_time, core, s_lu
from .state import WorldState


def add_session(
    st: WorldState, c: Core, i: int, now: int, keys: list[int], ckeys: list[int]
) -> None:
    """Append session ``i`` to the columns; its listing keys go to ``keys`` / ``ckeys``."""
    st.s_start.append(c.start)
    st.s_done.append(c.done)
    ct = cdr_time(st, i, c.done)
    st.s_cdr.append(ct)
    st.s_kwh.append(c.kwh)
    st.s_conn.append(c.conn)
    st.s_charge.append(c.charge_s)
    st.s_tok.append(c.token)
    st.s_flags.append(c.kind | (c.mal << 4))
    dp, mp = st.pick["cdrs"]
    cm = mp.pick(i)
    cd = 0 if cm else dp.pick(i)
    st.c_flags.append(cd | (cm << 4))
    ev = st.conns[c.conn].evse
    if c.done <= now:
        lu = c.done
        st.ev_last[ev] = max(st.ev_last.get(ev, 0), c.done)
        if ct <= now:
            ckeys.extend([(ct << SHIFT) | i] * n_listed(cd, CDR_DIRT))
        else:
            st.cdr_pending.add(i)
    else:
        lu = c.start
        st.ev_last[ev] = max(st.ev_last.get(ev, 0), c.start)
        st.active.add(i)
        st.active_by_evse[ev] = st.active_by_evse.get(ev, 0) + 1
    keys.extend([(lu << SHIFT) | i] * n_listed(c.kind, SESSION_DIRT))


def init_sessions(st: WorldState) -> None:
    """The initial history, one session at a time: :func:`.session_model.core` +
    :func:`add_session` inlined for clean sessions, the general path for dirty or malformed
    ones. Reference for the vectorized :func:`.bulk.init_sessions` used for large worlds (the
    tests compare them)."""
    keys: list[int] = []
    ckeys: list[int] = []
    now = st.now
    m64 = M64
    s_salt, d_salt, base, slot = st.s_salt, st.d_salt, st.base, st.slot
    n_conn, n_tok = len(st.conns), len(st.tokens)
    cinfo = [(c.kw, c.power_type == "DC", st.evses[c.evse].home, c.evse) for c in st.conns]
    sdp, smp = st.pick["sessions"]
    cdp, cmp_ = st.pick["cdrs"]
    s_dirty = bool(sdp.thresholds or smp.thresholds)
    c_dirty = bool(cdp.thresholds or cmp_.thresholds)
    s_start, s_done, s_cdr, s_kwh = st.s_start, st.s_done, st.s_cdr, st.s_kwh
    s_conn, s_charge, s_tok = st.s_conn, st.s_charge, st.s_tok
    s_flags, c_flags = st.s_flags, st.c_flags
    ev_last, active, active_by_evse, pending = (
        st.ev_last, st.active, st.active_by_evse, st.cdr_pending
    )  # fmt: skip
    keys_append, ckeys_append = keys.append, ckeys.append
    i = 0
    while True:
        if s_dirty and (smp.pick(i) or sdp.pick(i)):
            c = core(st, i)
            if c.start > now:
                break
            add_session(st, c, i, now, keys, ckeys)
            i += 1
            continue
        # h = mix(s_salt ^ i), h2 = mix(h)  (see core())
        x = (s_salt ^ i) + 0x9E3779B97F4A7C15 & m64
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & m64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & m64
        h = x ^ (x >> 31)
        x = h + 0x9E3779B97F4A7C15 & m64
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & m64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & m64
        h2 = x ^ (x >> 31)
        start = base + i * slot + 1 + (h2 % slot)
        if start > now:
            break
        g = h % n_conn
        kw, dc, home, ev = cinfo[g]
        u1 = ((h2 >> 16) & 0xFFFF) / 65536.0
        u2 = ((h2 >> 32) & 0xFFFF) / 65536.0
        if dc:
            needed = 8.0 + 52.0 * u1
            charge_h = needed / (kw * 0.72)
            idle_h = 0.25 * u2 * u2
        else:
            needed = 3.0 + 42.0 * u1
            charge_h = needed / (kw * 0.92)
            idle_h = 4.0 * u2 * u2 if not home else 6.0 * u2
        charge_s = int(charge_h * 3600)
        done = start + charge_s + int(idle_h * 3600) + 60
        # cdr_time()
        x = (d_salt ^ i) + 0x9E3779B97F4A7C15 & m64
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & m64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & m64
        ct = done + 30 + ((x ^ (x >> 31)) % 900)
        s_start.append(start)
        s_done.append(done)
        s_cdr.append(ct)
        s_kwh.append(round(needed, 3))
        s_conn.append(g)
        s_charge.append(charge_s)
        s_tok.append((h >> 20) % n_tok)
        s_flags.append(0)
        cd = 0
        if c_dirty:
            cm = cmp_.pick(i)
            cd = 0 if cm else cdp.pick(i)
            c_flags.append(cd | (cm << 4))
        else:
            c_flags.append(0)
        if done <= now:
            if ev_last.get(ev, 0) < done:
                ev_last[ev] = done
            if ct <= now:
                ckeys_append((ct << SHIFT) | i)
                if cd and CDR_DIRT[cd - 1] == "duplicate_listing":
                    ckeys_append((ct << SHIFT) | i)
            else:
                pending.add(i)
            keys_append((done << SHIFT) | i)
        else:
            if ev_last.get(ev, 0) < start:
                ev_last[ev] = start
            active.add(i)
            active_by_evse[ev] = active_by_evse.get(ev, 0) + 1
            keys_append((start << SHIFT) | i)
        i += 1
    keys.sort()
    ckeys.sort()
    st.s_keys = array("q", keys)
    st.c_keys = array("q", ckeys)


def advance_to(st: WorldState, t1: int) -> None:
    """Move the clock to ``t1``: running sessions complete, CDRs appear, new sessions start."""
    if t1 <= st.now:
        return
    removed: list[int] = []
    added: list[int] = []
    cadded: list[int] = []
    # completions of running sessions
    for i in sorted(st.active):
        done = st.s_done[i]
        if done > t1:
            continue
        old = s_lu(st, i)
        n = n_listed(st.s_flags[i], SESSION_DIRT)
        removed.extend([(old << SHIFT) | i] * n)
        b = st.bumps["sessions"].get(i, 0)
        added.extend([(max(done, b) << SHIFT) | i] * n)
        st.active.discard(i)
        ev = st.conns[st.s_conn[i]].evse
        st.active_by_evse[ev] -= 1
        st.ev_last[ev] = max(st.ev_last.get(ev, 0), done)
        st.cdr_pending.add(i)
    # CDRs becoming available
    for i in sorted(st.cdr_pending):
        ct = st.s_cdr[i]
        if ct <= t1:
            st.cdr_pending.discard(i)
            cadded.extend([(ct << SHIFT) | i] * n_listed(st.c_flags[i], CDR_DIRT))
    # new sessions
    i = st.n_sessions
    while True:
        c = core(st, i)
        if c.start > t1:
            break
        add_session(st, c, i, t1, added, cadded)
        i += 1
    st.s_keys = remove_keys(st.s_keys, removed)
    st.s_keys.extend(sorted(added))
    # keys appended must stay sorted (bumped keys may sit at the old `now`)
    st.c_keys.extend(sorted(cadded))
    st.now = t1
    st.mut += 1
