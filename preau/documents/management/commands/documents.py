"""`preau documents thumbnails`: queue again the thumbnails nobody is making."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from preau.documents.actions import do_requeue_thumbnails
from preau.documents.models import ThumbnailState


class Command(BaseCommand):
    help = ("Espace documentaire tools for operators. `thumbnails`: queue again the thumbnail "
            "jobs a lost worker left waiting, and (on demand) those that failed or were "
            "refused, after raising PREAU_THUMBNAIL_MEMORY_MIB or PREAU_IMAGE_MAX_PIXELS.")

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", title="subcommands",
                                            required=True)
        thumbnails = subcommands.add_parser(
            "thumbnails", help="Queue again the thumbnails still waiting after a while.")
        thumbnails.add_argument(
            "--stale-minutes", type=int, default=60,
            help="Waiting for longer than this (default 60): its job was lost.")
        thumbnails.add_argument("--retry-failed", action="store_true",
                                help="Also the images whose decode failed.")
        thumbnails.add_argument("--retry-too-large", action="store_true",
                                help="Also the images refused for their pixel count.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "thumbnails":  # argparse already refuses the others
            raise CommandError(f"unknown subcommand {options['subcommand']!r}")
        if options["stale_minutes"] < 0:
            raise CommandError("--stale-minutes must be 0 or more")
        retry: set[str] = set()
        if options["retry_failed"]:
            retry.add(str(ThumbnailState.FAILED))
        if options["retry_too_large"]:
            retry.add(str(ThumbnailState.TOO_LARGE))
        queued = do_requeue_thumbnails(
            waiting_since=timezone.now() - timedelta(minutes=options["stale_minutes"]),
            retry=retry)
        self.stdout.write(f"{queued} thumbnail job(s) queued.")
