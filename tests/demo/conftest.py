"""One demo load per test module: loading takes a couple of seconds, the tests milliseconds.

The module fixture loads the demo inside a transaction that it rolls back at the end of the
module; each test still runs in its own savepoint (pytest-django's `db`), so a test that
changes data leaves the next one the same demo.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from tests.conftest import FAST_HASHERS


@dataclass(frozen=True)
class DemoWorld:
    output: str  # what `preau demo` printed
    data_dir: Path  # where it wrote demo-logins.csv


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[DemoWorld]:
    data_dir = tmp_path_factory.mktemp("demo-data")
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS,
                                                       DATA_DIR=data_dir), transaction.atomic():
        out = io.StringIO()
        call_command("demo", no_serve=True, stdout=out)
        yield DemoWorld(out.getvalue(), data_dir)
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_world: DemoWorld, db, settings) -> DemoWorld:
    """The loaded demo académie, in this test's savepoint."""
    settings.DATA_DIR = demo_world.data_dir
    return demo_world
