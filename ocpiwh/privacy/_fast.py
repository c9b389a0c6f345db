"""The privacy stage for whole pages, in one C pass: parse, filter and serialize with msgspec.

The generic filter (:mod:`._engine`) walks parsed dicts in Python: with the JSON parse and
the serialization it was ~70 % of a sync's GIL time. Here the policy becomes msgspec
``Struct`` types: only the fields the policy keeps or pseudonymizes are declared, so msgspec
builds nothing else, and serializes what it built. Pseudonyms are computed by a decode hook.

The fast path only takes objects it can prove the generic filter would treat the same way;
anything else goes to the generic filter, so the output is the same whichever path an
object took (the key order may differ, which JSON does not see):

* an unknown field (``forbid_unknown_fields``) or a value of an unexpected shape (an object
  where a scalar is due, a lone object where an array is due, nested lists...) fails the
  decode;
* an object that opens a private context (``Obj.private_if``, tested by the decode hook on
  each of ``Obj.private_if_keys``, at the root or along a path of single objects) is
  filtered again by the generic filter;
* an array item the policy removes (``STATE_OF_CHARGE`` dimensions), or one whose value the
  policy does not list as kept, fails the first, strict decode (a ``Literal`` of the kept
  values, no Python per value); such a page is decoded again with a hook that marks the
  items to remove, and :func:`_prune` removes and counts them;
* a context private for every object (``Obj.private_always``: OCPI 2.1.1 locations when
  none is declared public) takes its private treatments in the types, with no test:
  dropped fields as above, coarsened ones through the decode hook (:mod:`._coarsen`, the
  generic filter's functions);
* a profile with privacy passes for the module, or a policy the types cannot express
  (a tested private context inside an array, a context private by default that a
  declaration can make public for some objects), has no fast path.

Dropped fields are decoded to a sentinel equal to their default, so the encoder leaves them
out (``omit_defaults``) without a Python pass over the objects. The counters
(:class:`FilterStats`) are updated only for objects the fast path kept, so a fallback never
counts an object twice.
"""

from __future__ import annotations

import keyword
import operator
import threading
from collections.abc import Callable
from typing import Any, Literal, Union

import msgspec
import orjson
from msgspec import UNSET

from ._coarsen import COARSENERS
from ._key import pseudonymizer
from ._schema import FieldRule, Obj, Treatment
from ._stats import FilterStats

_Scalar = Union[str, int, float, bool, None]  # noqa: UP007 (msgspec needs a runtime Union)
_KEEP: Any = Union[str, int, float, bool, None, list[_Scalar]]  # noqa: UP007
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


class Unsupported(Exception):
    """The policy has a rule the fast path does not express: use the generic filter."""


class _Pseudonym(str):
    """Base of the per-kind marker types that route a field through the decode hook."""


class _Dropped:
    """The value of every dropped field: the field's default, so never serialized."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DROPPED"


DROPPED = _Dropped()


class _Guarded:
    """A scalar a private-context test reads (one subclass per test and field, naming
    them), checked by the decode hook; of the field's private subclass when it opens a
    private context."""

    __slots__ = ("value",)
    key = ""

    def __init__(self, value: Any) -> None:
        self.value = value

    @staticmethod
    def test(obj: dict[str, Any]) -> bool:
        return False


class _Coarse:
    """A coarsened value (one subclass per coarsening, naming it), made by the decode hook."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_GUARD_TYPES: dict[tuple[Callable[[dict[str, Any]], bool], str], type[_Guarded]] = {}


def _guarded_type(test: Callable[[dict[str, Any]], bool], key: str) -> type[_Guarded]:
    with _TYPES_LOCK:
        t = _GUARD_TYPES.get((test, key))
        if t is None:
            attrs = {"__slots__": (), "key": key, "test": staticmethod(test)}
            t = _GUARD_TYPES[(test, key)] = type(f"Guarded_{key}", (_Guarded,), attrs)
            _PRIVATE_TYPES[t] = type(f"Private_{key}", (t,), {"__slots__": ()})
        return t


