"""Background jobs of the feeds: a run uploaded in the console is imported by the worker
(`preau db_worker`), and a held run approved in the console is applied by it, so a large
académie never holds a web request for minutes."""

from __future__ import annotations

from django_tasks import task

from preau.feeds.actions import do_run_queued, do_run_queued_approval
from preau.feeds.models import FeedRun


@task()
def import_feed_files(run_id: int) -> str:
    """Imports the files of a queued run; returns its final status."""
    run = FeedRun.objects.get(pk=run_id)
    return str(do_run_queued(run).status)


@task()
def apply_held_run(run_id: int) -> str:
    """Applies a held run approved in the console; returns its final status."""
    run = FeedRun.objects.get(pk=run_id)
    return str(do_run_queued_approval(run).status)
