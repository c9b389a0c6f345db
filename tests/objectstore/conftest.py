"""A real S3-compatible server (moto in server mode) on loopback, started once per session.

Each test gets its own bucket and the standard AWS environment pointing at the server, so
both the test process and the ``ocpiwh`` subprocesses it starts reach the same store the
way a user's would: through ``AWS_ENDPOINT_URL`` and the AWS credential variables.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "ocpiwh-test",
        "AWS_SECRET_ACCESS_KEY": "ocpiwh-test-secret",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def bucket(s3_env: dict[str, str]) -> str:
    """A fresh, empty bucket."""
    from pyarrow import fs as pafs

    name = f"lake-{secrets.token_hex(4)}"
    pafs.S3FileSystem(
        endpoint_override=s3_env["AWS_ENDPOINT_URL"],
        scheme="http",
        region="us-east-1",
        allow_bucket_creation=True,
    ).create_dir(name)
    return name


@pytest.fixture
def s3root(bucket: str) -> str:
    return f"s3://{bucket}/ocpiwh"


def lake_objects(s3root: str) -> set[str]:
    """Every Parquet object under raw/ and quarantine/, committed or not."""
    from ocpiwh.lake import open_store

    store = open_store(s3root)
    return {rel for top in ("raw/", "quarantine/") for rel, _ in store.list(top)}


def committed(s3root: str) -> set[str]:
    """The files the manifests publish (what readers read)."""
    from ocpiwh.lake import manifests, open_store

    return {f for st in manifests(open_store(s3root)).values() for f in st.files or []}
