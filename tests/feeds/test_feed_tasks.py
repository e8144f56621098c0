"""The background import of uploaded runs, and the command line's progress bar."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from preau.feeds import actions
from preau.feeds.actions import (
    FeedActionError,
    check_upload_name,
    do_queue_import,
    do_run_queued,
    do_set_feeds_frozen,
)
from preau.feeds.models import FeedRun
from preau.feeds.tasks import import_feed_files
from tests.feeds.helpers import DATA

pytestmark = pytest.mark.django_db
ONDE_UAI = "0610001A"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def onde_school(personas):
    from preau.directory.models import Structure
    return Structure.objects.create(uai=ONDE_UAI, name="École Alençon",
                                    academy=personas.academy, has_feed=False)


def onde_uploads() -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(p.name, p.read_bytes())
            for p in sorted((DATA / "onde-csv").glob("*.csv"))]


@pytest.mark.parametrize("name", ["../x.csv", "a/b.csv", "..\\x.csv", "/etc/x.csv", ".x.csv",
                                  "x.txt", "", "x y;.csv", "..csv"])
def test_unsafe_or_unexpected_names_are_refused(name):
    with pytest.raises(FeedActionError):
        check_upload_name(name, "onde-csv")


def test_expected_names_are_kept():
    assert check_upload_name("CSVExtraction-eleves.csv", "onde-csv") == \
        "CSVExtraction-eleves.csv"
    assert check_upload_name("ENT_Complet_20200101_Eleve_0000.xml", "aaf1d")
    with pytest.raises(FeedActionError):
        check_upload_name("ENT_Complet_20200101_Eleve_0000.xml", "csv")


def test_queued_run_waits_for_the_worker(personas, onde_school, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    run = do_queue_import(onde_uploads(), format="onde-csv", actor=personas.ent_admin,
                          school=onde_school)
    result = import_feed_files.enqueue(run.pk)
    run.refresh_from_db()
    assert run.status == FeedRun.Status.QUEUED and result.status == "READY"
    folder = tmp_path / "feeds" / "uploads"
    stored = [p.name for p in next(folder.iterdir()).iterdir()]
    assert sorted(stored) == sorted(f.name for f in onde_uploads())
    assert run.options["upload"].startswith(str(folder))


def test_task_runs_the_queued_import(personas, onde_school, settings):
    settings.TASKS = {"default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    run = do_queue_import(onde_uploads(), format="onde-csv", actor=personas.ent_admin,
                          school=onde_school)
    result = import_feed_files.enqueue(run.pk)
    assert result.return_value == "applied"
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED
    assert run.counts["Student"]["created"] == 247 and run.counts["Teacher"]["created"] == 14
    with pytest.raises(FeedActionError):
        do_run_queued(run)  # a run is imported once


def test_progress_is_written_for_the_console(personas, onde_school, monkeypatch):
    seen: list[dict] = []
    real = actions.do_import

    def spying(paths, **kwargs):
        folder = paths[0].parent
        kwargs["progress"]("people", 2000)
        seen.append(json.loads((folder / actions.PROGRESS_FILE).read_text()))
        queued = kwargs["queued"]
        assert actions.run_progress(queued) == 2000
        return real(paths, **kwargs)

    monkeypatch.setattr(actions, "do_import", spying)
    run = do_queue_import(onde_uploads(), format="onde-csv", actor=personas.ent_admin,
                          school=onde_school)
    do_run_queued(run)
    assert seen == [{"stage": "people", "done": 2000}]
    assert actions.run_progress(run) is None  # the upload folder is gone


def test_school_admin_rights(personas, onde_school):
    with pytest.raises(PermissionDenied):
        do_queue_import(onde_uploads(), format="onde-csv", actor=personas.school_admin,
                        school=onde_school)  # not their school
    with pytest.raises(PermissionDenied):
        do_queue_import(onde_uploads(), format="aaf1d", actor=personas.school_admin,
                        school=personas.school)
    with pytest.raises(PermissionDenied):
        do_queue_import(onde_uploads(), format="onde-csv", actor=personas.teacher,
                        school=personas.school)
    run = do_queue_import(onde_uploads(), format="onde-csv", actor=personas.school_admin,
                          school=personas.school)
    assert run.status == FeedRun.Status.QUEUED and run.school == personas.school


def test_freeze_action(personas):
    with pytest.raises(PermissionDenied):
        do_set_feeds_frozen(personas.academy, True, personas.school_admin)
    do_set_feeds_frozen(personas.academy, True, personas.ent_admin)
    personas.academy.refresh_from_db()
    assert personas.academy.feeds_frozen


def test_command_progress_bar(personas, onde_school):
    err, out = StringIO(), StringIO()
    call_command("feed", "import", "--format", "onde-csv", "--school", ONDE_UAI,
                 "--progress", *sorted(str(p) for p in (DATA / "onde-csv").glob("*.csv")),
                 stdout=out, stderr=err)
    assert "\r" in err.getvalue() and "730" in err.getvalue()
    quiet = StringIO()
    call_command("feed", "import", "--format", "onde-csv", "--school", ONDE_UAI,
                 "--dry-run", *sorted(str(p) for p in (DATA / "onde-csv").glob("*.csv")),
                 stdout=StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""  # not a terminal, no --progress


# -- A queued run whose background task will never run it -----------------------------------

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_console_records_the_task_of_a_queued_upload(personas, onde_school, settings,
                                                          client_for):
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    response = client_for(personas.ent_admin).post(reverse("console:feeds:upload"), {
        "format": "onde-csv", "school": onde_school.pk, "feed_files": onde_uploads()})
    assert response.status_code == 302
    run = FeedRun.objects.get()
    assert run.status == FeedRun.Status.QUEUED
    task = DBTaskResult.objects.get()
    assert run.options["task"] == str(task.pk) and task.status == "READY"


def test_a_worker_killed_after_claiming_the_task_does_not_leave_the_run_queued(
        personas, onde_school, settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    run = do_queue_import(onde_uploads(), format="onde-csv", actor=personas.ent_admin,
                          school=onde_school)
    task = import_feed_files.enqueue(run.pk)
    actions.do_note_task(run, task.id, task.backend)
    upload = Path(run.options["upload"])
    # Waiting for a worker, then just claimed by one: the run is not lost.
    assert actions.do_settle_interrupted_runs() == []
    row = DBTaskResult.objects.get(pk=task.id)
    row.claim("worker-1")
    assert actions.do_settle_interrupted_runs() == []
    run.refresh_from_db()
    assert run.status == FeedRun.Status.QUEUED
    # Claimed long ago and the run never started: the worker died in between.
    DBTaskResult.objects.filter(pk=task.id).update(
        started_at=timezone.now() - timedelta(hours=1))
    (settled,) = actions.do_settle_interrupted_runs()
    assert settled.pk == run.pk
    run.refresh_from_db()
    assert run.status == FeedRun.Status.FAILED and run.report["interrupted"] is True
    assert run.message.startswith("Interrompu") and "arrière-plan" in run.message
    assert not upload.exists() and "upload" not in run.options
    assert actions.do_settle_interrupted_runs() == []
    with pytest.raises(FeedActionError):
        do_run_queued(run)  # a worker that comes back cannot run it twice


def test_a_queued_approval_whose_task_failed_is_held_again(personas, settings):
    from django_tasks_db.models import DBTaskResult

    from preau.directory.models import Structure
    from preau.feeds.tasks import apply_held_run

    personas.academy.feeds_frozen = True
    personas.academy.save()
    Structure.objects.create(uai=ONDE_UAI, name="École Alençon", academy=personas.academy,
                             has_feed=False)
    run = actions.do_import(sorted((DATA / "onde-csv").glob("*.csv")), format="onde-csv",
                            school=ONDE_UAI, hold=True)
    assert run.status == FeedRun.Status.HELD
    settings.TASKS = DATABASE_TASKS
    actions.do_queue_approval(run, personas.ent_admin)
    task = apply_held_run.enqueue(run.pk)
    actions.do_note_task(run, task.id, task.backend)
    assert actions.do_settle_interrupted_runs() == []
    DBTaskResult.objects.get(pk=task.id).set_failed(RuntimeError("worker lost"))
    assert [r.pk for r in actions.do_settle_interrupted_runs()] == [run.pk]
    run.refresh_from_db()
    assert run.status == FeedRun.Status.HELD and run.approved_label == ""
    assert "approuvez-le de nouveau" in run.message and "task" not in run.options
    actions.do_approve_run(run, actor_label="admin")
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED


def test_a_run_without_a_recorded_task_is_never_taken_for_lost(personas, onde_school,
                                                                settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    run = do_queue_import(onde_uploads(), format="onde-csv", actor=personas.ent_admin,
                          school=onde_school)
    task = import_feed_files.enqueue(run.pk)
    actions.do_note_task(run, task.id, task.backend)  # not a database task: not recorded
    run.refresh_from_db()
    assert "task" not in run.options
    assert actions.do_settle_interrupted_runs() == []
