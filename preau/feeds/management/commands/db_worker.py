"""`preau db_worker`: django-tasks-db's worker, which also outlives a database restart.

It runs the background jobs (console uploads and approvals of feed runs, year-change runs
approved in the console) exactly as django-tasks-db's `db_worker` does, with the same
options, and keeps its database connection between polls like a web server thread
(`PREAU_DB_CONN_MAX_AGE`, checked before each poll). One difference: django-tasks-db's
worker stops with an error when the database cannot be reached while it looks for a job
(a PostgreSQL restart, a failover, a network cut), which a restart lasting a fraction of a
second is enough to cause with its one-second polls. This one logs the error, waits (1 s,
then twice as long each time up to 30 s) and looks again.

A job that loses the database while it runs still stops the worker, as before: its feed
run must then be seen interrupted (its process gone: preau.feeds.liveness) and settled,
and the service manager starts the worker again (`Restart=on-failure` for systemd).

It overrides django-tasks-db's command of the same name because `preau.feeds` comes
before `django_tasks_db` in INSTALLED_APPS.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as upstream
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("preau.feeds")

FIRST_WAIT = 1.0
"""Seconds before the first new try once the database could not be reached."""
LONGEST_WAIT = 30.0
"""The wait doubles after each failure in a row, up to this."""


class Worker(upstream.Worker):
    """django-tasks-db's worker, retrying when the database is unreachable between jobs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lost_in_task = False

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except BaseException:
            # The job's failure could not even be recorded (the database went away
            # mid-job): stop, so that its run is seen interrupted.
            self.lost_in_task = True
            raise

    def run(self) -> None:
        wait = FIRST_WAIT
        last_failure = 0.0
        while True:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as error:
                if self.lost_in_task or not self.running:
                    raise
                now = time.monotonic()
                if now - last_failure > 2 * LONGEST_WAIT:
                    wait = FIRST_WAIT  # a new outage, not the same one going on
                last_failure = now
                logger.warning("background worker: the database cannot be reached (%s); "
                               "next try in %.0f s", str(error).strip(), wait)
                connections.close_all()
                time.sleep(wait)
                wait = min(2 * wait, LONGEST_WAIT)


class Command(upstream.Command):
    help = ("Run the background jobs stored in the database (django-tasks-db's worker, "
            "outliving a database restart)")

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool,
               backend_name: str, startup_delay: bool, reload: bool, max_tasks: int | None,
               worker_id: str, exclude_queues: str, **options: Any) -> None:
        # django-tasks-db 0.13's handle(), with this module's Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            upstream.logger.warning("Warning: --reload and --batch cannot be specified "
                                    "together. Disabling autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(queue_names=queue_names, interval=interval, batch=batch,
                        backend_name=backend_name, startup_delay=startup_delay,
                        max_tasks=max_tasks, worker_id=worker_id,
                        excluded_queue_names=excluded_queue_names)
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
