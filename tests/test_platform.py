"""Platform: settings from the environment, hashing, security headers, system checks."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from preau.lib.env import env_bool, env_int, env_list
from preau.lib.text import login_part, search_key


def test_env_helpers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", "a.fr, b.fr ,")
    assert env_list("X_LIST", []) == ["a.fr", "b.fr"]
    monkeypatch.setenv("X_BOOL", "off")
    assert env_bool("X_BOOL", True) is False


def test_bad_setting_stops_the_start(tmp_path):
    env = {**os.environ, "PREAU_DATA_DIR": str(tmp_path), "PREAU_DEBUG": "perhaps"}
    result = subprocess.run([sys.executable, "-m", "preau", "check"], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "PREAU_DEBUG must be a boolean" in result.stderr


def test_data_dir_and_database_url_are_honoured(tmp_path):
    env = {**os.environ, "PREAU_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    code = ("from django.conf import settings; "
            "print(settings.DATABASES['default']['NAME'])")
    result = subprocess.run([sys.executable, "-c", "import django, os; "
                             "os.environ['DJANGO_SETTINGS_MODULE']='preau.settings'; "
                             "django.setup(); " + code],
                            env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(tmp_path / "preau.sqlite3")
    assert (tmp_path / "secret_key").exists()


@pytest.mark.argon2
def test_argon2_is_the_first_hasher():
    """Préau's Argon2id with OWASP's parameters (tests/accounts/test_argon2.py)."""
    assert settings.PASSWORD_HASHERS[0] == "preau.accounts.passwords.PreauArgon2PasswordHasher"


def test_default_language_is_french():
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _name in settings.LANGUAGES] == ["fr", "en"]


@pytest.mark.django_db
def test_security_headers(client):
    response = client.get("/compte/connexion/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_deploy_checks_warn_about_the_generated_key(monkeypatch):
    monkeypatch.delenv("PREAU_SECRET_KEY", raising=False)
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    assert "preau.W001" in str(excinfo.value)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Jean-Noël", "jeannoel"), ("D'Artagnan", "dartagnan"), ("Œdipe", "oedipe"),
    ("  Zoé  ", "zoe"), ("Ñúñez", "nunez"),
])
def test_login_part(raw, expected):
    assert login_part(raw) == expected


def test_search_key_is_accent_and_case_free():
    assert search_key("  Chloé  MARTIN ") == "chloe martin"


@pytest.mark.django_db
def test_french_first_whatever_the_browser_says(client):
    response = client.get("/compte/connexion/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


@pytest.mark.django_db
def test_english_when_the_user_chooses_it(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/compte/connexion/"})
    assert response.status_code == 302
    response = client.get("/compte/connexion/")
    assert response["Content-Language"] == "en"
    assert "Log in" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_is_in_the_header_then_in_the_footer(client_for, personas):
    """Anonymous pages offer it at the top; once logged in, the menu needs the width and the
    switch moves to the footer of every page."""
    page = client_for(None).get("/compte/connexion/").content.decode()
    header = page[page.index('<header class="site-header">'):page.index("</header>")]
    assert 'id="language-select"' in header
    page = client_for(personas.teacher).get("/").content.decode()
    assert page.count('id="language-select"') == 1
    footer = page[page.index('<footer class="site-footer">'):]
    assert 'id="language-select"' in footer and 'action="/i18n/setlang/"' in footer


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
@pytest.mark.django_db
def test_the_database_check_warns_about_planner_settings_for_disks():
    from preau.lib.checks import check_postgres_planner

    with connection.cursor() as cursor:
        cursor.execute("SET random_page_cost = 4")
        cursor.execute("SET jit = on")
    ids = {m.id for m in check_postgres_planner(databases=["default"])}
    assert ids == {"preau.W004", "preau.W005"}
    with connection.cursor() as cursor:
        cursor.execute("SET random_page_cost = 1.1")
        cursor.execute("SET jit = off")
    assert check_postgres_planner(databases=["default"]) == []
