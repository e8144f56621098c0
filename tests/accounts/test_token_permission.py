"""Personal API tokens are for adults (teachers, staff, ENT admins) and for the accounts an
ENT admin allows (issue 11, "Accounts", fourth finding)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from preau.accounts.actions import AccountError, check_create_token
from preau.accounts.models import PersonalToken, UserEvent
from preau.accounts.tokens import do_create_token
from tests.accounts.helpers import text

pytestmark = pytest.mark.django_db

TOKEN_HOLDERS = {"teacher", "colleague", "other_teacher", "school_admin", "ent_admin"}
EVERYONE = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
            "school_admin", "ent_admin", "guest"]


def _token_works(key: str) -> bool:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.parametrize("name", EVERYONE)
def test_the_account_page_offers_tokens_to_adults_only(client_for, personas, name):
    client = client_for(getattr(personas, name))
    page = text(client.get(reverse("accounts:profile")))
    assert ("Jetons d'API" in page) == (name in TOKEN_HOLDERS)
    assert (reverse("accounts:tokens") in page) == (name in TOKEN_HOLDERS)
    expected = 200 if name in TOKEN_HOLDERS else 403
    assert client.get(reverse("accounts:tokens")).status_code == expected
    client.post(reverse("accounts:tokens"), {"name": "script"})
    assert PersonalToken.objects.filter(user=getattr(personas, name)).exists() == (
        name in TOKEN_HOLDERS)


def test_an_existing_pupils_token_stops_working(personas):
    key = do_create_token(personas.pupil, "ancien script")  # made before the rule
    assert not _token_works(key)
    parent_key = do_create_token(personas.parent, "ancien script")
    assert not _token_works(parent_key)
    assert _token_works(do_create_token(personas.teacher, "script"))


def test_the_command_refuses_a_pupil_unless_allowed(personas, capsys):
    with pytest.raises(CommandError, match="administrateur de l'ENT"):
        call_command("token", "create", personas.pupil.login)
    assert not PersonalToken.objects.filter(user=personas.pupil).exists()
    personas.pupil.api_tokens_allowed = True
    personas.pupil.save()
    call_command("token", "create", personas.pupil.login, "--name", "robot")
    key = capsys.readouterr().out.strip()
    assert _token_works(key)


def test_check_create_token_refuses_parents_and_guests(personas):
    for person in (personas.parent, personas.guest):
        with pytest.raises(AccountError):
            check_create_token(person, "script")


def test_an_ent_admin_allows_and_withdraws_in_the_console(client_for, personas):
    admin = client_for(personas.ent_admin)
    url = reverse("console:user_api_tokens", args=[personas.pupil.pk])
    page = text(admin.get(reverse("console:user", args=[personas.pupil.pk])))
    assert "Autoriser les jetons d'API personnels" in page
    assert admin.post(url, {"allowed": "1"}).status_code == 302
    personas.pupil.refresh_from_db()
    assert personas.pupil.api_tokens_allowed
    key = check_create_token(personas.pupil, "robot")
    assert _token_works(key)
    assert "Jetons d'API" in text(client_for(personas.pupil).get(reverse("accounts:profile")))
    assert admin.post(url, {"allowed": "0"}).status_code == 302
    personas.pupil.refresh_from_db()
    assert not personas.pupil.api_tokens_allowed
    assert not _token_works(key)
    assert PersonalToken.objects.get(user=personas.pupil).revoked_at is not None
    kinds = list(personas.pupil.events.values_list("kind", "actor"))
    assert (UserEvent.Kind.UPDATED, personas.ent_admin.pk) in kinds
    assert (UserEvent.Kind.TOKEN, personas.ent_admin.pk) in kinds


def test_school_admins_see_no_switch_and_may_not_use_it(client_for, personas):
    client = client_for(personas.school_admin)
    page = text(client.get(reverse("console:user", args=[personas.pupil.pk])))
    assert "Autoriser les jetons d'API personnels" not in page
    response = client.post(reverse("console:user_api_tokens", args=[personas.pupil.pk]),
                           {"allowed": "1"})
    assert response.status_code == 403
    personas.pupil.refresh_from_db()
    assert not personas.pupil.api_tokens_allowed


def test_the_admin_api_switch(personas):
    def api(user):
        client = APIClient()
        client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
        return client

    url = f"/api/v1/admin/users/{personas.pupil.pk}/api-tokens/"
    assert api(personas.school_admin).post(url, {"allowed": True},
                                           format="json").status_code == 403
    assert api(personas.teacher).post(url, {"allowed": True}, format="json").status_code == 403
    response = api(personas.ent_admin).post(url, {"allowed": True}, format="json")
    assert response.status_code == 200
    assert response.json()["api_tokens_allowed"] is True
    assert response.json()["may_hold_api_tokens"] is True
    detail = api(personas.school_admin).get(f"/api/v1/admin/users/{personas.pupil.pk}/")
    assert detail.json()["may_hold_api_tokens"] is True
    assert api(personas.ent_admin).post(url, {}, format="json").status_code == 400


def test_the_migration_revokes_the_tokens_of_accounts_without_permission(personas):
    """Existing tokens of pupils, parents and guests are revoked at the upgrade, so that a
    later permission does not bring them back."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "preau.accounts.migrations.0004_revoke_tokens_of_accounts_without_permission")
    for user in (personas.pupil, personas.parent, personas.guest, personas.teacher,
                 personas.school_admin, personas.ent_admin):
        do_create_token(user, "avant")
    migration.revoke(apps, None)
    revoked = set(PersonalToken.objects.filter(revoked_at__isnull=False)
                  .values_list("user", flat=True))
    assert revoked == {personas.pupil.pk, personas.parent.pk, personas.guest.pk}
