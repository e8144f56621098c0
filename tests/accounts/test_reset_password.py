"""Password reset by someone else: who may, and what it does."""

import pytest
from django.urls import reverse

from preau.accounts.models import State, UserEvent
from tests.accounts.helpers import text
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

ACTORS = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
          "school_admin", "ent_admin", "guest", None]


def url(user):
    return reverse("accounts:reset_password", args=[user.pk])


# Who may reset the pupil of CM1 A: her teacher and the admins; people who can reach her get
# 403 (they know she exists), everyone else 404.
PUPIL_MATRIX = {
    "teacher": 200, "colleague": 403, "pupil": 404, "parent": 403, "other_teacher": 404,
    "other_pupil": 404, "school_admin": 200, "ent_admin": 200, "guest": 404, None: 302,
}


@pytest.mark.parametrize("actor_name", ACTORS)
def test_reset_pupil_permission_matrix_get(client_for, personas, actor_name):
    actor = getattr(personas, actor_name) if actor_name else None
    response = client_for(actor).get(url(personas.pupil))
    assert response.status_code == PUPIL_MATRIX[actor_name]
    if actor is None:
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("actor_name", ACTORS)
def test_reset_pupil_permission_matrix_post(client_for, personas, actor_name):
    actor = getattr(personas, actor_name) if actor_name else None
    response = client_for(actor).post(url(personas.pupil))
    assert response.status_code == PUPIL_MATRIX[actor_name]
    personas.pupil.refresh_from_db()
    reset = personas.pupil.state == State.PENDING
    assert reset == (PUPIL_MATRIX[actor_name] == 200)


@pytest.mark.parametrize(("actor_name", "target_name", "status"), [
    ("teacher", "pupil", 200),  # her own pupil
    ("teacher", "other_pupil", 404),  # a pupil of another school
    ("teacher", "colleague", 403),  # a colleague she can see but not manage
    ("teacher", "parent", 403),  # teachers reset pupils only
    ("pupil", "other_pupil", 404),
    ("pupil", "teacher", 403),  # she knows her teacher; still no right
    ("school_admin", "teacher", 200),  # users of her school
    ("school_admin", "parent", 200),
    ("school_admin", "other_teacher", 404),  # not her school
    ("ent_admin", "other_teacher", 200),
    ("ent_admin", "school_admin", 200),
])
def test_reset_rights(client_for, personas, actor_name, target_name, status):
    actor = getattr(personas, actor_name)
    target = getattr(personas, target_name)
    assert client_for(actor).post(url(target)).status_code == status
    target.refresh_from_db()
    assert (target.state == State.PENDING) == (status == 200)


def test_get_only_asks_for_confirmation(client_for, personas):
    response = client_for(personas.teacher).get(url(personas.pupil))
    html = text(response)
    assert "Réinitialiser le mot de passe" in html
    assert 'method="post"' in html
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.ACTIVE
    assert personas.pupil.check_password(PASSWORD)


def test_post_resets_and_shows_the_new_code_and_sheet_link(client_for, personas):
    response = client_for(personas.teacher).post(url(personas.pupil))
    assert response.status_code == 200
    personas.pupil.refresh_from_db()
    code = personas.pupil.activation_code
    assert len(code) == 8
    assert response.context["code"] == code
    html = text(response)
    assert code in html
    assert reverse("accounts:user_sheet", args=[personas.pupil.pk]) in html
    assert personas.pupil.state == State.PENDING
    assert not personas.pupil.has_usable_password()
    event = personas.pupil.events.get(kind=UserEvent.Kind.PASSWORD_RESET)
    assert event.actor == personas.teacher


def test_nobody_resets_their_own_password_here(client_for, personas):
    response = client_for(personas.ent_admin).post(url(personas.ent_admin))
    assert response.status_code == 200
    assert "Mon compte" in response.context["error"]
    personas.ent_admin.refresh_from_db()
    assert personas.ent_admin.state == State.ACTIVE


def test_federated_account_has_no_password_to_reset(client_for, personas):
    personas.teacher.federated = True
    personas.teacher.save()
    response = client_for(personas.school_admin).post(url(personas.teacher))
    assert response.status_code == 200
    assert "EduConnect" in response.context["error"]
    personas.teacher.refresh_from_db()
    assert personas.teacher.check_password(PASSWORD)


def test_unknown_user_is_404(client_for, personas):
    response = client_for(personas.ent_admin).get(
        reverse("accounts:reset_password", args=[999999]))
    assert response.status_code == 404


API_MATRIX = {**PUPIL_MATRIX, None: 401}


@pytest.mark.parametrize("actor_name", ACTORS)
def test_reset_pupil_through_the_api_permission_matrix(personas, actor_name):
    """The API's reset follows the web page's rule (one access function)."""
    from rest_framework.test import APIClient

    client = APIClient()
    actor = getattr(personas, actor_name) if actor_name else None
    if actor is not None:
        client.force_login(actor, backend="preau.accounts.backends.LocalPasswordBackend")
    response = client.post(f"/api/v1/people/{personas.pupil.pk}/reset-password/")
    assert response.status_code == API_MATRIX[actor_name]
    personas.pupil.refresh_from_db()
    if response.status_code == 200:
        assert response.json() == {"activation_code": personas.pupil.activation_code}
    assert (personas.pupil.state == State.PENDING) == (response.status_code == 200)
