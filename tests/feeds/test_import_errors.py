"""A malformed file changes nothing and says where it is wrong; refusals say why."""

from __future__ import annotations

import shutil

import pytest

from preau.accounts.models import User
from preau.directory.models import Academy, SchoolYear, Structure
from preau.feeds.models import FeedIssue, FeedRun
from tests.feeds.helpers import DATA, line_of
from tests.feeds.importing import (
    build_world,
    current_year,
    directory_fingerprint,
    run_import,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return current_year()


def _corrupt(path, old: str, new: str) -> int:
    """Replaces `old` (first occurrence) and returns the line it was on."""
    data = path.read_bytes()
    line = line_of(data, old)
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))
    return line


def test_bad_xml_in_the_last_file_changes_nothing(year, tmp_path):
    world = build_world()
    paths = world.write(tmp_path / "feed")
    staff = next(p for p in paths if "PersEducNat" in p.name)
    line = _corrupt(staff, "</attributes>", "</attribute>")
    before = directory_fingerprint()
    run = run_import(paths)
    assert run.status == FeedRun.Status.FAILED
    assert directory_fingerprint() == before  # pupils and schools, read first: rolled back
    assert not Academy.objects.exists() and run.academy is None
    assert staff.name in run.message and "XML mal formé" in run.message
    issue = FeedIssue.objects.get(run=run)
    assert (issue.file, issue.line, issue.code, issue.severity) == (
        staff.name, line, "xml-syntax", "error")
    assert run.report["issues"][0]["line"] == line


def test_a_record_without_id_changes_nothing_and_names_the_line(year, tmp_path):
    """A record without an id cannot be told from an account that left: the file is
    refused (a bad value elsewhere is a warning: tests/feeds/test_liberal_values.py)."""
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    paths = world.write(tmp_path / "second")
    pupils = next(p for p in paths if "_Eleve_" in p.name)
    line = _corrupt(pupils, "<id>E00002</id>", "<id></id>")
    _corrupt(pupils, '<value>E00002</value>', "<value></value>")
    before = directory_fingerprint()
    run = run_import(paths)
    assert run.status == FeedRun.Status.FAILED
    assert directory_fingerprint() == before
    assert run.message.startswith(f"{pupils.name}, ligne ")
    assert "identifiant de personne manquant" in run.message
    [(file, at, code)] = run.issues.values_list("file", "line", "code")
    assert (file, code) == (pupils.name, "missing-value") and at is not None and at < line
    assert run.report["counts"] == {}


def test_bad_onde_file_changes_nothing(year, tmp_path):
    academy = Academy.objects.create(code="09", name="Lille", feed_prefix="lille")
    Structure.objects.create(uai="0610001A", name="École", academy=academy, has_feed=False)
    folder = tmp_path / "onde"
    shutil.copytree(DATA / "onde-csv", folder)
    path = folder / "CSVExtraction-eleves.csv"
    path.write_bytes(path.read_bytes().replace(b'"2006-01-04"', b'"2006-02-31"', 1))
    run = run_import(folder, fmt="onde-csv", academy="", school="0610001A")
    assert run.status == FeedRun.Status.FAILED
    assert not User.objects.exists()
    issue = run.issues.get()
    assert (issue.file, issue.line, issue.code) == ("CSVExtraction-eleves.csv", 3,
                                                    "impossible-date")


def test_unknown_file_name_is_refused_before_reading(year, tmp_path):
    path = tmp_path / "eleves.xml"
    path.write_text("<ficAlimMENESR/>")
    run = run_import([path])
    assert run.status == FeedRun.Status.FAILED
    assert "nom de fichier AAF inattendu" in run.message


def test_relatives_without_pupils_are_refused(year, tmp_path):
    paths = build_world().write(tmp_path / "feed", kinds=("relatives",))
    run = run_import(paths)
    assert run.status == FeedRun.Status.REFUSED
    assert "PersRelEleve" in run.message
    assert not User.objects.exists()


def test_refusals(tmp_path):
    paths = build_world().write(tmp_path / "feed")
    no_year = run_import(paths)
    assert no_year.status == FeedRun.Status.REFUSED
    assert "année scolaire" in no_year.message
    SchoolYear.objects.create(name="2023-2024", start="2023-09-01", end="2024-07-06",
                              is_current=True)
    assert run_import(paths, academy="").status == FeedRun.Status.REFUSED
    onde = run_import(DATA / "onde-csv", fmt="onde-csv", academy="", school="0000000X")
    assert onde.status == FeedRun.Status.REFUSED and "0000000X" in onde.message
    assert run_import(DATA / "onde-csv", fmt="onde-csv", academy="").status == \
        FeedRun.Status.REFUSED
    missing = run_import([tmp_path / "nowhere.xml"])
    assert missing.status == FeedRun.Status.FAILED
    assert not User.objects.exists()
    assert FeedRun.objects.count() == 5
