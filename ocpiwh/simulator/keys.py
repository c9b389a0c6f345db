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


def remove_keys(arr: array[int], keys: list[int]) -> None:
    """Remove each key (once per occurrence in ``keys``) from a sorted array, in place.

    Only the tail from the first removed key is rewritten: clock steps and live updates
    remove recent keys (near the end), so this stays cheap however long the array is."""
    positions: list[int] = []
    for k in sorted(keys):
        p = bisect.bisect_left(arr, k)
        while positions and p <= positions[-1] and p < len(arr) and arr[p] == k:
            p += 1
        if p < len(arr) and arr[p] == k:
            positions.append(p)
    if not positions:
        return
    first = positions[0]
    tail = arr[first:]
    del arr[first:]
    prev = 0
    for p in positions:
        arr.extend(tail[prev : p - first])
        prev = p - first + 1
    arr.extend(tail[prev:])
