"""Compile a (module, version, profile, key) policy into fast closures, and apply it."""

from __future__ import annotations

import contextlib
import copy
import hashlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from ocpiwh.errors import UsageError
from ocpiwh.paths import MODULES

from ._coarsen import COARSENERS
from ._fast import FastPageFilter, Unsupported
from ._key import KEY_SIZE, _has_object, pseudonymizer
from ._profile import PrivacyProfile, resolve
from ._schema import VERSIONS, FieldRule, Node, Obj, Treatment, schema
from ._stats import FilterStats

VERSION_ALIASES = {
    "2.1.1": "2.1.1",
    "2.1": "2.1.1",
    "2.2.1": "2.2.1",
    "2.2": "2.2.1",
    "2.3.0": "2.3.0",
}


class _Op:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


KEEP_OP = _Op("KEEP")  # scalar (or list of scalars) kept
DROP_OP = _Op("DROP")  # field removed
PASS_OP = _Op("PASS")  # field and whole subtree kept (privacy pass)
OMIT = _Op("OMIT")  # returned by a handler: leave the field out

Handler = Callable[[Any], Any] | _Op
ObjFn = Callable[[dict[str, Any]], dict[str, Any]]


class _Trie:
    __slots__ = ("children", "passed")

    def __init__(self) -> None:
        self.passed = False
        self.children: dict[str, _Trie] = {}

    def add(self, segs: tuple[str, ...]) -> None:
        node = self
        for s in segs:
            node = node.children.setdefault(s, _Trie())
        node.passed = True


def _build_trie(root: Obj, profile: PrivacyProfile, module: str) -> _Trie | None:
    trie = _Trie()
    for segs in profile.passes_for(module):
        if resolve(root, segs, strict=False) is not None:
            trie.add(segs)
    return trie if trie.children else None


def check_module_version(module: str, version: str) -> tuple[str, str]:
    if module not in MODULES:
        raise UsageError(f"unknown module {module!r}", hint="modules: " + ", ".join(MODULES))
    v = VERSION_ALIASES.get(version)
    if v is None:
        raise UsageError(
            f"unsupported OCPI version {version!r}", hint="versions: " + ", ".join(VERSIONS)
        )
    return module, v


# --- value helpers ------------------------------------------------------------------------
def _copy_list(v: list[Any]) -> list[Any]:
    return [_copy_list(x) if x.__class__ is list else x for x in v]


