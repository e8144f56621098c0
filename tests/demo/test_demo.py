"""`preau demo`: the fictitious académie a newcomer logs into, loaded once, the same every time."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.demo import loader
from preau.demo.feed import write_demo_feed
from preau.directory.communication import can_reach
from preau.directory.models import (
    Academy,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    ShareBookmark,
    StructureAttachment,
)
from preau.feeds.actions import do_import
from preau.feeds.models import FeedRun
from preau.feeds.parsers import parse_aaf

pytestmark = pytest.mark.django_db

PERSONAS = ("demo.admin", "demo.directeur", "demo.enseignant", "demo.eleve", "demo.parent")


def class_members(school_class: SchoolClass, profile: str) -> set[User]:
    return set(User.objects.filter(memberships__group__school_class=school_class,
                                   memberships__group__kind=GroupKind.CLASS,
                                   memberships__group__profile=profile))


def test_demo_holds_the_promised_academie(demo):
    academy = Academy.objects.get(feed_prefix="demo")
    assert (academy.code, academy.name) == ("99", "Académie de démonstration")
    assert academy.structures.count() >= 3
    classes = list(SchoolClass.objects.active())
    assert len(classes) >= 12
    levels = {level for c in classes for level in c.levels}
    assert levels == {"TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"}
    assert any(len(c.levels) == 2 for c in classes)
    assert all(c.school_year.name == "2023-2024" for c in classes)
    assert SchoolClass.objects.exclude(school_year__is_current=True).exists()

    profiles = Counter(User.objects.values_list("profile", flat=True))
    assert 240 <= profiles[Profile.STUDENT] <= 260
    assert 330 <= profiles[Profile.RELATIVE] <= 370
    assert profiles[Profile.TEACHER] == 15
    assert User.objects.filter(profile=Profile.PERSONNEL, is_ent_admin=False).count() == 2
    assert profiles[Profile.GUEST] >= 1

    teacher_classes = Counter(Membership.objects.filter(
        group__kind=GroupKind.CLASS, group__profile=Profile.TEACHER,
    ).values_list("user__login", flat=True))
    assert sorted(teacher_classes.values()).count(2) == 1
    assert len(teacher_classes) == 14  # the fifteenth teacher has no class yet
    unplaced = User.objects.filter(profile=Profile.TEACHER).exclude(
        login__in=teacher_classes)
    assert unplaced.count() == 1
    assert StructureAttachment.objects.filter(user=unplaced.get()).exists()

    legal = RelativeLink.objects.filter(legal=True)
    assert max(Counter(legal.values_list("student", flat=True)).values()) == 2
    assert max(Counter(legal.values_list("relative", flat=True)).values()) == 2
    foster = RelativeLink.objects.get(legal=False)
    assert foster.relative.profile == Profile.RELATIVE
    assert foster.student.profile == Profile.STUDENT
    # every pupil is in exactly one class of the current year, with at least one parent
    pupils = Membership.objects.filter(group__kind=GroupKind.CLASS,
                                       group__profile=Profile.STUDENT)
    assert pupils.count() == profiles[Profile.STUDENT]
    assert not User.objects.filter(profile=Profile.STUDENT, relative_links__isnull=True).exists()
    assert "demo-logins.csv" in demo.output
    assert "Preau-demo-2023" in demo.output
    assert "chargée en" in demo.output


def test_separated_parents_each_reach_the_same_child(demo):
    """Two legal parents with different surnames (two households), each linked and placed."""
    pairs = [rels for rels in _legal_parents_by_child().values() if len(rels) == 2]
    separated = [rels for rels in pairs if rels[0].last_name != rels[1].last_name]
    assert separated
    first, second = separated[0]
    child = RelativeLink.objects.get(relative=first, legal=True).student
    assert can_reach(first, child) and can_reach(second, child)


def _legal_parents_by_child() -> dict[int, list[User]]:
    by_child: dict[int, list[User]] = {}
    for link in RelativeLink.objects.filter(legal=True).select_related("relative"):
        by_child.setdefault(link.student_id, []).append(link.relative)
    return by_child


def test_personas_log_in_with_the_demo_password(demo, settings):
    for login in PERSONAS:
        request = RequestFactory().post("/compte/connexion/")
        user = authenticate(request, username=login, password=settings.PREAU_DEMO_PASSWORD)
        assert user is not None and user.login == login
        assert user.state == State.ACTIVE
    assert authenticate(RequestFactory().post("/compte/connexion/"), username="demo.eleve",
                        password="not-the-password") is None


def test_generated_accounts_wait_for_activation_with_a_code(demo):
    pending = User.objects.exclude(login__in=PERSONAS)
    assert pending.exists()
    assert not pending.exclude(state=State.PENDING).exists()
    assert all(len(u.activation_code) == 8 and not u.has_usable_password() for u in pending)


def test_personas_have_their_roles(demo):
    admin = User.objects.get(login="demo.admin")
    director = User.objects.get(login="demo.directeur")
    teacher = User.objects.get(login="demo.enseignant")
    pupil = User.objects.get(login="demo.eleve")
    parent = User.objects.get(login="demo.parent")
    assert admin.is_ent_admin and not director.is_ent_admin
    first_school = SchoolAdmin.objects.get(user=director).structure
    assert first_school.uai == "0599001A"
    assert StructureAttachment.objects.get(user=director, structure=first_school).is_director

    school_class = SchoolClass.objects.get(groups__memberships__user=teacher)
    assert school_class.structure == first_school and school_class.is_active
    assert pupil in class_members(school_class, Profile.STUDENT)
    assert parent in class_members(school_class, Profile.RELATIVE)
    assert RelativeLink.objects.get(relative=parent, student=pupil).legal
    assert RelativeLink.objects.filter(student=pupil, legal=True).count() == 2
    assert RelativeLink.objects.filter(relative=parent).count() == 2
    bookmarks = {b.name: b for b in ShareBookmark.objects.filter(owner=teacher)}
    assert set(bookmarks) == {"Équipe des Tilleuls", "Parents du CM2"}
    colleagues = [m.user for m in bookmarks["Équipe des Tilleuls"].members.all()
                  if m.user is not None]
    assert len(colleagues) == 7  # the other teachers of Les Tilleuls
    assert director in colleagues and all(can_reach(teacher, c) for c in colleagues)
    (parents_group,) = [m.group for m in bookmarks["Parents du CM2"].members.all()]
    assert parents_group is not None and parents_group.is_scolarite
    assert parents_group.school_class == school_class


def test_teacher_reaches_her_pupil_and_its_parent(demo):
    teacher = User.objects.get(login="demo.enseignant")
    pupil = User.objects.get(login="demo.eleve")
    parent = User.objects.get(login="demo.parent")
    assert can_reach(teacher, pupil)
    assert can_reach(teacher, parent)
    assert can_reach(parent, teacher)
    assert can_reach(pupil, teacher)
    other_school_pupil = User.objects.filter(
        profile=Profile.STUDENT, attachments__structure__uai="0599003C").first()
    assert other_school_pupil is not None
    assert not can_reach(teacher, other_school_pupil)


def test_second_run_changes_nothing(demo):
    before = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    logins = set(User.objects.values_list("login", "activation_code"))
    out = io.StringIO()
    call_command("demo", no_serve=True, stdout=out)
    after = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    assert after == before
    assert set(User.objects.values_list("login", "activation_code")) == logins
    assert "déjà chargée" in out.getvalue()


def test_plan_is_deterministic():
    assert loader.make_plan() == loader.make_plan()
    assert loader.make_plan(1) != loader.make_plan()


def test_logins_file_lists_every_demo_account(demo):
    path = demo.data_dir / "demo-logins.csv"
    assert path.stat().st_mode & 0o077 == 0  # credentials: owner only
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["login"] for r in rows} == set(User.objects.values_list("login", flat=True))
    by_login = {r["login"]: r for r in rows}
    assert by_login["demo.eleve"]["password"] == "Preau-demo-2023"
    pupil = User.objects.filter(profile=Profile.STUDENT, state=State.PENDING).first()
    assert pupil is not None
    assert by_login[pupil.login]["activation_code"] == pupil.activation_code
    assert [r["login"] for r in rows[:5]] == list(PERSONAS)


def test_people_come_from_the_feed_run(demo, client_for):
    """The demo walks the real path: its AAF1D files, imported by the importer."""
    run = FeedRun.objects.get()
    assert (run.status, run.format, run.prefix, run.actor_label) == (
        FeedRun.Status.APPLIED, "aaf1d", "demo", "preau demo")
    assert run.academy == Academy.objects.get(feed_prefix="demo")
    assert {p: c["created"] for p, c in run.counts.items()} == {
        "Teacher": 15, "Personnel": 2, "Student": 250, "Relative": 350}
    folder = demo.data_dir / "demo-feed"
    for described in run.files:
        data = (folder / described["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == described["sha256"]
    assert sorted(f["role"] for f in run.files) == [
        "Eleve", "EtabEducNat", "PersEducNat", "PersRelEleve"]
    fed = User.objects.filter(source=Source.AAF1D, external_prefix="demo")
    assert fed.count() == 617 and not fed.filter(feed_checksum="").exists()
    created = UserEvent.objects.filter(user__in=fed, kind=UserEvent.Kind.CREATED)
    assert {e.details["run"] for e in created} == {run.pk} and created.count() == 617
    # pupils' and parents' places are the feed's; teachers' and ATSEM's classes are manual
    assert not Membership.objects.filter(
        user__profile__in=[Profile.STUDENT], source=MembershipSource.MANUAL).exists()
    staff_classes = Membership.objects.filter(group__kind=GroupKind.CLASS,
                                              user__profile__in=["Teacher", "Personnel"])
    assert staff_classes.count() == 17
    assert set(staff_classes.values_list("source", flat=True)) == {MembershipSource.MANUAL}
    assert not RelativeLink.objects.filter(legal=True).exclude(source=Source.AAF1D).exists()
    page = client_for(User.objects.get(login="demo.admin")).get(
        reverse("console:feeds:run", args=[run.pk])).content.decode()
    assert "Appliqué" in page and "demo_Complet_20230904_Eleve_0000.xml" in page


def test_personas_keep_their_feed_identity(demo):
    pupil = User.objects.get(login="demo.eleve")
    assert (pupil.source, pupil.external_id) == (Source.AAF1D, "demo-ele-0107")  # first of CM2
    renamed = pupil.events.get(kind=UserEvent.Kind.UPDATED)
    assert renamed.details["login"][1] == "demo.eleve"
    assert renamed.actor == User.objects.get(login="demo.admin")
    assert User.objects.get(login="demo.directeur").external_id == "demo-ens-01"
    assert User.objects.get(login="demo.parent").email == "demo.parent@example.org"
    assert User.objects.get(login="demo.admin").source == Source.MANUAL


def test_reimporting_the_demo_files_changes_nothing(demo):
    """The files left in PREAU_DATA_DIR/demo-feed can be imported again: all unchanged."""
    before = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    paths = sorted((demo.data_dir / "demo-feed").iterdir())
    run = do_import(paths, format="aaf1d", academy="demo")
    assert run.status == FeedRun.Status.APPLIED
    assert run.report["totals"]["unchanged"] == 617
    assert sum(run.report["totals"].values()) == 617
    after = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    assert after == {**before, "feeds.FeedRun": before["feeds.FeedRun"] + 1}


def test_demo_files_are_deterministic_and_read_back(tmp_path):
    plan = loader.make_plan()
    first = write_demo_feed(plan, tmp_path / "a")
    second = write_demo_feed(plan, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    pupils = [r for p in first if "_Eleve_" in p.name for r in parse_aaf(p)]
    assert len(pupils) == 250
    assert all(len(r.classes) == 1 and r.relatives for r in pupils)
    staff = [r for p in first if "_PersEducNat_" in p.name for r in parse_aaf(p)]
    assert Counter(r.kind.value for r in staff) == {"Teacher": 15, "Personnel": 2}
    assert not any(r.classes for r in staff)  # 1D: staff records carry no class


def test_demo_documents_are_shared_as_the_guide_lists(demo_world, db):
    from preau.accounts.models import User
    from preau.documents.access import access_node, shared_with_me
    from preau.documents.models import Node
    from preau.sharing.models import Right, Share, Via

    teacher = User.objects.get(login="demo.enseignant")
    pupil = User.objects.get(login="demo.eleve")
    folder = Node.objects.get(owner=teacher, name__startswith="Cahier mémo")
    assert folder in shared_with_me(pupil)
    picture = Node.objects.get(name="Sortie au musée.png")
    assert access_node(pupil, picture.pk)
    # Its thumbnail waits for the worker that `preau demo` starts beside the web server.
    from django_tasks_db.models import DBTaskResult

    from preau.documents.models import ThumbnailState
    from preau.documents.tasks import make_thumbnail

    version = picture.current
    assert version.thumbnail_state == ThumbnailState.PENDING and not version.thumbnail_key
    jobs = DBTaskResult.objects.filter(task_path=make_thumbnail.module_path, status="READY")
    assert [version.pk] in [job.args_kwargs["args"] for job in jobs]
    progression = Node.objects.get(name="Progression annuelle.txt")
    assert Share.objects.filter(resource_id=progression.pk, via=Via.BOOKMARK).count() >= 1
    garden = Node.objects.get(name="Projet jardin.txt")
    director = User.objects.get(login="demo.directeur")
    assert Right.MANAGE in access_node(director, garden.pk).rights


def test_demo_mailbox_of_the_teacher(demo_world, db, client_for):
    from django.urls import reverse

    from preau.accounts.models import User
    from preau.messaging.access import folder_rows
    from preau.messaging.models import Address, MessageCopy

    teacher = User.objects.get(login="demo.enseignant")
    parent = User.objects.get(login="demo.parent")
    rows = {row.key: row for row in folder_rows(teacher)}
    assert rows["inbox"].total == 1 and rows["inbox"].unread == 1
    assert rows["sent"].total == 2
    outing = MessageCopy.objects.get(user=parent, message__subject__startswith="Sortie")
    assert outing.is_unread and outing.message.attachments.count() == 1
    assert Address.objects.filter(message=outing.message, group__profile="Relative").exists()
    page = client_for(teacher).get(reverse("messaging:index")).content.decode()
    assert "Conseil des maîtres jeudi" in page


def test_demo_teacher_attachment_is_approved_her_colleagues_wait(demo):
    """demo.enseignant may print her class's sheets (demo.directeur approved her own
    attachment); another teacher of Les Tilleuls waits for the director's approval."""
    from preau.directory.access import class_account_rights

    teacher = User.objects.get(login="demo.enseignant")
    school_class = SchoolClass.objects.get(groups__memberships__user=teacher,
                                           groups__kind=GroupKind.CLASS)
    rights = class_account_rights(teacher, school_class)
    assert rights.can_manage and not rights.pending
    waiting = Membership.objects.filter(
        group__school_class__structure=school_class.structure, source="manual",
        group__profile="Teacher", approved_at__isnull=True).exclude(user=teacher)
    assert waiting.exists()
