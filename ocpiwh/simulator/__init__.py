"""A deterministic OCPI CPO platform (2.1.1, 2.2.1, 2.3.0) served over real HTTP.

>>> from ocpiwh.simulator import SimConfig, serve_in_thread
>>> with serve_in_thread(SimConfig(seed=1, clean=True)) as sim:  # doctest: +SKIP
...     sim.versions_url
"""

from __future__ import annotations

from ocpiwh.paths import MODULES

from .config import DIRT_KINDS, MALFORMED_KINDS, VERSIONS, Dirt, Faults, SimConfig, parse_duration
from .server import Simulator, serve_in_thread

__all__ = [
    "DIRT_KINDS",
    "MALFORMED_KINDS",
    "MODULES",
    "VERSIONS",
    "Dirt",
    "Faults",
    "SimConfig",
    "Simulator",
    "parse_duration",
    "serve_in_thread",
]
