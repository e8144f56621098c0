"""A password reset, a block or a change of password ends the account's other sessions and
revokes its personal API tokens (issue 11, "Accounts", second finding). Real sessions: each
client logs in through the login page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from preau.accounts.actions import do_block, do_reset_password, do_unblock
from preau.accounts.models import PersonalToken, UserEvent
from preau.accounts.tokens import do_create_token
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nouveau-cartable-42"


def _logged_in(login: str, password: str = PASSWORD, address: str = "192.0.2.10") -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("accounts:login"),
                           {"username": login, "password": password})
    assert response.status_code == 302, response.status_code
    return client


def _is_logged_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def _token_works(key: str) -> bool:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_reset_ends_every_session_and_revokes_the_tokens(client_for, personas):
    laptop, phone = _logged_in(personas.teacher.login), _logged_in(personas.teacher.login,
                                                                   address="192.0.2.11")
    key = do_create_token(personas.teacher, "script")
    assert _is_logged_in(laptop) and _is_logged_in(phone) and _token_works(key)
    response = client_for(personas.school_admin).post(
        reverse("console:user_reset_password", args=[personas.teacher.pk]))
    assert response.status_code == 302
    assert not _is_logged_in(laptop) and not _is_logged_in(phone)
    assert not _token_works(key)
    assert PersonalToken.objects.get().revoked_at is not None
    event = personas.teacher.events.filter(kind=UserEvent.Kind.TOKEN).first()
    assert "password reset" in event.message and event.actor == personas.school_admin


def test_a_block_ends_the_sessions_for_good(personas):
    """Unblocking gives back the account, not the sessions and tokens of before."""
    laptop = _logged_in(personas.teacher.login)
    key = do_create_token(personas.teacher, "script")
    do_block(personas.teacher, personas.school_admin, "compte compromis")
    assert not _is_logged_in(laptop) and not _token_works(key)
    do_unblock(personas.teacher, personas.school_admin)
    assert not _is_logged_in(laptop)
    assert not _token_works(key)
    assert _is_logged_in(_logged_in(personas.teacher.login))  # a new login works


def test_blocking_through_the_api_revokes_too(personas):
    key = do_create_token(personas.teacher, "script")
    admin = APIClient()
    admin.force_login(personas.school_admin,
                      backend="preau.accounts.backends.LocalPasswordBackend")
    response = admin.post(f"/api/v1/admin/users/{personas.teacher.pk}/block/", {"reason": ""},
                          format="json")
    assert response.status_code == 200
    assert not _token_works(key)


def test_changing_ones_password_keeps_this_session_only(personas):
    here, elsewhere = _logged_in(personas.teacher.login), _logged_in(personas.teacher.login,
                                                                     address="192.0.2.11")
    key = do_create_token(personas.teacher, "script")
    response = here.post(reverse("accounts:password"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert _is_logged_in(here)
    assert not _is_logged_in(elsewhere)
    assert not _token_works(key)
    assert _is_logged_in(_logged_in(personas.teacher.login, NEW_PASSWORD))


def test_a_reset_by_the_teacher_ends_the_pupils_session(client_for, personas):
    pupil = _logged_in(personas.pupil.login)
    assert client_for(personas.teacher).post(
        reverse("accounts:reset_password", args=[personas.pupil.pk])).status_code == 200
    assert not _is_logged_in(pupil)


def test_sessions_opened_before_the_salt_existed_stay_valid(personas):
    """Deploying this change logs nobody out: without a salt the session hash is Django's."""
    client = _logged_in(personas.teacher.login)
    personas.teacher.refresh_from_db()
    assert personas.teacher.session_salt == ""
    assert _is_logged_in(client)


def test_other_accounts_keep_their_sessions_and_tokens(personas):
    colleague = _logged_in(personas.colleague.login)
    key = do_create_token(personas.colleague, "script")
    do_reset_password(personas.teacher, personas.school_admin)
    do_block(personas.pupil, personas.school_admin)
    assert _is_logged_in(colleague) and _token_works(key)
