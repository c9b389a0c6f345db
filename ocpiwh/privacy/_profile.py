"""The privacy profile: the default policy plus opt-in pass-through paths."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ocpiwh.errors import UsageError
from ocpiwh.paths import MODULES

from ._schema import NO_SITES, VERSIONS, FieldRule, Obj, Sites, schema

POLICY_VERSION = 2
"""Bump when the default policy changes: it is part of :attr:`PrivacyProfile.fingerprint`.
2: OCPI 2.1.1 locations are private unless declared public (:class:`Sites`)."""

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")

Resolution = Literal["known", "unknown"] | None


def parse_path(raw: str) -> tuple[str | None, tuple[str, ...]]:
    """``"sessions:cdr_token.uid"`` → ``("sessions", ("cdr_token", "uid"))``; bare → module None.

    ``[]`` / ``[*]`` array markers are accepted and ignored (arrays are transparent).
    """
    if not isinstance(raw, str):
        raise UsageError(f"privacy path must be a string, got {raw!r}")
    text = raw.strip()
    module: str | None = None
    if ":" in text:
        mod, _, text = text.partition(":")
        module = mod.strip().lower()
        if module not in MODULES:
            raise UsageError(
                f"unknown module {module!r} in privacy path {raw!r}",
                hint="modules: " + ", ".join(MODULES),
            )
    text = text.replace("[*]", "").replace("[]", "")
    segs = tuple(s.strip() for s in text.split("."))
    if not text.strip() or any(not s for s in segs):
        raise UsageError(f"empty or malformed privacy path {raw!r}", hint="e.g. cdr_token.uid")
    return module, segs


def resolve(root: Obj, segs: tuple[str, ...], *, strict: bool) -> Resolution:
    """Does ``segs`` name a known field of ``root`` ("known"), a plausible unknown field
    (the last segment is a new name in a known object: "unknown"), or nothing (None)?

    ``strict`` refuses unknown names that look like typos of a known field.
    """
    cur: Obj = root
    last = len(segs) - 1
    for i, seg in enumerate(segs):
        child = cur.fields.get(seg)
        if child is None:
            if i != last or not _NAME_RE.match(seg):
                return None
            if strict and _close_match(seg, cur):
                return None
            return "unknown"
        if isinstance(child, FieldRule):
            return "known" if i == last else None
        cur = child
    return "known"


def _close_match(seg: str, obj: Obj) -> str | None:
    names = list(obj.fields)
    lower = {n.lower(): n for n in names}
    if seg.lower() in lower:
        return lower[seg.lower()]
    hits = difflib.get_close_matches(seg, names, n=1, cutoff=0.8)
    return hits[0] if hits else None


def _suggest(segs: tuple[str, ...], modules: Iterable[str]) -> str | None:
    for module in modules:
        for version in VERSIONS:
            cur: Obj = schema(module, version)
            done: list[str] = []
            for seg in segs:
                child = cur.fields.get(seg)
                if child is None:
                    hit = _close_match(seg, cur)
                    if hit is None:
                        break
                    child = cur.fields[hit]
                    seg = hit
                done.append(seg)
                if isinstance(child, FieldRule):
                    break
                cur = child
            if len(done) == len(segs):
                return ".".join(done)
    return None


@dataclass(frozen=True)
class PrivacyProfile:
    """The effective privacy policy: the default plus ``passes`` (opt-in clear-text paths)
    and ``sites`` (which OCPI 2.1.1 locations are declared public).

    A pass is a module-relative dotted path (arrays transparent), optionally module-qualified
    (``sessions:cdr_token.uid``). A bare path applies to every module that has it.
    """

    passes: tuple[str, ...] = ()
    sites: Sites = NO_SITES

    def __post_init__(self) -> None:
        raw = (self.passes,) if isinstance(self.passes, str) else tuple(self.passes)
        normalized: set[str] = set()
        for item in raw:
            module, segs = parse_path(item)
            _validate(item, module, segs)
            normalized.add((f"{module}:" if module else "") + ".".join(segs))
        object.__setattr__(self, "passes", tuple(sorted(normalized)))

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any] | None, cli_passes: Iterable[str] = ()
    ) -> PrivacyProfile:
        """Build from the ``[privacy]`` section of ``ocpiwh.toml`` plus CLI ``--privacy-pass``
        values (union)."""
        passes: list[str] = []
        if section:
            if not isinstance(section, Mapping):
                raise UsageError("[privacy] in ocpiwh.toml must be a table")
            for k in section:
                if k != "pass":
                    raise UsageError(
                        f"unknown key {k!r} in [privacy] of ocpiwh.toml", hint="allowed: pass"
                    )
            value = section.get("pass", [])
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError("[privacy] pass in ocpiwh.toml must be a list of strings")
            passes.extend(value)
        for v in cli_passes:
            # "--privacy-pass a,b" is accepted like ocpi-tool's comma-separated list.
            passes.extend(p for p in v.split(",") if p.strip())
        return cls(passes=tuple(passes))

    def with_passes(self, extra: Iterable[str]) -> PrivacyProfile:
        return PrivacyProfile(passes=(*self.passes, *extra), sites=self.sites)

    def with_sites(self, sites: Sites) -> PrivacyProfile:
        return PrivacyProfile(passes=self.passes, sites=sites)

    @property
    def fingerprint(self) -> str:
        """Short stable id of the effective policy, recorded with every batch."""
        base = f"default-v{POLICY_VERSION}"
        if self.passes:
            digest = hashlib.sha256("\n".join(self.passes).encode()).hexdigest()[:12]
            base = f"{base}+pass-{digest}"
        if self.sites.declared:
            digest = hashlib.sha256(self.sites.digest().encode()).hexdigest()[:12]
            base = f"{base}+sites-{digest}"
        return base

    def passes_for(self, module: str) -> tuple[tuple[str, ...], ...]:
        """The passes that apply to ``module``, as segment tuples."""
        out: list[tuple[str, ...]] = []
        for p in self.passes:
            mod, segs = parse_path(p)
            if mod is None or mod == module:
                out.append(segs)
        return tuple(out)


def _validate(raw: str, module: str | None, segs: tuple[str, ...]) -> None:
    modules = (module,) if module else MODULES
    for m in modules:
        for v in VERSIONS:
            if resolve(schema(m, v), segs, strict=True) is not None:
                return
    where = f"module {module}" if module else "any module"
    show = f"ocpiwh privacy show {module}" if module else "ocpiwh privacy show"
    suggestion = _suggest(segs, modules)
    raise UsageError(
        f"unknown privacy path {'.'.join(segs)!r} for {where}; see `{show}`",
        hint=f"did you mean {suggestion!r}?" if suggestion else None,
    )
