"""Accounts in the console: list, page, block, reset, identity, attachments, creation."""

from __future__ import annotations

import datetime
import html

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from preau.accounts.actions import do_create_user
from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.actions import (
    DirectoryError,
    check_attach_teacher_to_class,
    do_attach_to_structure,
)
from preau.directory.communication import reachable_users
from preau.directory.models import (
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    StructureAttachment,
)
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


def _can_log_in(user: User) -> bool:
    request = RequestFactory().post(reverse("accounts:login"))
    return Client().login(request=request, username=user.login, password=PASSWORD)


def _body(response) -> str:
    return html.unescape(response.content.decode())


# Block, unblock, reset ---------------------------------------------------------------------


def test_blocked_user_cannot_log_in_until_unblocked(personas, client_for):
    admin = client_for(personas.school_admin)
    assert _can_log_in(personas.pupil)
    response = admin.post(reverse("console:user_block", args=[personas.pupil.pk]),
                          {"reason": "Compte partagé entre élèves"})
    assert response.status_code == 302
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.BLOCKED
    assert not _can_log_in(personas.pupil)
    event = personas.pupil.events.get(kind=UserEvent.Kind.BLOCKED)
    assert event.actor == personas.school_admin
    assert event.message == "Compte partagé entre élèves"

    page = _body(admin.get(reverse("console:user", args=[personas.pupil.pk])))
    assert "Débloquer le compte" in page

    admin.post(reverse("console:user_unblock", args=[personas.pupil.pk]))
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.ACTIVE
    assert _can_log_in(personas.pupil)


def test_admin_cannot_block_themself(personas, client_for):
    client = client_for(personas.ent_admin)
    response = client.post(reverse("console:user_block", args=[personas.ent_admin.pk]),
                           follow=True)
    personas.ent_admin.refresh_from_db()
    assert personas.ent_admin.state == State.ACTIVE
    assert "Vous ne pouvez pas bloquer votre propre compte." in _body(response)


def test_school_admin_cannot_change_an_ent_admin_attached_to_their_school(personas, client_for):
    do_attach_to_structure(personas.ent_admin, personas.school)
    client = client_for(personas.school_admin)
    assert client.get(reverse("console:user", args=[personas.ent_admin.pk])).status_code == 200
    response = client.post(reverse("console:user_block", args=[personas.ent_admin.pk]))
    assert response.status_code == 403
    personas.ent_admin.refresh_from_db()
    assert personas.ent_admin.state == State.ACTIVE


def test_reset_password_shows_a_new_activation_code(personas, client_for):
    client = client_for(personas.school_admin)
    response = client.post(reverse("console:user_reset_password", args=[personas.guest.pk]),
                           follow=True)
    personas.guest.refresh_from_db()
    assert personas.guest.state == State.PENDING
    assert len(personas.guest.activation_code) == 8
    body = _body(response)
    assert personas.guest.activation_code in body
    assert "Code d'activation" in body
    assert not _can_log_in(personas.guest)


# Identity ----------------------------------------------------------------------------------


def test_manual_account_identity_can_be_edited(personas, client_for):
    client = client_for(personas.school_admin)
    url = reverse("console:user_edit", args=[personas.guest.pk])
    assert 'name="first_name"' in _body(client.get(url))
    response = client.post(url, {"first_name": "Irène", "last_name": "Visiteuse",
                                 "email": "irene@example.org", "birth_date": "1980-05-04"})
    assert response.status_code == 302
    personas.guest.refresh_from_db()
    assert personas.guest.full_name == "Irène Visiteuse"
    assert personas.guest.birth_date == datetime.date(1980, 5, 4)
    assert "visiteuse" in personas.guest.name_key
    event = personas.guest.events.get(kind=UserEvent.Kind.UPDATED)
    assert event.actor == personas.school_admin
    assert event.details["before"]["first_name"] == "Invité"


