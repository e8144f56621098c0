"""Writes of the year change from the console: calendars, plans, approved runs."""

from __future__ import annotations

import datetime
import logging
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.models import User
from preau.directory.models import Academy, SchoolYear
from preau.feeds.liveness import DATABASE_TASKS, process_gone, task_lost
from preau.lib.errors import Refusal
from preau.yearchange.models import TransitionRun, YearCalendar
from preau.yearchange.transition import run_transition

logger = logging.getLogger(__name__)


class YearChangeError(Refusal):
    """A refused year-change action; the message is for the user."""


DATE_FIELDS = ("end_of_year", "first_teachers_feed", "transition", "rentree", "bascule_onde",
               "first_families_feed")


def check_save_calendar(academy: Academy, school_year: SchoolYear,
                        values: dict[str, Any]) -> YearCalendar:
    dates = [values[name] for name in DATE_FIELDS]
    if any(later < earlier for earlier, later in pairwise(dates)):
        raise YearChangeError(_("The dates must follow the order of the steps."))
    calendar, _created = YearCalendar.objects.update_or_create(
        academy=academy, school_year=school_year,
        defaults={**{name: values[name] for name in DATE_FIELDS},
                  "convert_purged_shares": bool(values.get("convert_purged_shares"))})
    return calendar


def do_plan(actor: User, today: datetime.date, academy: Academy | None = None) -> TransitionRun:
    return run_transition(today=today, academy=academy, dry_run=True, actor=actor,
                          actor_label=actor.login)


@transaction.atomic
def check_approve_plan(actor: User, plan: TransitionRun) -> TransitionRun:
    """Approving a plan queues the real run (the background worker does it)."""
    if not actor.is_ent_admin:
        raise YearChangeError(_("Only an ENT administrator may run the year change."))
    if plan.status != TransitionRun.Status.PLANNED:
        raise YearChangeError(_("Only a plan can be approved."))
    if TransitionRun.objects.filter(plan=plan).exists():
        raise YearChangeError(_("This plan was already approved."))
    return TransitionRun.objects.create(
        academy=plan.academy, structure=plan.structure, from_year=plan.from_year,
        to_year=plan.to_year, status=TransitionRun.Status.QUEUED, actor=actor,
        actor_label=actor.login, plan=plan, started_at=timezone.now())


def do_run_queued(run: TransitionRun, today: datetime.date) -> TransitionRun:
    """The worker's job: the real transition, recorded into the queued run's row."""
    if run.status != TransitionRun.Status.QUEUED:
        return run
    return run_transition(today=today, academy=run.academy, structure=run.structure,
                          actor=run.actor, actor_label=run.actor_label, run=run)


def do_note_task(run: TransitionRun, task_id: str, backend: str = "default") -> None:
    """Records the background task that is to run an approved run, so that a worker killed
    before it started the run does not leave it queued for ever. Only tasks of the
    database backend are recorded: they are the ones that can be looked up later."""
    if settings.TASKS.get(backend, {}).get("BACKEND") != DATABASE_TASKS:
        return
    TransitionRun.objects.filter(pk=run.pk, status=TransitionRun.Status.QUEUED).update(
        task_id=task_id)


def do_settle_interrupted_transitions() -> list[TransitionRun]:
    """Runs still marked running whose process died, and approved runs whose background
    task will never run them (the feeds' liveness rules), become *failed*, with
    `interrupted: true` in their report: they neither mislead the console nor hide that
    the job is unfinished. Nothing is lost: each school was done whole or not at all, and
    planning and approving again finishes the schools left (the transition is resumable).
    Idempotent; called by the console's year-change pages."""
    settled = []
    for run in TransitionRun.objects.filter(status__in=(TransitionRun.Status.RUNNING,
                                                        TransitionRun.Status.QUEUED)):
        if run.status == TransitionRun.Status.RUNNING:
            lost = process_gone(run.worker, run.db_session, run.started_at)
        else:
            lost = bool(run.task_id) and task_lost(run.task_id)
        if not lost:
            continue
        with transaction.atomic():
            fresh = TransitionRun.objects.select_for_update().filter(
                pk=run.pk, status=run.status, worker=run.worker).first()
            if fresh is None:
                continue
            logger.warning("year change run %s interrupted (%s)", fresh.pk,
                           fresh.worker or f"task {fresh.task_id}")
            fresh.report = {**fresh.report, "interrupted": True,
                            "never_started": fresh.status == TransitionRun.Status.QUEUED}
            fresh.status = TransitionRun.Status.FAILED
            fresh.finished_at = timezone.now()
            fresh.save(update_fields=["report", "status", "finished_at"])
        settled.append(fresh)
    return settled