_PRIVATE_TYPES: dict[type[_Guarded], type[_Guarded]] = {}
"""Per guarded type, the subclass of the values that open a private context."""


_TYPES_LOCK = threading.Lock()
"""The marker types are registries shared by every thread's filter: a type made twice
(two fetch threads compiling at once) would be one the other's hook does not know."""
_PSEUDONYM_TYPES: dict[str, type[_Pseudonym]] = {}


def _pseudonym_type(kind: str) -> type[_Pseudonym]:
    with _TYPES_LOCK:
        t = _PSEUDONYM_TYPES.get(kind)
        if t is None:
            t = _PSEUDONYM_TYPES[kind] = type(f"Pseudonym_{kind}", (_Pseudonym,), {})
        return t


_COARSE_TYPES: dict[str, type[_Coarse]] = {}


def _coarse_type(how: str) -> type[_Coarse]:
    with _TYPES_LOCK:
        t = _COARSE_TYPES.get(how)
        if t is None:
            t = _COARSE_TYPES[how] = type(f"Coarse_{how}", (_Coarse,), {"__slots__": ()})
        return t


def _guard(kept: frozenset[str]) -> Any:
    """A scalar the item filter keeps for sure: any non-string, or one of the values the
    policy keeps (``Obj.skip_item_kept``), matched in C. Anything else (an unknown value,
    lower case, spaces, a skipped value) fails the decode and goes to the tolerant decode,
    which decides per value. A regex guard cost ~3,400 instructions a value (10 % of the
    privacy stage); this is a lookup."""
    if not kept:
        return Union[int, float, bool, None]  # noqa: UP007
    return Union[Literal[tuple(sorted(kept))], int, float, bool, None]  # noqa: UP007


_SKIP_TYPES: dict[frozenset[str], type[_Guarded]] = {}
_SKIPPED: dict[type[_Guarded], type[_Guarded]] = {}
"""Per skip guard type, the subclass of the values whose array item the policy removes."""
_SKIPPED_VALUES: set[type[_Guarded]] = set()


def _skip_type(values: frozenset[str]) -> type[_Guarded]:
    """The hook-checked variant of :func:`_guard`: any scalar decodes; an item to remove is
    marked (``_SKIPPED``) and removed after the decode, by :func:`_prune`."""
    with _TYPES_LOCK:
        t = _SKIP_TYPES.get(values)
        if t is None:
            n = len(_SKIP_TYPES)
            t = _SKIP_TYPES[values] = type(f"SkipGuard{n}", (_Guarded,), {"__slots__": ()})
            _SKIPPED[t] = type(f"Skipped{n}", (t,), {"__slots__": ()})
            _SKIPPED_VALUES.add(_SKIPPED[t])
        return t


PruneTree = dict[str, tuple["PruneTree", str]]
"""Where arrays with removable items are: attr → (the tree below, the items' skip attr or
"" when the array itself has no removable items)."""


def _optional(t: Any) -> Any:
    return t | None


def _list_of(t: Any) -> Any:
    return list.__class_getitem__(t)


def _field_name(name: str) -> str:
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"f_{name}"


