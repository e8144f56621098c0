"""The Espace documentaire's pages: who sees what, uploads and their refusals, downloads,
preview policy, trash and quota gauge, versions, move / copy / rename, query counts."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.documents.actions import (
    check_create_folder,
    check_trash,
    do_set_user_quota,
    do_store_app_file,
    quota_of,
)
from preau.documents.models import App, FileVersion, Node, NodeKind
from preau.sharing.actions import check_share
from preau.sharing.models import Right
from tests.documents.helpers import png_bytes, upload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b'<script>alert(1)</script></svg>\n')


def url(name: str, *args: object) -> str:
    return reverse(f"documents:{name}", args=args)


def body(response) -> str:
    return response.content.decode()


def post_files(client: Client, files: list[tuple[str, bytes]], folder: Node | None = None,
               **extra: object):
    data: dict[str, object] = {"files": [SimpleUploadedFile(n, d) for n, d in files]}
    if folder is not None:
        data["folder"] = str(folder.pk)
    return client.post(url("upload"), data, **extra)


@pytest.fixture
def world(personas):
    """The teacher's folder "Classe" with a PDF, shared for reading with the colleague."""
    teacher = personas.teacher
    folder = check_create_folder(teacher, "Classe")
    doc = upload(teacher, "Évaluation CM1 \u2013 été.pdf", PDF, folder)
    check_share(teacher, folder, users=[personas.colleague], rights=[Right.READ])
    return folder, doc


# Who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["index", "shared", "apps", "trash"])
def test_sections_need_a_login(client_for, personas, name):
    response = client_for(None).get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["index", "shared", "apps", "trash"])
def test_sections_in_french_with_the_gauge(client_for, personas, name):
    response = client_for(personas.teacher).get(url(name))
    assert response.status_code == 200
    content = body(response)
    assert "Mes documents" in content and "Partagés avec moi" in content
    assert "Documents ajoutés dans les applis" in content and "Corbeille" in content
    assert 'id="quota-gauge"' in content and "10\xa0Go" in content
    assert f'href="{url("index")}" aria-current="page">Documents</a>' in content


@pytest.mark.parametrize(("who", "status"), [("teacher", 200), ("colleague", 200),
                                             ("other_teacher", 404), ("pupil", 404)])
@pytest.mark.parametrize("page", ["folder", "file", "download", "preview"])
def test_pages_for_owner_grantee_and_stranger(client_for, personas, world, who, status, page):
    folder, doc = world
    node = folder if page == "folder" else doc
    response = client_for(getattr(personas, who)).get(url(page, node.pk))
    assert response.status_code == status


