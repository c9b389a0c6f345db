"""Deterministic hashing: every random-looking choice of the world derives from the seed here."""

from __future__ import annotations

from typing import Any

M64 = (1 << 64) - 1


def mix(x: int) -> int:
    """splitmix64 finalizer: a fast, well-spread 64-bit hash of an int."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def salt(seed: int, name: str) -> int:
    """A per-purpose seed, so that unrelated choices never share a hash stream."""
    h = seed & M64
    for ch in name.encode():
        h = mix(h ^ ch)
    return h


def unit(h: int) -> float:
    """A hash mapped to [0, 1)."""
    return (h >> 11) / 9007199254740992.0


class Rng:
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
