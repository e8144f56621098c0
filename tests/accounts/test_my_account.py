"""My account: identity, password change with history, personal API tokens."""

import itertools

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from preau.accounts.actions import do_activate
from preau.accounts.models import PersonalToken, UserEvent
from preau.accounts.tokens import do_create_token
from tests.accounts.helpers import text
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
PASSWORD_PAGE = reverse("accounts:password")
TOKENS = reverse("accounts:tokens")


class WhoAmI(APIView):
    """An endpoint with the API's settings (authentication classes) that needs a login."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"login": request.user.login})


def call_api(key=None):
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}
    return WhoAmI.as_view()(APIRequestFactory().get("/api/v1/whoami/", **headers))


@pytest.mark.parametrize("url", [PROFILE, PASSWORD_PAGE, TOKENS])
def test_account_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["teacher", "pupil", "parent", "school_admin", "ent_admin",
                                  "guest"])
def test_every_profile_sees_their_own_account(client_for, personas, name):
    user = getattr(personas, name)
    html = text(client_for(user).get(PROFILE))
    assert user.login in html
    assert user.full_name in html


def test_profile_shows_identity_schools_and_class(client_for, personas):
    response = client_for(personas.pupil).get(PROFILE)
    html = text(response)
    assert "Chloé Martin" in html
    assert personas.school.name in html
    assert personas.school_class.name in html
    assert "Élève" in html
    assert 'aria-current="page"' in html


def test_parent_profile_lists_children(client_for, personas):
    html = text(client_for(personas.parent).get(PROFILE))
    assert personas.pupil.full_name in html


# Password ----------------------------------------------------------------------------------


def change(client, old, new):
    return client.post(PASSWORD_PAGE, {"old_password": old, "new_password1": new,
                                       "new_password2": new})


def test_password_change_works_and_keeps_the_session(client_for, personas):
    client = client_for(personas.teacher)
    response = change(client, PASSWORD, "Nouveau-mdp-2024")
    assert response.status_code == 302 and response["Location"] == PROFILE
    personas.teacher.refresh_from_db()
    assert personas.teacher.check_password("Nouveau-mdp-2024")
    assert personas.teacher.password_history.count() == 1
    assert personas.teacher.events.filter(kind=UserEvent.Kind.PASSWORD_CHANGED).exists()
    assert client.get(PROFILE).status_code == 200  # still logged in


def test_password_change_needs_the_current_password(client_for, personas):
    response = change(client_for(personas.teacher), "Wrong-pass-123", "Nouveau-mdp-2024")
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    personas.teacher.refresh_from_db()
    assert personas.teacher.check_password(PASSWORD)


def test_password_change_applies_the_validators(client_for, personas):
    response = change(client_for(personas.teacher), PASSWORD, "12345678")
    assert "new_password2" in response.context["form"].errors


def test_history_refuses_the_last_five_passwords(client_for, personas):
    client = client_for(personas.teacher)
    passwords = [f"Historique-{n}-mdp" for n in range(6)]
    assert change(client, PASSWORD, passwords[0]).status_code == 302
    for old, new in itertools.pairwise(passwords[:5]):
        assert change(client, old, new).status_code == 302
    # passwords[0..4] are the last five: each is refused.
    for reused in passwords[:5]:
        response = change(client, passwords[4], reused)
        assert response.status_code == 200
        assert "récemment" in text(response)
    # One more new password pushes passwords[0] out of the last five.
    assert change(client, passwords[4], passwords[5]).status_code == 302
    assert change(client, passwords[5], passwords[0]).status_code == 302


def test_history_includes_the_activation_password(client_for, personas):
    do_activate(personas.pupil, "Premier-mdp-2023")
    response = change(client_for(personas.pupil), "Premier-mdp-2023", "Premier-mdp-2023")
    assert "new_password2" in response.context["form"].errors


def test_wrong_old_passwords_lead_to_the_lockout(client_for, personas):
    client = client_for(personas.teacher)
    for _attempt in range(4):
        assert change(client, "Wrong-pass-123", "Nouveau-mdp-2024").status_code == 200
    assert change(client, "Wrong-pass-123", "Nouveau-mdp-2024").status_code == 429
    assert change(client, PASSWORD, "Nouveau-mdp-2024").status_code == 429
    personas.teacher.refresh_from_db()
    assert personas.teacher.check_password(PASSWORD)


def test_federated_account_has_no_password_form(personas, settings):
    # Federated accounts have sessions through an SSO backend, never the local one.
    sso_backend = "django.contrib.auth.backends.ModelBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, sso_backend]
    personas.teacher.federated = True
    personas.teacher.save()
    client = Client()
    client.force_login(personas.teacher, backend=sso_backend)
    response = client.get(PASSWORD_PAGE)
    assert response.context["form"] is None
    assert "EduConnect" in text(response)
    change(client, PASSWORD, "Nouveau-mdp-2024")
    personas.teacher.refresh_from_db()
    assert personas.teacher.check_password(PASSWORD)


# Tokens ------------------------------------------------------------------------------------


def test_token_created_is_shown_once_and_works_with_the_api(client_for, personas):
    client = client_for(personas.teacher)
    response = client.post(TOKENS, {"name": "Mon script"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key in text(response)
    token = PersonalToken.objects.get(user=personas.teacher)
    assert token.name == "Mon script" and token.prefix == key[:8]
    assert token.key_hash != key  # only the hash is stored
    listing = text(client.get(TOKENS))
    assert "Mon script" in listing and key[:8] in listing
    assert key not in listing  # never shown again
    response = call_api(key)
    assert response.status_code == 200
    assert response.data == {"login": personas.teacher.login}
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert "Jamais" not in text(client.get(TOKENS))


def test_api_without_token_or_with_a_wrong_one_is_refused(personas):
    assert call_api().status_code in (401, 403)
    assert call_api("not-a-key").status_code in (401, 403)


def test_token_needs_a_name(client_for, personas):
    response = client_for(personas.teacher).post(TOKENS, {"name": ""})
    assert response.context["new_key"] is None
    assert not PersonalToken.objects.exists()


def test_revoked_token_is_refused_by_the_api(client_for, personas):
    key = do_create_token(personas.teacher, "script")
    token = PersonalToken.objects.get(user=personas.teacher)
    client = client_for(personas.teacher)
    response = client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert response.status_code == 302 and response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert list(client.get(TOKENS).context["tokens"]) == []
    response = call_api(key)
    assert response.status_code in (401, 403)
    assert response.data["detail"] == "Jeton invalide ou révoqué."


def test_revoke_is_post_only(client_for, personas):
    do_create_token(personas.teacher, "script")
    token = PersonalToken.objects.get(user=personas.teacher)
    response = client_for(personas.teacher).get(reverse("accounts:revoke_token",
                                                        args=[token.pk]))
    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("name", ["colleague", "pupil", "school_admin", "ent_admin", None])
def test_nobody_else_can_revoke_my_token(client_for, personas, name):
    do_create_token(personas.teacher, "script")
    token = PersonalToken.objects.get(user=personas.teacher)
    actor = getattr(personas, name) if name else None
    response = client_for(actor).post(reverse("accounts:revoke_token", args=[token.pk]))
    assert response.status_code == (302 if actor is None else 404)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_of_a_blocked_user_is_refused(personas):
    from preau.accounts.actions import do_block

    key = do_create_token(personas.teacher, "script")
    do_block(personas.teacher, personas.ent_admin)
    response = call_api(key)
    assert response.status_code in (401, 403)
    assert response.data["detail"] == "Jeton invalide ou révoqué."
