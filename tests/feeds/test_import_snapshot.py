"""Snapshot semantics: idempotence, the runs of the year change calendar, what a feed owns."""

from __future__ import annotations

import dataclasses
import datetime
import shutil

import pytest
from django.utils import timezone

from preau.accounts.actions import ACTIVATION_ALPHABET
from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.actions import (
    DirectoryError,
    check_attach_teacher_to_class,
    do_create_class,
    do_link_relative,
)
from preau.directory.models import (
    Academy,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.feeds.models import FeedIssue, FeedRun
from preau.feeds.parsers import PersonKind, PersonRecord
from preau.lib.text import search_key
from tests.feeds.helpers import DATA, write_csv
from tests.feeds.importing import (
    build_world,
    current_year,
    directory_fingerprint,
    run_import,
    uai,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return current_year()


def counts(run, key):
    return {profile: c[key] for profile, c in run.report["counts"].items() if c[key]}


def test_importing_twice_changes_nothing(year, tmp_path):
    paths = build_world(schools=2).write(tmp_path / "feed")
    first = run_import(paths)
    assert counts(first, "created") == {"Student": 24, "Relative": 24, "Teacher": 6}
    before = directory_fingerprint()
    second = run_import(paths, full=True)  # every record read again, none written
    assert second.status == FeedRun.Status.APPLIED
    assert "identical_to" not in second.options
    assert counts(second, "unchanged") == {"Student": 24, "Relative": 24, "Teacher": 6}
    assert second.report["totals"] == {"created": 0, "updated": 0, "unchanged": 54,
                                       "missing": 0, "restored": 0}
    assert second.report["structures"]["unchanged"] == 2
    assert second.report["classes"] == {"created": 0, "renamed": 0, "reopened": 0,
                                        "closed": 0}
    assert directory_fingerprint() == before


def test_the_same_files_again_are_recorded_unchanged_at_once(year, tmp_path,
                                                             django_assert_max_num_queries):
    paths = build_world(schools=2).write(tmp_path / "feed")
    first = run_import(paths)
    before = directory_fingerprint()
    copies = tmp_path / "next-day"  # the académie sends the same files again, renamed
    copies.mkdir()
    for path in paths:
        shutil.copy(path, copies / path.name)
    with django_assert_max_num_queries(12):  # no record read, nothing written
        again = run_import(sorted(copies.iterdir()))
    assert again.status == FeedRun.Status.APPLIED
    assert again.options["identical_to"] == first.pk
    assert f"mêmes fichiers que l\u2019exécution {first.pk}" in again.message
    assert again.report["totals"] == {"created": 0, "updated": 0, "unchanged": 54,
                                      "missing": 0, "restored": 0}
    assert again.report["structures"]["unchanged"] == 2
    assert directory_fingerprint() == before
    # ...and once more: identical to the last one, which was itself such a run.
    assert run_import(paths).options["identical_to"] == again.pk


def test_identical_files_are_read_again_when_anything_else_happened(year, tmp_path):
    world = build_world(schools=2)
    paths = world.write(tmp_path / "feed")
    run_import(paths)
    # Another run of the académie in between (here the teachers' file alone).
    run_import(world.write(tmp_path / "staff", kinds=("schools", "staff")))
    assert "identical_to" not in run_import(paths).options
    # A new school year: classes belong to it, every record is read.
    assert "identical_to" in run_import(paths).options
    year.is_current = False
    year.save()
    SchoolYear.objects.create(name="2099-2100", start=datetime.date(2099, 9, 1),
                              end=datetime.date(2100, 7, 6), is_current=True)
    assert "identical_to" not in run_import(paths).options
    # Asked for explicitly.
    assert "identical_to" not in run_import(paths, full=True).options


def test_identical_files_are_read_again_after_rejected_lines(year, tmp_path):
    world = build_world(schools=1)
    paths = world.write(tmp_path / "feed")
    first = run_import(paths)
    FeedIssue.objects.create(run=first, severity="warning", code="unknown-class",
                             message="classe inconnue")
    FeedRun.objects.filter(pk=first.pk).update(report={**first.report, "issues_total": 1})
    assert "identical_to" not in run_import(paths).options
    # Possible duplicates alone (noted when accounts are created) do not prevent it.
    last = FeedRun.objects.latest("pk")
    FeedIssue.objects.create(run=last, severity="warning", code="possible-duplicate",
                             message="doublon possible")
    FeedRun.objects.filter(pk=last.pk).update(report={**last.report, "issues_total": 1})
    assert run_import(paths).options["identical_to"] == last.pk


def test_first_run_builds_schools_classes_groups_and_links(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "feed"))
    school = Structure.objects.get(uai=uai(0))
    assert school.academy.name == "Académie de Lille" and school.academy.code == "09"
    assert school.has_feed and school.external_id == "ST0"
    assert sorted(SchoolClass.objects.values_list("code", flat=True)) == ["CE1-0", "CM1-0",
                                                                          "CP-0"]
    pupil = User.objects.get(external_id="E00001")
    assert pupil.login == "hugo.martin1" and pupil.state == State.PENDING
    assert set(Membership.objects.filter(user=pupil).values_list("group__name", flat=True)) == {
        "Élèves — CP A", f"Élèves — {school.name}"}
    parent = User.objects.get(external_id="R00001")
    assert RelativeLink.objects.get(relative=parent).student == pupil
    assert set(Membership.objects.filter(user=parent).values_list("group__name", flat=True)) == {
        "Parents — CP A", f"Parents — {school.name}"}
    director = User.objects.get(external_id="T00")
    attachment = StructureAttachment.objects.get(user=director)
    assert attachment.is_director and attachment.functions == ["ENSEIGNEMENT"]
    assert director.academic_email == "camille.prof00@ac-lille.fr"
    assert not StructureAttachment.objects.get(user__external_id="T01").is_director


def test_late_august_teachers_only_run_leaves_pupils_and_parents_alone(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "june"))
    families = list(User.objects.filter(profile__in=(Profile.STUDENT, Profile.RELATIVE))
                    .order_by("id").values_list("id", "state", "missing_since"))
    links = RelativeLink.objects.count()
    # New year's staff file: one teacher left, one arrived.
    staff = [*world.staff[1:], dataclasses.replace(world.staff[0], external_id="T99",
                                                   last_name="NOUVEAU")]
    august = dataclasses.replace(world, staff=staff)
    run = run_import(august.write(tmp_path / "august", kinds=("schools", "staff")))
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert run.kinds == ["Personnel", "Teacher"]
    assert counts(run, "created") == {"Teacher": 1}
    assert counts(run, "missing") == {"Teacher": 1}
    assert User.objects.get(external_id="T00").state == State.MISSING
    assert list(User.objects.filter(profile__in=(Profile.STUDENT, Profile.RELATIVE))
                .order_by("id").values_list("id", "state", "missing_since")) == families
    assert RelativeLink.objects.count() == links


