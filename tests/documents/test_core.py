from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from preau.documents import storage
from preau.documents.access import access_node, shared_with_me, trash_of
from preau.documents.actions import (
    DocumentError,
    QuotaExceeded,
    check_create_folder,
    check_delete_for_good,
    check_move,
    check_new_version,
    check_restore,
    check_trash,
    do_empty_trash,
    do_release_owner_data,
    do_set_user_quota,
    quota_of,
    recount_quota,
)
from preau.documents.models import Node
from preau.sharing.actions import SharingError, check_share
from preau.sharing.models import Right
from tests.documents.helpers import PNG_1PX, upload


def test_upload_stores_bytes_under_a_random_key_and_charges_the_owner(personas):
    node = upload(personas.teacher, "../../etc/passwd", b"root:x:0:0\n")
    assert node.name == "passwd"
    key = node.current.blob_key
    assert "passwd" not in key and ".." not in key
    assert b"".join(storage.stream(key)) == b"root:x:0:0\n"
    assert quota_of(personas.teacher).used == 11
    assert node.content_type == "text/plain"


def test_image_gets_a_thumbnail_and_its_sniffed_type(personas):
    node = upload(personas.teacher, "photo.txt", PNG_1PX)
    assert node.content_type == "image/png"
    assert node.current.thumbnail_key


def test_empty_file_refused(personas):
    with pytest.raises(DocumentError, match="vide"):
        upload(personas.teacher, "empty.txt", b"")


def test_quota_refusal_says_used_and_free(personas):
    do_set_user_quota(personas.pupil, 20)
    upload(personas.pupil, "a.txt", b"x" * 15)
    with pytest.raises(QuotaExceeded) as error:
        upload(personas.pupil, "b.txt", b"y" * 10)
    assert (error.value.used, error.value.limit, error.value.free) == (15, 20, 5)
    assert "corbeille" in str(error.value)
    assert Node.objects.filter(owner=personas.pupil).count() == 1


def test_trash_counts_until_emptied(personas):
    node = upload(personas.teacher, "a.txt", b"x" * 100)
    check_trash(personas.teacher, node)
    assert quota_of(personas.teacher).used == 100
    assert list(trash_of(personas.teacher)) == [node]
    with pytest.raises(Http404):
        access_node(personas.teacher, node.pk)
    freed = do_empty_trash(personas.teacher)
    assert freed == 100
    assert quota_of(personas.teacher).used == 0
    assert not Node.objects.filter(pk=node.pk).exists()


def test_folder_trash_and_restore_keep_the_tree(personas):
    folder = check_create_folder(personas.teacher, "Projets")
    sub = check_create_folder(personas.teacher, "Sciences", folder)
    doc = upload(personas.teacher, "a.txt", b"abc", sub)
    check_trash(personas.teacher, folder)
    assert Node.objects.alive().filter(pk__in=[folder.pk, sub.pk, doc.pk]).count() == 0
    check_restore(personas.teacher, Node.objects.get(pk=folder.pk))
    assert Node.objects.alive().filter(pk__in=[folder.pk, sub.pk, doc.pk]).count() == 3
    doc.refresh_from_db()
    assert doc.parent_id == sub.pk


def test_delete_for_good_only_from_own_trash(personas):
    node = upload(personas.teacher)
    check_trash(personas.teacher, node)
    node.refresh_from_db()
    with pytest.raises(DocumentError):
        check_delete_for_good(personas.colleague, node)
    check_delete_for_good(personas.teacher, node)
    assert recount_quota(personas.teacher.pk) == 0


def test_versions_count_in_quota(personas):
    node = upload(personas.teacher, "a.txt", b"one")
    check_new_version(personas.teacher, node, SimpleUploadedFile("a.txt", b"second"))
    assert quota_of(personas.teacher).used == 9 == recount_quota(personas.teacher.pk)
    node.refresh_from_db()
    assert node.size == 6 and node.current.number == 2


def test_share_with_class_group_reaches_its_pupils_only(personas):
    folder = check_create_folder(personas.teacher, "Classe")
    doc = upload(personas.teacher, "devoirs.txt", b"abc", folder)
    pupils = personas.school_class.groups.get(profile="Student")
    check_share(personas.teacher, folder, groups=[pupils], rights=[Right.READ])
    assert access_node(personas.pupil, doc.pk).pk == doc.pk  # inherited
    assert list(shared_with_me(personas.pupil)) == [folder]
    with pytest.raises(Http404):
        access_node(personas.other_pupil, doc.pk)
    with pytest.raises(PermissionDenied):
        access_node(personas.pupil, doc.pk, Right.MANAGE)


def test_cannot_share_out_of_reach(personas):
    doc = upload(personas.teacher)
    with pytest.raises(SharingError):
        check_share(personas.teacher, doc, users=[personas.other_pupil], rights=[Right.READ])
    with pytest.raises(SharingError):
        check_share(personas.pupil, doc, users=[personas.colleague], rights=[Right.READ])


def test_move_rewrites_the_subtree(personas):
    a = check_create_folder(personas.teacher, "A")
    b = check_create_folder(personas.teacher, "B")
    inner = check_create_folder(personas.teacher, "inner", a)
    doc = upload(personas.teacher, "x.txt", b"x", inner)
    check_move(personas.teacher, a, b)
    doc.refresh_from_db()
    assert doc.path == f"/{b.pk}/{a.pk}/{inner.pk}/"
    with pytest.raises(DocumentError):
        check_move(personas.teacher, Node.objects.get(pk=b.pk), Node.objects.get(pk=inner.pk))


def test_final_deletion_hands_documents_to_the_first_manager(personas):
    kept = upload(personas.teacher, "garde.txt", b"keep")
    lost = upload(personas.teacher, "perdu.txt", b"lose")
    check_share(personas.teacher, kept, users=[personas.colleague], rights=[Right.MANAGE])
    check_share(personas.teacher, lost, users=[personas.colleague], rights=[Right.READ])
    report = do_release_owner_data([personas.teacher.pk])
    assert (report.handed_over, report.deleted) == (1, 1)
    kept.refresh_from_db()
    assert kept.owner == personas.colleague
    assert not Node.objects.filter(pk=lost.pk).exists()
    assert quota_of(personas.colleague).used == 4
    assert quota_of(personas.teacher).used == 0
