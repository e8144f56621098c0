"""Passwords are stored with Argon2 under the real settings (not the tests' fast hasher)."""

import pytest
from django.conf import settings

from preau.accounts.actions import do_activate, do_create_user
from preau.accounts.models import Profile

pytestmark = pytest.mark.django_db


@pytest.mark.argon2
def test_activation_stores_an_argon2_hash():
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = do_create_user(first_name="Léa", last_name="Roux", profile=Profile.STUDENT)
    do_activate(user, "Cartable-vert-42")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Cartable-vert-42")
    assert user.password_history.get().password == user.password
