from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import Http404

from preau.directory.actions import do_create_bookmark
from preau.directory.models import (
    ArchivedMembership,
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    SchoolClass,
    SchoolYear,
    StructureAttachment,
)
from preau.documents.access import access_node
from preau.documents.actions import check_create_folder
from preau.documents.models import Node
from preau.sharing.actions import check_share
from preau.sharing.models import Right, Share, Via
from preau.yearchange.models import AuditEntry, YearCalendar
from preau.yearchange.transition import archived_classes_of, run_transition
from tests.documents.helpers import upload

TRANSITION_DAY = datetime.date(2024, 8, 24)


@pytest.fixture
def shared(personas):
    """The guide's end of year: one production shared in each way."""
    p = personas
    class_folder = check_create_folder(p.teacher, "Cahier de la classe")
    pupils = p.school_class.groups.get(profile="Student")
    parents = p.school_class.groups.get(profile="Relative")
    check_share(p.teacher, class_folder, groups=[pupils, parents], rights=[Right.READ])
    by_name = upload(p.teacher, "nominatif.txt", b"by name")
    check_share(p.teacher, by_name, users=[p.pupil], rights=[Right.READ])
    bookmark = do_create_bookmark(p.teacher, "Mes élèves", users=[p.pupil])
    via_bookmark = upload(p.teacher, "favori.txt", b"bookmark")
    check_share(p.teacher, via_bookmark, bookmark=bookmark, rights=[Right.READ])
    manual = Group.objects.create(kind=GroupKind.MANUAL, name="Chorale", owner=p.teacher)
    Membership.objects.create(group=manual, user=p.pupil, source=MembershipSource.MANUAL)
    to_manual = upload(p.teacher, "chorale.txt", b"manual")
    check_share(p.teacher, to_manual, groups=[manual], rights=[Right.READ])
    handed = upload(p.teacher, "pour-le-successeur.txt", b"next teacher")
    check_share(p.teacher, handed, users=[p.colleague], rights=[Right.MANAGE])
    return {"class_folder": class_folder, "by_name": by_name, "via_bookmark": via_bookmark,
            "to_manual": to_manual, "handed": handed, "pupils": pupils, "manual": manual}


def _run(**kwargs):
    return run_transition(today=TRANSITION_DAY, **kwargs).report


def test_plan_changes_nothing_and_says_what_will_go(personas, shared):
    report = _run(dry_run=True)
    assert report["dry_run"] and report["from_year"] == "2023-2024"
    assert report["to_year"] == "2024-2025"
    assert report["shares_purged"] == {"documents": 2, "total": 2}
    assert report["shares_kept"]["total"] == 4
    school = next(s for s in report["schools"] if s["uai"] == personas.school.uai)
    assert school["purged_shares_by_owner"] == {personas.teacher.login: 2}
    assert Share.objects.filter(group=shared["pupils"]).exists()
    assert SchoolYear.objects.get(is_current=True).name == "2023-2024"
    assert not AuditEntry.objects.exists()


def test_run_purges_only_class_group_shares_and_keeps_every_file(personas, shared):
    p = personas
    files_before = Node.objects.count()
    report = _run()
    assert report["errors"] == []
    assert report["shares_purged"]["total"] == 2
    assert SchoolYear.objects.get(is_current=True).name == "2024-2025"
    assert Node.objects.count() == files_before
    # The class-group share is gone for the pupil; every other share is kept.
    with pytest.raises(Http404):
        access_node(p.pupil, shared["class_folder"].pk)
    for key in ("by_name", "via_bookmark", "to_manual"):
        assert access_node(p.pupil, shared[key].pk)
    assert Share.objects.get(resource_id=shared["via_bookmark"].pk).via == Via.BOOKMARK
    assert Right.MANAGE in access_node(p.colleague, shared["handed"].pk).rights
    # Last year's class is archived, its memberships are history, the school stays.
    assert SchoolClass.objects.get(pk=p.school_class.pk).closed_at is not None
    assert not Membership.objects.filter(group__school_class=p.school_class).exists()
    assert list(archived_classes_of(p.pupil)) == [p.school_class]
    assert StructureAttachment.objects.filter(user=p.pupil, structure=p.school).exists()
    assert Membership.objects.filter(group=shared["manual"], user=p.pupil).exists()
    assert Membership.objects.filter(group__kind=GroupKind.STRUCTURE, user=p.pupil).exists()
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.SHARE_PURGED).count() == 2
    assert not StructureAttachment.objects.filter(is_director=True).exists()


