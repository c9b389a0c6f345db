"""Listing keys: removal from a sorted array keeps every other key, duplicates included."""

from __future__ import annotations

import random
from array import array

from ocpiwh.simulator.keys import remove_keys


def test_remove_keys_equals_removing_one_by_one() -> None:
    rnd = random.Random(4)
    for _ in range(300):
        arr = array("q", sorted(rnd.randrange(60) for _ in range(rnd.randrange(0, 80))))
        keys = [rnd.choice(arr) for _ in range(rnd.randrange(0, 12))] if arr else []
        keys += [rnd.randrange(60, 70) for _ in range(rnd.randrange(0, 2))]  # absent ones
        expected = list(arr)
        for k in keys:
            if k in expected:
                expected.remove(k)
        same = arr
        remove_keys(arr, keys)
        assert arr is same and list(arr) == expected, keys
