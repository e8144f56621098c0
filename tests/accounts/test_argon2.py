"""Passwords are stored with Argon2id under the real settings (not the tests' fast hasher),
with OWASP's parameters; hashes made with Django's defaults are upgraded at the next
successful login (issue 12)."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import Client
from django.urls import reverse

from preau.accounts.actions import do_activate, do_create_user
from preau.accounts.models import Profile, User
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

OWASP = "m=19456,t=2,p=1"
DJANGO_DEFAULTS = "m=102400,t=2,p=8"


@pytest.mark.argon2
def test_activation_stores_an_owasp_argon2id_hash():
    assert settings.PASSWORD_HASHERS[0] == "preau.accounts.passwords.PreauArgon2PasswordHasher"
    user = do_create_user(first_name="Léa", last_name="Roux", profile=Profile.STUDENT)
    do_activate(user, "Cartable-vert-42")
    user.refresh_from_db()
    assert user.password.startswith(f"argon2$argon2id$v=19${OWASP}$")
    assert user.check_password("Cartable-vert-42")
    assert user.password_history.get().password == user.password


def _with_django_default_hash(user: User) -> str:
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    assert f"${DJANGO_DEFAULTS}$" in old
    User.objects.filter(pk=user.pk).update(password=old)
    return old


def _login(password: str) -> int:
    client = Client(REMOTE_ADDR="192.0.2.80")
    return client.post(reverse("accounts:login"), {"username": "jeanne.petit",
                                                   "password": password}).status_code


@pytest.mark.argon2
def test_an_old_hash_is_upgraded_at_the_next_successful_login(personas):
    assert personas.teacher.login == "jeanne.petit"
    old = _with_django_default_hash(personas.teacher)
    assert _login("Not-the-password-1") == 200
    personas.teacher.refresh_from_db()
    assert personas.teacher.password == old  # a failed login changes nothing
    assert _login(PASSWORD) == 302
    personas.teacher.refresh_from_db()
    assert personas.teacher.password.startswith(f"argon2$argon2id$v=19${OWASP}$")
    assert personas.teacher.check_password(PASSWORD)
    assert _login(PASSWORD) == 302  # and the new hash verifies at the next login


@pytest.mark.argon2
def test_a_current_hash_is_not_rewritten(personas):
    personas.teacher.set_password(PASSWORD)
    personas.teacher.save()
    current = personas.teacher.password
    assert f"${OWASP}$" in current
    assert _login(PASSWORD) == 302
    personas.teacher.refresh_from_db()
    assert personas.teacher.password == current
