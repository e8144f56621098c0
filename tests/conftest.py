from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from preau.accounts.models import User
from tests.personas import Personas, build_personas

FAST_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    """Argon2 is deliberately slow; tests that check hashing opt out with @pytest.mark.argon2."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _admin_second_factor(settings, request):
    """Tests log admins in with their password alone, as in debug and the demo; those of the
    second factor opt in with @pytest.mark.second_factor (production's default)."""
    settings.PREAU_ADMIN_SECOND_FACTOR = "second_factor" in request.keywords


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    """Each test writes its files (held feed runs, demo logins...) in its own folder, so
    parallel workers never share a path."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    uploads = settings.DATA_DIR / "uploads"
    uploads.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    if settings.PREAU_STORAGE == "local":
        settings.STORAGES = {**settings.STORAGES, "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(settings.DATA_DIR / "documents")}}}


@pytest.fixture
def personas(db) -> Personas:
    return build_personas()


@pytest.fixture
def client_for(db) -> Callable[[User | None], Client]:
    """A test client logged in as `user` (or anonymous for None)."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
        return client

    return make
