"""Every feed fixture imports with the right counts and links."""

from __future__ import annotations

import datetime
import shutil

import pytest

from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.models import (
    Academy,
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolClass,
    Structure,
    StructureAttachment,
)
from preau.feeds.models import FeedIssue, FeedRun
from preau.feeds.parsers import (
    AafFileKind,
    ClassRef,
    FeedSource,
    GroupRef,
    PersonKind,
    PersonRecord,
    RelativeRef,
    StructureRecord,
    write_aaf_files,
)
from tests.feeds.helpers import DATA
from tests.feeds.importing import DAY, current_year, directory_fingerprint, run_import

pytestmark = pytest.mark.django_db
ONDE_UAI = "0610001A"
CSV_UAI = "0591001A"


@pytest.fixture
def year():
    return current_year()


@pytest.fixture
def academy():
    return Academy.objects.create(code="09", name="Académie de Lille", feed_prefix="lille")


def _groups_of(user, kind=None):
    memberships = Membership.objects.filter(user=user)
    if kind:
        memberships = memberships.filter(group__kind=kind)
    return {m.group.name for m in memberships.select_related("group")}


# -- AAF (2nd degree) fixture ---------------------------------------------------------------


def test_aaf_fixture_files(year, tmp_path):
    run = run_import(DATA / "aaf", fmt="aaf", academy="lille")
    assert run.status == FeedRun.Status.APPLIED, run.message
    school = Structure.objects.get(uai="0000000V")
    assert school.name == "NOM STRUCTURE COURANT"
    assert (school.city, school.postal_code, school.external_id) == ("DOUAI", "59500", "1")
    assert school.academy.feed_prefix == "lille"
    assert school.academy.name == "Académie de Lille"
    assert run.academy == school.academy
    assert run.report["structures"] == {"created": 1, "updated": 0, "unchanged": 0}
    pupil = User.objects.get(external_id="2000000")
    assert (pupil.first_name, pupil.last_name, pupil.profile) == ("Prenom", "NOM",
                                                                  Profile.STUDENT)
    assert (pupil.ine, pupil.birth_date) == ("100000000AA", datetime.date(2000, 1, 1))
    assert (pupil.source, pupil.external_prefix, pupil.state) == (Source.AAF, "lille",
                                                                  State.PENDING)
    assert pupil.login == "prenom.nom" and len(pupil.activation_code) == 8
    assert not pupil.has_usable_password()
    assert run.report["counts"]["Student"]["created"] == 1
    # The reference ENT's sample pupil points at schools (1000, 3000) that the sample
    # school file does not describe, and at parents with no PersRelEleve file: said, not
    # guessed.
    codes = set(FeedIssue.objects.filter(run=run).values_list("code", flat=True))
    assert {"unknown-school", "relative-not-found"} <= codes
    assert not StructureAttachment.objects.filter(user=pupil).exists()
    assert pupil.feed_checksum == ""  # incomplete: tried again next run
    again = run_import(DATA / "aaf", fmt="aaf", academy="lille")
    assert again.report["counts"]["Student"] == {
        "created": 0, "updated": 0, "unchanged": 1, "missing": 0, "restored": 0}
    assert again.report["structures"]["unchanged"] == 1


def _aaf_2d_world(tmp_path):
    school = StructureRecord(external_id="9001", uai="0590001A", name="Collège Voltaire",
                             source=FeedSource.AAF, academy="LILLE", city="LILLE")
    cls = ClassRef("9001", "6A", "6A")
    pupils = [
        PersonRecord(kind=PersonKind.STUDENT, external_id=f"P{n}", last_name=f"ELEVE{n}",
                     first_name="Sam", source=FeedSource.AAF,
                     birth_date=datetime.date(2012, 1, n), structures=("9001",),
                     classes=(cls,), groups=(GroupRef("9001", "LATIN", "LATIN"),),
                     relatives=(RelativeRef(f"R{n}", True, "10"),
                                RelativeRef(f"Q{n}", False, "90")))
        for n in (1, 2)
    ]
    relatives = [PersonRecord(kind=PersonKind.RELATIVE, external_id=f"{k}{n}",
                              last_name=f"ELEVE{n}", first_name=f"{k}parent",
                              source=FeedSource.AAF)
                 for n in (1, 2) for k in "RQ"]
    teacher = PersonRecord(kind=PersonKind.TEACHER, external_id="T1", last_name="PROF",
                           first_name="Alex", source=FeedSource.AAF, structures=("9001",),
                           classes=(cls, ClassRef("9001", "5B", "5B")),
                           groups=(GroupRef("9001", "LATIN", "LATIN"),),
                           teacher_category="O")
    folder = tmp_path / "aaf2d"
    folder.mkdir()
    for kind, records in ((AafFileKind.STRUCTURES, [school]), (AafFileKind.PUPILS, pupils),
                          (AafFileKind.RELATIVES, relatives), (AafFileKind.STAFF, [teacher])):
        write_aaf_files(folder, "ENT", kind, DAY, records, flavour="aaf")
    return folder


