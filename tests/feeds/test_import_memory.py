"""What keeps a run's memory flat: its state in temporary tables, dropped at its end, and
the garbage collector restricted to the run's own objects while it runs."""

from __future__ import annotations

import gc

import pytest
from django.db import DatabaseError, connection, transaction

from preau.feeds.importer import collections_per_chunk
from preau.feeds.scratch import TABLES
from tests.feeds.importing import build_world, current_year, run_import

pytestmark = pytest.mark.django_db


def scratch_tables_left() -> list[str]:
    left = []
    for table in TABLES:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {table}")
            left.append(table)
        except DatabaseError:
            pass
    return left


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_run_leaves_no_scratch_table(tmp_path, dry_run):
    current_year()
    paths = build_world(pupils_per_class=3).write(tmp_path)
    run = run_import(paths, dry_run=dry_run)
    assert run.status == ("dry_run" if dry_run else "applied")
    assert scratch_tables_left() == []
    again = run_import(paths)  # and the next run in the same session starts afresh
    assert again.status == "applied" and scratch_tables_left() == []


def test_the_garbage_collector_is_restored_after_nested_and_failed_runs():
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with collections_per_chunk():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
        with collections_per_chunk():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer run is still running
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), collections_per_chunk():
        raise RuntimeError("a malformed file")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with collections_per_chunk():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
