"""Vectorized build of the initial session history (pyarrow compute), for large worlds.

Computes exactly what ``session_model.core`` + ``lifecycle.add_session`` compute for indexes
``0 .. sessions-1``: the same splitmix64 hashes (uint64 arithmetic wraps), the same IEEE
float operations in the same order, ``int()`` as truncation and ``round(x, 3)`` as the
nearest thousandth (Python's ``round`` where the value is within 1e-6 of a tie). Dirty and
malformed sessions are patched from ``session_model.core``. The tests compare both builds.
"""

from __future__ import annotations

import bisect
from array import array
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .dirt import CDR_DIRT, SESSION_DIRT, Picker
from .keys import CREDIT_BIT, SHIFT
from .lifecycle import add_upcoming, track_running
from .session_model import cdr_time, core
from .state import WorldState

_U64 = pa.uint64()


def _u(x: int) -> pa.Scalar:
    return pa.scalar(x, _U64)


def _mix(x: Any) -> Any:
    x = pc.add(x, _u(0x9E3779B97F4A7C15))
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u(30))), _u(0xBF58476D1CE4E5B9))
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u(27))), _u(0x94D049BB133111EB))
    return pc.bit_wise_xor(x, pc.shift_right(x, _u(31)))


def _pick(p: Picker, idx: Any, a: int, n: int) -> Any:
    """``_Picker.pick`` for every index (uint8 kind, 0 = none)."""
    if not p.thresholds:
        return pa.nulls(n, pa.uint8()).fill_null(0)
    u = pc.bit_wise_and(
        _mix(pc.bit_wise_xor(pc.multiply(idx, _u(0x9E3779B1)), _u(p.salt))), _u(0xFFFFFF)
    )
    out = pa.nulls(n, pa.uint8()).fill_null(0)
    for th, k in reversed(p.thresholds):
        out = pc.if_else(pc.less(u, _u(th)), pa.scalar(k, pa.uint8()), out)
    if p.forced:
        arr = _to_array("B", out)
        for i, k in p.forced.items():
            if a <= i < a + n:
                arr[i - a] = k
        return _from_array(arr, pa.uint8())
    return out


def _to_array(code: str, a: Any) -> array[Any]:
    a = pa.concat_arrays([a]) if a.offset else a
    out = array(code)
    buf = a.buffers()[1]
    out.frombytes(memoryview(buf)[: len(a) * out.itemsize])
    return out


def _from_array(arr: array[Any] | bytearray, typ: pa.DataType) -> Any:
    return pa.Array.from_buffers(typ, len(arr), [None, pa.py_buffer(arr)])


def _round3(x: Any) -> array[float]:
    """``round(v, 3)`` for every v >= 0 (see module docstring)."""
    y = pc.add(pc.multiply(x, 1000.0), 0.5)
    k = pc.floor(y)
    out = _to_array("d", pc.divide(k, 1000.0))
    frac = pc.subtract(y, k)
    near = pc.or_(pc.less(frac, 1e-6), pc.greater(frac, 1.0 - 1e-6))
    values = None
    for i in pc.indices_nonzero(near).to_pylist():
        if values is None:
            values = x
        out[i] = round(values[i].as_py(), 3)
    return out


