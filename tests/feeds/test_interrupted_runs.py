"""A run whose process died (killed command, killed worker) does not stay "running".

The end-to-end test kills a real `do_import` in a child process in the middle of its
transaction (on its own SQLite file, as the default installation runs), then checks that
nothing of it is in the directory and that `preau feed show` reports it as interrupted.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from preau.feeds.actions import do_approve_run, do_import, do_settle_interrupted_runs
from preau.feeds.liveness import (
    current_worker,
    database_session,
    is_interrupted,
    process_alive,
)
from preau.feeds.models import FeedRun
from tests.feeds.helpers import DATA

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ONDE_UAI = "0610001A"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def running_run(**fields) -> FeedRun:
    defaults = {"format": "aaf1d", "source": "AAF1D", "prefix": "lille",
                "status": FeedRun.Status.RUNNING, "actor_label": "cron",
                "worker": f"{socket.gethostname()} {dead_pid()} 1"}
    return FeedRun.objects.create(**{**defaults, **fields})


# -- Liveness -----------------------------------------------------------------------------


def test_a_run_of_a_live_process_is_not_interrupted():
    run = running_run(worker=current_worker(), db_session=database_session())
    assert process_alive(os.getpid())
    assert not is_interrupted(run)
    assert do_settle_interrupted_runs() == []
    run.refresh_from_db()
    assert run.status == FeedRun.Status.RUNNING


def test_a_run_whose_process_is_gone_is_interrupted():
    assert is_interrupted(running_run())
    applied = running_run(status=FeedRun.Status.APPLIED)
    assert not is_interrupted(applied)  # only running runs


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_recycled_process_id_is_not_taken_for_the_run():
    host, pid, _start = current_worker().split()
    assert is_interrupted(running_run(worker=f"{host} {pid} 1"))  # same pid, other start


def test_another_host_without_session_falls_back_on_age():
    old = timezone.now() - datetime.timedelta(hours=25)
    assert is_interrupted(running_run(worker="elsewhere 12 34", started_at=old))
    assert not is_interrupted(running_run(worker="elsewhere 12 34"))
    assert is_interrupted(running_run(worker="", started_at=old))  # recorded before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL sessions")
def test_on_postgresql_the_database_session_tells():
    session = database_session()
    assert session.startswith(f"{connection.connection.info.backend_pid}@")
    assert not is_interrupted(running_run(worker="elsewhere 1 1", db_session=session))
    gone = "1@2000-01-01T00:00:00+00:00"
    assert is_interrupted(running_run(worker="elsewhere 1 1", db_session=gone))


# -- Settling -----------------------------------------------------------------------------


def test_an_interrupted_upload_fails_with_a_french_message(settings, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "CSVExtraction-eleves.csv").write_text("personal data")
    run = running_run(options={"upload": str(upload)}, report={})
    (settled,) = do_settle_interrupted_runs()
    assert settled.pk == run.pk
    run.refresh_from_db()
    assert run.status == FeedRun.Status.FAILED and run.finished_at is not None
    assert run.message.startswith("Interrompu") and "Rien n'a été importé" in run.message
    assert run.report["interrupted"] is True and run.report["status"] == "failed"
    assert not upload.exists() and "upload" not in run.options
    assert do_settle_interrupted_runs() == []  # once


def test_interrupted_runs_are_shown_as_such(personas, client_for):
    run = running_run()
    client = client_for(personas.ent_admin)
    fragment = client.get(reverse("console:feeds:progress", args=[run.pk]))
    assert fragment["HX-Refresh"] == "true" and "hx-get" not in fragment.content.decode()
    page = client.get(reverse("console:feeds:run", args=[run.pk])).content.decode()
    assert "Échec" in page and "interrompu" in page and "Interrompu" in page
    listing = client.get(reverse("console:feeds:runs")).content.decode()
    assert "interrompu" in listing


def test_the_command_line_reports_an_interrupted_run():
    run = running_run()
    out = StringIO()
    call_command("feed", "show", str(run.pk), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["status"], report["interrupted"]) == ("failed", True)
    other = running_run()
    err = StringIO()
    call_command("feed", "lifecycle", stdout=StringIO(), stderr=err)
    assert f"{other.pk}" in err.getvalue() and "Interrompu" in err.getvalue()


def test_an_interrupted_approval_is_held_again(personas):
    personas.academy.feeds_frozen = True
    personas.academy.save()
    from preau.directory.models import Structure
    Structure.objects.create(uai=ONDE_UAI, name="École Alençon", academy=personas.academy,
                             has_feed=False)
    run = do_import(sorted((DATA / "onde-csv").glob("*.csv")), format="onde-csv",
                    school=ONDE_UAI, hold=True)
    assert run.status == FeedRun.Status.HELD
    issues = run.issues.count()
    FeedRun.objects.filter(pk=run.pk).update(  # what a killed `preau feed approve` leaves
        status=FeedRun.Status.RUNNING, worker=f"{socket.gethostname()} {dead_pid()} 1",
        approved_label="admin")
    do_settle_interrupted_runs()
    run.refresh_from_db()
    assert run.status == FeedRun.Status.HELD and run.approved_label == ""
    assert "approuvez-le de nouveau" in run.message and run.report["interrupted"]
    assert run.issues.count() == issues  # kept until an approval finishes
    do_approve_run(run, actor_label="admin")
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED and not run.stored_files
    assert run.counts["Student"]["created"] == 247


KILLED_IMPORT = textwrap.dedent("""
    import datetime, os, signal, sys
    import django
    django.setup()
    from preau.directory.models import SchoolYear
    from preau.feeds import importer
    from preau.feeds.actions import do_import
    from preau.feeds.synthetic import generate

    SchoolYear.objects.create(name="2025-2026", start=datetime.date(2025, 9, 1),
                              end=datetime.date(2026, 7, 4), is_current=True)
    paths = generate(sys.argv[1], schools=2)

    def killed(self):
        # every account, class and link of the run is written by now, uncommitted
        os.kill(os.getpid(), signal.SIGKILL)

    importer.Importer._missing = killed
    do_import(paths, format="aaf1d", academy="lille")
""")


def test_a_killed_import_leaves_nothing_and_is_reported_interrupted(tmp_path):
    env = {**os.environ, "PREAU_DATA_DIR": str(tmp_path / "data"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'killed.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "preau.settings", "PREAU_TASKS_BACKEND": "immediate"}

    def preau(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "preau", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=check)

    preau("migrate", "--verbosity", "0")
    child = subprocess.run([sys.executable, "-c", KILLED_IMPORT, str(tmp_path / "files")],
                           env=env, cwd=ROOT, capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    stats = json.loads(preau("directory", "stats", "--json").stdout)
    assert (stats["users"], stats["structures"], stats["classes_active"]) == (0, 0, 0)
    report = json.loads(preau("feed", "show", "1", "--json").stdout)
    assert report["status"] == "failed" and report["interrupted"] is True
    assert "Interrompu" in report["message"]
    again = preau("feed", "import", "--format", "aaf1d", "--academy", "lille",
                  str(tmp_path / "files"), "--json", check=False)
    assert again.returncode == 0, again.stderr  # nothing blocks the next run
    created = json.loads(again.stdout)["totals"]["created"]
    assert created > 600
    assert json.loads(preau("directory", "stats", "--json").stdout)["users"] == created
