"""Option values that are already what they are declared as skip typer's coercion.

Recent typer coerces every parameter value through a pydantic ``TypeAdapter``, built on
first use: importing pydantic and building the first adapter costs 0.1–0.2 s per process,
more than ``ocpiwh sql "select 1"`` spends on its query. Values whose coercion cannot change
them skip it:

* no value, a ``str`` given as a string, an ``int`` counted as an int (``-v``), a flag;
* a list of strings for a repeatable ``str`` option (``-m sessions -m cdrs``): as a list;
* an integer inside its bounds (``min``/``max``, no ``clamp``), given as an ``int`` (a
  default) or as ASCII digits (``--concurrency 4``), which pydantic reads as ``int()`` does.

Any other value (a ``Path``, a number out of bounds or spelled otherwise, a value of another
type) still goes through typer's own coercion, built on demand: its errors and clamping are
typer's.

:func:`install` wraps typer's parameter protocol (``get_runtime_param()``, ``coerce()``,
``type_descriptor``); a typer without it is left alone (it has no such cost either).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from typer import core

PLAIN: tuple[type, ...] = (str, int, float, bool)

_Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class Plain:
    """What a parameter's values must be to skip the coercion: of type ``annotation`` (for
    a repeatable option, each item), an integer within ``low``–``high`` when bounded."""

    annotation: type
    multiple: bool = False
    low: int | float | None = None
    high: int | float | None = None

    def unchanged(self, value: Any) -> Any:
        """``value`` as typer's coercion would return it, or None: let typer coerce it."""
        if self.multiple:
            if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                return list(value)
            return None
        if self.low is None and self.high is None:
            return value if type(value) is self.annotation else None
        if self.annotation is not int:
            return None
        if type(value) is str and value.isascii() and value.isdigit():
            value = int(value)
        if type(value) is not int:
            return None
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            return None  # typer says what the bound is
        return value


class _PassThrough:
    """The runtime coercion of one parameter: no value, or a value its coercion cannot
    change (``plain``; None: any value is coerced) as is; typer's own for any other value."""

    def __init__(self, plain: Plain | None, typer_runtime: _Getter) -> None:
        self.plain = plain
        self.typer_runtime = typer_runtime
        self.full: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = bool(getattr(param, "multiple", False) or getattr(param, "nargs", 1) == -1)
        if value is None:
            return () if multi else None  # what typer's coercion returns for no value
        if self.plain is not None and self.plain.multiple == multi:
            unchanged = self.plain.unchanged(value)
            if unchanged is not None:
                return unchanged
        if self.full is None:  # typer's own, built by typer on the parameter
            param._runtime_param = None
            self.full = self.typer_runtime(param)
            param._runtime_param = self
        return self.full.coerce(value, param=param, ctx=ctx)


def _plain(param: Any) -> Plain | None:
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    annotation = getattr(descriptor, "annotation", None)
    if info is None:
        return None
    if getattr(info, "parser", None) is not None or getattr(info, "clamp", None):
        return None
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return Plain(str, multiple=True)
    if annotation not in PLAIN:
        return None
    return Plain(annotation, low=getattr(info, "min", None), high=getattr(info, "max", None))


def install() -> None:
    """Give every typer parameter the pass-through, as typer asks for its coercion (help
    options and completion flags are made late: a hook on the class sees them all)."""
    cls: Any = getattr(core, "_TyperParameter", None)
    typer_runtime = getattr(cls, "get_runtime_param", None)
    if typer_runtime is None or getattr(typer_runtime, "_ocpiwh", False):
        return

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", False) is None:
            self._runtime_param = _PassThrough(_plain(self), typer_runtime)
        return typer_runtime(self)

    get_runtime_param._ocpiwh = True  # type: ignore[attr-defined]
    get_runtime_param.typer_runtime = typer_runtime  # type: ignore[attr-defined]  # tests compare
    cls.get_runtime_param = get_runtime_param
