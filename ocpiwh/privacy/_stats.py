"""What the privacy stage did to a run's objects, counted (shared by both filter paths)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class FilterStats:
    """Counters of one :class:`ObjectFilter` (never reset by the filter itself)."""

    objects: int = 0
    not_objects: int = 0
    pseudonymized: int = 0
    dropped: int = 0
    coarsened: int = 0
    unknown_fields_dropped: Counter[str] = field(default_factory=Counter)
    malformed_dropped: Counter[str] = field(default_factory=Counter)

    @property
    def unknown_total(self) -> int:
        return sum(self.unknown_fields_dropped.values())

    def merge(self, other: FilterStats) -> None:
        self.objects += other.objects
        self.not_objects += other.not_objects
        self.pseudonymized += other.pseudonymized
        self.dropped += other.dropped
        self.coarsened += other.coarsened
        self.unknown_fields_dropped.update(other.unknown_fields_dropped)
        self.malformed_dropped.update(other.malformed_dropped)

    def take(self) -> FilterStats:
        """The counters so far, zeroing these in place (the filters hold this object): what
        a worker process reports per page."""
        taken = FilterStats()
        taken.merge(self)
        self.objects = self.not_objects = self.pseudonymized = self.dropped = 0
        self.coarsened = 0
        self.unknown_fields_dropped.clear()
        self.malformed_dropped.clear()
        return taken

    def as_dict(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "not_objects": self.not_objects,
            "pseudonymized": self.pseudonymized,
            "dropped": self.dropped,
            "coarsened": self.coarsened,
            "unknown_fields_dropped": dict(sorted(self.unknown_fields_dropped.items())),
            "malformed_dropped": dict(sorted(self.malformed_dropped.items())),
        }
