"""JSON texts end to end in one buffer, with the offsets where each begins.

Arrow's string layout: a batch's pages become a string column without a copy
(:class:`ocpiwh.lake.JsonLines`), and a privacy worker process sends a page's filtered
objects as two buffers, not a thousand objects to pickle. A module of its own (standard
library only) so that the worker process can use it without importing the lake.
"""

from __future__ import annotations

import array
import itertools
from collections.abc import Sequence

Packed = tuple[bytes, "array.array[int]"]
"""The texts joined, and ``len + 1`` offsets (int64) from 0 to the buffer's length."""


def pack(docs: Sequence[bytes]) -> Packed:
    """Join ``docs`` and record where each begins."""
    offsets = array.array("q", (0,))
    offsets.extend(itertools.accumulate(map(len, docs)))
    return b"".join(docs), offsets
