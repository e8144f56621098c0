"""The share dialog: who may open it, and every change it makes through the sharing actions."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from preau.accounts.models import Profile
from preau.directory.models import BookmarkMember, ShareBookmark
from preau.sharing.access import rights_of
from preau.sharing.actions import check_share
from preau.sharing.models import Share, Via
from tests.sharing.helpers import (
    class_group,
    dialog_url,
    manual_group,
    raw_share,
    school_group,
    share_row,
)

pytestmark = pytest.mark.django_db
HTMX_PANEL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "share-panel"}


def shares_of(node):
    return Share.objects.filter(resource_type=node.share_type, resource_id=node.pk)


# Who may open the dialog -------------------------------------------------------------------


def test_owner_opens_the_dialog_in_french(personas, client_for, doc):
    response = client_for(personas.teacher).get(dialog_url(doc))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Partager « séquence.txt »" in page
    for value, word in (("read", "Lecture"), ("contrib", "Contribution"),
                        ("comment", "Commentaire"), ("manage", "Gestion")):
        assert f'<label for="new-right-{value}">{word}</label>' in page
    assert "Enregistrer comme favori de partage" in page
    assert "Partagé avec personne pour l\u2019instant." in page


def test_the_docs_path_is_the_dialog(personas, client_for, doc):
    assert dialog_url(doc) == f"/partages/documents.node/{doc.pk}/"


def test_manager_by_share_opens_the_dialog(personas, client_for, doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["manage"])
    assert client_for(personas.colleague).get(dialog_url(doc)).status_code == 200


def test_reader_is_refused_403(personas, client_for, doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["read", "contrib"])
    client = client_for(personas.colleague)
    assert client.get(dialog_url(doc)).status_code == 403
    response = client.post(dialog_url(doc, "share"), {"users": personas.guest.pk,
                                                      "rights": "read"})
    assert response.status_code == 403
    assert not shares_of(doc).filter(user=personas.guest).exists()


def test_stranger_gets_404_and_anonymous_the_login_page(personas, client_for, doc):
    assert client_for(personas.other_teacher).get(dialog_url(doc)).status_code == 404
    assert client_for(personas.pupil).get(dialog_url(doc)).status_code == 404
    response = client_for(None).get(dialog_url(doc))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_unknown_type_or_resource_is_404(personas, client_for, doc):
    client = client_for(personas.teacher)
    assert client.get(reverse("sharing:dialog", args=["nothing.here", doc.pk])).status_code == 404
    assert client.get(reverse("sharing:dialog", args=[doc.share_type, 999999])).status_code == 404


def test_trashed_resource_is_404(personas, client_for, doc):
    from preau.documents.actions import check_trash

    check_trash(personas.teacher, doc)
    assert client_for(personas.teacher).get(dialog_url(doc)).status_code == 404


# Sharing ------------------------------------------------------------------------------------


def test_share_with_a_user_with_the_chosen_rights(personas, client_for, doc):
    response = client_for(personas.teacher).post(
        dialog_url(doc, "share"), {"users": personas.colleague.pk,
                                   "rights": ["read", "comment"]}, follow=True)
    share = share_row(doc, user=personas.colleague)
    assert (share.can_read, share.can_comment, share.can_contrib, share.can_manage) == (
        True, True, False, False)
    assert (share.via, share.created_by) == (Via.DIRECT, personas.teacher)
    page = response.content.decode()
    assert "Partagé avec 1 personne ou groupe." in page
    assert "Paul Bernard" in page
    for word in ("Lecture", "Contribution", "Commentaire", "Gestion"):
        assert f'<th scope="col" class="right">{word}</th>' in page
    assert f'id="share-{share.pk}-comment" form="share-rights-{share.pk}" data-right="comment" ' \
        f'data-rights-group="share-{share.pk}" checked' in page
    assert rights_of(personas.colleague, doc) == {"read", "comment"}


def test_manage_implies_every_right(personas, client_for, doc):
    client_for(personas.teacher).post(dialog_url(doc, "share"),
                                      {"users": personas.colleague.pk, "rights": "manage"})
    assert share_row(doc, user=personas.colleague).rights == {"read", "contrib", "comment",
                                                              "manage"}


@pytest.mark.parametrize("make_group", [class_group, school_group, manual_group],
                         ids=["class group", "school group", "manual group"])
def test_share_with_a_group(personas, client_for, doc, make_group):
    group = make_group(personas)
    client_for(personas.teacher).post(dialog_url(doc, "share"),
                                      {"groups": group.pk, "rights": "read"})
    assert share_row(doc, group=group).rights == {"read"}
    member = {"class group": personas.pupil, "school group": personas.colleague,
              "manual group": personas.colleague}
    kind = {class_group: "class group", school_group: "school group",
            manual_group: "manual group"}[make_group]
    assert "read" in rights_of(member[kind], doc)


def test_class_group_reaches_its_pupils_only(personas, client_for, doc):
    client_for(personas.teacher).post(dialog_url(doc, "share"),
                                      {"groups": class_group(personas).pk, "rights": "read"})
    assert rights_of(personas.pupil, doc) == {"read"}
    assert rights_of(personas.other_pupil, doc) == frozenset()


def test_share_with_a_bookmark_expands_it_and_reports_who_is_out_of_reach(
        personas, client_for, doc):
    bookmark = ShareBookmark.objects.create(owner=personas.teacher, name="Équipe CM1")
    group = class_group(personas, Profile.RELATIVE)
    BookmarkMember.objects.create(bookmark=bookmark, user=personas.colleague)
    BookmarkMember.objects.create(bookmark=bookmark, group=group)
    BookmarkMember.objects.create(bookmark=bookmark, user=personas.other_pupil)  # other school
    response = client_for(personas.teacher).post(
        dialog_url(doc, "share"), {"bookmark": bookmark.pk, "rights": ["read", "contrib"],
                                   "users": personas.guest.pk}, follow=True)
    rows = {s.grantee_key: s for s in shares_of(doc)}
    assert set(rows) == {f"user:{personas.colleague.pk}", f"group:{group.pk}"}
    for share in rows.values():
        assert (share.via, share.bookmark_name, share.bookmark_id) == (
            Via.BOOKMARK, "Équipe CM1", bookmark.pk)
        assert share.rights == {"read", "contrib"}
    page = response.content.decode()
    assert "Partagé avec 2 personnes ou groupes." in page
    assert "hors de votre portée : Hugo Lefèvre" in page
    assert page.count("via le favori « Équipe CM1 »") == 2


def test_someone_elses_bookmark_is_refused(personas, client_for, doc):
    theirs = ShareBookmark.objects.create(owner=personas.colleague, name="À Paul")
    BookmarkMember.objects.create(bookmark=theirs, user=personas.guest)
    client_for(personas.teacher).post(dialog_url(doc, "share"),
                                      {"bookmark": theirs.pk, "rights": "read"})
    assert not shares_of(doc).exists()


def test_out_of_reach_user_is_refused(personas, client_for, doc):
    response = client_for(personas.teacher).post(
        dialog_url(doc, "share"), {"users": [personas.colleague.pk, personas.other_teacher.pk],
                                   "rights": "read"}, follow=True)
    assert not shares_of(doc).exists()
    assert ("Vous ne pouvez pas partager avec une personne hors de vos règles de communication."
            in response.content.decode())


def test_a_parent_cannot_share_with_a_teacher_of_another_school(personas, client_for):
    from tests.documents.helpers import upload

    mine = upload(personas.parent, "dessin.txt", b"x")
    client_for(personas.parent).post(dialog_url(mine, "share"),
                                     {"users": personas.other_teacher.pk, "rights": "read"})
    assert not shares_of(mine).exists()


def test_no_right_chosen_is_refused(personas, client_for, doc):
    response = client_for(personas.teacher).post(dialog_url(doc, "share"),
                                                 {"users": personas.colleague.pk}, follow=True)
    assert not shares_of(doc).exists()
    assert "Choisissez au moins un droit." in response.content.decode()


# The search ---------------------------------------------------------------------------------


def test_search_lists_reachable_people_and_groups_not_yet_shared(personas, client_for, doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["read"])
    client = client_for(personas.teacher)
    page = client.get(dialog_url(doc), {"q": "martin"}).content.decode()
    assert f'name="users" value="{personas.pupil.pk}"' in page
    assert f'name="users" value="{personas.parent.pk}"' in page
    fragment = client.get(dialog_url(doc), {"q": "o"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="share-search-results")
    text = fragment.content.decode()
    assert "<html" not in text
    assert f'name="users" value="{personas.colleague.pk}"' not in text  # already shared
    assert f'value="{personas.other_teacher.pk}"' not in text  # Luc Moreau: other school
    assert "Jeanne Petit" not in text  # herself
    groups = client.get(dialog_url(doc), {"q": "CM1"}, HTTP_HX_REQUEST="true",
                        HTTP_HX_TARGET="share-search-results").content.decode()
    assert f'name="groups" value="{class_group(personas).pk}"' in groups


def test_a_pupil_search_finds_only_her_teachers_and_parents(personas, client_for):
    from tests.documents.helpers import upload

    mine = upload(personas.pupil, "poème.txt", b"x")
    page = client_for(personas.pupil).get(dialog_url(mine), {"q": "e"}).content.decode()
    assert f'value="{personas.teacher.pk}"' in page
    assert f'value="{personas.parent.pk}"' in page
    assert f'value="{personas.colleague.pk}"' not in page


# Current shares: own, bookmark, inherited, hidden ---------------------------------------------


def test_inherited_shares_are_shown_read_only(personas, client_for, folder, doc):
    check_share(personas.teacher, folder, users=[personas.colleague], rights=["read"])
    page = client_for(personas.teacher).get(dialog_url(doc)).content.decode()
    assert "hérité du dossier « Projets »" in page
    assert "Paul Bernard" in page
    assert 'id="share-rights-' not in page  # nothing editable here: it is the folder's


def test_hidden_shares_are_n_other_people_and_removable(personas, client_for, doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["read"])
    raw_share(doc, personas.teacher, user=personas.other_teacher)
    raw_share(doc, personas.teacher, user=personas.other_pupil)
    client = client_for(personas.teacher)
    page = client.get(dialog_url(doc)).content.decode()
    assert "2 autres personnes" in page
    assert "Luc Moreau" not in page and "Hugo Lefèvre" not in page
    hidden = share_row(doc, user=personas.other_teacher)
    # They cannot be changed, only removed.
    client.post(dialog_url(doc, "update_rights", hidden.pk), {"rights": "manage"})
    assert share_row(doc, user=personas.other_teacher).rights == {"read"}
    response = client.post(dialog_url(doc, "unshare_hidden"), follow=True)
    assert "2 partages retirés." in response.content.decode()
    assert [s.user_id for s in shares_of(doc)] == [personas.colleague.pk]


def test_update_rights(personas, client_for, doc):
    share = check_share(personas.teacher, doc, users=[personas.colleague],
                        rights=["read"]).shares[0]
    client = client_for(personas.teacher)
    response = client.post(dialog_url(doc, "update_rights", share.pk),
                           {"rights": ["read", "contrib"]}, follow=True)
    assert share_row(doc, user=personas.colleague).rights == {"read", "contrib"}
    assert "Droits de Paul Bernard enregistrés." in response.content.decode()
    page = response.content.decode()
    assert f'id="share-{share.pk}-contrib" form="share-rights-{share.pk}"' in page
    response = client.post(dialog_url(doc, "update_rights", share.pk), {}, follow=True)
    assert share_row(doc, user=personas.colleague).rights == {"read", "contrib"}
    assert "Choisissez au moins un droit." in response.content.decode()


def test_unshare(personas, client_for, doc, folder):
    share = check_share(personas.teacher, doc, users=[personas.colleague],
                        rights=["read"]).shares[0]
    on_folder = check_share(personas.teacher, folder, users=[personas.guest],
                            rights=["read"]).shares[0]
    client = client_for(personas.teacher)
    # A share of another resource is not this dialog's.
    assert client.post(dialog_url(doc, "unshare", on_folder.pk)).status_code == 404
    response = client.post(dialog_url(doc, "unshare", share.pk), follow=True)
    assert not shares_of(doc).exists()
    assert "Partage avec Paul Bernard retiré." in response.content.decode()
    assert rights_of(personas.colleague, doc) == frozenset()


def test_a_manager_by_share_shares_further_but_a_reader_cannot_unshare(personas, client_for,
                                                                      doc):
    check_share(personas.teacher, doc, users=[personas.colleague], rights=["manage"])
    reader = check_share(personas.teacher, doc, users=[personas.guest],
                         rights=["read"]).shares[0]
    client_for(personas.colleague).post(dialog_url(doc, "share"),
                                        {"users": personas.school_admin.pk, "rights": "read"})
    assert share_row(doc, user=personas.school_admin).created_by == personas.colleague
    assert client_for(personas.guest).post(
        dialog_url(doc, "unshare", reader.pk)).status_code == 403


# Save as bookmark -----------------------------------------------------------------------------


def test_save_the_selection_as_a_bookmark(personas, client_for, doc):
    group = class_group(personas)
    response = client_for(personas.teacher).post(
        dialog_url(doc, "save_bookmark"),
        {"users": personas.colleague.pk, "groups": group.pk, "name": "Mon équipe",
         "rights": "read"}, follow=True)
    bookmark = ShareBookmark.objects.get(owner=personas.teacher, name="Mon équipe")
    assert {(m.user_id, m.group_id) for m in bookmark.members.all()} == {
        (personas.colleague.pk, None), (None, group.pk)}
    assert not shares_of(doc).exists()  # saving is not sharing
    page = response.content.decode()
    assert "Favori de partage « Mon équipe » enregistré" in page
    assert f'name="bookmark" value="{bookmark.pk}"' in page  # offered at once


def test_save_as_bookmark_refuses_out_of_reach_and_needs_a_name(personas, client_for, doc):
    client = client_for(personas.teacher)
    response = client.post(dialog_url(doc, "save_bookmark"),
                           {"users": personas.other_teacher.pk, "name": "Ailleurs"}, follow=True)
    assert not ShareBookmark.objects.filter(owner=personas.teacher).exists()
    assert ("Vous ne pouvez ajouter que des personnes et des groupes avec lesquels vous "
            "pouvez communiquer." in response.content.decode())
    response = client.post(dialog_url(doc, "save_bookmark"),
                           {"users": personas.colleague.pk, "name": ""}, follow=True)
    assert not ShareBookmark.objects.filter(owner=personas.teacher).exists()
    assert "Donnez un nom au favori." in response.content.decode()


# htmx and the include -------------------------------------------------------------------------


def test_htmx_gets_the_panel_and_changes_answer_with_it(personas, client_for, doc):
    client = client_for(personas.teacher)
    panel = client.get(dialog_url(doc), **HTMX_PANEL)
    text = panel.content.decode()
    assert "<html" not in text and 'id="share-dialog-title"' in text
    assert "HX-Target" in panel["Vary"]
    response = client.post(dialog_url(doc, "share"),
                           {"users": personas.colleague.pk, "rights": "read"}, **HTMX_PANEL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert "Partagé avec 1 personne ou groupe." in text
    assert "Paul Bernard" in text


def test_dialog_link_include(personas, doc):
    html = render_to_string("sharing/dialog_link.html", {"resource": doc})
    assert f'href="/partages/documents.node/{doc.pk}/"' in html
    assert "data-share-dialog" in html
    assert "Partager" in html and "séquence.txt" in html


def test_page_has_no_inline_script_or_style(personas, client_for, doc):
    page = client_for(personas.teacher).get(dialog_url(doc)).content.decode()
    assert "<script>" not in page and " style=" not in page and "<style" not in page
    assert "preau/sharing.js" in page


def test_dialog_query_count_does_not_grow_with_the_shares(personas, client_for, folder, doc):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas.teacher)
    # Every kind of row from the start (own and inherited, users and groups): the count
    # may skip a lookup for a kind that is absent, never add one per row.
    check_share(personas.teacher, doc, users=[personas.colleague],
                groups=[manual_group(personas)], rights=["read"])
    check_share(personas.teacher, folder, groups=[class_group(personas)],
                users=[personas.guest], rights=["read"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(dialog_url(doc)).status_code == 200
        return len(queries)

    few = count()
    check_share(personas.teacher, doc, users=[personas.guest, personas.school_admin,
                                              personas.pupil, personas.parent],
                groups=[school_group(personas)], rights=["read"])
    check_share(personas.teacher, folder, groups=[class_group(personas, Profile.RELATIVE)],
                users=[personas.school_admin], rights=["read"])
    raw_share(doc, personas.teacher, user=personas.other_teacher)
    assert count() == few
