"""Share bookmarks (favoris de partage): create from a selection, rename, add and remove
members, delete; owner only; members out of reach reported, never kept silently."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.accounts.models import Profile, State
from preau.directory.actions import (
    DirectoryError,
    check_add_bookmark_members,
    do_attach_to_structure,
    do_create_bookmark,
    do_create_class,
    do_detach_from_structure,
)
from preau.directory.models import (
    BookmarkMember,
    Group,
    GroupKind,
    SchoolYear,
    ShareBookmark,
)
from tests.personas import make_user

pytestmark = pytest.mark.django_db


def _url(name: str, *args: int) -> str:
    return reverse(f"directory:{name}", args=args)


def test_create_a_bookmark_from_the_search_selection(client_for, personas):
    group = Group.objects.get(kind=GroupKind.CLASS, school_class=personas.school_class,
                              profile=Profile.RELATIVE)
    response = client_for(personas.teacher).post(_url("bookmark_create"), {
        "name": "  Équipe CM1  ", "users": [personas.colleague.pk, personas.pupil.pk],
        "groups": [group.pk]})
    bookmark = ShareBookmark.objects.get(owner=personas.teacher)
    assert response.status_code == 302
    assert response["Location"] == _url("bookmark", bookmark.pk)
    assert bookmark.name == "Équipe CM1"
    assert {m.user for m in bookmark.members.filter(user__isnull=False)} == {
        personas.colleague, personas.pupil}
    assert [m.group for m in bookmark.members.filter(group__isnull=False)] == [group]


def test_creating_with_someone_out_of_reach_is_refused(client_for, personas):
    response = client_for(personas.teacher).post(_url("bookmark_create"), {
        "name": "Mélange", "users": [personas.colleague.pk, personas.other_pupil.pk]})
    assert response.status_code == 400
    assert not ShareBookmark.objects.exists()
    assert "Vous ne pouvez ajouter que des personnes et des groupes" in \
        response.content.decode()


def test_creating_with_a_group_out_of_reach_is_refused(client_for, personas):
    other_group = Group.objects.get(kind=GroupKind.CLASS, school_class=personas.other_class,
                                    profile=Profile.STUDENT)
    response = client_for(personas.teacher).post(_url("bookmark_create"), {
        "name": "Mélange", "groups": [other_group.pk]})
    assert response.status_code == 400
    assert not ShareBookmark.objects.exists()


def test_creating_without_a_name_is_refused(client_for, personas):
    response = client_for(personas.teacher).post(_url("bookmark_create"), {"name": "   "})
    assert response.status_code == 400
    assert not ShareBookmark.objects.exists()


def test_bookmarks_list_shows_only_mine_on_the_left(client_for, personas):
    do_create_bookmark(personas.teacher, "Les miens", [personas.colleague])
    do_create_bookmark(personas.colleague, "Ceux du collègue", [personas.teacher])
    response = client_for(personas.teacher).get(_url("bookmarks"))
    content = response.content.decode()
    assert "Les miens" in content
    assert "Ceux du collègue" not in content
    assert "Supprimer le favori Les miens" in content
    assert 'data-confirm="' in content


def test_rename(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Ancien nom")
    response = client_for(personas.teacher).post(_url("bookmark_rename", bookmark.pk),
                                                 {"name": "Nouveau nom"}, follow=True)
    bookmark.refresh_from_db()
    assert bookmark.name == "Nouveau nom"
    assert "Favori renommé en « Nouveau nom »." in response.content.decode()


def test_rename_to_blank_is_refused(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Ancien nom")
    response = client_for(personas.teacher).post(_url("bookmark_rename", bookmark.pk),
                                                 {"name": "  "})
    assert response.status_code == 400
    bookmark.refresh_from_db()
    assert bookmark.name == "Ancien nom"


def test_add_and_remove_members(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Classe", [personas.colleague])
    client = client_for(personas.teacher)
    response = client.post(_url("bookmark_add", bookmark.pk), {"users": [personas.pupil.pk]})
    assert response.status_code == 302
    assert bookmark.members.count() == 2
    member = bookmark.members.get(user=personas.colleague)
    response = client.post(_url("bookmark_remove_member", bookmark.pk, member.pk), follow=True)
    assert list(bookmark.members.values_list("user", flat=True)) == [personas.pupil.pk]
    assert "« Paul Bernard » retiré(e) du favori." in response.content.decode()


def test_adding_someone_out_of_reach_is_refused(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Classe", [personas.colleague])
    response = client_for(personas.teacher).post(
        _url("bookmark_add", bookmark.pk),
        {"users": [personas.pupil.pk, personas.other_pupil.pk]})
    assert response.status_code == 400
    assert bookmark.members.count() == 1  # nothing added, not even the reachable pupil
    assert "Vous ne pouvez ajouter que des personnes" in response.content.decode()


def test_adding_nothing_is_refused(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Classe")
    response = client_for(personas.teacher).post(_url("bookmark_add", bookmark.pk), {})
    assert response.status_code == 400
    assert "Sélectionnez au moins une personne ou un groupe." in response.content.decode()


def test_the_action_refuses_out_of_reach_members_too(personas):
    bookmark = do_create_bookmark(personas.pupil, "Mes contacts")
    with pytest.raises(DirectoryError):
        check_add_bookmark_members(bookmark, [personas.colleague])
    check_add_bookmark_members(bookmark, [personas.teacher])
    assert bookmark.members.count() == 1


def test_removing_a_member_of_another_bookmark_is_404(client_for, personas):
    mine = do_create_bookmark(personas.teacher, "Le mien", [personas.colleague])
    theirs = do_create_bookmark(personas.colleague, "Le sien", [personas.teacher])
    their_member = theirs.members.get()
    response = client_for(personas.teacher).post(
        _url("bookmark_remove_member", mine.pk, their_member.pk))
    assert response.status_code == 404
    assert theirs.members.count() == 1


def test_delete(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "À jeter", [personas.colleague])
    response = client_for(personas.teacher).post(_url("bookmark_delete", bookmark.pk),
                                                 follow=True)
    assert not ShareBookmark.objects.filter(pk=bookmark.pk).exists()
    assert not BookmarkMember.objects.exists()
    assert response.redirect_chain[-1][0] == _url("bookmarks")
    assert "Favori « À jeter » supprimé." in response.content.decode()


def _last_year_bookmark(personas):
    """A bookmark made last year: a pupil who has left the school, a closed class's group."""
    former = make_user("Ancien", "Élève", Profile.STUDENT)
    last_year = SchoolYear.objects.create(name="2022-2023", start=datetime.date(2022, 9, 1),
                                          end=datetime.date(2023, 7, 7))
    old_class = do_create_class(personas.school, "CM1-A", "CM1 A 2022", ["CM1"], last_year)
    old_group = Group.objects.get(kind=GroupKind.CLASS, school_class=old_class,
                                  profile=Profile.STUDENT)
    do_attach_to_structure(former, personas.school)
    bookmark = do_create_bookmark(personas.teacher, "Classe 2022",
                                  [personas.colleague, former], [old_group])
    do_detach_from_structure(former, personas.school)
    return bookmark, former, old_group


