"""Real feed files carry values no specification shows (`-` for an empty code, `SANS OBJET`,
empty `<value/>`, odd separators). A value that cannot be understood in an attribute that
does not identify the person or the school never fails the run: the record is imported
without it and the run lists a warning naming the file, the line, the attribute and the
value (issue 14)."""

from __future__ import annotations

import pytest

from preau.accounts.models import State, User
from preau.directory.models import GroupKind, Membership, RelativeLink, StructureAttachment
from preau.feeds.models import FeedIssue, FeedRun
from tests.feeds.helpers import line_of
from tests.feeds.importing import build_world, current_year, run_import

pytestmark = pytest.mark.django_db

FUNCTIONS = '<attr name="ENTPersonFonctions">'


@pytest.fixture
def year():
    return current_year()


def _inject(path, old: str, new: str) -> int:
    """Replaces the first `old` by `new` in the file; returns the line of the change."""
    data = path.read_bytes()
    line = line_of(data, old)
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))
    return line


def _file(paths, kind: str):
    return next(p for p in paths if f"_{kind}_" in p.name)


def test_a_sans_objet_function_does_not_fail_the_academie_run(year, tmp_path):
    """The finding: `50247$-$SANS OBJET$-$SANS OBJET` in a staff member's functions."""
    paths = build_world().write(tmp_path / "feed")
    staff = _file(paths, "PersEducNat")
    odd = "50247$-$SANS OBJET$-$SANS OBJET"
    line = _inject(staff, FUNCTIONS, f"{FUNCTIONS}<value>{odd}</value>")
    run = run_import(paths)
    assert run.status == FeedRun.Status.APPLIED, run.message
    teacher = User.objects.get(external_id="T00")
    assert teacher.state == State.PENDING
    attachment = StructureAttachment.objects.get(user=teacher)
    assert attachment.functions == ["ENSEIGNEMENT"]  # the readable function is kept
    issue = FeedIssue.objects.get(run=run, code="unreadable-value")
    assert issue.severity == FeedIssue.Severity.WARNING
    assert (issue.file, issue.line) == (staff.name, line)
    assert "ENTPersonFonctions" in issue.message and f"« {odd} »" in issue.message
    assert User.objects.count() == 12 + 12 + 3  # every pupil, parent and teacher


def test_a_relative_record_with_odd_values_is_imported(year, tmp_path):
    """`PersRelEleve`: `-` (read as empty: no warning), an empty `<value/>`, a bad e-mail:
    the parents are imported anyway."""
    paths = build_world().write(tmp_path / "feed")
    relatives = _file(paths, "PersRelEleve")
    _inject(relatives, "<value>parent1@example.org</value>", "<value>-</value><value/>")
    line = _inject(relatives, "<value>parent2@example.org</value>",
                   "<value>parent2 chez example.org</value>")
    run = run_import(paths)
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert User.objects.get(external_id="R00001").email == ""
    assert User.objects.get(external_id="R00002").email == ""
    [issue] = FeedIssue.objects.filter(run=run, code="unreadable-value")
    assert (issue.file, issue.line, issue.severity) == (relatives.name, line, "warning")
    assert "« parent2 chez example.org » (ENTPersonMail)" in issue.message


def test_a_pupil_refused_for_its_name_is_not_marked_missing(year, tmp_path):
    """Identity (id, names, school) may refuse a record, never the run; the refused
    record's account counts as listed."""
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    paths = world.write(tmp_path / "second")
    pupils = _file(paths, "Eleve")
    data = pupils.read_bytes()
    start = data.index(b"<value>E00002</value>")
    name = data.index(b'<attr name="ENTPersonNom">', start)
    end = data.index(b"</attr>", name) + len(b"</attr>")
    pupils.write_bytes(data[:name] + data[end:])
    run = run_import(paths)
    assert run.status == FeedRun.Status.APPLIED, run.message
    pupil = User.objects.get(external_id="E00002")
    assert pupil.state == State.PENDING and pupil.missing_since is None
    assert run.report["totals"]["missing"] == 0  # nor its parent, whom it still designates
    assert User.objects.get(external_id="R00002").state == State.PENDING
    # Its class, school and parent link are left as they were.
    assert RelativeLink.objects.filter(student=pupil, relative__external_id="R00002").exists()
    assert Membership.objects.filter(user=pupil, group__kind=GroupKind.CLASS).exists()
    assert StructureAttachment.objects.filter(user=pupil).exists()
    issue = FeedIssue.objects.get(run=run, severity=FeedIssue.Severity.ERROR)
    assert (issue.file, issue.code) == (pupils.name, "missing-value")
    assert issue.message == "fiche refusée : nom manquant"


def test_a_new_person_refused_for_its_name_is_not_created(year, tmp_path):
    paths = build_world().write(tmp_path / "feed")
    staff = _file(paths, "PersEducNat")
    _inject(staff, "<value>Camille</value>", "<value>-</value>")
    run = run_import(paths)
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert not User.objects.filter(external_id="T00").exists()
    assert User.objects.filter(external_id="T01").exists()
    assert run.issues.get(severity="error").message == "fiche refusée : prénom manquant"


@pytest.mark.parametrize(("old", "new", "what"), [
    ("ST0$$$CP-0$CP A", "ST0$CP-0", "classe"),          # 2 parts in a 1D file
    ("ST0$$$CP-0$CP A", "ST0###CP-0#CP A", "classe"),  # another separator
    ("ST0$$$CP-0$CP A", "$$$$", None),                    # nothing in it: silently empty
    ("R00001", "$R00001", "responsable"),                   # no relative id
])
def test_odd_class_and_relative_values_are_warnings(year, tmp_path, old, new, what):
    world = build_world()
    paths = world.write(tmp_path / "feed")
    pupils = _file(paths, "Eleve")
    data = pupils.read_bytes()
    assert old.encode() in data, old
    pupils.write_bytes(data.replace(f"<value>{old}</value>".encode(),
                                    f"<value>{new}</value>".encode(), 1))
    run = run_import(paths)
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert User.objects.filter(external_id="E00001").exists()
    issues = list(run.issues.filter(code="unreadable-value").values_list("message", flat=True))
    if what is None:
        assert issues == []
    else:
        [message] = issues
        assert message.startswith(f"{what} illisible « {new} »")


def test_feed_show_lists_the_warnings_in_french(year, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    paths = build_world().write(tmp_path / "feed")
    staff = _file(paths, "PersEducNat")
    odd = "50247$-$SANS OBJET$-$SANS OBJET"
    line = _inject(staff, FUNCTIONS, f"{FUNCTIONS}<value>{odd}</value>")
    run = run_import(paths)
    out = StringIO()
    call_command("feed", "show", str(run.pk), stdout=out)
    text = out.getvalue()
    assert "Appliqué" in text
    assert (f"{staff.name}, ligne {line} : fonction illisible « {odd} » (ENTPersonFonctions) "
            ": valeur ignorée, le reste de la fiche est importé") in text
