"""Console pages of the feeds: who sees what, uploads, approvals, the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.directory.models import SchoolAdmin, Structure
from preau.feeds.models import FeedIssue, FeedRun
from tests.feeds.helpers import DATA

pytestmark = pytest.mark.django_db
ONDE_UAI = "0610001A"
USERS = ("teacher", "pupil", "parent", "guest", "school_admin", "ent_admin", None)


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path


@pytest.fixture
def onde_school(personas):
    school = Structure.objects.create(uai=ONDE_UAI, name="École Alençon",
                                      academy=personas.academy, has_feed=False)
    SchoolAdmin.objects.create(user=personas.school_admin, structure=school)
    return school


def user_of(personas, name):
    return getattr(personas, name) if name else None


def onde_files(replace: dict[str, dict[bytes, bytes]] | None = None,
               ) -> list[SimpleUploadedFile]:
    files = []
    for path in sorted((DATA / "onde-csv").glob("*.csv")):
        data = path.read_bytes()
        for old, new in (replace or {}).get(path.name, {}).items():
            data = data.replace(old, new, 1)
        files.append(SimpleUploadedFile(path.name, data, content_type="text/csv"))
    return files


def upload(client, school, files, fmt="onde-csv", **extra):
    return client.post(reverse("console:feeds:upload"), {
        "format": fmt, "school": school.pk if school else "", "feed_files": files, **extra},
        follow=False)


def make_run(**fields) -> FeedRun:
    defaults = {"format": "aaf1d", "source": "aaf1d", "prefix": "lille",
                "status": FeedRun.Status.APPLIED, "actor_label": "cron",
                "report": {"run": 0, "status": "applied", "totals": {"created": 3}}}
    return FeedRun.objects.create(**{**defaults, **fields})


# -- Permission matrix ------------------------------------------------------------------------

EXPECTED = {"ent_admin": 200, "school_admin": 200, "teacher": 403, "pupil": 403,
            "parent": 403, "guest": 403, None: 302}


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("page", ["console:feeds:runs", "console:feeds:upload"])
def test_pages_permission_matrix(personas, client_for, name, page):
    response = client_for(user_of(personas, name)).get(reverse(page))
    assert response.status_code == EXPECTED[name]
    if name is None:
        assert "/connexion" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("page", ["run", "json", "progress"])
def test_run_pages_permission_matrix(personas, client_for, name, page):
    school_run = make_run(format="onde-csv", source="onde", school=personas.school,
                          school_uai=personas.school.uai)
    academy_run = make_run()
    expected_school = EXPECTED[name]
    expected_academy = 404 if name == "school_admin" else EXPECTED[name]
    client = client_for(user_of(personas, name))
    url = f"console:feeds:{page}"
    assert client.get(reverse(url, args=[school_run.pk])).status_code == expected_school
    assert client.get(reverse(url, args=[academy_run.pk])).status_code == expected_academy


def test_school_admin_sees_only_their_schools_runs(personas, client_for):
    mine = make_run(format="csv", source="csv", school=personas.school,
                    school_uai=personas.school.uai)
    other = make_run(format="csv", source="csv", school=personas.other_school,
                     school_uai=personas.other_school.uai)
    academy = make_run()
    page = client_for(personas.school_admin).get(reverse("console:feeds:runs")).content.decode()
    assert reverse("console:feeds:run", args=[mine.pk]) in page
    assert reverse("console:feeds:run", args=[other.pk]) not in page
    assert reverse("console:feeds:run", args=[academy.pk]) not in page
    assert "Suspendre" not in page  # the freeze is for ENT admins
    admin_page = client_for(personas.ent_admin).get(reverse("console:feeds:runs"))
    for run in (mine, other, academy):
        assert reverse("console:feeds:run", args=[run.pk]) in admin_page.content.decode()


def test_feeds_tab_for_every_console_user(personas, client_for):
    """School admins import ONDE and CSV files for their schools: they get the tab too."""
    url = reverse("console:feeds:runs")
    assert url in client_for(personas.ent_admin).get(reverse("console:index")).content.decode()
    assert url in client_for(personas.school_admin).get(
        reverse("console:index")).content.decode()
    assert client_for(personas.teacher).get(reverse("console:index")).status_code == 403


# -- Uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ent_admin", "school_admin"])
def test_upload_onde_files_applies_the_run(personas, client_for, onde_school, name):
    client = client_for(getattr(personas, name))
    response = upload(client, onde_school, onde_files())
    run = FeedRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:feeds:run", args=[run.pk])
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert run.actor == getattr(personas, name)
    assert {p: c["created"] for p, c in run.counts.items()} == {
        "Student": 247, "Teacher": 14, "Relative": 469}
    assert "upload" not in run.options
    page = client.get(response["Location"]).content.decode()
    assert "Appliqué" in page and "247" in page
    assert run.files[0]["sha256"] in page


def test_uploaded_files_are_removed_after_the_run(personas, client_for, onde_school,
                                                 tmp_path):
    upload(client_for(personas.ent_admin), onde_school, onde_files())
    uploads = tmp_path / "feeds" / "uploads"
    assert uploads.is_dir() and not any(uploads.iterdir())


def test_malformed_file_fails_with_the_line_shown(personas, client_for, onde_school):
    files = onde_files({"CSVExtraction-eleves.csv": {b'"2006-01-04"': b'"2006-02-31"'}})
    client = client_for(personas.ent_admin)
    upload(client, onde_school, files)
    run = FeedRun.objects.get()
    assert run.status == FeedRun.Status.FAILED
    issue = FeedIssue.objects.get(run=run)
    assert (issue.file, issue.line) == ("CSVExtraction-eleves.csv", 3)
    page = client.get(reverse("console:feeds:run", args=[run.pk])).content.decode()
    assert "CSVExtraction-eleves.csv" in page and "<td class=\"number\">3</td>" in page
    assert "Échec" in page


def test_unreadable_values_are_warnings_listed_on_the_run_page(personas, client_for,
                                                                onde_school):
    """A bad e-mail and a director value that is neither oui nor non: the run is applied,
    and the page lists each value left out with its file and line, in French."""
    files = onde_files({
        "CSVExtraction-enseignants.csv": {b'"non";"TPS"': b'"SANS OBJET$?";"TPS"'},
        "CSVExtraction-responsables.csv": {b'"Alen\xe7on";;;': b'"Alen\xe7on";;"@";'}})
    client = client_for(personas.ent_admin)
    upload(client, onde_school, files)
    run = FeedRun.objects.get()
    assert run.status == FeedRun.Status.APPLIED, run.message
    warnings = list(FeedIssue.objects.filter(run=run, code="unreadable-value")
                    .values_list("file", "line", "severity"))
    assert warnings == [("CSVExtraction-enseignants.csv", 2, "warning"),
                        ("CSVExtraction-responsables.csv", 2, "warning")]
    page = client.get(reverse("console:feeds:run", args=[run.pk])).content.decode()
    assert "Appliqué" in page and "Avertissement" in page
    assert "valeur illisible « SANS OBJET$? » (Directeur" in page
    assert "adresse électronique illisible « @ » (Courriel)" in page
    assert "valeur ignorée, le reste de la fiche est importé" in page


@pytest.mark.parametrize("name", [".hidden.csv", "notes.txt", "a;b.csv", "..csv"])
def test_bad_file_names_are_refused(personas, client_for, onde_school, tmp_path, name):
    bad = SimpleUploadedFile(name, b"a;b\n")
    response = upload(client_for(personas.ent_admin), onde_school, [bad])
    assert response.status_code == 200
    assert not FeedRun.objects.exists()
    text = response.content.decode()
    assert "Nom de fichier inattendu" in text or "ne correspond pas au format" in text
    assert not (tmp_path / "feeds" / "uploads").exists() or not any(
        (tmp_path / "feeds" / "uploads").iterdir())


def test_path_traversal_file_name_stays_in_the_upload_folder(personas, client_for,
                                                             onde_school, tmp_path):
    bad = SimpleUploadedFile("x.csv", b"a;b\n")
    bad.name = "../../../evil.csv"  # what a hostile client may send
    upload(client_for(personas.ent_admin), onde_school, [bad])
    assert not (tmp_path / "evil.csv").exists()
    assert not (tmp_path / "feeds" / "evil.csv").exists()
    for run in FeedRun.objects.all():
        assert all("/" not in f["name"] for f in run.files)


def test_school_admin_may_not_upload_aaf_or_for_another_school(personas, client_for,
                                                              onde_school):
    client = client_for(personas.school_admin)
    aaf = upload(client, None, [SimpleUploadedFile("ENT_Complet_20200101_Eleve_0000.xml",
                                                   b"<x/>")], fmt="aaf1d", academy="lille")
    assert aaf.status_code == 200 and not FeedRun.objects.exists()  # not among the choices
    other = upload(client, personas.other_school, onde_files())
    assert other.status_code == 200 and not FeedRun.objects.exists()  # not among the choices


def test_dry_run_upload_changes_nothing(personas, client_for, onde_school):
    upload(client_for(personas.ent_admin), onde_school, onde_files(), dry_run="on")
    run = FeedRun.objects.get()
    assert run.status == FeedRun.Status.DRY_RUN and run.dry_run
    assert not Structure.objects.get(pk=onde_school.pk).attachments.exists()


# -- Held runs, JSON, progress, freeze --------------------------------------------------------


def test_held_run_approved_from_the_page(personas, client_for, onde_school):
    personas.academy.feeds_frozen = True
    personas.academy.save()
    client = client_for(personas.ent_admin)
    from preau.feeds.actions import do_import  # a held run needs --hold (command line)
    paths = sorted((DATA / "onde-csv").glob("*.csv"))
    run = do_import(paths, format="onde-csv", school=ONDE_UAI, hold=True)
    assert run.status == FeedRun.Status.HELD
    page = client.get(reverse("console:feeds:run", args=[run.pk])).content.decode()
    assert reverse("console:feeds:approve", args=[run.pk]) in page
    school_admin = client_for(personas.school_admin)
    assert school_admin.post(reverse("console:feeds:approve", args=[run.pk])).status_code == 403
    assert client.get(reverse("console:feeds:approve", args=[run.pk])).status_code == 405
    response = client.post(reverse("console:feeds:approve", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED and run.approved_by == personas.ent_admin
    assert run.counts["Student"]["created"] == 247


def test_held_run_rejected_from_the_page(personas, client_for, onde_school):
    personas.academy.feeds_frozen = True
    personas.academy.save()
    from preau.feeds.actions import do_import
    run = do_import(sorted((DATA / "onde-csv").glob("*.csv")), format="onde-csv",
                    school=ONDE_UAI, hold=True)
    client_for(personas.ent_admin).post(reverse("console:feeds:reject", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == FeedRun.Status.REFUSED and not run.stored_files


def test_json_report(personas, client_for, onde_school):
    client = client_for(personas.ent_admin)
    upload(client, onde_school, onde_files())
    run = FeedRun.objects.get()
    response = client.get(reverse("console:feeds:json", args=[run.pk]))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["run"] == run.pk and data["status"] == "applied"
    assert data["counts"]["Student"]["created"] == 247


def test_progress_fragment_polls_while_running(personas, client_for):
    run = make_run(status=FeedRun.Status.QUEUED)
    client = client_for(personas.ent_admin)
    url = reverse("console:feeds:progress", args=[run.pk])
    fragment = client.get(url).content.decode()
    assert f'hx-get="{url}"' in fragment and 'hx-trigger="every 2s"' in fragment
    assert "En attente" in fragment
    page = client.get(reverse("console:feeds:run", args=[run.pk])).content.decode()
    assert f'hx-get="{url}"' in page and "<script" not in page.split("<main")[-1]
    run.status = FeedRun.Status.RUNNING
    run.options = {"upload": str(run.pk)}
    run.save()
    assert "En cours" in client.get(url).content.decode()
    run.status = FeedRun.Status.APPLIED
    run.save()
    done = client.get(url)
    assert "hx-get" not in done.content.decode() and done["HX-Refresh"] == "true"


def test_progress_fragment_shows_records_handled(personas, client_for, tmp_path):
    folder = tmp_path / "up"
    folder.mkdir()
    (folder / "progress.json").write_text('{"stage": "people", "done": 4000}')
    run = make_run(status=FeedRun.Status.RUNNING, options={"upload": str(folder)})
    fragment = client_for(personas.ent_admin).get(
        reverse("console:feeds:progress", args=[run.pk])).content.decode()
    assert "4000" in fragment


@pytest.mark.parametrize("name", USERS)
def test_freeze_toggle_permissions(personas, client_for, name):
    url = reverse("console:feeds:academy_freeze", args=[personas.academy.pk])
    response = client_for(user_of(personas, name)).post(url, {"frozen": "1"})
    personas.academy.refresh_from_db()
    if name == "ent_admin":
        assert response.status_code == 302 and personas.academy.feeds_frozen
    else:
        assert response.status_code == (302 if name is None else 403)
        assert not personas.academy.feeds_frozen


def test_freeze_toggle_resumes(personas, client_for, caplog):
    personas.academy.feeds_frozen = True
    personas.academy.save()
    client = client_for(personas.ent_admin)
    page = client.get(reverse("console:feeds:runs")).content.decode()
    assert "Reprendre" in page
    with caplog.at_level("INFO", logger="preau.feeds"):
        client.post(reverse("console:feeds:academy_freeze", args=[personas.academy.pk]),
                    {"frozen": "0"})
    personas.academy.refresh_from_db()
    assert not personas.academy.feeds_frozen
    assert personas.ent_admin.login in caplog.text


def test_approval_from_the_page_goes_to_the_background_job(personas, client_for, onde_school,
                                                           settings, monkeypatch):
    """A held run approved in the console waits for the worker, which applies it with a
    progress line; the command line's `preau feed approve` stays synchronous."""
    from preau.feeds import actions
    from preau.feeds.actions import do_import, do_run_queued_approval

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    personas.academy.feeds_frozen = True
    personas.academy.save()
    run = do_import(sorted((DATA / "onde-csv").glob("*.csv")), format="onde-csv",
                    school=ONDE_UAI, hold=True)
    client = client_for(personas.ent_admin)
    response = client.post(reverse("console:feeds:approve", args=[run.pk]), follow=True)
    run.refresh_from_db()
    assert run.status == FeedRun.Status.QUEUED and run.options["approval"] is True
    assert run.approved_by == personas.ent_admin
    assert not Structure.objects.get(pk=onde_school.pk).attachments.exists()  # not applied
    text = response.content.decode()
    assert "appliqué en arrière-plan" in text and "en attente du traitement" in text
    url = reverse("console:feeds:progress", args=[run.pk])
    assert f'hx-get="{url}"' in text
    again = client.post(reverse("console:feeds:approve", args=[run.pk]), follow=True)
    assert "pas en attente" in again.content.decode()

    seen: list[int | None] = []
    real = actions.do_import

    def spying(paths, **kwargs):
        assert all(p.name != actions.PROGRESS_FILE for p in paths)
        kwargs["progress"]("people", 2000)
        seen.append(actions.run_progress(kwargs["approving"]))
        return real(paths, **kwargs)

    monkeypatch.setattr(actions, "do_import", spying)
    stored = run.stored_files
    do_run_queued_approval(run)  # what the worker's task does
    run.refresh_from_db()
    assert seen == [2000]
    assert run.status == FeedRun.Status.APPLIED and run.approved_at is not None
    assert run.counts["Student"]["created"] == 247 and "approval" not in run.options
    assert not run.stored_files and not Path(stored).exists()


def test_approval_task_runs_with_the_immediate_backend(personas, client_for, onde_school):
    from preau.feeds.actions import do_import, do_queue_approval
    from preau.feeds.tasks import apply_held_run

    personas.academy.feeds_frozen = True
    personas.academy.save()
    run = do_import(sorted((DATA / "onde-csv").glob("*.csv")), format="onde-csv",
                    school=ONDE_UAI, hold=True)
    with pytest.raises(PermissionDenied):
        do_queue_approval(run, personas.school_admin)
    do_queue_approval(run, personas.ent_admin)
    assert apply_held_run.enqueue(run.pk).return_value == "applied"
