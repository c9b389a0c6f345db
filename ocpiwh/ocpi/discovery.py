"""Versions discovery ("login"): pick a version, list Sender endpoints, learn the platform party."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from ocpiwh.errors import OcpiError, OcpiwhError, UsageError

from .http import OcpiClient
from .versions import (
    DATA_MODULES,
    KNOWN_MODULES,
    SUPPORTED_VERSIONS,
    has_roles,
    normalize_version,
    pick_version,
)

log = logging.getLogger("ocpiwh.ocpi")

_LOGIN_HINT = "give the platform's OCPI versions URL, e.g. https://host/ocpi/versions"


@dataclass(frozen=True)
class Endpoint:
    identifier: str
    role: str | None
    url: str


def _party_str(party: tuple[str, str] | None) -> str | None:
    return f"{party[0]}*{party[1]}" if party else None


def parse_party(value: object) -> tuple[str, str] | None:
    """``"FR*ABC"`` / ``"FRABC"`` / ``["FR", "ABC"]`` → ``("FR", "ABC")``; None if not a party."""
    if isinstance(value, str):
        text = value.strip().upper().replace("-", "*")
        if "*" in text:
            cc, _, pid = text.partition("*")
        elif len(text) == 5:
            cc, pid = text[:2], text[2:]
        else:
            return None
    elif isinstance(value, list | tuple) and len(value) == 2:
        cc, pid = str(value[0]).strip().upper(), str(value[1]).strip().upper()
    else:
        return None
    if len(cc) == 2 and 1 <= len(pid) <= 3 and cc.isalnum() and pid.isalnum():
        return (cc, pid)
    return None


@dataclass
class Connection:
    """What login learned about a platform. Contains no secret: safe for ocpiwh.toml."""

    version: str
    versions_url: str | None
    details_url: str
    endpoints: list[Endpoint] = field(default_factory=list)
    platform_party: tuple[str, str] | None = None
    auth_mode: Literal["base64", "plain"] | None = None

    def sender_url(self, module: str) -> str | None:
        """URL of ``module``'s Sender interface, or None if the platform does not offer it.

        2.2+: the endpoint with role SENDER (an endpoint without a role is accepted as a
        fallback, RECEIVER never). 2.1.1 has no roles: the first endpoint with that identifier.
        """
        module = module.lower()
        matches = [e for e in self.endpoints if e.identifier == module]
        if not has_roles(self.version):
            return matches[0].url if matches else None
        for e in matches:
            if e.role == "SENDER":
                return e.url
        for e in matches:
            if e.role is None:
                return e.url
        return None

    def endpoint_url(self, module: str) -> str | None:
        """Any endpoint with this identifier, role ignored (used for credentials)."""
        module = module.lower()
        for e in self.endpoints:
            if e.identifier == module:
                return e.url
        return None

    def sender_modules(self) -> list[str]:
        return [m for m in DATA_MODULES if self.sender_url(m) is not None]

    def to_dict(self) -> dict[str, Any]:
        """TOML-friendly dict (None values are left out; TOML has no null)."""
        out: dict[str, Any] = {"version": self.version, "details_url": self.details_url}
        if self.versions_url is not None:
            out["versions_url"] = self.versions_url
        party = _party_str(self.platform_party)
        if party is not None:
            out["platform_party"] = party
        if self.auth_mode is not None:
            out["auth_mode"] = self.auth_mode
        eps = []
        for e in self.endpoints:
            d = {"identifier": e.identifier, "url": e.url}
            if e.role is not None:
                d["role"] = e.role
            eps.append(d)
        out["endpoints"] = eps
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Connection:
        try:
            version = normalize_version(data["version"])
            details_url = str(data["details_url"])
            raw_eps = data.get("endpoints") or []
            endpoints = [
                Endpoint(
                    identifier=str(e["identifier"]).lower(),
                    role=str(e["role"]).upper() if e.get("role") else None,
                    url=str(e["url"]),
                )
                for e in raw_eps
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise UsageError(
                f"the stored connection is incomplete (missing {exc})",
                hint="run `ocpiwh login` again",
            ) from None
        if version is None:
            raise UsageError(
                f"the stored connection has an unsupported OCPI version {data.get('version')!r}",
                hint="run `ocpiwh login` again",
            )
        auth = data.get("auth_mode")
        auth_mode: Literal["base64", "plain"] | None = (
            "base64" if auth == "base64" else "plain" if auth == "plain" else None
        )
        versions_url = data.get("versions_url")
        return cls(
            version=version,
            versions_url=str(versions_url) if versions_url else None,
            details_url=details_url,
            endpoints=endpoints,
            platform_party=parse_party(data.get("platform_party")),
            auth_mode=auth_mode,
        )


def _versions_list(data: Any) -> list[dict[str, Any]] | None:
    if isinstance(data, dict) and isinstance(data.get("versions"), list):
        data = data["versions"]
    if isinstance(data, list):
        return [v for v in data if isinstance(v, dict)]
    return None


def _resolve(base: str, url: str) -> str:
    return str(httpx.URL(base).join(url.strip()))


def _choose(
    client: OcpiClient, entries: list[dict[str, Any]], versions_url: str, force: str | None
) -> tuple[str, str]:
    """(normalized version, details URL) from a versions list."""
    offered: dict[str, tuple[str, str]] = {}  # normalized -> (raw, url)
    raw_offered: list[str] = []
    for entry in entries:
        raw, url = entry.get("version"), entry.get("url")
        if not isinstance(raw, str) or not isinstance(url, str) or not url.strip():
            continue
        raw_offered.append(raw.strip())
        norm = normalize_version(raw)
        if norm is None:
            continue
        # an exact "2.2.1" beats the deprecated "2.2" spelling
        if norm not in offered or raw.strip() == norm:
            offered[norm] = (raw.strip(), _resolve(versions_url, url))
    listing = ", ".join(raw_offered) or "none"
    safe = client._safe_url(versions_url)
    if force is not None:
        if force not in offered:
            raise OcpiError(
                f"the platform does not offer OCPI {force} (it offers: {listing})",
                hint="choose one of the offered versions, or leave the version unset",
            )
        return force, offered[force][1]
    best = pick_version(offered)
    if best is None:
        raise OcpiError(
            f"{safe} offers no OCPI version ocpiwh supports (it offers: {listing})",
            hint=f"ocpiwh reads OCPI {', '.join(SUPPORTED_VERSIONS)}",
        )
    return best, offered[best][1]


def _parse_details(
    client: OcpiClient, data: Any, details_url: str
) -> tuple[str | None, str | None, list[Endpoint]]:
    """(raw version, normalized version, endpoints) from a version-details payload."""
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
        raise OcpiError(
            f"{client._safe_url(details_url)} is not an OCPI version-details endpoint "
            "(no endpoints list)",
            hint=_LOGIN_HINT,
        )
    raw_version = data.get("version")
    raw = raw_version.strip() if isinstance(raw_version, str) else None
    endpoints: list[Endpoint] = []
    for item in data["endpoints"]:
        if not isinstance(item, dict):
            continue
        ident, url, role = item.get("identifier"), item.get("url"), item.get("role")
        if not isinstance(ident, str) or not isinstance(url, str) or not url.strip():
            log.debug("ignoring malformed endpoint entry %r", client._redact(repr(item)))
            continue
        ident = ident.strip().lower()
        if ident not in KNOWN_MODULES:
            log.debug("ignoring unknown module identifier %r", ident)
            continue
        endpoints.append(
            Endpoint(
                identifier=ident,
                role=role.strip().upper() if isinstance(role, str) and role.strip() else None,
                url=_resolve(details_url, url),
            )
        )
    return raw, normalize_version(raw), endpoints


def _platform_party(data: Any, version: str) -> tuple[str, str] | None:
    if not isinstance(data, dict):
        return None
    roles = data.get("roles")
    if isinstance(roles, list):
        cpo = [r for r in roles if isinstance(r, dict) and str(r.get("role", "")).upper() == "CPO"]
        for role in cpo:
            party = parse_party([role.get("country_code", ""), role.get("party_id", "")])
            if party is not None:
                return party
        if has_roles(version):
            return None
    return parse_party([data.get("country_code", ""), data.get("party_id", "")])


def discover(client: OcpiClient, url: str, force_version: str | None = None) -> Connection:
    """Log in to a platform: versions → version details → credentials.

    ``url`` may be the versions URL or a version-details URL. Sets ``client.version`` to
    the chosen version, and ``client.to_party`` to the platform's party if it was unset.
    """
    force: str | None = None
    if force_version is not None:
        force = normalize_version(force_version)
        if force is None:
            raise UsageError(
                f"unsupported OCPI version {force_version!r}",
                hint=f"use one of: {', '.join(SUPPORTED_VERSIONS)}",
            )
    if force is not None:
        client.version = force
    first = client.get(url, module="versions")
    entries = _versions_list(first.data)
    versions_url: str | None
    if entries is not None:
        versions_url = first.url
        version, details_url = _choose(client, entries, versions_url, force)
        client.version = version
        details = client.get(details_url, module="versions")
        raw, detail_version, endpoints = _parse_details(client, details.data, details.url)
        if detail_version is not None and detail_version != version:
            log.warning(
                "version details at %s say %s, the versions list said %s; using %s",
                client._safe_url(details.url),
                raw,
                version,
                version,
            )
    elif isinstance(first.data, dict) and "endpoints" in first.data:
        versions_url = None
        details_url = first.url
        raw, detail_version, endpoints = _parse_details(client, first.data, details_url)
        if detail_version is None:
            raise OcpiError(
                f"{client._safe_url(details_url)} is for OCPI {raw or 'unknown'}, "
                "which ocpiwh does not support",
                hint=f"ocpiwh reads OCPI {', '.join(SUPPORTED_VERSIONS)}; give the versions URL",
            )
        if force is not None and detail_version != force:
            raise OcpiError(
                f"{client._safe_url(details_url)} is for OCPI {raw}, not {force}",
                hint="give the versions URL, or the details URL of the version you want",
            )
        version = detail_version
        client.version = version
    else:
        raise OcpiError(
            f"{client._safe_url(first.url)} is not an OCPI versions or version-details endpoint",
            hint=_LOGIN_HINT,
        )
    conn = Connection(
        version=version,
        versions_url=versions_url,
        details_url=details_url,
        endpoints=endpoints,
    )
    if not conn.sender_modules():
        present = sorted({f"{e.identifier}({e.role or '-'})" for e in endpoints}) or ["none"]
        raise OcpiError(
            f"{client._safe_url(details_url)} offers no Sender module "
            f"({', '.join(DATA_MODULES)}); it lists: {', '.join(present)}",
            hint="this looks like a receiver-only (eMSP) interface; ask the CPO for its "
            "versions URL",
        )
    creds_url = conn.endpoint_url("credentials")
    if creds_url is not None:
        try:
            creds = client.get(creds_url, module="credentials")
            conn.platform_party = _platform_party(creds.data, version)
            if conn.platform_party is None:
                log.info("the credentials endpoint did not name the platform's CPO party")
        except OcpiwhError as exc:
            log.warning("could not read the platform's credentials (non-fatal): %s", exc)
    if conn.platform_party is not None and client.to_party is None:
        client.to_party = conn.platform_party
    conn.auth_mode = client.auth_mode_used
    log.info(
        "discovered OCPI %s at %s: %s",
        version,
        client._safe_url(details_url),
        ", ".join(conn.sender_modules()),
    )
    return conn


__all__ = ["Connection", "Endpoint", "discover", "parse_party"]
