"""Reads of the Messagerie: what a user may see, fetched so that nothing else can be.

A message is seen only through one's own copy: anyone who holds no copy gets a 404 for the
message and for its attachments, whether it exists or not. Lists are querysets of the
user's copies, so a list never shows more than the message page allows.

Folder keys as the pages and the API name them: "inbox", "sent", "drafts", "trash", or the
id of one of the user's own folders.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import User
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import Group
from preau.directory.queries import name_filter, seen_by
from preau.messaging.models import (
    Attachment,
    MailFolder,
    Message,
    MessageCopy,
    RefusedAttachment,
    SystemFolder,
)

TRASH = "trash"
SYSTEM_KEYS = (SystemFolder.INBOX.value, SystemFolder.SENT.value, SystemFolder.DRAFTS.value,
               TRASH)
SYSTEM_LABELS = {SystemFolder.INBOX.value: _("Inbox"), SystemFolder.SENT.value: _("Sent"),
                 SystemFolder.DRAFTS.value: _("Drafts"), TRASH: _("Trash")}


def copies_of(user: User) -> QuerySet[MessageCopy]:
    return MessageCopy.objects.filter(user=user)


def access_copy(user: User, message_id: int) -> MessageCopy:
    """The user's copy of a message (with the message and its sender), or 404."""
    copy = (copies_of(user).filter(message_id=message_id)
            .select_related("message", "message__sender", "mail_folder").first())
    if copy is None:
        raise Http404
    return copy


def access_draft(user: User, message_id: int) -> MessageCopy:
    """One of the user's drafts, not in the trash, or 404."""
    copy = access_copy(user, message_id)
    if not copy.message.is_draft or copy.is_trashed or copy.message.sender_id != user.pk:
        raise Http404
    return copy


def access_attachment(user: User, message_id: int, attachment_id: int) -> Attachment:
    """An attachment of a message the user holds a copy of (trash included) and has not
    refused (removed from that copy), or 404."""
    attachment = (Attachment.objects.filter(pk=attachment_id, message_id=message_id,
                                            message__copies__user=user)
                  .exclude(refusals__copy__user=user)
                  .select_related("message").first())
    if attachment is None:
        raise Http404
    return attachment


def copy_attachments(copy: MessageCopy) -> list[Attachment]:
    """The attachments of a copy's message, each with `refused`: True for those the copy's
    holder removed from it (listed, no longer available to them). One query."""
    refused = RefusedAttachment.objects.filter(copy_id=copy.pk, attachment_id=OuterRef("pk"))
    return list(Attachment.objects.filter(message_id=copy.message_id)
                .annotate(refused=Exists(refused)))


def access_mail_folder(user: User, folder_id: int) -> MailFolder:
    folder = MailFolder.objects.filter(pk=folder_id, owner=user).first()
    if folder is None:
        raise Http404
    return folder


# What a list line shows: a list of 50 builds 150 model instances, so only these columns.
LIST_FIELDS = (
    "id", "message_id", "user_id", "folder", "mail_folder_id", "is_unread", "trashed_at",
    "date", "message__id", "message__subject", "message__sender_id", "message__sent_at",
    "message__attachments_size", "message__sender__id", "message__sender__display_name",
    "message__sender__first_name", "message__sender__last_name", "message__sender__login",
)


@dataclass(frozen=True)
class FolderKey:
    """A folder as a list shows it: a system folder, the trash, or one of mine."""

    key: str
    label: str
    mail_folder: MailFolder | None = None

    @property
    def is_trash(self) -> bool:
        return self.key == TRASH

    @property
    def is_own(self) -> bool:
        return self.mail_folder is not None


def access_folder_key(user: User, key: str) -> FolderKey:
    if key in SYSTEM_KEYS:
        return FolderKey(key, str(SYSTEM_LABELS[key]))
    if key.isdigit():
        folder = access_mail_folder(user, int(key))
        return FolderKey(str(folder.pk), folder.name, folder)
    raise Http404


