"""A year-change run whose worker died does not stay "running" (or "queued") for ever.

Nothing is lost either way (each school is done whole or not at all): the console says
so, and planning and approving again finishes the job.
"""

from __future__ import annotations

import datetime
import socket
import subprocess
import sys

import pytest
from django.utils import timezone

from preau.feeds.liveness import current_worker
from preau.yearchange.actions import (
    check_approve_plan,
    do_note_task,
    do_plan,
    do_settle_interrupted_transitions,
)
from preau.yearchange.models import TransitionRun
from preau.yearchange.transition import run_transition

pytestmark = pytest.mark.django_db
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _day(personas) -> datetime.date:
    return datetime.date(personas.year.end.year, 8, 24)


def test_a_run_records_its_process(personas):
    run = run_transition(today=_day(personas))
    assert run.worker == current_worker()
    assert run_transition(today=_day(personas), dry_run=True).worker == ""  # plans: none


def test_a_killed_run_is_settled_and_the_next_run_finishes(personas, client_for):
    plan = do_plan(personas.ent_admin, _day(personas), personas.academy)
    killed = check_approve_plan(personas.ent_admin, plan)
    TransitionRun.objects.filter(pk=killed.pk).update(
        status=TransitionRun.Status.RUNNING,
        worker=f"{socket.gethostname()} {_dead_pid()} 1")
    alive = TransitionRun.objects.create(
        from_year=killed.from_year, to_year=killed.to_year,
        status=TransitionRun.Status.RUNNING, worker=current_worker())
    page = client_for(personas.ent_admin).get(
        f"/administration/changement-annee/{killed.pk}/").content.decode()
    killed.refresh_from_db()
    assert killed.status == TransitionRun.Status.FAILED and killed.report["interrupted"]
    assert "Cette exécution a été interrompue" in page
    alive.refresh_from_db()
    assert alive.status == TransitionRun.Status.RUNNING  # its process is this one
    assert do_settle_interrupted_transitions() == []  # idempotent
    # Plan and approve again: the job is done.
    again = check_approve_plan(personas.ent_admin, do_plan(personas.ent_admin,
                                                           _day(personas), personas.academy))
    assert run_transition(today=_day(personas), academy=personas.academy,
                          run=again).status == TransitionRun.Status.DONE


def test_an_approved_run_whose_task_is_gone_is_settled(personas, settings):
    from django_tasks_db.models import DBTaskResult

    from preau.yearchange.tasks import run_approved_transition

    settings.TASKS = DATABASE_TASKS
    queued = check_approve_plan(personas.ent_admin,
                                do_plan(personas.ent_admin, _day(personas), personas.academy))
    task = run_approved_transition.enqueue(queued.pk)
    do_note_task(queued, str(task.id))
    queued.refresh_from_db()
    assert queued.task_id == str(task.id)
    assert do_settle_interrupted_transitions() == []  # waiting for a worker: fine
    DBTaskResult.objects.get(pk=task.id).claim("worker-1")
    DBTaskResult.objects.filter(pk=task.id).update(
        started_at=timezone.now() - datetime.timedelta(hours=1))
    (settled,) = do_settle_interrupted_transitions()
    assert settled.pk == queued.pk and settled.report["never_started"] is True
    assert settled.status == TransitionRun.Status.FAILED
