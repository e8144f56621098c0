"""The permission matrix of the Espace documentaire, at the level every page and endpoint
relies on: `documents.access.access_node` (404 / 403 / the node) and
`sharing.access.rights_of`, then the actions each right allows.

Generated: every right for every grantee kind, seen by the grantee (or a member of the
group), a non-member of the same school and a stranger of another school. Then
inheritance, the trash, owners leaving, and bad uploads.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from preau.accounts.models import Profile, State, User
from preau.directory.actions import (
    do_add_to_class,
    do_create_bookmark,
    ensure_class_groups,
    ensure_structure_groups,
)
from preau.directory.models import Group, GroupKind, Membership, MembershipSource
from preau.documents import storage
from preau.documents.access import access_node, shared_with_me, trash_of
from preau.documents.actions import (
    DocumentError,
    FileTooLarge,
    check_copy,
    check_create_folder,
    check_delete_for_good,
    check_move,
    check_new_version,
    check_rename,
    check_restore,
    check_trash,
    check_upload,
    do_release_owner_data,
    do_store_app_file,
    quota_of,
    recount_quota,
)
from preau.documents.models import App, FileVersion, Node
from preau.sharing.access import rights_of
from preau.sharing.actions import SharingError, check_share
from preau.sharing.models import Right, Share
from tests.documents.helpers import upload
from tests.personas import Personas, make_user

RIGHTS = [Right.READ, Right.CONTRIB, Right.COMMENT, Right.MANAGE]
GRANTEE_KINDS = ["user", "class group", "school group", "manual group", "bookmark"]
ALL = frozenset(r.value for r in Right)
# What a share of each right gives (manage implies all, every right implies read).
GIVES = {
    Right.READ: {Right.READ},
    Right.CONTRIB: {Right.READ, Right.CONTRIB},
    Right.COMMENT: {Right.READ, Right.COMMENT},
    Right.MANAGE: set(ALL),
}


@dataclass
class Audience:
    """Who holds the share, who is in the same school without it, and a stranger."""

    members: list[User]
    non_member: User
    stranger: User


def _manual_group(personas: Personas, members: list[User]) -> Group:
    group = Group.objects.create(kind=GroupKind.MANUAL, name="Projet jardin",
                                 owner=personas.teacher, structure=personas.school)
    Membership.objects.bulk_create([Membership(group=group, user=u, source=MembershipSource.MANUAL)
                                    for u in members])
    return group


def share_to(kind: str, personas: Personas, node: Node, right: str) -> Audience:
    """Share `node` (the teacher's) with a grantee of `kind`; who should then see it."""
    teacher = personas.teacher
    if kind == "user":
        check_share(teacher, node, users=[personas.colleague], rights=[right])
        return Audience([personas.colleague], personas.school_admin, personas.other_teacher)
    if kind == "class group":
        pupils = ensure_class_groups(personas.school_class)[Profile.STUDENT]
        check_share(teacher, node, groups=[pupils], rights=[right])
        cp_pupil = make_user("Léo", "Roux", Profile.STUDENT)
        do_add_to_class(cp_pupil, personas.empty_class, MembershipSource.FEED)
        return Audience([personas.pupil], cp_pupil, personas.other_pupil)
    if kind == "school group":
        teachers = ensure_structure_groups(personas.school)[Profile.TEACHER]
        check_share(teacher, node, groups=[teachers], rights=[right])
        return Audience([personas.colleague], personas.pupil, personas.other_teacher)
    if kind == "manual group":
        group = _manual_group(personas, [personas.school_admin])
        check_share(teacher, node, groups=[group], rights=[right])
        return Audience([personas.school_admin], personas.colleague, personas.other_teacher)
    if kind == "bookmark":
        parents = ensure_class_groups(personas.school_class)[Profile.RELATIVE]
        bookmark = do_create_bookmark(teacher, "Équipe", users=[personas.colleague],
                                      groups=[parents])
        outcome = check_share(teacher, node, bookmark=bookmark, rights=[right])
        assert outcome.created == 2 and not outcome.skipped_users
        # Expanded at share time: one row per member, none to the bookmark itself.
        assert {s.grantee_key for s in outcome.shares} == {f"user:{personas.colleague.pk}",
                                                           f"group:{parents.pk}"}
        assert all(s.via == "bookmark" and s.bookmark_name == "Équipe" for s in outcome.shares)
        return Audience([personas.colleague, personas.parent], personas.school_admin,
                        personas.other_teacher)
    raise AssertionError(kind)


def expect_access(user: User, node: Node, right: str, allowed: bool, visible: bool) -> None:
    if allowed:
        assert access_node(user, node.pk, right).pk == node.pk
    else:
        with pytest.raises(Http404 if not visible else PermissionDenied):
            access_node(user, node.pk, right)


@pytest.mark.parametrize("right", RIGHTS)
@pytest.mark.parametrize("kind", GRANTEE_KINDS)
def test_share_matrix(personas, kind, right):
    teacher = personas.teacher
    folder = check_create_folder(teacher, "Partagé")
    doc = upload(teacher, "cours.txt", b"lesson\n", folder)
    audience = share_to(kind, personas, folder, right)
    gives = GIVES[right]

    for member in audience.members:
        for node in (folder, doc):  # the folder's share reaches what it holds
            assert rights_of(member, node) == gives
            for asked in RIGHTS:
                expect_access(member, node, asked, asked in gives, visible=True)
        assert folder in shared_with_me(member)
    for outsider in (audience.non_member, audience.stranger):
        assert rights_of(outsider, doc) == frozenset()
        for node in (folder, doc):
            for asked in RIGHTS:
                expect_access(outsider, node, asked, False, visible=False)
        assert not shared_with_me(outsider).exists()
        with pytest.raises(DocumentError):
            check_upload(outsider, SimpleUploadedFile("x.txt", b"x"), folder)
    assert rights_of(teacher, doc) == ALL  # the owner keeps everything

    member = audience.members[0]
    may_contrib = Right.CONTRIB in gives
    may_manage = Right.MANAGE in gives

    # Contribute: add a file to the shared folder, upload a new version.
    if may_contrib:
        added = check_upload(member, SimpleUploadedFile("ajout.txt", b"mine"), folder)
        assert added.parent_id == folder.pk and added.owner_id == member.pk
        check_new_version(member, doc, SimpleUploadedFile("cours.txt", b"lesson v2\n"))
        assert quota_of(teacher).used == 7 + 10  # versions are charged to the file's owner
    else:
        with pytest.raises(DocumentError):
            check_upload(member, SimpleUploadedFile("ajout.txt", b"mine"), folder)
        with pytest.raises(DocumentError):
            check_new_version(member, doc, SimpleUploadedFile("cours.txt", b"v2"))
        assert not Node.objects.filter(parent=folder, name="ajout.txt").exists()

    # Reading is enough to copy into one's own documents.
    copy = check_copy(member, doc, None)
    assert copy.owner_id == member.pk and access_node(member, copy.pk, Right.MANAGE)

    # Manage: rename, move, share further, delete (to the deleter's trash).
    inner = check_create_folder(teacher, "Sous-dossier", folder)
    if may_manage:
        assert check_rename(member, doc, "renommé.txt").name == "renommé.txt"
        check_move(member, doc, inner)
        check_share(member, doc, users=[teacher], rights=[Right.READ])  # owner: skipped
        check_trash(member, Node.objects.get(pk=doc.pk))
        assert [n.pk for n in trash_of(member)] == [doc.pk]
        assert not trash_of(teacher).exists()
    else:
        with pytest.raises(DocumentError):
            check_rename(member, doc, "renommé.txt")
        with pytest.raises(DocumentError):
            check_move(member, doc, inner)
        with pytest.raises(SharingError):
            check_share(member, doc, users=[teacher], rights=[Right.READ])
        with pytest.raises(DocumentError):
            check_trash(member, doc)
        doc.refresh_from_db()
        assert (doc.name, doc.parent_id, doc.trashed_at) == ("cours.txt", folder.pk, None)
    # Nobody but the owner may put a shared node at the top of their own documents.
    with pytest.raises(DocumentError):
        check_move(member, Node.objects.get(pk=inner.pk), None)


def test_rights_are_the_union_of_every_share_that_reaches(personas):
    teacher, colleague = personas.teacher, personas.colleague
    doc = upload(teacher)
    teachers = ensure_structure_groups(personas.school)[Profile.TEACHER]
    check_share(teacher, doc, groups=[teachers], rights=[Right.COMMENT])
    check_share(teacher, doc, users=[colleague], rights=[Right.CONTRIB])
    assert rights_of(colleague, doc) == {Right.READ, Right.COMMENT, Right.CONTRIB}
    # Leaving the group takes its share's rights away, not the name share's.
    Membership.objects.filter(user=colleague, group=teachers).delete()
    assert rights_of(colleague, doc) == {Right.READ, Right.CONTRIB}


def test_anonymous_holds_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    doc = upload(personas.teacher)
    assert rights_of(AnonymousUser(), doc) == frozenset()
    with pytest.raises(Http404):
        access_node(AnonymousUser(), doc.pk)  # type: ignore[arg-type]


def test_missing_node_and_wrong_kind_are_404(personas):
    doc = upload(personas.teacher)
    with pytest.raises(Http404):
        access_node(personas.teacher, doc.pk + 1000)
    with pytest.raises(Http404):
        access_node(personas.teacher, doc.pk, kind="folder")


# -- inheritance ---------------------------------------------------------------------------


def test_folder_shares_reach_every_level_and_a_document_adds_its_own(personas):
    teacher, pupil = personas.teacher, personas.pupil
    top = check_create_folder(teacher, "Classe")
    middle = check_create_folder(teacher, "Sciences", top)
    deep = check_create_folder(teacher, "Plantes", middle)
    doc = upload(teacher, "fiche.txt", b"abc", deep)
    pupils = ensure_class_groups(personas.school_class)[Profile.STUDENT]
    check_share(teacher, top, groups=[pupils], rights=[Right.READ])
    assert rights_of(pupil, doc) == {Right.READ}
    check_share(teacher, doc, users=[pupil], rights=[Right.CONTRIB])
    assert rights_of(pupil, doc) == {Right.READ, Right.CONTRIB}
    assert rights_of(pupil, deep) == {Right.READ}  # the document's share stays on it
    # Only the shared node is listed in "Shared with me"; the rest is reached through it.
    assert {n.pk for n in shared_with_me(pupil)} == {top.pk, doc.pk}


def test_moving_out_of_a_shared_folder_takes_the_inherited_access_away(personas):
    teacher, pupil, colleague = personas.teacher, personas.pupil, personas.colleague
    shared = check_create_folder(teacher, "Partagé")
    private = check_create_folder(teacher, "Privé")
    doc = upload(teacher, "a.txt", b"a", shared)
    own = upload(teacher, "b.txt", b"b", shared)
    pupils = ensure_class_groups(personas.school_class)[Profile.STUDENT]
    check_share(teacher, shared, groups=[pupils], rights=[Right.READ])
    check_share(teacher, own, users=[colleague], rights=[Right.READ])
    assert access_node(pupil, doc.pk)
    check_move(teacher, doc, private)
    check_move(teacher, Node.objects.get(pk=own.pk), private)
    with pytest.raises(Http404):
        access_node(pupil, doc.pk)
    with pytest.raises(Http404):
        access_node(pupil, own.pk)
    assert access_node(colleague, own.pk)  # its own share moved with it
    # And back in: the access returns.
    check_move(teacher, Node.objects.get(pk=doc.pk), shared)
    assert access_node(pupil, doc.pk)


def test_moving_a_subfolder_out_takes_its_whole_content_out(personas):
    teacher, pupil = personas.teacher, personas.pupil
    shared = check_create_folder(teacher, "Partagé")
    sub = check_create_folder(teacher, "Sous", shared)
    doc = upload(teacher, "a.txt", b"a", sub)
    pupils = ensure_class_groups(personas.school_class)[Profile.STUDENT]
    check_share(teacher, shared, groups=[pupils], rights=[Right.READ])
    assert access_node(pupil, doc.pk)
    check_move(teacher, sub, None)
    with pytest.raises(Http404):
        access_node(pupil, doc.pk)


# -- the trash -------------------------------------------------------------------------------


def test_trashed_items_disappear_from_shares(personas):
    teacher, colleague = personas.teacher, personas.colleague
    folder = check_create_folder(teacher, "Partagé")
    inside = upload(teacher, "a.txt", b"abc", folder)
    doc = upload(teacher, "b.txt", b"defg")
    check_share(teacher, folder, users=[colleague], rights=[Right.READ])
    check_share(teacher, doc, users=[colleague], rights=[Right.READ])
    assert shared_with_me(colleague).count() == 2
    check_trash(teacher, folder)
    check_trash(teacher, doc)
    assert not shared_with_me(colleague).exists()
    for node in (folder, inside, doc):
        with pytest.raises(Http404):
            access_node(colleague, node.pk)
    assert quota_of(teacher).used == 7  # still counted until the trash is emptied
    # Restored, the shares are back (they were kept).
    check_restore(teacher, Node.objects.get(pk=folder.pk))
    assert access_node(colleague, inside.pk)


def test_the_trash_of_a_shared_node_belongs_to_whoever_deleted_it(personas):
    teacher, colleague = personas.teacher, personas.colleague
    doc = upload(teacher, "a.txt", b"abc")
    check_share(teacher, doc, users=[colleague], rights=[Right.MANAGE])
    check_trash(colleague, doc)
    assert list(trash_of(colleague)) == [doc]
    assert not trash_of(teacher).exists()
    node = Node.objects.get(pk=doc.pk)
    with pytest.raises(DocumentError):
        check_delete_for_good(teacher, node)
    with pytest.raises(DocumentError):
        check_restore(teacher, node)
    assert quota_of(teacher).used == 3  # charged to the owner, not the deleter
    assert quota_of(colleague).used == 0
    check_delete_for_good(colleague, node)
    assert quota_of(teacher).used == 0 == recount_quota(teacher.pk)


# -- owners leaving ------------------------------------------------------------------------


def _age_share(resource: Node, user: User, days: int) -> None:
    Share.objects.filter(resource_id=resource.pk, user=user).update(
        created_at=timezone.now() - datetime.timedelta(days=days))


def test_leaving_owner_hands_a_folder_to_its_first_manager_by_date(personas):
    teacher, colleague, admin = personas.teacher, personas.colleague, personas.school_admin
    folder = check_create_folder(teacher, "Projet")
    sub = check_create_folder(teacher, "Images", folder)
    a = upload(teacher, "a.txt", b"a" * 10, folder)
    b = upload(teacher, "b.txt", b"b" * 20, sub)
    check_new_version(teacher, b, SimpleUploadedFile("b.txt", b"B" * 5))
    check_share(teacher, folder, users=[admin], rights=[Right.MANAGE])
    check_share(teacher, folder, users=[colleague], rights=[Right.MANAGE])
    _age_share(folder, colleague, 3)  # shared first with the colleague
    _age_share(folder, admin, 1)
    # Someone else's file inside the folder stays theirs.
    check_share(teacher, folder, users=[personas.pupil], rights=[Right.CONTRIB])
    pupils_file = upload(personas.pupil, "élève.txt", b"p" * 7, folder)
    alone = upload(teacher, "seul.txt", b"s" * 100)

    report = do_release_owner_data([teacher.pk])

    assert report.handed_over == 4  # folder, sub-folder, two files
    assert report.deleted == 1 and report.freed == 100
    for node in (folder, sub, a, b):
        node.refresh_from_db()
        assert node.owner_id == colleague.pk
    folder.refresh_from_db()
    assert folder.parent_id is None and folder.path == "/"
    assert FileVersion.objects.filter(node=b).count() == 2  # the versions went with it
    pupils_file.refresh_from_db()
    assert pupils_file.owner_id == personas.pupil.pk and pupils_file.parent_id == folder.pk
    assert not Node.objects.filter(pk=alone.pk).exists()
    # The space moves with the files: 10 + 20 + 5 bytes.
    assert quota_of(colleague).used == 35 == recount_quota(colleague.pk)
    assert quota_of(teacher).used == 0 == recount_quota(teacher.pk)
    # The heir owns it now (no share to themselves); the other manager keeps theirs.
    assert rights_of(colleague, b) == ALL
    assert not Share.objects.filter(resource_id=folder.pk, user=colleague).exists()
    assert rights_of(admin, b) == ALL
    assert rights_of(personas.pupil, a) == {Right.READ, Right.CONTRIB}


def test_leaving_owner_without_a_manager_loses_everything(personas,
                                                          django_capture_on_commit_callbacks):
    teacher, colleague = personas.teacher, personas.colleague
    folder = check_create_folder(teacher, "Projet")
    read_only = upload(teacher, "lu.txt", b"r" * 10, folder)
    contrib = upload(teacher, "contrib.txt", b"c" * 10)
    to_group = upload(teacher, "groupe.txt", b"g" * 10)
    trashed = upload(teacher, "jeté.txt", b"t" * 10)
    check_share(teacher, folder, users=[colleague], rights=[Right.READ])
    check_share(teacher, contrib, users=[colleague], rights=[Right.CONTRIB, Right.COMMENT])
    # Gestion given to a group does not name a person to hand the file to.
    teachers = ensure_structure_groups(personas.school)[Profile.TEACHER]
    check_share(teacher, to_group, groups=[teachers], rights=[Right.MANAGE])
    check_share(teacher, trashed, users=[colleague], rights=[Right.MANAGE])
    check_trash(teacher, trashed)
    keys = set(FileVersion.objects.filter(node__owner=teacher).values_list("blob_key", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        report = do_release_owner_data([teacher.pk])

    assert (report.handed_over, report.deleted, report.freed) == (0, 5, 40)
    assert not Node.objects.filter(owner=teacher).exists()
    assert not Node.objects.filter(owner=colleague).exists()
    assert not Share.objects.filter(resource_id__in=[folder.pk, read_only.pk, contrib.pk,
                                                     to_group.pk, trashed.pk]).exists()
    assert not any(storage.exists(key) for key in keys)
    assert quota_of(teacher).used == 0


def test_two_leaving_owners_do_not_hand_over_to_each_other(personas):
    teacher, colleague = personas.teacher, personas.colleague
    doc = upload(teacher, "a.txt", b"a")
    check_share(teacher, doc, users=[colleague], rights=[Right.MANAGE])
    report = do_release_owner_data([teacher.pk, colleague.pk])
    assert (report.handed_over, report.deleted) == (0, 1)
    assert not Node.objects.filter(pk=doc.pk).exists()


def test_a_document_shared_on_its_own_inside_a_lost_folder_is_handed_alone(personas):
    teacher, colleague = personas.teacher, personas.colleague
    folder = check_create_folder(teacher, "Privé")
    doc = upload(teacher, "garde.txt", b"keep", folder)
    upload(teacher, "perdu.txt", b"lost", folder)
    check_share(teacher, doc, users=[colleague], rights=[Right.MANAGE])
    report = do_release_owner_data([teacher.pk])
    assert (report.handed_over, report.deleted) == (1, 2)
    doc.refresh_from_db()
    assert (doc.owner_id, doc.parent_id, doc.path) == (colleague.pk, None, "/")
    assert access_node(colleague, doc.pk, Right.MANAGE)
    assert quota_of(colleague).used == 4 == recount_quota(colleague.pk)


# -- bad uploads -----------------------------------------------------------------------------


BOUNDARY = "----preau-test-boundary"
BLOB_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}$")


def posted_file(raw_name: str, data: bytes = b"data") -> UploadedFile | None:
    """The file Django hands to a view for a multipart part named exactly `raw_name`."""
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{raw_name}\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    body += data + f"\r\n--{BOUNDARY}--\r\n".encode()
    request = RequestFactory().generic(
        "POST", "/", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}")
    return request.FILES.get("file")


@pytest.mark.parametrize(("sent", "kept"), [
    ("../x", "x"),
    ("../../etc/passwd", "passwd"),
    ("a/b\\c", "c"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("/absolute/path.txt", "path.txt"),
    ("a\x01b\tc\x1b.txt", "abc.txt"),
    ("  espaces.txt  ", "espaces.txt"),
    ("cafe\u0301.txt", "café.txt"),  # NFC: one way to write a name
    ("x" * 300 + ".txt", "x" * 251 + ".txt"),  # Django cuts a posted name at 255
])
def test_uploaded_names_keep_only_their_last_clean_component(personas, sent, kept):
    posted = posted_file(sent)
    assert posted is not None
    node = check_upload(personas.teacher, posted)
    assert node.name == kept
    assert node.parent_id is None
    assert BLOB_KEY.match(node.current.blob_key)  # the name never reaches the storage


@pytest.mark.parametrize("sent", ["", ".", "..", "../", "a/.."])
def test_posted_files_without_a_name_are_not_files(sent):
    assert posted_file(sent) is None


@pytest.mark.parametrize("sent", ["", ".", "..", "../", "a/..", "a\\..", "\x00\x01", "   ",
                                  "x" * 300, "dossier/" + "y" * 256])
def test_names_that_cannot_be_kept_are_refused(personas, sent):
    teacher = personas.teacher
    with pytest.raises(DocumentError):
        check_create_folder(teacher, sent)
    with pytest.raises(DocumentError):
        do_store_app_file(teacher, App.MESSAGING, io.BytesIO(b"data"), sent, 4)
    doc = upload(teacher, "garde.txt", b"data")
    with pytest.raises(DocumentError):
        check_rename(teacher, doc, sent)
    doc.refresh_from_db()
    assert doc.name == "garde.txt"
    assert Node.objects.count() == 1
    assert quota_of(teacher).used == 4 == recount_quota(teacher.pk)


def test_names_from_other_apps_lose_their_path_too(personas):
    node = do_store_app_file(personas.teacher, App.MESSAGING, io.BytesIO(b"data"),
                             "../../pièce jointe.pdf", 4)
    assert (node.name, node.app, node.parent_id) == ("pièce jointe.pdf", App.MESSAGING, None)


def test_a_255_character_name_is_kept(personas):
    assert upload(personas.teacher, "n" * 251 + ".txt", b"x").name == "n" * 251 + ".txt"


def test_empty_file_refused_and_nothing_charged(personas):
    with pytest.raises(DocumentError) as refused:
        upload(personas.teacher, "vide.txt", b"")
    assert refused.value.status == 400
    assert quota_of(personas.teacher).used == 0


def test_too_large_file_refused_with_413(personas, settings):
    settings.PREAU_UPLOAD_MAX_BYTES = 10
    assert upload(personas.teacher, "ok.txt", b"x" * 10)
    with pytest.raises(FileTooLarge) as refused:
        upload(personas.teacher, "gros.txt", b"x" * 11)
    assert refused.value.status == 413
    assert quota_of(personas.teacher).used == 10


def test_upload_handler_stops_reading_past_the_limit(settings):
    """The first upload handler aborts parsing: the file never reaches the disk whole."""
    settings.PREAU_UPLOAD_MAX_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = SimpleUploadedFile("gros.bin", b"x" * (256 * 1024))
    request = RequestFactory().post("/", {"file": big, "folder": "3"})
    assert "file" not in request.FILES
    assert request.preau_upload_too_large == "gros.bin"  # type: ignore[attr-defined]
    small = RequestFactory().post("/", {"file": SimpleUploadedFile("petit.txt", b"ok")})
    assert small.FILES["file"].read() == b"ok"
    assert not hasattr(small, "preau_upload_too_large")


def test_upload_only_into_a_live_folder(personas):
    teacher = personas.teacher
    doc = upload(teacher, "a.txt", b"a")
    with pytest.raises(DocumentError):
        check_upload(teacher, SimpleUploadedFile("b.txt", b"b"), doc)  # a file, not a folder
    folder = check_create_folder(teacher, "Jeté")
    check_trash(teacher, folder)
    folder.refresh_from_db()
    with pytest.raises(DocumentError):
        check_upload(teacher, SimpleUploadedFile("b.txt", b"b"), folder)
    assert quota_of(teacher).used == 1


def test_an_erased_manager_is_passed_over_for_the_next_one(personas):
    teacher, colleague, admin = personas.teacher, personas.colleague, personas.school_admin
    doc = upload(teacher, "a.txt", b"abc")
    check_share(teacher, doc, users=[colleague], rights=[Right.MANAGE])
    check_share(teacher, doc, users=[admin], rights=[Right.MANAGE])
    _age_share(doc, colleague, 2)
    User.objects.filter(pk=colleague.pk).update(state=State.DELETED)  # erased earlier
    do_release_owner_data([teacher.pk])
    doc.refresh_from_db()
    assert doc.owner_id == admin.pk


def test_trashed_content_of_a_handed_folder_is_deleted_not_handed(personas):
    teacher, colleague = personas.teacher, personas.colleague
    folder = check_create_folder(teacher, "Projet")
    kept = upload(teacher, "garde.txt", b"k" * 4, folder)
    binned = upload(teacher, "jeté.txt", b"j" * 9, folder)
    check_share(teacher, folder, users=[colleague], rights=[Right.MANAGE])
    check_trash(teacher, binned)
    report = do_release_owner_data([teacher.pk])
    assert (report.handed_over, report.deleted, report.freed) == (2, 1, 9)
    kept.refresh_from_db()
    assert kept.owner_id == colleague.pk
    assert not Node.objects.filter(pk=binned.pk).exists()
    assert quota_of(colleague).used == 4 == recount_quota(colleague.pk)
