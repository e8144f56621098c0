"""The teachers' guide to the 2023 year change, as one executable scenario.

One académie with two schools walks from the end of 2022-2023 to the first weeks of
2023-2024; each step asserts what ../shared/guide/guide-changement-annee-2023.txt says the
users see. Dates are the guide's (transition on 24 August).
"""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.http import Http404

from preau.accounts.models import Profile, Source, User
from preau.console.actions import check_create_account
from preau.directory.actions import (
    DirectoryError,
    check_attach_teacher_to_class,
    do_create_bookmark,
)
from preau.directory.models import (
    Academy,
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.documents.access import access_node, shared_with_me
from preau.documents.actions import check_create_folder
from preau.documents.models import Node
from preau.feeds.actions import do_set_feeds_frozen
from preau.feeds.models import FeedRun
from preau.messaging.models import MessageCopy
from preau.sharing.actions import check_share
from preau.sharing.models import Right
from preau.sso.actions import check_add_idp, do_federated_login
from preau.sso.models import FederatedIdentity, IdpKind
from preau.yearchange.banners import banners_for
from preau.yearchange.models import YearCalendar
from preau.yearchange.transition import archived_classes_of, run_transition
from tests.documents.helpers import upload
from tests.feeds.importing import build_world, run_import, uai
from tests.messaging.helpers import send

D = datetime.date
SSO_METADATA = (Path(__file__).resolve().parents[1] / "sso" / "data" / "idp-metadata.xml"
                ).read_bytes()
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
CLASSES = ("CP", "CE1", "CE2", "CM1", "CM2")
ATTACH_LATER = ("Vous serez rattaché(e) à votre classe dès qu'elle apparaîtra avec au moins "
                "un élève.")
AFTER_BASCULE = "Les classes de la nouvelle année apparaîtront après la bascule ONDE"


def texts(user: User, day: datetime.date) -> list[str]:
    return [banner.text for banner in banners_for(user, day)]


@pytest.mark.django_db
def test_the_guide_year_change(tmp_path, client_for):
    # -- 2022-2023 is running: two schools fed by AAF1D -------------------------------------
    old_year = SchoolYear.objects.create(name="2022-2023", start=D(2022, 9, 1),
                                         end=D(2023, 7, 6), is_current=True)
    world = build_world(schools=2, classes=CLASSES)
    # This year's CP of the second school is next year's only class arriving late.
    last_year = world.without_class("CP-1")
    run = run_import(last_year.write(tmp_path / "2022"), today=D(2022, 9, 5))
    assert run.status == FeedRun.Status.APPLIED, run.message
    academy = Academy.objects.get(feed_prefix="lille")
    school0 = Structure.objects.get(uai=uai(0))
    admin = User.objects.create(login="admin.ent", first_name="Admin", last_name="ENT",
                                profile=Profile.PERSONNEL, is_ent_admin=True)

    jeanne = User.objects.get(external_id="T03")  # CM1 teacher of school 0, moving school
    paul = User.objects.get(external_id="T02")  # her colleague (CE2), stays
    successor = User.objects.get(external_id="T04")  # CM2 teacher who takes over her project
    cp_teacher = User.objects.get(external_id="T10")  # CP teacher of school 1
    cm1 = SchoolClass.objects.get(code="CM1-0", school_year=old_year)
    check_attach_teacher_to_class(jeanne, cm1, jeanne)
    pupils_group = cm1.groups.get(profile=Profile.STUDENT)
    parents_group = cm1.groups.get(profile=Profile.RELATIVE)
    pupil = User.objects.filter(memberships__group=pupils_group).order_by("pk").first()
    other_pupil = User.objects.filter(memberships__group=pupils_group).order_by("-pk").first()
    parent = User.objects.filter(memberships__group=parents_group).order_by("pk").first()
    assert pupil and other_pupil and parent and pupil != other_pupil

    # -- end of year: Jeanne shares in every way the guide lists ----------------------------
    class_folder = check_create_folder(jeanne, "Cahier mémo CM1")
    inside = upload(jeanne, "poesie.pdf", b"%PDF-1.4 poem", class_folder)
    check_share(jeanne, class_folder, groups=[pupils_group, parents_group], rights=[Right.READ])
    by_name = upload(jeanne, "progression.odt", b"by name")
    check_share(jeanne, by_name, users=[paul], rights=[Right.READ])
    bookmark = do_create_bookmark(jeanne, "Élèves du projet", users=[pupil])
    via_bookmark = upload(jeanne, "projet.txt", b"bookmark")
    check_share(jeanne, via_bookmark, bookmark=bookmark, rights=[Right.READ])
    choir = Group.objects.create(kind=GroupKind.MANUAL, name="Chorale", owner=jeanne)
    Membership.objects.create(group=choir, user=other_pupil, source=MembershipSource.MANUAL)
    to_choir = upload(jeanne, "chants.txt", b"manual group")
    check_share(jeanne, to_choir, groups=[choir], rights=[Right.READ])
    handed = upload(jeanne, "projet-a-completer.txt", b"to complete next year")
    check_share(jeanne, handed, users=[successor], rights=[Right.MANAGE])
    # A bookmark holding the class group itself: the share it made is to that group.
    class_bookmark = do_create_bookmark(jeanne, "Ma classe", groups=[pupils_group])
    via_class_bookmark = upload(jeanne, "rallye.txt", b"class bookmark")
    check_share(jeanne, via_class_bookmark, bookmark=class_bookmark, rights=[Right.READ])
    assert access_node(pupil, inside.pk) and access_node(parent, inside.pk)
    assert access_node(other_pupil, via_class_bookmark.pk)
    files = Node.objects.count()
    # ...and writes to her class's parents, with the outing's form attached.
    letter = send(jeanne, [f"group:{parents_group.pk}"], subject="Sortie au musée",
                  files=[("autorisation.pdf", b"%PDF-1.4 form")])
    mailboxes = set(MessageCopy.objects.filter(message=letter).values_list("user", "folder"))
    assert (parent.pk, "inbox") in mailboxes and (jeanne.pk, "sent") in mailboxes
    # Pupils and accounts an ENT admin made by hand keep their ENT logins.
    guest = check_create_account(admin, first_name="Louise", last_name="Accueil",
                                 profile=Profile.GUEST, structure=school0)
    assert guest.source == Source.MANUAL
    logins = {}
    for person in (pupil, guest):
        person.set_password("Annee-2022-longue-phrase")
        person.save()
        logins[person.pk] = person.login

    # Paul logs in with his académie login, a parent with EduConnect: both are federated.
    educonnect = check_add_idp(kind=IdpKind.EDUCONNECT, name="EduConnect",
                               metadata=SSO_METADATA, academies=[academy])
    portal = check_add_idp(kind=IdpKind.ACADEMIE, name="Portail agents", academies=[academy],
                           metadata=SSO_METADATA.replace(b"ac-exemple", b"ac-lille"))
    other_parent = User.objects.filter(memberships__group=parents_group).order_by("-pk").first()
    assert other_parent and other_parent != parent
    do_federated_login(educonnect, other_parent, "ECT-RESP-1")
    do_federated_login(portal, paul, "paul@ac-lille.fr")
    federated = ((other_parent, educonnect), (paul, portal))

    def still_federated() -> bool:
        return all(User.objects.get(pk=person.pk).federated
                   and FederatedIdentity.objects.filter(user=person, idp=idp).exists()
                   for person, idp in federated)

    new_year = SchoolYear.objects.create(name="2023-2024", start=D(2023, 9, 1),
                                         end=D(2024, 7, 6))
    YearCalendar.objects.create(
        academy=academy, school_year=new_year, end_of_year=D(2023, 7, 7),
        first_teachers_feed=D(2023, 8, 18), transition=D(2023, 8, 24), rentree=D(2023, 9, 4),
        bascule_onde=D(2023, 9, 12), first_families_feed=D(2023, 9, 14))
    # Fifteen days before the transition, Jeanne is told which shares will go.
    warning = [b for b in banners_for(jeanne, D(2023, 8, 10)) if b.link]
    assert warning and "3 de vos partages" in warning[0].text

    # -- summer: feeds suspended, logins still work -----------------------------------------
    # The calendar suspends the académie's feeds from the end of the school year...
    refused = run_import(last_year.write(tmp_path / "july"), today=D(2023, 7, 10))
    assert refused.status == FeedRun.Status.REFUSED
    # ...and an ENT admin can suspend them by hand as well.
    do_set_feeds_frozen(academy, True, admin)
    jeanne.set_password("Ete-2023-longue-phrase")
    jeanne.save()
    client = client_for(None)
    assert client.post("/compte/connexion/", {"username": jeanne.login,
                                              "password": "Ete-2023-longue-phrase"}
                       ).status_code == 302
    refused = run_import(last_year.write(tmp_path / "july"), today=D(2023, 7, 20))
    assert refused.status == FeedRun.Status.REFUSED
    assert "suspendu" in refused.message
    assert still_federated()  # the summer freeze changes nobody's way in

    # -- late August: the teachers' file only -----------------------------------------------
    do_set_feeds_frozen(academy, False, admin)
    staff = [dataclasses.replace(t, structures=("ST1",), functions=(
        dataclasses.replace(t.functions[0], structure_key="ST1"),))
        if t.external_id == "T03" else t for t in world.staff]
    families_before = list(User.objects.filter(profile__in=(Profile.STUDENT, Profile.RELATIVE))
                           .order_by("pk").values_list("pk", "state"))
    august = dataclasses.replace(world, staff=staff)
    run = run_import(august.write(tmp_path / "august", kinds=("schools", "staff")),
                     today=D(2023, 8, 21))
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert list(StructureAttachment.objects.filter(user=jeanne)
                .values_list("structure__uai", flat=True)) == [uai(1)]
    assert list(User.objects.filter(profile__in=(Profile.STUDENT, Profile.RELATIVE))
                .order_by("pk").values_list("pk", "state")) == families_before
    assert Node.objects.count() == files  # she keeps producing, unshared, as the guide says

    # -- 24 August: the transition ----------------------------------------------------------
    report = run_transition(today=D(2023, 8, 24)).report
    assert report["errors"] == []
    # The class folder, to pupils and parents, and the file shared through the bookmark that
    # held the class group: shares to a groupe de scolarité, whatever made them.
    assert report["shares_purged"]["total"] == 3
    assert SchoolYear.objects.get(is_current=True) == new_year
    assert Node.objects.count() == files  # every file still exists
    # Messages stay in every mailbox; the class group reads as it was, with its members.
    assert set(MessageCopy.objects.filter(message=letter).values_list(
        "user", "folder")) == mailboxes
    for reader in (parent, jeanne):
        page = client_for(reader).get(f"/messagerie/message/{letter.pk}/").content.decode()
        assert parents_group.name in page and "autorisation.pdf" in page
    assert parent.full_name in page  # Jeanne still sees whom the group reached, by name
    for reader in (pupil, parent):
        with pytest.raises(Http404):
            access_node(reader, inside.pk)
        assert class_folder not in shared_with_me(reader)
    assert access_node(paul, by_name.pk)
    assert access_node(pupil, via_bookmark.pk)
    assert access_node(other_pupil, to_choir.pk)
    assert Right.MANAGE in access_node(successor, handed.pk).rights
    with pytest.raises(Http404):
        access_node(other_pupil, via_class_bookmark.pk)
    # Jeanne's bookmark now shows the class group among the members she can no longer see.
    page = client_for(jeanne).get(f"/annuaire/favoris/{class_bookmark.pk}/").content.decode()
    assert pupils_group.name in page[page.index('class="unreachable"'):]
    assert run_transition(today=D(2023, 8, 24)).report["changes"] == 0
    assert still_federated()

    # -- rentrée: no class yet for teachers; families see last year's class ------------------
    assert ATTACH_LATER in texts(jeanne, D(2023, 9, 4))
    assert any(t.startswith(AFTER_BASCULE) for t in texts(parent, D(2023, 9, 4)))
    assert list(archived_classes_of(pupil)) == [cm1]
    assert f"Classe de l'an dernier (archivée) : {cm1.name} ({school0.name})" in texts(
        parent, D(2023, 9, 4))
    assert StructureAttachment.objects.filter(user=pupil, structure=school0).exists()

    # -- bascule ONDE: the families' file, without the new CP of school 1 --------------------
    run = run_import(world.without_class("CP-1").write(tmp_path / "bascule",
                                                       kinds=("pupils", "relatives")),
                     today=D(2023, 9, 14))
    assert run.status == FeedRun.Status.APPLIED, run.message
    new_cm1 = SchoolClass.objects.get(code="CM1-1", school_year=new_year)
    assert Membership.objects.filter(user=pupil, group__school_class__school_year=new_year,
                                     group__profile=Profile.STUDENT).exists()
    assert not SchoolClass.objects.filter(code="CP-1", school_year=new_year).exists()
    check_attach_teacher_to_class(jeanne, new_cm1, jeanne)
    assert ATTACH_LATER not in texts(jeanne, D(2023, 9, 14))
    cp_last_year_class = SchoolClass.objects.filter(code="CP-1").first()
    assert cp_last_year_class is None
    assert ATTACH_LATER in texts(cp_teacher, D(2023, 9, 14))
    with time_machine.travel(datetime.datetime(2023, 9, 14, 10, tzinfo=PARIS), tick=False):
        page = client_for(cp_teacher).get("/").content.decode()
    assert "dès qu&#x27;elle apparaîtra avec au moins un élève" in page

    # -- two days later: the CP arrives, its teacher attaches --------------------------------
    run = run_import(world.write(tmp_path / "later", kinds=("pupils", "relatives")),
                     today=D(2023, 9, 16))
    assert run.status == FeedRun.Status.APPLIED, run.message
    cp = SchoolClass.objects.get(code="CP-1", school_year=new_year)
    check_attach_teacher_to_class(cp_teacher, cp, cp_teacher)
    assert ATTACH_LATER not in texts(cp_teacher, D(2023, 9, 16))
    with pytest.raises(DirectoryError):  # last year's class is archived: no attaching there
        check_attach_teacher_to_class(jeanne, cm1, jeanne)

    # Through it all, pupils and hand-made accounts kept their ENT logins and passwords.
    for person in User.objects.filter(pk__in=logins):
        assert person.login == logins[person.pk]
        assert client_for(None).post("/compte/connexion/", {
            "username": person.login, "password": "Annee-2022-longue-phrase"}).status_code == 302
    # Federated teachers and parents keep their way in, and their IdP links, all along.
    assert still_federated()
