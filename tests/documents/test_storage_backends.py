"""The document core on both storage backends: the local disk and S3 (a real moto server).

Every test here runs twice (the `backend` fixture): what reaches the store, what comes
back out, and that nothing is left behind once a file is deleted for good.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections

from preau.documents import storage
from preau.documents.actions import (
    QuotaExceeded,
    check_copy,
    check_create_folder,
    check_delete_for_good,
    check_new_version,
    check_restore_version,
    check_trash,
    check_upload,
    do_empty_trash,
    do_set_user_quota,
    quota_of,
    recount_quota,
)
from preau.documents.models import FileVersion, Node
from preau.documents.responses import file_response, thumbnail_response
from tests.documents.helpers import png_bytes, upload
from tests.s3 import S3Server, s3_documents_storage

MIB = 1024 * 1024


def spooled(name: str, data: bytes) -> TemporaryUploadedFile:
    """An upload as Django hands over a large one: already on disk in FILE_UPLOAD_TEMP_DIR."""
    upload = TemporaryUploadedFile(name, "application/octet-stream", len(data), None)
    upload.write(data)
    upload.seek(0)
    return upload


def body_of(response) -> bytes:
    """The streamed bytes, then close() as the WSGI server does (releasing the file or the
    S3 body). Like Django's test client, keep request_finished from closing the test's
    database connection (it would, on PostgreSQL, inside the test's transaction)."""
    content = b"".join(response.streaming_content)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return content


def test_large_upload_streams_back_chunk_by_chunk(personas, backend):
    # 9 MiB: past boto's 8 MiB multipart threshold on S3, several chunks either way.
    data = os.urandom(9 * MIB)
    with spooled("Compte rendu été.bin", data) as sent:  # closed as a request closes it
        node = check_upload(personas.teacher, sent)
    key = node.current.blob_key
    assert backend.blobs() == {key}
    assert "Compte" not in key and len(key.rsplit("/", 1)[-1]) == 32
    chunks = list(storage.stream(key))
    assert len(chunks) == 9 and all(len(c) == MIB for c in chunks)
    assert b"".join(chunks) == data
    response = file_response(node)
    assert response["Content-Length"] == str(len(data))
    assert "filename*=utf-8''Compte%20rendu%20%C3%A9t%C3%A9.bin" in response["Content-Disposition"]
    assert response.streaming
    assert body_of(response) == data
    assert quota_of(personas.teacher).used == len(data) == recount_quota(personas.teacher.pk)


def test_image_thumbnail_is_stored_and_served(personas, backend):
    node = upload(personas.teacher, "photo", png_bytes((800, 600)))
    version = node.current
    assert node.content_type == "image/png"
    assert version.thumbnail_key.startswith("thumbs/")
    assert backend.blobs() == {version.blob_key, version.thumbnail_key}
    response = thumbnail_response(version)
    assert response["Content-Type"] == "image/jpeg"  # an opaque image: a JPEG thumbnail
    assert response.content.startswith(b"\xff\xd8")
    assert len(response.content) < len(png_bytes((800, 600)))


def test_html_is_never_served_as_html(personas, backend):
    node = upload(personas.teacher, "page.html", b"<html><script>alert(1)</script></html>")
    assert node.content_type == "text/html"
    response = file_response(node, inline=True)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert body_of(response).startswith(b"<html>")


def test_copy_gets_its_own_blob(personas, backend):
    folder = check_create_folder(personas.teacher, "Cours")
    original = upload(personas.teacher, "cours.txt", b"lesson one\n", folder)
    copy = check_copy(personas.teacher, folder, None)
    copied = Node.objects.get(parent=copy)
    assert copied.current.blob_key != original.current.blob_key
    assert backend.blobs() == {original.current.blob_key, copied.current.blob_key}
    assert b"".join(storage.stream(copied.current.blob_key)) == b"lesson one\n"
    assert quota_of(personas.teacher).used == 22 == recount_quota(personas.teacher.pk)


def test_s3_copy_stays_on_the_server(personas, s3, monkeypatch):
    """On S3 a copy is one server-side CopyObject: the bytes never come through Préau."""
    original = upload(personas.teacher, "cours.txt", b"lesson one\n")
    backend_class = type(storage.backend())

    def no_download(*args, **kwargs):
        raise AssertionError("the copy downloaded the blob")

    monkeypatch.setattr(backend_class, "_open", no_download)
    copy = check_copy(personas.teacher, original, None)
    monkeypatch.undo()
    assert b"".join(storage.stream(copy.current.blob_key)) == b"lesson one\n"


def test_versions_keep_their_blobs_and_restore(personas, backend):
    node = upload(personas.teacher, "texte.txt", b"first")
    second = check_new_version(personas.teacher, node, SimpleUploadedFile("texte.txt", b"second!"))
    first = FileVersion.objects.get(node=node, number=1)
    assert backend.blobs() == {first.blob_key, second.blob_key}
    node.refresh_from_db()
    assert body_of(file_response(node)) == b"second!"
    check_restore_version(personas.teacher, node, first)
    node.refresh_from_db()
    assert node.size == 5
    assert body_of(file_response(node)) == b"first"
    assert quota_of(personas.teacher).used == 12 == recount_quota(personas.teacher.pk)


def test_delete_for_good_removes_every_blob(personas, backend,
                                            django_capture_on_commit_callbacks):
    node = upload(personas.teacher, "photo.png", png_bytes())
    check_new_version(personas.teacher, node, SimpleUploadedFile("photo.png", b"plain"))
    assert len(backend.blobs()) == 3  # two versions and the first one's thumbnail
    check_trash(personas.teacher, node)
    assert len(backend.blobs()) == 3  # the trash still holds the bytes (and counts them)
    node.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        freed = check_delete_for_good(personas.teacher, node)
    assert freed == len(png_bytes()) + 5
    assert backend.blobs() == set()
    assert quota_of(personas.teacher).used == 0


def test_empty_trash_frees_space_and_bytes(personas, backend,
                                           django_capture_on_commit_callbacks):
    folder = check_create_folder(personas.teacher, "Vieux")
    upload(personas.teacher, "a.txt", b"a" * 100, folder)
    upload(personas.teacher, "b.txt", b"b" * 50, folder)
    kept = upload(personas.teacher, "c.txt", b"c" * 10)
    check_trash(personas.teacher, folder)
    assert quota_of(personas.teacher).used == 160
    with django_capture_on_commit_callbacks(execute=True):
        assert do_empty_trash(personas.teacher) == 150
    assert backend.blobs() == {kept.current.blob_key}
    assert quota_of(personas.teacher).used == 10 == recount_quota(personas.teacher.pk)


def test_refused_upload_leaves_nothing_behind(personas, backend):
    do_set_user_quota(personas.pupil, 100)
    upload(personas.pupil, "a.txt", b"x" * 60)
    with pytest.raises(QuotaExceeded):
        upload(personas.pupil, "b.txt", b"y" * 60)
    assert len(backend.blobs()) == 1
    assert quota_of(personas.pupil).used == 60


def test_storage_failure_gives_the_space_back(personas, backend, monkeypatch):
    def broken(key, content):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "save", broken)
    with pytest.raises(OSError):
        upload(personas.teacher, "a.txt", b"abc")
    assert quota_of(personas.teacher).used == 0
    assert not Node.objects.filter(owner=personas.teacher).exists()


def test_preau_storage_s3_builds_the_storage_the_tests_use(tmp_path):
    """The fixture's S3 settings are those `PREAU_STORAGE=s3` and its variables produce."""
    env = {**os.environ, "PREAU_DATA_DIR": str(tmp_path), "PREAU_STORAGE": "s3",
           "PREAU_S3_BUCKET": "b", "PREAU_S3_ENDPOINT_URL": "http://127.0.0.1:9",
           "PREAU_S3_REGION": "eu-west-3", "PREAU_S3_ACCESS_KEY": "testing-access-key",
           "PREAU_S3_SECRET_KEY": "testing-secret-key", "PREAU_S3_PREFIX": "p",
           "DJANGO_SETTINGS_MODULE": "preau.settings"}
    env.pop("DATABASE_URL", None)
    printed = subprocess.run(
        [sys.executable, "-c", "import json; from django.conf import settings; "
         "print(json.dumps(settings.STORAGES['documents']))"],
        env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(printed) == s3_documents_storage(
        S3Server(endpoint_url="http://127.0.0.1:9", bucket="b"), "p")
