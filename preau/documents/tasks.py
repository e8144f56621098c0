"""Background jobs of the Espace documentaire: an image's thumbnail is made by the worker
(`preau db_worker`), in a child process capped in memory and time, never in the request
that stored the image (see `media.py`)."""

from __future__ import annotations

from django_tasks import task

from preau.documents.actions import do_make_thumbnail


@task()
def make_thumbnail(version_id: int) -> str:
    """Makes (or refuses) a version's thumbnail; returns its thumbnail state."""
    return do_make_thumbnail(version_id)
