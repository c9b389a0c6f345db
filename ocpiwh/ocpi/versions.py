"""OCPI version numbers: what ocpiwh speaks and how to compare what a platform offers."""

from __future__ import annotations

from collections.abc import Iterable

from ocpiwh.paths import MODULES

#: Versions ocpiwh can read, in preference order (best first).
SUPPORTED_VERSIONS: tuple[str, ...] = ("2.3.0", "2.2.1", "2.1.1")

# Deprecated spellings that are wire-compatible with a supported version (spec §1.2).
_ALIASES = {"2.2": "2.2.1", "2.1": "2.1.1"}

#: Modules that never carry routing headers (configuration modules, spec §3.5).
CONFIGURATION_MODULES = frozenset({"versions", "credentials", "hubclientinfo"})

#: Module identifiers ocpiwh knows; any other identifier in version details is ignored.
KNOWN_MODULES = frozenset(
    {
        "cdrs",
        "chargingprofiles",
        "commands",
        "credentials",
        "hubclientinfo",
        "invoicereconciliation",
        "locations",
        "payments",
        "sessions",
        "tariffs",
        "tokens",
    }
)

#: Data modules a read-only client mirrors from a Sender interface.
DATA_MODULES = MODULES  # the Sender modules ocpiwh mirrors (one list: ocpiwh.paths)


def normalize_version(version: object) -> str | None:
    """Map a platform's version string to a supported version, or None if unsupported.

    ``2.2`` is accepted as 2.2.1-compatible and ``2.1`` as 2.1.1-compatible.
    """
    if not isinstance(version, str):
        return None
    v = version.strip()
    v = _ALIASES.get(v, v)
    return v if v in SUPPORTED_VERSIONS else None


def has_roles(version: str | None) -> bool:
    """True for 2.2 and later: Base64 tokens, endpoint roles, routing headers."""
    return version is not None and version != "2.1.1"


def preference(version: str) -> int:
    """Lower is better; only for supported (normalized) versions."""
    return SUPPORTED_VERSIONS.index(version)


def pick_version(offered: Iterable[str]) -> str | None:
    """The best supported version among ``offered`` (raw strings), or None."""
    best: str | None = None
    for raw in offered:
        v = normalize_version(raw)
        if v is not None and (best is None or preference(v) < preference(best)):
            best = v
    return best
