"""The background import of uploaded runs, and the command line's progress bar."""

from __future__ import annotations

import json
from io import StringIO

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
