"""The Espace documentaire over the API: the contract scripts and the mobile app rely on, with
the web's rules (404 for strangers, 403 for a missing right, quota and trash)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from preau.accounts.tokens import do_create_token
from preau.documents.actions import (
    check_create_folder,
    do_set_user_quota,
    do_store_app_file,
    quota_of,
    recount_quota,
)
from preau.documents.models import App, Node
from preau.sharing.actions import check_share
from preau.sharing.models import Right
from tests.documents.helpers import PNG_1PX, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    """Thumbnails are made by a background job: here it runs inline (in a child process)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _post_file(client, name="notes.txt", data=b"hello world\n", **extra):
    return client.post("/api/v1/documents/", {"file": SimpleUploadedFile(name, data), **extra},
                       format="multipart")


# The contract ------------------------------------------------------------------------------


def test_upload_download_delete_empty_trash_and_quota(personas, api_for):
    client = api_for(personas.teacher)
    created = _post_file(client, "Compte rendu é.txt", b"x" * 1000)
    assert created.status_code == 201
    data = created.json()
    assert (data["name"], data["size"], data["kind"]) == ("Compte rendu é.txt", 1000, "file")
    doc_id = data["id"]
    assert data["rights"] == ["read", "contrib", "comment", "manage"]
    assert data["parent"] is None and data["version"] == 1

    meta = client.get(f"/api/v1/documents/{doc_id}")
    assert meta.status_code == 200
    assert meta.json()["content_type"] == "text/plain"

    content = client.get(f"/api/v1/documents/{doc_id}/content")
    assert content.status_code == 200
    assert b"".join(content.streaming_content) == b"x" * 1000
    assert content["Content-Type"] == "application/octet-stream"
    assert content["Content-Disposition"] == (
        "attachment; filename*=utf-8''Compte%20rendu%20%C3%A9.txt")
    assert content["Content-Length"] == "1000"

    assert client.get("/api/v1/me/quota").json()["used"] == 1000
    assert client.delete(f"/api/v1/documents/{doc_id}").status_code == 204
    assert client.get(f"/api/v1/documents/{doc_id}").status_code == 404
    assert client.get(f"/api/v1/documents/{doc_id}/content").status_code == 404
    # The trash still counts until emptied.
    assert client.get("/api/v1/me/quota").json()["used"] == 1000
    trash = client.get("/api/v1/documents/trash").json()
    assert [e["id"] for e in trash["results"]] == [doc_id]
    # (French once the documents app has its catalogue)
    assert trash["results"][0]["trash_origin"] in {"Mes documents", "My documents"}

    emptied = client.post("/api/v1/documents/trash/empty")
    assert emptied.status_code == 200
    assert emptied.json()["freed"] == 1000
    assert emptied.json()["quota"]["used"] == 0
    assert client.get("/api/v1/me/quota").json() == {
        "used": 0, "limit": 10 * 1024**3, "free": 10 * 1024**3, "percent": 0,
        "warning": False}
    assert client.get("/api/v1/documents/trash").json()["count"] == 0
    assert not Node.objects.filter(pk=doc_id).exists()


def test_final_slash_is_optional(personas, api_for):
    client = api_for(personas.teacher)
    doc = upload(personas.teacher)
    assert client.get(f"/api/v1/documents/{doc.pk}/").status_code == 200
    assert client.get(f"/api/v1/documents/{doc.pk}/content/").status_code == 200
    assert client.get("/api/v1/me/quota/").status_code == 200
    assert client.delete(f"/api/v1/documents/{doc.pk}/").status_code == 204


def test_token_upload_needs_no_csrf_and_lists_my_documents(personas):
    key = do_create_token(personas.teacher, name="sauvegarde")
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")
    created = _post_file(client, "script.txt", b"abc")
    assert created.status_code == 201
    listing = client.get("/api/v1/documents/").json()
    assert [d["name"] for d in listing["results"]] == ["script.txt"]
    assert client.get(f"/api/v1/documents/{created.json()['id']}/content").status_code == 200
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(personas.teacher, backend="preau.accounts.backends.LocalPasswordBackend")
    assert _post_file(session).status_code == 403  # a session write needs its CSRF token


