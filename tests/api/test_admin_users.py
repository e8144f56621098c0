"""Account administration over the API: ENT admins everywhere, school admins in their schools,
everyone else a 403."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.actions import do_attach_to_structure
from preau.directory.models import StructureAttachment
from tests.personas import make_user

pytestmark = pytest.mark.django_db

NOT_ADMINS = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil", "guest"]


def _user(personas, name):
    return getattr(personas, name) if name else None


# Who may use it ----------------------------------------------------------------------------

WRITES = [
    ("patch", "", {"first_name": "Chloé-Anne"}),
    ("post", "block/", {"reason": "test"}),
    ("post", "unblock/", {}),
    ("post", "reset-password/", {}),
    ("post", "attachments/", {"school": 0}),
    ("delete", "attachments/{school}/", {}),
]


@pytest.mark.parametrize(("name", "status"), [
    *[(n, 403) for n in NOT_ADMINS], ("school_admin", 200), ("ent_admin", 200), (None, 401),
])
def test_user_list_matrix(personas, api_for, name, status):
    response = api_for(_user(personas, name)).get("/api/v1/admin/users/")
    assert response.status_code == status


@pytest.mark.parametrize(("name", "status"), [
    *[(n, 403) for n in NOT_ADMINS], ("school_admin", 201), ("ent_admin", 201), (None, 401),
])
def test_user_create_matrix(personas, api_for, name, status):
    response = api_for(_user(personas, name)).post("/api/v1/admin/users/", {
        "first_name": "Zoé", "last_name": "Accueil", "profile": Profile.GUEST,
        "school": personas.school.pk})
    assert response.status_code == status
    assert User.objects.filter(last_name="Accueil").exists() is (status == 201)


@pytest.mark.parametrize(("method", "suffix", "body"), [("get", "", {}), *WRITES])
@pytest.mark.parametrize("name", NOT_ADMINS)
def test_non_admins_get_403_on_every_account_route(personas, api_for, name, method, suffix,
                                                    body):
    """Even the pupil's own teacher (who may reset her password on the web) and the pupil
    herself: the admin API is for admins."""
    url = f"/api/v1/admin/users/{personas.pupil.pk}/{suffix.format(school=personas.school.pk)}"
    response = getattr(api_for(getattr(personas, name)), method)(url, body)
    assert response.status_code == 403
    personas.pupil.refresh_from_db()
    assert personas.pupil.state == State.ACTIVE
    assert personas.pupil.first_name == "Chloé"


@pytest.mark.parametrize(("target", "school_admin", "ent_admin"), [
    ("pupil", 200, 200), ("teacher", 200, 200), ("parent", 200, 200), ("guest", 200, 200),
    ("other_pupil", 404, 200), ("other_teacher", 404, 200), ("ent_admin", 404, 200),
])
def test_user_detail_matrix(personas, api_for, target, school_admin, ent_admin):
    url = f"/api/v1/admin/users/{getattr(personas, target).pk}/"
    assert api_for(personas.school_admin).get(url).status_code == school_admin
    assert api_for(personas.ent_admin).get(url).status_code == ent_admin


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_school_admin_cannot_touch_another_schools_accounts(personas, api_for, method, suffix,
                                                            body):
    url = (f"/api/v1/admin/users/{personas.other_pupil.pk}/"
           f"{suffix.format(school=personas.other_school.pk)}")
    response = getattr(api_for(personas.school_admin), method)(url, body)
    assert response.status_code == 404
    assert not UserEvent.objects.filter(user=personas.other_pupil,
                                        actor=personas.school_admin).exists()


def test_school_admin_may_read_but_not_change_an_ent_admin_of_her_school(personas, api_for):
    do_attach_to_structure(personas.ent_admin, personas.school)
    client = api_for(personas.school_admin)
    url = f"/api/v1/admin/users/{personas.ent_admin.pk}/"
    assert client.get(url).status_code == 200
    assert client.post(url + "block/", {}).status_code == 403
    assert client.post(url + "reset-password/", {}).status_code == 403
    personas.ent_admin.refresh_from_db()
    assert personas.ent_admin.state == State.ACTIVE


# The list ----------------------------------------------------------------------------------


def _logins(response):
    return sorted(u["login"] for u in response.json()["results"])


def test_school_admin_lists_the_accounts_of_her_school_only(personas, api_for):
    response = api_for(personas.school_admin).get("/api/v1/admin/users/?limit=200")
    expected = sorted(u.login for u in (personas.teacher, personas.colleague, personas.pupil,
                                        personas.parent, personas.school_admin, personas.guest))
    assert _logins(response) == expected
    everyone = api_for(personas.ent_admin).get("/api/v1/admin/users/?limit=200")
    assert everyone.json()["count"] == User.objects.count()


def test_user_list_filters(personas, api_for):
    client = api_for(personas.school_admin)
    assert _logins(client.get("/api/v1/admin/users/?q=MARTIN")) == ["chloe.martin",
                                                                    "marie.martin"]
    assert _logins(client.get("/api/v1/admin/users/?q=chloe")) == ["chloe.martin"]
    assert _logins(client.get("/api/v1/admin/users/?profile=Relative")) == ["marie.martin"]
    assert _logins(client.get(
        f"/api/v1/admin/users/?class={personas.school_class.pk}&profile=Teacher")) == [
        "jeanne.petit"]
    personas.guest.state = State.BLOCKED
    personas.guest.save()
    assert _logins(client.get("/api/v1/admin/users/?state=blocked")) == [personas.guest.login]
    assert client.get(f"/api/v1/admin/users/?school={personas.other_school.pk}").json()[
        "count"] == 0
    assert client.get("/api/v1/admin/users/?state=nope").status_code == 400
    row = client.get("/api/v1/admin/users/?q=chloe").json()["results"][0]
    assert set(row) == {"id", "login", "display_name", "first_name", "last_name", "profile",
                        "state", "source", "schools"}


def _populate(personas, how_many):
    for number in range(how_many):
        user = make_user(f"Compte{number}", "Nombreux", Profile.GUEST)
        do_attach_to_structure(user, personas.school, Source.MANUAL)
        do_attach_to_structure(user, personas.other_school, Source.MANUAL)


@pytest.mark.parametrize("name", ["school_admin", "ent_admin"])
def test_user_list_query_count_does_not_grow_with_rows(personas, api_for, name):
    client = api_for(getattr(personas, name))
    _populate(personas, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/admin/users/?q=nombreux").json()["count"] == 2
    _populate(personas, 15)
    with CaptureQueriesContext(connection) as large:
        data = client.get("/api/v1/admin/users/?q=nombreux").json()
    assert data["count"] == 17
    assert all(len(u["schools"]) == 2 for u in data["results"])
    assert len(small) == len(large)


# Writes ------------------------------------------------------------------------------------


def test_create_account_returns_login_and_activation_code(personas, api_for):
    response = api_for(personas.school_admin).post("/api/v1/admin/users/", {
        "first_name": "Zoé", "last_name": "Accueil", "profile": Profile.RELATIVE,
        "school": personas.school.pk, "email": "zoe@example.org", "birth_date": "1990-05-04"})
    assert response.status_code == 201
    data = response.json()
    user = User.objects.get(pk=data["id"])
    assert data["login"] == user.login == "zoe.accueil"
    assert len(data["activation_code"]) == 8
    assert data["activation_code"] == user.activation_code
    assert user.state == State.PENDING and user.source == Source.MANUAL
    assert user.birth_date == datetime.date(1990, 5, 4)
    assert StructureAttachment.objects.filter(user=user, structure=personas.school).exists()
    assert [s["uai"] for s in data["schools"]] == ["0591001A"]


@pytest.mark.parametrize("school", ["other", "unknown", "missing"])
def test_create_account_needs_a_school_she_administers(personas, api_for, school):
    body: dict[str, object] = {"first_name": "Zoé", "last_name": "Accueil",
                               "profile": Profile.GUEST}
    if school != "missing":
        body["school"] = personas.other_school.pk if school == "other" else 999999
    response = api_for(personas.school_admin).post("/api/v1/admin/users/", body)
    assert response.status_code == 400
    if school != "missing":
        assert response.json() == {
            "school": ["École inconnue, ou que vous n’administrez pas."]}  # noqa: RUF001
    assert not User.objects.filter(last_name="Accueil").exists()


def test_create_teacher_in_a_fed_school_is_refused(personas, api_for):
    response = api_for(personas.ent_admin).post("/api/v1/admin/users/", {
        "first_name": "Léon", "last_name": "Nouveau", "profile": Profile.TEACHER,
        "school": personas.school.pk})
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not User.objects.filter(last_name="Nouveau").exists()


def test_patch_identity(personas, api_for):
    client = api_for(personas.school_admin)
    url = f"/api/v1/admin/users/{personas.guest.pk}/"
    response = client.patch(url, {"first_name": "Inès", "email": "ines@example.org"})
    assert response.status_code == 200
    data = response.json()
    assert (data["first_name"], data["last_name"], data["email"]) == (
        "Inès", "Visiteur", "ines@example.org")
    assert data["display_name"] == "Inès Visiteur"
    assert client.patch(url, {"email": "pas-un-courriel"}).status_code == 400


def test_patch_of_a_feed_account_is_refused(personas, api_for):
    personas.pupil.source = Source.AAF1D
    personas.pupil.save()
    response = api_for(personas.ent_admin).patch(f"/api/v1/admin/users/{personas.pupil.pk}/",
                                                 {"first_name": "Autre"})
    assert response.status_code == 400
    personas.pupil.refresh_from_db()
    assert personas.pupil.first_name == "Chloé"


def test_block_and_unblock(personas, api_for):
    client = api_for(personas.school_admin)
    url = f"/api/v1/admin/users/{personas.guest.pk}/"
    response = client.post(url + "block/", {"reason": "Fin du séjour"})
    assert response.status_code == 200
    assert response.json()["state"] == "blocked"
    event = UserEvent.objects.filter(user=personas.guest, kind=UserEvent.Kind.BLOCKED).get()
    assert event.actor == personas.school_admin
    assert event.message == "Fin du séjour"
    response = client.post(url + "unblock/")
    assert response.status_code == 200
    assert response.json()["state"] == "active"


def test_blocking_oneself_is_refused(personas, api_for):
    response = api_for(personas.school_admin).post(
        f"/api/v1/admin/users/{personas.school_admin.pk}/block/", {})
    assert response.status_code == 400
    personas.school_admin.refresh_from_db()
    assert personas.school_admin.state == State.ACTIVE


def test_reset_password(personas, api_for):
    response = api_for(personas.school_admin).post(
        f"/api/v1/admin/users/{personas.pupil.pk}/reset-password/")
    assert response.status_code == 200
    code = response.json()["activation_code"]
    personas.pupil.refresh_from_db()
    assert code == personas.pupil.activation_code and len(code) == 8
    assert personas.pupil.state == State.PENDING
    assert not personas.pupil.has_usable_password()


def test_reset_password_of_a_federated_account_is_refused(personas, api_for):
    personas.teacher.federated = True
    personas.teacher.save()
    response = api_for(personas.ent_admin).post(
        f"/api/v1/admin/users/{personas.teacher.pk}/reset-password/")
    assert response.status_code == 400
    personas.teacher.refresh_from_db()
    assert personas.teacher.state == State.ACTIVE


def test_attach_and_detach_schools(personas, api_for):
    ent = api_for(personas.ent_admin)
    url = f"/api/v1/admin/users/{personas.guest.pk}/attachments/"
    response = ent.post(url, {"school": personas.other_school.pk})
    assert response.status_code == 200
    assert sorted(s["uai"] for s in response.json()["schools"]) == ["0591001A", "0592002B"]
    school_admin = api_for(personas.school_admin)
    # Not her school: the attachment is not hers to remove, nor to make.
    assert school_admin.delete(f"{url}{personas.other_school.pk}/").status_code == 404
    assert school_admin.post(url, {"school": personas.other_school.pk}).status_code == 400
    assert school_admin.delete(f"{url}{personas.school.pk}/").status_code == 204
    assert list(StructureAttachment.objects.filter(user=personas.guest)
                .values_list("structure__uai", flat=True)) == ["0592002B"]


def test_detaching_a_feed_attachment_is_refused(personas, api_for):
    StructureAttachment.objects.filter(user=personas.pupil).update(source=Source.AAF1D)
    response = api_for(personas.school_admin).delete(
        f"/api/v1/admin/users/{personas.pupil.pk}/attachments/{personas.school.pk}/")
    assert response.status_code == 400
    assert StructureAttachment.objects.filter(user=personas.pupil).exists()