def test_pupils_run_leaves_staff_alone(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "full"))
    run = run_import(world.write(tmp_path / "families", kinds=("pupils", "relatives")))
    assert run.kinds == ["Relative", "Student"]
    assert "Teacher" not in run.report["counts"]
    assert not User.objects.filter(state=State.MISSING).exists()


def test_first_classes_arrive_days_later(year, tmp_path):
    """Bascule ONDE without the CP (INE allocation); the CP pupils come a few days later:
    their class appears then, and its teacher can attach to it."""
    world = build_world()
    run_import(world.write(tmp_path / "august", kinds=("schools", "staff")))
    teacher = User.objects.get(external_id="T00")
    first = run_import(world.without_class("CP-0").write(tmp_path / "bascule",
                                                         kinds=("pupils", "relatives")))
    assert counts(first, "created") == {"Student": 8, "Relative": 8}
    assert not SchoolClass.objects.filter(code="CP-0").exists()
    assert SchoolClass.objects.filter(code="CE1-0").exists()
    later = run_import(world.write(tmp_path / "later", kinds=("pupils", "relatives")))
    assert counts(later, "created") == {"Student": 4, "Relative": 4}
    assert counts(later, "unchanged") == {"Student": 8, "Relative": 8}
    assert later.report["classes"]["created"] == 1
    cp = SchoolClass.objects.get(code="CP-0")
    check_attach_teacher_to_class(teacher, cp, teacher)
    assert Membership.objects.filter(user=teacher, group__school_class=cp,
                                     source=MembershipSource.MANUAL).exists()


