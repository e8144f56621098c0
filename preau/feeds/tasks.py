"""Background jobs of the feeds: a run uploaded in the console is imported by the worker
(`preau db_worker`), so a large académie never holds a web request for minutes."""

from __future__ import annotations

from django_tasks import task

from preau.feeds.actions import do_run_queued
from preau.feeds.models import FeedRun


@task()
def import_feed_files(run_id: int) -> str:
    """Imports the files of a queued run; returns its final status."""
    run = FeedRun.objects.get(pk=run_id)
    return str(do_run_queued(run).status)
