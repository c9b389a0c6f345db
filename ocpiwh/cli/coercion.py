"""Option values that are already what they are declared as skip typer's coercion.

Recent typer coerces every parameter value through a pydantic ``TypeAdapter``, built on
first use: importing pydantic and building the first adapter costs 0.1–0.2 s per process,
more than ``ocpiwh sql "select 1"`` spends on its query. A ``str`` given as a string, an
``int`` counted as an int (``-v``), a flag, or an absent value come out of that coercion
unchanged, so for them it is skipped; any other value (a ``Path``, a bounded number, a
list, a value of another type) still goes through typer's own coercion, built on demand.

:func:`install` wraps typer's parameter protocol (``get_runtime_param()``, ``coerce()``,
``type_descriptor``); a typer without it is left alone (it has no such cost either).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer import core

PLAIN: tuple[type, ...] = (str, int, float, bool)

_Getter = Callable[[Any], Any]


class _PassThrough:
    """The runtime coercion of one parameter: no value, or a value of its plain type
    (``annotation``; None: not a plain parameter) as is; typer's own for any other value."""

    def __init__(self, annotation: type | None, typer_runtime: _Getter) -> None:
        self.annotation = annotation
        self.typer_runtime = typer_runtime
        self.full: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = bool(getattr(param, "multiple", False) or getattr(param, "nargs", 1) == -1)
        if value is None:
            return () if multi else None  # what typer's coercion returns for no value
        if not multi and self.annotation is not None and type(value) is self.annotation:
            return value
        if self.full is None:  # typer's own, built by typer on the parameter
            param._runtime_param = None
            self.full = self.typer_runtime(param)
            param._runtime_param = self
        return self.full.coerce(value, param=param, ctx=ctx)


def _plain(param: Any) -> type | None:
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    annotation = getattr(descriptor, "annotation", None)
    if info is None or annotation not in PLAIN:
        return None
    constrained = (
        getattr(info, "parser", None),
        getattr(info, "min", None),
        getattr(info, "max", None),
        getattr(info, "clamp", None) or None,
    )
    if any(c is not None for c in constrained):
        return None
    return annotation  # type: ignore[no-any-return]


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
    cls.get_runtime_param = get_runtime_param
