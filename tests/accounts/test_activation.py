"""Activation: login + code, then the charter and a password; codes cannot be brute-forced."""

import pytest
from django.urls import reverse

from preau.accounts.actions import do_block, do_reset_password
from preau.accounts.models import State, UserEvent
from tests.accounts.helpers import text

pytestmark = pytest.mark.django_db

STEP1 = reverse("accounts:activate")
STEP2 = reverse("accounts:activate_password")
NEW_PASSWORD = "Cartable-vert-42"
GENERIC_ERROR = "ne correspondent à aucun compte en attente d'activation"


@pytest.fixture
def pending_pupil(personas):
    """The pupil after a password reset: waiting for activation with a fresh code."""
    code = do_reset_password(personas.pupil, personas.teacher)
    personas.pupil.refresh_from_db()
    return personas.pupil, code


def step2_data(**overrides):
    data = {"charter": "on", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    data.update(overrides)
    return data


def test_step1_page_has_labelled_fields(client):
    html = text(client.get(STEP1))
    assert '<label for="id_login"' in html and '<label for="id_code"' in html
    assert "Code d'activation" in html


def test_happy_path_activates_logs_in_and_redirects_home(client, pending_pupil):
    pupil, code = pending_pupil
    response = client.post(STEP1, {"login": pupil.login, "code": code})
    assert response.status_code == 302 and response["Location"] == STEP2
    page = client.get(STEP2)
    html = text(page)
    assert "Charte d'utilisation" in html
    assert pupil.login in html
    assert "au minimum 8 caractères" in html  # the validators' help texts are shown
    assert "Mélangez au moins trois" in html
    response = client.post(STEP2, step2_data())
    assert response.status_code == 302 and response["Location"] == reverse("home")
    pupil.refresh_from_db()
    assert pupil.state == State.ACTIVE
    assert pupil.activation_code == ""
    assert pupil.charter_accepted_at is not None
    assert pupil.check_password(NEW_PASSWORD)
    assert pupil.password_history.count() == 1
    assert pupil.events.filter(kind=UserEvent.Kind.ACTIVATED).exists()
    assert int(client.session["_auth_user_id"]) == pupil.pk
    # The code is spent: it cannot be used a second time.
    again = client.post(STEP1, {"login": pupil.login, "code": code})
    assert GENERIC_ERROR in text(again)


def test_code_typed_with_spaces_is_accepted(client, pending_pupil):
    pupil, code = pending_pupil
    response = client.post(STEP1, {"login": pupil.login, "code": f" {code[:4]} {code[4:]} "})
    assert response.status_code == 302


def test_wrong_code_and_unknown_login_get_the_same_generic_error(client, pending_pupil):
    pupil, code = pending_pupil
    wrong_code = ("A" if code[0] != "A" else "B") + code[1:]
    wrong = client.post(STEP1, {"login": pupil.login, "code": wrong_code})
    unknown = client.post(STEP1, {"login": "personne.inconnue", "code": code})
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_ERROR in text(wrong)
    assert wrong.context["form"].errors == unknown.context["form"].errors
    assert "preau_activation" not in client.session


def test_active_account_has_no_code_to_use(client, personas):
    response = client.post(STEP1, {"login": personas.teacher.login, "code": ""})
    assert response.status_code == 200
    assert "preau_activation" not in client.session


def test_codes_cannot_be_brute_forced(client, pending_pupil):
    pupil, code = pending_pupil
    for _attempt in range(4):
        assert client.post(STEP1, {"login": pupil.login, "code": "ZZZZZZZZ"}).status_code == 200
    assert client.post(STEP1, {"login": pupil.login, "code": "ZZZZZZZZ"}).status_code == 429
    locked = client.post(STEP1, {"login": pupil.login, "code": code})  # even the right code
    assert locked.status_code == 429
    assert "Trop de tentatives" in text(locked)
    assert "preau_activation" not in client.session


def test_wrong_codes_are_not_logged_in_clear(client, pending_pupil):
    from axes.models import AccessAttempt

    pupil, _code = pending_pupil
    client.post(STEP1, {"login": pupil.login, "code": "Secret99"})
    attempt = AccessAttempt.objects.get(username=pupil.login)
    assert "Secret99" not in attempt.post_data


def test_weak_password_is_refused_with_the_validators_message(client, pending_pupil):
    pupil, code = pending_pupil
    client.post(STEP1, {"login": pupil.login, "code": code})
    response = client.post(STEP2, step2_data(new_password1="azertyui", new_password2="azertyui"))
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    pupil.refresh_from_db()
    assert pupil.state == State.PENDING
    assert "_auth_user_id" not in client.session


def test_password_like_the_login_is_refused(client, pending_pupil):
    pupil, code = pending_pupil
    client.post(STEP1, {"login": pupil.login, "code": code})
    similar = pupil.login.capitalize() + "1!"
    response = client.post(STEP2, step2_data(new_password1=similar, new_password2=similar))
    assert "new_password2" in response.context["form"].errors


def test_mismatched_passwords_are_refused(client, pending_pupil):
    pupil, code = pending_pupil
    client.post(STEP1, {"login": pupil.login, "code": code})
    response = client.post(STEP2, step2_data(new_password2="Cartable-vert-43"))
    assert "new_password2" in response.context["form"].errors


def test_charter_must_be_accepted(client, pending_pupil):
    pupil, code = pending_pupil
    client.post(STEP1, {"login": pupil.login, "code": code})
    data = step2_data()
    del data["charter"]
    response = client.post(STEP2, data)
    assert response.status_code == 200
    assert "Vous devez accepter la charte" in text(response)
    pupil.refresh_from_db()
    assert pupil.state == State.PENDING


def test_empty_post_shows_the_errors(client, pending_pupil):
    pupil, code = pending_pupil
    assert client.post(STEP1, {}).context["form"].errors
    client.post(STEP1, {"login": pupil.login, "code": code})
    response = client.post(STEP2, {})
    assert "charter" in response.context["form"].errors


def test_step2_without_step1_goes_back_to_step1(client, personas):
    response = client.get(STEP2)
    assert response.status_code == 302 and response["Location"] == STEP1


def test_step2_refuses_a_code_reset_in_between(client, pending_pupil, personas):
    pupil, code = pending_pupil
    client.post(STEP1, {"login": pupil.login, "code": code})
    do_reset_password(pupil, personas.teacher)  # a new code: the old one is dead
    response = client.post(STEP2, step2_data())
    assert response.status_code == 302 and response["Location"] == STEP1
    pupil.refresh_from_db()
    assert pupil.state == State.PENDING


def test_blocked_account_with_right_code_is_told_it_is_blocked(client, pending_pupil, personas):
    pupil, code = pending_pupil
    do_block(pupil, personas.school_admin)
    response = client.post(STEP1, {"login": pupil.login, "code": code})
    assert "Votre compte est bloqué" in text(response)
    assert "preau_activation" not in client.session


def test_federated_account_cannot_activate_a_local_password(client, pending_pupil):
    pupil, code = pending_pupil
    pupil.federated = True
    pupil.save()
    response = client.post(STEP1, {"login": pupil.login, "code": code})
    assert "EduConnect" in text(response)
    assert "preau_activation" not in client.session
