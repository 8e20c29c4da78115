"""The two store backends for tests: a folder, and S3 served by moto's server on 127.0.0.1.

``store_env`` (parametrized: ``folder``, ``s3``) points ``ANNLAB_STORE``/``ANNLAB_CACHE_DIR`` at a fresh,
empty store and yields a :class:`StoreUnderTest` that lists and damages entries the way each backend
allows. The moto server runs in a thread of the test process for the whole session (port 5090-5099).
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

S3_PORTS = range(5090, 5100)


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server (``ThreadedMotoServer``) on 127.0.0.1, with one bucket ``annlab``."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = next(p for p in S3_PORTS if _free(p))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    boto3.client("s3", endpoint_url=url, **creds).create_bucket(Bucket="annlab")
    yield url
    server.stop()


@dataclass
class StoreUnderTest:
    kind: str
    address: str  # ANNLAB_STORE ("" = the cache folder)
    cache: Path
    client: object = None  # boto3 S3 client for the s3 backend

    def keys(self) -> list[str]:
        from annlab import store

        return store.current().keys()

    def raw(self, key: str) -> bytes:
        from annlab import store

        return store.current().backend.get(key)

    def overwrite(self, key: str, data: bytes) -> None:
        """Damage an entry from outside annlab (a disk fault, a person)."""
        from annlab import store

        backend = store.current().backend
        if self.kind == "folder":
            (backend.folder / store.entry_name(key)).write_bytes(data)
        else:
            self.client.put_object(Bucket=backend.bucket, Key=backend._name(key), Body=data)
            store.current().local.discard(key)  # this host's copy goes too: the damage is read


@pytest.fixture(params=["folder", "s3"])
def store_env(request, tmp_path, monkeypatch):
    """A fresh empty store of each kind, made the process's store through the environment."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(cache))
    if request.param == "folder":
        monkeypatch.delenv("ANNLAB_STORE", raising=False)
        yield StoreUnderTest("folder", "", cache)
        return
    import boto3

    endpoint = request.getfixturevalue("s3_endpoint")
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    address = f"s3://annlab/test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ANNLAB_STORE", address)
    yield StoreUnderTest("s3", address, cache, boto3.client("s3", endpoint_url=endpoint))