def test_a_teacher_can_attach_once_the_feed_brings_a_pupil(year, tmp_path):
    world = build_world()
    run_import(world.without_class("CP-0").write(tmp_path / "first"))
    school = Structure.objects.get(uai=uai(0))
    cp = do_create_class(school, "CP-0", "CP A", ["CP"])  # known, still without pupils
    teacher = User.objects.get(external_id="T00")
    with pytest.raises(DirectoryError, match="au moins un élève"):
        check_attach_teacher_to_class(teacher, cp, teacher)
    run = run_import(world.write(tmp_path / "second"))
    assert run.report["classes"]["created"] == 0  # the feed fills the same class
    assert Membership.objects.filter(group__school_class=cp,
                                     group__profile=Profile.STUDENT).count() == 4
    check_attach_teacher_to_class(teacher, cp, teacher)


def test_pupils_who_leave_go_missing_and_their_empty_class_closes(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    run = run_import(world.without_class("CE1-0").write(tmp_path / "second"))
    assert counts(run, "missing") == {"Student": 4, "Relative": 4}
    assert run.report["classes"]["closed"] == 1
    ce1 = SchoolClass.objects.get(code="CE1-0")
    assert ce1.closed_at is not None
    gone = User.objects.filter(profile=Profile.STUDENT, state=State.MISSING)
    assert gone.count() == 4
    assert set(gone.values_list("missing_since", flat=True)) == {timezone.localdate()}
    assert UserEvent.objects.filter(kind=UserEvent.Kind.STATE,
                                    message="Absent de l'alimentation").count() == 8
    assert SchoolClass.objects.filter(closed_at__isnull=True).count() == 2
    back = run_import(world.write(tmp_path / "third"))
    assert counts(back, "restored") == {"Student": 4, "Relative": 4}
    assert back.report["classes"]["reopened"] == 1
    assert not User.objects.filter(state=State.MISSING).exists()
    assert set(User.objects.filter(external_id__startswith="E").values_list(
        "missing_since", flat=True)) == {None}


def test_changes_are_recorded_in_the_history(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    moved = world.pupils[0]
    ce1 = world.pupils[5].classes[0]
    pupils = [dataclasses.replace(moved, last_name="MARTIN-DUPONT", classes=(ce1,)),
              *world.pupils[1:]]
    run = run_import(dataclasses.replace(world, pupils=pupils).write(tmp_path / "second"))
    assert counts(run, "updated") == {"Student": 1}
    pupil = User.objects.get(external_id=moved.external_id)
    assert pupil.last_name == "MARTIN-DUPONT" and pupil.display_name == "Hugo MARTIN-DUPONT"
    event = pupil.events.get(kind=UserEvent.Kind.UPDATED)
    assert event.details["last_name"] == ["MARTIN1", "MARTIN-DUPONT"]
    assert event.details["classes"] == [["CP A"], ["CE1 A"]]
    assert event.details["run"] == run.pk
    parent = User.objects.get(external_id="R00001")  # the parent follows the child
    assert set(Membership.objects.filter(user=parent, group__school_class__isnull=False)
               .values_list("group__name", flat=True)) == {"Parents — CE1 A"}


def test_manual_links_survive_feeds(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    teacher = User.objects.get(external_id="T01")
    ce1 = SchoolClass.objects.get(code="CE1-0")
    check_attach_teacher_to_class(teacher, ce1, teacher)
    foster = User.objects.create_user("famille.accueil", first_name="Famille",
                                      last_name="ACCUEIL", profile=Profile.RELATIVE,
                                      source=Source.MANUAL)
    pupil = User.objects.get(external_id="E00001")
    do_link_relative(foster, pupil, Source.MANUAL)
    other = Structure.objects.create(uai="0599999Z", name="École voisine",
                                     academy=Academy.objects.get())
    StructureAttachment.objects.create(user=pupil, structure=other, source=Source.MANUAL)
    # Next run: the teacher left the feed's classes, the pupil changed class.
    pupils = [dataclasses.replace(world.pupils[0], classes=world.pupils[5].classes),
              *world.pupils[1:]]
    run_import(dataclasses.replace(world, pupils=pupils).write(tmp_path / "second"))
    assert Membership.objects.filter(user=teacher, group__school_class=ce1,
                                     source=MembershipSource.MANUAL).exists()
    assert RelativeLink.objects.filter(relative=foster, student=pupil,
                                       source=Source.MANUAL).exists()
    assert StructureAttachment.objects.filter(user=pupil, structure=other).exists()
    assert RelativeLink.objects.filter(student=pupil).count() == 2


ONDE_UAI = "0610001A"


def _onde_copy(tmp_path, old: str, new: str):
    folder = tmp_path / "onde"
    shutil.copytree(DATA / "onde-csv", folder, dirs_exist_ok=True)
    path = folder / "CSVExtraction-enseignants.csv"
    text = path.read_bytes().decode("latin-1")
    assert old in text
    path.write_bytes(text.replace(old, new, 1).encode("latin-1"))
    return folder


def test_feed_made_teacher_class_links_are_replaced(year, tmp_path):
    academy = Academy.objects.create(code="09", name="Lille", feed_prefix="lille")
    Structure.objects.create(uai=ONDE_UAI, name="École", academy=academy, has_feed=False)
    run_import(DATA / "onde-csv", fmt="onde-csv", academy="", school=ONDE_UAI)
    bailly = User.objects.get(last_name="BAILLY")
    cm1 = SchoolClass.objects.get(name="CM1")
    check_attach_teacher_to_class(bailly, cm1, bailly, as_admin=True)  # by hand

    def classes(source):
        return set(Membership.objects.filter(
            user=bailly, group__school_class__isnull=False, source=source).values_list(
            "group__school_class__name", flat=True))

    assert classes(MembershipSource.FEED) == {"TPS"}
    run = run_import(_onde_copy(tmp_path, '"non";"TPS"', '"non";"PS"'), fmt="onde-csv",
                     academy="", school=ONDE_UAI)
    assert counts(run, "updated") == {"Teacher": 1}
    assert classes(MembershipSource.FEED) == {"PS"}
    assert classes(MembershipSource.MANUAL) == {"CM1"}
    event = bailly.events.get(kind=UserEvent.Kind.UPDATED)
    assert event.details["classes"] == [["TPS"], ["PS"]]


def test_same_ine_through_csv_then_aaf1d_stays_one_account(year, tmp_path):
    """A school imported by hand (CSV, with the INE), then fed by AAF1D: one account,
    taken over by the feed that lists it now."""
    world = build_world()
    pupil = world.pupils[0]
    academy = Academy.objects.create(code="09", name="Académie de Lille", feed_prefix="lille")
    Structure.objects.create(uai=uai(0), name="École", academy=academy, has_feed=False)
    path = write_csv(tmp_path / "eleves.csv", [
        ["Nom", "Prénom", "Date de naissance", "Classe", "INE"],
        [pupil.last_name, pupil.first_name, pupil.birth_date.strftime("%d/%m/%Y"), "CP",
         pupil.ine]])
    run_import([path], fmt="csv", academy="", school=uai(0))
    account = User.objects.get(ine=pupil.ine)
    assert account.source == Source.CSV
    run = run_import(world.write(tmp_path / "aaf"))
    assert run.report["identities_adopted"] == 1
    assert counts(run, "created")["Student"] == 11
    assert counts(run, "updated") == {"Student": 1}
    assert User.objects.filter(ine=pupil.ine).count() == 1
    account.refresh_from_db()
    assert (account.source, account.external_id) == (Source.AAF1D, pupil.external_id)
    event = account.events.get(kind=UserEvent.Kind.UPDATED)
    assert event.details["identity"][0].startswith("CSV lille gen:")
    assert run.issues.filter(code="identity-adopted").count() == 1
    assert run.report["possible_duplicates_total"] == 0
    # The CSV list, imported again without the pupil, no longer owns the account.
    empty = write_csv(tmp_path / "eleves.csv", [["Nom", "Prénom", "Date de naissance",
                                                 "Classe"]])
    run_import([empty], fmt="csv", academy="", school=uai(0))
    account.refresh_from_db()
    assert account.state == State.PENDING


def test_look_alike_accounts_are_listed_never_merged(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "aaf"))
    pupil = world.pupils[2]
    path = write_csv(tmp_path / "eleves.csv", [
        ["Nom", "Prénom", "Date de naissance", "Classe"],
        [pupil.last_name.lower(), pupil.first_name.upper(),
         pupil.birth_date.strftime("%d/%m/%Y"), "CP"]])
    run = run_import([path], fmt="csv", academy="", school=uai(0))
    assert counts(run, "created") == {"Student": 1}
    assert run.report["possible_duplicates_total"] == 1
    group = run.report["possible_duplicates"][0]
    assert group["birth_date"] == pupil.birth_date.isoformat()
    assert {a["source"] for a in group["accounts"]} == {"AAF1D", "CSV"}
    assert run.issues.filter(code="possible-duplicate").count() == 1
    assert User.objects.filter(birth_date=pupil.birth_date).count() == 2


def test_dry_run_reports_and_changes_nothing(year, tmp_path):
    paths = build_world().write(tmp_path / "feed")
    before = directory_fingerprint()
    dry = run_import(paths, dry_run=True)
    assert dry.status == FeedRun.Status.DRY_RUN
    assert directory_fingerprint() == before
    assert not Academy.objects.exists() and dry.academy is None
    real = run_import(paths)
    assert real.report["counts"] == dry.report["counts"]
    assert real.report["classes"] == dry.report["classes"]


def test_parents_no_pupil_references_are_skipped(year, tmp_path):
    world = build_world()
    stranger = PersonRecord(kind=PersonKind.RELATIVE, external_id="R99999", last_name="SEUL",
                            first_name="Parent")
    world = dataclasses.replace(world, relatives=[*world.relatives, stranger])
    run = run_import(world.write(tmp_path / "feed"))
    assert run.report["relatives_skipped"] == 1
    assert not User.objects.filter(external_id="R99999").exists()
    assert run.issues.filter(code="relative-unreferenced").count() == 1


def test_pupils_run_without_parents_file_relinks_known_parents(year, tmp_path):
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    second_parent = world.pupils[1].relatives[0]
    pupils = [dataclasses.replace(world.pupils[0], relatives=(second_parent,)),
              *world.pupils[1:]]
    run = run_import(dataclasses.replace(world, pupils=pupils).write(
        tmp_path / "pupils", kinds=("pupils",)))
    assert run.kinds == ["Student"]
    assert counts(run, "updated") == {"Student": 1}
    assert "Relative" not in run.report["counts"]  # parents are not covered: none missing
    event = User.objects.get(external_id="E00001").events.get(kind=UserEvent.Kind.UPDATED)
    assert event.details["relatives"] == [["parent1.martin1"], ["parent2.martin2"]]
    pupil = User.objects.get(external_id=world.pupils[0].external_id)
    assert set(RelativeLink.objects.filter(student=pupil).values_list(
        "relative__external_id", flat=True)) == {second_parent.external_id}
    former = User.objects.get(external_id="R00001")
    assert former.state == State.PENDING
    assert not Membership.objects.filter(user=former).exists()  # no child left
    assert not StructureAttachment.objects.filter(user=former).exists()


def test_references_missing_once_are_tried_again(year, tmp_path):
    """ONDE without the CM2 pupils: the CM2 teachers cannot be linked to their class yet,
    nor their parents to them. The next extraction, with the CM2, links them, although the
    teachers' and parents' own records did not change."""
    academy = Academy.objects.create(code="09", name="Lille", feed_prefix="lille")
    Structure.objects.create(uai=ONDE_UAI, name="École", academy=academy, has_feed=False)
    folder = tmp_path / "onde"
    shutil.copytree(DATA / "onde-csv", folder)
    pupils = folder / "CSVExtraction-eleves.csv"
    lines = pupils.read_bytes().split(b"\r\n")
    pupils.write_bytes(b"\r\n".join(line for line in lines if b'"CM2";"CM2"' not in line))
    first = run_import(folder, fmt="onde-csv", academy="", school=ONDE_UAI)
    assert first.report["counts"]["Student"]["created"] == 247 - 24
    assert first.issues.filter(code="unknown-class").count() == 2
    assert not SchoolClass.objects.filter(name="CM2").exists()
    pallise = User.objects.get(last_name="PALLISE")
    assert pallise.feed_checksum == ""
    skipped = first.report["relatives_skipped"]
    assert skipped > 0
    second = run_import(DATA / "onde-csv", fmt="onde-csv", academy="", school=ONDE_UAI)
    assert second.report["counts"]["Student"]["created"] == 24
    assert second.report["counts"]["Relative"]["created"] == skipped
    cm2 = SchoolClass.objects.get(name="CM2")
    assert Membership.objects.filter(user=pallise, group__school_class=cm2,
                                     source=MembershipSource.FEED).exists()
    assert RelativeLink.objects.count() == 491
    third = run_import(DATA / "onde-csv", fmt="onde-csv", academy="", school=ONDE_UAI)
    assert third.report["totals"]["unchanged"] == 730


def test_new_school_year_makes_new_classes(year, tmp_path):
    world = build_world()
    paths = world.write(tmp_path / "feed")
    run_import(paths)
    old_cp = SchoolClass.objects.get(code="CP-0")
    year.is_current = False
    year.save()
    new_year = SchoolYear.objects.create(name="2024-2025", start=datetime.date(2024, 9, 1),
                                         end=datetime.date(2025, 7, 5), is_current=True)
    run = run_import(paths)
    assert run.report["classes"]["created"] == 3
    assert counts(run, "updated") == {"Student": 12, "Relative": 12}
    assert counts(run, "unchanged") == {"Teacher": 3}
    new_cp = SchoolClass.objects.get(code="CP-0", school_year=new_year)
    pupil = User.objects.get(external_id="E00001")
    classes = set(Membership.objects.filter(user=pupil, group__school_class__isnull=False)
                  .values_list("group__school_class_id", flat=True))
    assert classes == {old_cp.pk, new_cp.pk}  # last year's groups: the year change's job
    again = run_import(paths)
    assert again.report["totals"]["unchanged"] == 27


def test_logins_and_activation_codes_of_new_accounts(year, tmp_path):
    User.objects.create_user("lea.martin", first_name="Léa", last_name="Martin",
                             profile=Profile.GUEST, source=Source.MANUAL)
    world = build_world()
    twins = [dataclasses.replace(p, first_name="Léa", last_name="MARTIN")
             for p in world.pupils[:3]]
    world = dataclasses.replace(world, pupils=[*twins, *world.pupils[3:]])
    run_import(world.write(tmp_path / "feed"))
    logins = set(User.objects.filter(external_id__in=[p.external_id for p in twins])
                 .values_list("login", flat=True))
    assert logins == {"lea.martin2", "lea.martin3", "lea.martin4"}
    for user in User.objects.filter(source=Source.AAF1D):
        assert len(user.activation_code) == 8
        assert set(user.activation_code) <= set(ACTIVATION_ALPHABET)
        assert not user.has_usable_password()
        assert user.name_key == search_key(f"{user.last_name} {user.first_name} {user.login}")
