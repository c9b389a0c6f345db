"""Sessions over time: the initial history, then phase changes (PENDING/RESERVATION →
ACTIVE → COMPLETED), meter readings, CDRs, credit CDRs and new sessions as the platform clock
moves (:func:`advance_to`), and the re-timing of a session by a live update (:func:`retime`).

Invariant: ``s_keys`` holds ``lu_at(i, now)`` of every visible session (twice when listed
twice), ``c_keys`` every published CDR and credit CDR; every running session has one current
entry in the ``events`` heap, at its next change.
"""

from __future__ import annotations

import bisect
import heapq
from array import array

from .dirt import CDR_DIRT, SESSION_DIRT, n_listed
from .hashing import M64
from .keys import CREDIT_BIT, SHIFT, remove_keys
from .session_model import (
    ACTIVE,
    DONE,
    HIDDEN,
    PRE_MAX,
    RESERVATION,
    WAITING,
    appear_time,
    cdr_time,
    core,
    credit_delay,
    lu_at,
    meter_time,
    next_change,
    phase_at,
    pre_phase,
)
from .state import Core, WorldState


def schedule_next(st: WorldState, i: int, t: int) -> None:
    """Put session ``i``'s next change after ``t`` on the events heap."""
    nt = next_change(st, i, t)
    if nt is None:
        st.next_event.pop(i, None)
    elif st.next_event.get(i) != nt:
        st.next_event[i] = nt
        heapq.heappush(st.events, (nt, i))


def _leave(st: WorldState, i: int, phase: int) -> None:
    ev = st.conns[st.s_conn[i]].evse
    if phase == HIDDEN:
        st.scheduled.discard(i)
    elif phase == WAITING:
        st.waiting.discard(i)
        if pre_phase(st, i)[0] == RESERVATION:
            st.reserved_by_evse[ev] -= 1
    elif phase == ACTIVE:
        st.active.discard(i)
        st.active_by_evse[ev] -= 1


def _enter(st: WorldState, i: int, phase: int) -> None:
    ev = st.conns[st.s_conn[i]].evse
    if phase == HIDDEN:
        st.scheduled.add(i)
    elif phase == WAITING:
        st.waiting.add(i)
        if pre_phase(st, i)[0] == RESERVATION:
            st.reserved_by_evse[ev] = st.reserved_by_evse.get(ev, 0) + 1
            st.ev_last[ev] = max(st.ev_last.get(ev, 0), appear_time(st, i))
    elif phase == ACTIVE:
        st.active.add(i)
        st.active_by_evse[ev] = st.active_by_evse.get(ev, 0) + 1
        st.ev_last[ev] = max(st.ev_last.get(ev, 0), st.s_start[i])
    else:
        done = st.s_done[i]
        st.ev_last[ev] = max(st.ev_last.get(ev, 0), done)
        st.cdr_pending.add(i)
        bumps = st.bumps["sessions"]
        if bumps.get(i, done) < done:  # a meter bump its completion supersedes for good
            del bumps[i]


def publish_cdr(st: WorldState, i: int, now: int, ckeys: list[int]) -> None:
    """CDR ``i`` is out (its time is due): list it, decide its credit CDR."""
    ct = st.s_cdr[i]
    ckeys.extend([(ct << SHIFT) | i] * n_listed(st.c_flags[i], CDR_DIRT))
    d = credit_delay(st, i)
    if d is not None:
        issue_credit(st, i, ct + d, now, ckeys)


def issue_credit(st: WorldState, i: int, at: int, now: int, ckeys: list[int]) -> None:
    st.credit_at[i] = at
    if at <= now:
        ckeys.append((at << SHIFT) | i | CREDIT_BIT)
    else:
        st.credit_pending.add(i)


def add_session(
    st: WorldState, c: Core, i: int, now: int, keys: list[int], ckeys: list[int]
) -> None:
    """Append session ``i`` to the columns; its listing keys go to ``keys`` / ``ckeys``."""
    st.s_start.append(c.start)
    st.s_done.append(c.done)
    st.s_cdr.append(cdr_time(st, i, c.done))
    st.s_kwh.append(c.kwh)
    st.s_conn.append(c.conn)
    st.s_charge.append(c.charge_s)
    st.s_tok.append(c.token)
    st.s_flags.append(c.kind | (c.mal << 4))
    dp, mp = st.pick["cdrs"]
    cm = mp.pick(i)
    cd = 0 if cm else dp.pick(i)
    st.c_flags.append(cd | (cm << 4))
    phase = phase_at(st, i, now)
    _enter(st, i, phase)
    if phase == DONE and st.s_cdr[i] <= now:
        st.cdr_pending.discard(i)
        publish_cdr(st, i, now, ckeys)
    lu = lu_at(st, i, now)
    if lu is not None:
        keys.extend([(lu << SHIFT) | i] * n_listed(c.kind, SESSION_DIRT))
    schedule_next(st, i, now)


