"""``ocpiwh.toml`` (sources, privacy passes; no secrets) and the credentials file (0600).

The warehouse folder may be shared, so tokens live in the per-user secrets folder
(:meth:`ocpiwh.paths.Warehouse.secrets_dir`), keyed by the warehouse id.
"""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from ocpiwh.errors import UsageError
from ocpiwh.paths import Warehouse, atomic_write_bytes

SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PARTY = re.compile(r"^([A-Za-z]{2})[*-]?([A-Za-z0-9]{3})$")


def parse_party(text: str) -> tuple[str, str]:
    """``FR*ABC`` / ``FR-ABC`` / ``FRABC`` → ("FR", "ABC")."""
    m = PARTY.match(text.strip())
    if not m:
        raise UsageError(f"party {text!r} is not of the form CC*PPP (e.g. FR*ABC)")
    return m.group(1).upper(), m.group(2).upper()


def format_party(party: tuple[str, str] | None) -> str | None:
    return f"{party[0]}*{party[1]}" if party else None


@dataclass
class Endpoint:
    identifier: str
    role: str | None
    url: str


@dataclass
class Source:
    """One OCPI platform a warehouse mirrors."""

    name: str
    url: str
    version: str
    details_url: str
    endpoints: list[Endpoint]
    auth_mode: str = "auto"
    party: tuple[str, str] | None = None
    platform_party: tuple[str, str] | None = None

    def sender_url(self, module: str) -> str | None:
        """The module's Sender interface (2.2+: role SENDER; 2.1.1 has no roles)."""
        for ep in self.endpoints:
            if ep.identifier == module and ep.role in (None, "SENDER"):
                return ep.url
        return None

    def sender_modules(self) -> list[str]:
        from ocpiwh.paths import MODULES

        return [m for m in MODULES if self.sender_url(m)]

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "version": self.version,
            "details_url": self.details_url,
            "auth_mode": self.auth_mode,
            "endpoints": [
                {k: v for k, v in vars(ep).items() if v is not None} for ep in self.endpoints
            ],
        }
        if self.party:
            data["party"] = format_party(self.party)
        if self.platform_party:
            data["platform_party"] = format_party(self.platform_party)
        return data

    @classmethod
    def from_toml(cls, name: str, data: dict[str, Any]) -> Source:
        try:
            return cls(
                name=name,
                url=str(data["url"]),
                version=str(data["version"]),
                details_url=str(data["details_url"]),
                endpoints=[
                    Endpoint(str(e["identifier"]), e.get("role"), str(e["url"]))
                    for e in data.get("endpoints", [])
                ],
                auth_mode=str(data.get("auth_mode", "auto")),
                party=parse_party(data["party"]) if data.get("party") else None,
                platform_party=(
                    parse_party(data["platform_party"]) if data.get("platform_party") else None
                ),
            )
        except (KeyError, TypeError) as exc:
            raise UsageError(
                f"source {name!r} in ocpiwh.toml is incomplete ({exc}); run `ocpiwh login` again"
            ) from None


@dataclass
class Config:
    """The parsed ``ocpiwh.toml`` of one warehouse."""

    warehouse: Warehouse
    warehouse_id: str
    sources: dict[str, Source] = field(default_factory=dict)
    privacy_passes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """Sections other parts own (``[irve]``, ``[sync]`` …), kept verbatim on save."""

    @classmethod
    def load(cls, root: Path, *, create: bool = False) -> Config:
        wh = Warehouse(root)
        path = wh.config_file
        if not path.exists():
            if not create:
                raise UsageError(
                    f"no warehouse at {root} (no ocpiwh.toml)",
                    hint="run `ocpiwh login URL` first, or pass --warehouse DIR",
                )
            return cls(warehouse=wh, warehouse_id=uuid.uuid4().hex)
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path} is not valid TOML: {exc}") from None
        sources = {
            name: Source.from_toml(name, body) for name, body in data.get("sources", {}).items()
        }
        privacy = data.get("privacy", {})
        passes = privacy.get("pass", [])
        if not isinstance(passes, list) or not all(isinstance(p, str) for p in passes):
            raise UsageError(f"{path}: [privacy] pass must be a list of field paths")
        extra = {k: v for k, v in data.items() if k not in ("warehouse_id", "sources", "privacy")}
        return cls(
            warehouse=wh,
            warehouse_id=str(data.get("warehouse_id") or uuid.uuid4().hex),
            sources=sources,
            privacy_passes=list(passes),
            extra=extra,
        )

    def save(self) -> None:
        data: dict[str, Any] = {"warehouse_id": self.warehouse_id}
        data["privacy"] = {"pass": self.privacy_passes}
        data["sources"] = {name: src.to_toml() for name, src in sorted(self.sources.items())}
        data.update(self.extra)
        header = b"# ocpiwh warehouse configuration. No secrets here: tokens live in the user's\n"
        header += b"# private config folder (see `ocpiwh status`).\n"
        atomic_write_bytes(self.warehouse.config_file, header + tomli_w.dumps(data).encode())

    def source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise UsageError(
                f"unknown source {name!r} (known: {known})", hint="run `ocpiwh login URL --source NAME`"
            ) from None

    def selected_sources(self, name: str | None) -> list[Source]:
        if name:
            return [self.source(name)]
        if not self.sources:
            raise UsageError("this warehouse has no source yet", hint="run `ocpiwh login URL` first")
        return [self.sources[n] for n in sorted(self.sources)]

    # -- secrets -----------------------------------------------------------------------------

    @property
    def secrets_dir(self) -> Path:
        return self.warehouse.secrets_dir(self.warehouse_id)

    @property
    def credentials_file(self) -> Path:
        return self.secrets_dir / "credentials.toml"

    @property
    def pseudonym_key_file(self) -> Path:
        return self.secrets_dir / "pseudonym.key"

    def store_token(self, source: str, token: str) -> None:
        """Persist a token in the 0600 credentials file (never in ocpiwh.toml)."""
        creds = self._read_credentials()
        creds.setdefault("sources", {})[source] = {"token": token}
        atomic_write_bytes(self.credentials_file, tomli_w.dumps(creds).encode(), mode=0o600)

    def forget_token(self, source: str) -> None:
        creds = self._read_credentials()
        if creds.get("sources", {}).pop(source, None) is not None:
            atomic_write_bytes(self.credentials_file, tomli_w.dumps(creds).encode(), mode=0o600)

    def token(self, source: str) -> str:
        """``OCPIWH_TOKEN`` wins (so CI and cron can keep tokens out of files), else the file."""
        env = os.environ.get("OCPIWH_TOKEN")
        if env:
            return env
        token = self._read_credentials().get("sources", {}).get(source, {}).get("token")
        if not token:
            raise UsageError(
                f"no token stored for source {source!r}",
                hint="set OCPIWH_TOKEN or run `ocpiwh login URL --source NAME` again",
            )
        return str(token)

    def has_stored_token(self, source: str) -> bool:
        return bool(self._read_credentials().get("sources", {}).get(source, {}).get("token"))

    def _read_credentials(self) -> dict[str, Any]:
        path = self.credentials_file
        if not path.exists():
            return {}
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        try:
            return tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError:
            raise UsageError(
                f"credentials file {path} is corrupt", hint="delete it and run `ocpiwh login` again"
            ) from None
