"""Class pages, the home page's classes and a teacher attaching themself to a class."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.actions import do_add_to_class, do_link_relative
from preau.directory.models import GroupKind, Membership, MembershipSource
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def _class_url(school_class) -> str:
    return reverse("directory:class", args=[school_class.pk])


def _roster_names(response) -> dict[str, set[str]]:
    roster = response.context["roster"]
    return {"pupils": {u.full_name for u in roster.pupils},
            "teachers": {u.full_name for u in roster.teachers},
            "parents": {r.parent.full_name for r in roster.parents}}


def _add_family(personas, number: int):
    pupil = make_user("Léa", f"Famille{number:02d}", Profile.STUDENT)
    parent = make_user("Parent", f"Famille{number:02d}", Profile.RELATIVE)
    do_add_to_class(pupil, personas.school_class, MembershipSource.FEED)
    do_link_relative(parent, pupil)
    do_add_to_class(parent, personas.school_class, MembershipSource.FEED)
    return pupil, parent


def test_teacher_sees_the_whole_class_with_each_parents_children(client_for, personas):
    _add_family(personas, 1)
    response = client_for(personas.teacher).get(_class_url(personas.school_class))
    assert _roster_names(response) == {
        "pupils": {"Chloé Martin", "Léa Famille01"},
        "teachers": {"Jeanne Petit"},
        "parents": {"Marie Martin", "Parent Famille01"},
    }
    parents = {r.parent.full_name: [c.full_name for c in r.children]
               for r in response.context["roster"].parents}
    assert parents["Marie Martin"] == ["Chloé Martin"]
    assert response.context["roster"].hidden_count == 0
    content = response.content.decode()
    assert "Parent de" in content
    assert "Imprimer les fiches de connexion" in content
    assert reverse("accounts:class_sheets", args=[personas.school_class.pk]) in content
    assert reverse("accounts:reset_password", args=[personas.pupil.pk]) in content


def test_parent_sees_her_child_the_teacher_and_herself_only(client_for, personas):
    _add_family(personas, 1)
    response = client_for(personas.parent).get(_class_url(personas.school_class))
    assert response.status_code == 200
    assert _roster_names(response) == {"pupils": {"Chloé Martin"},
                                       "teachers": {"Jeanne Petit"},
                                       "parents": {"Marie Martin"}}
    assert response.context["roster"].hidden_count == 2
    content = response.content.decode()
    assert "Famille01" not in content
    assert "2 autres personnes" in content
    # No management link for a parent.
    assert reverse("accounts:class_sheets", args=[personas.school_class.pk]) not in content
    assert "/reinitialiser/" not in content


def test_pupil_sees_her_teacher_her_parent_and_herself(client_for, personas):
    _add_family(personas, 1)
    response = client_for(personas.pupil).get(_class_url(personas.school_class))
    assert _roster_names(response) == {"pupils": {"Chloé Martin"},
                                       "teachers": {"Jeanne Petit"},
                                       "parents": {"Marie Martin"}}
    assert "Famille01" not in response.content.decode()


def test_colleague_sees_the_class_but_cannot_manage_it(client_for, personas):
    response = client_for(personas.colleague).get(_class_url(personas.school_class))
    assert response.status_code == 200
    assert not response.context["can_manage"]
    assert "Chloé Martin" in _roster_names(response)["pupils"]
    assert reverse("accounts:class_sheets", args=[personas.school_class.pk]) not in \
        response.content.decode()


def test_school_admin_manages_the_class(client_for, personas):
    response = client_for(personas.school_admin).get(_class_url(personas.school_class))
    assert response.context["can_manage"]


@pytest.mark.parametrize("persona", ["other_teacher", "other_pupil", "guest"])
def test_class_of_another_school_or_class_is_404(client_for, personas, persona):
    response = client_for(getattr(personas, persona)).get(_class_url(personas.school_class))
    assert response.status_code == 404


def test_pupil_of_another_class_gets_404(client_for, personas):
    response = client_for(personas.other_pupil).get(_class_url(personas.school_class))
    assert response.status_code == 404
    response = client_for(personas.pupil).get(_class_url(personas.other_class))
    assert response.status_code == 404


def _class_page_queries(client, school_class) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_class_url(school_class))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["teacher", "parent"])
def test_class_page_query_count_does_not_grow_with_pupils(client_for, personas, persona,
                                                          django_assert_num_queries):
    client = client_for(getattr(personas, persona))
    client.get(reverse("home"))
    _add_family(personas, 1)
    few = _class_page_queries(client, personas.school_class)
    for number in range(2, 22):
        _add_family(personas, number)
    with django_assert_num_queries(few):
        response = client.get(_class_url(personas.school_class))
    if persona == "teacher":
        assert len(response.context["roster"].pupils) == 22
        assert len(response.context["roster"].parents) == 22
    assert few <= 16


# Attaching ----------------------------------------------------------------------------------


def _attached(user, school_class) -> bool:
    return Membership.objects.filter(user=user, group__school_class=school_class,
                                     group__kind=GroupKind.CLASS,
                                     group__profile=Profile.TEACHER).exists()


def test_colleague_attaches_to_a_class_with_a_pupil(client_for, personas):
    client = client_for(personas.colleague)
    url = reverse("directory:attach_class", args=[personas.school_class.pk])
    response = client.post(url, {"next": reverse("home")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert _attached(personas.colleague, personas.school_class)
    content = response.content.decode()
    assert "Vous êtes maintenant rattaché(e) à la classe CM1 A." in content
    assert "Me détacher de cette classe" in content


def test_colleague_cannot_attach_to_a_class_without_pupil(client_for, personas):
    client = client_for(personas.colleague)
    url = reverse("directory:attach_class", args=[personas.empty_class.pk])
    response = client.post(url, follow=True)
    assert not _attached(personas.colleague, personas.empty_class)
    content = response.content.decode()
    assert ("Vous ne pourrez être rattaché(e) à votre classe que s'il y a au moins un élève "
            "reporté sur l'ENT") in content.replace("&#x27;", "'")
    assert "eRun de circonscription" in content
    assert "Il vous manque des élèves" in content


def test_other_teacher_cannot_attach_to_a_class_of_school_a(client_for, personas):
    url = reverse("directory:attach_class", args=[personas.school_class.pk])
    response = client_for(personas.other_teacher).post(url)
    assert response.status_code == 404
    assert not _attached(personas.other_teacher, personas.school_class)


def test_pupil_cannot_attach_herself_as_a_teacher(client_for, personas):
    url = reverse("directory:attach_class", args=[personas.school_class.pk])
    response = client_for(personas.pupil).post(url, follow=True)
    assert "Seuls les enseignants et les personnels" in response.content.decode()
    assert not Membership.objects.filter(user=personas.pupil,
                                         group__profile=Profile.TEACHER).exists()


def test_teacher_detaches_from_a_class_she_attached_herself(client_for, personas):
    client = client_for(personas.colleague)
    client.post(reverse("directory:attach_class", args=[personas.school_class.pk]))
    assert _attached(personas.colleague, personas.school_class)
    response = client.post(reverse("directory:detach_class", args=[personas.school_class.pk]),
                           {"next": _class_url(personas.school_class)}, follow=True)
    assert response.redirect_chain[-1][0] == _class_url(personas.school_class)
    assert not _attached(personas.colleague, personas.school_class)
    assert "Vous n'êtes plus rattaché(e)" in response.content.decode().replace("&#x27;", "'")


def test_feed_attachment_cannot_be_undone_by_the_teacher(client_for, personas):
    do_add_to_class(personas.colleague, personas.school_class, MembershipSource.FEED)
    client_for(personas.colleague).post(
        reverse("directory:detach_class", args=[personas.school_class.pk]))
    assert _attached(personas.colleague, personas.school_class)


def test_pupil_cannot_detach_herself_from_her_class(client_for, personas):
    do_add_to_class(personas.pupil, personas.school_class, MembershipSource.MANUAL)
    client_for(personas.pupil).post(
        reverse("directory:detach_class", args=[personas.school_class.pk]))
    assert Membership.objects.filter(user=personas.pupil, source=MembershipSource.MANUAL,
                                     group__school_class=personas.school_class).exists()


def test_next_must_be_a_local_url(client_for, personas):
    response = client_for(personas.colleague).post(
        reverse("directory:attach_class", args=[personas.school_class.pk]),
        {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_class_page_offers_attaching_to_a_teacher_of_the_school(client_for, personas):
    response = client_for(personas.colleague).get(_class_url(personas.empty_class))
    content = response.content.decode()
    assert "Me rattacher à cette classe" in content
    assert "Aucun élève de cette classe n'est encore dans l'ENT" in content.replace("&#x27;", "'")
    # A parent gets no such button.
    response = client_for(personas.parent).get(_class_url(personas.school_class))
    assert "Me rattacher" not in response.content.decode()


def test_my_classes_tab(client_for, personas):
    response = client_for(personas.teacher).get(reverse("directory:classes"))
    names = {row.school_class.name for row in response.context["class_rows"]}
    assert names == {"CM1 A", "CP B"}
    response = client_for(personas.parent).get(reverse("directory:classes"))
    assert {row.school_class.name for row in response.context["class_rows"]} == {"CM1 A"}
    response = client_for(personas.other_pupil).get(reverse("directory:classes"))
    assert {row.school_class.name for row in response.context["class_rows"]} == {"CE2 Louise"}
    response = client_for(personas.ent_admin).get(reverse("directory:classes"))
    assert response.context["class_rows"] == []
