"""Random OCPI objects built from the privacy schema (test helper)."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from ocpiwh.privacy import FieldRule, Obj

Draw = Callable[[st.SearchStrategy[Any]], Any]

EXTRA_NAMES = ["x_vendor", "vendor_data", "UID", "extra_field", "ext"]


class Gen:
    """Draws objects; every string value is a unique token ``~t<n>_<rand>~``."""

    def __init__(self, draw: Draw, *, extras: bool = True) -> None:
        self.draw = draw
        self.n = 0
        self.extras = extras

    def token(self) -> str:
        self.n += 1
        rand = self.draw(st.text(alphabet=string.ascii_letters, max_size=5))
        return f"~t{self.n}_{rand}~"

    def scalar(self) -> Any:
        kind = self.draw(
            st.sampled_from(["tok", "tok", "tok", "int", "float", "bool", "none", "list"])
        )
        if kind == "tok":
            return self.token()
        if kind == "int":
            return self.draw(st.integers(-(10**6), 10**6))
        if kind == "float":
            return self.draw(st.floats(allow_nan=False, allow_infinity=False, width=32))
        if kind == "bool":
            return self.draw(st.booleans())
        if kind == "list":
            return [self.token() for _ in range(self.draw(st.integers(0, 2)))]
        return None

    def leaf(self, name: str, path: str) -> Any:
        d = self.draw
        if name == "publish" or name == "home_charging_compensation":
            return d(st.sampled_from([True, False, None]))
        if name in ("parking_type",) or (name == "type" and "." not in path):
            return d(st.sampled_from(["ON_DRIVEWAY", "ON_STREET", self.token()]))
        if path.endswith("dimensions.type"):
            return d(st.sampled_from(["ENERGY", "STATE_OF_CHARGE", "TIME", "state_of_charge"]))
        if name in ("latitude", "longitude") and d(st.booleans()):
            return f"{d(st.integers(-89, 89))}.{d(st.integers(0, 999999)):06d}"
        return self.scalar()

    def obj(self, node: Obj, path: str = "", depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for name, child in node.fields.items():
            if not self.draw(st.integers(0, 9)):  # ~10% of fields missing
                continue
            p = prefix + name
            if isinstance(child, FieldRule):
                out[name] = self.leaf(name, p)
            elif depth > 6 or not self.draw(st.integers(0, 4)):
                out[name] = None
            elif child.many:
                out[name] = [
                    self.obj(child, p, depth + 1) for _ in range(self.draw(st.integers(0, 2)))
                ]
            else:
                out[name] = self.obj(child, p, depth + 1)
        if self.extras:
            for name in self.draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=2, unique=True)):
                if self.draw(st.booleans()):
                    out[name] = self.token()
                else:
                    out[name] = {"name": self.token(), "n": [self.token()]}
        return out
