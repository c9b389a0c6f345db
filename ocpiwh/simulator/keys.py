"""Listing index keys: ``last_updated << SHIFT | rank`` in sorted ``array('q')``.

For sessions and CDRs the rank is the session index (a CDR's rank has :data:`CREDIT_BIT`
set for its credit CDR); for the small modules it is the position in id order.

A date window is two bisects on these keys and a page a slice, so listing costs O(page)
whatever the size of the world.
"""

from __future__ import annotations

import bisect
from array import array

SHIFT = 27  # rank bits in index keys
MASK = (1 << SHIFT) - 1
#: in CDR ranks: the credit CDR of session ``rank & ~CREDIT_BIT`` (sessions are < 2**26)
CREDIT_BIT = 1 << 26


def remove_keys(arr: array[int], keys: list[int]) -> array[int]:
    """Remove each key (once per occurrence in ``keys``) from a sorted array, O(N) memcpy
    (in place for a few keys, into a new array otherwise)."""
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
    if len(positions) <= 16:  # a few: memmove in place rather than copy the whole array
        for p in reversed(positions):
            del arr[p]
        return arr
    out = array("q")
    prev = 0
    for p in positions:
        out.extend(arr[prev:p])
        prev = p + 1
    out.extend(arr[prev:])
    return out