# --- compiler -----------------------------------------------------------------------------
class _Compiler:
    def __init__(self, key: bytes, stats: FilterStats) -> None:
        self.key = key
        self.stats = stats
        self._pseudo: dict[str, Handler] = {}

    def pseudo_handler(self, kind: str) -> Handler:
        h = self._pseudo.get(kind)
        if h is None:
            h = self._pseudo[kind] = self._make_pseudo(kind)
        return h

    def _make_pseudo(self, kind: str) -> Handler:
        convert, stats = pseudonymizer(self.key, kind), self.stats

        def h(v: Any) -> Any:
            if v is None:
                return None
            stats.pseudonymized += 1
            return convert(v)

        return h

    def coarsen_handler(self, how: str) -> Handler:
        fn = COARSENERS[how]
        stats = self.stats

        def h(v: Any) -> Any:
            if v is None:
                return None
            stats.coarsened += 1
            return fn(v)

        return h

    def field(
        self, node: Node, path: str, private: bool, trie: _Trie | None, force_drop: bool
    ) -> Handler:
        if trie is not None and trie.passed:
            return PASS_OP
        t = node.private if (private and node.private is not None) else node.treatment
        if isinstance(node, FieldRule):
            if force_drop or t is Treatment.DROP:
                return DROP_OP
            if t is Treatment.KEEP:
                return KEEP_OP
            if t is Treatment.PSEUDONYMIZE:
                assert node.kind is not None
                return self.pseudo_handler(node.kind)
            assert node.coarsen is not None
            return self.coarsen_handler(node.coarsen)
        if t is Treatment.DROP or force_drop:
            if trie is None or not trie.children:
                return DROP_OP
            force_drop = True
        return self.container(node, path, private, trie, force_drop)

    def obj_fn(
        self, node: Obj, path: str, private: bool, trie: _Trie | None, force_drop: bool
    ) -> ObjFn:
        if node.private_if is not None and not private:
            f_pub = self._obj_fn1(node, path, False, trie, force_drop)
            f_priv = self._obj_fn1(node, path, True, trie, force_drop)
            cond = node.private_if

            def f(o: dict[str, Any]) -> dict[str, Any]:
                return f_priv(o) if cond(o) else f_pub(o)

            return f
        return self._obj_fn1(node, path, private, trie, force_drop)

    def _obj_fn1(
        self, node: Obj, path: str, private: bool, trie: _Trie | None, force_drop: bool
    ) -> ObjFn:
        prefix = f"{path}." if path else ""
        table: dict[str, Handler] = {}
        for name, child in node.fields.items():
            sub = trie.children.get(name) if trie is not None else None
            table[name] = self.field(child, prefix + name, private, sub, force_drop)
        if trie is not None:
            for name, sub in trie.children.items():
                if name not in node.fields and sub.passed:
                    table[name] = PASS_OP  # a passed unknown (extension) field
        return _make_obj_fn(table, prefix, self.stats)

    def container(
        self, node: Obj, path: str, private: bool, trie: _Trie | None, force_drop: bool
    ) -> Handler:
        f = self.obj_fn(node, path, private, trie, force_drop)
        stats = self.stats
        malformed = stats.malformed_dropped
        if not node.many:

            def one(v: Any) -> Any:
                if v.__class__ is dict:
                    return f(v)
                if v is None:
                    return None
                malformed[path] += 1
                return OMIT

            return one
        skip_key = node.skip_item_key if node.skip_item_if is not None else ""
        skip_values = node.skip_item_values
        memo: dict[str, bool] = {}

        def skip(x: dict[str, Any]) -> bool:
            t = x.get(skip_key)
            if t.__class__ is not str:
                return False
            r = memo.get(t)
            if r is None:
                r = t.strip().upper() in skip_values
                if len(memo) < 4096:
                    memo[t] = r
            return r

        def many(v: Any) -> Any:
            if v.__class__ is not list:
                if v is None:
                    return None
                if v.__class__ is dict:  # lenient: a lone object where an array was due
                    if skip_key and skip(v):
                        stats.dropped += 1
                        return OMIT
                    return f(v)
                malformed[path] += 1
                return OMIT
            out: list[dict[str, Any] | None] = []
            append = out.append
            for x in v:
                if x.__class__ is dict:
                    if skip_key and skip(x):
                        stats.dropped += 1
                        continue
                    append(f(x))
                elif x is None:
                    append(None)
                else:
                    malformed[path] += 1
            return out

        return many


_CONTAINERS = frozenset({dict, list})


