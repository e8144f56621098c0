"""Dashboard and school pages: counts scoped to the admin's schools, school admins, classes."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from preau.accounts.models import UserEvent
from preau.directory.models import Level, SchoolAdmin, SchoolClass

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_dashboard_counts_are_scoped(personas, client_for):
    school_admin = client_for(personas.school_admin).get(reverse("console:index"))
    ent_admin = client_for(personas.ent_admin).get(reverse("console:index"))
    assert school_admin.context["school_count"] == 1
    assert school_admin.context["class_count"] == 2
    assert school_admin.context["user_total"] == 6  # the six people attached to school A
    assert ent_admin.context["school_count"] == 2
    assert ent_admin.context["class_count"] == 3
    assert ent_admin.context["user_total"] == 9
    pupils = next(row for row in ent_admin.context["profile_table"] if row["profile"] == "Student")
    assert pupils["total"] == 2
    assert "Tableau de bord" in _body(school_admin)


def test_schools_list_is_scoped_and_counts(personas, client_for):
    body = _body(client_for(personas.school_admin).get(reverse("console:schools")))
    assert "0591001A" in body and "0592002B" not in body
    response = client_for(personas.ent_admin).get(reverse("console:schools"))
    body = _body(response)
    assert "0591001A" in body and "0592002B" in body and "Lille 2" in body
    rows = {s.uai: s for s in response.context["page"].object_list}
    assert rows["0591001A"].class_count == 2
    assert rows["0591001A"].user_count == 6
    searched = _body(client_for(personas.ent_admin).get(reverse("console:schools"),
                                                        {"q": "louise"}))
    assert "0592002B" in searched and "0591001A" not in searched


def test_school_page_lists_classes_teachers_and_admins(personas, client_for):
    response = client_for(personas.school_admin).get(
        reverse("console:school", args=[personas.school.pk]))
    body = _body(response)
    counts = {c.name: c.pupil_count for c in response.context["classes"]}
    assert counts == {"CM1 A": 1, "CP B": None}
    assert "Petit Jeanne" in body and "Bernard Paul" in body
    assert "Sophie Durand" in body
    assert 'name="login"' not in body  # only ENT admins name school admins
    assert 'name="code"' not in body  # the school has a feed: no manual classes


def test_ent_admin_adds_and_removes_a_school_admin(personas, client_for):
    client = client_for(personas.ent_admin)
    url = reverse("console:school_admin_add", args=[personas.school.pk])
    client.post(url, {"login": personas.colleague.login})
    assert SchoolAdmin.objects.filter(user=personas.colleague, structure=personas.school).exists()
    assert personas.colleague.events.filter(kind=UserEvent.Kind.UPDATED,
                                            actor=personas.ent_admin).exists()
    assert client_for(personas.colleague).get(reverse("console:index")).status_code == 200

    client.post(reverse("console:school_admin_remove",
                        args=[personas.school.pk, personas.colleague.pk]))
    assert not SchoolAdmin.objects.filter(user=personas.colleague).exists()
    assert client_for(personas.colleague).get(reverse("console:index")).status_code == 403


def test_school_admin_remove_permissions(personas, client_for):
    url = reverse("console:school_admin_remove", args=[personas.school.pk,
                                                       personas.school_admin.pk])
    assert client_for(personas.school_admin).post(url).status_code == 403
    assert client_for(personas.teacher).post(url).status_code == 403
    assert client_for(None).post(url).status_code == 302
    other = reverse("console:school_admin_remove", args=[personas.school.pk,
                                                         personas.teacher.pk])
    assert client_for(personas.ent_admin).post(other).status_code == 404
    assert SchoolAdmin.objects.filter(user=personas.school_admin).exists()


def test_a_pupil_cannot_become_school_admin(personas, client_for):
    response = client_for(personas.ent_admin).post(
        reverse("console:school_admin_add", args=[personas.school.pk]),
        {"login": personas.pupil.login}, follow=True)
    assert not SchoolAdmin.objects.filter(user=personas.pupil).exists()
    assert "Seuls les enseignants et les personnels" in _body(response)


def test_create_class_in_a_school_without_feed(personas, client_for):
    personas.school.has_feed = False
    personas.school.save()
    client = client_for(personas.school_admin)
    assert 'name="code"' in _body(client.get(reverse("console:school",
                                                     args=[personas.school.pk])))
    client.post(reverse("console:class_create", args=[personas.school.pk]),
                {"code": "GS-A", "name": "GS A", "levels": [Level.MS, Level.GS]})
    created = SchoolClass.objects.get(structure=personas.school, code="GS-A")
    assert created.levels == ["MS", "GS"]
    assert created.school_year == personas.year
    assert created.groups.count() == 4
    # The same code again is refused.
    response = client.post(reverse("console:class_create", args=[personas.school.pk]),
                           {"code": "GS-A", "name": "Autre", "levels": [Level.GS]}, follow=True)
    assert SchoolClass.objects.filter(structure=personas.school, code="GS-A").count() == 1
    assert "existe déjà" in _body(response)


def test_no_manual_class_in_a_fed_school(personas, client_for):
    client_for(personas.ent_admin).post(
        reverse("console:class_create", args=[personas.school.pk]),
        {"code": "X", "name": "X", "levels": [Level.CP]})
    assert not SchoolClass.objects.filter(code="X").exists()
