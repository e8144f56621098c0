"""/me/ and my tokens: my own account, and only my own tokens."""

from __future__ import annotations

import pytest

from preau.accounts.models import PersonalToken
from preau.accounts.tokens import do_create_token

pytestmark = pytest.mark.django_db

PERSONAS = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
            "school_admin", "ent_admin", "guest"]


@pytest.mark.parametrize("name", PERSONAS)
def test_me_describes_the_caller(personas, api_for, name):
    user = getattr(personas, name)
    data = api_for(user).get("/api/v1/me/").json()
    assert data["id"] == user.pk
    assert data["login"] == user.login
    assert data["profile"] == user.profile
    assert data["is_ent_admin"] == (name == "ent_admin")
    assert set(data) == {"id", "login", "profile", "first_name", "last_name", "display_name",
                         "state", "schools", "is_ent_admin", "administered_schools"}


def test_me_lists_schools_and_administered_schools(personas, api_for):
    data = api_for(personas.school_admin).get("/api/v1/me/").json()
    school = {"id": personas.school.pk, "uai": "0591001A", "name": "École Jean Jaurès"}
    assert data["schools"] == [school]
    assert data["administered_schools"] == [school]
    assert api_for(personas.teacher).get("/api/v1/me/").json()["administered_schools"] == []
    ent = api_for(personas.ent_admin).get("/api/v1/me/").json()
    assert {s["uai"] for s in ent["administered_schools"]} == {"0591001A", "0592002B"}


def test_my_tokens_are_mine_only(personas, api_for):
    do_create_token(personas.teacher, name="mine")
    do_create_token(personas.colleague, name="hers")
    results = api_for(personas.teacher).get("/api/v1/me/tokens/").json()["results"]
    assert [t["name"] for t in results] == ["mine"]
    assert set(results[0]) == {"id", "name", "prefix", "created_at", "last_used_at",
                               "revoked_at"}


@pytest.mark.parametrize(("name", "status"), [
    ("teacher", 204), ("colleague", 404), ("school_admin", 404), ("ent_admin", 404),
    (None, 401),
])
def test_revoking_a_token_is_for_its_owner(personas, api_for, name, status):
    do_create_token(personas.teacher)
    token = PersonalToken.objects.get(user=personas.teacher)
    response = api_for(getattr(personas, name) if name else None).delete(
        f"/api/v1/me/tokens/{token.pk}/")
    assert response.status_code == status
    token.refresh_from_db()
    assert token.is_revoked == (status == 204)


def test_a_revoked_token_leaves_the_list(personas, api_for):
    do_create_token(personas.teacher)
    token = PersonalToken.objects.get(user=personas.teacher)
    client = api_for(personas.teacher)
    assert client.delete(f"/api/v1/me/tokens/{token.pk}/").status_code == 204
    assert client.get("/api/v1/me/tokens/").json()["count"] == 0
    assert client.delete(f"/api/v1/me/tokens/{token.pk}/").status_code == 404


def test_a_token_can_revoke_itself(personas, api_for):
    from rest_framework.test import APIClient

    key = do_create_token(personas.teacher)
    token = PersonalToken.objects.get(user=personas.teacher)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.delete(f"/api/v1/me/tokens/{token.pk}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
