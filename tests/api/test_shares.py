"""Shares over the API: the sharing engine's rules (manage right, reach, bookmarks expanded at
share time, inheritance, hidden grantees) and the contract of /api/v1/shares/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from preau.accounts.models import Profile
from preau.accounts.tokens import do_create_token
from preau.directory.actions import do_create_bookmark
from preau.documents.actions import check_create_folder, check_trash
from preau.sharing.actions import check_share, do_share
from preau.sharing.models import Right, Share, Via
from tests.documents.helpers import upload

pytestmark = pytest.mark.django_db


def _group(personas, profile):
    return personas.school_class.groups.get(profile=profile)


def test_share_with_a_user_gives_access(personas, api_for):
    doc = upload(personas.teacher, "cours.txt", b"lesson")
    colleague = api_for(personas.colleague)
    assert colleague.get(f"/api/v1/documents/{doc.pk}").status_code == 404
    response = api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.colleague.pk}",
        "rights": ["contrib"]})
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["updated"], body["skipped_users"]) == (1, 0, [])
    [share] = body["shares"]
    assert share["resource"] == f"document:{doc.pk}"
    assert share["grantee"] == f"user:{personas.colleague.pk}"
    assert share["user"]["id"] == personas.colleague.pk and share["group"] is None
    assert share["rights"] == ["read", "contrib"]  # every right implies read
    assert (share["via"], share["created_by"]["id"]) == ("direct", personas.teacher.pk)
    detail = colleague.get(f"/api/v1/documents/{doc.pk}")
    assert detail.status_code == 200
    assert detail.json()["rights"] == ["read", "contrib"]
    assert [n["id"] for n in colleague.get("/api/v1/documents/shared-with-me")
            .json()["results"]] == [doc.pk]

    again = api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.colleague.pk}",
        "rights": ["manage"]})
    assert again.status_code == 200  # nothing created: the rights were replaced
    assert again.json()["updated"] == 1
    assert again.json()["shares"][0]["rights"] == ["read", "contrib", "comment", "manage"]
    assert Share.objects.count() == 1


def test_class_group_share_reaches_its_pupils_only_through_inheritance(personas, api_for):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher, "devoirs.txt", b"abc", folder)
    pupils = _group(personas, Profile.STUDENT)
    response = api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"folder:{folder.pk}", "grantee": f"group:{pupils.pk}",
        "rights": ["read"]})
    assert response.status_code == 201
    assert response.json()["shares"][0]["group"]["id"] == pupils.pk
    pupil = api_for(personas.pupil)
    assert pupil.get(f"/api/v1/documents/{doc.pk}/content").status_code == 200
    assert pupil.delete(f"/api/v1/documents/{doc.pk}").status_code == 403
    other = api_for(personas.other_pupil)
    assert other.get(f"/api/v1/documents/{doc.pk}/content").status_code == 404
    # What the owner sees on the document: the folder's share, inherited.
    listing = api_for(personas.teacher).get(f"/api/v1/shares/?resource=document:{doc.pk}")
    assert listing.status_code == 200
    data = listing.json()
    assert data["resource"] == f"document:{doc.pk}"
    assert data["own"] == [] and data["hidden_count"] == 0
    assert [(s["resource"], s["grantee"]) for s in data["inherited"]] == [
        (f"folder:{folder.pk}", f"group:{pupils.pk}")]
    # A share on the document itself adds to what the folder gives.
    api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.pupil.pk}",
        "rights": ["comment"]})
    assert pupil.get(f"/api/v1/documents/{doc.pk}").json()["rights"] == ["read", "comment"]


def test_bookmark_is_expanded_into_its_reachable_members(personas, api_for):
    doc = upload(personas.teacher)
    parents = _group(personas, Profile.RELATIVE)
    bookmark = do_create_bookmark(personas.teacher, "Équipe et parents",
                                  [personas.colleague, personas.other_teacher], [parents])
    response = api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"bookmark:{bookmark.pk}",
        "rights": ["read"]})
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 2
    assert sorted(s["grantee"] for s in body["shares"]) == sorted(
        [f"user:{personas.colleague.pk}", f"group:{parents.pk}"])
    assert {(s["via"], s["bookmark_name"]) for s in body["shares"]} == {
        ("bookmark", "Équipe et parents")}
    assert [u["id"] for u in body["skipped_users"]] == [personas.other_teacher.pk]
    assert body["skipped_groups"] == []
    assert api_for(personas.parent).get(f"/api/v1/documents/{doc.pk}").status_code == 200
    assert api_for(personas.other_teacher).get(f"/api/v1/documents/{doc.pk}").status_code == 404
    # The shares stay after the bookmark changes: they were expanded at share time.
    bookmark.delete()
    assert Share.objects.filter(via=Via.BOOKMARK).count() == 2


def test_someone_elses_bookmark_is_refused(personas, api_for):
    doc = upload(personas.teacher)
    theirs = do_create_bookmark(personas.colleague, "À moi", [personas.pupil])
    response = api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"bookmark:{theirs.pk}",
        "rights": ["read"]})
    assert response.status_code == 400
    assert not Share.objects.exists()


@pytest.mark.parametrize("grantee", ["user:{other_teacher}", "user:999999",
                                     "group:{other_class_group}", "group:999999"])
def test_grantee_out_of_reach_is_400_like_one_that_does_not_exist(personas, api_for, grantee):
    doc = upload(personas.teacher)
    other_group = personas.other_class.groups.first()
    key = grantee.format(other_teacher=personas.other_teacher.pk,
                         other_class_group=other_group.pk)
    response = api_for(personas.teacher).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": key, "rights": ["read"]})
    assert response.status_code == 400
    expected = ("Personne inconnue, ou avec qui vous ne pouvez pas partager."
                if key.startswith("user") else
                "Groupe inconnu, ou avec lequel vous ne pouvez pas partager.")
    assert response.json() == {"detail": expected}
    assert not Share.objects.exists()


def test_a_pupil_cannot_share_with_whom_they_cannot_reach(personas, api_for):
    doc = upload(personas.pupil, "dessin.txt", b"x")
    client = api_for(personas.pupil)
    refused = client.post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.colleague.pk}",
        "rights": ["read"]})
    assert refused.status_code == 400
    allowed = client.post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.teacher.pk}",
        "rights": ["read"]})
    assert allowed.status_code == 201


@pytest.mark.parametrize("body", [
    {"resource": "document:1", "grantee": "user:1", "rights": []},
    {"resource": "document:1", "grantee": "user:1", "rights": ["write"]},
    {"resource": "message:1", "grantee": "user:1", "rights": ["read"]},
    {"resource": "document:x", "grantee": "user:1", "rights": ["read"]},
    {"resource": "document:1", "grantee": "everyone", "rights": ["read"]},
    {"resource": "document:1", "grantee": "user:1"},
])
def test_malformed_share_requests_are_400(personas, api_for, body):
    response = api_for(personas.teacher).post("/api/v1/shares/", body)
    assert response.status_code == 400
    assert not Share.objects.exists()


def test_resource_rights_404_for_strangers_403_without_manage(personas, api_for):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher, folder=folder)
    check_share(personas.teacher, folder, users=[personas.colleague], rights=[Right.CONTRIB])
    body = {"resource": f"document:{doc.pk}", "grantee": f"user:{personas.pupil.pk}",
            "rights": ["read"]}
    stranger = api_for(personas.other_teacher)
    assert stranger.post("/api/v1/shares/", body).status_code == 404
    assert stranger.get(f"/api/v1/shares/?resource=document:{doc.pk}").status_code == 404
    missing = stranger.post("/api/v1/shares/", {**body, "resource": "document:999999"})
    assert missing.status_code == 404
    wrong_kind = api_for(personas.teacher).post("/api/v1/shares/", {**body,
                                                                   "resource": f"folder:{doc.pk}"})
    assert wrong_kind.status_code == 404
    colleague = api_for(personas.colleague)
    assert colleague.post("/api/v1/shares/", body).status_code == 403
    assert colleague.get(f"/api/v1/shares/?resource=document:{doc.pk}").status_code == 403
    share = Share.objects.get()
    assert colleague.patch(f"/api/v1/shares/{share.pk}", {"rights": ["manage"]}
                           ).status_code == 403
    assert colleague.delete(f"/api/v1/shares/{share.pk}").status_code == 403
    assert stranger.delete(f"/api/v1/shares/{share.pk}").status_code == 404
    assert stranger.delete("/api/v1/shares/999999").status_code == 404
    assert Share.objects.get().rights == {"read", "contrib"}


def test_manager_by_share_may_share_further(personas, api_for):
    doc = upload(personas.teacher)
    check_share(personas.teacher, doc, users=[personas.colleague], rights=[Right.MANAGE])
    response = api_for(personas.colleague).post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.pupil.pk}",
        "rights": ["read"]})
    assert response.status_code == 201
    assert response.json()["shares"][0]["created_by"]["id"] == personas.colleague.pk


def test_change_rights_and_remove(personas, api_for):
    doc = upload(personas.teacher)
    client = api_for(personas.teacher)
    created = client.post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.colleague.pk}",
        "rights": ["read"]}).json()
    share_id = created["shares"][0]["id"]
    changed = client.patch(f"/api/v1/shares/{share_id}", {"rights": ["manage"]})
    assert changed.status_code == 200
    assert changed.json()["rights"] == ["read", "contrib", "comment", "manage"]
    assert client.patch(f"/api/v1/shares/{share_id}", {"rights": []}).status_code == 400
    assert api_for(personas.colleague).delete(f"/api/v1/documents/{doc.pk}").status_code == 204
    # In the colleague's trash now: the shares are out of reach until it is restored.
    assert client.delete(f"/api/v1/shares/{share_id}").status_code == 404
    api_for(personas.colleague).post(f"/api/v1/documents/trash/{doc.pk}/restore")
    assert client.delete(f"/api/v1/shares/{share_id}").status_code == 204
    assert api_for(personas.colleague).get(f"/api/v1/documents/{doc.pk}").status_code == 404
    assert not Share.objects.exists()


def test_shares_to_people_out_of_reach_are_only_counted_and_removable(personas, api_for):
    doc = upload(personas.teacher)
    # Made when the other teacher was reachable (e.g. in the same school last year).
    outcome = do_share(personas.teacher, doc, users=[personas.other_teacher],
                       rights=frozenset({"read"}))
    hidden = outcome.shares[0]
    check_share(personas.teacher, doc, users=[personas.colleague], rights=[Right.READ])
    client = api_for(personas.teacher)
    data = client.get(f"/api/v1/shares/?resource=document:{doc.pk}").json()
    assert [s["grantee"] for s in data["own"]] == [f"user:{personas.colleague.pk}"]
    assert data["hidden_count"] == 1
    assert data["hidden"] == [{"id": hidden.pk, "rights": ["read"]}]
    refused = client.patch(f"/api/v1/shares/{hidden.pk}", {"rights": ["manage"]})
    assert refused.status_code == 400
    assert set(refused.json()) == {"detail"}
    assert client.delete(f"/api/v1/shares/{hidden.pk}").status_code == 204
    assert client.get(f"/api/v1/shares/?resource=document:{doc.pk}").json()["hidden_count"] == 0


def test_my_shares_lists_what_i_shared_and_not_the_trash(personas, api_for):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher)
    pupils = _group(personas, Profile.STUDENT)
    check_share(personas.teacher, folder, groups=[pupils], rights=[Right.READ])
    check_share(personas.teacher, doc, users=[personas.colleague], rights=[Right.CONTRIB])
    check_share(personas.colleague, upload(personas.colleague), users=[personas.teacher],
                rights=[Right.READ])
    client = api_for(personas.teacher)
    mine = client.get("/api/v1/shares/mine").json()
    assert mine["count"] == 2
    assert {(s["resource"], s["grantee"]) for s in mine["results"]} == {
        (f"folder:{folder.pk}", f"group:{pupils.pk}"),
        (f"document:{doc.pk}", f"user:{personas.colleague.pk}")}
    check_trash(personas.teacher, doc)
    assert [s["resource"] for s in client.get("/api/v1/shares/mine").json()["results"]] == [
        f"folder:{folder.pk}"]


def test_share_with_a_token(personas):
    doc = upload(personas.teacher)
    key = do_create_token(personas.teacher)
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post("/api/v1/shares/", {
        "resource": f"document:{doc.pk}", "grantee": f"user:{personas.colleague.pk}",
        "rights": ["read"]}, format="json")
    assert response.status_code == 201
    assert client.get(f"/api/v1/shares/?resource=document:{doc.pk}").status_code == 200
