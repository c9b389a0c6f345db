"""Which object is dirty or malformed, and how: decided per object index from the seed."""

from __future__ import annotations

from typing import Any

from .config import DIRT_KINDS, MALFORMED_KINDS
from .hashing import mix

SESSION_DIRT = DIRT_KINDS
CDR_DIRT = (
    "duplicate_listing",
    "na_fields",
    "numbers_as_strings",
    "timestamps_without_z",
    "unknown_fields",
    "unknown_enums",
    "null_lists",
)
#: session dirt that a CDR inherits (it describes the same charge)
CONTENT_DIRT = frozenset({"zero_energy", "end_before_start", "long_session", "duplicate_content"})
LOCATION_DIRT = (
    "duplicate_listing",
    "numbers_as_strings",
    "timestamps_without_z",
    "unknown_fields",
    "unknown_enums",
    "null_lists",
)
TARIFF_DIRT = ("numbers_as_strings", "timestamps_without_z", "unknown_fields", "null_lists")
TOKEN_DIRT = ("duplicate_listing", "timestamps_without_z", "unknown_fields", "unknown_enums")
DIRT_BY_MODULE = {
    "sessions": SESSION_DIRT,
    "cdrs": CDR_DIRT,
    "locations": LOCATION_DIRT,
    "tariffs": TARIFF_DIRT,
    "tokens": TOKEN_DIRT,
}
MAL_BY_MODULE = {
    "sessions": MALFORMED_KINDS,
    "cdrs": MALFORMED_KINDS,
    "locations": MALFORMED_KINDS[:3],
    "tariffs": MALFORMED_KINDS[:3],
    "tokens": MALFORMED_KINDS[:3],
}

Obj = Any  # a rendered object: dict, or a bare str/int when malformed on purpose


class Picker:
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


def n_listed(flags: int, dirt: tuple[str, ...]) -> int:
    """How many times an object is listed (twice with ``duplicate_listing``)."""
    d = flags & 0xF
    return 2 if d and dirt[d - 1] == "duplicate_listing" else 1


def malform(obj: dict[str, Any], kind: str, number_field: str | None) -> Obj:
    """Break a rendered object the way ``kind`` says (see ``MALFORMED_KINDS``)."""
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
