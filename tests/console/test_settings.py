"""ENT-wide pages: communication rules, API tokens, school years."""

from __future__ import annotations

import datetime
import html

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework import exceptions

from preau.accounts.models import PersonalToken
from preau.accounts.tokens import PersonalTokenAuthentication, do_create_token
from preau.directory.communication import reachable_users
from preau.directory.models import CommunicationRule, CommunicationScope, SchoolClass, SchoolYear

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_rules_toggle_changes_who_reaches_whom_at_once(personas, client_for):
    client = client_for(personas.ent_admin)
    body = _body(client.get(reverse("console:rules")))
    assert "2024" in body and "ministère" in body
    assert personas.teacher in set(reachable_users(personas.pupil))

    pupil_to_teacher = CommunicationRule.objects.get(
        sender_profile="Student", scope=CommunicationScope.SAME_CLASS, receiver_profile="Teacher")
    keep = [r.pk for r in CommunicationRule.objects.filter(enabled=True)
            if r.pk != pupil_to_teacher.pk]
    client.post(reverse("console:rules"), {"enabled": keep})
    pupil_to_teacher.refresh_from_db()
    assert not pupil_to_teacher.enabled
    assert pupil_to_teacher.updated_by == personas.ent_admin
    assert personas.teacher not in set(reachable_users(personas.pupil))
    # Other rules were left alone.
    assert personas.parent in set(reachable_users(personas.pupil))
    assert CommunicationRule.objects.filter(updated_by__isnull=False).count() == 1

    client.post(reverse("console:rules"), {"enabled": [*keep, pupil_to_teacher.pk]})
    assert personas.teacher in set(reachable_users(personas.pupil))


def test_tokens_list_and_revoke(personas, client_for):
    key = do_create_token(personas.teacher, "Export ENT")
    token = PersonalToken.objects.get(user=personas.teacher)
    client = client_for(personas.ent_admin)
    body = _body(client.get(reverse("console:tokens")))
    assert token.prefix in body and "Export ENT" in body and "Petit" in body

    response = client.post(reverse("console:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    request = RequestFactory().get("/api/v1/", HTTP_AUTHORIZATION=f"Token {key}")
    with pytest.raises(exceptions.AuthenticationFailed):
        PersonalTokenAuthentication().authenticate(request)
    assert reverse("console:token_revoke", args=[token.pk]) in body
    after = _body(client.get(reverse("console:tokens")))
    assert reverse("console:token_revoke", args=[token.pk]) not in after
    assert client.post(reverse("console:token_revoke", args=[99999])).status_code == 404


def test_create_school_year_and_switch_the_current_one(personas, client_for):
    client = client_for(personas.ent_admin)
    response = client.post(reverse("console:years"), {
        "name": "2024-2025", "start": "2024-09-02", "end": "2025-07-05"})
    assert response.status_code == 302
    new = SchoolYear.objects.get(name="2024-2025")
    assert not new.is_current

    client.post(reverse("console:year_set_current", args=[new.pk]))
    assert list(SchoolYear.objects.filter(is_current=True)) == [new]
    assert SchoolYear.current() == new
    # Last year's classes are no longer active.
    assert not SchoolClass.objects.active().exists()

    client.post(reverse("console:year_set_current", args=[personas.year.pk]))
    assert SchoolYear.current() == personas.year
    assert SchoolYear.objects.filter(is_current=True).count() == 1


@pytest.mark.parametrize(("name", "start", "end", "message"), [
    ("2024-2026", "2024-09-02", "2025-07-05", "2024-2025"),
    ("2025-2026", "2026-07-05", "2025-09-02", "après"),
    ("2023-2024", "2023-09-01", "2024-07-06", "existe déjà"),
    ("2022-2023", "2022-09-01", "2023-10-01", "chevauchent"),
])
def test_bad_school_years_are_refused(name, start, end, message, personas, client_for):
    response = client_for(personas.ent_admin).post(reverse("console:years"), {
        "name": name, "start": start, "end": end})
    assert message in _body(response)
    assert SchoolYear.objects.count() == 1


def test_years_page_lists_years(personas, client_for):
    SchoolYear.objects.create(name="2022-2023", start=datetime.date(2022, 9, 1),
                              end=datetime.date(2023, 7, 7))
    body = _body(client_for(personas.ent_admin).get(reverse("console:years")))
    assert "2022-2023" in body and "Année en cours" in body