def _struct(
    node: Obj,
    name: str,
    *,
    tolerant: bool,
    guarded: list[tuple[tuple[str, ...], type[_Guarded]]],
    path: tuple[str, ...] = (),
    in_list: bool = False,
    private: bool = False,
) -> tuple[type, PruneTree]:
    """The msgspec type of ``node`` under the policy with no privacy passes, in a public
    context or (``private``) a context private for every object, and where its removable
    array items are. ``guarded`` collects the path and type of every field a
    private-context test reads: the object at ``path`` must be reachable without crossing
    an array, so a getter finds the marked value after the decode.

    Not ``tolerant``, a removable or unlisted item fails the decode (:func:`_guard`: no
    Python per value). ``tolerant``, the hook marks it and :func:`_prune` removes it: for
    pages where such items are common (``STATE_OF_CHARGE`` dimensions).
    """
    skip_key = node.skip_item_key if node.skip_item_if is not None else ""
    if (
        skip_key
        and tolerant
        and not all(
            isinstance(c, FieldRule) and c.treatment is Treatment.KEEP for c in node.fields.values()
        )
    ):  # the hook would count what the generic filter never visits in a removed item
        raise Unsupported(f"{name}: removable items with treated fields")
    test = None if private else node.private_if
    keys: tuple[str, ...] = ()
    if test is not None and node.private_always:
        test, private = None, True  # private whatever the object says: no test to guard
    if test is not None:
        if not node.private_if_keys or in_list:
            raise Unsupported(f"{name}: a private context in an array, or undeclared")
        if test({}):  # private by default (an undeclared 2.1.1 location): no key tells it
            raise Unsupported(f"{name}: a private context unless declared otherwise")
        keys = node.private_if_keys
    fields: list[tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    prune: PruneTree = {}
    for key, child in node.fields.items():
        attr = _field_name(key)
        if attr != key:
            rename[attr] = key
        typ: Any
        default: Any = UNSET
        t = child.private if private and child.private is not None else child.treatment
        if isinstance(child, FieldRule):
            if t is Treatment.KEEP:
                if test is not None and key in keys:
                    gt = _guarded_type(test, key)
                    guarded.append(((*path, attr), gt))
                    typ = _optional(gt)
                elif key == skip_key:
                    typ = (
                        _optional(_skip_type(node.skip_item_values))
                        if tolerant
                        else _guard(node.skip_item_kept)
                    )
                else:
                    typ = _KEEP
            elif t is Treatment.DROP:
                typ, default = _Dropped, DROPPED
            elif t is Treatment.PSEUDONYMIZE and child.kind is not None:
                typ = _optional(_pseudonym_type(child.kind))
            elif t is Treatment.COARSEN and child.coarsen in COARSENERS:
                typ = _optional(_coarse_type(child.coarsen))
            else:
                raise Unsupported(f"{name}.{key}: {t}")
        elif t is Treatment.DROP:
            typ, default = _Dropped, DROPPED
        else:
            sub, below = _struct(
                child,
                f"{name}_{key}",
                tolerant=tolerant,
                guarded=guarded,
                path=(*path, attr),
                in_list=in_list or child.many,
                private=private,
            )
            item = _optional(sub)
            typ = _optional(_list_of(item)) if child.many else item
            child_skip = child.skip_item_key if child.skip_item_if is not None else ""
            if below or (child_skip and tolerant):
                prune[attr] = (below, _field_name(child_skip) if tolerant and child_skip else "")
        fields.append((attr, typ, default))
    struct = msgspec.defstruct(
        name,
        fields,
        forbid_unknown_fields=True,
        omit_defaults=True,
        rename=rename or None,
        gc=False,
        module=__name__,
    )
    return struct, prune


def _path_getter(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """``o.a.b…`` along ``path``; None where a link is null or absent."""
    if len(path) == 1:
        return operator.attrgetter(path[0])

    def get(o: Any) -> Any:
        for attr in path:
            o = getattr(o, attr, None)  # None and UNSET have no fields
            if o is None:
                return None
        return o

    return get


def _prune(tree: PruneTree, o: Any) -> int:
    """Remove the marked items of the arrays under ``o``; how many were removed."""
    n = 0
    for attr, (below, skip_attr) in tree.items():
        v = getattr(o, attr)
        if v is None or v is UNSET:
            continue
        if v.__class__ is not list:
            n += _prune(below, v)
            continue
        if skip_attr:
            get = operator.attrgetter(skip_attr)
            kept = [x for x in v if x is None or get(x).__class__ not in _SKIPPED_VALUES]
            if len(kept) != len(v):
                n += len(v) - len(kept)
                setattr(o, attr, kept)
                v = kept
        if below:
            for x in v:
                if x is not None:
                    n += _prune(below, x)
    return n


def _encode_hook(v: Any) -> Any:
    if isinstance(v, _Pseudonym):
        return str(v)
    if isinstance(v, _Guarded | _Coarse):
        return v.value
    raise TypeError(f"cannot serialize {type(v).__name__}")


_MEMO_SIZE = 4096  # recent pseudonyms per filter; _pseudonym's cache holds more

CHUNK = 64
"""Objects decoded, serialized and freed together. A page decoded whole (1,000 sessions are
~40,000 Python objects, a few MB) outgrows the CPU caches: each allocation then reuses a
block evicted since, and serializing reads them back from memory. In slices the blocks
freed by one slice serve the next while still cached: a third less time a session on
distinct pages of a 1M-session world (``bench_stages --world``, docs/benchmarks.md)."""


class FastPageFilter:
    """Filter a page (the JSON array of an OCPI response's ``data``) into JSON texts.

    Not thread-safe: one per thread, like :class:`ObjectFilter`, whose ``stats`` it
    updates and whose generic filter it falls back to.
    """

    def __init__(
        self,
        root: Obj,
        name: str,
        key: bytes,
        stats: FilterStats,
        generic: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        guarded: list[tuple[tuple[str, ...], type[_Guarded]]] = []
        strict, _ = _struct(root, name, tolerant=False, guarded=guarded)
        tolerant: type | None
        try:
            tolerant, self._prune_tree = _struct(root, f"{name}_t", tolerant=True, guarded=[])
        except Unsupported:
            tolerant, self._prune_tree = None, {}
        self._getters = [_path_getter(p) for p, _ in guarded]
        self._privates = frozenset(_PRIVATE_TYPES[t] for _, t in guarded)
        guards = frozenset(t for _, t in guarded)
        self._stats = stats
        self._generic = generic
        self._pseudonyms = self._dropped = self._private = self._skips = self._coarsened = 0
        with _TYPES_LOCK:
            kinds = list(_PSEUDONYM_TYPES.items())
            skip_types = list(_SKIP_TYPES.items())
            coarse_types = list(_COARSE_TYPES.items())
        converters = {t: pseudonymizer(key, kind) for kind, t in kinds}
        coarseners = {t: COARSENERS[how] for how, t in coarse_types}
        memo: dict[tuple[type, str], _Pseudonym] = {}
        skips = {t: values for values, t in skip_types}

        def hook(t: type, v: Any) -> Any:
            if t is _Dropped:
                self._dropped += 1
                return DROPPED
            if t in guards or t in skips:
                if v.__class__ in (dict, list):
                    raise ValueError("not a scalar")  # the generic filter decides
                if t in skips:  # the generic filter's test: stripped, upper-cased
                    if v.__class__ is str and v.strip().upper() in skips[t]:
                        self._skips += 1
                        return _SKIPPED[t](v)
                    return t(v)
                if t.test({t.key: v}):
                    self._private += 1
                    return _PRIVATE_TYPES[t](v)
                return t(v)
            convert = converters.get(t)
            if convert is None:
                coarsen = coarseners.get(t)
                if coarsen is None:
                    raise TypeError(f"no decode rule for {t.__name__}")  # a failed decode
                self._coarsened += 1
                return t(coarsen(v))
            self._pseudonyms += 1
            if v.__class__ is not str:
                return t(convert(v))
            p = memo.get((t, v))
            if p is None:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                p = memo[(t, v)] = t(convert(v))
            return p

        def page(struct: type | None) -> msgspec.json.Decoder[Any] | None:
            if struct is None:
                return None
            return msgspec.json.Decoder(_list_of(struct), dec_hook=hook)

        # strict first (no Python per removable-item value); tolerant when a page has some
        self._pages = [d for d in (page(strict), page(tolerant)) if d is not None]
        self._one: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            tolerant or strict, dec_hook=hook
        )
        self._encode = msgspec.json.Encoder(enc_hook=_encode_hook).encode

    def _reset(self) -> None:
        self._pseudonyms = self._dropped = self._private = self._skips = self._coarsened = 0

    def _private_indexes(self, objs: list[Any]) -> list[int]:
        """Where the objects holding a private guarded value are (C-level getters, one
        comparison per object: a private object is rare, every CDR page may have one)."""
        found: set[int] = set()
        privates = self._privates
        for get in self._getters:
            found.update(i for i, v in enumerate(map(get, objs)) if v.__class__ in privates)
        return sorted(found)

    def __call__(self, data: Any) -> tuple[list[bytes], list[Any]]:
        """``(docs, others)``: the filtered JSON text of every object in order, and the
        items that are not objects (for the quarantine). Filtered in slices of
        :data:`CHUNK` items, each as a page of its own."""
        items = _RAW_LIST.decode(data)  # the page's one scan: slices and fallbacks use it
        if len(items) <= CHUNK:
            return self._slice(data, items)
        docs: list[bytes] = []
        others: list[Any] = []
        for i in range(0, len(items), CHUNK):
            part = items[i : i + CHUNK]
            d, o = self._slice(b"[" + b",".join(part) + b"]", part)
            docs += d
            others += o
        return docs, others

    def _slice(self, data: Any, items: list[msgspec.Raw]) -> tuple[list[bytes], list[Any]]:
        """Filter ``data``, the JSON array of ``items``."""
        for decoder in self._pages:
            self._reset()
            try:
                objs = decoder.decode(data)
            except (msgspec.ValidationError, msgspec.DecodeError):
                continue
            return self._finish(items, objs), []
        return self._one_by_one(items)

    def _finish(self, items: list[msgspec.Raw], objs: list[Any]) -> list[bytes]:
        """Serialize a decoded page. Objects that open a private context take the generic
        filter; decoding them again alone tells what the page decode counted for them, to
        take it back. Removable items marked by the hook are removed (and counted)."""
        pseudonyms, dropped, skips = self._pseudonyms, self._dropped, self._skips
        coarsened = self._coarsened
        private = self._private_indexes(objs) if self._private else []
        for i in private:
            self._reset()
            self._one.decode(items[i])
            pseudonyms -= self._pseudonyms
            dropped -= self._dropped
            coarsened -= self._coarsened
        if skips:
            skip = set(private)
            for i, o in enumerate(objs):
                if i not in skip:
                    dropped += _prune(self._prune_tree, o)
        docs = list(map(self._encode, objs))
        for i in private:
            docs[i] = orjson.dumps(self._generic(orjson.loads(memoryview(items[i]))))
        stats = self._stats
        stats.objects += len(objs)
        stats.pseudonymized += pseudonyms
        stats.dropped += dropped
        stats.coarsened += coarsened
        return docs

    def _one_by_one(self, items: list[msgspec.Raw]) -> tuple[list[bytes], list[Any]]:
        docs: list[bytes] = []
        others: list[Any] = []
        stats = self._stats
        for item in items:
            self._reset()
            try:
                o = self._one.decode(item)
            except (msgspec.ValidationError, msgspec.DecodeError):
                o = None
            if o is not None and not self._private:
                dropped = self._dropped + (_prune(self._prune_tree, o) if self._skips else 0)
                stats.objects += 1
                stats.pseudonymized += self._pseudonyms
                stats.dropped += dropped
                stats.coarsened += self._coarsened
                docs.append(self._encode(o))
                continue
            try:
                value = orjson.loads(memoryview(item))
            except orjson.JSONDecodeError:  # JSON msgspec reads and orjson not (huge ints)
                stats.not_objects += 1
                others.append(bytes(item))
                continue
            if value.__class__ is dict:
                stats.objects += 1
                docs.append(orjson.dumps(self._generic(value)))
            else:
                stats.not_objects += 1
                others.append(value)
        return docs, others
