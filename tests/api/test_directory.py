"""The Annuaire over the API: search, cards, classes, groups, with the web's access rules."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from preau.accounts.models import Profile, Source
from preau.directory.actions import (
    DirectoryError,
    check_attach_teacher_to_class,
    do_add_to_class,
    do_attach_to_structure,
    do_create_class,
    do_link_relative,
)
from preau.directory.models import GroupKind, MembershipSource, SchoolYear
from tests.personas import make_user

pytestmark = pytest.mark.django_db

ALL = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
       "school_admin", "ent_admin", "guest"]


def _user(personas, name):
    return getattr(personas, name) if name else None


def _people(data):
    return [r["display_name"] for r in data["results"] if r["type"] == "person"]


def _groups(data):
    return [r["name"] for r in data["results"] if r["type"] == "group"]


def _second_family(personas):
    """Another pupil of CM1 A with her own parent."""
    pupil2 = make_user("Léa", "Roux", Profile.STUDENT)
    parent2 = make_user("Marc", "Roux", Profile.RELATIVE)
    do_add_to_class(pupil2, personas.school_class, MembershipSource.FEED)
    do_link_relative(parent2, pupil2)
    do_add_to_class(parent2, personas.school_class, MembershipSource.FEED)
    return pupil2, parent2


# Search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "finds"), [
    ("teacher", True), ("colleague", True), ("pupil", False), ("parent", True),
    ("other_teacher", False), ("other_pupil", False), ("school_admin", True),
    ("ent_admin", True), ("guest", False), (None, None),
])
def test_who_finds_the_pupil(personas, api_for, name, finds):
    response = api_for(_user(personas, name)).get("/api/v1/directory/search/?q=chloe")
    if finds is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert ("Chloé Martin" in _people(response.json())) is finds


def test_pupil_cannot_find_a_pupil_of_another_school(personas, api_for):
    assert _people(api_for(personas.pupil).get("/api/v1/directory/search/?q=hugo").json()) == []
    assert _people(api_for(personas.teacher).get(
        "/api/v1/directory/search/?q=hugo").json()) == []
    assert _people(api_for(personas.ent_admin).get(
        "/api/v1/directory/search/?q=hugo").json()) == ["Hugo Lefèvre"]


def test_pupil_finds_exactly_her_teacher_parent_and_teachers_group(personas, api_for):
    data = api_for(personas.pupil).get("/api/v1/directory/search/").json()
    assert sorted(_people(data)) == ["Jeanne Petit", "Marie Martin"]
    # Her own groups (« Élèves — CM1 A », « Élèves — École… ») are not offered: pupils may
    # not reach pupils, and membership grants nothing.
    assert sorted(_groups(data)) == ["Enseignants — CM1 A"]
    assert data["count"] == 3


@pytest.mark.parametrize("q", ["chloe", "CHLOÉ", "Chloé", "martin chloe", " chlo "])
def test_search_ignores_accents_case_and_word_order(personas, api_for, q):
    data = api_for(personas.teacher).get("/api/v1/directory/search/", {"q": q}).json()
    assert _people(data) == ["Chloé Martin"]


def test_search_finds_groups_without_accents(personas, api_for):
    data = api_for(personas.teacher).get("/api/v1/directory/search/",
                                         {"q": "eleves cm1", "type": "group"}).json()
    assert _groups(data) == ["Élèves — CM1 A"]
    assert _people(data) == []


def test_search_result_shapes(personas, api_for):
    data = api_for(personas.teacher).get("/api/v1/directory/search/?q=martin").json()
    person = next(r for r in data["results"] if r["display_name"] == "Chloé Martin")
    assert person == {"type": "person", "id": personas.pupil.pk, "display_name": "Chloé Martin",
                      "profile": "Student",
                      "schools": [{"id": personas.school.pk, "uai": "0591001A",
                                   "name": "École Jean Jaurès"}]}
    group = api_for(personas.teacher).get(
        "/api/v1/directory/search/?type=group&q=eleves cm1").json()["results"][0]
    assert set(group) == {"type", "id", "name", "kind", "profile"}


def test_search_filters(personas, api_for):
    client = api_for(personas.teacher)
    search = "/api/v1/directory/search/"
    parents = client.get(search, {"profile": "Relative"}).json()
    assert _people(parents) == ["Marie Martin"]
    assert all(name.startswith("Parents") for name in _groups(parents))
    in_class = client.get(search, {"class": personas.school_class.pk, "type": "person"}).json()
    assert sorted(_people(in_class)) == ["Chloé Martin", "Marie Martin"]
    # A class she may not open filters everyone out, rather than revealing its members.
    other = client.get(search, {"class": personas.other_class.pk}).json()
    assert other["count"] == 0
    assert client.get(search, {"school": personas.other_school.pk}).json()["count"] == 0
    cp_groups = client.get(search, {"type": "group", "class": personas.empty_class.pk}).json()
    assert sorted(_groups(cp_groups)) == sorted(["Élèves — CP B", "Enseignants — CP B",
                                                 "Parents — CP B", "Personnels — CP B"])
    assert client.get(search, {"profile": "Nobody"}).status_code == 400
    assert client.get(search, {"school": "x"}).status_code == 400


def test_search_pages_run_over_people_then_groups(personas, api_for):
    client = api_for(personas.teacher)
    everything = client.get("/api/v1/directory/search/?limit=200").json()
    assert everything["count"] == len(everything["results"]) > 6
    assert everything["next"] is None
    seen, url = [], "/api/v1/directory/search/?limit=4"
    while url:
        page = client.get(url).json()
        assert page["count"] == everything["count"]
        assert len(page["results"]) <= 4
        seen += page["results"]
        url = page["next"]
    assert seen == everything["results"]
    kinds = [r["type"] for r in seen]
    assert kinds == sorted(kinds, key=lambda k: k != "person")  # people first


def _populate(personas, how_many):
    for number in range(how_many):
        user = make_user(f"Élève{number}", "Nombreux", Profile.STUDENT)
        do_attach_to_structure(user, personas.school, Source.MANUAL)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


def test_search_query_count_does_not_grow_with_results(personas, api_for):
    client = api_for(personas.teacher)
    _populate(personas, 2)
    small, data = _count_queries(client, "/api/v1/directory/search/?q=nombreux")
    assert data["count"] == 2
    _populate(personas, 12)
    large, data = _count_queries(client, "/api/v1/directory/search/?q=nombreux")
    assert data["count"] == 14
    assert small == large


# People -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "status", "private"), [
    ("pupil", 200, True), ("teacher", 200, False), ("colleague", 200, False),
    ("parent", 200, False), ("school_admin", 200, True), ("ent_admin", 200, True),
    ("other_teacher", 404, None), ("other_pupil", 404, None), ("guest", 404, None),
    (None, 401, None),
])
def test_person_card_matrix(personas, api_for, name, status, private):
    response = api_for(_user(personas, name)).get(f"/api/v1/people/{personas.pupil.pk}/")
    assert response.status_code == status
    if status != 200:
        return
    data = response.json()
    assert data["display_name"] == "Chloé Martin"
    assert data["classes"] == [{"id": personas.school_class.pk, "name": "CM1 A"}]
    for field in ("birth_date", "email", "ine", "login", "state"):
        assert (field in data) is private
    if private:
        assert data["birth_date"] == "2014-09-02"


def test_unknown_person_is_404(personas, api_for):
    assert api_for(personas.ent_admin).get("/api/v1/people/999999/").status_code == 404
    assert api_for(personas.ent_admin).get("/api/v1/people/abc/").status_code == 404


# Classes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "classes"), [
    ("teacher", ["CM1 A", "CP B"]), ("colleague", ["CM1 A", "CP B"]), ("pupil", ["CM1 A"]),
    ("parent", ["CM1 A"]), ("other_teacher", ["CE2 Louise"]), ("other_pupil", ["CE2 Louise"]),
    ("school_admin", ["CM1 A", "CP B"]), ("ent_admin", ["CM1 A", "CP B", "CE2 Louise"]),
    ("guest", []),
])
def test_class_list_matrix(personas, api_for, name, classes):
    data = api_for(getattr(personas, name)).get("/api/v1/classes/").json()
    assert sorted(c["name"] for c in data["results"]) == sorted(classes)
    assert data["count"] == len(classes)


def test_class_list_is_the_current_year_unless_asked(personas, api_for):
    past = SchoolYear.objects.create(name="2022-2023", start=datetime.date(2022, 9, 1),
                                     end=datetime.date(2023, 7, 7))
    do_create_class(personas.school, "CE2-old", "CE2 ancien", ["CE2"], school_year=past)
    client = api_for(personas.teacher)
    assert [c["name"] for c in client.get("/api/v1/classes/").json()["results"]] == [
        "CM1 A", "CP B"]
    old = client.get("/api/v1/classes/?year=2022-2023").json()["results"]
    assert [(c["name"], c["is_active"]) for c in old] == [("CE2 ancien", False)]
    assert api_for(personas.ent_admin).get(
        f"/api/v1/classes/?school={personas.other_school.pk}").json()["count"] == 1


@pytest.mark.parametrize(("name", "status"), [
    ("teacher", 200), ("colleague", 200), ("pupil", 200), ("parent", 200),
    ("school_admin", 200), ("ent_admin", 200), ("other_teacher", 404), ("other_pupil", 404),
    ("guest", 404), (None, 401),
])
def test_class_detail_matrix(personas, api_for, name, status):
    response = api_for(_user(personas, name)).get(
        f"/api/v1/classes/{personas.school_class.pk}/")
    assert response.status_code == status
    if status == 200:
        data = response.json()
        assert [p["display_name"] for p in data["pupils"]] == ["Chloé Martin"]
        assert [t["display_name"] for t in data["teachers"]] == ["Jeanne Petit"]


@pytest.mark.parametrize(("name", "parents", "pupils", "hidden"), [
    ("teacher", ["Marie Martin", "Marc Roux"], ["Chloé Martin", "Léa Roux"], 0),
    ("school_admin", ["Marie Martin", "Marc Roux"], ["Chloé Martin", "Léa Roux"], 0),
    # A parent: herself and her child, not the other families (neither parents nor pupils).
    ("parent", ["Marie Martin"], ["Chloé Martin"], 2),
    # A pupil: herself and her own parent, not her classmates nor their parents.
    ("pupil", ["Marie Martin"], ["Chloé Martin"], 2),
])
def test_class_members_are_those_the_class_page_shows(personas, api_for, client_for, name,
                                                        parents, pupils, hidden):
    """The API shows no more than the web class page (one function decides both)."""
    _second_family(personas)
    viewer = getattr(personas, name)
    data = api_for(viewer).get(f"/api/v1/classes/{personas.school_class.pk}/").json()
    assert sorted(p["display_name"] for p in data["parents"]) == sorted(parents)
    assert sorted(p["display_name"] for p in data["pupils"]) == sorted(pupils)
    assert data["hidden_count"] == hidden
    page = client_for(viewer).get(f"/annuaire/classes/{personas.school_class.pk}/")
    text = page.content.decode()
    for name_shown in parents + pupils:
        assert name_shown in text
    for other in {"Léa Roux", "Marc Roux"} - set(parents + pupils):
        assert other not in text


@pytest.mark.parametrize(("name", "status"), [
    ("teacher", 200), ("colleague", 200), ("school_admin", 200), ("pupil", 400),
    ("parent", 400), ("ent_admin", 400), ("other_teacher", 404), ("other_pupil", 404),
    ("guest", 404), (None, 401),
])
def test_attach_to_class_matrix(personas, api_for, name, status):
    response = api_for(_user(personas, name)).post(
        f"/api/v1/classes/{personas.school_class.pk}/attach/")
    assert response.status_code == status
    user = _user(personas, name)
    if user is None:
        return
    adult_groups = personas.school_class.groups.filter(
        kind=GroupKind.CLASS, profile__in=(Profile.TEACHER, Profile.PERSONNEL))
    attached = adult_groups.filter(memberships__user=user).exists()
    assert attached is (status == 200)
    if status == 200:
        data = response.json()
        assert user.pk in [p["id"] for p in data["teachers"] + data["staff"]]


def test_attach_to_a_class_without_pupils_is_refused_with_the_rule(personas, api_for):
    response = api_for(personas.colleague).post(
        f"/api/v1/classes/{personas.empty_class.pk}/attach/")
    assert response.status_code == 400
    with translation.override("fr"), pytest.raises(DirectoryError) as refused:
        check_attach_teacher_to_class(personas.colleague, personas.empty_class,
                                      personas.colleague)
    assert response.json() == {"detail": str(refused.value)}
    assert "eRun" in response.json()["detail"]
    assert not personas.empty_class.groups.filter(memberships__user=personas.colleague).exists()


# Groups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    # Membership grants nothing: a pupil is in « Élèves — CM1 A » and « Élèves — École… »
    # but may only write to her class's teachers; a parent likewise.
    ("pupil", ["Enseignants — CM1 A"]),
    ("parent", ["Enseignants — CM1 A"]),
    # A guest reaches the school's teachers and staff, so their groups.
    ("guest", ["Enseignants — CM1 A", "Enseignants — CP B", "Enseignants — École Jean Jaurès",
               "Personnels — CM1 A", "Personnels — CP B", "Personnels — École Jean Jaurès"]),
])
def test_group_list_is_the_groups_one_may_address(personas, api_for, name, expected):
    data = api_for(getattr(personas, name)).get("/api/v1/groups/").json()
    assert sorted(g["name"] for g in data["results"]) == sorted(expected)


def test_a_member_opens_her_group_without_the_right_to_address_it(personas, api_for):
    pupils = personas.school_class.groups.get(profile="Student")
    data = api_for(personas.pupil).get(f"/api/v1/groups/{pupils.pk}/").json()
    assert data["addressable"] is False
    assert [m["display_name"] for m in data["members"]] == ["Chloé Martin"]
    teachers = personas.school_class.groups.get(profile="Teacher")
    assert api_for(personas.pupil).get(f"/api/v1/groups/{teachers.pk}/").json()[
        "addressable"] is True


def test_group_list_filters(personas, api_for):
    client = api_for(personas.teacher)
    names = [g["name"] for g in client.get("/api/v1/groups/?kind=class").json()["results"]]
    assert "Élèves — CM1 A" in names and "Élèves — CP B" in names
    assert all("École" not in n for n in names)
    names = [g["name"] for g in client.get(
        f"/api/v1/groups/?class={personas.school_class.pk}").json()["results"]]
    assert sorted(names) == ["Enseignants — CM1 A", "Parents — CM1 A", "Personnels — CM1 A",
                             "Élèves — CM1 A"]
    assert client.get(f"/api/v1/groups/?school={personas.other_school.pk}").json()["count"] == 0
    assert "Élèves — CE2 Louise" not in [
        g["name"] for g in client.get("/api/v1/groups/?limit=200").json()["results"]]


@pytest.mark.parametrize(("name", "status"), [
    ("teacher", 200), ("colleague", 200), ("pupil", 200), ("school_admin", 200),
    ("ent_admin", 200), ("parent", 404), ("other_teacher", 404), ("other_pupil", 404),
    ("guest", 404), (None, 401),
])
def test_group_detail_matrix(personas, api_for, name, status):
    group = personas.school_class.groups.get(profile=Profile.STUDENT)
    response = api_for(_user(personas, name)).get(f"/api/v1/groups/{group.pk}/")
    assert response.status_code == status
    if status == 200:
        assert response.json()["name"] == "Élèves — CM1 A"
        assert response.json()["is_scolarite"] is True


def test_group_members_are_those_the_viewer_may_reach(personas, api_for):
    _second_family(personas)
    group = personas.school_class.groups.get(profile=Profile.STUDENT)
    teacher_view = api_for(personas.teacher).get(f"/api/v1/groups/{group.pk}/").json()
    assert sorted(m["display_name"] for m in teacher_view["members"]) == [
        "Chloé Martin", "Léa Roux"]
    pupil_view = api_for(personas.pupil).get(f"/api/v1/groups/{group.pk}/").json()
    assert [m["display_name"] for m in pupil_view["members"]] == ["Chloé Martin"]


def test_a_403_that_says_why_keeps_its_message_through_the_api(personas, api_for):
    """The API's one exception handler keeps the reason of an access function's 403
    (ApprovalPending: the head teacher must approve a teacher's own class attachment)."""
    from django.core.exceptions import PermissionDenied

    from preau.api.errors import exception_handler

    response = exception_handler(PermissionDenied("Le directeur doit approuver."), {})
    assert response is not None and response.status_code == 403
    assert response.data["detail"] == "Le directeur doit approuver."
    bare = exception_handler(PermissionDenied(), {})
    assert bare is not None and bare.status_code == 403
