"""A pre-deleted user is told, on the home page, how many days remain before deletion."""

import datetime

import pytest
from django.utils import timezone

from preau.accounts.models import State

pytestmark = pytest.mark.django_db


def test_predeleted_user_sees_the_days_left(personas, client_for, settings):
    settings.PREAU_DELETE_DAYS = 90
    pupil = personas.pupil
    pupil.state = State.PREDELETED
    pupil.predeleted_at = timezone.now() - datetime.timedelta(days=30)
    pupil.save()
    body = client_for(pupil).get("/").content.decode()
    assert "Votre compte sera supprimé dans 60 jours." in body


def test_active_user_sees_no_deletion_banner(personas, client_for):
    body = client_for(personas.pupil).get("/").content.decode()
    assert "Votre compte sera supprimé" not in body
