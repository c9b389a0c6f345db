"""The served world: :class:`~.state.WorldState` built for a configuration, and its pages.

Each concern lives in its own module taking a ``WorldState`` (see :mod:`.state`); callers
use them directly. What :class:`World` adds is what needs a home per world: the choice of
builder, the byte renderer of session and CDR pages (its templates are built once) and the
ground truth read back from those bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from .config import SimConfig
from .dirt import Obj
from .fast import Renderer
from .indexes import iter_listed
from .keys import CREDIT_BIT
from .lifecycle import init_sessions
from .render_catalog import render_tariff, render_token
from .render_locations import render_location
from .render_sessions import render_cdr, render_session
from .state import WorldState
from .summary import malformed_kind

#: From this many initial sessions the history is built column-wise with pyarrow
#: (1M: ~1 s instead of ~3 s); smaller worlds skip the import and its ~45 MiB.
BULK_MIN_SESSIONS = 100_000


class World(WorldState):
    """The simulated platform. Not thread-safe: callers hold the simulator's lock."""

    def __init__(self, cfg: SimConfig, t0: int) -> None:
        super().__init__(cfg, t0)
        self._fast: Renderer | None = None
        if cfg.sessions >= BULK_MIN_SESSIONS:
            # imported here only so that small worlds never load pyarrow (see above)
            from .bulk import init_sessions as init_columnwise

            init_columnwise(self)  # equal to lifecycle.init_sessions (the tests compare them)
        else:
            init_sessions(self)

    def renderer(self, module: str, version: str) -> Callable[[int], Obj]:
        """The reference dict renderer of ``module`` objects."""
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

    def truth(self, module: str, version: str) -> Iterator[dict[str, Any]]:
        """Every well-formed object, latest version, in listing order (each once)."""
        if module in ("sessions", "cdrs"):  # parse the served bytes: equal to paging
            flags = self.s_flags if module == "sessions" else self.c_flags
            idxs = [i for i in iter_listed(self, module) if not flags[i & ~CREDIT_BIT] >> 4]
            for a in range(0, len(idxs), 4096):
                yield from orjson.loads(self.render_page(module, version, idxs[a : a + 4096]))
            return
        render = self.renderer(module, version)
        for idx in iter_listed(self, module):
            if malformed_kind(self, module, idx) is None:
                obj = render(idx)
                assert isinstance(obj, dict)
                yield obj