def test_feed_account_identity_is_read_only(personas, client_for):
    User.objects.filter(pk=personas.pupil.pk).update(source=Source.AAF1D)
    client = client_for(personas.school_admin)
    url = reverse("console:user_edit", args=[personas.pupil.pk])
    body = _body(client.get(url))
    assert 'name="first_name"' not in body
    assert "ne sont mis à jour que par l'alimentation" in body
    client.post(url, {"first_name": "Autre", "last_name": "Nom", "email": "",
                      "birth_date": ""})
    personas.pupil.refresh_from_db()
    assert personas.pupil.first_name == "Chloé"
    page = _body(client.get(reverse("console:user", args=[personas.pupil.pk])))
    assert reverse("console:user_edit", args=[personas.pupil.pk]) not in page


# User page ---------------------------------------------------------------------------------


def test_user_page_shows_identity_groups_and_history(personas, client_for):
    body = _body(client_for(personas.school_admin).get(
        reverse("console:user", args=[personas.teacher.pk])))
    assert personas.teacher.login in body
    assert "jeanne.petit@ac-test.fr" in body
    assert "CM1 A" in body
    assert "École Jean Jaurès" in body
    assert "Historique" in body
    assert "Compte créé" in body


def test_admin_attaches_colleague_to_a_class_without_pupils(personas, client_for):
    # Without admin rights the guide's rule refuses it: the class has no pupil yet.
    with pytest.raises(DirectoryError):
        check_attach_teacher_to_class(personas.colleague, personas.empty_class,
                                      personas.colleague)
    client = client_for(personas.school_admin)
    response = client.post(reverse("console:user_attach_class", args=[personas.colleague.pk]),
                           {"school_class": personas.empty_class.pk})
    assert response.status_code == 302
    membership = Membership.objects.get(user=personas.colleague,
                                        group__school_class=personas.empty_class,
                                        group__kind=GroupKind.CLASS)
    assert membership.source == MembershipSource.MANUAL
    assert membership.added_by == personas.school_admin
    assert personas.colleague.events.filter(kind=UserEvent.Kind.ATTACHED,
                                            actor=personas.school_admin).exists()

    client.post(reverse("console:user_detach_class",
                        args=[personas.colleague.pk, personas.empty_class.pk]))
    assert not Membership.objects.filter(user=personas.colleague,
                                         group__school_class=personas.empty_class).exists()


def test_school_admin_cannot_attach_to_another_schools_class(personas, client_for):
    client = client_for(personas.school_admin)
    client.post(reverse("console:user_attach_class", args=[personas.colleague.pk]),
                {"school_class": personas.other_class.pk})
    assert not Membership.objects.filter(user=personas.colleague,
                                         group__school_class=personas.other_class).exists()


def test_attach_and_detach_school(personas, client_for):
    client = client_for(personas.ent_admin)
    client.post(reverse("console:user_attach_school", args=[personas.colleague.pk]),
                {"structure": personas.other_school.pk})
    attachment = StructureAttachment.objects.get(user=personas.colleague,
                                                 structure=personas.other_school)
    assert attachment.source == Source.MANUAL
    client.post(reverse("console:user_detach_school",
                        args=[personas.colleague.pk, personas.other_school.pk]))
    assert not StructureAttachment.objects.filter(user=personas.colleague,
                                                  structure=personas.other_school).exists()


def test_feed_attachment_cannot_be_detached(personas, client_for):
    StructureAttachment.objects.filter(user=personas.pupil).update(source=Source.AAF1D)
    client = client_for(personas.school_admin)
    response = client.post(reverse("console:user_detach_school",
                                   args=[personas.pupil.pk, personas.school.pk]), follow=True)
    assert StructureAttachment.objects.filter(user=personas.pupil,
                                              structure=personas.school).exists()
    assert "alimentation" in _body(response)