def test_aaf_2d_classes_groups_and_legal_flags(year, tmp_path):
    run = run_import(_aaf_2d_world(tmp_path), fmt="aaf", academy="lille")
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert run.report["totals"]["created"] == 7
    six = SchoolClass.objects.get(code="6A")
    assert not SchoolClass.objects.filter(code="5B").exists()  # only pupils make classes
    teacher = User.objects.get(external_id="T1")
    assert Membership.objects.filter(user=teacher, group__school_class=six,
                                     group__profile=Profile.TEACHER,
                                     source=MembershipSource.FEED).exists()
    latin = Group.objects.get(kind=GroupKind.FUNCTIONAL, external_id="LATIN")
    assert latin.members.count() == 3 and latin.school_year == year
    pupil = User.objects.get(external_id="P1")
    links = {(link.relative.external_id, link.legal)
             for link in RelativeLink.objects.filter(student=pupil).select_related("relative")}
    assert links == {("R1", True), ("Q1", False)}
    assert {i.code for i in run.issues.all()} == {"unknown-class"}  # 5B has no pupil


# -- ONDE -----------------------------------------------------------------------------------


@pytest.fixture
def onde_school(academy):
    return Structure.objects.create(uai=ONDE_UAI, name="École Alençon", academy=academy,
                                    has_feed=False)


def test_onde_extraction(year, onde_school):
    run = run_import(DATA / "onde-csv", fmt="onde-csv", academy="", school=ONDE_UAI)
    assert run.status == FeedRun.Status.APPLIED, run.message
    counts = run.report["counts"]
    assert {p: c["created"] for p, c in counts.items()} == {
        "Student": 247, "Teacher": 14, "Relative": 469}
    assert run.report["relatives_skipped"] == 0
    assert run.report["issues_total"] == 0
    assert run.academy == onde_school.academy and run.prefix == "lille"
    classes = SchoolClass.objects.filter(structure=onde_school, school_year=year)
    assert sorted(classes.values_list("name", flat=True)) == sorted(
        ["CE1", "CP", "CE2", "GS", "PS", "CM2", "TPS", "CM1", "MS", "CLIS"])
    assert classes.get(name="CE1").levels == ["CE1"]
    assert RelativeLink.objects.filter(source=Source.ONDE).count() == 491
    assert StructureAttachment.objects.filter(structure=onde_school).count() == 247 + 14 + 469
    # Every pupil is in the pupils' group of their class and of the school.
    pupil = User.objects.get(first_name="Mathilde", last_name="BELMAHDI")
    assert _groups_of(pupil) == {"Élèves — CE1", "Élèves — École Alençon"}
    assert pupil.external_id.startswith(f"gen:{ONDE_UAI}:ELV:")
    # The head teacher, and the teachers of CM2 in its teachers' group.
    director = User.objects.get(last_name="PALLISE")
    assert StructureAttachment.objects.get(user=director).is_director
    cm2_teachers = Group.objects.get(school_class__name="CM2", profile=Profile.TEACHER)
    assert set(cm2_teachers.members.values_list("last_name", flat=True)) == {"PALLISE",
                                                                            "FARGEAU"}
    # A parent of three children sits in the parents' groups of the three classes.
    parent = User.objects.get(last_name="ADJIBEL", first_name="Corinne")
    assert set(RelativeLink.objects.filter(relative=parent).values_list(
        "student__first_name", flat=True)) == {"Alexandre", "Marjolaine", "Cassandra"}
    assert _groups_of(parent) == {"Parents — CE2", "Parents — CM1", "Parents — CP",
                                  "Parents — École Alençon"}
    assert UserEvent.objects.filter(kind=UserEvent.Kind.CREATED).count() == 730
    assert UserEvent.objects.count() == 730  # one line of history per new account
    before = directory_fingerprint()
    again = run_import(DATA / "onde-csv", fmt="onde-csv", academy="", school=ONDE_UAI)
    assert again.report["totals"]["unchanged"] == 730
    assert directory_fingerprint() == before