@pytest.mark.parametrize("page", ["folder", "file", "download", "preview", "thumbnail"])
def test_pages_send_anonymous_visitors_to_the_login(client_for, personas, world, page):
    folder, doc = world
    response = client_for(None).get(url(page, (folder if page == "folder" else doc).pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_trashed_node_is_gone_for_everyone(client_for, personas, world):
    _folder, doc = world
    check_trash(personas.teacher, doc)
    for who in ("teacher", "colleague"):
        assert client_for(getattr(personas, who)).get(url("file", doc.pk)).status_code == 404


def test_folder_page_lists_breadcrumb_tree_and_owner(client_for, personas, world):
    folder, _doc = world
    inner = check_create_folder(personas.teacher, "Sorties", folder)
    mine = body(client_for(personas.teacher).get(url("folder", inner.pk)))
    assert 'aria-label="Fil d\u2019Ariane"' in mine
    assert f'<a href="{url("folder", folder.pk)}">Classe</a>' in mine  # breadcrumb and tree
    assert 'aria-current="page">Sorties</a>' in mine  # current folder in the tree
    theirs = body(client_for(personas.colleague).get(url("folder", folder.pk)))
    assert "Évaluation CM1 \u2013 été.pdf" in theirs
    assert "partagé par Jeanne Petit" in theirs
    assert "Jeanne Petit" in theirs  # owner column: not the viewer
    assert 'id="upload-form"' not in theirs  # read only: no upload, no rename, no share
    assert url("rename", folder.pk) not in theirs
    assert "/partages/documents.node/" not in theirs
    assert url("copy_to_mine", folder.pk) in theirs


def test_owner_sees_the_rights_based_actions_and_the_share_place(client_for, personas, world):
    _folder, doc = world
    content = body(client_for(personas.teacher).get(url("file", doc.pk)))
    for action in ("rename", "move", "delete", "copy"):
        assert url(action, doc.pk) in content
    assert f'href="/partages/documents.node/{doc.pk}/"' in content
    assert url("new_version", doc.pk) in content


def test_contributor_may_upload_but_not_rename(client_for, personas, world):
    folder, _doc = world
    check_share(personas.teacher, folder, users=[personas.school_admin], rights=[Right.CONTRIB])
    content = body(client_for(personas.school_admin).get(url("folder", folder.pk)))
    assert 'id="upload-form"' in content and 'data-dropzone="upload-form"' in content
    assert url("rename", folder.pk) not in content
    response = client_for(personas.school_admin).get(url("move", folder.pk))
    assert response.status_code == 403


def test_shared_with_me_lists_what_others_shared(client_for, personas, world):
    folder, _doc = world
    content = body(client_for(personas.colleague).get(url("shared")))
    assert f'href="{url("folder", folder.pk)}">Classe</a>' in content
    assert "Rien n\u2019est encore partagé avec vous." in body(
        client_for(personas.guest).get(url("shared")))


def test_app_documents_grouped_by_app(client_for, personas):
    do_store_app_file(personas.teacher, App.MESSAGING, SimpleUploadedFile("pj.txt", b"pj"),
                      "pièce jointe.txt", 2)
    do_store_app_file(personas.teacher, App.NOTEBOOKS, SimpleUploadedFile("m.png", png_bytes()),
                      "photo.png", len(png_bytes()))
    content = body(client_for(personas.teacher).get(url("apps")))
    assert "Messagerie" in content and "pièce jointe.txt" in content
    assert content.index("Messagerie") < content.index("pièce jointe.txt")
    assert "photo.png" in content
    assert "pièce jointe.txt" not in body(client_for(personas.teacher).get(url("index")))


# Uploads ------------------------------------------------------------------------------------


def test_upload_one_file_without_script(client_for, personas):
    client = client_for(personas.teacher)
    response = post_files(client, [("notes.txt", b"hello\n")])
    assert response.status_code == 302 and response["Location"] == url("index")
    node = Node.objects.get(owner=personas.teacher, name="notes.txt")
    assert node.parent is None and node.size == 6
    assert "« notes.txt » a été ajouté." in body(client.get(url("index")))


def test_upload_several_files_into_a_folder(client_for, personas, world):
    folder, _doc = world
    response = post_files(client_for(personas.teacher),
                          [("a.txt", b"a"), ("b.txt", b"bb"), ("c.png", png_bytes())], folder)
    assert response.status_code == 302 and response["Location"] == url("folder", folder.pk)
    assert set(folder.children.values_list("name", flat=True)) >= {"a.txt", "b.txt", "c.png"}


def test_upload_script_gets_json_per_file(client_for, personas):
    response = post_files(client_for(personas.teacher), [("a.txt", b"abc")],
                          HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN="x")
    assert response.status_code == 201
    result = response.json()["results"][0]
    assert result["name"] == "a.txt" and result["size"] == 3
    assert result["url"] == url("file", result["id"])


def test_too_large_file_is_refused_with_413(client_for, personas, settings):
    settings.PREAU_UPLOAD_MAX_BYTES = 1000
    client = client_for(personas.teacher)
    response = post_files(client, [("gros.bin", b"x" * 5000)])
    assert response.status_code == 413
    assert "trop volumineux" in body(response) and "1000" in body(response)
    response = post_files(client, [("gros.bin", b"x" * 5000)], HTTP_ACCEPT="application/json")
    assert response.status_code == 413
    assert "trop volumineux" in response.json()["results"][0]["error"]
    assert not Node.objects.filter(owner=personas.teacher).exists()
    assert quota_of(personas.teacher).used == 0


def test_empty_file_and_no_file_are_refused(client_for, personas):
    client = client_for(personas.teacher)
    response = post_files(client, [("vide.txt", b""), ("plein.txt", b"x")])
    assert response.status_code == 400
    content = body(response)
    assert "Le fichier « vide.txt » est vide." in content
    assert "plein.txt" in content and "ajouté" in content  # the other file went in
    assert list(Node.objects.filter(owner=personas.teacher).values_list("name", flat=True)) == [
        "plein.txt"]
    response = client.post(url("upload"), {})
    assert response.status_code == 400 and "Choisissez au moins un fichier." in body(response)


def test_quota_refusal_gives_the_figures_and_how_to_free_space(client_for, personas):
    do_set_user_quota(personas.pupil, 1000)
    client = client_for(personas.pupil)
    post_files(client, [("a.txt", b"x" * 800)])
    response = post_files(client, [("b.txt", b"y" * 300)])
    assert response.status_code == 413
    content = body(response)
    assert "800\xa0octets" in content and "1000\xa0octets" in content
    assert "200\xa0octets sont libres" in content
    assert "videz la corbeille" in content.lower()
    assert url("trash") in content and url("apps") in content
    response = post_files(client, [("b.txt", b"y" * 300)], HTTP_ACCEPT="application/json")
    result = response.json()["results"][0]
    assert response.status_code == 413
    assert (result["used"], result["limit"], result["free"], result["size"]) == (
        800, 1000, 200, 300)


def test_big_upload_refused_before_its_body_is_read(personas, settings):
    """With the CSRF token in a header, a request larger than the free space is refused
    from its Content-Length: the body is never parsed (not by the CSRF check either)."""
    do_set_user_quota(personas.pupil, 100_000)
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.pupil, backend="preau.accounts.backends.LocalPasswordBackend")
    client.get(url("index"))
    token = client.cookies["csrftoken"].value
    with mock.patch("django.http.multipartparser.MultiPartParser.parse",
                    side_effect=AssertionError("the body was parsed")):
        response = post_files(client, [("big.bin", b"z" * 200_000)],
                              HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413
    result = response.json()["results"][0]
    assert result["free"] == 100_000 and result["used"] == 0
    assert "corbeille" in result["error"]
    # A wrong header token is refused by the same CSRF check, body unread.
    with mock.patch("django.http.multipartparser.MultiPartParser.parse",
                    side_effect=AssertionError("the body was parsed")):
        response = post_files(client, [("big.bin", b"z" * 200_000)],
                              HTTP_X_CSRFTOKEN="x" * 32)
    assert response.status_code == 403
    # Within the free space, the same request goes through.
    response = post_files(client, [("ok.bin", b"z" * 1000)], HTTP_ACCEPT="application/json",
                          HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_plain_form_upload_still_checks_csrf(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.pupil, backend="preau.accounts.backends.LocalPasswordBackend")
    assert post_files(client, [("a.txt", b"a")]).status_code == 403
    client.get(url("index"))
    token = client.cookies["csrftoken"].value
    response = client.post(url("upload"), {"files": [SimpleUploadedFile("a.txt", b"a")],
                                           "csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.mark.parametrize(("raw", "stored"), [("../../etc/passwd", "passwd"),
                                             ("..\\..\\boot.ini", "boot.ini"),
                                             ("/tmp/éval.txt", "éval.txt")])
def test_path_tricks_in_names_are_cut_to_the_file_name(client_for, personas, raw, stored):
    response = post_files(client_for(personas.teacher), [(raw, b"data")],
                          HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    node = Node.objects.get(pk=response.json()["results"][0]["id"])
    assert node.name == stored
    assert "/" not in node.current.blob_key.split("/")[-1] and stored not in node.current.blob_key


def test_cannot_upload_into_a_folder_read_only(client_for, personas, world):
    folder, _doc = world
    response = post_files(client_for(personas.colleague), [("x.txt", b"x")], folder)
    assert response.status_code == 400
    assert "Vous ne pouvez rien ajouter à ce dossier." in body(response)
    assert post_files(client_for(personas.other_teacher), [("x.txt", b"x")],
                      folder).status_code == 404


# Downloads and preview ----------------------------------------------------------------------


def test_download_keeps_accents_in_content_disposition(client_for, personas, world):
    _folder, doc = world
    response = client_for(personas.colleague).get(url("download", doc.pk))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%C3%89valuation%20CM1%20%E2%80%93%20%C3%A9t%C3%A9.pdf" in disposition
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(("name", "data"), [("page.html", HTML), ("dessin.svg", SVG)])
def test_html_and_svg_are_never_inline(client_for, personas, name, data):
    node = upload(personas.teacher, name, data)
    client = client_for(personas.teacher)
    for page in ("download", "preview"):
        response = client.get(url(page, node.pk))
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response["X-Content-Type-Options"] == "nosniff"
    content = body(client.get(url("file", node.pk)))
    assert url("preview", node.pk) not in content
    assert "Pas d\u2019aperçu pour ce type de fichier" in content


def test_preview_inline_for_images_and_pdf_only(client_for, personas):
    client = client_for(personas.teacher)
    image = upload(personas.teacher, "photo.png", png_bytes())
    pdf = upload(personas.teacher, "cours.pdf", PDF)
    text = upload(personas.teacher, "notes.txt", b"hello")
    response = client.get(url("preview", image.pk))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].startswith("sandbox")
    response = client.get(url("preview", pdf.pk))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    response = client.get(url("preview", text.pk))
    assert response["Content-Disposition"].startswith("attachment;")
    assert f'<img class="preview-image" src="{url("preview", image.pk)}"' in body(
        client.get(url("file", image.pk)))
    assert f'<iframe class="preview-pdf" src="{url("preview", pdf.pk)}"' in body(
        client.get(url("file", pdf.pk)))


def test_thumbnails_in_the_listing(client_for, personas):
    image = upload(personas.teacher, "photo.png", png_bytes((400, 300)))
    text = upload(personas.teacher, "notes.txt", b"hello")
    client = client_for(personas.teacher)
    content = body(client.get(url("index")))
    assert f'src="{url("thumbnail", image.pk)}"' in content
    response = client.get(url("thumbnail", image.pk))
    assert response.status_code == 200 and response["Content-Type"] in ("image/png", "image/jpeg")
    assert client.get(url("thumbnail", text.pk)).status_code == 404
    assert client_for(personas.other_teacher).get(url("thumbnail", image.pk)).status_code == 404


# Trash and quota ----------------------------------------------------------------------------


def _gauge(client: Client) -> str:
    content = body(client.get(url("index")))
    start = content.index('id="quota-gauge"')
    return content[start:content.index("</aside>", start)]


def test_trash_flow_and_the_gauge_going_down(client_for, personas):
    client = client_for(personas.teacher)
    folder = check_create_folder(personas.teacher, "Archives")
    upload(personas.teacher, "a.bin", b"a" * 3000, folder)
    assert "2,9\xa0Ko" in _gauge(client)
    response = client.post(url("delete", folder.pk))
    assert response.status_code == 302 and response["Location"] == url("index")
    assert "2,9\xa0Ko" in _gauge(client)  # the trash still counts
    trash = body(client.get(url("trash")))
    assert "Archives" in trash and "Mes documents" in trash  # origin place
    assert "compte encore dans votre espace" in trash
    response = client.post(url("restore", folder.pk))
    assert response.status_code == 302
    assert Node.objects.get(pk=folder.pk).trashed_at is None
    client.post(url("delete", folder.pk))
    confirm = client.get(url("empty_trash"))
    assert confirm.status_code == 200 and "Vider la corbeille" in body(confirm)
    assert "1 élément" in body(confirm)
    assert Node.objects.filter(pk=folder.pk).exists()  # a GET changes nothing
    response = client.post(url("empty_trash"))
    assert response.status_code == 302
    assert "2,9\xa0Ko libérés" in body(client.get(url("trash")))
    assert not Node.objects.filter(owner=personas.teacher).exists()
    assert "0\xa0octet" in _gauge(client)
    assert quota_of(personas.teacher).used == 0


def test_delete_for_good_one_item(client_for, personas):
    client = client_for(personas.teacher)
    node = upload(personas.teacher, "a.txt", b"abc")
    client.post(url("delete", node.pk))
    assert client.get(url("delete_for_good", node.pk)).status_code == 200
    assert client_for(personas.colleague).post(url("delete_for_good", node.pk)).status_code == 404
    assert client.post(url("delete_for_good", node.pk)).status_code == 302
    assert not Node.objects.filter(pk=node.pk).exists()
    assert quota_of(personas.teacher).used == 0


def test_gauge_warns_at_80_percent(client_for, personas):
    do_set_user_quota(personas.pupil, 1000)
    upload(personas.pupil, "a.bin", b"a" * 790)
    client = client_for(personas.pupil)
    assert "presque plein" not in _gauge(client)
    upload(personas.pupil, "b.bin", b"b" * 10)
    gauge = _gauge(client)
    assert "quota-warning" in gauge
    assert "Votre espace est presque plein (80 %)" in gauge
    assert "videz la corbeille" in gauge


def test_stranger_cannot_delete_and_reader_is_refused(client_for, personas, world):
    _folder, doc = world
    assert client_for(personas.other_teacher).post(url("delete", doc.pk)).status_code == 404
    client = client_for(personas.colleague)
    response = client.post(url("delete", doc.pk))
    assert response.status_code == 302
    assert "Il faut le droit « gestion » pour supprimer ceci." in body(
        client.get(response["Location"]))
    response = client.post(url("delete", doc.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "gestion" in body(response)
    assert Node.objects.get(pk=doc.pk).trashed_at is None


# Versions -----------------------------------------------------------------------------------


def test_new_version_and_restore(client_for, personas):
    client = client_for(personas.teacher)
    node = upload(personas.teacher, "texte.txt", b"v1")
    response = client.post(url("new_version", node.pk),
                           {"file": SimpleUploadedFile("autre.txt", b"version 2")})
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.size == 9 and node.name == "texte.txt"
    assert quota_of(personas.teacher).used == 11  # every version counts
    content = body(client.get(url("file", node.pk)))
    first = FileVersion.objects.get(node=node, number=1)
    assert url("restore_version", node.pk, first.pk) in content
    download = client.get(url("download", node.pk) + f"?version={first.pk}")
    assert b"".join(download.streaming_content) == b"v1"
    assert client.post(url("restore_version", node.pk, first.pk)).status_code == 302
    node.refresh_from_db()
    assert node.current_id == first.pk and node.size == 2
    response = client.post(url("new_version", node.pk), {"file": SimpleUploadedFile("e", b"")})
    assert response.status_code == 400 and "est vide" in body(response)
    other = upload(personas.teacher, "autre.txt", b"x")
    assert client.get(url("download", other.pk) + f"?version={first.pk}").status_code == 404


def test_contributor_s_version_over_the_owner_s_quota(client_for, personas):
    node = upload(personas.teacher, "sujet.txt", b"abc")
    check_share(personas.teacher, node, users=[personas.colleague], rights=[Right.CONTRIB])
    do_set_user_quota(personas.teacher, 5)
    response = client_for(personas.colleague).post(
        url("new_version", node.pk), {"file": SimpleUploadedFile("x.txt", b"abcdef")})
    assert response.status_code == 413
    content = body(response)
    assert ("Ce fichier (6\xa0octets) ne tient pas dans l\u2019espace documentaire de Jeanne "
            "Petit, à qui il appartient") in content
    assert "vous utilisez" not in content  # the owner's figures are hers
    assert FileVersion.objects.filter(node=node).count() == 1
    assert quota_of(personas.teacher).used == 3


def test_reader_cannot_add_a_version(client_for, personas, world):
    _folder, doc = world
    response = client_for(personas.colleague).post(
        url("new_version", doc.pk), {"file": SimpleUploadedFile("x.pdf", b"x")})
    assert response.status_code == 400
    assert FileVersion.objects.filter(node=doc).count() == 1


# Move, copy, rename -------------------------------------------------------------------------


def test_rename(client_for, personas):
    client = client_for(personas.teacher)
    node = upload(personas.teacher, "a.txt", b"a")
    response = client.post(url("rename", node.pk), {"name": "../Été.txt"})
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.name == "Été.txt"
    response = client.post(url("rename", node.pk), {"name": ".."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "Ce nom n\u2019est pas valide." in body(response)


def test_move_offers_only_folders_one_may_add_to(client_for, personas, world):
    folder, _doc = world
    own = check_create_folder(personas.colleague, "Mes cours")
    client = client_for(personas.colleague)
    node = upload(personas.colleague, "cours.txt", b"c")
    content = body(client.get(url("move", node.pk)))
    assert f'<option value="{own.pk}"' in content
    assert f'<option value="{folder.pk}"' not in content  # read only for the colleague
    assert client.post(url("move", node.pk), {"target": str(folder.pk)}).status_code == 400
    response = client.post(url("move", node.pk), {"target": str(own.pk)})
    assert response.status_code == 302
    assert Node.objects.get(pk=node.pk).parent_id == own.pk
    response = client.post(url("move", node.pk), {"target": "racine"})
    assert Node.objects.get(pk=node.pk).parent_id is None
    # A folder cannot be offered into itself.
    content = body(client_for(personas.teacher).get(url("move", folder.pk)))
    assert f'<option value="{folder.pk}"' not in content


def test_copy_and_copy_into_my_documents_from_a_share(client_for, personas, world):
    folder, doc = world
    client = client_for(personas.colleague)
    response = client.post(url("copy_to_mine", doc.pk))
    assert response.status_code == 302
    copy = Node.objects.get(owner=personas.colleague, name=doc.name)
    assert copy.parent is None and copy.pk != doc.pk
    assert quota_of(personas.colleague).used == len(PDF)
    target = check_create_folder(personas.colleague, "Reçus")
    response = client.post(url("copy", folder.pk), {"target": str(target.pk)})
    assert response.status_code == 302
    copied = Node.objects.get(owner=personas.colleague, parent=target, name="Classe")
    assert copied.children.filter(name=doc.name).exists()


# Query counts -------------------------------------------------------------------------------


def _fill(folder: Node, count: int) -> None:
    Node.objects.bulk_create([
        Node(kind=NodeKind.FILE, name=f"doc-{n:05d}.txt", owner=folder.owner, parent=folder,
             path=folder.inner_path, size=n, content_type="text/plain")
        for n in range(count)], batch_size=2000)


def _listing_queries(client: Client, folder: Node, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("folder", folder.pk), params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"tri": "-taille", "page": "3"}])
def test_ten_thousand_documents_list_in_a_fixed_number_of_queries(client_for, personas,
                                                                  django_assert_num_queries,
                                                                  params):
    small = check_create_folder(personas.teacher, "Petit")
    large = check_create_folder(personas.teacher, "Grand")
    _fill(small, 10)
    _fill(large, 10_000)
    client = client_for(personas.teacher)
    client.get(url("index"))  # warm the session
    few = _listing_queries(client, small, **{k: v for k, v in params.items() if k != "page"})
    with django_assert_num_queries(few):
        response = client.get(url("folder", large.pk), params)
    page = response.context["page"]
    assert page.paginator.count == 10_000 and len(page.object_list) == 200
    if params:
        assert page.number == 3 and page.object_list[0].name == "doc-09599.txt"
    assert body(response).count('class="doc-icon file"') == 200
    assert few <= 12


def test_shared_folder_lists_in_a_fixed_number_of_queries(client_for, personas, world,
                                                          django_assert_num_queries):
    folder, _doc = world
    client = client_for(personas.colleague)
    client.get(url("index"))
    few = _listing_queries(client, folder)
    _fill(folder, 500)
    with django_assert_num_queries(few):
        client.get(url("folder", folder.pk))


def test_htmx_sorting_gets_the_listing_alone(client_for, personas):
    folder = check_create_folder(personas.teacher, "Tri")
    upload(personas.teacher, "b.txt", b"bb", folder)
    upload(personas.teacher, "a.txt", b"a", folder)
    response = client_for(personas.teacher).get(
        url("folder", folder.pk), {"tri": "-taille"}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="doc-listing")
    content = body(response)
    assert content.startswith('<section id="doc-listing"')
    assert content.index("b.txt") < content.index("a.txt")
    assert 'aria-sort="descending"' in content


def test_upload_json_is_valid_json_on_refusal(client_for, personas):
    response = post_files(client_for(personas.teacher), [("vide.txt", b"")],
                          HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["results"][0]["name"] == "vide.txt"
