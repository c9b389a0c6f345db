"""The privacy stage for whole pages, in one C pass: parse, filter and serialize with msgspec.

The generic filter (:mod:`._engine`) walks parsed dicts in Python: with the JSON parse and
the serialization it was ~70 % of a sync's GIL time. Here the policy becomes msgspec
``Struct`` types: only the fields the policy keeps or pseudonymizes are declared, so msgspec
builds nothing else, and serializes what it built. Pseudonyms are computed by a decode hook.

The fast path only takes objects it can prove the generic filter would treat the same way;
anything else goes to the generic filter, so the output is the same whichever path an
object took (the key order may differ, which JSON does not see):

* an unknown field (``forbid_unknown_fields``), a value of an unexpected shape (an object
  where a scalar is due, a lone object where an array is due, nested lists...), or an array
  item the policy removes (the guard pattern rejects any value it is not sure to keep)
  fails the decode;
* an object that opens a private context (``Obj.private_if``, tested by the decode hook
  on each of ``Obj.private_if_keys``) is filtered again by the generic filter;
* a profile with privacy passes for the module, or a policy the types cannot express
  (coarsening outside a private context, a nested private context), has no fast path.

Dropped fields are decoded to a sentinel equal to their default, so the encoder leaves them
out (``omit_defaults``) without a Python pass over the objects. The counters
(:class:`FilterStats`) are updated only for objects the fast path kept, so a fallback never
counts an object twice.
"""

from __future__ import annotations

import keyword
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Union

import msgspec
import orjson
from msgspec import UNSET

from ._key import pseudonymizer
from ._schema import FieldRule, Obj, Treatment

if TYPE_CHECKING:
    from ._engine import FilterStats

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
    """A scalar a private-context test reads (one subclass per field, naming it in
    ``key``), checked by the decode hook; of the field's private subclass when it opens a
    private context."""

    __slots__ = ("value",)
    key = ""

    def __init__(self, value: Any) -> None:
        self.value = value


_GUARD_TYPES: dict[str, type[_Guarded]] = {}


def _guarded_type(key: str) -> type[_Guarded]:
    t = _GUARD_TYPES.get(key)
    if t is None:
        t = _GUARD_TYPES[key] = type(f"Guarded_{key}", (_Guarded,), {"__slots__": (), "key": key})
        _PRIVATE_TYPES[t] = type(f"Private_{key}", (t,), {"__slots__": ()})
    return t


_PRIVATE_TYPES: dict[type[_Guarded], type[_Guarded]] = {}
"""Per guarded type, the subclass of the values that open a private context."""


_PSEUDONYM_TYPES: dict[str, type[_Pseudonym]] = {}


def _pseudonym_type(kind: str) -> type[_Pseudonym]:
    t = _PSEUDONYM_TYPES.get(kind)
    if t is None:
        t = _PSEUDONYM_TYPES[kind] = type(f"Pseudonym_{kind}", (_Pseudonym,), {})
    return t


def _guard(values: frozenset[str]) -> Any:
    """A scalar the item filter keeps for sure: any non-string, or an upper-case word that
    is not one of ``values``. Anything else (lower case, spaces, a skipped value) fails the
    decode and goes to the generic filter, which decides."""
    banned = "|".join(re.escape(v) for v in sorted(values))
    pattern = f"^(?!(?:{banned})$)[A-Z0-9_]*$"
    return Union[Annotated[str, msgspec.Meta(pattern=pattern)], int, float, bool, None]  # noqa: UP007


def _optional(t: Any) -> Any:
    return t | None


def _list_of(t: Any) -> Any:
    return list.__class_getitem__(t)


def _field_name(name: str) -> str:
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"f_{name}"


