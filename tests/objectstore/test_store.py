"""The two stores keep one contract: what the lake code writes, it reads back the same way."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.lake import LocalStore, ObjectStore, Store, open_store

pytestmark = pytest.mark.objectstore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return open_store(tmp_path / "wh")
    return open_store(request.getfixturevalue("s3root"))


def test_open_store_picks_the_kind(tmp_path: Path, s3root: str) -> None:
    assert isinstance(open_store(tmp_path), LocalStore)
    remote = open_store(s3root + "/")
    assert isinstance(remote, ObjectStore)
    assert remote.url == s3root  # trailing slash normalized


def test_read_write_append_list_delete(store: Store, tmp_path: Path) -> None:
    assert store.read("state/x.json") is None
    store.write("state/x.json", b"one")
    store.write("state/x.json", b"two")  # replaced, not appended
    assert store.read("state/x.json") == b"two"
    store.append("state/log.jsonl", b"a\n")
    store.append("state/log.jsonl", b"b\n")
    assert store.read("state/log.jsonl") == b"a\nb\n"
    src = tmp_path / "part.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), src)
    store.publish(src, "raw/sessions/source=s/year=2026/month=03/part-1.parquet")
    assert not src.exists()  # consumed
    listed = store.list("raw/")
    assert [rel for rel, _ in listed] == ["raw/sessions/source=s/year=2026/month=03/part-1.parquet"]
    assert listed[0][1] > 0
    assert store.has_files("raw/sessions/") and not store.has_files("raw/cdrs/")
    assert store.exists("state/x.json") and not store.exists("state/nope.json")
    con = duckdb.connect()
    store.register(con)
    uri = store.uri("raw/sessions/source=s/year=2026/month=03/part-1.parquet")
    assert con.execute(f"SELECT sum(a) FROM read_parquet('{uri}')").fetchall() == [(6,)]
    assert store.delete("state/x.json") and not store.delete("state/x.json")
    assert store.read("state/x.json") is None


def test_missing_bucket_is_one_clear_line(s3_env: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="bucket 'no-such-bucket' does not exist"):
        open_store("s3://no-such-bucket/lake")


def test_unreachable_store_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(OcpiwhError, match="object store s3://b/lake") as info:
        open_store("s3://b/lake")
    assert "\n" not in str(info.value)
