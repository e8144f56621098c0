"""The number of queries of an import does not grow with the number of records.

INSERT statements are counted apart on SQLite: Django splits a bulk insert into batches
of at most 999 parameters there (a few dozen rows), whereas PostgreSQL takes each chunk
in one statement, so there every query is compared. Inserts into the run's own temporary
tables (`scratch_*`, preau.feeds.scratch: what the run remembers, never the directory) are
not counted as writes. Nor is the ANALYZE that ends an applied run on PostgreSQL
(preau.feeds.statistics): one statement (in a savepoint within the test's transaction) that
depends on the tables' sizes, not on the records, and that a small run skips.
"""

from __future__ import annotations

import dataclasses
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from preau.feeds import statistics
from tests.feeds.importing import build_world, current_year, run_import

pytestmark = pytest.mark.django_db


def queries(paths, academy: str) -> tuple[int, int]:
    analyzing: list[int] = []
    real = statistics.analyze

    def counted(tables, what):
        start = len(connection.queries)
        try:
            return real(tables, what)
        finally:
            analyzing.append(len(connection.queries) - start)

    with CaptureQueriesContext(connection) as captured, \
            mock.patch.object(statistics, "analyze", counted):
        run = run_import(paths, academy=academy)
    assert run.status == "applied", run.message
    assert sum(analyzing) <= 3, analyzing  # SAVEPOINT, ANALYZE, RELEASE SAVEPOINT
    inserts = sum(1 for q in captured.captured_queries
                  if q["sql"].lstrip().upper().startswith("INSERT")
                  and not q["sql"].lstrip().upper().startswith("INSERT INTO SCRATCH_"))
    return len(captured.captured_queries) - inserts - sum(analyzing), inserts


def three_runs(tmp_path, academy: str, pupils_per_class: int, first_school: int
               ) -> list[tuple[int, int]]:
    """A first import, the same files again, then 5 % of the pupils changing class."""
    world = build_world(pupils_per_class=pupils_per_class, first_school=first_school)
    first = queries(world.write(tmp_path / academy / "1"), academy)
    again = queries(world.write(tmp_path / academy / "2"), academy)
    moved = max(1, len(world.pupils) // 20)
    target = world.pupils[-1].classes
    pupils = [dataclasses.replace(p, classes=target) if i < moved else p
              for i, p in enumerate(world.pupils)]
    changed = queries(dataclasses.replace(world, pupils=pupils).write(tmp_path / academy / "3"),
                      academy)
    return [first, again, changed]


def test_query_count_does_not_grow_with_records(tmp_path):
    current_year()
    small = three_runs(tmp_path, "petite", 4, first_school=10)  # 27 accounts
    large = three_runs(tmp_path, "grande", 40, first_school=20)  # 243 accounts
    assert [run[0] for run in small] == [run[0] for run in large]
    if connection.vendor == "postgresql":
        assert small == large
    # An unchanged re-import writes nothing but its own record.
    assert small[1][1] == large[1][1] == 1
    assert small[0][0] < 120, small