def test_members_out_of_reach_are_reported_not_shown_as_normal(client_for, personas):
    bookmark, former, old_group = _last_year_bookmark(personas)
    response = client_for(personas.teacher).get(_url("bookmark", bookmark.pk))
    content = response.content.decode()
    box = response.context["content"]
    assert [m.user for m in box.reachable] == [personas.colleague]
    assert {m.user or m.group for m in box.unreachable} == {former, old_group}
    assert "2 membres que vous ne pouvez plus voir" in content
    # Listed in the report, not in the members table.
    members_table = content[content.index('class="members"'):content.index('class="unreachable"')]
    assert "Ancien Élève" not in members_table
    assert "Ancien Élève" in content[content.index('class="unreachable"'):]


def test_deleted_user_is_out_of_reach(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Amis", [personas.colleague])
    personas.colleague.state = State.DELETED
    personas.colleague.save()
    response = client_for(personas.teacher).get(_url("bookmark", bookmark.pk))
    assert len(response.context["content"].unreachable) == 1
    assert "1 membre que vous ne pouvez plus voir" in response.content.decode()


def test_remove_all_members_out_of_reach(client_for, personas):
    bookmark, _former, _old_group = _last_year_bookmark(personas)
    response = client_for(personas.teacher).post(
        _url("bookmark_remove_unreachable", bookmark.pk), follow=True)
    assert [m.user for m in bookmark.members.all()] == [personas.colleague]
    assert "Membres retirés : 2." in response.content.decode()


def test_remove_one_member_out_of_reach(client_for, personas):
    bookmark, former, _old_group = _last_year_bookmark(personas)
    member = bookmark.members.get(user=former)
    client_for(personas.teacher).post(_url("bookmark_remove_member", bookmark.pk, member.pk))
    assert bookmark.members.count() == 2
    assert not bookmark.members.filter(user=former).exists()


def test_candidates_are_reachable_and_not_yet_members(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Classe", [personas.colleague])
    response = client_for(personas.teacher).get(_url("bookmark", bookmark.pk), {"q": "e"})
    candidates = response.context["candidates"]
    people = {row.user for row in candidates.people}
    assert personas.pupil in people
    assert personas.colleague not in people  # already a member
    assert personas.other_pupil not in people  # out of reach
    assert all(g.school_class != personas.other_class for g in candidates.groups)


def test_candidates_through_htmx(client_for, personas):
    bookmark = do_create_bookmark(personas.teacher, "Classe")
    response = client_for(personas.teacher).get(
        _url("bookmark", bookmark.pk), {"q": "chloe"}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="bookmark-candidates")
    content = response.content.decode()
    assert "<html" not in content
    assert "Chloé Martin" in content
    assert _url("bookmark_add", bookmark.pk) in content


def test_bookmark_page_query_count_does_not_grow_with_members(client_for, personas,
                                                               django_assert_num_queries):
    client = client_for(personas.teacher)
    client.get(reverse("home"))
    bookmark = do_create_bookmark(personas.teacher, "Grand favori", [personas.colleague])
    with CaptureQueriesContext(connection) as queries:
        client.get(_url("bookmark", bookmark.pk))
    pupils = [make_user("Élève", f"Favori{n:02d}", Profile.STUDENT) for n in range(20)]
    for pupil in pupils:
        do_attach_to_structure(pupil, personas.school)
    check_add_bookmark_members(bookmark, pupils)
    with django_assert_num_queries(len(queries)):
        response = client.get(_url("bookmark", bookmark.pk))
    assert len(response.context["content"].reachable) == 21

