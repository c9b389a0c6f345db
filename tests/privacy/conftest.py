"""Each privacy test builds the policy it checks: no schema or filter cached by a previous test.

The schema trees (``_schema._CACHE``) and the quarantine's filters (``_cached_filter``) are
process-wide caches. A test that found them filled would check the policy some earlier test
built, and mutation testing (``make mutate``, which forks a worker per mutant from a process
that already ran tests) would see a broken schema builder "survive".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ocpiwh.privacy import _engine, _schema


@pytest.fixture(autouse=True)
def fresh_policy() -> Iterator[None]:
    _schema._CACHE.clear()
    _engine._cached_filter.cache_clear()
    yield
