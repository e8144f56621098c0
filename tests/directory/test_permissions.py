"""Who may open which Annuaire page: every persona plus an anonymous visitor.

200 for those entitled, 404 for what a user may not see (never saying it exists), and a
redirect to the login page for anonymous visitors.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.actions import do_create_bookmark
from preau.directory.models import Group, GroupKind, ShareBookmark
from tests.directory.conftest import assert_redirects_to_login

pytestmark = pytest.mark.django_db

EVERYONE = ["teacher", "colleague", "pupil", "parent", "other_teacher", "other_pupil",
            "school_admin", "ent_admin", "guest"]


def _status_matrix(expected_ok: set[str]) -> list[tuple[str, int]]:
    return [(name, 200 if name in expected_ok else 404) for name in EVERYONE]


def _get(client_for, personas, persona: str | None, url: str):
    user = getattr(personas, persona) if persona else None
    return client_for(user).get(url)


@pytest.mark.parametrize("url_name", ["home", "directory:search", "directory:classes",
                                      "directory:bookmarks"])
@pytest.mark.parametrize("persona", EVERYONE)
def test_open_pages_for_every_logged_in_user(client_for, personas, url_name, persona):
    response = _get(client_for, personas, persona, reverse(url_name))
    assert response.status_code == 200


@pytest.mark.parametrize("url_name", ["home", "directory:search", "directory:classes",
                                      "directory:bookmarks"])
def test_open_pages_send_anonymous_visitors_to_login(client_for, personas, url_name):
    assert_redirects_to_login(_get(client_for, personas, None, reverse(url_name)))


CLASS_VIEWERS = {"teacher", "colleague", "pupil", "parent", "school_admin", "ent_admin"}


@pytest.mark.parametrize(("persona", "status"), _status_matrix(CLASS_VIEWERS))
def test_class_page_matrix(client_for, personas, persona, status):
    url = reverse("directory:class", args=[personas.school_class.pk])
    assert _get(client_for, personas, persona, url).status_code == status


def test_class_page_anonymous(client_for, personas):
    url = reverse("directory:class", args=[personas.school_class.pk])
    assert_redirects_to_login(_get(client_for, personas, None, url))


def test_unknown_class_is_404(client_for, personas):
    url = reverse("directory:class", args=[999999])
    assert _get(client_for, personas, "ent_admin", url).status_code == 404


# The pupil's card: her school's staff, her parent, herself and the ENT admin.
PUPIL_CARD_VIEWERS = {"teacher", "colleague", "pupil", "parent", "school_admin", "ent_admin"}


@pytest.mark.parametrize(("persona", "status"), _status_matrix(PUPIL_CARD_VIEWERS))
def test_person_card_matrix(client_for, personas, persona, status):
    url = reverse("directory:person", args=[personas.pupil.pk])
    assert _get(client_for, personas, persona, url).status_code == status


def test_person_card_anonymous(client_for, personas):
    url = reverse("directory:person", args=[personas.pupil.pk])
    assert_redirects_to_login(_get(client_for, personas, None, url))


# The pupils' group of CM1 A: the school's staff (whole-school reach), its own member.
GROUP_VIEWERS = {"teacher", "colleague", "pupil", "school_admin", "ent_admin"}


@pytest.mark.parametrize(("persona", "status"), _status_matrix(GROUP_VIEWERS))
def test_group_page_matrix(client_for, personas, persona, status):
    group = Group.objects.get(kind=GroupKind.CLASS, school_class=personas.school_class,
                              profile=Profile.STUDENT)
    url = reverse("directory:group", args=[group.pk])
    assert _get(client_for, personas, persona, url).status_code == status


def test_group_page_anonymous(client_for, personas):
    group = Group.objects.get(kind=GroupKind.CLASS, school_class=personas.school_class,
                              profile=Profile.STUDENT)
    assert_redirects_to_login(
        _get(client_for, personas, None, reverse("directory:group", args=[group.pk])))


@pytest.mark.parametrize(("persona", "status"), _status_matrix({"teacher"}))
def test_bookmark_page_is_its_owners_alone(client_for, personas, persona, status):
    bookmark = do_create_bookmark(personas.teacher, "Collègues", [personas.colleague])
    url = reverse("directory:bookmark", args=[bookmark.pk])
    assert _get(client_for, personas, persona, url).status_code == status


BOOKMARK_POSTS = [
    ("directory:bookmark_rename", {"name": "Volé"}),
    ("directory:bookmark_delete", {}),
    ("directory:bookmark_add", {"users": ["colleague"]}),
    ("directory:bookmark_remove_unreachable", {}),
]


@pytest.mark.parametrize(("url_name", "data"), BOOKMARK_POSTS)
@pytest.mark.parametrize("persona", [p for p in EVERYONE if p != "teacher"] + [None])
def test_bookmark_changes_are_refused_to_anyone_but_the_owner(client_for, personas, url_name,
                                                              data, persona):
    bookmark = do_create_bookmark(personas.teacher, "Collègues", [personas.colleague])
    post = {key: [getattr(personas, v).pk for v in values] if isinstance(values, list)
            else values for key, values in data.items()}
    client = client_for(getattr(personas, persona) if persona else None)
    response = client.post(reverse(url_name, args=[bookmark.pk]), post)
    if persona is None:
        assert_redirects_to_login(response)
    else:
        assert response.status_code == 404
    bookmark.refresh_from_db()
    assert bookmark.name == "Collègues"
    assert bookmark.members.count() == 1


@pytest.mark.parametrize("persona", [p for p in EVERYONE if p != "teacher"] + [None])
def test_removing_a_member_is_refused_to_anyone_but_the_owner(client_for, personas, persona):
    bookmark = do_create_bookmark(personas.teacher, "Collègues", [personas.colleague])
    member = bookmark.members.get()
    client = client_for(getattr(personas, persona) if persona else None)
    response = client.post(reverse("directory:bookmark_remove_member",
                                   args=[bookmark.pk, member.pk]))
    assert response.status_code == (302 if persona is None else 404)
    assert ShareBookmark.objects.get(pk=bookmark.pk).members.count() == 1


@pytest.mark.parametrize("persona", EVERYONE)
def test_creating_a_bookmark_is_open_to_everyone_logged_in(client_for, personas, persona):
    user = getattr(personas, persona)
    response = client_for(user).post(reverse("directory:bookmark_create"), {"name": "Mine"})
    assert response.status_code == 302
    assert ShareBookmark.objects.filter(owner=user, name="Mine").exists()


def test_creating_a_bookmark_anonymous(client_for, personas):
    response = client_for(None).post(reverse("directory:bookmark_create"), {"name": "Mine"})
    assert_redirects_to_login(response)
    assert not ShareBookmark.objects.exists()


@pytest.mark.parametrize("url_name", ["directory:attach_class", "directory:detach_class"])
def test_attach_and_detach_anonymous(client_for, personas, url_name):
    url = reverse(url_name, args=[personas.school_class.pk])
    assert_redirects_to_login(client_for(None).post(url))


@pytest.mark.parametrize("url_name", ["directory:attach_class", "directory:detach_class",
                                      "directory:bookmark_create"])
def test_changes_need_post(client_for, personas, url_name):
    args = [] if url_name == "directory:bookmark_create" else [personas.school_class.pk]
    response = client_for(personas.teacher).get(reverse(url_name, args=args))
    assert response.status_code == 405


# Attaching oneself to CM1 A: 404 for who may not see the class; for the others the action
# decides (a message and a redirect), and only teachers and staff of the school get attached.
ATTACH_MATRIX = [
    ("teacher", 302, True), ("colleague", 302, True), ("school_admin", 302, True),
    ("pupil", 302, False), ("parent", 302, False), ("ent_admin", 302, False),
    ("guest", 404, False), ("other_teacher", 404, False), ("other_pupil", 404, False),
]


@pytest.mark.parametrize(("persona", "status", "attached"), ATTACH_MATRIX)
def test_attach_matrix(client_for, personas, persona, status, attached):
    from preau.directory.models import Membership

    user = getattr(personas, persona)
    url = reverse("directory:attach_class", args=[personas.school_class.pk])
    response = client_for(user).post(url)
    assert response.status_code == status
    staff_membership = Membership.objects.filter(
        user=user, group__school_class=personas.school_class,
        group__profile__in=[Profile.TEACHER, Profile.PERSONNEL])
    assert staff_membership.exists() == attached


def test_htmx_fragments_vary_on_htmx_headers(client_for, personas):
    response = client_for(personas.teacher).get(reverse("directory:search"))
    assert "HX-Request" in response["Vary"]
