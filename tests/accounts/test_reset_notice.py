"""Every reset of a pupil's password is in her history and told to her parents (legal and
foster), whoever resets it and wherever (issue 11, "Accounts", first finding)."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from preau.accounts.actions import do_reset_password
from preau.accounts.models import Profile, UserEvent
from preau.directory.actions import do_link_relative
from preau.messaging.models import Message, MessageCopy, SystemFolder
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def _notices_of(user):
    return Message.objects.filter(sender=None, copies__user=user,
                                  copies__folder=SystemFolder.INBOX)


def test_parents_and_foster_family_are_told_in_french(client_for, personas):
    foster = make_user("Famille", "Accueil", Profile.RELATIVE)
    do_link_relative(foster, personas.pupil, legal=False)
    moment = timezone.make_aware(datetime.datetime(2023, 9, 12, 8, 31))
    with time_machine.travel(moment, tick=False):
        response = client_for(personas.teacher).post(
            reverse("accounts:reset_password", args=[personas.pupil.pk]))
    assert response.status_code == 200
    notice = _notices_of(personas.parent).get()
    assert set(MessageCopy.objects.filter(message=notice).values_list("user", flat=True)) == {
        personas.parent.pk, foster.pk}
    assert notice.subject == "Mot de passe de Chloé Martin réinitialisé"
    body = unescape(notice.body)
    assert "Chloé Martin" in body and personas.pupil.login in body
    assert "Jeanne Petit" in body  # who
    assert "12 septembre 2023 à 08:31" in body  # when
    assert "Si vous n'attendiez pas cette réinitialisation" in body
    assert MessageCopy.objects.get(message=notice, user=personas.parent).is_unread
    event = personas.pupil.events.get(kind=UserEvent.Kind.PASSWORD_RESET)
    assert event.actor == personas.teacher


def test_the_notice_is_french_whatever_the_actors_language(client_for, personas):
    client = client_for(personas.teacher)
    client.cookies["django_language"] = "en"
    client.post(reverse("accounts:reset_password", args=[personas.pupil.pk]),
                HTTP_ACCEPT_LANGUAGE="en")
    assert _notices_of(personas.parent).get().subject.startswith("Mot de passe de")


def test_console_and_api_resets_are_told_too(client_for, personas):
    client_for(personas.school_admin).post(
        reverse("console:user_reset_password", args=[personas.pupil.pk]))
    assert _notices_of(personas.parent).count() == 1
    assert "Sophie Durand" in unescape(_notices_of(personas.parent).get().body)
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(personas.ent_admin, backend="preau.accounts.backends.LocalPasswordBackend")
    assert api.post(f"/api/v1/admin/users/{personas.pupil.pk}/reset-password/").status_code == 200
    assert _notices_of(personas.parent).count() == 2
    assert personas.pupil.events.filter(kind=UserEvent.Kind.PASSWORD_RESET).count() == 2


def test_only_the_pupils_own_parents_are_told(personas):
    do_reset_password(personas.pupil, personas.teacher)
    told = set(MessageCopy.objects.filter(message__sender=None).values_list("user", flat=True))
    assert told == {personas.parent.pk}


def test_resetting_an_adults_password_tells_nobody(personas):
    do_reset_password(personas.parent, personas.school_admin)
    assert not Message.objects.filter(sender=None).exists()
    assert personas.parent.events.filter(kind=UserEvent.Kind.PASSWORD_RESET).exists()
