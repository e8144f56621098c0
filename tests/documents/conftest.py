from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.s3 import S3Server, moto_s3_server, use_s3_documents

__all__ = ["moto_s3_server"]  # the session fixture, started only by the tests that use S3


@dataclass(frozen=True)
class Backend:
    """The storage a test runs on, and how to list the blobs it holds."""

    name: str
    server: S3Server | None = None
    prefix: str = ""
    root: str = ""

    def blobs(self) -> set[str]:
        """The keys stored (documents and thumbnails), whatever the backend."""
        if self.server is not None:
            return {key.removeprefix(f"{self.prefix}/")
                    for key in self.server.keys(f"{self.prefix}/")}
        from pathlib import Path

        base = Path(self.root)
        return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    """Background jobs (thumbnails) run inline, as `PREAU_TASKS_BACKEND=immediate` does; the
    decode itself still happens in a child process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(params=["local", "s3"])
def backend(request, settings) -> Backend:
    """Runs the test twice: on the local disk, then on S3 (a moto server on loopback)."""
    if request.param == "s3":
        server = request.getfixturevalue("moto_s3_server")
        return Backend("s3", server=server, prefix=use_s3_documents(settings, server))
    return Backend("local", root=settings.STORAGES["documents"]["OPTIONS"]["location"])


@pytest.fixture
def s3(settings, moto_s3_server) -> Backend:
    """For a test that needs S3 only."""
    return Backend("s3", server=moto_s3_server, prefix=use_s3_documents(settings, moto_s3_server))
