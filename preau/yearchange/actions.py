"""Writes of the year change from the console: calendars, plans, approved runs."""

from __future__ import annotations

import datetime
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.models import User
from preau.directory.models import Academy, SchoolYear
from preau.yearchange.models import TransitionRun, YearCalendar
from preau.yearchange.transition import run_transition


class YearChangeError(Exception):
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
