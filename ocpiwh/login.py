"""``ocpiwh login``: connect to a platform, negotiate the version, record its endpoints.

Nothing is written unless discovery succeeds, so a wrong URL or token leaves the warehouse
as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocpiwh.config import SOURCE_NAME, Config, Source
from ocpiwh.errors import UsageError
from ocpiwh.lake import Location
from ocpiwh.ocpi import SUPPORTED_VERSIONS, OcpiClient, RetryPolicy, discover


@dataclass
class LoginResult:
    source: Source
    token_stored: bool
    warehouse_created: bool


def login(
    root: Location,
    url: str,
    token: str,
    *,
    source: str = "default",
    party: tuple[str, str] | None = None,
    platform_party: tuple[str, str] | None = None,
    version: str | None = None,
    store_token: bool = True,
    retry: RetryPolicy | None = None,
) -> LoginResult:
    """Discover the platform at ``url`` (versions or version-details URL) and save the source.

    ``store_token=False`` when the token came from the environment: it is then never written.
    """
    if not SOURCE_NAME.match(source):
        raise UsageError(
            f"source name {source!r} is not valid",
            hint="use letters, digits, '.', '_' or '-' (e.g. 'default', 'cpo-fr')",
        )
    if version is not None and version not in SUPPORTED_VERSIONS:
        raise UsageError(
            f"OCPI version {version!r} is not supported",
            hint=f"choose one of: {', '.join(SUPPORTED_VERSIONS)}",
        )
    if not url.startswith(("http://", "https://")):
        raise UsageError(
            f"{url!r} is not an http(s) URL", hint="give the platform's OCPI versions URL"
        )
    config = Config.load(root, create=True)
    created = not config.store.is_warehouse()
    with OcpiClient(
        token=token,
        from_party=party,
        retry=retry or RetryPolicy(max_attempts=3, max_total=30.0),
    ) as client:
        connection = discover(client, url, force_version=version)
    if platform_party is not None:
        connection.platform_party = platform_party
    if not connection.sender_modules():
        raise UsageError(
            f"the platform at {url} exposes no Sender module ocpiwh can mirror "
            "(locations, sessions, cdrs, tariffs, tokens)",
            hint="check that the token belongs to a party allowed to read the CPO's data",
        )
    if connection.version == "2.1.1" and connection.platform_party is None:
        raise UsageError(
            "OCPI 2.1.1 objects carry no country_code/party_id and the platform did not say "
            "who it is",
            hint="pass --platform-party CC*PPP (the CPO's party, e.g. FR*ABC)",
        )
    src = Source(name=source, url=url, connection=connection, party=party)
    config.sources[source] = src
    if config.store.local_root is not None:
        config.store.local_root.mkdir(parents=True, exist_ok=True)
    if store_token:
        config.store_token(source, token)
    else:
        config.forget_token(source)
    config.save()
    return LoginResult(source=src, token_stored=store_token, warehouse_created=created)
