"""The production guide's environment passes `check --deploy`; HTTPS settings; what is not
served to anonymous visitors (the OpenAPI schema, Django's admin site)."""

from __future__ import annotations

import importlib
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from preau.accounts.models import User
from preau.accounts.tokens import do_create_token
from tests.personas import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S*)")


def _guide_environment(text: str) -> dict[str, str]:
    """The `NAME=value` lines of the first ```sh block after the Production heading."""
    section = text[text.index("## Production"):]
    block = section[section.index("```sh\n") + 6:]
    block = block[:block.index("```")]
    return {m[1]: m[2] for line in block.splitlines() if (m := ASSIGNMENT.match(line))}


def _check_deploy(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Only what a server's environment has besides the guide's (the test runner's own
    # variables, such as DJANGO_ALLOW_ASYNC_UNSAFE, are not a server's).
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "-m", "preau", "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, **env, "PREAU_DATA_DIR": str(tmp_path)}, capture_output=True, text=True,
        check=False, cwd=tmp_path)


def test_the_production_guide_passes_check_deploy(tmp_path):
    guide = _guide_environment((ROOT / "README.md").read_text())
    assert guide["PREAU_SSL_REDIRECT"] == "true" and guide["PREAU_HSTS_SECONDS"] == "31536000"
    # The key is the one value to make up (the guide says how); the rest is used as written.
    guide["PREAU_SECRET_KEY"] = secrets.token_urlsafe(50)
    result = _check_deploy(guide, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_configuration_page_shows_the_same_https_settings():
    guide = _guide_environment((ROOT / "README.md").read_text())
    page = _guide_environment((ROOT / "docs" / "configuration.md").read_text())
    assert page and all(guide[name] == value for name, value in page.items())


def test_without_https_settings_check_deploy_complains(tmp_path):
    guide = _guide_environment((ROOT / "README.md").read_text())
    guide["PREAU_SECRET_KEY"] = secrets.token_urlsafe(50)
    for name in ("PREAU_SSL_REDIRECT", "PREAU_HSTS_SECONDS", "PREAU_HSTS_INCLUDE_SUBDOMAINS",
                 "PREAU_HSTS_PRELOAD"):
        del guide[name]
    result = _check_deploy(guide, tmp_path)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr
    # With HSTS on, the two domain-wide choices must be made explicitly.
    guide["PREAU_HSTS_SECONDS"] = "31536000"
    guide["PREAU_SSL_REDIRECT"] = "true"
    result = _check_deploy(guide, tmp_path)
    assert "security.W005" in result.stderr and "security.W021" in result.stderr


def test_https_settings_come_from_the_environment(tmp_path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'preau.settings'; "
            "django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
            "s.SECURE_PROXY_SSL_HEADER, s.PREAU_DJANGO_ADMIN)")
    env = {**os.environ, "PREAU_DATA_DIR": str(tmp_path), "PREAU_SSL_REDIRECT": "true",
           "PREAU_HSTS_SECONDS": "600", "PREAU_HSTS_INCLUDE_SUBDOMAINS": "yes",
           "PREAU_HSTS_PRELOAD": "no", "PREAU_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == ["True", "600", "True", "False",
                                     "('HTTP_X_FORWARDED_PROTO',", "'https')", "False"]


@pytest.mark.django_db
def test_behind_the_proxy_plain_http_redirects_and_https_gets_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/compte/connexion/", HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/compte/connexion/"
    response = client.get("/compte/connexion/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# The OpenAPI schema -------------------------------------------------------------------------


def test_the_schema_is_for_logged_in_callers_only(personas):
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 401
    assert b"openapi" not in response.content
    session = APIClient()
    session.force_login(personas.pupil, backend="preau.accounts.backends.LocalPasswordBackend")
    assert session.get("/api/v1/schema/").status_code == 200
    key = do_create_token(personas.teacher, "script")
    response = APIClient().get("/api/v1/schema/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and b"/api/v1/directory/search/" in response.content


# Django's admin site ------------------------------------------------------------------------


def _reload_urls() -> None:
    import preau.urls

    importlib.reload(preau.urls)
    clear_url_caches()


@pytest.fixture
def django_admin_on(settings):
    settings.PREAU_DJANGO_ADMIN = True
    _reload_urls()
    yield
    settings.PREAU_DJANGO_ADMIN = False
    _reload_urls()


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser("operateur", PASSWORD, first_name="Opé",
                                         last_name="Rateur")


def test_the_django_admin_is_off_by_default(client, operator):
    assert client.get("/django-admin/").status_code == 404
    client.force_login(operator, backend="preau.accounts.backends.LocalPasswordBackend")
    assert client.get("/django-admin/").status_code == 404
    assert client.get("/django-admin/login/").status_code == 404


def test_the_django_admin_is_never_served_to_anonymous_visitors(client, operator,
                                                                 django_admin_on):
    response = client.get("/django-admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/compte/connexion/?next=/django-admin/"
    assert "django-admin" not in response.templates[0].name
    for response in (client.get("/django-admin/login/?next=/django-admin/auth/"),
                     client.post("/django-admin/login/?next=/django-admin/auth/",
                                 {"username": "operateur", "password": PASSWORD})):
        assert response.status_code == 302
        assert response["Location"] == "/compte/connexion/?next=/django-admin/auth/"
    assert "_auth_user_id" not in client.session  # the admin's own form logs nobody in


def test_the_django_admin_is_for_operators_only(client_for, personas, operator,
                                                django_admin_on):
    teacher = client_for(personas.teacher)
    assert teacher.get("/django-admin/", follow=True).status_code == 404
    ent_admin = client_for(personas.ent_admin)  # an ENT admin uses the console
    assert ent_admin.get("/django-admin/", follow=True).status_code == 404
    response = client_for(operator).get("/django-admin/")
    assert response.status_code == 200
    assert client_for(operator).get("/django-admin/login/")["Location"] == "/django-admin/"