def folder_copies(user: User, folder: FolderKey) -> QuerySet[MessageCopy]:
    """The copies a folder lists, newest first, with what a list line shows."""
    copies = copies_of(user)
    if folder.is_trash:
        copies = copies.filter(trashed_at__isnull=False)
    elif folder.mail_folder is not None:
        copies = copies.filter(trashed_at__isnull=True, mail_folder=folder.mail_folder)
    else:
        copies = copies.filter(trashed_at__isnull=True, mail_folder__isnull=True,
                               folder=folder.key)
    return (copies.select_related("message", "message__sender")
            .only(*LIST_FIELDS)
            .prefetch_related("message__addresses")
            .order_by("-date", "-pk"))


@dataclass
class FolderRow:
    key: str
    label: str
    total: int = 0
    unread: int = 0
    mail_folder: MailFolder | None = None


def folder_rows(user: User) -> list[FolderRow]:
    """Every folder of the user with its counts: two queries, whatever the mailbox's size."""
    rows = {key: FolderRow(key, str(SYSTEM_LABELS[key])) for key in SYSTEM_KEYS}
    own = list(MailFolder.objects.filter(owner=user))
    for folder in own:
        rows[str(folder.pk)] = FolderRow(str(folder.pk), folder.name, mail_folder=folder)
    alive, trashed = Q(trashed_at__isnull=True), Q(trashed_at__isnull=False)
    counts = (copies_of(user).order_by().values("folder", "mail_folder")
              .annotate(total=Count("pk", filter=alive),
                        unread=Count("pk", filter=alive & Q(is_unread=True)),
                        trash=Count("pk", filter=trashed),
                        trash_unread=Count("pk", filter=trashed & Q(is_unread=True))))
    for count in counts:
        key = str(count["mail_folder"]) if count["mail_folder"] is not None else count["folder"]
        for row_key, total, unread in ((key, count["total"], count["unread"]),
                                       (TRASH, count["trash"], count["trash_unread"])):
            row = rows.get(row_key)
            if row is not None:
                row.total += total
                row.unread += unread
    return list(rows.values())


def unread_count(user: User) -> int:
    """Unread messages outside the trash (the count the layout shows)."""
    return copies_of(user).filter(is_unread=True, trashed_at__isnull=True).count()


@dataclass
class Participants:
    """The people still holding a message that its reader may see, and how many others."""

    seen: list[User]
    hidden_count: int


def message_participants(viewer: User, message: Message) -> Participants:
    """Who else still holds a copy of `message`, as `viewer` may see them.

    Its sender sees everyone their message reached (they were allowed to write to them, and
    keep that record even after changing schools); anyone else sees the people they reach,
    the Annuaire's rule (`directory.queries.seen_by`): a teacher of the school sees each
    parent a class message reached; a parent sees the sender, the group's label and the
    other families' number, never their names. One or two queries, whatever the number
    of participants.
    """
    holders = (User.objects.filter(mail_copies__message=message)
               .exclude(pk__in=[viewer.pk, message.sender_id or 0]))
    if viewer.pk == message.sender_id:
        return Participants(seen=list(holders.order_by("last_name", "first_name", "pk")),
                            hidden_count=0)
    # One query flags every other holder seen or not (the rule's clause is compiled once);
    # a second loads the people seen, when there are any (a parent usually sees none).
    flags = dict(MessageCopy.objects.filter(message=message)
                 .exclude(user__in=[viewer.pk, message.sender_id or 0])
                 .annotate(seen=ExpressionWrapper(seen_by(viewer, "user"),
                                                  output_field=BooleanField()))
                 .values_list("user_id", "seen"))
    seen_ids = [pk for pk, seen in flags.items() if seen]
    seen = list(User.objects.filter(pk__in=seen_ids).order_by("last_name", "first_name", "pk")
                ) if seen_ids else []
    return Participants(seen=seen, hidden_count=len(flags) - len(seen_ids))


def recipient_candidates(user: User, text: str, limit: int = 20,
                         ) -> tuple[list[Group], list[User]]:
    """Groups and people the user may write to whose name matches `text`."""
    text = text.strip()
    if len(text) < 2:
        return [], []
    groups = list(addressable_groups(user).filter(name_filter(text))
                  .select_related("school_class").order_by("name", "pk")[:limit])
    people = list(reachable_users(user).filter(name_filter(text))
                  .order_by("last_name", "first_name", "pk")[:limit])
    return groups, people

