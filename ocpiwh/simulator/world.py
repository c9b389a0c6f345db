"""The simulated CPO world: deterministic from the seed, rendered per OCPI version.

Memory stays bounded for millions of sessions: a session is regenerated on demand from
``(seed, index)``; only compact arrays (start, completion, CDR time, kWh, connector, dirt
flags) and sorted ``array('q')`` indexes of ``last_updated << 26 | rank`` are kept, so a
filtered window is two bisects and a page costs O(page).
"""

from __future__ import annotations

import bisect
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from ocpiwh.paths import MODULES

from . import names
from .config import DIRT_KINDS, MALFORMED_KINDS, SimConfig

if TYPE_CHECKING:
    from .fast import Renderer

VERSIONS: tuple[str, ...] = ("2.1.1", "2.2.1", "2.3.0")

_M64 = (1 << 64) - 1
SHIFT = 26  # rank bits in index keys
#: From this many initial sessions the history is built column-wise with pyarrow
#: (1M: ~1 s instead of ~3 s); smaller worlds skip the import and its ~45 MiB.
BULK_MIN_SESSIONS = 100_000
MASK = (1 << SHIFT) - 1

Obj = Any  # a rendered object: dict, or a bare str/int when malformed on purpose


def mix(x: int) -> int:
    """splitmix64 finalizer: a fast, well-spread 64-bit hash of an int."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _salt(seed: int, name: str) -> int:
    h = seed & _M64
    for ch in name.encode():
        h = mix(h ^ ch)
    return h


class _Rng:
    """Tiny deterministic generator on top of :func:`mix` (cheaper than random.Random)."""

    __slots__ = ("s",)

    def __init__(self, seed: int) -> None:
        self.s = mix(seed)

    def next(self) -> int:
        self.s = mix(self.s)
        return self.s

    def below(self, n: int) -> int:
        return self.next() % n

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * ((self.next() >> 11) / 9007199254740992.0)

    def choice(self, seq: tuple[Any, ...] | list[Any]) -> Any:
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return (self.next() >> 11) / 9007199254740992.0 < p


_MIN_CACHE: dict[int, str] = {}
_DAY_CACHE: dict[int, str] = {}
_HM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SEC_Z = tuple(f"{i:02d}Z" for i in range(60))
_SEC = tuple(f"{i:02d}" for i in range(60))


def iso(t: int, z: bool = True) -> str:
    """Epoch seconds → ``YYYY-MM-DDTHH:MM:SSZ`` (hot path: cached per minute)."""
    m, s = divmod(t, 60)
    p = _MIN_CACHE.get(m)
    if p is None:
        day, hm = divmod(m, 1440)
        dp = _DAY_CACHE.get(day)
        if dp is None:
            dp = _DAY_CACHE[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
        p = dp + _HM[hm]
        if len(_MIN_CACHE) > 500_000:
            _MIN_CACHE.clear()
        _MIN_CACHE[m] = p
    return p + (_SEC_Z[s] if z else _SEC[s])


def ascii_text(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


# --------------------------------------------------------------------------------------
# Static world models
# --------------------------------------------------------------------------------------

# charger profiles: kW, power_type, voltage, amperage, max_electric_power W, standards
_PROFILES: dict[str, tuple[float, str, int, int, int, tuple[str, ...], str]] = {
    "AC3.7": (3.7, "AC_1_PHASE", 230, 16, 3680, ("DOMESTIC_F", "DOMESTIC_E"), "SOCKET"),
    "AC7.4": (7.4, "AC_1_PHASE", 230, 32, 7360, ("IEC_62196_T2",), "SOCKET"),
    "AC11": (11.0, "AC_3_PHASE", 230, 16, 11040, ("IEC_62196_T2",), "SOCKET"),
    "AC22": (22.0, "AC_3_PHASE", 230, 32, 22080, ("IEC_62196_T2",), "SOCKET"),
    "DC50": (50.0, "DC", 500, 125, 50000, ("IEC_62196_T2_COMBO", "CHADEMO"), "CABLE"),
    "DC150": (150.0, "DC", 920, 200, 150000, ("IEC_62196_T2_COMBO",), "CABLE"),
    "DC350": (350.0, "DC", 920, 500, 350000, ("IEC_62196_T2_COMBO",), "CABLE"),
}

_CAPS_211 = frozenset(
    {"CHARGING_PROFILE_CAPABLE", "CREDIT_CARD_PAYABLE", "REMOTE_START_STOP_CAPABLE",
     "RESERVABLE", "RFID_READER", "UNLOCK_CAPABLE"}
)  # fmt: skip

_LOCTYPE_211 = {
    "ON_STREET": "ON_STREET",
    "PARKING_LOT": "PARKING_LOT",
    "PARKING_GARAGE": "PARKING_GARAGE",
    "UNDERGROUND_GARAGE": "UNDERGROUND_GARAGE",
    "ALONG_MOTORWAY": "OTHER",
    "ON_DRIVEWAY": "OTHER",
}

_STATUSES = (
    ("AVAILABLE", 78),
    ("BLOCKED", 4),
    ("RESERVED", 3),
    ("OUTOFORDER", 5),
    ("INOPERATIVE", 4),
    ("UNKNOWN", 6),
)
_STATUS_TABLE: tuple[str, ...] = tuple(s for s, w in _STATUSES for _ in range(w))


@dataclass
class Tariff:
    idx: int
    cc: str
    pid: str
    id: str
    kind: str  # AC, DC, HOME
    energy: float  # €/kWh excl. VAT
    time: float  # €/h while charging
    parking: float  # €/h idle after the free period
    parking_free_h: float
    flat: float
    created: int
    alt_text: str


@dataclass
class Conn:
    gid: int
    loc: int
    evse: int
    cid: str
    profile: str
    standard: str
    fmt: str
    power_type: str
    voltage: int
    amperage: int
    power_w: int
    kw: float
    tariff: int
    created: int
    cache: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Evse:
    gid: int
    loc: int
    uid: str
    evse_id: str
    capabilities: list[str]
    conns: list[int]
    period: int
    phase: int
    floor: str | None
    physical_reference: str
    home: bool


@dataclass
class Location:
    idx: int
    cc: str
    pid: str
    id: str
    kind: str  # ParkingType (2.2.1) incl. ON_DRIVEWAY for home chargers
    publish: bool
    name: str
    address: str
    city: str
    postal_code: str
    lat: str
    lon: str
    evses: list[int]
    operator: tuple[str, str]
    owner: str
    facilities: list[str]
    twentyfourseven: bool
    created: int
    help_phone: str
    owner_token: int


@dataclass
class Token:
    idx: int
    cc: str
    pid: str
    uid: str
    type: str
    contract_id: str
    visual_number: str
    issuer: str
    group_id: str | None
    valid: bool
    whitelist: str
    language: str
    profile: str | None
    supplier: str | None
    created: int


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


class _Picker:
    """Decides, from the seed, which object of a module is dirty / malformed and how."""

    def __init__(
        self, salt: int, kinds: tuple[str, ...], rates: dict[str, float], n0: int, first: int
    ) -> None:
        self.salt = salt
        self.kinds = kinds
        self.thresholds: list[tuple[int, int]] = []
        acc = 0.0
        total = sum(rates.get(k, 0.0) for k in kinds)
        scale = 1.0 / total if total > 1.0 else 1.0
        for i, k in enumerate(kinds):
            r = rates.get(k, 0.0) * scale
            if r > 0:
                acc += r
                self.thresholds.append((int(acc * (1 << 24)), i + 1))
        # Guarantee at least one object of each enabled kind among the first n0 objects.
        self.forced: dict[int, int] = {}
        span = max(n0 - first, 0)
        if span:
            step = max(span // (len(kinds) + 1), 1)
            pos = (salt % span) if span else 0
            for i, k in enumerate(kinds):
                if rates.get(k, 0.0) <= 0:
                    continue
                for _ in range(span):
                    cand = first + pos % span
                    pos += step + 1
                    if cand not in self.forced:
                        self.forced[cand] = i + 1
                        break

    def pick(self, idx: int) -> int:
        if not self.thresholds:
            return 0
        f = self.forced.get(idx)
        if f is not None:
            return f
        u = mix(self.salt ^ (idx * 0x9E3779B1)) & 0xFFFFFF
        for th, k in self.thresholds:
            if u < th:
                return k
        return 0


_SESSION_DIRT = DIRT_KINDS
_CDR_DIRT = (
    "duplicate_listing",
    "na_fields",
    "numbers_as_strings",
    "timestamps_without_z",
    "unknown_fields",
    "unknown_enums",
    "null_lists",
)
_CONTENT_DIRT = frozenset({"zero_energy", "end_before_start", "long_session", "duplicate_content"})
_LOCATION_DIRT = (
    "duplicate_listing",
    "numbers_as_strings",
    "timestamps_without_z",
    "unknown_fields",
    "unknown_enums",
    "null_lists",
)
_TARIFF_DIRT = ("numbers_as_strings", "timestamps_without_z", "unknown_fields", "null_lists")
_TOKEN_DIRT = ("duplicate_listing", "timestamps_without_z", "unknown_fields", "unknown_enums")
_DIRT_BY_MODULE = {
    "sessions": _SESSION_DIRT,
    "cdrs": _CDR_DIRT,
    "locations": _LOCATION_DIRT,
    "tariffs": _TARIFF_DIRT,
    "tokens": _TOKEN_DIRT,
}
_MAL_BY_MODULE = {
    "sessions": MALFORMED_KINDS,
    "cdrs": MALFORMED_KINDS,
    "locations": MALFORMED_KINDS[:3],
    "tariffs": MALFORMED_KINDS[:3],
    "tokens": MALFORMED_KINDS[:3],
}


def _remove_keys(arr: array[int], keys: list[int]) -> array[int]:
    """Remove each key (once per occurrence in ``keys``) from a sorted array, O(N) memcpy."""
    if not keys:
        return arr
    positions: list[int] = []
    for k in sorted(keys):
        p = bisect.bisect_left(arr, k)
        while positions and p <= positions[-1] and p < len(arr) and arr[p] == k:
            p += 1
        if p < len(arr) and arr[p] == k:
            positions.append(p)
    if not positions:
        return arr
    out = array("q")
    prev = 0
    for p in positions:
        out.extend(arr[prev:p])
        prev = p + 1
    out.extend(arr[prev:])
    return out


class World:
    """State of the simulated platform. Not thread-safe: callers hold :attr:`lock`."""

    def __init__(self, cfg: SimConfig, t0: int) -> None:
        self.cfg = cfg
        self.t0 = t0
        self.now = t0
        self.mut = 0  # bumped on every state change (cache key together with now)
        seed = cfg.seed
        self.rates = cfg.effective_dirt
        faults = cfg.effective_faults
        self.mal_rate = faults.rate_malformed
        self._s_salt = _salt(seed, "sessions")
        self._d_salt = _salt(seed, "session-detail")
        self._st_salt = _salt(seed, "status")
        n0 = cfg.sessions
        self.slot = max(1, min(300, cfg.history_days * 86400 // max(n0, 1)))
        self.base = t0 - n0 * self.slot

        self.tariffs: list[Tariff] = []
        self.conns: list[Conn] = []
        self.evses: list[Evse] = []
        self.locations: list[Location] = []
        self.tokens: list[Token] = []
        n_tokens = cfg.tokens if cfg.tokens is not None else max(20, min(20000, n0 // 40))
        self._build_tokens(max(1, n_tokens))
        self._build_tariffs()
        self._build_locations()

        def pickers(module: str, n: int, first: int = 0) -> tuple[_Picker, _Picker]:
            kinds = _DIRT_BY_MODULE[module]
            mk = _MAL_BY_MODULE[module]
            mal_rates = {k: self.mal_rate / len(mk) for k in mk}
            return (
                _Picker(_salt(seed, "dirt-" + module), kinds, self.rates, n, first),
                _Picker(_salt(seed, "mal-" + module), mk, mal_rates, n, first),
            )

        self.pick = {
            "sessions": pickers("sessions", n0, 1),
            "cdrs": pickers("cdrs", max(n0 // 2, 1)),
            "locations": pickers("locations", len(self.locations)),
            "tariffs": pickers("tariffs", len(self.tariffs)),
            "tokens": pickers("tokens", len(self.tokens)),
        }
        # small-module dirt is fixed per object
        self.loc_kind = [self._kinds("locations", i) for i in range(len(self.locations))]
        self.tariff_kind = [self._kinds("tariffs", i) for i in range(len(self.tariffs))]
        self.token_kind = [self._kinds("tokens", i) for i in range(len(self.tokens))]
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
        self.active: set[int] = set()
        self.active_by_evse: dict[int, int] = {}
        self.ev_last: dict[int, int] = {}  # evse gid -> last session event time
        self.cdr_pending: set[int] = set()
        self.s_keys = array("q")
        self.c_keys = array("q")
        self._small_cache: dict[str, tuple[tuple[int, int], array[int], list[int]]] = {}
        self._loc_cache: tuple[tuple[int, int], list[int], list[list[tuple[str, int]]]] | None = (
            None
        )
        self._fast: Renderer | None = None
        if n0 >= BULK_MIN_SESSIONS:
            from .bulk import init_sessions

            init_sessions(self)  # vectorized (pyarrow); equal to self._init_sessions()
        else:
            self._init_sessions()

    # ---------------------------------------------------------------- building
    def _kinds(self, module: str, idx: int) -> tuple[str | None, str | None]:
        dp, mp = self.pick[module]
        m = mp.pick(idx)
        if m:
            return None, mp.kinds[m - 1]
        d = dp.pick(idx)
        return (dp.kinds[d - 1] if d else None), None

    def _build_tokens(self, n: int) -> None:
        seed = self.cfg.seed
        for i in range(n):
            r = _Rng(_salt(seed, "token") ^ i)
            cc, pid, issuer = names.EMSPS[r.below(len(names.EMSPS))]
            uid = f"{r.next() & ((1 << 56) - 1):014X}"
            typ = "RFID" if r.chance(0.85) else "APP_USER"
            if typ == "APP_USER":
                uid = f"APP-{r.next() & 0xFFFFFFFFFFFF:012x}"
            num = f"{r.below(10**8):08d}"
            contract = f"{cc}-{pid}-C{num}-{r.below(10)}"
            visual = (
                f"{cc}{pid}C{num}" if r.chance(0.5) else f"{r.below(10**4):04d} {num[:4]} {num[4:]}"
            )
            group = f"GRP-{pid}-{r.below(500):04d}" if r.chance(0.4) else None
            self.tokens.append(
                Token(
                    idx=i,
                    cc=cc,
                    pid=pid,
                    uid=uid,
                    type=typ,
                    contract_id=contract,
                    visual_number=visual,
                    issuer=issuer,
                    group_id=group,
                    valid=not r.chance(0.03),
                    whitelist=r.choice(("ALLOWED", "ALLOWED", "ALWAYS", "ALLOWED_OFFLINE")),
                    language=r.choice(("fr", "fr", "fr", "en", "nl")),
                    profile=r.choice((None, "REGULAR", "CHEAP", "GREEN")),
                    supplier=r.choice((None, "EDF", "Enercoop", "TotalEnergies", "Engie")),
                    created=self.t0 - 86400 * (40 + r.below(700)) - r.below(86400),
                )
            )
        self.token_cdr: list[dict[str, Any]] = [
            {
                "country_code": t.cc,
                "party_id": t.pid,
                "uid": t.uid,
                "type": t.type,
                "contract_id": t.contract_id,
            }
            for t in self.tokens
        ]

    def _build_tariffs(self) -> None:
        r = _Rng(_salt(self.cfg.seed, "tariffs"))
        for cc, pid, _name, _web in names.OPERATORS:
            for kind in ("AC", "DC", "HOME"):
                if kind == "AC":
                    e, t, p, free, fl = round(r.uniform(0.28, 0.42), 2), 0.0, 6.0, 2.0, 0.0
                    text = "Recharge AC : prix au kWh, stationnement facturé après 2 h"
                elif kind == "DC":
                    e, t, p, free, fl = round(r.uniform(0.49, 0.69), 2), 0.0, 12.0, 0.75, 0.5
                    text = "Recharge rapide DC : prix au kWh et frais de session"
                else:
                    e, t, p, free, fl = round(r.uniform(0.18, 0.24), 2), 0.0, 0.0, 0.0, 0.0
                    text = "Recharge à domicile"
                self.tariffs.append(
                    Tariff(
                        idx=len(self.tariffs),
                        cc=cc,
                        pid=pid,
                        id=f"{cc}{pid}-{kind}-STD",
                        kind=kind,
                        energy=e,
                        time=t,
                        parking=p,
                        parking_free_h=free,
                        flat=fl,
                        created=self.t0 - 86400 * (100 + r.below(300)),
                        alt_text=text,
                    )
                )

    def _build_locations(self) -> None:
        seed = self.cfg.seed
        for li in range(self.cfg.locations):
            r = _Rng(_salt(seed, "location") ^ li)
            op_i = r.below(len(names.OPERATORS))
            cc, pid, op_name, op_web = names.OPERATORS[op_i]
            city, postal, clat, clon = r.choice(names.CITIES)
            home = r.chance(0.07)
            kind = (
                "ON_DRIVEWAY"
                if home
                else r.choice(
                    ("ON_STREET", "ON_STREET", "PARKING_LOT", "PARKING_GARAGE",
                     "UNDERGROUND_GARAGE", "ALONG_MOTORWAY")
                )
            )  # fmt: skip
            street = r.choice(names.STREETS)
            number = 1 + r.below(180)
            if home:
                name = f"Domicile {ascii_text(city)} {li}"
            else:
                name = r.choice(names.SITE_NAMES[kind]).format(city=city, street=street)
            lat = f"{clat + r.uniform(-0.045, 0.045):.6f}"
            lon = f"{clon + r.uniform(-0.06, 0.06):.6f}"
            created = self.t0 - 86400 * (30 + r.below(900)) - r.below(86400)
            loc_id = f"{cc}{pid}P{li:06d}"
            sep = r.chance(0.6)
            profiles: tuple[str, ...]
            if home:
                n_evse, profiles = 1, ("AC7.4", "AC3.7", "AC11")
            elif kind == "ALONG_MOTORWAY":
                n_evse, profiles = 2 + r.below(7), ("DC150", "DC350", "DC50")
            else:
                n_evse = 1 + r.below(8)
                profiles = ("AC22", "AC22", "AC11", "AC7.4", "DC50", "DC150")
            loc = Location(
                idx=li,
                cc=cc,
                pid=pid,
                id=loc_id,
                kind=kind,
                publish=not home,
                name=name,
                address=f"{number} {street}",
                city=city,
                postal_code=postal,
                lat=lat,
                lon=lon,
                evses=[],
                operator=(op_name, op_web),
                owner=r.choice(names.OWNERS).format(city=city) if not home else "Particulier",
                facilities=(
                    []
                    if home
                    else sorted({r.choice(names.FACILITIES_BY_KIND[kind]) for _ in range(3)})
                ),
                twentyfourseven=home or kind in ("ON_STREET", "ALONG_MOTORWAY") or r.chance(0.3),
                created=created,
                help_phone=f"+33{r.choice(('1', '9', '8'))}{r.below(10**8):08d}",
                owner_token=r.below(len(self.tokens)),
            )
            for k in range(n_evse):
                profile = r.choice(profiles)
                egid = len(self.evses)
                num = f"{li:06d}"
                evse_id = f"{cc}*{pid}*E{num}*{k + 1}" if sep else f"{cc}{pid}E{num}{k + 1}"
                caps = ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
                if profile.startswith("DC"):
                    caps += ["CREDIT_CARD_PAYABLE", "CONTACTLESS_CARD_SUPPORT"]
                if r.chance(0.3):
                    caps.append("RESERVABLE")
                if r.chance(0.3):
                    caps.append("CHARGING_PROFILE_CAPABLE")
                ev = Evse(
                    gid=egid,
                    loc=li,
                    uid=f"{loc_id}-{k + 1:02d}",
                    evse_id=evse_id,
                    capabilities=caps,
                    conns=[],
                    period=3600 * (2 + r.below(6)),
                    phase=r.below(3600 * 7),
                    floor=("-1" if kind == "UNDERGROUND_GARAGE" else None),
                    physical_reference=f"{k + 1}",
                    home=home,
                )
                kw, ptype, volt, amp, pw, standards, fmt = _PROFILES[profile]
                n_conn = (
                    1 if home else min(len(standards) + (1 if ptype != "DC" else 0), 1 + r.below(3))
                )
                std_choices = list(standards)
                if ptype != "DC" and profile != "AC3.7":
                    std_choices.append("DOMESTIC_F")
                tkind = "HOME" if home else ("DC" if ptype == "DC" else "AC")
                tariff = next(
                    t.idx for t in self.tariffs if t.cc == cc and t.pid == pid and t.kind == tkind
                )
                for c in range(max(1, n_conn)):
                    std = std_choices[c % len(std_choices)]
                    if std == "DOMESTIC_F" and profile != "AC3.7":
                        c_kw, c_pt, c_v, c_a, c_pw, c_fmt = (
                            3.7,
                            "AC_1_PHASE",
                            230,
                            16,
                            3680,
                            "SOCKET",
                        )
                    else:
                        c_kw, c_pt, c_v, c_a, c_pw, c_fmt = kw, ptype, volt, amp, pw, fmt
                        if std == "CHADEMO":
                            c_v, c_a, c_pw = 500, 125, 50000
                            c_kw = 50.0
                    cg = len(self.conns)
                    self.conns.append(
                        Conn(
                            gid=cg,
                            loc=li,
                            evse=egid,
                            cid=str(c + 1),
                            profile=profile,
                            standard=std,
                            fmt=c_fmt,
                            power_type=c_pt,
                            voltage=c_v,
                            amperage=c_a,
                            power_w=c_pw,
                            kw=c_kw,
                            tariff=tariff,
                            created=created,
                        )
                    )
                    ev.conns.append(cg)
                self.evses.append(ev)
                loc.evses.append(egid)
            self.locations.append(loc)
        self.conn_party = [
            f"{self.locations[c.loc].cc}*{self.locations[c.loc].pid}" for c in self.conns
        ]

    # ---------------------------------------------------------------- sessions
    def core(self, i: int, allow_dup: bool = True) -> Core:
        h = mix(self._s_salt ^ i)
        h2 = mix(h)
        start = self.base + i * self.slot + 1 + (h2 % self.slot)
        g = h % len(self.conns)
        conn = self.conns[g]
        kw = conn.kw
        tok = (h >> 20) % len(self.tokens)
        u1 = ((h2 >> 16) & 0xFFFF) / 65536.0
        u2 = ((h2 >> 32) & 0xFFFF) / 65536.0
        fl = self.s_flags[i] if i < len(self.s_flags) else -1
        if fl < 0:
            dp, mp = self.pick["sessions"]
            m = mp.pick(i)
            d = 0 if m else dp.pick(i)
        else:
            d, m = fl & 0xF, fl >> 4
        kind = _SESSION_DIRT[d - 1] if d else None
        if kind == "duplicate_content" and allow_dup and i > 0:
            prev = self.core(i - 1, allow_dup=False)
            return prev._replace(kind=d, mal=m)
        if conn.power_type == "DC":
            needed = 8.0 + 52.0 * u1
            charge_h = needed / (kw * 0.72)
            idle_h = 0.25 * u2 * u2
        else:
            needed = 3.0 + 42.0 * u1
            charge_h = needed / (kw * 0.92)
            idle_h = 4.0 * u2 * u2 if not self.evses[conn.evse].home else 6.0 * u2
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

    def cdr_time(self, i: int, done: int) -> int:
        return done + 30 + (mix(self._d_salt ^ i) % 900)

    def _s_lu(self, i: int) -> int:
        done = self.s_done[i]
        lu = done if done <= self.now else self.s_start[i]
        b = self.bumps["sessions"].get(i)
        return lu if b is None or b < lu else b

    def _n_listed(self, flags: int, dirt: tuple[str, ...]) -> int:
        d = flags & 0xF
        return 2 if d and dirt[d - 1] == "duplicate_listing" else 1

    def _add_session(self, c: Core, i: int, now: int, keys: list[int], ckeys: list[int]) -> None:
        self.s_start.append(c.start)
        self.s_done.append(c.done)
        ct = self.cdr_time(i, c.done)
        self.s_cdr.append(ct)
        self.s_kwh.append(c.kwh)
        self.s_conn.append(c.conn)
        self.s_charge.append(c.charge_s)
        self.s_tok.append(c.token)
        self.s_flags.append(c.kind | (c.mal << 4))
        dp, mp = self.pick["cdrs"]
        cm = mp.pick(i)
        cd = 0 if cm else dp.pick(i)
        self.c_flags.append(cd | (cm << 4))
        ev = self.conns[c.conn].evse
        if c.done <= now:
            lu = c.done
            self.ev_last[ev] = max(self.ev_last.get(ev, 0), c.done)
            if ct <= now:
                ckeys.extend([(ct << SHIFT) | i] * self._n_listed(cd, _CDR_DIRT))
            else:
                self.cdr_pending.add(i)
        else:
            lu = c.start
            self.ev_last[ev] = max(self.ev_last.get(ev, 0), c.start)
            self.active.add(i)
            self.active_by_evse[ev] = self.active_by_evse.get(ev, 0) + 1
        keys.extend([(lu << SHIFT) | i] * self._n_listed(c.kind, _SESSION_DIRT))

    def _init_sessions(self) -> None:
        """The initial history, one session at a time: :meth:`core` + :meth:`_add_session`
        inlined for clean sessions, the general path for dirty or malformed ones. Reference for
        the vectorized :func:`.bulk.init_sessions` used at start (the tests compare them)."""
        keys: list[int] = []
        ckeys: list[int] = []
        now = self.now
        m64 = _M64
        s_salt, d_salt, base, slot = self._s_salt, self._d_salt, self.base, self.slot
        n_conn, n_tok = len(self.conns), len(self.tokens)
        cinfo = [(c.kw, c.power_type == "DC", self.evses[c.evse].home, c.evse) for c in self.conns]
        sdp, smp = self.pick["sessions"]
        cdp, cmp_ = self.pick["cdrs"]
        s_dirty = bool(sdp.thresholds or smp.thresholds)
        c_dirty = bool(cdp.thresholds or cmp_.thresholds)
        s_start, s_done, s_cdr, s_kwh = self.s_start, self.s_done, self.s_cdr, self.s_kwh
        s_conn, s_charge, s_tok = self.s_conn, self.s_charge, self.s_tok
        s_flags, c_flags = self.s_flags, self.c_flags
        ev_last, active, active_by_evse, pending = (
            self.ev_last, self.active, self.active_by_evse, self.cdr_pending
        )  # fmt: skip
        keys_append, ckeys_append = keys.append, ckeys.append
        i = 0
        while True:
            if s_dirty and (smp.pick(i) or sdp.pick(i)):
                c = self.core(i)
                if c.start > now:
                    break
                self._add_session(c, i, now, keys, ckeys)
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
                    if cd and _CDR_DIRT[cd - 1] == "duplicate_listing":
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
        self.s_keys = array("q", keys)
        self.c_keys = array("q", ckeys)

    @property
    def n_sessions(self) -> int:
        return len(self.s_start)

    def advance_to(self, t1: int) -> None:
        if t1 <= self.now:
            return
        removed: list[int] = []
        added: list[int] = []
        cadded: list[int] = []
        dup = self._n_listed
        # completions of running sessions
        for i in sorted(self.active):
            done = self.s_done[i]
            if done > t1:
                continue
            old = self._s_lu(i)
            n = dup(self.s_flags[i], _SESSION_DIRT)
            removed.extend([(old << SHIFT) | i] * n)
            b = self.bumps["sessions"].get(i, 0)
            added.extend([(max(done, b) << SHIFT) | i] * n)
            self.active.discard(i)
            ev = self.conns[self.s_conn[i]].evse
            self.active_by_evse[ev] -= 1
            self.ev_last[ev] = max(self.ev_last.get(ev, 0), done)
            self.cdr_pending.add(i)
        # CDRs becoming available
        for i in sorted(self.cdr_pending):
            ct = self.s_cdr[i]
            if ct <= t1:
                self.cdr_pending.discard(i)
                cadded.extend([(ct << SHIFT) | i] * dup(self.c_flags[i], _CDR_DIRT))
        # new sessions
        i = self.n_sessions
        while True:
            c = self.core(i)
            if c.start > t1:
                break
            self._add_session(c, i, t1, added, cadded)
            i += 1
        self.s_keys = _remove_keys(self.s_keys, removed)
        self.s_keys.extend(sorted(added))
        # keys appended must stay sorted (bumped keys may sit at the old `now`)
        self.c_keys.extend(sorted(cadded))
        self.now = t1
        self.mut += 1

    # ---------------------------------------------------------------- EVSE status
    def _sched(self, ev: Evse, k: int) -> str:
        u = mix(self._st_salt ^ (ev.gid << 24) ^ k)
        if ev.home:
            return "AVAILABLE" if u % 10 else "UNKNOWN"
        return _STATUS_TABLE[u % len(_STATUS_TABLE)]

    def evse_state(self, ev: Evse) -> tuple[str, int]:
        """(status, last_updated) of an EVSE at ``now``."""
        t = self.now
        k = (t + ev.phase) // ev.period
        st = self._sched(ev, k)
        j = k
        while j > k - 12 and self._sched(ev, j - 1) == st:
            j -= 1
        changed = j * ev.period - ev.phase
        if self.active_by_evse.get(ev.gid, 0) > 0:
            st = "CHARGING"
        lu = max(changed, self.ev_last.get(ev.gid, 0), self.locations[ev.loc].created)
        return st, min(lu, t)

    def _loc_states(self) -> tuple[list[int], list[list[tuple[str, int]]]]:
        stamp = (self.now, self.mut)
        if self._loc_cache is not None and self._loc_cache[0] == stamp:
            return self._loc_cache[1], self._loc_cache[2]
        lus: list[int] = []
        states: list[list[tuple[str, int]]] = []
        bumps = self.bumps["locations"]
        for loc in self.locations:
            st = [self.evse_state(self.evses[e]) for e in loc.evses]
            lu = max([loc.created, bumps.get(loc.idx, 0)] + [s[1] for s in st])
            lus.append(lu)
            states.append(st)
        self._loc_cache = (stamp, lus, states)
        return lus, states

    # ---------------------------------------------------------------- indexes
    def index(self, module: str) -> tuple[array[int], list[int]]:
        """Sorted keys ``lu << SHIFT | rank`` and ``rank -> object index``."""
        if module == "sessions":
            return self.s_keys, []
        if module == "cdrs":
            return self.c_keys, []
        stamp = (self.now, self.mut)
        cached = self._small_cache.get(module)
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        bumps = self.bumps[module]
        items: list[tuple[str, int, int, str | None]] = []
        if module == "locations":
            lus, _ = self._loc_states()
            for loc in self.locations:
                items.append((loc.id, loc.idx, lus[loc.idx], self.loc_kind[loc.idx][0]))
        elif module == "tariffs":
            for t in self.tariffs:
                lu = max(t.created, bumps.get(t.idx, 0))
                items.append((t.id, t.idx, lu, self.tariff_kind[t.idx][0]))
        else:
            for tk in self.tokens:
                lu = max(tk.created, bumps.get(tk.idx, 0))
                items.append((tk.uid, tk.idx, lu, self.token_kind[tk.idx][0]))
        items.sort()
        rank_to_idx = [it[1] for it in items]
        keys: list[int] = []
        for rank, it in enumerate(items):
            keys.extend([(it[2] << SHIFT) | rank] * (2 if it[3] == "duplicate_listing" else 1))
        keys.sort()
        arr = array("q", keys)
        self._small_cache[module] = (stamp, arr, rank_to_idx)
        return arr, rank_to_idx

    def bump(self, module: str, idx: int) -> None:
        """An object changes now (update-while-paging fault): last_updated = now."""
        now = self.now
        if module == "sessions":
            if idx >= self.n_sessions:
                return
            old = self._s_lu(idx)
            if old >= now:
                return
            n = self._n_listed(self.s_flags[idx], _SESSION_DIRT)
            self.s_keys = _remove_keys(self.s_keys, [(old << SHIFT) | idx] * n)
            self.bumps["sessions"][idx] = now
            for _ in range(n):
                bisect.insort(self.s_keys, (now << SHIFT) | idx)
        elif module == "cdrs":
            return  # CDRs are immutable
        else:
            self.bumps[module][idx] = now
        self.mut += 1

    # ---------------------------------------------------------------- rendering
    def obj_id(self, module: str, idx: int) -> str:
        if module == "sessions":
            return f"S{idx:09d}"
        if module == "cdrs":
            return f"CDR{idx:09d}"
        if module == "locations":
            return self.locations[idx].id
        if module == "tariffs":
            return self.tariffs[idx].id
        return self.tokens[idx].uid

    def render(self, module: str, idx: int, version: str) -> Obj:
        if module == "sessions":
            return self.render_session(idx, version)
        if module == "cdrs":
            return self.render_cdr(idx, version)
        if module == "locations":
            return self.render_location(idx, version)
        if module == "tariffs":
            return self.render_tariff(idx, version)
        return self.render_token(idx, version)

    def render_page(self, module: str, version: str, idxs: list[int]) -> bytes:
        """JSON array of the objects ``idxs`` as served now."""
        if module in ("sessions", "cdrs"):
            if self._fast is None:
                from .fast import Renderer

                self._fast = Renderer(self)
            if module == "sessions":
                return self._fast.sessions(idxs, version)
            return self._fast.cdrs(idxs, version)
        render = self.renderer(module, version)
        return orjson.dumps([render(i) for i in idxs])

    def renderer(self, module: str, version: str) -> Callable[[int], Obj]:
        fn = {
            "sessions": self.render_session,
            "cdrs": self.render_cdr,
            "locations": self.render_location,
            "tariffs": self.render_tariff,
            "tokens": self.render_token,
        }[module]
        return lambda idx: fn(idx, version)

    @staticmethod
    def _malform(obj: dict[str, Any], kind: str, number_field: str | None) -> Obj:
        if kind == "missing_id":
            obj.pop("id", None)
            obj.pop("uid", None)
            return obj
        if kind == "bad_last_updated":
            obj["last_updated"] = "not-a-date"
            return obj
        if kind == "bare_value":
            return "corrupted-object" if len(obj) % 2 else 42
        if number_field:
            obj[number_field] = "abc"
        else:
            obj["last_updated"] = "not-a-date"
        return obj

    def _cost(
        self, conn: Conn, kwh: float, charge_s: int, idle_s: int
    ) -> tuple[float, float, float, float]:
        t = self.tariffs[conn.tariff]
        energy = round(kwh * t.energy, 2)
        parking_h = max(0.0, idle_s / 3600 - t.parking_free_h)
        parking = round(parking_h * t.parking, 2)
        flat = t.flat if kwh > 0 else 0.0
        return round(flat + energy + parking, 2), flat, energy, parking

    @staticmethod
    def _price(version: str, excl: float, as_str: bool = False) -> dict[str, Any]:
        incl = round(excl * 1.2, 2)
        if version == "2.3.0":
            return {
                "before_taxes": str(excl) if as_str else excl,
                "taxes": [{"name": "TVA", "percentage": 20.0, "amount": round(incl - excl, 2)}],
            }
        return {"excl_vat": str(excl) if as_str else excl, "incl_vat": incl}

    def _embedded_location_211(self, conn: Conn) -> dict[str, Any]:
        cached = conn.cache.get("loc211")
        if cached is None:
            loc = self.locations[conn.loc]
            ev = self.evses[conn.evse]
            cached = self._location_base(loc, "2.1.1")
            cached["evses"] = [self._evse(ev, "2.1.1", "AVAILABLE", loc.created, [conn.gid])]
            cached["last_updated"] = iso(loc.created)
            conn.cache["loc211"] = cached
        return cached

    def _cdr_location(self, conn: Conn) -> dict[str, Any]:
        cached = conn.cache.get("cdrloc")
        if cached is None:
            loc = self.locations[conn.loc]
            ev = self.evses[conn.evse]
            cached = {
                "id": loc.id,
                "name": loc.name,
                "address": loc.address,
                "city": loc.city,
                "postal_code": loc.postal_code,
                "country": "FRA",
                "coordinates": {"latitude": loc.lat, "longitude": loc.lon},
                "evse_uid": ev.uid,
                "evse_id": ev.evse_id,
                "connector_id": conn.cid,
                "connector_standard": conn.standard,
                "connector_format": conn.fmt,
                "connector_power_type": conn.power_type,
            }
            conn.cache["cdrloc"] = cached
        return cached

    def _periods(self, version: str, c: Core, conn: Conn) -> list[dict[str, Any]]:
        tariff_id = self.tariffs[conn.tariff].id
        p1: dict[str, Any] = {
            "start_date_time": iso(c.start),
            "dimensions": [
                {"type": "ENERGY", "volume": c.kwh},
                {"type": "TIME", "volume": round(c.charge_s / 3600, 4)},
            ],
        }
        if version != "2.1.1":
            p1["tariff_id"] = tariff_id
        out = [p1]
        if c.idle_s > 0:
            p2: dict[str, Any] = {
                "start_date_time": iso(c.start + c.charge_s),
                "dimensions": [{"type": "PARKING_TIME", "volume": round(c.idle_s / 3600, 4)}],
            }
            if version != "2.1.1":
                p2["tariff_id"] = tariff_id
            out.append(p2)
        return out

    def _detail(self, i: int) -> tuple[str, str | None, str | None]:
        d = mix(self._d_salt ^ (i * 7 + 3))
        am = ("WHITELIST", "AUTH_REQUEST", "AUTH_REQUEST", "COMMAND")[d & 3]
        aref = f"AR{(d >> 8) & 0xFFFFFFFFFF:010X}" if (d >> 4) & 1 else None
        meter = f"MTR-{(d >> 50) % 10**6:06d}" if (d >> 5) & 3 else None
        return am, aref, meter

    def render_session(self, i: int, version: str) -> Obj:
        c = self.core(i)
        conn = self.conns[c.conn]
        loc = self.locations[conn.loc]
        lu = self._s_lu(i)
        completed = c.done <= self.now
        kind = _SESSION_DIRT[c.kind - 1] if c.kind else None
        z = kind != "timestamps_without_z"
        am, aref, meter = self._detail(i - 1 if kind == "duplicate_content" else i)
        v211 = version == "2.1.1"
        o: dict[str, Any] = {}
        if not v211:
            o["country_code"] = loc.cc
            o["party_id"] = loc.pid
        o["id"] = f"S{i:09d}"
        o["start_datetime" if v211 else "start_date_time"] = iso(c.start, z)
        if completed:
            o["end_datetime" if v211 else "end_date_time"] = iso(c.end, z)
        kwh = c.kwh if completed else 0.0
        o["kwh"] = str(kwh) if kind == "numbers_as_strings" else kwh
        if v211:
            o["auth_id"] = self.tokens[c.token].contract_id
            o["auth_method"] = "AUTH_REQUEST" if am == "COMMAND" else am
            o["location"] = self._embedded_location_211(conn)
        else:
            tok = self.token_cdr[c.token]
            if kind == "unknown_enums" and version == "2.3.0":
                tok = dict(tok, type="KEY_FOB")
            o["cdr_token"] = tok
            o["auth_method"] = am
            if aref:
                o["authorization_reference"] = aref
            o["location_id"] = loc.id
            if kind == "na_fields":
                o["evse_uid"] = "#NA"
                o["connector_id"] = "#NA"
            else:
                o["evse_uid"] = self.evses[conn.evse].uid
                o["connector_id"] = conn.cid
        if meter:
            o["meter_id"] = meter
        o["currency"] = "EUR"
        if completed:
            o["charging_periods"] = (
                None if kind == "null_lists" else self._periods(version, c, conn)
            )
            excl = self._cost(conn, c.kwh, c.charge_s, c.idle_s)[0]
            if v211:
                o["total_cost"] = str(excl) if kind == "numbers_as_strings" else excl
            else:
                o["total_cost"] = self._price(version, excl, kind == "numbers_as_strings")
            o["status"] = "COMPLETED"
        else:
            o["charging_periods"] = None if kind == "null_lists" else []
            o["status"] = "ACTIVE"
        if kind == "unknown_fields" and version == "2.3.0":
            o["x_sim_vehicle"] = {"make": "Renault", "model": "Megane E-Tech", "battery_kwh": 60}
        o["last_updated"] = iso(lu, z)
        if c.mal:
            return self._malform(o, MALFORMED_KINDS[c.mal - 1], "kwh")
        return o

    def render_cdr(self, i: int, version: str) -> Obj:
        c = self.core(i)
        conn = self.conns[c.conn]
        loc = self.locations[conn.loc]
        fl = self.c_flags[i]
        kind = _CDR_DIRT[(fl & 0xF) - 1] if fl & 0xF else None
        mal = fl >> 4
        z = kind != "timestamps_without_z"
        ns = kind == "numbers_as_strings"
        content_dup = c.kind and _SESSION_DIRT[c.kind - 1] == "duplicate_content"
        am, aref, meter = self._detail(i - 1 if content_dup else i)
        d = mix(self._d_salt ^ (i * 11 + 5))
        v211 = version == "2.1.1"
        total, flat, energy_cost, parking_cost = self._cost(conn, c.kwh, c.charge_s, c.idle_s)
        o: dict[str, Any] = {}
        if not v211:
            o["country_code"] = loc.cc
            o["party_id"] = loc.pid
        o["id"] = f"CDR{i:09d}"
        o["start_date_time"] = iso(c.start, z)
        o["stop_date_time" if v211 else "end_date_time"] = iso(c.end, z)
        if v211:
            o["auth_id"] = self.tokens[c.token].contract_id
            o["auth_method"] = "AUTH_REQUEST" if am == "COMMAND" else am
            o["location"] = self._embedded_location_211(conn)
        else:
            o["session_id"] = f"S{i:09d}"
            tok = self.token_cdr[c.token]
            if kind == "unknown_enums" and version == "2.3.0":
                tok = dict(tok, type="KEY_FOB")
            o["cdr_token"] = tok
            o["auth_method"] = am
            if aref:
                o["authorization_reference"] = aref
            cl = self._cdr_location(conn)
            if kind == "na_fields":
                cl = dict(cl, evse_uid="#NA", evse_id="#NA", connector_id="#NA")
            o["cdr_location"] = cl
        if meter:
            o["meter_id"] = meter
        o["currency"] = "EUR"
        if kind == "null_lists":
            o["tariffs"] = None
        elif (d & 3) == 0:
            o["tariffs"] = [self._tariff_obj(self.tariffs[conn.tariff], version)]
        o["charging_periods"] = self._periods(version, c, conn)
        if not v211 and (d >> 2) & 3 == 0:
            o["signed_data"] = {
                "encoding_method": "OCMF",
                "encoding_method_version": 1,
                "public_key": f"3059301306072A8648CE3D0201{(d >> 8):016X}",
                "signed_values": [
                    {
                        "nature": "Start",
                        "plain_data": f'OCMF|{{"MV":"{meter or "MTR"}","RD":[{{"TM":"{iso(c.start)}","RV":0}}]}}',
                        "signed_data": f"3045022100{mix(d):016X}{mix(d + 1):016X}",
                    },
                    {
                        "nature": "End",
                        "plain_data": f'OCMF|{{"MV":"{meter or "MTR"}","RD":[{{"TM":"{iso(c.end)}","RV":{c.kwh}}}]}}',
                        "signed_data": f"3045022100{mix(d + 2):016X}{mix(d + 3):016X}",
                    },
                ],
            }
        hours = round((c.charge_s + c.idle_s) / 3600, 4)
        if v211:
            o["total_cost"] = str(total) if ns else total
        else:
            o["total_cost"] = self._price(version, total, ns)
            if flat:
                o["total_fixed_cost"] = self._price(version, flat)
            o["total_energy_cost"] = self._price(version, energy_cost)
            if parking_cost:
                o["total_parking_cost"] = self._price(version, parking_cost)
        o["total_energy"] = str(c.kwh) if ns else c.kwh
        o["total_time"] = str(hours) if ns else hours
        o["total_parking_time"] = round(c.idle_s / 3600, 4)
        if not v211:
            if (d >> 4) & 1:
                o["invoice_reference_id"] = f"INV-{loc.pid}-{(d >> 16) % 10**8:08d}"
            o["credit"] = False
            if not loc.publish:
                o["home_charging_compensation"] = True
        if kind == "unknown_fields" and version == "2.3.0":
            o["x_sim_billing"] = {"batch": (d >> 20) % 1000, "exported": True}
        o["last_updated"] = iso(self.s_cdr[i], z)
        if mal:
            return self._malform(o, MALFORMED_KINDS[mal - 1], "total_energy")
        return o

    def _connector(self, conn: Conn, version: str, num_str: bool) -> dict[str, Any]:
        o: dict[str, Any] = {
            "id": conn.cid,
            "standard": conn.standard,
            "format": conn.fmt,
            "power_type": conn.power_type,
        }
        tariff_id = self.tariffs[conn.tariff].id
        if version == "2.1.1":
            o["voltage"] = str(conn.voltage) if num_str else conn.voltage
            o["amperage"] = conn.amperage
            o["tariff_id"] = tariff_id
        else:
            o["max_voltage"] = str(conn.voltage) if num_str else conn.voltage
            o["max_amperage"] = conn.amperage
            o["max_electric_power"] = conn.power_w
            o["tariff_ids"] = [tariff_id]
            if version == "2.3.0" and conn.power_type == "DC":
                o["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
        o["last_updated"] = iso(conn.created)
        return o

    def _evse(
        self,
        ev: Evse,
        version: str,
        status: str,
        lu: int,
        conns: list[int],
        kind: str | None = None,
        z: bool = True,
    ) -> dict[str, Any]:
        loc = self.locations[ev.loc]
        caps = (
            ev.capabilities
            if version != "2.1.1"
            else [c for c in ev.capabilities if c in _CAPS_211]
        )
        if kind == "unknown_enums" and version == "2.3.0":
            caps = [*caps, "BATTERY_SWAP_CAPABLE"]
        o: dict[str, Any] = {
            "uid": ev.uid,
            "evse_id": ev.evse_id,
            "status": status,
            "capabilities": caps,
            "connectors": [
                self._connector(self.conns[c], version, kind == "numbers_as_strings") for c in conns
            ],
        }
        if ev.floor is not None:
            o["floor_level"] = ev.floor
        o["coordinates"] = {"latitude": loc.lat, "longitude": loc.lon}
        o["physical_reference"] = ev.physical_reference
        if kind == "null_lists":
            o["directions"] = None
            o["images"] = None
        o["last_updated"] = iso(lu, z)
        return o

    def _location_base(self, loc: Location, version: str) -> dict[str, Any]:
        v211 = version == "2.1.1"
        tx = ascii_text if v211 else (lambda s: s)
        o: dict[str, Any] = {}
        if not v211:
            o["country_code"] = loc.cc
            o["party_id"] = loc.pid
        o["id"] = loc.id
        if v211:
            o["type"] = _LOCTYPE_211[loc.kind]
        else:
            o["publish"] = loc.publish
            if not loc.publish:
                t = self.tokens[loc.owner_token]
                o["publish_allowed_to"] = [
                    {
                        "uid": t.uid,
                        "type": t.type,
                        "visual_number": t.visual_number,
                        "issuer": t.issuer,
                    }
                ]
        o["name"] = tx(loc.name)
        o["address"] = tx(loc.address)
        o["city"] = tx(loc.city)
        o["postal_code"] = loc.postal_code
        o["country"] = "FRA"
        o["coordinates"] = {"latitude": loc.lat, "longitude": loc.lon}
        if not v211:
            o["parking_type"] = loc.kind
        o["operator"] = {"name": tx(loc.operator[0]), "website": loc.operator[1]}
        o["owner"] = {"name": tx(loc.owner)}
        facilities = loc.facilities
        if v211:
            facilities = [f for f in facilities if f in names.FACILITIES_211]
        o["facilities"] = facilities
        o["time_zone"] = "Europe/Paris"
        if loc.twentyfourseven:
            o["opening_times"] = {"twentyfourseven": True}
        else:
            hours = [
                {"weekday": d, "period_begin": "07:00", "period_end": "21:00" if d < 6 else "19:00"}
                for d in range(1, 7)
            ]
            o["opening_times"] = (
                {"regular_hours": hours}
                if v211
                else {"twentyfourseven": False, "regular_hours": hours}
            )
        o["charging_when_closed"] = loc.twentyfourseven or loc.kind != "PARKING_GARAGE"
        if version == "2.3.0":
            o["help_phone"] = loc.help_phone
        return o

    def render_location(self, li: int, version: str) -> Obj:
        loc = self.locations[li]
        lus, states = self._loc_states()
        kind, mal = self.loc_kind[li]
        z = kind != "timestamps_without_z"
        o = self._location_base(loc, version)
        if kind == "unknown_enums" and version == "2.3.0":
            o["parking_type"] = "ROOFTOP_DECK"
            o["facilities"] = [*o["facilities"], "EV_LOUNGE"]
        o["evses"] = [
            self._evse(self.evses[e], version, st, lu, self.evses[e].conns, kind, z)
            for e, (st, lu) in zip(loc.evses, states[li], strict=True)
        ]
        if kind == "null_lists":
            o["related_locations"] = None
            o["images"] = None
            o["directions"] = None
        if kind == "unknown_fields" and version == "2.3.0":
            o["x_sim_site"] = {"grid_connection_kva": 250, "solar_canopy": True}
        o["last_updated"] = iso(lus[li], z)
        if mal:
            return self._malform(o, mal, None)
        return o

    def _tariff_obj(
        self, t: Tariff, version: str, kind: str | None = None, lu: int | None = None
    ) -> dict[str, Any]:
        v211 = version == "2.1.1"
        z = kind != "timestamps_without_z"
        ns = kind == "numbers_as_strings"

        def pc(typ: str, price: float, step: int) -> dict[str, Any]:
            o: dict[str, Any] = {"type": typ, "price": str(price) if ns else price}
            if not v211:
                o["vat"] = 20.0
            o["step_size"] = step
            return o

        elements: list[dict[str, Any]] = []
        comps = [pc("ENERGY", t.energy, 1)]
        if t.flat:
            comps.insert(0, pc("FLAT", t.flat, 1))
        elements.append({"price_components": comps})
        if t.parking:
            elements.append(
                {
                    "price_components": [pc("PARKING_TIME", t.parking, 60)],
                    "restrictions": {"min_duration": int(t.parking_free_h * 3600)},
                }
            )
        o: dict[str, Any] = {}
        if not v211:
            o["country_code"] = t.cc
            o["party_id"] = t.pid
        o["id"] = t.id
        o["currency"] = "EUR"
        if not v211:
            o["type"] = "REGULAR"
        text = ascii_text(t.alt_text) if v211 else t.alt_text
        o["tariff_alt_text"] = None if kind == "null_lists" else [{"language": "fr", "text": text}]
        if version == "2.3.0":
            o["min_price"] = {"before_taxes": 0.0, "after_taxes": 0.0}
            o["max_price"] = {"before_taxes": 90.0, "after_taxes": 108.0}
        o["elements"] = elements
        if version == "2.3.0":
            o["tax_included"] = "NO"
            if kind == "unknown_fields":
                o["x_sim_tariff_group"] = "standard-2024"
        o["last_updated"] = iso(t.created if lu is None else lu, z)
        return o

    def render_tariff(self, ti: int, version: str) -> Obj:
        t = self.tariffs[ti]
        kind, mal = self.tariff_kind[ti]
        lu = max(t.created, self.bumps["tariffs"].get(ti, 0))
        o = self._tariff_obj(t, version, kind, lu)
        if mal:
            return self._malform(o, mal, None)
        return o

    def render_token(self, ki: int, version: str) -> Obj:
        t = self.tokens[ki]
        kind, mal = self.token_kind[ki]
        z = kind != "timestamps_without_z"
        lu = max(t.created, self.bumps["tokens"].get(ki, 0))
        v211 = version == "2.1.1"
        o: dict[str, Any] = {}
        if not v211:
            o["country_code"] = t.cc
            o["party_id"] = t.pid
        o["uid"] = t.uid
        typ = t.type if not v211 or t.type == "RFID" else "OTHER"
        if kind == "unknown_enums" and version == "2.3.0":
            typ = "KEY_FOB"
        o["type"] = typ
        if v211:
            o["auth_id"] = t.contract_id
        else:
            o["contract_id"] = t.contract_id
        o["visual_number"] = t.visual_number
        o["issuer"] = ascii_text(t.issuer) if v211 else t.issuer
        if not v211 and t.group_id:
            o["group_id"] = t.group_id
        o["valid"] = t.valid
        o["whitelist"] = t.whitelist
        o["language"] = t.language
        if not v211:
            if t.profile:
                o["default_profile_type"] = t.profile
            if t.supplier:
                o["energy_contract"] = {
                    "supplier_name": t.supplier,
                    "contract_id": f"EC-{t.contract_id}",
                }
        if kind == "unknown_fields" and version == "2.3.0":
            o["x_sim_card_design"] = "blue-2023"
        o["last_updated"] = iso(lu, z)
        if mal:
            return self._malform(o, mal, None)
        return o

    # ---------------------------------------------------------------- truth & summary
    def malformed_kind(self, module: str, idx: int) -> str | None:
        if module == "sessions":
            m = self.s_flags[idx] >> 4
            return MALFORMED_KINDS[m - 1] if m else None
        if module == "cdrs":
            m = self.c_flags[idx] >> 4
            return MALFORMED_KINDS[m - 1] if m else None
        kinds = {"locations": self.loc_kind, "tariffs": self.tariff_kind, "tokens": self.token_kind}
        return kinds[module][idx][1]

    def iter_listed(self, module: str) -> Iterator[int]:
        """Object indexes in listing order, each once."""
        keys, rank_to_idx = self.index(module)
        seen_prev = -1
        for k in keys:
            r = k & MASK
            if r == seen_prev:
                continue
            seen_prev = r
            yield rank_to_idx[r] if rank_to_idx else r

    def truth(self, module: str, version: str) -> Iterator[dict[str, Any]]:
        if module in ("sessions", "cdrs"):  # parse the served bytes: equal to paging
            flags = self.s_flags if module == "sessions" else self.c_flags
            idxs = [i for i in self.iter_listed(module) if not flags[i] >> 4]
            for a in range(0, len(idxs), 4096):
                yield from orjson.loads(self.render_page(module, version, idxs[a : a + 4096]))
            return
        for idx in self.iter_listed(module):
            if self.malformed_kind(module, idx) is None:
                obj = self.render(module, idx, version)
                assert isinstance(obj, dict)
                yield obj

    def summary(self) -> dict[str, Any]:
        now = self.now
        dirty: dict[str, dict[str, list[str]]] = {m: {} for m in MODULES}
        malformed: dict[str, dict[str, list[str]]] = {m: {} for m in MODULES}
        kwh_s: dict[str, float] = {}
        kwh_c: dict[str, float] = {}
        status: dict[str, int] = {"ACTIVE": 0, "COMPLETED": 0}
        n_cdrs = 0
        for i in range(self.n_sessions):
            sid = f"S{i:09d}"
            fl = self.s_flags[i]
            d, m = fl & 0xF, fl >> 4
            completed = self.s_done[i] <= now
            status["COMPLETED" if completed else "ACTIVE"] += 1
            party = self.conn_party[self.s_conn[i]]
            content_kind = _SESSION_DIRT[d - 1] if d else None
            if m:
                malformed["sessions"].setdefault(MALFORMED_KINDS[m - 1], []).append(sid)
            else:
                if content_kind:
                    dirty["sessions"].setdefault(content_kind, []).append(sid)
                if completed:
                    kwh_s[party] = kwh_s.get(party, 0.0) + self.s_kwh[i]
                else:
                    kwh_s.setdefault(party, 0.0)
            if completed and self.s_cdr[i] <= now:
                n_cdrs += 1
                cid = f"CDR{i:09d}"
                cf = self.c_flags[i]
                cd, cm = cf & 0xF, cf >> 4
                if cm:
                    malformed["cdrs"].setdefault(MALFORMED_KINDS[cm - 1], []).append(cid)
                    continue
                if cd:
                    dirty["cdrs"].setdefault(_CDR_DIRT[cd - 1], []).append(cid)
                if content_kind in _CONTENT_DIRT:
                    dirty["cdrs"].setdefault(content_kind, []).append(cid)
                kwh_c[party] = kwh_c.get(party, 0.0) + self.s_kwh[i]
        for module, kinds, objs in (
            ("locations", self.loc_kind, [x.id for x in self.locations]),
            ("tariffs", self.tariff_kind, [x.id for x in self.tariffs]),
            ("tokens", self.token_kind, [x.uid for x in self.tokens]),
        ):
            for (dk, mk), oid in zip(kinds, objs, strict=True):
                if mk:
                    malformed[module].setdefault(mk, []).append(oid)
                elif dk:
                    dirty[module].setdefault(dk, []).append(oid)
        counts = {
            "locations": len(self.locations),
            "evses": len(self.evses),
            "connectors": len(self.conns),
            "sessions": self.n_sessions,
            "cdrs": n_cdrs,
            "tariffs": len(self.tariffs),
            "tokens": len(self.tokens) if self.cfg.expose_tokens else 0,
        }
        if not self.cfg.expose_tokens:
            dirty["tokens"] = {}
            malformed["tokens"] = {}
        wellformed = {m: counts[m] - sum(len(v) for v in malformed[m].values()) for m in MODULES}
        return {
            "seed": self.cfg.seed,
            "start": iso(self.t0),
            "now": iso(now),
            "platform_party": "*".join(names.PLATFORM_PARTY),
            "counts": counts,
            "wellformed_counts": wellformed,
            "sessions_by_status": status,
            "kwh": {
                "sessions": {k: round(v, 3) for k, v in sorted(kwh_s.items())},
                "cdrs": {k: round(v, 3) for k, v in sorted(kwh_c.items())},
            },
            "dirty": dirty,
            "malformed": malformed,
        }
