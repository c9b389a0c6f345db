"""Configuration of the bundled OCPI simulator: world size, dirt and faults."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

VERSIONS: tuple[str, ...] = ("2.1.1", "2.2.1", "2.3.0")


def check_live(rate: float) -> float:
    """A live rate (updates per list page served) is in 0..1000; NaN is not."""
    if not 0.0 <= rate <= 1000.0:
        raise ValueError(f"live must be a number of updates per page in 0..1000, got {rate}")
    return rate


#: Every kind of "dirty but parseable" data the simulator can serve.
DIRT_KINDS: tuple[str, ...] = (
    "zero_energy",  # sessions/CDRs with 0 kWh
    "end_before_start",  # end_date_time earlier than start_date_time
    "long_session",  # sessions lasting more than 7 days
    "duplicate_listing",  # the same object listed twice in a listing
    "duplicate_content",  # distinct ids with identical session content
    "na_fields",  # "#NA" in fields where the spec allows it (2.2.1/2.3.0)
    "numbers_as_strings",  # e.g. "kwh": "12.345"
    "timestamps_without_z",  # "2024-01-01T10:00:00" (no designator: still UTC)
    "unknown_fields",  # undocumented fields (2.3.0 only)
    "unknown_enums",  # unknown OpenEnum values (2.3.0 only)
    "null_lists",  # null for optional lists
)

_DEFAULT_DIRT_RATE: dict[str, float] = {
    "zero_energy": 0.01,
    "end_before_start": 0.003,
    "long_session": 0.003,
    "duplicate_listing": 0.003,
    "duplicate_content": 0.003,
    "na_fields": 0.005,
    "numbers_as_strings": 0.01,
    "timestamps_without_z": 0.01,
    "unknown_fields": 0.01,
    "unknown_enums": 0.005,
    "null_lists": 0.01,
}

#: Kinds of malformed (unparseable) objects injected when ``Faults.rate_malformed > 0``.
MALFORMED_KINDS: tuple[str, ...] = ("missing_id", "bad_last_updated", "bare_value", "bad_number")


@dataclass(frozen=True)
class Dirt:
    """Rate (0..1, share of objects) of each kind of dirty-but-parseable data.

    ``0``/``False`` switches a kind off, ``True`` means its default rate. When a rate is
    above zero at least one object of that kind exists (if the module has objects).
    """

    zero_energy: float | bool = _DEFAULT_DIRT_RATE["zero_energy"]
    end_before_start: float | bool = _DEFAULT_DIRT_RATE["end_before_start"]
    long_session: float | bool = _DEFAULT_DIRT_RATE["long_session"]
    duplicate_listing: float | bool = _DEFAULT_DIRT_RATE["duplicate_listing"]
    duplicate_content: float | bool = _DEFAULT_DIRT_RATE["duplicate_content"]
    na_fields: float | bool = _DEFAULT_DIRT_RATE["na_fields"]
    numbers_as_strings: float | bool = _DEFAULT_DIRT_RATE["numbers_as_strings"]
    timestamps_without_z: float | bool = _DEFAULT_DIRT_RATE["timestamps_without_z"]
    unknown_fields: float | bool = _DEFAULT_DIRT_RATE["unknown_fields"]
    unknown_enums: float | bool = _DEFAULT_DIRT_RATE["unknown_enums"]
    null_lists: float | bool = _DEFAULT_DIRT_RATE["null_lists"]

    @classmethod
    def off(cls) -> Dirt:
        """Every kind switched off."""
        return cls(**{k: 0.0 for k in DIRT_KINDS})

    @classmethod
    def only(cls, *kinds: str) -> Dirt:
        """Only the given kinds, at their default rates."""
        unknown = set(kinds) - set(DIRT_KINDS)
        if unknown:
            raise ValueError(f"unknown dirt kind(s): {sorted(unknown)}")
        return cls(**{k: (_DEFAULT_DIRT_RATE[k] if k in kinds else 0.0) for k in DIRT_KINDS})

    def rate(self, kind: str) -> float:
        value = getattr(self, kind)
        if value is True:
            return _DEFAULT_DIRT_RATE[kind]
        if value is False:
            return 0.0
        rate = float(value)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"dirt rate {kind}={rate} is outside 0..1")
        return rate

    def rates(self) -> dict[str, float]:
        return {k: self.rate(k) for k in DIRT_KINDS}


@dataclass(frozen=True)
class Faults:
    """Transport faults and malformed data, decided per request or per object from the seed."""

    rate_429: float = 0.0  # share of requests answered 429 with Retry-After
    rate_503: float = 0.0  # share of requests answered 503 with Retry-After
    rate_drop: float = 0.0  # share of requests whose connection is closed without response
    latency_ms: int = 0  # added to every OCPI response
    retry_after_s: int = 1  # value of Retry-After on 429/503
    rate_malformed: float = 0.0  # share of objects served malformed (missing id, bad dates, ...)
    rate_update_while_paging: float = (
        0.0  # share of list requests after which a listed object is bumped to now
    )

    def any(self) -> bool:
        return bool(
            self.rate_429
            or self.rate_503
            or self.rate_drop
            or self.latency_ms
            or self.rate_malformed
            or self.rate_update_while_paging
        )


@dataclass(frozen=True)
class SimConfig:
    """Everything that defines a simulated platform. Same config + same advances = same bytes."""

    seed: int = 1
    locations: int = 40
    sessions: int = 2000  # sessions that exist at the start instant
    token: str = "secret-token"
    clean: bool = False  # True: no dirt, no malformed objects, no faults
    dirt: Dirt = field(default_factory=Dirt)
    faults: Faults = field(default_factory=Faults)
    max_limit: int = 1000
    clock_offset_s: int = 0
    start: datetime | None = None
    expose_tokens: bool = True
    auth: Literal["spec", "either"] = "spec"
    tick: bool = False  # follow real time (live demos); default: clock moves only on advance()
    tokens: int | None = None  # number of tokens; default scales with sessions
    history_days: int = 30  # maximum history covered by the initial sessions
    #: live platform: on average this many object updates after each list page served
    #: (0.1 = one every 10 pages; 3 = three per page); each moves the clock by live_step_s
    live: float = 0.0
    live_step_s: int = 1
    #: ACTIVE sessions report their meter (kWh, cost, last_updated) every this many seconds
    #: of platform time (0: only when a live update touches them)
    meter_interval_s: int = 900
    #: share of CDRs later corrected by a credit CDR (2.2+ ``credit: true``)
    credit_rate: float = 0.005

    def __post_init__(self) -> None:
        if self.locations < 1:
            raise ValueError("locations must be >= 1")
        if self.sessions < 0:
            raise ValueError("sessions must be >= 0")
        if self.sessions >= 1 << 26:
            raise ValueError("sessions must be < 67 million")
        if self.max_limit < 1:
            raise ValueError("max_limit must be >= 1")
        if self.auth not in ("spec", "either"):
            raise ValueError("auth must be 'spec' or 'either'")
        if not self.token or any(not 0x21 <= ord(c) <= 0x7E for c in self.token):
            raise ValueError("token must be printable non-whitespace ASCII")
        for f in dataclasses.fields(Faults):
            v = getattr(self.faults, f.name)
            if f.name.startswith("rate_") and not 0.0 <= v <= 1.0:
                raise ValueError(f"fault {f.name}={v} is outside 0..1")
        check_live(self.live)
        if self.live_step_s < 0 or self.meter_interval_s < 0:
            raise ValueError("live_step_s and meter_interval_s must be >= 0")
        if not 0.0 <= self.credit_rate <= 1.0:
            raise ValueError(f"credit_rate={self.credit_rate} is outside 0..1")
        self.dirt.rates()  # validates

    @property
    def effective_dirt(self) -> dict[str, float]:
        return Dirt.off().rates() if self.clean else self.dirt.rates()

    @property
    def effective_faults(self) -> Faults:
        return Faults() if self.clean else self.faults


_DURATION = re.compile(r"^([+-]?)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> int:
    """Parse ``3h``, ``-2h``, ``90m``, ``1h30m``, ``45s``, ``2d`` or a bare number of seconds."""
    t = text.strip().lower()
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    m = _DURATION.match(t)
    if not m or not any(m.group(i) for i in range(2, 6)):
        raise ValueError(f"not a duration: {text!r} (use e.g. 3h, -2h, 90m)")
    sign = -1 if m.group(1) == "-" else 1
    d, h, mi, s = (int(m.group(i) or 0) for i in range(2, 6))
    return sign * (d * 86400 + h * 3600 + mi * 60 + s)
