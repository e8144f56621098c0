"""Writes on the Espace documentaire. Pages, the API and other apps call these.

`check_*` functions take the acting user, check their rights through `access` (or raise
`DocumentError` with a message for the user), then call the matching `do_*`. Bytes move
outside the database transaction; the quota is reserved first (one conditional UPDATE, so
concurrent uploads can never together overshoot) and given back if anything fails.
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import CharField, F, Q, Sum, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.models import State, User
from preau.documents import media, storage
from preau.documents.access import node_rights
from preau.documents.media import first_thumbnail_state, sniff_type
from preau.documents.models import (
    DEFAULT_QUOTAS,
    UNSET_QUOTA,
    WARN_RATIO,
    App,
    FileVersion,
    Node,
    NodeKind,
    Quota,
    QuotaDefault,
    ThumbnailState,
)
from preau.documents.sizes import size_label
from preau.lib.errors import Refusal
from preau.lib.text import clean_line
from preau.sharing.actions import do_delete_resource_shares
from preau.sharing.models import Right, Share

log = logging.getLogger(__name__)
MAX_NAME = 255


class DocumentError(Refusal):
    """A refused action; the message is for the user."""


class FileTooLarge(DocumentError):
    status = 413
    detail_fields = ("limit",)

    @property
    def limit(self) -> int:
        """The per-file limit, in bytes."""
        return int(settings.PREAU_UPLOAD_MAX_BYTES)


class QuotaExceeded(DocumentError):
    status = 413
    detail_fields = ("used", "limit", "free", "size")

    def __init__(self, used: int, limit: int, size: int) -> None:
        self.used, self.limit, self.size = used, limit, size
        self.free = max(limit - used, 0)
        super().__init__(_(
            "Not enough space for this file (%(size)s): you use %(used)s of %(limit)s, "
            "%(free)s are free. To free space, delete files you no longer need (also in "
            "“Documents added in apps”), then empty the trash: deleted files count until "
            "the trash is emptied.") % {
                "size": size_label(size), "used": size_label(used),
                "limit": size_label(limit), "free": size_label(self.free)})


class OwnerSpaceFull(DocumentError):
    """A contributor's new version does not fit in the file owner's space: 413, without
    the owner's figures (they are the owner's business)."""

    status = 413


# -- quota ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaInfo:
    used: int
    limit: int

    @property
    def free(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def ratio(self) -> float:
        return self.used / self.limit if self.limit else 1.0

    @property
    def percent(self) -> int:
        return min(100, round(self.ratio * 100))

    @property
    def warning(self) -> bool:
        return self.ratio >= WARN_RATIO


def profile_quota(profile: str) -> int:
    row = QuotaDefault.objects.filter(profile=profile).values_list("limit", flat=True).first()
    if row is not None:
        return row
    return DEFAULT_QUOTAS.get(profile, UNSET_QUOTA)


def _quota_row(user: User) -> Quota:
    row, _created = Quota.objects.get_or_create(user=user)
    return row


def quota_limit(user: User, row: Quota | None = None) -> int:
    row = row or _quota_row(user)
    return row.limit_override if row.limit_override is not None else profile_quota(user.profile)


def quota_of(user: User) -> QuotaInfo:
    row = _quota_row(user)
    return QuotaInfo(used=row.used, limit=quota_limit(user, row))


def reserve_space(user: User, size: int) -> None:
    """Charge `size` bytes to `user`, or raise QuotaExceeded. Atomic: the check and the
    increment are one UPDATE … WHERE used + size <= limit, committed at once."""
    row = _quota_row(user)
    limit = quota_limit(user, row)
    with transaction.atomic():
        charged = Quota.objects.filter(user=user, used__lte=limit - size).update(
            used=F("used") + size)
    if not charged:
        row.refresh_from_db()
        raise QuotaExceeded(row.used, limit, size)
    _check_warning(user)


def force_charge(user_id: int, size: int) -> None:
    """Charge without a limit (a document handed over to its manager must not be lost)."""
    Quota.objects.get_or_create(user_id=user_id)
    Quota.objects.filter(user_id=user_id).update(used=F("used") + size)


def release_space(user_id: int, size: int) -> None:
    if size:
        Quota.objects.filter(user_id=user_id).update(used=F("used") - size)


def _check_warning(user: User) -> None:
    """Tell the user once when they pass 80 %; forget it when they go back under."""
    row = _quota_row(user)
    info = QuotaInfo(used=row.used, limit=quota_limit(user, row))
    if info.warning and row.warned_at is None:
        Quota.objects.filter(user=user, warned_at__isnull=True).update(warned_at=timezone.now())
        address = user.email or user.academic_email
        if address:
            send_mail(
                _("Your document space is %(percent)s%% full") % {"percent": info.percent},
                _("You use %(used)s of %(limit)s. Delete the files you no longer need, then "
                  "empty the trash: deleted files count until the trash is emptied.") % {
                      "used": size_label(info.used), "limit": size_label(info.limit)},
                None, [address], fail_silently=True)
    elif not info.warning and row.warned_at is not None:
        Quota.objects.filter(user=user).update(warned_at=None)


def check_quota_warning(user: User) -> None:
    """For other apps that charge the quota (the Messagerie's attachments): the 80 % alert."""
    _check_warning(user)


def do_set_profile_quota(profile: str, limit: int) -> None:
    QuotaDefault.objects.update_or_create(profile=profile, defaults={"limit": limit})


def do_set_user_quota(user: User, limit: int | None) -> None:
    _quota_row(user)
    Quota.objects.filter(user=user).update(limit_override=limit)


def recount_quota(user_id: int) -> int:
    """The exact usage, from the versions and the Messagerie's attachment charges (each
    copy of a message records what it charged its holder): for repair and for tests."""
    from preau.messaging.models import MessageCopy  # the one app that charges this quota too

    total = FileVersion.objects.filter(node__owner_id=user_id).aggregate(s=Sum("size"))["s"] or 0
    total += MessageCopy.objects.filter(user_id=user_id).aggregate(s=Sum("charged"))["s"] or 0
    Quota.objects.update_or_create(user_id=user_id, defaults={"used": total})
    return int(total)


# -- names --------------------------------------------------------------------------------


def clean_name(raw: str) -> str:
    """A file or folder name as the user sees it: no path, no control or invisible format
    character (`clean_line`: a right-to-left override cannot turn "gpj.exe" into "exe.jpg")."""
    name = clean_line((raw or "").replace("\\", "/").split("/")[-1])
    if name in {"", ".", ".."}:
        raise DocumentError(_("This name is not valid."))
    if len(name) > MAX_NAME:
        raise DocumentError(_("A name has at most %(max)s characters.") % {"max": MAX_NAME})
    return name


def _free_name(parent: Node | None, owner: User, app: str, name: str,
               exclude: int | None = None) -> str:
    """`name`, or "name (2).ext" when the folder already has one."""
    siblings = Node.objects.alive().filter(parent=parent)
    if parent is None:
        siblings = siblings.filter(owner=owner, app=app)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    taken = set(siblings.filter(name__startswith=stem).values_list("name", flat=True))
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{ext}"
    return candidate


def _target_folder(actor: User, folder: Node | None) -> None:
    if folder is None:
        return
    if not folder.is_folder or folder.is_trashed:
        raise DocumentError(_("This is not a folder."))
    if Right.CONTRIB not in node_rights(actor, folder):
        raise DocumentError(_("You may not add anything to this folder."))


# -- upload and versions ------------------------------------------------------------------


def check_upload(actor: User, upload: UploadedFile, folder: Node | None = None,
                 app: str = App.DOCUMENTS) -> Node:
    name = clean_name(upload.name or "")
    size = upload.size or 0
    if size == 0:
        raise DocumentError(_("The file “%(name)s” is empty.") % {"name": name})
    check_file_size(size)
    _target_folder(actor, folder)
    return do_upload(actor, upload, name=name, folder=folder, app=app)


def check_file_size(size: int) -> None:
    limit = settings.PREAU_UPLOAD_MAX_BYTES
    if size > limit:
        raise FileTooLarge(_("This file is too large (%(size)s): the limit is %(limit)s per "
                             "file.") % {"size": size_label(size),
                                         "limit": size_label(limit)})


def _store(actor: User, content: IO[bytes] | UploadedFile) -> tuple[str, str]:
    """Write the bytes; return (blob key, sniffed type). No image is opened here: its
    thumbnail is the job's (`queue_thumbnail`)."""
    key = storage.new_key()
    content_type = sniff_type(content)
    storage.save(key, content)
    return key, content_type


def do_upload(actor: User, upload: IO[bytes] | UploadedFile, *, name: str,
              folder: Node | None = None, app: str = App.DOCUMENTS,
              size: int | None = None) -> Node:
    size = size if size is not None else upload.size  # type: ignore[union-attr]
    assert size is not None
    owner = actor
    reserve_space(owner, size)
    key = ""
    try:
        key, content_type = _store(actor, upload)
        with transaction.atomic():
            now = timezone.now()
            node = Node.objects.create(
                kind=NodeKind.FILE, owner=owner, created_by=actor,
                name=_free_name(folder, owner, app, name), parent=folder,
                path=folder.inner_path if folder else "/", app=folder.app if folder else app,
                size=size, content_type=content_type, created_at=now, updated_at=now)
            version = FileVersion.objects.create(
                node=node, number=1, blob_key=key, size=size, content_type=content_type,
                thumbnail_state=first_thumbnail_state(content_type, size), created_by=actor,
                created_at=now)
            node.current = version
            node.save(update_fields=["current"])
    except BaseException:
        release_space(owner.pk, size)
        storage.delete([key])
        raise
    queue_thumbnail(version)
    return node


def do_store_app_file(owner: User, app: str, content: IO[bytes] | UploadedFile, name: str,
                      size: int) -> Node:
    """For other apps: keep a file for `owner` in "Documents ajoutés dans les applis"."""
    if app == App.DOCUMENTS:
        raise ValueError("app files belong to an app")
    return do_upload(owner, content, name=clean_name(name), app=app, size=size)


def check_new_version(actor: User, node: Node, upload: UploadedFile) -> FileVersion:
    if node.is_folder:
        raise DocumentError(_("A folder has no versions."))
    if Right.CONTRIB not in node_rights(actor, node):
        raise DocumentError(_("You may not change this file."))
    size = upload.size or 0
    if size == 0:
        raise DocumentError(_("The file “%(name)s” is empty.") % {"name": upload.name})
    check_file_size(size)
    owner = node.owner
    try:
        reserve_space(owner, size)
    except QuotaExceeded as error:
        if owner.pk == actor.pk:
            raise
        raise OwnerSpaceFull(_(
            "This file (%(size)s) does not fit in the document space of its owner, "
            "%(owner)s: a new version counts in the owner's space. Ask them to free space, "
            "or copy the file into your documents.") % {
                "size": size_label(size), "owner": owner.full_name}) from error
    key = ""
    try:
        key, content_type = _store(actor, upload)
        with transaction.atomic():
            locked = Node.objects.select_for_update().get(pk=node.pk)
            number = (locked.versions.order_by("-number").values_list("number", flat=True)
                      .first() or 0) + 1
            version = FileVersion.objects.create(
                node=locked, number=number, blob_key=key, size=size,
                content_type=content_type,
                thumbnail_state=first_thumbnail_state(content_type, size), created_by=actor)
            Node.objects.filter(pk=node.pk).update(
                current=version, size=size, content_type=content_type,
                updated_at=version.created_at)
    except BaseException:
        release_space(owner.pk, size)
        storage.delete([key])
        raise
    queue_thumbnail(version)
    return version


def check_restore_version(actor: User, node: Node, version: FileVersion) -> None:
    if Right.CONTRIB not in node_rights(actor, node):
        raise DocumentError(_("You may not change this file."))
    if version.node_id != node.pk:
        raise DocumentError(_("This version belongs to another file."))
    Node.objects.filter(pk=node.pk).update(current=version, size=version.size,
                                           content_type=version.content_type,
                                           updated_at=timezone.now())


# -- thumbnails ------------------------------------------------------------------------------


def queue_thumbnail(version: FileVersion) -> None:
    """Ask the background job for a pending version's thumbnail. Called once the version's
    rows are written, outside their own transaction (a job run inline must not hold it);
    inside a caller's transaction the job row commits or rolls back with it. A job that
    cannot be queued marks the thumbnail failed and never fails the upload; one lost in a
    crash between the two leaves the version pending: `preau documents thumbnails`."""
    if version.thumbnail_state != ThumbnailState.PENDING:
        return
    from preau.documents.tasks import make_thumbnail  # the task module imports this one

    try:
        make_thumbnail.enqueue(version.pk)
    except Exception:
        log.exception("thumbnail of version %s not queued", version.pk)
        FileVersion.objects.filter(pk=version.pk).update(thumbnail_state=ThumbnailState.FAILED)
    # The caller answers with this version: show what the job did if it ran inline.
    version.refresh_from_db(fields=["thumbnail_state", "thumbnail_key", "width", "height"])


def do_requeue_thumbnails(*, waiting_since: datetime, retry: set[str] | None = None) -> int:
    """Queue again the thumbnails still pending since before `waiting_since` (their job was
    lost with a worker), and those in the `retry` states (failed, too large: after the
    limits were raised, or images stored before the job existed). Returns how many."""
    versions = FileVersion.objects.filter(
        content_type__in=media.THUMBNAIL_TYPES, size__lte=media.THUMBNAIL_MAX_SOURCE)
    stale = Q(thumbnail_state=ThumbnailState.PENDING, created_at__lt=waiting_since)
    again = Q(thumbnail_state__in=sorted(retry or ()))
    ids = list(versions.filter(stale | again).order_by("pk").values_list("pk", flat=True))
    queued = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        FileVersion.objects.filter(pk__in=chunk).update(
            thumbnail_state=ThumbnailState.PENDING, thumbnail_key="")
        for version in FileVersion.objects.filter(pk__in=chunk).only("thumbnail_state"):
            queue_thumbnail(version)
            queued += 1
    return queued


def do_make_thumbnail(version_id: int) -> str:
    """The job: decode a pending version's image in a child process (media.run_thumbnailer)
    and record the outcome; returns the version's thumbnail state. Idempotent: a version
    that is no longer pending (made, refused, deleted meanwhile) is left as it is. A failed
    or refused decode leaves the file without thumbnail and says why in the log."""
    version = (FileVersion.objects.filter(pk=version_id)
               .only("blob_key", "content_type", "size", "thumbnail_state").first())
    if version is None:
        return ""
    if version.thumbnail_state != ThumbnailState.PENDING:
        return str(version.thumbnail_state)
    expected = media.first_thumbnail_state(version.content_type, version.size)
    if expected != ThumbnailState.PENDING:  # not an image, or a file too heavy to open
        FileVersion.objects.filter(pk=version_id, thumbnail_state=ThumbnailState.PENDING).update(
            thumbnail_state=expected)
        return str(expected)
    thumbnail = ""
    with tempfile.TemporaryDirectory(prefix="thumb-", dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        try:
            source = _local_copy(version.blob_key, Path(tmp))
        except Exception:  # the blob is gone, or the storage did not answer
            log.exception("no thumbnail for version %s: its bytes could not be read",
                          version_id)
            decoded = media.Decoded(ThumbnailState.FAILED, reason="bytes not readable")
        else:
            decoded = media.run_thumbnailer(source, version.content_type,
                                            Path(tmp) / "thumbnail")
        if decoded.thumbnail is not None:
            thumbnail = storage.new_key("thumbs/")
            with decoded.thumbnail.open("rb") as handle:
                storage.save(thumbnail, handle)
    updated = FileVersion.objects.filter(
        pk=version_id, thumbnail_state=ThumbnailState.PENDING).update(
            thumbnail_state=decoded.state, thumbnail_key=thumbnail, width=decoded.width,
            height=decoded.height)
    if not updated:  # deleted (or made by another run) while we decoded
        storage.delete([thumbnail])
        return str(FileVersion.objects.filter(pk=version_id)
                   .values_list("thumbnail_state", flat=True).first() or "")
    level = logging.INFO if decoded.state == ThumbnailState.READY else logging.WARNING
    log.log(level, "thumbnail of version %s: %s%s (%sx%s pixels, child's peak %s KiB)",
            version_id, decoded.state, f", {decoded.reason}" if decoded.reason else "",
            decoded.width, decoded.height, decoded.peak_kib)
    return str(decoded.state)


def _local_copy(key: str, folder: Path) -> Path:
    """A path the child process can open: the blob itself on the local disk, else a copy
    streamed from the storage (1 MiB at a time) into the job's temporary folder."""
    path = storage.open_local_path(key)
    if path is not None:
        if not Path(path).is_file():
            raise FileNotFoundError(path)
        return Path(path)
    target = folder / "source"
    with target.open("wb") as out:
        for chunk in storage.stream(key):
            out.write(chunk)
    return target


# -- folders, names, moves, copies ----------------------------------------------------------


def check_create_folder(actor: User, name: str, parent: Node | None = None) -> Node:
    name = clean_name(name)
    _target_folder(actor, parent)
    return Node.objects.create(
        kind=NodeKind.FOLDER, owner=actor, created_by=actor, parent=parent,
        name=_free_name(parent, actor, App.DOCUMENTS, name),
        path=parent.inner_path if parent else "/", app=parent.app if parent else App.DOCUMENTS)


def check_rename(actor: User, node: Node, name: str) -> Node:
    if Right.MANAGE not in node_rights(actor, node):
        raise DocumentError(_("You need the “manage” right to rename this."))
    name = clean_name(name)
    if name != node.name:
        node.name = _free_name(node.parent, node.owner, node.app, name, exclude=node.pk)
        node.updated_at = timezone.now()
        node.save(update_fields=["name", "updated_at"])
    return node


@transaction.atomic
def check_move(actor: User, node: Node, target: Node | None) -> Node:
    """Move into `target` (None: the actor's root, only for their own nodes)."""
    if Right.MANAGE not in node_rights(actor, node):
        raise DocumentError(_("You need the “manage” right to move this."))
    if target is None and node.owner_id != actor.pk:
        raise DocumentError(_("Only its owner can put this at the top of their documents."))
    _target_folder(actor, target)
    if target is not None and (target.pk == node.pk
                               or target.path.startswith(node.inner_path)):
        raise DocumentError(_("A folder cannot go inside itself."))
    old_inner = node.inner_path
    node.parent = target
    node.path = target.inner_path if target else "/"
    node.app = target.app if target else App.DOCUMENTS
    node.name = _free_name(target, node.owner, node.app, node.name, exclude=node.pk)
    node.save(update_fields=["parent", "path", "app", "name"])
    _rewrite_paths(old_inner, node.inner_path, node.app)
    return node


def _rewrite_paths(old_inner: str, new_inner: str, app: str) -> None:
    Node.objects.filter(path__startswith=old_inner).update(
        path=Concat(Value(new_inner), Substr("path", len(old_inner) + 1),
                    output_field=CharField()), app=app)


def check_copy(actor: User, node: Node, target: Node | None) -> Node:
    """Copy into `target` or into the actor's documents; the copy is the actor's."""
    if Right.READ not in node_rights(actor, node):
        raise DocumentError(_("You may not copy this."))
    _target_folder(actor, target)
    files = list(Node.objects.alive().subtree(node).filter(kind=NodeKind.FILE)
                 .select_related("current"))
    total = sum(f.current.size for f in files if f.current)
    reserve_space(actor, total)
    keys: list[str] = []
    waiting: list[FileVersion] = []  # copies of images whose thumbnail is still being made
    try:
        with transaction.atomic():
            copy = _copy_tree(actor, node, target, keys, waiting)
    except BaseException:
        release_space(actor.pk, total)
        storage.delete(keys)
        raise
    for version in waiting:
        queue_thumbnail(version)
    return copy


def _copy_tree(actor: User, node: Node, parent: Node | None, keys: list[str],
               waiting: list[FileVersion]) -> Node:
    now = timezone.now()
    app = parent.app if parent else App.DOCUMENTS
    copy = Node.objects.create(
        kind=node.kind, owner=actor, created_by=actor, parent=parent,
        name=_free_name(parent, actor, app, node.name), path=parent.inner_path if parent else "/",
        app=app, size=node.size, content_type=node.content_type, created_at=now, updated_at=now)
    if node.kind == NodeKind.FILE and node.current is not None:
        source = node.current
        key = storage.new_key()
        keys.append(key)
        storage.copy(source.blob_key, key)
        thumbnail = ""
        if source.thumbnail_key:  # the same image: its thumbnail is copied, not made again
            thumbnail = storage.new_key("thumbs/")
            keys.append(thumbnail)
            storage.copy(source.thumbnail_key, thumbnail)
        version = FileVersion.objects.create(
            node=copy, number=1, blob_key=key, size=source.size,
            content_type=source.content_type, thumbnail_key=thumbnail,
            thumbnail_state=source.thumbnail_state,
            width=source.width, height=source.height, created_by=actor, created_at=now)
        copy.current = version
        copy.save(update_fields=["current"])
        if version.thumbnail_state == ThumbnailState.PENDING:
            waiting.append(version)
    for child in Node.objects.alive().filter(parent=node).select_related("current"):
        _copy_tree(actor, child, copy, keys, waiting)
    return copy


# -- trash ----------------------------------------------------------------------------------


def _place_of(node: Node) -> str:
    ids = list(reversed(node.ancestor_ids))
    names = dict(Node.objects.filter(pk__in=ids).values_list("pk", "name"))
    return " / ".join([_("My documents"), *[names[i] for i in ids if i in names]])


@transaction.atomic
def check_trash(actor: User, node: Node) -> None:
    """Delete: the node and its content go to the actor's trash (still counted)."""
    if Right.MANAGE not in node_rights(actor, node):
        raise DocumentError(_("You need the “manage” right to delete this."))
    now = timezone.now()
    Node.objects.alive().subtree(node).update(trashed_at=now, trashed_by=actor,
                                              trash_root=node)
    Node.objects.filter(pk=node.pk).update(trash_origin=_place_of(node))


@transaction.atomic
def check_restore(actor: User, node: Node) -> Node:
    """Back where it was; at the owner's top level when that folder is gone or deleted."""
    if node.trashed_by_id != actor.pk or node.trash_root_id != node.pk:
        raise DocumentError(_("This is not in your trash."))
    parent = node.parent
    if parent is not None and parent.is_trashed:
        node.parent = None
        node.path = "/"
        old_inner = node.inner_path
        node.save(update_fields=["parent", "path"])
        _rewrite_paths(old_inner, node.inner_path, node.app)
    node.name = _free_name(node.parent, node.owner, node.app, node.name, exclude=node.pk)
    node.save(update_fields=["name"])
    Node.objects.filter(trash_root=node).update(trashed_at=None, trashed_by=None,
                                                trash_root=None, trash_origin="")
    node.refresh_from_db()
    return node


def check_delete_for_good(actor: User, node: Node) -> int:
    if node.trashed_by_id != actor.pk or node.trash_root_id != node.pk:
        raise DocumentError(_("This is not in your trash."))
    return destroy_nodes(list(Node.objects.subtree(node).values_list("pk", flat=True)))


def do_empty_trash(actor: User) -> int:
    """Delete for good everything in the actor's trash; returns the bytes freed."""
    roots = Node.objects.filter(trashed_by=actor, trash_root_id=F("pk"))
    ids: set[int] = set()
    for root in roots:
        ids |= set(Node.objects.subtree(root).values_list("pk", flat=True))
    return destroy_nodes(sorted(ids))


def destroy_nodes(ids: Iterable[int]) -> int:
    """Remove nodes, their versions, their shares and their bytes; give the space back."""
    ids = list(ids)
    if not ids:
        return 0
    with transaction.atomic():
        versions = list(FileVersion.objects.filter(node_id__in=ids)
                        .values_list("node__owner_id", "size", "blob_key", "thumbnail_key"))
        freed: dict[int, int] = defaultdict(int)
        keys: list[str] = []
        for owner_id, size, key, thumbnail in versions:
            freed[owner_id] += size
            keys += [key, thumbnail]
        do_delete_resource_shares(Node.share_type, ids)
        Node.objects.filter(pk__in=ids).update(current=None, trash_root=None)
        FileVersion.objects.filter(node_id__in=ids).delete()
        # Children before parents (PROTECT): deepest paths first.
        nodes = sorted(Node.objects.filter(pk__in=ids).values_list("pk", "path"),
                       key=lambda row: -row[1].count("/"))
        for pk, _path in nodes:
            Node.objects.filter(pk=pk).delete()
        for owner_id, size in freed.items():
            release_space(owner_id, size)
        transaction.on_commit(lambda: storage.delete([k for k in keys if k]))
    for owner_id in freed:
        user = User.objects.filter(pk=owner_id).first()
        if user is not None:
            _check_warning(user)
    return sum(freed.values())


# -- owners leaving -------------------------------------------------------------------------


@dataclass
class HandOverReport:
    handed_over: int = 0  # nodes given to a manager
    deleted: int = 0  # nodes deleted
    freed: int = 0  # bytes


def do_release_owner_data(user_ids: Iterable[int]) -> HandOverReport:
    """Final deletion of accounts: each top node on which another user holds *gestion* (by
    name) goes to that user, the first manager by date, with everything inside it; the rest
    is deleted and its space freed. Called by the feeds' life cycle."""
    report = HandOverReport()
    leaving = set(user_ids)
    ordered = sorted(leaving)
    owners: set[int] = set()
    for start in range(0, len(ordered), 1000):  # a feed deletes thousands: ask by batches
        owners.update(Node.objects.filter(owner_id__in=ordered[start:start + 1000])
                      .values_list("owner_id", flat=True).distinct())
    for uid in sorted(owners):
        _release_one(uid, leaving, report)
    return report


def _release_one(uid: int, leaving: set[int], report: HandOverReport) -> None:
    owned = list(Node.objects.filter(owner_id=uid).order_by("path", "pk"))
    if not owned:
        return
    owned_ids = {n.pk for n in owned}
    managers = (Share.objects.filter(resource_type=Node.share_type, resource_id__in=owned_ids,
                                     can_manage=True, user__isnull=False)
                .exclude(user__state=State.DELETED)  # an erased account cannot receive
                .order_by("created_at", "pk").values_list("resource_id", "user_id"))
    first_manager: dict[int, int] = {}
    for resource_id, user_id in managers:
        if user_id not in leaving:  # filtered here: `leaving` may hold thousands of ids
            first_manager.setdefault(resource_id, user_id)
    handed: set[int] = set()
    with transaction.atomic():
        for node in owned:  # parents come before children (path order)
            if any(a in handed for a in node.ancestor_ids):
                continue  # goes with its folder
            heir = first_manager.get(node.pk)
            if heir is None or node.is_trashed:
                continue
            # Live nodes only: what sits in a trash is deleted with the rest.
            subtree = Node.objects.alive().subtree(node).filter(owner_id=uid)
            subtree_ids = set(subtree.values_list("pk", flat=True))
            handed |= subtree_ids
            size = (FileVersion.objects.filter(node_id__in=subtree_ids)
                    .aggregate(s=Sum("size"))["s"] or 0)
            old_inner = node.inner_path
            Node.objects.filter(pk__in=subtree_ids).update(owner_id=heir)
            if node.parent_id is not None and node.parent_id not in handed:
                # Its folder stays behind (deleted): it moves to the heir's top level.
                Node.objects.filter(pk=node.pk).update(parent=None, path="/")
                node.path = "/"
                _rewrite_paths(old_inner, node.inner_path, node.app)
            Share.objects.filter(resource_type=Node.share_type, resource_id=node.pk,
                                 user_id=heir).delete()
            release_space(uid, size)
            force_charge(heir, size)
            report.handed_over += len(subtree_ids)
        rest = [n.pk for n in owned if n.pk not in handed]
        # Nodes of others inside a deleted folder are moved to their owners' top level.
        for node in Node.objects.filter(
                Q(parent_id__in=rest) & ~Q(owner_id=uid)):
            old_inner = node.inner_path
            Node.objects.filter(pk=node.pk).update(parent=None, path="/")
            node.path = "/"
            _rewrite_paths(old_inner, node.inner_path, node.app)
    report.freed += destroy_nodes(rest)
    report.deleted += len(rest)
