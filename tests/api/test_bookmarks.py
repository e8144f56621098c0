"""Share bookmarks over the API: their owner's alone, and only people the owner may reach."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from preau.accounts.models import Profile, State
from preau.directory.actions import do_create_bookmark
from preau.directory.models import BookmarkMember, ShareBookmark

pytestmark = pytest.mark.django_db


def _user(personas, name):
    return getattr(personas, name) if name else None


@pytest.fixture
def bookmark(personas):
    """The teacher's bookmark holding the pupil and her class's parents group."""
    parents = personas.school_class.groups.get(profile=Profile.RELATIVE)
    return do_create_bookmark(personas.teacher, "CM1 A", [personas.pupil], [parents])


OTHERS = ["colleague", "pupil", "parent", "other_teacher", "other_pupil", "school_admin",
          "ent_admin", "guest"]


@pytest.mark.parametrize("name", ["teacher", *OTHERS, None])
def test_bookmark_read_matrix(personas, api_for, bookmark, name):
    client = api_for(_user(personas, name))
    detail = client.get(f"/api/v1/bookmarks/{bookmark.pk}/")
    listing = client.get("/api/v1/bookmarks/")
    if name is None:
        assert (detail.status_code, listing.status_code) == (401, 401)
    elif name == "teacher":
        assert detail.status_code == 200
        assert [b["name"] for b in listing.json()["results"]] == ["CM1 A"]
        assert listing.json()["results"][0]["members_count"] == 2
    else:
        assert detail.status_code == 404
        assert listing.json()["count"] == 0


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("patch", "", {"name": "Volé"}),
    ("delete", "", {}),
    ("post", "members/", {"users": []}),
    ("delete", "members/{member}/", {}),
])
@pytest.mark.parametrize("name", OTHERS)
def test_bookmark_writes_by_anyone_else_are_404(personas, api_for, bookmark, name, method,
                                                suffix, body):
    member = bookmark.members.first()
    url = f"/api/v1/bookmarks/{bookmark.pk}/{suffix.format(member=member.pk)}"
    response = getattr(api_for(getattr(personas, name)), method)(url, body)
    assert response.status_code == 404
    bookmark.refresh_from_db()
    assert bookmark.name == "CM1 A"
    assert bookmark.members.count() == 2


def test_create_rename_delete(personas, api_for):
    client = api_for(personas.teacher)
    created = client.post("/api/v1/bookmarks/", {"name": "  Équipe  ",
                                                  "users": [personas.colleague.pk]})
    assert created.status_code == 201
    data = created.json()
    assert data["name"] == "Équipe"
    assert [m["user"]["display_name"] for m in data["members"]] == ["Paul Bernard"]
    bookmark = ShareBookmark.objects.get(pk=data["id"])
    assert bookmark.owner == personas.teacher
    renamed = client.patch(f"/api/v1/bookmarks/{bookmark.pk}/", {"name": "Équipe 2024"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Équipe 2024"
    assert client.patch(f"/api/v1/bookmarks/{bookmark.pk}/", {"name": "   "}).status_code == 400
    assert client.put(f"/api/v1/bookmarks/{bookmark.pk}/", {"name": "x"}).status_code == 405
    assert client.delete(f"/api/v1/bookmarks/{bookmark.pk}/").status_code == 204
    assert not ShareBookmark.objects.filter(pk=bookmark.pk).exists()


def test_add_members_only_reachable_ones(personas, api_for, bookmark):
    client = api_for(personas.teacher)
    url = f"/api/v1/bookmarks/{bookmark.pk}/members/"
    teachers = personas.school_class.groups.get(profile=Profile.TEACHER)
    response = client.post(url, {"users": [personas.colleague.pk, personas.pupil.pk],
                                 "groups": [teachers.pk]})
    assert response.status_code == 200
    assert len(response.json()["members"]) == 4  # the pupil was already there
    assert bookmark.members.count() == 4


def test_unreachable_and_unknown_ids_get_the_same_400(personas, api_for, bookmark):
    client = api_for(personas.teacher)
    url = f"/api/v1/bookmarks/{bookmark.pk}/members/"
    unreachable = client.post(url, {"users": [personas.colleague.pk, personas.other_pupil.pk]})
    unknown = client.post(url, {"users": [personas.colleague.pk, 999999]})
    assert unreachable.status_code == unknown.status_code == 400
    assert unreachable.json() == unknown.json() == {
        "users": ["Personne inconnue, ou avec qui vous ne pouvez pas partager."]}
    other_group = personas.other_class.groups.first()
    refused = client.post(url, {"groups": [other_group.pk]})
    assert refused.status_code == 400
    assert refused.json() == {
        "groups": ["Groupe inconnu, ou avec lequel vous ne pouvez pas partager."]}
    assert bookmark.members.count() == 2  # nothing was added
    created = client.post("/api/v1/bookmarks/", {"name": "X", "users": [personas.other_pupil.pk]})
    assert created.status_code == 400
    assert not ShareBookmark.objects.filter(name="X").exists()


def test_members_out_of_reach_are_only_counted(personas, api_for, bookmark):
    gone = personas.colleague
    BookmarkMember.objects.create(bookmark=bookmark, user=gone)
    BookmarkMember.objects.create(bookmark=bookmark,
                                  group=personas.other_class.groups.first())
    gone.state = State.PREDELETED
    gone.save()
    data = api_for(personas.teacher).get(f"/api/v1/bookmarks/{bookmark.pk}/").json()
    shown = [m["user"]["id"] if m["user"] else m["group"]["id"] for m in data["members"]]
    assert personas.pupil.pk in shown
    assert len(data["members"]) == 2
    assert data["unreachable_count"] == 2
    assert sorted(data["unreachable_members"]) == sorted(
        bookmark.members.exclude(pk__in=[m["id"] for m in data["members"]])
        .values_list("pk", flat=True))
    assert "Paul Bernard" not in str(data)


def test_remove_member(personas, api_for, bookmark):
    client = api_for(personas.teacher)
    member = bookmark.members.get(user=personas.pupil)
    url = f"/api/v1/bookmarks/{bookmark.pk}/members/{member.pk}/"
    assert client.delete(url).status_code == 204
    assert bookmark.members.count() == 1
    assert client.delete(url).status_code == 404
    other = do_create_bookmark(personas.colleague, "À moi", [personas.pupil])
    foreign = other.members.get()
    response = client.delete(f"/api/v1/bookmarks/{bookmark.pk}/members/{foreign.pk}/")
    assert response.status_code == 404
    assert other.members.count() == 1


def test_bookmark_detail_query_count_does_not_grow(personas, api_for):
    groups = list(personas.school_class.groups.all())
    small = do_create_bookmark(personas.teacher, "Petit", [personas.pupil], groups[:1])
    large = do_create_bookmark(personas.teacher, "Grand",
                               [personas.pupil, personas.parent, personas.colleague,
                                personas.guest], groups)
    client = api_for(personas.teacher)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"/api/v1/bookmarks/{small.pk}/").json()["members"]) == 2
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"/api/v1/bookmarks/{large.pk}/").json()["members"]) == 4 + len(
            groups)
    assert len(few) == len(many)
