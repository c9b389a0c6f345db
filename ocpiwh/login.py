"""``ocpiwh login``: connect to a platform, negotiate the version, record its endpoints.

Nothing is written unless discovery succeeds, so a wrong URL or token leaves the warehouse
as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocpiwh.config import SOURCE_NAME, Config, Source, format_party
from ocpiwh.errors import UsageError
from ocpiwh.lake import Location, drop_source, source_has_data, warehouse_lock
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
    reset_source: bool = False,
) -> LoginResult:
    """Discover the platform at ``url`` (versions or version-details URL) and save the source.

    ``store_token=False`` when the token came from the environment: it is then never written.
    A login that would change how an existing source's objects are keyed (OCPI 2.1.1 keys
    them by the platform's party, 2.2+ by their own) is refused while the source holds data,
    unless ``reset_source`` drops that data first (it is then synced again).
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
    previous = config.sources.get(source)
    if previous is not None and _keying(previous) != _keying(src):
        if reset_source:
            with warehouse_lock(config.store):
                drop_source(config.store, source)
        elif source_has_data(config.store, source):
            raise UsageError(
                f"source {source!r} holds data keyed {_keying(previous)}; this login "
                f"(OCPI {src.version}) would key the same objects {_keying(src)} and store "
                "them twice",
                hint=f"keep the old keys with --version {previous.version}"
                + (
                    f" --platform-party {format_party(previous.platform_party)}"
                    if previous.version == "2.1.1"
                    else ""
                )
                + ", or drop the source's data and sync it again with --reset-source",
            )
    config.sources[source] = src
    if config.store.local_root is not None:
        config.store.local_root.mkdir(parents=True, exist_ok=True)
    if store_token:
        config.store_token(source, token)
    else:
        config.forget_token(source)
    config.save()
    return LoginResult(source=src, token_stored=store_token, warehouse_created=created)


def _keying(src: Source) -> str:
    """How the source's objects are keyed: by the platform's party (2.1.1) or their own."""
    if src.version == "2.1.1":
        return f"by the platform party {format_party(src.platform_party)} (OCPI 2.1.1)"
    return "by each object's own party (OCPI 2.2+)"
