"""What a sync reports: per module and per source, to the CLI, the run log and callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ocpiwh.ocpi import format_ocpi_datetime


@dataclass
class ModuleResult:
    module: str
    version: str = ""
    window_from: datetime | None = None
    window_to: datetime | None = None
    fetched: int = 0
    written: int = 0
    new: int = 0
    updated: int = 0
    quarantined: int = 0
    removed: int = 0
    pages: int = 0
    bytes: int = 0
    unknown_fields: int = 0
    elapsed: float = 0.0
    error: str | None = None
    interrupted: bool = False
    skipped: str | None = None
    requests: int = 0
    """List requests of the run (pages, probes, refetches)."""
    sub_windows: int = 0
    """(Sub-)windows committed by the run."""
    estimate: int | None = None
    """Objects the platform counted in the run's window when it began."""
    unknown_field_paths: dict[str, int] = field(default_factory=dict)
    """Unknown fields the privacy stage dropped, by path, with counts."""


@dataclass
class SourceResult:
    source: str
    version: str
    platform_now: datetime | None
    modules: list[ModuleResult] = field(default_factory=list)
    retries: int = 0
    throttled: int = 0
    requests: int = 0
    elapsed: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(m.error is None for m in self.modules)


class Progress(Protocol):
    """What a front end (the CLI's live bars, or log lines) hears about a running sync."""

    def module_started(self, source: str, module: str, total: int | None) -> None: ...
    def page_done(self, source: str, module: str, objects: int, total: int | None) -> None: ...
    def module_done(self, source: str, result: ModuleResult) -> None: ...


class NullProgress:
    def module_started(self, source: str, module: str, total: int | None) -> None:
        pass

    def page_done(self, source: str, module: str, objects: int, total: int | None) -> None:
        pass

    def module_done(self, source: str, result: ModuleResult) -> None:
        pass


def run_record(result: SourceResult, started: datetime, privacy: str) -> dict[str, Any]:
    return {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "ok": result.ok,
        "interrupted": any(m.interrupted for m in result.modules),
        "error": result.error,
        "version": result.version,
        "platform_now": result.platform_now.isoformat() if result.platform_now else None,
        "privacy": privacy,
        "retries": result.retries,
        "throttled": result.throttled,
        "requests": result.requests,
        "elapsed": round(result.elapsed, 3),
        "modules": [
            {
                "module": m.module,
                "fetched": m.fetched,
                "written": m.written,
                "new": m.new,
                "updated": m.updated,
                "quarantined": m.quarantined,
                "removed": m.removed,
                "pages": m.pages,
                "requests": m.requests,
                "sub_windows": m.sub_windows,
                "unknown_fields": m.unknown_fields,
                "unknown_field_paths": m.unknown_field_paths,
                "window_from": iso(m.window_from),
                "window_to": iso(m.window_to),
                "error": m.error,
                "interrupted": m.interrupted,
                "skipped": m.skipped,
            }
            for m in result.modules
        ],
    }


def iso(dt: datetime | None) -> str | None:
    return format_ocpi_datetime(dt) if dt else None
