"""``ocpiwh.toml`` (sources, privacy passes; no secrets) and the credentials file (0600).

The warehouse folder may be shared, so tokens live in the per-user secrets folder
(:func:`ocpiwh.paths.secrets_dir`), keyed by the warehouse id.
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

from ocpiwh import paths
from ocpiwh.errors import UsageError
from ocpiwh.lake import Location, Store, open_store
from ocpiwh.ocpi.discovery import Connection
from ocpiwh.ocpi.discovery import parse_party as ocpi_parse_party
from ocpiwh.paths import atomic_write_bytes

CONFIG_FILE = "ocpiwh.toml"
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def parse_party(text: str) -> tuple[str, str]:
    """``FR*ABC`` / ``FR-ABC`` / ``FRABC`` → ("FR", "ABC"), or a usage error."""
    party = ocpi_parse_party(text)
    if party is None or len(party[1]) != 3:
        raise UsageError(f"party {text!r} is not of the form CC*PPP (e.g. FR*ABC)")
    return party


def format_party(party: tuple[str, str] | None) -> str | None:
    return f"{party[0]}*{party[1]}" if party else None


@dataclass
class Source:
    """One OCPI platform a warehouse mirrors: what login learned, plus our own identity."""

    name: str
    url: str
    """The URL the user gave to ``login`` (versions or version-details URL)."""
    connection: Connection
    party: tuple[str, str] | None = None
    """The identity ocpiwh presents (``OCPI-from-*`` headers of 2.2+)."""

    @property
    def version(self) -> str:
        return self.connection.version

    @property
    def platform_party(self) -> tuple[str, str] | None:
        return self.connection.platform_party

    @property
    def lake_party(self) -> tuple[str, str]:
        """The party the lake files this source's objects under when they carry none
        (OCPI 2.1.1): the platform's, else ``ZZ*ZZZ``."""
        return self.platform_party or ("ZZ", "ZZZ")

    def sender_url(self, module: str) -> str | None:
        return self.connection.sender_url(module)

    def sender_modules(self) -> list[str]:
        return self.connection.sender_modules()

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"url": self.url}
        if self.party:
            data["party"] = format_party(self.party)
        data.update(self.connection.to_dict())
        return data

    @classmethod
    def from_toml(cls, name: str, data: dict[str, Any]) -> Source:
        if not isinstance(data, dict) or "url" not in data:
            raise UsageError(
                f"source {name!r} in ocpiwh.toml is incomplete; run `ocpiwh login` again"
            )
        return cls(
            name=name,
            url=str(data["url"]),
            connection=Connection.from_dict(data),
            party=parse_party(data["party"]) if data.get("party") else None,
        )


@dataclass
class Config:
    """The parsed ``ocpiwh.toml`` of one warehouse."""

    store: Store
    """Where the warehouse lives (a folder or an object store)."""
    warehouse_id: str
    sources: dict[str, Source] = field(default_factory=dict)
    privacy_passes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """Sections other parts own (``[irve]``, ``[sync]`` …), kept verbatim on save."""

    @classmethod
    def load(cls, root: Location | Store, *, create: bool = False) -> Config:
        store = open_store(root)
        raw = store.read(CONFIG_FILE)
        path = store.uri(CONFIG_FILE)
        if raw is None:
            if not create:
                raise UsageError(
                    f"no warehouse at {store} (no ocpiwh.toml)",
                    hint="run `ocpiwh login URL` first, or pass --warehouse DIR",
                )
            return cls(store=store, warehouse_id=uuid.uuid4().hex)
        try:
            data = tomllib.loads(raw.decode())
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
            store=store,
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
        self.store.write(CONFIG_FILE, header + tomli_w.dumps(data).encode())

    def source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise UsageError(
                f"unknown source {name!r} (known: {known})",
                hint="run `ocpiwh login URL --source NAME`",
            ) from None

    def selected_sources(self, name: str | None) -> list[Source]:
        if name:
            return [self.source(name)]
        if not self.sources:
            raise UsageError(
                "this warehouse has no source yet", hint="run `ocpiwh login URL` first"
            )
        return [self.sources[n] for n in sorted(self.sources)]

    # -- secrets -----------------------------------------------------------------------------

    @property
    def secrets_dir(self) -> Path:
        return paths.secrets_dir(self.warehouse_id)

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