def add_upcoming(st: WorldState, keys: list[int], ckeys: list[int]) -> None:
    """After the history: the sessions starting within ``PRE_MAX`` (hidden or waiting)."""
    i = st.n_sessions
    while True:
        c = core(st, i)
        if c.start - PRE_MAX > st.now:
            break
        add_session(st, c, i, st.now, keys, ckeys)
        i += 1


def track_running(st: WorldState) -> None:
    """Put every running session of the initial history on the events heap."""
    for i in sorted(st.active | st.waiting | st.scheduled):
        if i not in st.next_event:
            schedule_next(st, i, st.now)


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
    n_conn, n_tok = len(st.conns), st.n_tokens0
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
    credit_threshold = st.credit_threshold
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
                if credit_threshold:
                    d = credit_delay(st, i)
                    if d is not None:
                        issue_credit(st, i, ct + d, now, ckeys)
            else:
                pending.add(i)
            keys_append((done << SHIFT) | i)
        else:
            if ev_last.get(ev, 0) < start:
                ev_last[ev] = start
            active.add(i)
            active_by_evse[ev] = active_by_evse.get(ev, 0) + 1
            keys_append((meter_time(st, start, now) << SHIFT) | i)
        i += 1
    add_upcoming(st, keys, ckeys)
    keys.sort()
    ckeys.sort()
    st.s_keys = array("q", keys)
    st.c_keys = array("q", ckeys)
    track_running(st)


def _move(st: WorldState, i: int, t0: int, t1: int, removed: list[int], added: list[int]) -> None:
    """Session ``i`` from ``t0`` to ``t1``: listing key, phase bookkeeping, next event."""
    n = n_listed(st.s_flags[i], SESSION_DIRT)
    lu0, lu1 = lu_at(st, i, t0), lu_at(st, i, t1)
    if lu0 != lu1:
        if lu0 is not None:
            removed.extend([(lu0 << SHIFT) | i] * n)
        if lu1 is not None:
            added.extend([(lu1 << SHIFT) | i] * n)
    p0, p1 = phase_at(st, i, t0), phase_at(st, i, t1)
    if p0 != p1:
        _leave(st, i, p0)
        _enter(st, i, p1)
    schedule_next(st, i, t1)


def advance_to(st: WorldState, t1: int) -> None:
    """Move the clock to ``t1``: sessions change phase and report their meter, CDRs and
    credit CDRs appear, new sessions are added (hidden until they appear)."""
    if t1 <= st.now:
        return
    t0 = st.now
    removed: list[int] = []
    added: list[int] = []
    cadded: list[int] = []
    events, next_event = st.events, st.next_event
    while events and events[0][0] <= t1:
        t, i = heapq.heappop(events)
        if next_event.get(i) != t:
            continue  # superseded
        del next_event[i]
        _move(st, i, t0, t1, removed, added)
    s_cdr, credit_at = st.s_cdr, st.credit_at  # sort the due ones only (a few per step)
    for i in sorted([i for i in st.cdr_pending if s_cdr[i] <= t1]):
        st.cdr_pending.discard(i)
        publish_cdr(st, i, t1, cadded)
    for i in sorted([i for i in st.credit_pending if credit_at[i] <= t1]):
        st.credit_pending.discard(i)
        cadded.append((credit_at[i] << SHIFT) | i | CREDIT_BIT)
    i = st.n_sessions
    while True:
        c = core(st, i)
        if c.start - PRE_MAX > t1:
            break
        add_session(st, c, i, t1, added, cadded)
        i += 1
    remove_keys(st.s_keys, removed)
    # every new key is later than t0, every existing one at most t0: appending keeps order
    st.s_keys.extend(sorted(added))
    st.c_keys.extend(sorted(cadded))
    st.now = t1
    st.mut += 1


def retime(st: WorldState, i: int, c: Core) -> None:
    """A live update changes session ``i``'s timing now (start early, stop early)."""
    now = st.now
    n = n_listed(st.s_flags[i], SESSION_DIRT)
    lu0 = lu_at(st, i, now)
    _leave(st, i, phase_at(st, i, now))
    st.altered[i] = c
    st.s_start[i], st.s_done[i], st.s_kwh[i], st.s_charge[i] = c.start, c.done, c.kwh, c.charge_s
    st.s_cdr[i] = cdr_time(st, i, c.done)
    st.cdr_pending.discard(i)
    _enter(st, i, phase_at(st, i, now))
    lu1 = lu_at(st, i, now)
    if lu0 != lu1:
        if lu0 is not None:
            remove_keys(st.s_keys, [(lu0 << SHIFT) | i] * n)
        if lu1 is not None:
            for _ in range(n):
                bisect.insort(st.s_keys, (lu1 << SHIFT) | i)
    schedule_next(st, i, now)
    st.mut += 1
