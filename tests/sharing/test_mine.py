""""Mes partages": what I shared, with whom, grouped by resource."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.directory.models import BookmarkMember, ShareBookmark
from preau.documents.actions import check_trash
from preau.sharing.actions import check_share
from tests.documents.helpers import upload
from tests.sharing.helpers import class_group, dialog_url, raw_share

pytestmark = pytest.mark.django_db
MINE = "/partages/"


def test_mine_url():
    assert reverse("sharing:mine") == MINE


def test_anonymous_goes_to_login(client_for):
    response = client_for(None).get(MINE)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_nothing_shared_yet(personas, client_for):
    page = client_for(personas.pupil).get(MINE).content.decode()
    assert "Vous n\u2019avez encore rien partagé." in page
    assert 'aria-current="page">Mes partages</a>' in page


def test_lists_what_i_shared_grouped_by_resource(personas, client_for, folder, doc):
    teacher = personas.teacher
    check_share(teacher, doc, users=[personas.colleague], rights=["read", "comment"])
    bookmark = ShareBookmark.objects.create(owner=teacher, name="Parents CM1")
    BookmarkMember.objects.create(bookmark=bookmark, group=class_group(personas, "Relative"))
    check_share(teacher, folder, bookmark=bookmark, rights=["read"])
    raw_share(doc, teacher, user=personas.other_teacher)  # out of reach now
    # Someone else's share on my document is not mine to list.
    check_share(teacher, doc, users=[personas.guest], rights=["manage"])
    check_share(personas.guest, doc, users=[personas.school_admin], rights=["read"])

    page = client_for(teacher).get(MINE).content.decode()
    # Most recently shared first: the document's last share is the guest's.
    assert page.index("séquence.txt") < page.index("Projets")
    assert "Paul Bernard" in page and "Invité Visiteur" in page
    assert "Sophie Durand" not in page
    assert "Parents — CM1 A" in page and "via le favori « Parents CM1 »" in page
    assert '<span class="right-name">Commentaire</span>' in page
    assert "nominativement" in page
    assert "Et 1 autre personne, hors de votre portée désormais." in page
    assert "Luc Moreau" not in page
    assert f'href="{dialog_url(doc)}" data-share-dialog' in page
    assert f'href="{dialog_url(folder)}" data-share-dialog' in page
    assert "Gérer les partages<span" in page


def test_other_users_see_only_their_own(personas, client_for, doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["read"])
    page = client_for(personas.colleague).get(MINE).content.decode()
    assert "séquence.txt" not in page


def test_trashed_resources_are_left_out(personas, client_for, doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["read"])
    check_trash(personas.teacher, doc)
    page = client_for(personas.teacher).get(MINE).content.decode()
    assert "séquence.txt" not in page


def test_links_to_shared_with_me(personas, client_for):
    page = client_for(personas.teacher).get(MINE).content.decode()
    assert "Partagés avec moi" in page


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(MINE).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_resources(personas, client_for):
    teacher = personas.teacher
    client = client_for(teacher)
    group = class_group(personas)
    for index in range(2):
        node = upload(teacher, f"fiche-{index}.txt", b"x")
        check_share(teacher, node, users=[personas.colleague], groups=[group], rights=["read"])
    few = _queries(client)
    for index in range(2, 12):
        node = upload(teacher, f"fiche-{index}.txt", b"x")
        check_share(teacher, node, users=[personas.colleague, personas.guest], groups=[group],
                    rights=["read"])
    assert _queries(client) == few
