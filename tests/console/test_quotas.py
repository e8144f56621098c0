"""Document space quotas in the console: ENT admins set them per profile and per account;
school admins see an account's usage but change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from preau.accounts.models import Profile, UserEvent
from preau.documents.actions import profile_quota, quota_of
from preau.documents.models import Quota, QuotaDefault
from tests.documents.helpers import upload

pytestmark = pytest.mark.django_db
GIB = 1024 ** 3
MIB = 1024 ** 2
QUOTAS = "/administration/quotas/"


def user_quota_url(person) -> str:
    return reverse("console:user_quota", args=[person.pk])


def test_quotas_url():
    assert reverse("console:quotas") == QUOTAS


def test_ent_admin_sees_each_profile_quota_in_french(personas, client_for):
    page = client_for(personas.ent_admin).get(QUOTAS).content.decode()
    assert "<h1>Quotas de l'espace documentaire</h1>" in page
    assert '<th scope="row">Enseignant</th>\n      <td>10\xa0Go</td>' in page
    assert '<th scope="row">Invité</th>\n      <td>100\xa0Mo</td>' in page
    assert '<option value="GiB" selected>Go (gigaoctets)</option>' in page
    assert 'id="quota-Guest-amount"' in page and 'id="quota-Teacher-amount"' in page
    assert 'aria-current="page">Quotas</a>' in page


def test_ent_admin_sets_a_profile_quota(personas, client_for):
    client = client_for(personas.ent_admin)
    response = client.post(QUOTAS, {"profile": Profile.STUDENT, "amount": "2", "unit": "GiB"},
                           follow=True)
    assert profile_quota(Profile.STUDENT) == 2 * GIB
    assert quota_of(personas.pupil).limit == 2 * GIB
    assert quota_of(personas.teacher).limit == 10 * GIB  # other profiles unchanged
    assert "Quota du profil Élève : 2\xa0Go." in response.content.decode()
    client.post(QUOTAS, {"profile": Profile.GUEST, "amount": "1,5", "unit": "GiB"})
    assert profile_quota(Profile.GUEST) == int(1.5 * GIB)
    client.post(QUOTAS, {"profile": Profile.GUEST, "amount": "250", "unit": "MiB"})
    assert profile_quota(Profile.GUEST) == 250 * MIB


@pytest.mark.parametrize("data", [
    {"profile": "Student", "amount": "-1", "unit": "GiB"},
    {"profile": "Student", "amount": "", "unit": "GiB"},
    {"profile": "Student", "amount": "deux", "unit": "GiB"},
    {"profile": "Student", "amount": "2", "unit": "TB"},
    {"profile": "Wizard", "amount": "2", "unit": "GiB"},
], ids=["negative", "empty", "not a number", "unknown unit", "unknown profile"])
def test_bad_profile_quota_is_refused(personas, client_for, data):
    response = client_for(personas.ent_admin).post(QUOTAS, data)
    assert response.status_code == 400
    assert not QuotaDefault.objects.exists()
    assert 'class="errorlist"' in response.content.decode() or data["profile"] == "Wizard"


def test_a_too_large_quota_is_refused(personas, client_for):
    response = client_for(personas.ent_admin).post(
        QUOTAS, {"profile": "Student", "amount": "99999999", "unit": "GiB"}, follow=True)
    assert "Ce quota est trop grand." in response.content.decode()
    assert not QuotaDefault.objects.exists()


def test_ent_admin_sets_and_clears_a_user_quota(personas, client_for):
    upload(personas.pupil, "cahier.txt", b"x" * 3000)
    client = client_for(personas.ent_admin)
    page = client.get(reverse("console:user", args=[personas.pupil.pk])).content.decode()
    assert "Espace documentaire" in page
    assert "2,9\xa0Ko" in page and "1\xa0Go" in page and "le quota du profil" in page
    response = client.post(user_quota_url(personas.pupil), {"amount": "500", "unit": "MiB"},
                           follow=True)
    assert quota_of(personas.pupil).limit == 500 * MIB
    assert quota_of(personas.parent).limit == GIB  # same profile family, own row untouched
    page = response.content.decode()
    assert "Quota enregistré : 500\xa0Mo." in page
    assert "un quota propre (quota du profil : 1\xa0Go)" in page
    assert 'value="500"' in page  # shown back in the form
    event = UserEvent.objects.filter(user=personas.pupil, kind=UserEvent.Kind.UPDATED).first()
    assert event is not None and event.actor == personas.ent_admin
    assert event.details == {"quota": 500 * MIB}

    response = client.post(user_quota_url(personas.pupil), {"amount": "", "unit": "GiB"},
                           follow=True)
    assert Quota.objects.get(user=personas.pupil).limit_override is None
    assert quota_of(personas.pupil).limit == GIB
    assert "Le compte a de nouveau le quota de son profil." in response.content.decode()


def test_a_user_quota_beats_the_profile_quota(personas, client_for):
    client = client_for(personas.ent_admin)
    client.post(user_quota_url(personas.teacher), {"amount": "20", "unit": "GiB"})
    client.post(QUOTAS, {"profile": Profile.TEACHER, "amount": "5", "unit": "GiB"})
    assert quota_of(personas.teacher).limit == 20 * GIB
    assert quota_of(personas.colleague).limit == 5 * GIB
    page = client.get(QUOTAS).content.decode()
    assert '<td class="number">1</td>' in page  # one teacher with their own quota


def test_school_admin_sees_usage_but_cannot_change_it(personas, client_for):
    client = client_for(personas.school_admin)
    page = client.get(reverse("console:user", args=[personas.pupil.pk])).content.decode()
    assert "Espace documentaire" in page and "1\xa0Go" in page
    assert user_quota_url(personas.pupil) not in page
    response = client.post(user_quota_url(personas.pupil), {"amount": "5", "unit": "GiB"})
    assert response.status_code == 403
    assert quota_of(personas.pupil).limit == GIB
    assert client.get(QUOTAS).status_code == 403
    assert client.post(QUOTAS, {"profile": "Student", "amount": "5",
                                "unit": "GiB"}).status_code == 403
    assert profile_quota(Profile.STUDENT) == GIB
    assert reverse("console:quotas") not in page  # no tab for school admins


def test_pupil_and_anonymous_are_refused(personas, client_for):
    pupil = client_for(personas.pupil)
    assert pupil.get(QUOTAS).status_code == 403
    assert pupil.post(QUOTAS, {"profile": "Student", "amount": "50",
                               "unit": "GiB"}).status_code == 403
    assert pupil.post(user_quota_url(personas.pupil), {"amount": "50",
                                                       "unit": "GiB"}).status_code == 403
    assert quota_of(personas.pupil).limit == GIB
    response = client_for(None).post(user_quota_url(personas.pupil), {"amount": "50",
                                                                      "unit": "GiB"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