def test_second_run_changes_nothing(personas, shared):
    _run()
    again = _run()
    assert again["changes"] == 0
    assert again["shares_purged"]["total"] == 0
    assert again["memberships_ended"]["total"] == 0
    assert ArchivedMembership.objects.filter(user=personas.pupil).count() >= 1


def test_purged_shares_can_become_named_read_shares(personas, shared):
    new_year = SchoolYear.objects.create(name="2024-2025", start=datetime.date(2024, 9, 1),
                                         end=datetime.date(2025, 7, 5))
    YearCalendar.objects.create(
        academy=personas.academy, school_year=new_year, end_of_year=datetime.date(2024, 7, 6),
        first_teachers_feed=datetime.date(2024, 8, 20), transition=TRANSITION_DAY,
        rentree=datetime.date(2024, 9, 2), bascule_onde=datetime.date(2024, 9, 10),
        first_families_feed=datetime.date(2024, 9, 12), convert_purged_shares=True)
    report = _run()
    assert report["shares_converted"]["total"] == 2
    node = access_node(personas.pupil, shared["class_folder"].pk)
    assert node.rights == frozenset({Right.READ})
    assert access_node(personas.parent, shared["class_folder"].pk)


def test_one_school_at_a_time(personas, shared):
    report = _run(structure=personas.other_school)
    assert [s["uai"] for s in report["schools"]] == [personas.other_school.uai]
    assert Share.objects.filter(group=shared["pupils"]).exists()
    assert _run(structure=personas.school)["shares_purged"]["total"] == 2


def test_command_prints_one_json_object(personas, shared):
    out = StringIO()
    call_command("yearchange", "plan", "--json", "--date", "2024-08-24", stdout=out)
    report = json.loads(out.getvalue())
    for key in ("schools", "class_groups_closed", "memberships_ended", "shares_purged",
                "shares_kept", "errors"):
        assert key in report
    out = StringIO()
    call_command("yearchange", "run", "--json", "--date", "2024-08-24",
                 "--school", personas.school.uai, stdout=out)
    assert json.loads(out.getvalue())["shares_purged"]["total"] == 2



def _school_with(personas, uai: str, classes: int, pupils: int):
    from preau.accounts.models import Profile
    from preau.directory.actions import do_add_to_class, do_attach_to_structure, do_create_class
    from preau.directory.models import Structure
    from tests.personas import make_user

    school = Structure.objects.create(uai=uai, name=f"École {uai}", academy=personas.academy)
    do_attach_to_structure(personas.teacher, school)
    for n in range(classes):
        school_class = do_create_class(school, f"C{n}", f"Classe {n}", ["CE1"])
        for m in range(pupils):
            pupil = make_user(f"Élève{n}{m}", uai, Profile.STUDENT)
            do_add_to_class(pupil, school_class, MembershipSource.FEED)
        folder = check_create_folder(personas.teacher, f"Dossier {uai} {n}")
        check_share(personas.teacher, folder, groups=list(school_class.groups.all()),
                    rights=[Right.READ])
    return school


def _transition_queries(school) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from preau.yearchange.models import TransitionRun
    from preau.yearchange.transition import RunContext, transition_school

    ending = SchoolYear.objects.get(name="2023-2024")
    run = TransitionRun.objects.create(from_year=ending, to_year=ending, status="running")
    with CaptureQueriesContext(connection) as queries:
        report = transition_school(school, RunContext(ending=ending, calendars={}), run)
    assert report.shares_purged["documents"] > 0
    return len(queries)


def test_transition_queries_do_not_grow_with_the_school(personas):
    small = _school_with(personas, "0593001A", classes=1, pupils=1)
    big = _school_with(personas, "0593002B", classes=6, pupils=5)
    assert _transition_queries(big) == _transition_queries(small)


