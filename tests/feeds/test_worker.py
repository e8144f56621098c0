"""`preau db_worker` is Préau's worker: it waits out a database that cannot be reached
between jobs, and still stops when a job loses the database (tests/test_db_connections.py
restarts a real PostgreSQL under it)."""

from __future__ import annotations

import logging

import pytest
from django.core.management import get_commands
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker as upstream

from preau.feeds.management.commands import db_worker


def make_worker() -> db_worker.Worker:
    return db_worker.Worker(queue_names=["default"], interval=0.01, batch=True,
                            backend_name="default", startup_delay=False, max_tasks=None,
                            worker_id="test", excluded_queue_names=[])


def test_preau_db_worker_is_preaus():
    assert get_commands()["db_worker"] == "preau.feeds"


def test_an_unreachable_database_between_jobs_is_waited_out(monkeypatch, caplog):
    calls: list[str] = []
    waits: list[float] = []

    def run(self):
        calls.append("run")
        if len(calls) < 3:
            raise OperationalError("connection refused")

    monkeypatch.setattr(upstream.Worker, "run", run)
    monkeypatch.setattr(db_worker.time, "sleep", waits.append)
    with caplog.at_level(logging.WARNING, logger="preau.feeds"):
        make_worker().run()
    assert calls == ["run"] * 3 and waits == [1.0, 2.0]
    assert "the database cannot be reached (connection refused)" in caplog.text


def test_a_job_that_loses_the_database_stops_the_worker(monkeypatch):
    def run_task(self, result):
        raise OperationalError("server closed the connection")  # its failure not recorded

    def run(self):
        self.run_task(None)

    monkeypatch.setattr(upstream.Worker, "run_task", run_task)
    monkeypatch.setattr(upstream.Worker, "run", run)
    monkeypatch.setattr(db_worker.time, "sleep", lambda s: pytest.fail("must not wait"))
    with pytest.raises(OperationalError):
        make_worker().run()