ANONYMOUS = [
    ("get", "/api/v1/documents/"), ("post", "/api/v1/documents/"),
    ("get", "/api/v1/documents/{d}"), ("patch", "/api/v1/documents/{d}"),
    ("delete", "/api/v1/documents/{d}"), ("get", "/api/v1/documents/{d}/content"),
    ("get", "/api/v1/documents/{d}/thumbnail"), ("post", "/api/v1/documents/{d}/copy"),
    ("get", "/api/v1/documents/{d}/versions"), ("post", "/api/v1/documents/{d}/versions"),
    ("get", "/api/v1/documents/{d}/versions/1/content"),
    ("post", "/api/v1/documents/{d}/versions/1/restore"),
    ("get", "/api/v1/documents/shared-with-me"), ("get", "/api/v1/documents/apps"),
    ("get", "/api/v1/documents/trash"), ("post", "/api/v1/documents/trash/empty"),
    ("post", "/api/v1/documents/trash/{d}/restore"), ("delete", "/api/v1/documents/trash/{d}"),
    ("get", "/api/v1/folders/"), ("post", "/api/v1/folders/"), ("get", "/api/v1/folders/{f}"),
    ("patch", "/api/v1/folders/{f}"), ("delete", "/api/v1/folders/{f}"),
    ("post", "/api/v1/folders/{f}/copy"), ("get", "/api/v1/me/quota"),
    ("get", "/api/v1/shares/?resource=document:{d}"), ("post", "/api/v1/shares/"),
    ("patch", "/api/v1/shares/1"), ("delete", "/api/v1/shares/1"),
    ("get", "/api/v1/shares/mine"),
]


@pytest.mark.parametrize(("method", "template"), ANONYMOUS)
def test_anonymous_gets_401(personas, method, template):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher, folder=folder)
    url = template.format(d=doc.pk, f=folder.pk)
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert quota_of(personas.teacher).used == doc.size
    assert Node.objects.alive().count() == 2


# Strangers and rights ----------------------------------------------------------------------

STRANGER_CALLS = [
    ("get", "/api/v1/documents/{d}", {}), ("patch", "/api/v1/documents/{d}", {"name": "x"}),
    ("delete", "/api/v1/documents/{d}", {}), ("get", "/api/v1/documents/{d}/content", {}),
    ("post", "/api/v1/documents/{d}/copy", {}), ("get", "/api/v1/documents/{d}/versions", {}),
    ("get", "/api/v1/documents/{d}/versions/1/content", {}),
    ("post", "/api/v1/documents/{d}/versions/1/restore", {}),
    ("get", "/api/v1/folders/{f}", {}), ("patch", "/api/v1/folders/{f}", {"name": "x"}),
    ("delete", "/api/v1/folders/{f}", {}), ("get", "/api/v1/documents/?folder={f}", {}),
    ("get", "/api/v1/folders/?parent={f}", {}), ("post", "/api/v1/folders/",
                                                 {"name": "x", "parent": "{f}"}),
    ("post", "/api/v1/documents/trash/{d}/restore", {}),
    ("delete", "/api/v1/documents/trash/{d}", {}),
]


@pytest.mark.parametrize(("method", "template", "body"), STRANGER_CALLS)
@pytest.mark.parametrize("name", ["other_teacher", "colleague", "ent_admin"])
def test_strangers_get_the_same_404_as_for_nothing(personas, api_for, name, method, template,
                                                   body):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher, folder=folder)
    client = api_for(getattr(personas, name))

    def call(d, f):
        data = {k: v.format(f=f) if isinstance(v, str) and k == "parent" else v
                for k, v in body.items()}
        if "parent" in data:
            data["parent"] = int(data["parent"])
        return getattr(client, method)(template.format(d=d, f=f), data, format="json")

    real, missing = call(doc.pk, folder.pk), call(999999, 999999)
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
    doc.refresh_from_db()
    assert doc.name == "notes.txt" and not doc.is_trashed


def test_stranger_cannot_upload_into_a_folder(personas, api_for):
    folder = check_create_folder(personas.teacher, "Classe")
    response = _post_file(api_for(personas.colleague), folder=folder.pk)
    assert response.status_code == 404
    assert not Node.objects.filter(owner=personas.colleague).exists()
    assert quota_of(personas.colleague).used == 0


