"""Listing index keys: ``last_updated << SHIFT | rank`` in sorted ``array('q')``.

A date window is two bisects on these keys and a page a slice, so listing costs O(page)
whatever the size of the world.
"""

from __future__ import annotations

import bisect
from array import array

SHIFT = 26  # rank bits in index keys
MASK = (1 << SHIFT) - 1


def remove_keys(arr: array[int], keys: list[int]) -> array[int]:
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
