"""A real S3 endpoint on loopback for the tests: moto's server, one per test process.

`moto_s3_server` (session scope, so once per pytest-xdist worker) starts the
`moto_server` console script of the virtualenv on a free port of 127.0.0.1, creates a
bucket and stops the server at the end. `use_s3_documents(settings, server)` points the
"documents" storage at it exactly as `PREAU_STORAGE=s3` does (django-storages'
S3Storage, same options), under a prefix of its own so that each test sees only its
blobs. Nothing is downloaded: moto[server] is a development dependency.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

REGION = "eu-west-3"
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
BUCKET = "preau-tests"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def keys(self, prefix: str) -> set[str]:
        """Every object key under `prefix` (at most one page: tests store little)."""
        listing = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return {item["Key"] for item in listing.get("Contents", [])}


def _moto_server_command() -> str:
    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return str(beside)
    found = shutil.which("moto_server")
    if found is None:
        pytest.fail("moto_server not found: install the development dependencies (uv sync)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer on {url} within {timeout} s")


@pytest.fixture(scope="session")
def moto_s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with log.open("wb") as output:
        for _attempt in range(3):  # a free port can be taken between probe and bind
            port = _free_port()
            process = subprocess.Popen(
                [_moto_server_command(), "-H", "127.0.0.1", "-p", str(port)],
                stdout=output, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(url, process)
                break
            except RuntimeError:
                process.kill()
                process.wait()
        else:
            pytest.fail(f"moto_server would not start: see {log}")
        try:
            server = S3Server(endpoint_url=url, bucket=BUCKET)
            server.client().create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def s3_documents_storage(server: S3Server, prefix: str) -> dict[str, Any]:
    """The "documents" entry of STORAGES that PREAU_STORAGE=s3 builds (preau/settings.py)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": server.bucket,
            "endpoint_url": server.endpoint_url,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "location": prefix,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def use_s3_documents(settings: Any, server: S3Server) -> str:
    """Switch this test's "documents" storage to the moto server; returns its key prefix."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    settings.PREAU_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "documents": s3_documents_storage(server, prefix)}
    return prefix
