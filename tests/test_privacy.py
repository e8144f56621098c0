"""Privacy between families: each finding of the attack review (issue 11) with its test.

Membership grants nothing: a pupil is in her school's and her class's pupils groups, a
parent in the parents groups, yet neither may write to them, share with them nor keep them
in a bookmark, because pupils may not reach pupils nor parents parents. A message to a
group shows its readers the group's label and the sender, never the other families' names;
a class shows a parent or a pupil the same people on the web and through the API; a person
card shows the same fields on both.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.actions import (
    DirectoryError,
    check_add_bookmark_members,
    do_add_to_class,
    do_create_bookmark,
    do_link_relative,
)
from preau.directory.models import MembershipSource
from preau.documents.actions import check_create_folder
from preau.messaging.actions import MessagingError, check_compose_and_send
from preau.messaging.models import MessageCopy
from preau.sharing.actions import SharingError, check_share
from preau.sharing.models import Right
from tests.personas import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(personas):
    """A second family in CM1 A: Léa Roux and her father Marc."""
    pupil2 = make_user("Léa", "Roux", Profile.STUDENT)
    parent2 = make_user("Marc", "Roux", Profile.RELATIVE)
    do_add_to_class(pupil2, personas.school_class, MembershipSource.FEED)
    do_link_relative(parent2, pupil2)
    do_add_to_class(parent2, personas.school_class, MembershipSource.FEED)
    return pupil2, parent2


def _school_group(personas, profile):
    return personas.school.groups.get(kind="structure", profile=profile)


def _class_group(personas, profile):
    return personas.school_class.groups.get(profile=profile)


@pytest.mark.parametrize(("who", "profile", "scope"), [
    ("pupil", Profile.STUDENT, "school"), ("pupil", Profile.STUDENT, "class"),
    ("parent", Profile.RELATIVE, "school"), ("parent", Profile.RELATIVE, "class"),
])
def test_a_member_may_not_write_to_her_own_families_group(personas, families, who, profile,
                                                          scope):
    """Finding: a pupil reached all 129 pupils of the school through the school's pupils
    group, a parent 193 parents."""
    group = (_school_group if scope == "school" else _class_group)(personas, profile)
    sender = getattr(personas, who)
    assert group.memberships.filter(user=sender).exists()
    with pytest.raises(MessagingError, match=f"group:{group.pk}"):
        check_compose_and_send(sender, to=[f"group:{group.pk}"], subject="Coucou")
    assert not MessageCopy.objects.filter(user=families[0]).exists()


def test_a_pupil_may_write_to_her_class_teachers_group(personas, families):
    teachers = _class_group(personas, Profile.TEACHER)
    message = check_compose_and_send(personas.pupil, to=[f"group:{teachers.pk}"],
                                     subject="Question")
    assert set(message.copies.values_list("user", flat=True)) == {personas.pupil.pk,
                                                                   personas.teacher.pk}


def test_the_composer_does_not_offer_the_pupils_group_to_a_pupil(client_for, personas):
    """Finding: the web composer offered « Élèves — École … » to pupils."""
    client = client_for(personas.pupil)
    page = client.get(reverse("messaging:recipients"), {"q": "eleves"}).content.decode()
    assert "Élèves — École Jean Jaurès" not in page and "Élèves — CM1 A" not in page
    page = client.get(reverse("messaging:recipients"), {"q": "enseignants"}).content.decode()
    assert "Enseignants — CM1 A" in page
    assert "Enseignants — École Jean Jaurès" not in page


@pytest.mark.parametrize(("who", "profile"), [("pupil", Profile.STUDENT),
                                              ("parent", Profile.RELATIVE)])
def test_a_member_may_not_share_with_or_bookmark_her_families_group(personas, who, profile):
    sender = getattr(personas, who)
    folder = check_create_folder(sender, "Mes dessins")
    for group in (_school_group(personas, profile), _class_group(personas, profile)):
        with pytest.raises(SharingError):
            check_share(sender, folder, groups=[group], rights=[Right.READ])
        with pytest.raises(DirectoryError):
            check_add_bookmark_members(do_create_bookmark(sender, "Copines"), groups=[group])


def test_share_dialog_search_offers_a_pupil_only_her_teachers_group(client_for, personas):
    folder = check_create_folder(personas.pupil, "Exposé")
    url = reverse("sharing:dialog", args=["documents.node", folder.pk])
    page = client_for(personas.pupil).get(url, {"q": "cm1"}).content.decode()
    assert "Enseignants — CM1 A" in page
    assert "Élèves — CM1 A" not in page and "Parents — CM1 A" not in page


def test_a_group_message_hides_the_other_families_from_a_parent(client_for, personas,
                                                                families):
    """Finding: the message page listed all 37 parents of a class under « Encore détenu par
    37 destinataires »."""
    _pupil2, parent2 = families
    parents = _class_group(personas, Profile.RELATIVE)
    message = check_compose_and_send(personas.teacher, to=[f"group:{parents.pk}"],
                                     cc=[f"user:{personas.colleague.pk}"], subject="Sortie")
    url = reverse("messaging:message", args=[message.pk])
    as_parent = client_for(personas.parent).get(url).content.decode()
    assert "Parents — CM1 A" in as_parent and personas.teacher.full_name in as_parent
    assert parent2.full_name not in as_parent
    # The other family and the colleague (Cc'd by name in the header) are counted only.
    assert "Encore détenu par 2 autres personnes" in as_parent
    assert "2 d\u2019entre elles ne sont pas nommées" in as_parent
    # Staff of the school reached see whom it reached, by name; so does its sender.
    for reader in (personas.colleague, personas.teacher):
        page = client_for(reader).get(url).content.decode()
        assert parent2.full_name in page and personas.parent.full_name in page
    # The API says the same.
    data = client_for(personas.parent).get(f"/api/v1/mail/messages/{message.pk}/").json()
    assert data["participants"] == [] and data["other_participants"] == 2
    assert parent2.full_name not in str(data)
    data = client_for(personas.colleague).get(f"/api/v1/mail/messages/{message.pk}/").json()
    assert {p["name"] for p in data["participants"]} == {personas.parent.full_name,
                                                         parent2.full_name}


def test_reply_all_from_a_parent_goes_to_the_sender_only_and_says_so(client_for, personas,
                                                                      families):
    parents = _class_group(personas, Profile.RELATIVE)
    message = check_compose_and_send(personas.teacher, to=[f"group:{parents.pk}"],
                                     subject="Sortie")
    client = client_for(personas.parent)
    response = client.post(reverse("messaging:reply_all", args=[message.pk]), follow=True)
    page = response.content.decode()
    assert "Votre réponse ne va qu\u2019à l\u2019expéditeur" in page
    assert "Parents — CM1 A" in page
    reply = MessageCopy.objects.filter(user=personas.parent, folder="drafts").get().message
    assert [(a.user_id, a.group_id) for a in reply.addresses.all()] == [
        (personas.teacher.pk, None)]
    api = client_for(personas.parent).post(f"/api/v1/mail/messages/{message.pk}/reply/",
                                           {"all": True}, content_type="application/json")
    assert api.status_code == 201
    assert api.json()["sender_only"] is True and api.json()["dropped"] == ["Parents — CM1 A"]


def test_a_person_card_shows_the_same_private_fields_on_the_web_and_the_api(client_for,
                                                                          personas):
    """Finding: for the person themself, the API showed more than the web."""
    pupil = personas.pupil
    for viewer, sees in ((pupil, True), (personas.school_admin, True), (personas.parent, False),
                         (personas.teacher, False)):
        client = client_for(viewer)
        page = client.get(reverse("directory:person", args=[pupil.pk])).content.decode()
        data = client.get(f"/api/v1/people/{pupil.pk}/").json()
        assert (pupil.login in page) is sees, viewer.login
        assert ("login" in data) is sees, viewer.login