def test_read_share_reads_and_copies_but_changes_nothing(personas, api_for):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher, "cours.txt", b"lesson", folder)
    check_share(personas.teacher, folder, users=[personas.colleague], rights=[Right.READ])
    client = api_for(personas.colleague)
    meta = client.get(f"/api/v1/documents/{doc.pk}")
    assert meta.status_code == 200
    assert meta.json()["rights"] == ["read"]
    assert [c["id"] for c in meta.json()["breadcrumb"]] == [folder.pk]
    assert client.get(f"/api/v1/documents/{doc.pk}/content").status_code == 200
    for method, url, body in [
        ("delete", f"/api/v1/documents/{doc.pk}", {}),
        ("patch", f"/api/v1/documents/{doc.pk}", {"name": "pris.txt"}),
        ("delete", f"/api/v1/folders/{folder.pk}", {}),
        ("post", f"/api/v1/documents/{doc.pk}/versions/1/restore", {}),
        ("post", "/api/v1/folders/", {"name": "Intrus", "parent": folder.pk}),
    ]:
        assert getattr(client, method)(url, body, format="json").status_code == 403, url
    assert client.post(f"/api/v1/documents/{doc.pk}/versions",
                       {"file": SimpleUploadedFile("v2.txt", b"v2")},
                       format="multipart").status_code == 403
    assert _post_file(client, folder=folder.pk).status_code == 403
    copied = client.post(f"/api/v1/documents/{doc.pk}/copy", {}, format="json")
    assert copied.status_code == 201
    copy = copied.json()
    assert (copy["name"], copy["owner"]["id"], copy["parent"]) == (
        "cours.txt", personas.colleague.pk, None)
    assert quota_of(personas.colleague).used == 6
    doc.refresh_from_db()
    assert doc.name == "cours.txt" and not doc.is_trashed


def test_contrib_share_adds_files_and_versions_charged_to_the_owner(personas, api_for):
    folder = check_create_folder(personas.teacher, "Dépôt")
    check_share(personas.teacher, folder, users=[personas.colleague], rights=[Right.CONTRIB])
    client = api_for(personas.colleague)
    created = _post_file(client, "rendu.txt", b"12345", folder=folder.pk)
    assert created.status_code == 201
    assert created.json()["parent"] == folder.pk
    # the colleague's own upload: theirs (every right), counted for them
    assert created.json()["rights"] == ["read", "contrib", "comment", "manage"]
    assert quota_of(personas.colleague).used == 5
    mine = upload(personas.teacher, "sujet.txt", b"abc", folder)
    version = client.post(f"/api/v1/documents/{mine.pk}/versions",
                          {"file": SimpleUploadedFile("x.txt", b"abcdef")}, format="multipart")
    assert version.status_code == 201
    assert quota_of(personas.teacher).used == 9
    # Over the owner's quota: 413 without the owner's figures.
    do_set_user_quota(personas.teacher, 10)
    refused = client.post(f"/api/v1/documents/{mine.pk}/versions",
                          {"file": SimpleUploadedFile("x.txt", b"abcdef")}, format="multipart")
    assert refused.status_code == 413
    assert set(refused.json()) == {"detail"}


# Bad uploads -------------------------------------------------------------------------------


def test_missing_empty_and_several_files_are_400(personas, api_for):
    client = api_for(personas.teacher)
    missing = client.post("/api/v1/documents/", {"folder": ""}, format="multipart")
    assert missing.status_code == 400
    assert "file" in missing.json()["detail"]
    empty = _post_file(client, "vide.txt", b"")
    assert empty.status_code == 400
    assert "vide.txt" in empty.json()["detail"]
    several = client.post("/api/v1/documents/", {"file": [SimpleUploadedFile("a.txt", b"a"),
                                                          SimpleUploadedFile("b.txt", b"b")]},
                          format="multipart")
    assert several.status_code == 400
    assert set(several.json()) == {"detail"}
    bad_folder = _post_file(client, folder="abc")
    assert bad_folder.status_code == 400
    path_trick = _post_file(client, "../../etc/passwd", b"root")
    assert path_trick.status_code == 201
    assert path_trick.json()["name"] == "passwd"
    assert client.post("/api/v1/documents/", {"name": "x"}, format="json").status_code == 415
    assert Node.objects.filter(owner=personas.teacher).count() == 1
    assert quota_of(personas.teacher).used == 4


