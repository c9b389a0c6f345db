"""The simulated CPO world: :class:`WorldState` plus its behaviour, behind one object.

The server talks to a :class:`World`; each concern lives in its own module (see
:mod:`.state`), and the methods here only delegate, so that tests and benchmarks keep one
entry point.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from .config import SimConfig
from .dirt import Obj
from .fast import Renderer
from .indexes import bump, index, iter_listed
from .keys import CREDIT_BIT
from .lifecycle import advance_to, init_sessions
from .render_catalog import render_tariff, render_token
from .render_locations import render_location
from .render_sessions import render_cdr, render_session
from .session_model import cdr_time, core
from .state import Core, WorldState
from .summary import malformed_kind
from .summary import summary as render_summary

#: From this many initial sessions the history is built column-wise with pyarrow
#: (1M: ~1 s instead of ~3 s); smaller worlds skip the import and its ~45 MiB.
BULK_MIN_SESSIONS = 100_000


class World(WorldState):
    """State of the simulated platform. Not thread-safe: callers hold the simulator's lock."""

    def __init__(self, cfg: SimConfig, t0: int) -> None:
        super().__init__(cfg, t0)
        self._fast: Renderer | None = None
        if cfg.sessions >= BULK_MIN_SESSIONS:
            # imported here only so that small worlds never load pyarrow (see above)
            from .bulk import init_sessions

            init_sessions(self)  # vectorized; equal to self._init_sessions()
        else:
            self._init_sessions()

    # ---------------------------------------------------------------- sessions
    def core(self, i: int, allow_dup: bool = True) -> Core:
        return core(self, i, allow_dup)

    def cdr_time(self, i: int, done: int) -> int:
        return cdr_time(self, i, done)

    def _init_sessions(self) -> None:
        init_sessions(self)

    def advance_to(self, t1: int) -> None:
        advance_to(self, t1)

    # ---------------------------------------------------------------- indexes
    def index(self, module: str) -> tuple[array[int], list[int]]:
        return index(self, module)

    def iter_listed(self, module: str) -> Iterator[int]:
        return iter_listed(self, module)

    def bump(self, module: str, idx: int) -> None:
        bump(self, module, idx)

    # ---------------------------------------------------------------- rendering
    def obj_id(self, module: str, idx: int) -> str:
        if module == "sessions":
            return f"S{idx:09d}"
        if module == "cdrs":
            return f"CDR{idx & ~CREDIT_BIT:09d}" + ("-CREDIT" if idx & CREDIT_BIT else "")
        if module == "locations":
            return self.locations[idx].id
        if module == "tariffs":
            return self.tariffs[idx].id
        return self.tokens[idx].uid

    def render(self, module: str, idx: int, version: str) -> Obj:
        return self.renderer(module, version)(idx)

    def renderer(self, module: str, version: str) -> Callable[[int], Obj]:
        fn = {
            "sessions": render_session,
            "cdrs": render_cdr,
            "locations": render_location,
            "tariffs": render_tariff,
            "tokens": render_token,
        }[module]
        return lambda idx: fn(self, idx, version)

    def render_page(self, module: str, version: str, idxs: list[int]) -> bytes:
        """JSON array of the objects ``idxs`` as served now."""
        if module in ("sessions", "cdrs"):
            if self._fast is None:
                self._fast = Renderer(self)
            if module == "sessions":
                return self._fast.sessions(idxs, version)
            return self._fast.cdrs(idxs, version)
        render = self.renderer(module, version)
        return orjson.dumps([render(i) for i in idxs])

    # ---------------------------------------------------------------- truth & summary
    def malformed_kind(self, module: str, idx: int) -> str | None:
        return malformed_kind(self, module, idx)

    def truth(self, module: str, version: str) -> Iterator[dict[str, Any]]:
        """Every well-formed object, latest version, in listing order (each once)."""
        if module in ("sessions", "cdrs"):  # parse the served bytes: equal to paging
            flags = self.s_flags if module == "sessions" else self.c_flags
            idxs = [i for i in self.iter_listed(module) if not flags[i & ~CREDIT_BIT] >> 4]
            for a in range(0, len(idxs), 4096):
                yield from orjson.loads(self.render_page(module, version, idxs[a : a + 4096]))
            return
        for idx in self.iter_listed(module):
            if self.malformed_kind(module, idx) is None:
                obj = self.render(module, idx, version)
                assert isinstance(obj, dict)
                yield obj

    def summary(self) -> dict[str, Any]:
        return render_summary(self)