def init_sessions(w: WorldState, chunk: int = 1 << 16) -> None:
    """Fill ``w``'s session arrays and indexes for the initial history (in chunks, so the
    temporary columns stay a few MiB)."""
    n = w.cfg.sessions
    conns = w.conns
    conn_kw = pa.array([c.kw for c in conns], pa.float64())
    conn_dc = pa.array([c.power_type == "DC" for c in conns])
    conn_home = pa.array([w.evses[c.evse].home for c in conns])
    conn_evse = pa.array([c.evse for c in conns], pa.int64())
    s_dup = next(k + 1 for k, name in enumerate(SESSION_DIRT) if name == "duplicate_listing")
    c_dup = next(k + 1 for k, name in enumerate(CDR_DIRT) if name == "duplicate_listing")
    keys: list[Any] = []
    ckeys: list[Any] = []
    ev_last = w.ev_last
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        ev_max = _chunk(w, a, b, conn_kw, conn_dc, conn_home, conn_evse, s_dup, c_dup, keys, ckeys)
        for ev, v in ev_max:
            if ev_last.get(ev, 0) < v:
                ev_last[ev] = v
    all_keys = pa.concat_arrays(keys) if keys else pa.array([], pa.int64())
    w.s_keys = _to_array("q", pc.take(all_keys, pc.array_sort_indices(all_keys)))
    all_c = pa.concat_arrays(ckeys) if ckeys else pa.array([], pa.int64())
    w.c_keys = _to_array("q", pc.take(all_c, pc.array_sort_indices(all_c)))
    del keys, ckeys, all_keys, all_c
    pa.default_memory_pool().release_unused()  # the allocator keeps freed pages otherwise
    upcoming: list[int] = []
    upcoming_cdrs: list[int] = []
    add_upcoming(w, upcoming, upcoming_cdrs)
    for k in sorted(upcoming):
        bisect.insort(w.s_keys, k)
    assert not upcoming_cdrs
    track_running(w)


