"""Who gets in: sessions and personal tokens; anonymous and revoked callers get a 401."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from preau.accounts.models import PersonalToken, State
from preau.accounts.tokens import do_create_token, do_revoke_token

pytestmark = pytest.mark.django_db

# Every endpoint, with an id that exists in the personas' world ({p}: the pupil, {c}: the
# class, {g}: a group, {s}: the school); anonymous callers must never get further than 401.
ENDPOINTS = [
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/me/tokens/"),
    ("delete", "/api/v1/me/tokens/1/"),
    ("get", "/api/v1/directory/search/?q=martin"),
    ("get", "/api/v1/people/{p}/"),
    ("get", "/api/v1/classes/"),
    ("get", "/api/v1/classes/{c}/"),
    ("post", "/api/v1/classes/{c}/attach/"),
    ("get", "/api/v1/groups/"),
    ("get", "/api/v1/groups/{g}/"),
    ("get", "/api/v1/bookmarks/"),
    ("post", "/api/v1/bookmarks/"),
    ("get", "/api/v1/bookmarks/1/"),
    ("patch", "/api/v1/bookmarks/1/"),
    ("delete", "/api/v1/bookmarks/1/"),
    ("post", "/api/v1/bookmarks/1/members/"),
    ("delete", "/api/v1/bookmarks/1/members/1/"),
    ("get", "/api/v1/admin/users/"),
    ("post", "/api/v1/admin/users/"),
    ("get", "/api/v1/admin/users/{p}/"),
    ("patch", "/api/v1/admin/users/{p}/"),
    ("post", "/api/v1/admin/users/{p}/block/"),
    ("post", "/api/v1/admin/users/{p}/unblock/"),
    ("post", "/api/v1/admin/users/{p}/reset-password/"),
    ("post", "/api/v1/admin/users/{p}/attachments/"),
    ("delete", "/api/v1/admin/users/{p}/attachments/{s}/"),
]


def _url(template: str, personas) -> str:
    group = personas.school_class.groups.first()
    return template.format(p=personas.pupil.pk, c=personas.school_class.pk, g=group.pk,
                           s=personas.school.pk)


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_anonymous_gets_401_with_a_token_challenge_everywhere(personas, method, template):
    response = getattr(APIClient(), method)(_url(template, personas), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_revoked_token_gets_401_everywhere(personas):
    key = do_create_token(personas.ent_admin)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200
    do_revoke_token(PersonalToken.objects.get(user=personas.ent_admin), personas.ent_admin)
    for method, template in ENDPOINTS:
        response = getattr(client, method)(_url(template, personas), {}, format="json")
        assert response.status_code == 401, (method, template)


def test_token_authenticates_and_records_its_use(personas):
    key = do_create_token(personas.teacher, name="script")
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["login"] == personas.teacher.login
    assert PersonalToken.objects.get(user=personas.teacher).last_used_at is not None


@pytest.mark.parametrize("header", ["Token not-a-key", "Token", "Token a b"])
def test_bad_token_header_is_401(personas, header):
    response = APIClient(HTTP_AUTHORIZATION=header).get("/api/v1/me/")
    assert response.status_code == 401


def test_token_of_a_blocked_account_is_401(personas):
    key = do_create_token(personas.teacher)
    personas.teacher.state = State.BLOCKED
    personas.teacher.save()
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    assert response.status_code == 401


def test_token_writes_need_no_csrf_but_session_writes_do(personas):
    key = do_create_token(personas.teacher)
    with_token = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")
    assert with_token.post("/api/v1/bookmarks/", {"name": "Par jeton"},
                           format="json").status_code == 201
    with_session = APIClient(enforce_csrf_checks=True)
    with_session.force_login(personas.teacher,
                             backend="preau.accounts.backends.LocalPasswordBackend")
    assert with_session.post("/api/v1/bookmarks/", {"name": "Par session"},
                             format="json").status_code == 403


def test_token_create_command_prints_only_a_working_key(personas):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", personas.teacher.login, "--name", "sauvegarde",
                 stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert "\n" not in key and " " not in key and len(key) >= 40
    token = PersonalToken.objects.get(user=personas.teacher)
    assert token.name == "sauvegarde"
    assert token.key_hash == PersonalToken.hash_key(key)  # only the hash is stored
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    assert response.json()["id"] == personas.teacher.pk


def test_token_list_and_revoke_commands(personas):
    out = io.StringIO()
    call_command("token", "create", personas.teacher.login, stdout=out)
    key = out.getvalue().strip()
    listing = io.StringIO()
    call_command("token", "list", personas.teacher.login, stdout=listing)
    assert key[:8] in listing.getvalue()
    assert "active" in listing.getvalue()
    assert key not in listing.getvalue()
    call_command("token", "revoke", key[:8], stdout=io.StringIO())
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code == 401
    with pytest.raises(CommandError):
        call_command("token", "revoke", key[:8], stdout=io.StringIO())


def test_token_create_for_unknown_login_fails(db):
    with pytest.raises(CommandError):
        call_command("token", "create", "personne.inconnue", stdout=io.StringIO())
    assert not PersonalToken.objects.exists()


def test_token_prefixes_never_start_with_a_dash(personas, monkeypatch):
    """A prefix is typed after `preau token revoke`: "-abc…" would read as an option."""
    keys = iter(["-" + "a" * 42, "b" * 43])
    monkeypatch.setattr("preau.accounts.tokens.secrets.token_urlsafe", lambda n: next(keys))
    out = io.StringIO()
    call_command("token", "create", personas.teacher.login, stdout=out)
    key = out.getvalue().strip()
    assert key == "b" * 43
    call_command("token", "revoke", key[:8], stdout=io.StringIO())
