"""Background job of the year change: an approved plan runs in the worker."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from preau.yearchange.actions import do_run_queued
from preau.yearchange.models import TransitionRun


@task()
def run_approved_transition(run_id: int) -> str:
    run = TransitionRun.objects.get(pk=run_id)
    return str(do_run_queued(run, timezone.localdate()).status)