def _chunk(
    w: WorldState,
    a: int,
    b: int,
    conn_kw: Any,
    conn_dc: Any,
    conn_home: Any,
    conn_evse: Any,
    s_dup: int,
    c_dup: int,
    keys: list[Any],
    ckeys: list[Any],
) -> list[tuple[int, int]]:
    """Sessions ``a .. b-1``: append to the arrays, keys and sets; return the latest
    event time per EVSE."""
    n = b - a
    now = w.now
    idx = pa.array(range(a, b), _U64)
    h = _mix(pc.bit_wise_xor(idx, _u(w.s_salt)))
    h2 = _mix(h)
    slot = w.slot
    start = pc.add(
        pa.array(range(w.base + 1 + a * slot, w.base + 1 + b * slot, slot), pa.int64()),
        pc.cast(pc.modulo(h2, _u(slot)), pa.int64()),
    )
    g = pc.cast(pc.modulo(h, _u(len(w.conns))), pa.int64())
    tok = pc.cast(pc.modulo(pc.shift_right(h, _u(20)), _u(w.n_tokens0)), pa.int32())
    u1 = pc.divide(pc.cast(pc.bit_wise_and(pc.shift_right(h2, _u(16)), _u(0xFFFF)), pa.float64()),
                   65536.0)  # fmt: skip
    u2 = pc.divide(pc.cast(pc.bit_wise_and(pc.shift_right(h2, _u(32)), _u(0xFFFF)), pa.float64()),
                   65536.0)  # fmt: skip
    kw = pc.take(conn_kw, g)
    dc = pc.take(conn_dc, g)
    home = pc.take(conn_home, g)
    needed = pc.if_else(dc, pc.add(8.0, pc.multiply(52.0, u1)), pc.add(3.0, pc.multiply(42.0, u1)))
    charge_h = pc.divide(needed, pc.if_else(dc, pc.multiply(kw, 0.72), pc.multiply(kw, 0.92)))
    idle_h = pc.if_else(
        dc,
        pc.multiply(pc.multiply(0.25, u2), u2),
        pc.if_else(home, pc.multiply(6.0, u2), pc.multiply(pc.multiply(4.0, u2), u2)),
    )
    charge_s = pc.cast(pc.trunc(pc.multiply(charge_h, 3600.0)), pa.int64())
    idle_s = pc.cast(pc.trunc(pc.multiply(idle_h, 3600.0)), pa.int64())
    done = pc.add(pc.add(pc.add(start, charge_s), idle_s), 60)
    cmix = _mix(pc.bit_wise_xor(idx, _u(w.d_salt)))
    ct = pc.add(pc.add(done, 30), pc.cast(pc.modulo(cmix, _u(900)), pa.int64()))

    sdp, smp = w.pick["sessions"]
    cdp, cmp_ = w.pick["cdrs"]
    four = pa.scalar(4, pa.uint8())
    m = _pick(smp, idx, a, n)
    sflags = pc.if_else(pc.not_equal(m, 0), pc.shift_left(m, four), _pick(sdp, idx, a, n))
    cm = _pick(cmp_, idx, a, n)
    cflags = pc.if_else(pc.not_equal(cm, 0), pc.shift_left(cm, four), _pick(cdp, idx, a, n))

    w.s_start.extend(_to_array("q", start))
    w.s_done.extend(_to_array("q", done))
    w.s_cdr.extend(_to_array("q", ct))
    w.s_kwh.extend(_round3(needed))
    w.s_conn.extend(_to_array("i", pc.cast(g, pa.int32())))
    w.s_charge.extend(_to_array("i", pc.cast(charge_s, pa.int32())))
    w.s_tok.extend(_to_array("i", tok))
    w.s_flags.extend(_to_array("B", sflags).tobytes())
    w.c_flags.extend(_to_array("B", cflags).tobytes())
    # dirty / malformed sessions: the general path
    dirty = pc.indices_nonzero(sflags).to_pylist()
    for j in dirty:
        i = a + j
        c = core(w, i)
        w.s_start[i], w.s_done[i], w.s_kwh[i] = c.start, c.done, c.kwh
        w.s_conn[i], w.s_charge[i], w.s_tok[i] = c.conn, c.charge_s, c.token
        w.s_cdr[i] = cdr_time(w, i, c.done)
    if dirty:
        start = _from_array(w.s_start[a:b], pa.int64())
        done = _from_array(w.s_done[a:b], pa.int64())
        ct = _from_array(w.s_cdr[a:b], pa.int64())
        g = pc.cast(_from_array(w.s_conn[a:b], pa.int32()), pa.int64())
    evse = pc.take(conn_evse, g)

    completed = pc.less_equal(done, now)
    lu = pc.if_else(completed, done, start)  # EVSE events
    meter = start
    if w.meter_s:  # running sessions: their last meter reading
        p = w.meter_s
        meter = pc.add(start, pc.multiply(pc.divide(pc.subtract(now, start), p), p))
    key_lu = pc.if_else(completed, done, meter)
    ridx = pa.array(range(a, b), pa.int64())
    k = pc.bit_wise_or(pc.shift_left(key_lu, SHIFT), ridx)
    keys.append(k)
    keys.append(pc.filter(k, pc.equal(sflags, s_dup)))
    cdr_ok = pc.and_(completed, pc.less_equal(ct, now))
    ck = pc.bit_wise_or(pc.shift_left(ct, SHIFT), ridx)
    ckeys.append(pc.filter(ck, cdr_ok))
    ckeys.append(pc.filter(ck, pc.and_(cdr_ok, pc.equal(cflags, c_dup))))
    if w.credit_threshold:  # session_model.credit_delay, column-wise
        hc = _mix(pc.bit_wise_xor(idx, _u(w.credit_salt)))
        clean = pc.and_(pc.equal(sflags, 0), pc.equal(cflags, 0))
        picked = pc.less(pc.bit_wise_and(hc, _u(0xFFFFFF)), _u(w.credit_threshold))
        sel = pc.indices_nonzero(pc.and_(pc.and_(cdr_ok, clean), picked))
        delay = pc.add(
            pc.cast(pc.modulo(pc.shift_right(hc, _u(24)), _u(3 * 86400)), pa.int64()), 3600
        )
        at = pc.add(ct, delay)
        credit_keys = []
        for j, t in zip(sel.to_pylist(), pc.take(at, sel).to_pylist(), strict=True):
            w.credit_at[a + j] = t
            if t <= now:
                credit_keys.append((t << SHIFT) | (a + j) | CREDIT_BIT)
            else:
                w.credit_pending.add(a + j)
        ckeys.append(pa.array(credit_keys, pa.int64()))

    pending = pc.and_(completed, pc.greater(ct, now))
    w.cdr_pending.update(x + a for x in pc.indices_nonzero(pending).to_pylist())
    active = pc.indices_nonzero(pc.invert(completed))
    w.active.update(x + a for x in active.to_pylist())
    for ev in pc.take(evse, active).to_pylist():
        w.active_by_evse[ev] = w.active_by_evse.get(ev, 0) + 1
    t = pa.table({"evse": evse, "lu": lu}).group_by("evse").aggregate([("lu", "max")])
    return list(zip(t["evse"].to_pylist(), t["lu_max"].to_pylist(), strict=True))