def test_school_admin_losing_sight_after_detach_goes_back_to_list(personas, client_for):
    client = client_for(personas.school_admin)
    response = client.post(reverse("console:user_detach_school",
                                   args=[personas.guest.pk, personas.school.pk]))
    assert response.url == reverse("console:users")
    assert client.get(reverse("console:user", args=[personas.guest.pk])).status_code == 404


# Creating accounts -------------------------------------------------------------------------


def test_create_guest(personas, client_for):
    client = client_for(personas.school_admin)
    form = _body(client.get(reverse("console:user_create")))  # one school: straight to form
    assert 'name="first_name"' in form
    assert 'value="Teacher"' not in form  # the school has a feed
    response = client.post(reverse("console:user_create"), {
        "school": personas.school.pk, "profile": Profile.GUEST, "first_name": "Élodie",
        "last_name": "Intervenante", "email": "", "birth_date": ""})
    assert response.status_code == 302
    guest = User.objects.get(login="elodie.intervenante")
    assert response.url == reverse("console:user", args=[guest.pk])
    assert guest.source == Source.MANUAL
    assert guest.state == State.PENDING
    assert StructureAttachment.objects.filter(user=guest, structure=personas.school).exists()
    assert guest.events.get(kind=UserEvent.Kind.CREATED).actor == personas.school_admin
    page = _body(client.get(response.url))
    assert guest.login in page
    assert guest.activation_code in page


def test_create_foster_family_and_link_it_to_a_pupil(personas, client_for):
    client = client_for(personas.school_admin)
    client.post(reverse("console:user_create"), {
        "school": personas.school.pk, "profile": Profile.RELATIVE,
        "first_name": "Famille d'accueil", "last_name": "Roux", "email": "roux@example.org"})
    foster = User.objects.get(last_name="Roux")
    assert foster.profile == Profile.RELATIVE
    page = _body(client.get(reverse("console:user", args=[foster.pk])))
    assert "Martin Chloé" in page  # the pupil is offered
    assert "Lefèvre" not in page  # not a pupil of another school

    client.post(reverse("console:user_link_child", args=[foster.pk]),
                {"student": personas.pupil.pk})
    link = RelativeLink.objects.get(relative=foster, student=personas.pupil)
    assert link.source == Source.MANUAL
    assert personas.pupil in set(reachable_users(foster))
    assert foster.events.filter(kind=UserEvent.Kind.ATTACHED).exists()

    client.post(reverse("console:user_unlink_child", args=[foster.pk, personas.pupil.pk]))
    assert not RelativeLink.objects.filter(relative=foster).exists()


def test_cannot_link_a_pupil_of_another_school(personas, client_for):
    client = client_for(personas.school_admin)
    foster = do_create_user(first_name="F", last_name="A", profile=Profile.RELATIVE)
    do_attach_to_structure(foster, personas.school)
    client.post(reverse("console:user_link_child", args=[foster.pk]),
                {"student": personas.other_pupil.pk})
    assert not RelativeLink.objects.filter(relative=foster).exists()


def test_teacher_cannot_be_created_by_hand_in_a_fed_school(personas, client_for):
    client = client_for(personas.ent_admin)
    response = client.post(reverse("console:user_create"), {
        "school": personas.school.pk, "profile": Profile.TEACHER, "first_name": "Zoé",
        "last_name": "Fausse"})
    assert response.status_code == 200
    assert not User.objects.filter(last_name="Fausse").exists()


def test_pupil_created_in_a_school_without_feed_with_a_class(personas, client_for):
    personas.school.has_feed = False
    personas.school.save()
    client = client_for(personas.school_admin)
    response = client.post(reverse("console:user_create"), {
        "school": personas.school.pk, "profile": Profile.STUDENT, "first_name": "Léo",
        "last_name": "Nouveau", "birth_date": "2017-03-02",
        "school_class": personas.empty_class.pk})
    assert response.status_code == 302
    pupil = User.objects.get(last_name="Nouveau")
    assert Membership.objects.filter(user=pupil, group__school_class=personas.empty_class,
                                     group__profile=Profile.STUDENT).exists()
    assert pupil.birth_date == datetime.date(2017, 3, 2)


