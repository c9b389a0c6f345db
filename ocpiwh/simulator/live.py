"""A live platform: real changes between the pages a client fetches (``SimConfig.live``).

After each list page served, on average ``rate`` updates are applied (the count is drawn
from the seed and the request number: ``floor(rate)`` plus one with probability
``frac(rate)``). Each update first moves the platform clock by ``live_step_s`` (so that
what changes is stamped later than any window a client froze before), then changes one
object for real, stamped with the new *now*:

* three times out of four an object of the module being listed (preferably one of the
  page just served), otherwise one of sessions, locations or tokens;
* sessions: ``meter`` (a running session reports kWh, periods and cost), ``stop`` (an ACTIVE
  session completes now; its CDR follows 30 s–15 min later), ``activate`` (a PENDING or
  RESERVATION session starts now), ``start`` (the next session arrives now, PENDING or
  RESERVATION first where its schedule says so);
* locations: ``evse_status`` (an EVSE changes status: EVSE and location ``last_updated``);
* tokens: ``token_new`` (a new token) or ``token_change`` (a token blocked or unblocked);
* tariffs: ``tariff`` (republished); CDRs are immutable: ``credit`` (a credit CDR for a
  CDR of the page, issued now).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from .evse_status import evse_state
from .hashing import mix, unit
from .indexes import bump
from .keys import CREDIT_BIT, SHIFT
from .lifecycle import add_session, advance_to, issue_credit, retime
from .session_model import ACTIVE, PRE_MAX, WAITING, core, phase_at, pre_phase
from .state import WorldState
from .tokens import cdr_token, make_token

KINDS: tuple[str, ...] = (
    "meter", "stop", "activate", "start", "evse_status", "token_new", "token_change",
    "tariff", "credit",
)  # fmt: skip
_ELSEWHERE = ("sessions", "sessions", "locations", "tokens")
_OUT_OF_SERVICE = ("BLOCKED", "OUTOFORDER", "INOPERATIVE", "UNKNOWN")


def count(st: WorldState, rate: float, n: int) -> int:
    """How many updates follow list request number ``n`` (mean: ``rate``)."""
    whole = int(rate)
    return whole + (unit(mix(st.live_salt ^ (n * 2 + 1))) < rate - whole)


def apply(st: WorldState, module: str, page: list[int], step_s: int) -> str:
    """One live update after a page of ``module`` (object indexes ``page``); its kind."""
    st.live_seq += 1
    h = mix(st.live_salt ^ (st.live_seq << 1))
    if step_s:
        advance_to(st, st.now + step_s)
    target = module if unit(h) < 0.75 else _ELSEWHERE[(h >> 8) % len(_ELSEWHERE)]
    if target != module:
        page = []
    if target == "tokens" and not st.cfg.expose_tokens:
        target = "sessions"
    h2 = mix(h)
    if target == "cdrs":
        kind = _credit(st, page, h2) or _session(st, [], h2)
    elif target == "locations":
        kind = _evse(st, page, h2)
    elif target == "tokens":
        kind = _token(st, page, h2)
    elif target == "tariffs":
        ti = page[(h2 >> 8) % len(page)] if page else (h2 >> 8) % len(st.tariffs)
        st.bumps["tariffs"][ti] = st.now
        kind = "tariff"
    else:
        kind = _session(st, page, h2)
    st.mut += 1
    return kind


def _pick(
    h: int, preferred: list[int], others: set[int], ok: Callable[[int], bool] | None = None
) -> int | None:
    """One of ``preferred`` (candidates of the page), else the first of ``others`` that is
    ``ok`` from a hashed position in index order: no Python pass over the whole set, which
    grows with the world (thousands of ACTIVE sessions at 1M)."""
    if preferred:
        return preferred[(h >> 16) % len(preferred)]
    pool = sorted(others)
    for j in range(len(pool)):
        i = pool[((h >> 16) + j) % len(pool)]
        if ok is None or ok(i):
            return i
    return None


def _session(st: WorldState, page: list[int], h: int) -> str:
    now = st.now
    running = [i for i in page if i < st.n_sessions and phase_at(st, i, now) in (WAITING, ACTIVE)]
    r = h & 0xFF
    if r < 51:  # 20 %
        return _start(st)
    if r < 64 and st.waiting:  # 5 %
        i = _pick(h, [i for i in running if i in st.waiting], st.waiting)
        if i is not None:
            c = core(st, i)
            d = c.start - now
            retime(st, i, c._replace(start=now, done=c.done - d, end=c.end - d))
            return "activate"
    if r < 102:  # 15 %

        def stoppable(i: int) -> bool:
            return not st.s_flags[i] and st.s_start[i] < now

        i = _pick(h, [i for i in running if i in st.active and stoppable(i)], st.active, stoppable)
        if i is not None:
            c = core(st, i)
            charged = min(now - c.start, c.charge_s)
            kwh = round(c.kwh * charged / c.charge_s, 3) if c.charge_s else 0.0
            idle = now - c.start - charged
            retime(st, i, c._replace(done=now, end=now, kwh=kwh, charge_s=charged, idle_s=idle))
            return "stop"
    i = _pick(h, [i for i in running if i in st.active], st.active)
    if i is None:
        return _start(st)
    bump(st, "sessions", i)  # lu = now: kWh, periods and cost as of now
    return "meter"


def _start(st: WorldState) -> str:
    """The next scheduled session arrives now (its whole timeline moves earlier)."""
    now = st.now
    i = min(st.scheduled) if st.scheduled else st.n_sessions
    c = core(st, i)
    appear = c.start - pre_phase(st, i, c.conn)[1]
    d = max(appear - now, 0)
    moved = c._replace(start=c.start - d, done=c.done - d, end=c.end - d)
    if i < st.n_sessions:
        retime(st, i, moved)
        return "start"
    assert moved.start - PRE_MAX <= now
    st.altered[i] = moved
    keys: list[int] = []
    ckeys: list[int] = []
    add_session(st, moved, i, now, keys, ckeys)
    for k in keys:
        bisect.insort(st.s_keys, k)
    return "start"


def _evse(st: WorldState, page: list[int], h: int) -> str:
    li = page[(h >> 8) % len(page)] if page else (h >> 8) % len(st.locations)
    loc = st.locations[li]
    k0 = (h >> 20) % len(loc.evses)
    gids = [loc.evses[(k0 + k) % len(loc.evses)] for k in range(len(loc.evses))]
    free = [g for g in gids if evse_state(st, st.evses[g])[0] not in ("CHARGING", "RESERVED")]
    ev = st.evses[(free or gids)[0]]
    current = evse_state(st, ev)[0]
    if ev.home:
        new = "UNKNOWN" if current == "AVAILABLE" else "AVAILABLE"
    elif current == "AVAILABLE":
        new = _OUT_OF_SERVICE[(h >> 32) % len(_OUT_OF_SERVICE)]
    else:
        new = "AVAILABLE"
    st.evse_override[ev.gid] = (new, st.now)
    return "evse_status"


def _token(st: WorldState, page: list[int], h: int) -> str:
    if (h & 3) == 0 if page else h & 1:  # new tokens arrive, listed or not
        idx = len(st.tokens)
        t = make_token(st.cfg.seed, st.t0, idx, created=st.now)
        st.tokens.append(t)
        st.token_cdr.append(cdr_token(t))
        st.token_kind.append(st.kinds("tokens", idx))
        return "token_new"
    ki = page[(h >> 8) % len(page)] if page else (h >> 8) % len(st.tokens)
    st.token_valid[ki] = not st.token_valid.get(ki, st.tokens[ki].valid)
    st.bumps["tokens"][ki] = st.now
    return "token_change"


def _credit(st: WorldState, page: list[int], h: int) -> str | None:
    cands = [
        r
        for r in page
        if not r & CREDIT_BIT and r not in st.credit_at and not st.s_flags[r] and not st.c_flags[r]
    ]
    if not cands:
        return None
    i = cands[(h >> 8) % len(cands)]
    keys: list[int] = []
    issue_credit(st, i, st.now, st.now, keys)
    for k in keys:
        bisect.insort(st.c_keys, k)
    assert keys and keys[0] >> SHIFT == st.now
    return "credit"
