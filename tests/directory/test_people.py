"""Person cards and group pages: only what the viewer may reach, private data to admins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.actions import do_add_to_class, do_link_relative
from preau.directory.models import Group, GroupKind, MembershipSource
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def _person(client, user):
    return client.get(reverse("directory:person", args=[user.pk]))


def test_card_shows_profile_school_and_class(client_for, personas):
    response = _person(client_for(personas.teacher), personas.pupil)
    content = response.content.decode()
    assert "Chloé Martin" in content
    assert "Élève" in content and "École Jean Jaurès" in content and "CM1 A" in content
    assert response.context["card"].relatives == [personas.parent]


@pytest.mark.parametrize("persona", ["teacher", "colleague", "parent"])
def test_private_fields_are_hidden_from_non_admins(client_for, personas, persona):
    personas.pupil.email = "chloe.martin@example.org"
    personas.pupil.ine = "123456789AB"
    personas.pupil.save()
    content = _person(client_for(getattr(personas, persona)), personas.pupil).content.decode()
    for private in ("02/09/2014", "2014", "chloe.martin@example.org", "123456789AB",
                    personas.pupil.login, "Date de naissance", "INE"):
        assert private not in content


@pytest.mark.parametrize("persona", ["school_admin", "ent_admin"])
def test_private_fields_are_shown_to_admins(client_for, personas, persona):
    personas.pupil.ine = "123456789AB"
    personas.pupil.save()
    content = _person(client_for(getattr(personas, persona)), personas.pupil).content.decode()
    assert "02/09/2014" in content
    assert "123456789AB" in content
    assert personas.pupil.login in content


def test_parent_card_lists_only_children_the_viewer_reaches(client_for, personas):
    sibling = make_user("Léo", "Martin", Profile.STUDENT)
    do_link_relative(personas.parent, sibling)
    do_add_to_class(sibling, personas.other_class, MembershipSource.FEED)
    response = _person(client_for(personas.teacher), personas.parent)
    children = [row.user for row in response.context["card"].children]
    assert children == [personas.pupil]  # the sibling is in another school
    assert "Léo Martin" not in response.content.decode()
    # The parent sees both of her children on her own card.
    own = _person(client_for(personas.parent), personas.parent)
    assert {row.user for row in own.context["card"].children} == {personas.pupil, sibling}


def test_pupil_card_seen_by_the_pupil_lists_her_parent(client_for, personas):
    response = _person(client_for(personas.pupil), personas.pupil)
    assert response.context["card"].relatives == [personas.parent]


def test_group_lists_only_members_the_viewer_reaches(client_for, personas):
    classmate = make_user("Nina", "Camarade", Profile.STUDENT)
    do_add_to_class(classmate, personas.school_class, MembershipSource.FEED)
    group = Group.objects.get(kind=GroupKind.CLASS, school_class=personas.school_class,
                              profile=Profile.STUDENT)
    url = reverse("directory:group", args=[group.pk])
    teacher_view = client_for(personas.teacher).get(url)
    assert {u.full_name for u in teacher_view.context["page"].object_list} == {
        "Chloé Martin", "Nina Camarade"}
    assert teacher_view.context["hidden_count"] == 0
    pupil_view = client_for(personas.pupil).get(url)
    assert [u.full_name for u in pupil_view.context["page"].object_list] == ["Chloé Martin"]
    assert pupil_view.context["hidden_count"] == 1
    content = pupil_view.content.decode()
    assert "Nina" not in content
    assert "1 autre membre n'est pas affiché" in content.replace("&#x27;", "'")