def test_a_failed_school_is_reported_and_the_next_run_finishes(personas, shared, monkeypatch):
    """Resumable: one school failing half-way (a statement the database refuses, after its
    shares were deleted) rolls back alone, with its audit; running again finishes it."""
    from preau.yearchange import transition

    real = transition._steps

    def failing(structure, ctx):
        steps = real(structure, ctx)
        if structure == personas.school:  # after the shares, before the memberships
            steps.insert(1, transition.Step(
                "broken", "membership", "DELETE", "no_such_column = 1", "id", (),
                "SELECT 'broken', NULL, NULL, 0, 0"))
        return steps

    monkeypatch.setattr(transition, "_steps", failing)
    first = _run()
    assert [e["uai"] for e in first["errors"]] == [personas.school.uai]
    assert "no_such_column" in first["errors"][0]["error"]
    assert [s["uai"] for s in first["schools"]] == [personas.other_school.uai]
    assert Share.objects.filter(group=shared["pupils"]).exists()  # rolled back
    assert Membership.objects.filter(group__school_class=personas.school_class).exists()
    assert not AuditEntry.objects.filter(structure=personas.school).exists()
    assert AuditEntry.objects.filter(structure=personas.other_school).exists()
    monkeypatch.setattr(transition, "_steps", real)
    second = _run()
    assert second["errors"] == [] and second["shares_purged"]["total"] == 2
    assert _run()["changes"] == 0


def test_audit_says_what_changed(personas, shared):
    """The audit, written by the database from the rows it changed, names each purged
    share, each group emptied, each class archived and each head-teacher flag ended."""
    p = personas
    folder = shared["class_folder"]
    purged = {s.pk: s for s in Share.objects.filter(group__school_class=p.school_class)}
    run = run_transition(today=TRANSITION_DAY)
    entries = list(AuditEntry.objects.filter(run=run, structure=p.school))
    by_kind: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    shares = by_kind[AuditEntry.Kind.SHARE_PURGED]
    assert {e.object_id for e in shares} == {s.group_id for s in purged.values()}
    for entry in shares:
        group = Group.objects.get(pk=entry.object_id)
        assert entry.details["group"] == group.name
        assert entry.details["columns"] == ["share", "resource_type", "resource", "rights",
                                            "shared_by", "shared_at"]
        [row] = entry.details["shares"]
        assert row[:5] == [purged[row[0]].pk, "documents.node", folder.pk, "read",
                           p.teacher.login]
        assert row[5].startswith(purged[row[0]].created_at.strftime("%Y-%m-%d"))
    ended = {e.object_id: e.details for e in by_kind[AuditEntry.Kind.MEMBERSHIPS_ENDED]}
    pupils = shared["pupils"]
    assert ended[pupils.pk] == {"group": pupils.name, "count": 1}
    assert ArchivedMembership.objects.filter(group=pupils).count() == 1
    closed = {e.object_id: e.details for e in by_kind[AuditEntry.Kind.CLASS_ARCHIVED]}
    assert closed[p.school_class.pk] == {"name": p.school_class.name}
    assert set(closed) == set(SchoolClass.objects.filter(
        structure=p.school, closed_at__isnull=False).values_list("pk", flat=True))
    flags = by_kind[AuditEntry.Kind.DIRECTOR_ENDED]
    assert {(e.object_id, e.details["login"]) for e in flags} == {
        (a.user_id, a.user.login) for a in StructureAttachment.objects.filter(
            structure=p.school, user__in=[e.object_id for e in flags])}
    assert flags
    school = next(s for s in run.report["schools"] if s["uai"] == p.school.uai)
    assert sum(e["count"] for e in ended.values()) == school["memberships_ended"]
    assert len(closed) == school["classes_archived"]


# serialized_rollback: like the other transactional tests (tests/messaging/test_send_race.py),
# so that the flush after it leaves the database as they expect it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_each_school_commits_alone(personas, shared, monkeypatch):
    """As the command and the worker run it (autocommit): on PostgreSQL each school is one
    statement committed alone; a failing school leaves the others done, and the session's
    settings are as before."""
    from django.db import connection

    from preau.yearchange import transition

    real = transition._steps

    def failing(structure, ctx):
        steps = real(structure, ctx)
        if structure == personas.other_school:
            steps.append(transition.Step("broken", "membership", "DELETE",
                                         "no_such_column = 1", "id", (),
                                         "SELECT 'broken', NULL, NULL, 0, 0"))
        return steps

    monkeypatch.setattr(transition, "_steps", failing)
    assert not connection.in_atomic_block
    report = _run()
    assert [e["uai"] for e in report["errors"]] == [personas.other_school.uai]
    assert report["shares_purged"]["total"] == 2
    assert not Share.objects.filter(group=shared["pupils"]).exists()
    assert AuditEntry.objects.filter(structure=personas.school).exists()
    assert not AuditEntry.objects.filter(structure=personas.other_school).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
