"""The home page: each profile's schools, classes or children."""

from __future__ import annotations

import pytest
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.actions import do_add_to_class
from preau.directory.models import MembershipSource
from tests.personas import make_user

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def test_teacher_sees_her_school_classes_pupil_counts_and_attachment(client_for, personas):
    response = client_for(personas.teacher).get(HOME)
    blocks = response.context["school_blocks"]
    assert [b.structure for b in blocks] == [personas.school]
    rows = {row.school_class.name: row for row in blocks[0].classes}
    assert set(rows) == {"CM1 A", "CP B"}
    assert rows["CM1 A"].pupil_count == 1 and rows["CM1 A"].attached
    assert rows["CP B"].pupil_count == 0 and not rows["CP B"].attached
    content = response.content.decode()
    assert "Me rattacher à cette classe" in content
    assert "Annuaire" in content and reverse("directory:bookmarks") in content


def test_pupil_count_counts_each_pupil_once_and_ignores_teachers(client_for, personas):
    for number in range(3):
        pupil = make_user("Élève", f"Compte{number}", Profile.STUDENT)
        do_add_to_class(pupil, personas.school_class, MembershipSource.FEED)
        do_add_to_class(pupil, personas.school_class, MembershipSource.MANUAL)
    response = client_for(personas.colleague).get(HOME)
    rows = {row.school_class.name: row for row in response.context["school_blocks"][0].classes}
    assert rows["CM1 A"].pupil_count == 4
    assert not rows["CM1 A"].attached


def test_other_teacher_sees_only_her_school(client_for, personas):
    response = client_for(personas.other_teacher).get(HOME)
    blocks = response.context["school_blocks"]
    assert [b.structure for b in blocks] == [personas.other_school]
    assert "CM1 A" not in response.content.decode()


def test_pupil_sees_her_class_and_teachers(client_for, personas):
    response = client_for(personas.pupil).get(HOME)
    classes = response.context["pupil_classes"]
    assert [c.school_class for c in classes] == [personas.school_class]
    assert classes[0].teachers == [personas.teacher]
    assert "Me rattacher" not in response.content.decode()


def test_parent_sees_her_children_with_class_and_school(client_for, personas):
    response = client_for(personas.parent).get(HOME)
    children = response.context["children"]
    assert [row.user for row in children] == [personas.pupil]
    assert children[0].classes == [personas.school_class]
    assert children[0].schools == [personas.school]
    content = response.content.decode()
    assert "Mes enfants" in content and "Chloé Martin" in content


def test_guest_sees_her_school(client_for, personas):
    response = client_for(personas.guest).get(HOME)
    assert response.context["schools"] == [personas.school]


def test_home_is_in_french(client_for, personas):
    content = client_for(personas.teacher).get(HOME).content.decode()
    assert "Bonjour, Jeanne Petit" in content
    assert "Classes de cette année scolaire" in content
