"""After a run that wrote many rows, PostgreSQL's planner statistics are fresh.

A feed import (and the daily life cycle) ends with ANALYZE of the tables it changed enough
for autovacuum to analyse them (preau.feeds.statistics): the next pages are planned on the
tables as they now are, not as they were before the run. Checked on
`pg_stat_user_tables.last_analyze` and `pg_class.reltuples`. Each test first ANALYZEs the
tables it looks at, so that their figures describe them as they are before the run
(whatever earlier tests left in the shared test database).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

import pytest
from django.db import connection
from django.utils import timezone

from preau.accounts.models import Profile, State, User
from preau.feeds import statistics
from preau.feeds.lifecycle import run_lifecycle
from tests.feeds.importing import build_world, current_year, run_import
from tests.personas import make_user

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                      reason="PostgreSQL's planner statistics")
pytestmark = needs_postgresql

FILLED = ["accounts_user", "accounts_userevent", "directory_membership",
          "directory_relativelink", "directory_structureattachment"]


def analyze_now(tables: list[str]) -> datetime.datetime:
    """ANALYZE `tables` as they are; returns the database clock just after."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(tables))
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def last_analyzed(tables: list[str]) -> dict[str, datetime.datetime | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # this transaction's cached view
        cursor.execute("SELECT relname, last_analyze FROM pg_stat_user_tables "
                       "WHERE relname = ANY(%s)", [tables])
        return dict(cursor.fetchall())


def estimated_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return float(cursor.fetchone()[0])


# serialized_rollback: like the other transactional tests (tests/messaging/test_send_race.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_ends_with_analyze_of_the_tables_it_filled(tmp_path):
    """As the command and the worker run it: the run's transaction commits, then ANALYZE
    of what it changed enough; a small daily change and a dry run leave them alone."""
    current_year()
    before = analyze_now(FILLED)
    assert estimated_rows("accounts_user") < 50
    world = build_world(schools=2, pupils_per_class=20)
    run = run_import(world.write(tmp_path / "feed"))
    assert run.status == "applied" and not connection.in_atomic_block
    accounts = User.objects.count()
    assert accounts > 200
    analysed = last_analyzed(FILLED)
    assert all(analysed[t] is not None and analysed[t] > before for t in FILLED), analysed
    assert estimated_rows("accounts_user") == accounts  # the planner sees them all
    assert set(FILLED) <= set(run.report["analyze"]["tables"])
    assert run.report["analyze"]["seconds"] >= 0
    assert not [t for t in run.report["analyze"]["tables"] if "scratch" in t]  # temporary
    assert "auth_permission" not in run.report["analyze"]["tables"]  # the test's own setup

    # A daily change of a few accounts is autovacuum's: it counts them with the others.
    before = analyze_now(FILLED)
    world.pupils[0] = dataclasses.replace(world.pupils[0], first_name="Zoé")
    small = run_import(world.write(tmp_path / "second"))
    assert small.status == "applied" and small.counts["Student"]["updated"] == 1
    assert small.report["analyze"] is None
    dry = run_import(build_world(schools=3, pupils_per_class=20).write(tmp_path / "dry"),
                     dry_run=True)
    assert dry.status == "dry_run" and dry.report["analyze"] is None
    assert all(t <= before for t in last_analyzed(FILLED).values()), last_analyzed(FILLED)


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_import_analyses_in_a_savepoint(tmp_path):
    current_year()
    before = analyze_now(FILLED)
    run = run_import(build_world(schools=2, pupils_per_class=20).write(tmp_path / "feed"))
    assert run.status == "applied"
    analysed = last_analyzed(FILLED)
    assert all(analysed[t] > before for t in FILLED), analysed
    assert estimated_rows("accounts_user") == User.objects.count()


@pytest.mark.django_db
def test_a_failed_analyze_is_logged_and_the_run_stays_applied(tmp_path, monkeypatch,
                                                               caplog):
    current_year()
    monkeypatch.setattr(statistics, "stale_since", lambda written: ["no_such_table"])
    with caplog.at_level(logging.WARNING, logger="preau.feeds"):
        run = run_import(build_world().write(tmp_path / "feed"))
    assert run.status == "applied" and run.report["analyze"] is None
    assert "ANALYZE after feed run" in caplog.text and "no_such_table" in caplog.text
    assert User.objects.filter(external_id="E00001").exists()  # the transaction goes on


@pytest.mark.django_db
def test_which_tables_are_stale():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE never_analysed (id int)")
    make_user("Anne", "Martin", Profile.TEACHER)
    analyze_now(["accounts_user"])
    rows = estimated_rows("accounts_user")
    threshold = statistics.MIN_ROWS + statistics.SHARE * rows
    assert statistics.stale({"accounts_user": int(threshold) - 1}) == []
    assert statistics.stale({"accounts_user": int(threshold) + 1}) == ["accounts_user"]
    assert statistics.stale({"never_analysed": 1, "accounts_user": 0}) == ["never_analysed"]


@pytest.mark.django_db
def test_the_life_cycle_analyses_what_it_changed():
    """Accounts missing for long are pre-deleted (their links backed up and removed, a
    line of history each) in one run: the tables are analysed after it."""
    old = timezone.localdate() - datetime.timedelta(days=400)
    ids = [make_user(f"Élève{n}", "Parti", Profile.STUDENT).pk for n in range(120)]
    User.objects.filter(pk__in=ids).update(state=State.MISSING, missing_since=old)
    before = analyze_now(["accounts_user", "accounts_userevent"])
    report = run_lifecycle()
    assert report.predeleted == {Profile.STUDENT: 120}
    analysed = last_analyzed(["accounts_user", "accounts_userevent", "feeds_linkbackup"])
    assert len(analysed) == 3 and all(t > before for t in analysed.values()), analysed