def test_file_over_the_size_limit_is_413_and_nothing_is_kept(personas, api_for, settings):
    settings.PREAU_UPLOAD_MAX_BYTES = 100
    client = api_for(personas.teacher)
    response = _post_file(client, "gros.bin", b"z" * 5000)
    assert response.status_code == 413
    body = response.json()
    assert body["limit"] == 100 and body["detail"]
    assert not Node.objects.exists()
    assert quota_of(personas.teacher).used == 0
    assert _post_file(client, "petit.txt", b"z" * 100).status_code == 201


def test_quota_refusal_is_413_with_the_figures(personas, api_for):
    do_set_user_quota(personas.pupil, 20)
    client = api_for(personas.pupil)
    assert _post_file(client, "a.txt", b"x" * 15).status_code == 201
    refused = _post_file(client, "b.txt", b"y" * 10)
    assert refused.status_code == 413
    body = refused.json()
    assert (body["used"], body["limit"], body["free"], body["size"]) == (15, 20, 5, 10)
    assert body["detail"]
    assert Node.objects.filter(owner=personas.pupil).count() == 1
    quota = client.get("/api/v1/me/quota").json()
    assert quota == {"used": 15, "limit": 20, "free": 5, "percent": 75, "warning": False}


def test_trash_counts_in_the_quota_until_emptied_or_deleted_for_good(personas, api_for):
    do_set_user_quota(personas.teacher, 100)
    client = api_for(personas.teacher)
    a = _post_file(client, "a.txt", b"a" * 50).json()["id"]
    b = _post_file(client, "b.txt", b"b" * 40).json()["id"]
    assert client.get("/api/v1/me/quota").json()["warning"] is True  # 90 %
    client.delete(f"/api/v1/documents/{a}")
    client.delete(f"/api/v1/documents/{b}")
    assert client.get("/api/v1/me/quota").json()["used"] == 90
    assert _post_file(client, "c.txt", b"c" * 20).status_code == 413  # the trash still counts
    gone = client.delete(f"/api/v1/documents/trash/{a}")
    assert gone.status_code == 200
    assert gone.json()["freed"] == 50
    assert client.get("/api/v1/me/quota").json()["used"] == 40
    restored = client.post(f"/api/v1/documents/trash/{b}/restore")
    assert restored.status_code == 200
    assert restored.json()["name"] == "b.txt"
    assert client.get(f"/api/v1/documents/{b}").status_code == 200
    assert client.post("/api/v1/documents/trash/empty").json()["freed"] == 0
    assert recount_quota(personas.teacher.pk) == 40


# Folders, moves, copies, versions ----------------------------------------------------------