def _struct(node: Obj, name: str, *, root: bool) -> type:
    """The msgspec type of ``node`` under the public-context policy (no privacy passes)."""
    skip_key = node.skip_item_key if node.skip_item_if is not None else ""
    guarded = node.private_if_keys if root else ()
    if node.private_if is not None and not (root and guarded):
        raise Unsupported(f"{name}: a nested or undeclared private context")
    fields: list[tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for key, child in node.fields.items():
        attr = _field_name(key)
        if attr != key:
            rename[attr] = key
        typ: Any
        default: Any = UNSET
        if isinstance(child, FieldRule):
            t = child.treatment
            if t is Treatment.KEEP:
                if key in guarded:
                    typ = _optional(_guarded_type(key))
                elif key == skip_key:
                    typ = _guard(node.skip_item_values)
                else:
                    typ = _KEEP
            elif t is Treatment.DROP:
                typ, default = _Dropped, DROPPED
            elif t is Treatment.PSEUDONYMIZE and child.kind is not None:
                typ = _optional(_pseudonym_type(child.kind))
            else:
                raise Unsupported(f"{name}.{key}: {t}")
        elif child.treatment is Treatment.DROP:
            typ, default = _Dropped, DROPPED
        else:
            item = _optional(_struct(child, f"{name}_{key}", root=False))
            typ = _optional(_list_of(item)) if child.many else item
        fields.append((attr, typ, default))
    return msgspec.defstruct(
        name,
        fields,
        forbid_unknown_fields=True,
        omit_defaults=True,
        rename=rename or None,
        gc=False,
        module=__name__,
    )


def _encode_hook(v: Any) -> Any:
    if isinstance(v, _Pseudonym):
        return str(v)
    if isinstance(v, _Guarded):
        return v.value
    raise NotImplementedError(f"cannot serialize {type(v).__name__}")


_MEMO_SIZE = 4096  # recent pseudonyms per filter; _pseudonym's cache holds more


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
        struct = _struct(root, name, root=True)
        guarded = [_field_name(k) for k in root.private_if_keys if k in root.fields]
        self._getters = [operator.attrgetter(k) for k in guarded]
        self._privates = frozenset(_PRIVATE_TYPES[_guarded_type(k)] for k in root.private_if_keys)
        self._stats = stats
        self._generic = generic
        self._pseudonyms = 0
        self._dropped = 0
        self._private = 0
        private_if = root.private_if
        converters = {t: pseudonymizer(key, kind) for kind, t in _PSEUDONYM_TYPES.items()}
        memo: dict[tuple[type, str], _Pseudonym] = {}
        guards = {_guarded_type(k): k for k in root.private_if_keys}

        def hook(t: type, v: Any) -> Any:
            if t is _Dropped:
                self._dropped += 1
                return DROPPED
            if t in guards:
                if v.__class__ in (dict, list):
                    raise ValueError("not a scalar")  # the generic filter decides
                assert private_if is not None
                if private_if({guards[t]: v}):
                    self._private += 1
                    return _PRIVATE_TYPES[t](v)
                return t(v)
            convert = converters.get(t)
            if convert is None:
                raise NotImplementedError(t)
            self._pseudonyms += 1
            if v.__class__ is not str:
                return t(convert(v))
            p = memo.get((t, v))
            if p is None:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                p = memo[(t, v)] = t(convert(v))
            return p

        self._page: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            _list_of(struct), dec_hook=hook
        )
        self._one: msgspec.json.Decoder[Any] = msgspec.json.Decoder(struct, dec_hook=hook)
        self._encode = msgspec.json.Encoder(enc_hook=_encode_hook).encode

    def _reset(self) -> None:
        self._pseudonyms = self._dropped = self._private = 0

    def _commit(self, objects: int) -> None:
        stats = self._stats
        stats.objects += objects
        stats.pseudonymized += self._pseudonyms
        stats.dropped += self._dropped

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
        items that are not objects (for the quarantine)."""
        self._reset()
        try:
            objs = self._page.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return self._one_by_one(data)
        if self._private:
            return self._with_private(data, objs), []
        self._commit(len(objs))
        return list(map(self._encode, objs)), []

    def _with_private(self, data: Any, objs: list[Any]) -> list[bytes]:
        """Objects that open a private context take the generic filter; decoding them again
        alone tells what the page decode counted for them, to take it back."""
        pseudonyms, dropped = self._pseudonyms, self._dropped
        items = _RAW_LIST.decode(data)
        docs = list(map(self._encode, objs))
        for i in self._private_indexes(objs):
            self._reset()
            self._one.decode(items[i])
            pseudonyms -= self._pseudonyms
            dropped -= self._dropped
            docs[i] = orjson.dumps(self._generic(orjson.loads(memoryview(items[i]))))
        self._pseudonyms, self._dropped = pseudonyms, dropped
        self._commit(len(objs))
        return docs

    def _one_by_one(self, data: Any) -> tuple[list[bytes], list[Any]]:
        docs: list[bytes] = []
        others: list[Any] = []
        for item in _RAW_LIST.decode(data):
            self._reset()
            try:
                o = self._one.decode(item)
            except (msgspec.ValidationError, msgspec.DecodeError):
                o = None
            if o is not None and self._private:
                o = None
            if o is not None:
                self._commit(1)
                docs.append(self._encode(o))
                continue
            try:
                value = orjson.loads(memoryview(item))
            except orjson.JSONDecodeError:  # JSON msgspec reads and orjson not (huge ints)
                self._stats.not_objects += 1
                others.append(bytes(item))
                continue
            if value.__class__ is dict:
                self._stats.objects += 1
                docs.append(orjson.dumps(self._generic(value)))
            else:
                self._stats.not_objects += 1
                others.append(value)
        return docs, others
