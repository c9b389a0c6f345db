"""The data of the simulated platform, with no behaviour: catalog, dirt pickers, session columns.

Memory stays bounded for millions of sessions: a session is regenerated on demand from
``(seed, index)``; only compact arrays (start, completion, CDR time, kWh, connector, dirt
flags) and sorted ``array('q')`` listing keys (:mod:`.keys`) are kept. The behaviour lives in
modules that take a :class:`WorldState`: :mod:`.session_model`, :mod:`.lifecycle`,
:mod:`.evse_status`, :mod:`.indexes`, the ``render_*`` modules and :mod:`.world`.
"""

from __future__ import annotations

from array import array
from typing import Any, NamedTuple

from ocpiwh.paths import MODULES

from .config import SimConfig
from .dirt import DIRT_BY_MODULE, MAL_BY_MODULE, Picker
from .hashing import salt
from .locations import build_locations
from .tariffs import build_tariffs
from .tokens import cdr_token, make_token


class Core(NamedTuple):
    """One session's timing and energy (see :func:`.session_model.core`)."""

    start: int  # start_date_time: the moment it becomes ACTIVE
    done: int  # the moment it becomes COMPLETED (last_updated of the final version)
    end: int  # end_date_time as displayed (differs from done for end_before_start)
    kwh: float
    conn: int
    token: int
    charge_s: int
    idle_s: int
    kind: int  # dirt kind index + 1, 0 = none
    mal: int  # malformed kind index + 1, 0 = none


class WorldState:
    """State of the simulated platform. Not thread-safe: callers hold the simulator's lock."""

    def __init__(self, cfg: SimConfig, t0: int) -> None:
        self.cfg = cfg
        self.t0 = t0
        self.now = t0
        self.mut = 0  # bumped on every state change (cache key together with now)
        seed = cfg.seed
        self.rates = cfg.effective_dirt
        self.mal_rate = cfg.effective_faults.rate_malformed
        self.s_salt = salt(seed, "sessions")
        self.d_salt = salt(seed, "session-detail")
        self.st_salt = salt(seed, "status")
        self.pre_salt = salt(seed, "pre-start")
        self.credit_salt = salt(seed, "credit")
        self.live_salt = salt(seed, "live")
        self.credit_threshold = int(cfg.credit_rate * (1 << 24))
        self.meter_s = cfg.meter_interval_s
        n0 = cfg.sessions
        self.slot = max(1, min(300, cfg.history_days * 86400 // max(n0, 1)))
        self.base = t0 - n0 * self.slot

        n_tokens = cfg.tokens if cfg.tokens is not None else max(20, min(20000, n0 // 40))
        self.tokens = [make_token(seed, t0, i) for i in range(max(1, n_tokens))]
        self.n_tokens0 = len(self.tokens)  # sessions draw their token among these
        self.token_cdr: list[dict[str, Any]] = [cdr_token(t) for t in self.tokens]
        self.tariffs = build_tariffs(seed, t0)
        self.locations, self.evses, self.conns = build_locations(
            seed, t0, cfg.locations, len(self.tokens), self.tariffs
        )
        self.conn_party = [
            f"{self.locations[c.loc].cc}*{self.locations[c.loc].pid}" for c in self.conns
        ]
        self.conn_reservable = [
            "RESERVABLE" in self.evses[c.evse].capabilities and not self.evses[c.evse].home
            for c in self.conns
        ]

        def pickers(module: str, n: int, first: int = 0) -> tuple[Picker, Picker]:
            kinds = DIRT_BY_MODULE[module]
            mk = MAL_BY_MODULE[module]
            mal_rates = {k: self.mal_rate / len(mk) for k in mk}
            return (
                Picker(salt(seed, "dirt-" + module), kinds, self.rates, n, first),
                Picker(salt(seed, "mal-" + module), mk, mal_rates, n, first),
            )

        self.pick = {
            "sessions": pickers("sessions", n0, 1),
            "cdrs": pickers("cdrs", max(n0 // 2, 1)),
            "locations": pickers("locations", len(self.locations)),
            "tariffs": pickers("tariffs", len(self.tariffs)),
            "tokens": pickers("tokens", len(self.tokens)),
        }
        # small-module dirt is fixed per object
        self.loc_kind = [self.kinds("locations", i) for i in range(len(self.locations))]
        self.tariff_kind = [self.kinds("tariffs", i) for i in range(len(self.tariffs))]
        self.token_kind = [self.kinds("tokens", i) for i in range(len(self.tokens))]
        # objects changed at a time of their own (session meter bumps are dropped once the
        # session's completion supersedes them; see lifecycle._enter)
        self.bumps: dict[str, dict[int, int]] = {m: {} for m in MODULES}

        # --- sessions: compact per-session arrays
        self.s_start = array("q")
        self.s_done = array("q")
        self.s_cdr = array("q")
        self.s_kwh = array("d")
        self.s_conn = array("i")
        self.s_charge = array("i")  # charging seconds
        self.s_tok = array("i")  # token index
        self.s_flags = bytearray()  # low nibble: dirt kind, high nibble: malformed kind
        self.c_flags = bytearray()  # CDR dirt / malformed
        # session phases (see session_model.phase_at); COMPLETED ones are in none of these
        self.scheduled: set[int] = set()  # in the columns, not yet visible
        self.waiting: set[int] = set()  # PENDING or RESERVATION
        self.active: set[int] = set()
        self.active_by_evse: dict[int, int] = {}
        self.reserved_by_evse: dict[int, int] = {}
        self.ev_last: dict[int, int] = {}  # evse gid -> last session event time
        self.cdr_pending: set[int] = set()
        # next phase change or meter reading of each running session: heap of (time, index),
        # an entry is current only while next_event[index] == time
        self.events: list[tuple[int, int]] = []
        self.next_event: dict[int, int] = {}
        # credit CDRs: session index -> when its credit CDR is issued
        self.credit_at: dict[int, int] = {}
        self.credit_pending: set[int] = set()
        # live changes: sessions re-timed or stopped early, EVSE statuses, token validity
        self.altered: dict[int, Core] = {}
        self.evse_override: dict[int, tuple[str, int]] = {}
        self.token_valid: dict[int, bool] = {}
        self.live_seq = 0  # live updates applied so far
        self.s_keys = array("q")
        self.c_keys = array("q")
        # caches keyed by (now, mut)
        self.small_cache: dict[str, tuple[tuple[int, int], array[int], list[int]]] = {}
        self.loc_cache: tuple[tuple[int, int], list[int], list[list[tuple[str, int]]]] | None = None

    def kinds(self, module: str, idx: int) -> tuple[str | None, str | None]:
        """(dirt kind, malformed kind) of a small-module object."""
        dp, mp = self.pick[module]
        m = mp.pick(idx)
        if m:
            return None, mp.kinds[m - 1]
        d = dp.pick(idx)
        return (dp.kinds[d - 1] if d else None), None

    @property
    def n_sessions(self) -> int:
        return len(self.s_start)