def test_ent_admin_chooses_the_school_first(personas, client_for):
    client = client_for(personas.ent_admin)
    body = _body(client.get(reverse("console:user_create")))
    assert 'name="school"' in body and 'name="first_name"' not in body
    assert "École Louise Michel" in body
    body = _body(client.get(reverse("console:user_create") + f"?school={personas.school.pk}"))
    assert 'name="first_name"' in body


# List ----------------------------------------------------------------------------------------


def _listed(client, **params) -> str:
    response = client.get(reverse("console:users"), params)
    assert response.status_code == 200
    return _body(response)


def test_search_is_accent_insensitive_and_scoped(personas, client_for):
    ent = client_for(personas.ent_admin)
    assert "hugo.lefevre" in _listed(ent, q="LEFÈVRE")
    assert "hugo.lefevre" in _listed(ent, q="lefevre hugo")
    assert "chloe.martin" in _listed(ent, q="chloe")
    assert "chloe.martin" not in _listed(ent, q="lefevre")
    school_admin = client_for(personas.school_admin)
    assert "hugo.lefevre" not in _listed(school_admin, q="lefevre")
    assert "chloe.martin" in _listed(school_admin, q="Chloé")


def test_filters(personas, client_for):
    ent = client_for(personas.ent_admin)
    teachers = _listed(ent, profile=Profile.TEACHER)
    assert "jeanne.petit" in teachers and "luc.moreau" in teachers
    assert "chloe.martin" not in teachers
    school_b = _listed(ent, school=personas.other_school.pk)
    assert "luc.moreau" in school_b and "jeanne.petit" not in school_b
    in_class = _listed(ent, school=personas.school.pk, school_class=personas.school_class.pk)
    assert "chloe.martin" in in_class and "paul.bernard" not in in_class
    User.objects.filter(pk=personas.guest.pk).update(state=State.BLOCKED)
    blocked = _listed(ent, state=State.BLOCKED)
    assert "invite.visiteur" in blocked and "jeanne.petit" not in blocked
    # A filter value the admin cannot choose is ignored, not an error.
    assert "jeanne.petit" in _listed(client_for(personas.school_admin),
                                     school=personas.other_school.pk)


def _add_users(personas, count: int) -> None:
    for number in range(count):
        user = do_create_user(first_name=f"Élève{number}", last_name="Nombreux",
                              profile=Profile.STUDENT)
        do_attach_to_structure(user, personas.school)


@pytest.mark.parametrize("extra", [0, 40])
def test_users_list_query_count_does_not_grow(extra, personas, client_for,
                                               django_assert_num_queries):
    _add_users(personas, extra)
    client = client_for(personas.school_admin)
    client.get(reverse("console:users"))  # warm the session
    with django_assert_num_queries(9):  # 8, plus the layout's quota gauge (one query)
        response = client.get(reverse("console:users"), {"q": "", "profile": ""})
    assert response.status_code == 200
    assert _body(response).count('href="/administration/comptes/') >= 5 + extra


def test_users_list_paginates(personas, client_for):
    _add_users(personas, 60)
    client = client_for(personas.ent_admin)
    first = _listed(client, q="nombreux")
    assert "Page 1 sur 2" in first
    second = _listed(client, q="nombreux", page=2)
    assert "Page 2 sur 2" in second
    assert second.count("Nombreux") == 10


def test_feed_class_attachment_is_not_detached(personas, client_for):
    response = client_for(personas.ent_admin).post(
        reverse("console:user_detach_class", args=[personas.other_teacher.pk,
                                                   personas.other_class.pk]), follow=True)
    assert Membership.objects.filter(user=personas.other_teacher,
                                     group__school_class=personas.other_class).exists()
    assert "vient de l'alimentation" in _body(response)