def test_folders_tree_rename_move_and_trash(personas, api_for):
    client = api_for(personas.teacher)
    projets = client.post("/api/v1/folders/", {"name": "Projets"})
    assert projets.status_code == 201
    projets_id = projets.json()["id"]
    assert projets.json()["kind"] == "folder"
    assert projets.json()["children"] == {"count": 0, "next": None, "previous": None,
                                          "results": []}
    sciences = client.post("/api/v1/folders/", {"name": "Sciences", "parent": projets_id})
    sciences_id = sciences.json()["id"]
    doc_id = _post_file(client, "plan.txt", b"plan", folder=sciences_id).json()["id"]
    top = client.get("/api/v1/folders/").json()
    assert [f["name"] for f in top["results"]] == ["Projets"]
    assert [f["name"] for f in client.get(f"/api/v1/folders/?parent={projets_id}")
            .json()["results"]] == ["Sciences"]
    root = client.get("/api/v1/documents/?folder=").json()
    assert [n["name"] for n in root["results"]] == ["Projets"]
    inside = client.get(f"/api/v1/documents/?folder={sciences_id}").json()
    assert [n["id"] for n in inside["results"]] == [doc_id]

    renamed = client.patch(f"/api/v1/documents/{doc_id}", {"name": "Plan 2024.txt"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Plan 2024.txt"
    moved = client.patch(f"/api/v1/documents/{doc_id}", {"folder": projets_id,
                                                         "name": "plan.txt"})
    assert (moved.json()["parent"], moved.json()["name"]) == (projets_id, "plan.txt")
    assert [c["name"] for c in moved.json()["breadcrumb"]] == ["Projets"]
    to_top = client.patch(f"/api/v1/documents/{doc_id}", {"folder": None})
    assert to_top.json()["parent"] is None
    into_itself = client.patch(f"/api/v1/folders/{projets_id}", {"parent": sciences_id})
    assert into_itself.status_code == 400
    assert set(into_itself.json()) == {"detail"}
    bad_name = client.patch(f"/api/v1/folders/{projets_id}", {"name": "  "})
    assert bad_name.status_code == 400
    assert client.patch(f"/api/v1/folders/{projets_id}", {"name": "Projets 2024"}
                        ).json()["name"] == "Projets 2024"

    assert client.delete(f"/api/v1/folders/{projets_id}").status_code == 204
    assert client.get(f"/api/v1/folders/{sciences_id}").status_code == 404
    trash = client.get("/api/v1/documents/trash").json()["results"]
    assert [e["id"] for e in trash] == [projets_id]  # one entry, its content inside
    assert client.post(f"/api/v1/documents/trash/{sciences_id}/restore").status_code == 404
    assert client.post(f"/api/v1/documents/trash/{projets_id}/restore").status_code == 200
    detail = client.get(f"/api/v1/folders/{projets_id}").json()
    assert [c["name"] for c in detail["children"]["results"]] == ["Sciences"]


def test_folder_children_are_paginated_in_a_fixed_number_of_queries(personas, api_for):
    folder = check_create_folder(personas.teacher, "Beaucoup")
    client = api_for(personas.teacher)
    for index in range(3):
        upload(personas.teacher, f"f{index}.txt", b"x", folder)
    client.get(f"/api/v1/folders/{folder.pk}")  # session, quota rows…
    with CaptureQueriesContext(connection) as few:
        small = client.get(f"/api/v1/folders/{folder.pk}?limit=2")
    assert len(small.json()["children"]["results"]) == 2
    check_create_folder(personas.teacher, "Sous-dossier", folder)
    for index in range(3, 30):
        upload(personas.teacher, f"f{index}.txt", b"x", folder)
    with CaptureQueriesContext(connection) as many:
        large = client.get(f"/api/v1/folders/{folder.pk}?limit=25")
    assert len(many.captured_queries) == len(few.captured_queries)
    children = large.json()["children"]
    assert children["count"] == 31
    assert len(children["results"]) == 25
    assert children["results"][0]["kind"] == "folder"  # folders first
    assert "offset=25" in children["next"]
    with CaptureQueriesContext(connection) as listing:
        client.get(f"/api/v1/documents/?folder={folder.pk}&limit=25")
    with CaptureQueriesContext(connection) as short_listing:
        client.get(f"/api/v1/documents/?folder={folder.pk}&limit=2")
    assert len(listing.captured_queries) == len(short_listing.captured_queries)


def test_copy_folder_into_a_folder(personas, api_for):
    client = api_for(personas.teacher)
    source = check_create_folder(personas.teacher, "Modèles")
    upload(personas.teacher, "a.txt", b"aaa", source)
    target = check_create_folder(personas.teacher, "Archives")
    copied = client.post(f"/api/v1/folders/{source.pk}/copy", {"folder": target.pk})
    assert copied.status_code == 201
    assert copied.json()["parent"] == target.pk
    assert [c["name"] for c in copied.json()["children"]["results"]] == ["a.txt"]
    assert quota_of(personas.teacher).used == 6
    assert client.post(f"/api/v1/documents/{source.pk}/copy", {}).status_code == 404


def test_versions_upload_list_download_and_restore(personas, api_for):
    client = api_for(personas.teacher)
    doc = upload(personas.teacher, "texte.txt", b"first")
    second = client.post(f"/api/v1/documents/{doc.pk}/versions",
                         {"file": SimpleUploadedFile("autre nom.txt", b"second!")},
                         format="multipart")
    assert second.status_code == 201
    assert (second.json()["number"], second.json()["size"]) == (2, 7)
    versions = client.get(f"/api/v1/documents/{doc.pk}/versions").json()
    assert [(v["number"], v["is_current"]) for v in versions] == [(2, True), (1, False)]
    assert versions[0]["created_by"]["id"] == personas.teacher.pk
    old = client.get(f"/api/v1/documents/{doc.pk}/versions/1/content")
    assert b"".join(old.streaming_content) == b"first"
    assert "texte.txt" in old["Content-Disposition"]
    assert client.get(f"/api/v1/documents/{doc.pk}/versions/9/content").status_code == 404
    restored = client.post(f"/api/v1/documents/{doc.pk}/versions/1/restore")
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["size"]) == (1, 5)
    assert b"".join(client.get(f"/api/v1/documents/{doc.pk}/content")
                    .streaming_content) == b"first"
    assert client.post(f"/api/v1/documents/{doc.pk}/versions/9/restore").status_code == 404
    assert quota_of(personas.teacher).used == 12
    empty = client.post(f"/api/v1/documents/{doc.pk}/versions",
                        {"file": SimpleUploadedFile("x.txt", b"")}, format="multipart")
    assert empty.status_code == 400


# Downloads ---------------------------------------------------------------------------------


def test_inline_only_for_images_and_pdf(personas, api_for):
    client = api_for(personas.teacher)
    image = upload(personas.teacher, "photo.png", png_bytes())
    page = upload(personas.teacher, "page.html", b"<html><script>alert(1)</script></html>")
    shown = client.get(f"/api/v1/documents/{image.pk}/content?inline=1")
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    not_shown = client.get(f"/api/v1/documents/{page.pk}/content?inline=1")
    assert not_shown["Content-Type"] == "application/octet-stream"
    assert not_shown["Content-Disposition"].startswith("attachment")
    assert "sandbox" in not_shown["Content-Security-Policy"]
    assert not_shown["X-Content-Type-Options"] == "nosniff"
    default = client.get(f"/api/v1/documents/{image.pk}/content")
    assert default["Content-Disposition"].startswith("attachment")


def test_content_and_thumbnail_whatever_the_accept_header(personas, api_for):
    client = api_for(personas.teacher)
    image = upload(personas.teacher, "photo.png", PNG_1PX)
    text = upload(personas.teacher)
    assert client.get(f"/api/v1/documents/{image.pk}").json()["has_thumbnail"] is True
    thumb = client.get(f"/api/v1/documents/{image.pk}/thumbnail", HTTP_ACCEPT="image/*")
    assert thumb.status_code == 200
    assert thumb["Content-Type"] in {"image/png", "image/jpeg"}
    assert client.get(f"/api/v1/documents/{text.pk}/thumbnail").status_code == 404
    raw = client.get(f"/api/v1/documents/{text.pk}/content",
                     HTTP_ACCEPT="application/octet-stream")
    assert raw.status_code == 200
    missing = client.get("/api/v1/documents/999999/content",
                         HTTP_ACCEPT="application/octet-stream")
    assert missing.status_code == 404
    assert "detail" in missing.json()
    # a folder is not a document
    folder = check_create_folder(personas.teacher, "Dossier")
    assert client.get(f"/api/v1/documents/{folder.pk}/content").status_code == 404
    assert client.get(f"/api/v1/documents/{folder.pk}").status_code == 404
    assert client.get(f"/api/v1/folders/{text.pk}").status_code == 404


# Sections ----------------------------------------------------------------------------------


def test_shared_with_me_and_app_documents(personas, api_for):
    folder = check_create_folder(personas.teacher, "Classe")
    upload(personas.teacher, "devoirs.txt", b"abc", folder)
    pupils = personas.school_class.groups.get(profile="Student")
    check_share(personas.teacher, folder, groups=[pupils], rights=[Right.READ])
    pupil = api_for(personas.pupil)
    shared = pupil.get("/api/v1/documents/shared-with-me").json()
    assert [(n["id"], n["owner"]["id"]) for n in shared["results"]] == [
        (folder.pk, personas.teacher.pk)]
    inside = pupil.get(f"/api/v1/folders/{folder.pk}").json()
    assert [c["name"] for c in inside["children"]["results"]] == ["devoirs.txt"]
    assert inside["rights"] == ["read"]
    assert api_for(personas.other_pupil).get(
        "/api/v1/documents/shared-with-me").json()["count"] == 0
    assert pupil.get("/api/v1/documents/").json()["count"] == 0

    attachment = SimpleUploadedFile("pièce jointe.pdf", b"%PDF-1.4 x")
    do_store_app_file(personas.teacher, App.MESSAGING, attachment, "pièce jointe.pdf", 10)
    apps = api_for(personas.teacher).get("/api/v1/documents/apps").json()
    assert [(n["name"], n["app"]) for n in apps["results"]] == [
        ("pièce jointe.pdf", "messaging")]
    assert api_for(personas.colleague).get("/api/v1/documents/apps").json()["count"] == 0
    assert quota_of(personas.teacher).used == 13
