"""`preau demo`: migrate, load the demo académie once, print its logins, serve it."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from preau.demo.feed import feed_dir
from preau.demo.loader import demo_counts, load_demo, write_logins_file


def start_job_worker() -> subprocess.Popen[bytes]:
    """The embedded default runs background jobs from the database: the demo starts one
    worker (`preau db_worker`) beside the web server, with the same environment."""
    return subprocess.Popen([sys.executable, "-m", "preau", "db_worker"])

def demo_without_second_factor() -> bool:
    """The demo's administrators log in with the printed password only, unless the
    operator set PREAU_ADMIN_SECOND_FACTOR (this process serves the demo: the setting is
    changed for it alone). Returns whether it was turned off."""
    if os.environ.get("PREAU_ADMIN_SECOND_FACTOR", "").strip():
        return False
    settings.PREAU_ADMIN_SECOND_FACTOR = False
    return True


# (login, role) of the five fixed personas; the roles are shown translated.
PERSONAS = [
    ("demo.admin", gettext_noop("ENT administrator")),
    ("demo.directeur", gettext_noop("Head teacher of Les Tilleuls, school administrator")),
    ("demo.enseignant", gettext_noop("Teacher of CM2 — Les Tilleuls")),
    ("demo.eleve", gettext_noop("Pupil of CM2 — Les Tilleuls")),
    ("demo.parent", gettext_noop("Parent of demo.eleve and of a pupil of Les Coquelicots")),
]
COUNT_LABELS = [
    ("schools", gettext_noop("Schools")),
    ("classes", gettext_noop("Classes of the current year")),
    ("Student", gettext_noop("Pupils")),
    ("Relative", gettext_noop("Parents (and foster families)")),
    ("Teacher", gettext_noop("Teachers")),
    ("Personnel", gettext_noop("Staff (and the ENT administrator)")),
    ("Guest", gettext_noop("Guests")),
]


class Command(BaseCommand):
    help = ("Migrates the database, loads the fictitious demo académie (once), prints the "
            "demo logins and serves Préau on http://127.0.0.1:PORT.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", dest="no_serve",
                            help="Load and print the logins, then exit without serving.")
        parser.add_argument("--port", type=int, default=8000,
                            help="Port to serve on, on 127.0.0.1 (default 8000).")

    def handle(self, *args: Any, no_serve: bool = False, port: int = 8000,
               **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        report = load_demo()
        if report.loaded:
            self.stdout.write(self.style.SUCCESS(
                _("Demo académie loaded in %(seconds).1f s.") % {"seconds": report.seconds}))
            if report.feed_run is not None:
                self.stdout.write(_(
                    "Its schools, classes and people came through the feed: import run "
                    "%(run)s of the files in %(folder)s (console: Administration → "
                    "Feeds).") % {"run": report.feed_run.pk, "folder": feed_dir()})
        else:
            self.stdout.write(_("The demo académie is already loaded: nothing changed."))
        path = write_logins_file()
        self._print_logins()
        self._print_counts(demo_counts())
        self.stdout.write(_("Every demo login with its activation code is in %(path)s.")
                          % {"path": path})
        if no_serve:
            return
        # WhiteNoise serves the static files from the finders; it only warns when
        # STATIC_ROOT is missing, so make sure it exists.
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        if demo_without_second_factor():
            self.stdout.write(_("The demo serves without the administrators' second factor "
                                "(PREAU_ADMIN_SECOND_FACTOR=true to try it)."))
        self.stdout.write(_("Préau is served on http://127.0.0.1:%(port)d/ (Ctrl-C to stop).")
                          % {"port": port})
        worker = start_job_worker()
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(10)

    def _print_logins(self) -> None:
        login_title, password_title, role_title = _("Login"), _("Password"), _("Role")
        rows = [(login, settings.PREAU_DEMO_PASSWORD, _(role)) for login, role in PERSONAS]
        width_login = max(len(login_title), *(len(r[0]) for r in rows))
        width_password = max(len(password_title), len(settings.PREAU_DEMO_PASSWORD))
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo logins")))
        self.stdout.write(f"  {login_title:<{width_login}}  {password_title:<{width_password}}"
                          f"  {role_title}")
        for login, password, role in rows:
            self.stdout.write(f"  {login:<{width_login}}  {password:<{width_password}}  {role}")
        self.stdout.write("")

    def _print_counts(self, counts: dict[str, int]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(_("The demo académie")))
        labels = [(_(label), counts.get(key, 0)) for key, label in COUNT_LABELS]
        width = max(len(label) for label, _count in labels)
        for label, count in labels:
            self.stdout.write(f"  {label:<{width}}  {count:>4}")
        self.stdout.write("")
