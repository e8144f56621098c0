"""Login page: French wording, no leak of which logins exist, blocked and federated accounts,
the axes lockout, logout by POST."""

import pytest
from django.urls import reverse

from preau.accounts.actions import do_block
from tests.accounts.helpers import text
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
GENERIC_ERROR = "Identifiant ou mot de passe incorrect"


def post_login(client, login, password):
    return client.post(LOGIN_URL, {"username": login, "password": password})


def test_login_page_is_french_and_links_to_activation(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    html = text(response)
    assert '<label for="id_username"' in html and '<label for="id_password"' in html
    assert "Identifiant" in html and "Mot de passe" in html
    assert "Première connexion ? Activez votre compte" in html
    assert reverse("accounts:activate") in html


def test_login_success_redirects_home(client, personas):
    response = post_login(client, personas.teacher.login, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_login_honours_next(client, personas):
    response = client.post(f"{LOGIN_URL}?next=/annuaire/",
                           {"username": personas.pupil.login, "password": PASSWORD,
                            "next": "/annuaire/"})
    assert response["Location"] == "/annuaire/"


def test_wrong_password_and_unknown_login_get_the_same_answer(client, personas):
    wrong = post_login(client, personas.teacher.login, "Not-the-password-1")
    unknown = post_login(client, "nobody.here", "Not-the-password-1")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_ERROR in text(wrong)
    assert wrong.context["form"].errors == unknown.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_blocked_account_with_right_password_is_told_it_is_blocked(client, personas):
    do_block(personas.pupil, personas.school_admin)
    response = post_login(client, personas.pupil.login, PASSWORD)
    assert response.status_code == 200
    assert "Votre compte est bloqué" in text(response)
    assert "_auth_user_id" not in client.session


def test_blocked_account_with_wrong_password_gets_the_generic_error(client, personas):
    do_block(personas.pupil, personas.school_admin)
    html = text(post_login(client, personas.pupil.login, "Wrong-pass-123"))
    assert GENERIC_ERROR in html
    assert "bloqué" not in html


def test_federated_account_is_sent_to_its_identity_provider(client, personas):
    personas.teacher.federated = True
    personas.teacher.save()
    response = post_login(client, personas.teacher.login, PASSWORD)
    html = text(response)
    assert "identifiants académiques" in html and "EduConnect" in html
    assert GENERIC_ERROR not in html
    assert "_auth_user_id" not in client.session


def test_federated_account_with_wrong_password_gets_the_generic_error(client, personas):
    personas.teacher.federated = True
    personas.teacher.save()
    html = text(post_login(client, personas.teacher.login, "Wrong-pass-123"))
    assert GENERIC_ERROR in html


def test_sixth_attempt_after_five_failures_is_locked_out(client, personas, settings):
    assert settings.PREAU_LOGIN_FAILURE_LIMIT == 5
    for _attempt in range(4):
        response = post_login(client, personas.pupil.login, "Wrong-pass-123")
        assert response.status_code == 200
    fifth = post_login(client, personas.pupil.login, "Wrong-pass-123")
    assert fifth.status_code == 429  # the limit is reached on the fifth failure
    sixth = post_login(client, personas.pupil.login, PASSWORD)  # even the right password
    assert sixth.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in sixth.templates]
    html = text(sixth)
    assert "Trop de tentatives" in html
    assert "15 minutes" in html
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_login(client, personas):
    for _attempt in range(5):
        post_login(client, personas.pupil.login, "Wrong-pass-123")
    assert post_login(client, personas.teacher.login, PASSWORD).status_code == 302


def test_locked_out_login_never_reveals_blocked_state(client, personas):
    do_block(personas.pupil, personas.school_admin)
    for _attempt in range(5):
        post_login(client, personas.pupil.login, "Wrong-pass-123")
    html = text(post_login(client, personas.pupil.login, PASSWORD))
    assert "bloqué" not in html


def test_logout_is_post_only(client_for, personas):
    client = client_for(personas.teacher)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_logged_in_user_visiting_login_goes_home(client_for, personas):
    response = client_for(personas.teacher).get(LOGIN_URL)
    assert response.status_code == 302