# -- manual CSV templates --------------------------------------------------------------------


@pytest.fixture
def csv_school(academy):
    return Structure.objects.create(uai=CSV_UAI, name="École sans feed", academy=academy,
                                    has_feed=False)


def csv_import(*names, **options):
    return run_import([DATA / "manual-csv" / f"{name}.csv" for name in names], fmt="csv",
                      academy="", school=CSV_UAI, **options)


def test_csv_pupils_and_parents_templates(year, csv_school):
    run = csv_import("CSV_Eleves", "CSV_Parents")
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert {p: c["created"] for p, c in run.report["counts"].items()} == {
        "Student": 7, "Relative": 8}
    assert sorted(SchoolClass.objects.filter(structure=csv_school).values_list(
        "name", flat=True)) == ["CE2 de Mme LAMBERT", "CM2 de M. ARNOULD",
                                "CP de Mme BROSSARD", "PS de Carole"]
    assert RelativeLink.objects.filter(source=Source.CSV).count() == 14
    julie = User.objects.get(first_name="Julie", last_name="COLIN")
    assert set(julie.children_links.values_list("student__first_name", flat=True)) == {
        "Léa", "Zoé", "Théo"}
    assert "Parents — PS de Carole" in _groups_of(julie)
    assert User.objects.get(first_name="Léa", last_name="COLIN").source == Source.CSV
    before = directory_fingerprint()
    again = csv_import("CSV_Eleves", "CSV_Parents")
    assert again.report["totals"] == {"created": 0, "updated": 0, "unchanged": 15,
                                      "missing": 0, "restored": 0}
    assert directory_fingerprint() == before


def test_csv_parents_alone_find_children_in_the_directory(year, csv_school):
    csv_import("CSV_Eleves")
    run = csv_import("CSV_Parents")
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert run.report["counts"]["Relative"]["created"] == 8
    assert RelativeLink.objects.count() == 14
    # The parents-only run covers parents only: the pupils stay as they are.
    assert "Student" not in run.report["counts"]
    assert User.objects.filter(profile=Profile.STUDENT, state=State.PENDING).count() == 7


def test_csv_parent_whose_children_are_unknown_is_not_imported(year, csv_school):
    run = csv_import("CSV_Parents")
    assert run.status == FeedRun.Status.APPLIED
    assert run.report["relatives_skipped"] == 8
    assert not User.objects.filter(profile=Profile.RELATIVE).exists()
    assert run.issues.filter(code="child-not-found").count() == 14


def test_csv_teachers_staff_and_guests_templates(year, csv_school):
    csv_import("CSV_Eleves")
    run = csv_import("CSV_Enseignants", "CSV_Personnels", "CSV_Invites")
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert {p: c["created"] for p, c in run.report["counts"].items()} == {
        "Teacher": 3, "Personnel": 3, "Guest": 3}
    barboza = User.objects.get(last_name="BARBOZA")
    assert barboza.profile == Profile.PERSONNEL
    assert StructureAttachment.objects.get(user=barboza).functions == ["CPE"]
    simani = User.objects.get(last_name="SIMANI")
    assert _groups_of(simani) == {"Enseignants — École sans feed"}
    codes = {i.code for i in run.issues.all()}
    assert codes == {"unknown-class", "guest-class"}  # CSV1… have no pupil; guests
    assert StructureAttachment.objects.filter(structure=csv_school, source=Source.CSV).count(
    ) == 7 + 9


def test_csv_template_given_explicitly(year, csv_school, tmp_path):
    path = tmp_path / "liste.csv"
    shutil.copy(DATA / "manual-csv" / "CSV_Eleves.csv", path)
    refused = run_import([path], fmt="csv", academy="", school=CSV_UAI)
    assert refused.status == FeedRun.Status.REFUSED
    assert "modèle inconnu" in refused.message
    run = run_import([path], fmt="csv", academy="", school=CSV_UAI,
                     templates={"liste.csv": "pupils"})
    assert run.report["counts"]["Student"]["created"] == 7