def _make_obj_fn(table: dict[str, Handler], prefix: str, stats: FilterStats) -> ObjFn:
    """The filter of one object: one dispatch per field. Objects whose fields are all KEEP
    scalars (dimensions, prices…) take a C-level fast path when nothing is unexpected."""
    get = table.get
    unknown = stats.unknown_fields_dropped
    malformed = stats.malformed_dropped
    keep_op, drop_op, pass_op, omit = KEEP_OP, DROP_OP, PASS_OP, OMIT
    list_t, dict_t = list, dict
    keep = frozenset(k for k, h in table.items() if h is KEEP_OP)
    containers = _CONTAINERS

    def slow(o: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in o.items():
            h = get(k)
            if h is keep_op:
                c = v.__class__
                if c is list_t or c is dict_t:
                    if _has_object(v):
                        malformed[prefix + k] += 1
                        continue
                    v = _copy_list(v)
                out[k] = v
            elif h is None:
                unknown[prefix + k] += 1
            elif h is drop_op:
                stats.dropped += 1
            elif h is pass_op:
                out[k] = copy.deepcopy(v)
            else:
                v = h(v)  # type: ignore[operator]
                if v is not omit:
                    out[k] = v
        return out

    if len(keep) == len(table):

        def all_keep(o: dict[str, Any]) -> dict[str, Any]:
            if keep.issuperset(o) and containers.isdisjoint(map(type, o.values())):
                return o.copy()
            return slow(o)

        return all_keep

    return slow


class ObjectFilter:
    """A compiled privacy filter for one module and version. Call it on each object."""

    __slots__ = ("_page", "_root", "fingerprint", "module", "stats", "version")

    def __init__(self, module: str, version: str, profile: PrivacyProfile, key: bytes) -> None:
        self.module = module
        self.version = version
        self.fingerprint = profile.fingerprint
        self.stats = FilterStats()
        root = schema(module, version, profile.sites)
        trie = _build_trie(root, profile, module)
        self._root = _Compiler(key, self.stats).obj_fn(root, "", False, trie, False)
        self._page: FastPageFilter | None = None
        if trie is None:  # privacy passes keep unknown subtrees: the generic filter only
            name = f"{module}_{version.replace('.', '_')}"
            with contextlib.suppress(Unsupported):
                self._page = FastPageFilter(root, name, key, self.stats, self._root)

    def __call__(self, obj: Any) -> dict[str, Any] | None:
        """The filtered copy of ``obj`` (the input is never modified); None if not an object."""
        if obj.__class__ is not dict:
            if not isinstance(obj, dict):
                self.stats.not_objects += 1
                return None
            obj = dict(obj)
        self.stats.objects += 1
        return self._root(obj)

    def filter_page(self, data: Any) -> tuple[list[bytes], list[Any]]:
        """Filter a page: ``data`` is the JSON text of an array (bytes or a buffer).

        Returns the filtered JSON text of every object, in order, and the items that are not
        objects (for the quarantine). Where the policy allows (see :mod:`._fast`), objects
        are parsed, filtered and serialized by msgspec in one C pass; the others take the
        generic filter. The result is the same either way, up to key order.
        """
        if self._page is not None:
            return self._page(data)
        dumps = orjson.dumps
        docs: list[bytes] = []
        others: list[Any] = []
        for value in orjson.loads(memoryview(data)):
            out = self(value)
            if out is None:
                others.append(value)
            else:
                docs.append(dumps(out))
        return docs, others

    def __repr__(self) -> str:
        return f"ObjectFilter({self.module!r}, {self.version!r}, {self.fingerprint!r})"


def compile_filter(module: str, version: str, profile: PrivacyProfile, key: bytes) -> ObjectFilter:
    """Compile the policy of ``module``/``version`` under ``profile`` with the pseudonym ``key``."""
    module, version = check_module_version(module, version)
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        raise ValueError(f"the pseudonym key must be {KEY_SIZE} bytes")
    return ObjectFilter(module, version, profile, bytes(key))


# --- quarantine ---------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _cached_filter(module: str, version: str, profile: PrivacyProfile, key: bytes) -> ObjectFilter:
    return compile_filter(module, version, profile, key)


def _unreadable(raw: bytes) -> dict[str, Any]:
    return {"unreadable": True, "length": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}


def sanitize_for_quarantine(
    module: str, version: str, payload: bytes | object, profile: PrivacyProfile, key: bytes
) -> dict[str, Any]:
    """What may be written to the quarantine for an object that failed parsing.

    Whatever JSON can be read goes through the same policy as good objects; an unreadable
    payload, a non-object, or anything the policy cannot handle becomes
    ``{"unreadable": True, "length": n, "sha256": hex}`` (n and the hash over the raw bytes,
    or over the JSON encoding of a non-object value).
    """
    obj: Any
    if isinstance(payload, bytes | bytearray | memoryview | str):
        raw = (
            payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else bytes(payload)
        )
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _unreadable(raw)
    else:
        obj = payload
        try:
            raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        except TypeError:
            raw = repr(obj).encode("utf-8", "replace")
    if not isinstance(obj, dict):
        return _unreadable(raw)
    try:
        f = _cached_filter(*check_module_version(module, version), profile, bytes(key))
        out = f(obj)
    except Exception:  # never let a malformed object crash the quarantine writer
        return _unreadable(raw)
    return out if out is not None else _unreadable(raw)


# --- policy table -------------------------------------------------------------------------
class PolicyRow(NamedTuple):
    module: str
    version: str
    path: str
    treatment: Treatment
    reason: str


PASS_REASON = "passed in clear (privacy pass)"
UNKNOWN_REASON = (
    "any field not in this version's OCPI table (at any depth): dropped and counted in "
    "stats.unknown_fields_dropped"
)


def policy_rows(
    module: str | None, version: str | None, profile: PrivacyProfile | None = None
) -> list[PolicyRow]:
    """``[(module, version, path, treatment, reason)]`` for every field (``ocpiwh privacy show``).

    A field treated differently in a private context has a second row whose reason starts
    with ``if <condition>:``. Array entries removed by default appear as ``path[type=…]``.
    """
    profile = profile or PrivacyProfile()
    modules = MODULES if module is None else (check_module_version(module, "2.2.1")[0],)
    versions = VERSIONS if version is None else (check_module_version("sessions", version)[1],)
    rows: list[PolicyRow] = []
    for m in modules:
        for v in versions:
            root = schema(m, v, profile.sites)
            trie = _build_trie(root, profile, m)
            for path, t, reason in _walk(root, "", trie, False, False, ""):
                rows.append(PolicyRow(m, v, path, t, reason))
            rows.append(PolicyRow(m, v, "*", Treatment.DROP, UNKNOWN_REASON))
    return rows


def _walk(
    node: Obj, path: str, trie: _Trie | None, passed: bool, force_drop: bool, cond: str
) -> Iterator[tuple[str, Treatment, str]]:
    if node.private_if is not None:
        cond = node.private_if_doc
    prefix = f"{path}." if path else ""
    for name, child in node.fields.items():
        p = prefix + name
        sub = trie.children.get(name) if trie is not None else None
        is_passed = passed or (sub is not None and sub.passed)
        if isinstance(child, FieldRule):
            if is_passed:
                yield p, Treatment.KEEP, f"{PASS_REASON}; default {child.treatment}: {child.reason}"
                continue
            if force_drop:
                yield p, Treatment.DROP, f"inside a dropped object: {child.reason}"
                continue
            yield p, child.treatment, child.reason
            if child.private is not None and child.private is not child.treatment:
                yield p, child.private, f"if {cond}: {child.private_reason}"
            continue
        drop_child = force_drop
        if is_passed:
            yield p, Treatment.KEEP, f"{PASS_REASON}, with its whole subtree"
        elif child.treatment is Treatment.DROP or force_drop:
            yield p, Treatment.DROP, child.reason or "inside a dropped object"
            drop_child = True
        elif child.private is Treatment.DROP:
            yield p, Treatment.DROP, f"if {cond}: {child.private_reason}"
        if child.skip_item_if is not None and not is_passed:
            yield f"{p}[type=STATE_OF_CHARGE]", Treatment.DROP, child.skip_item_doc
        yield from _walk(child, p, sub, is_passed, drop_child and not is_passed, cond)
    if trie is not None:
        for name, sub in trie.children.items():
            if name not in node.fields and sub.passed:
                yield prefix + name, Treatment.KEEP, f"unknown field {PASS_REASON}"


def render_markdown() -> str:
    """The per-module, per-version policy tables of ``docs/privacy.md`` (default profile)."""
    lines: list[str] = []
    rows = policy_rows(None, None)
    for m in MODULES:
        for v in VERSIONS:
            lines += [
                f"### {m} — OCPI {v}",
                "",
                "| Field | Treatment | Why |",
                "|---|---|---|",
            ]
            for r in rows:
                if r.module == m and r.version == v:
                    reason = r.reason.replace("|", "\\|")
                    lines.append(f"| `{r.path}` | {r.treatment.value} | {reason} |")
            lines.append("")
    return "\n".join(lines)
