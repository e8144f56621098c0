"""Writes on the Messagerie. Pages, the API and the demo loader call these.

`check_*` functions validate (or raise `MessagingError` with a message for the user) and
then change state; the acting user's copy comes from `access`, so a function never acts on
a message the user does not hold.

Quota: attachments count in the documents' quota (`documents.models.Quota.used`) of every
participant. The sender is charged when an attachment is added to the draft (the bytes are
stored from then on); each recipient is charged when the message is sent, all in one
transaction that first locks the recipients' quota rows: if anyone lacks the space, nothing
is sent, nobody is charged, the draft stays, and the error names who is full. Each copy
records what it charged (`MessageCopy.charged`); deleting the copy for good (or emptying the
trash) gives it back. The message and its attachments' bytes go with the last copy.

A participant may refuse to keep an attachment (`check_refuse_attachment`): it leaves their
copy and gives its bytes back to their quota at once; the bytes stay stored while any copy
still holds the attachment, and go (after commit) with the last holder.

Sending limits (`messaging.limits`): attachment bytes times people reached per message and per
24 hours, messages and people per hour, per profile. Checked by `check_send`, the one way a
person's message leaves (composer, API, replies, forwards), before anything is written;
Préau's own notices (`do_deliver_notice`) are not limited.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from preau.accounts.models import User
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import Group, Membership
from preau.documents import storage
from preau.documents.actions import (
    DocumentError,
    QuotaExceeded,
    check_file_size,
    check_quota_warning,
    clean_name,
    do_store_app_file,
    release_space,
    reserve_space,
)
from preau.documents.media import sniff_type
from preau.documents.models import (
    DEFAULT_QUOTAS,
    UNSET_QUOTA,
    WARN_RATIO,
    App,
    Node,
    Quota,
    QuotaDefault,
)
from preau.documents.sizes import size_label
from preau.lib.errors import Refusal
from preau.lib.ids import parse_id
from preau.lib.text import clean_line
from preau.messaging.limits import refusal_by_itself, refusal_for_now
from preau.messaging.models import (
    Address,
    AddressField,
    Attachment,
    MailFolder,
    Message,
    MessageCopy,
    RefusedAttachment,
    SystemFolder,
)
from preau.messaging.text import MAX_BODY, from_input

log = logging.getLogger(__name__)
MAX_SUBJECT = 255
MAX_FOLDER_NAME = 100
BLOB_PREFIX = "mail/"
_Named = TypeVar("_Named", User, Group)


class MessagingError(Refusal):
    """A refused action; the message is for the user."""

    status = 400


class RecipientsFull(MessagingError):
    """The send was refused because some participants lack the space for the attachments."""

    status = 413
    detail_fields = ("names",)

    def __init__(self, message: str, names: list[str]) -> None:
        super().__init__(message)
        self.names = names


class SendLimitReached(MessagingError):
    """The send was refused by the sender's sending limits (`messaging.limits`): 429 when
    the same message can go later (`retry_at`), 400 when it must change first."""

    detail_fields = ("retry_after",)

    def __init__(self, message: str, retry_at: datetime.datetime | None) -> None:
        super().__init__(message)
        self.retry_at = retry_at
        self.status = 429 if retry_at is not None else 400

    @property
    def retry_after(self) -> int | None:
        """Whole seconds until the refused message can go (None: it must change first)."""
        if self.retry_at is None:
            return None
        return max(1, math.ceil((self.retry_at - timezone.now()).total_seconds()))

    def headers(self) -> dict[str, str]:
        wait = self.retry_after
        return {"Retry-After": str(wait)} if wait is not None else {}


# -- recipients -----------------------------------------------------------------------------


@dataclass
class Recipients:
    """Who a draft is addressed to, as chosen: people and groups, in To and in Cc."""

    to_users: list[User] = field(default_factory=list)
    to_groups: list[Group] = field(default_factory=list)
    cc_users: list[User] = field(default_factory=list)
    cc_groups: list[Group] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.to_users or self.to_groups or self.cc_users or self.cc_groups)


def parse_tokens(tokens: Iterable[str]) -> tuple[list[int], list[int], list[str]]:
    """"user:12" and "group:5" → (user ids, group ids, tokens that are neither)."""
    users: list[int] = []
    groups: list[int] = []
    bad: list[str] = []
    for token in tokens:
        kind, _sep, raw = str(token).strip().partition(":")
        number = parse_id(raw)
        if number is None:
            bad.append(str(token))
        elif kind == "user":
            users.append(number)
        elif kind == "group":
            groups.append(number)
        else:
            bad.append(str(token))
    return users, groups, bad


def resolve_recipients(sender: User, to: Sequence[str], cc: Sequence[str] = ()) -> Recipients:
    """The people and groups behind the tokens, all within the sender's reach, or an error
    naming (by token: the sender may not know them) those out of reach."""
    to_u, to_g, bad_to = parse_tokens(to)
    cc_u, cc_g, bad_cc = parse_tokens(cc)
    bad = bad_to + bad_cc
    user_ids = set(to_u) | set(cc_u)
    group_ids = set(to_g) | set(cc_g)
    users = {u.pk: u for u in reachable_users(sender).filter(pk__in=user_ids)} if user_ids \
        else {}
    groups = {g.pk: g for g in addressable_groups(sender).filter(pk__in=group_ids)} if group_ids \
        else {}
    bad += [f"user:{i}" for i in sorted(user_ids - set(users))]
    bad += [f"group:{i}" for i in sorted(group_ids - set(groups))]
    if bad:
        raise MessagingError(ngettext(
            "This recipient is unknown or out of your reach: %(names)s.",
            "These recipients are unknown or out of your reach: %(names)s.",
            len(bad)) % {"names": ", ".join(bad)})
    return Recipients(to_users=_unique(users[i] for i in to_u),
                      to_groups=_unique(groups[i] for i in to_g),
                      cc_users=_unique(users[i] for i in cc_u if i not in to_u),
                      cc_groups=_unique(groups[i] for i in cc_g if i not in to_g))


def _unique(items: Iterable[_Named]) -> list[_Named]:
    seen: set[int] = set()
    result = []
    for item in items:
        if item.pk not in seen:
            seen.add(item.pk)
            result.append(item)
    return result


def _address_rows(message: Message, recipients: Recipients) -> list[Address]:
    rows: list[Address] = []
    for field_name, groups, users in (
            (AddressField.TO, recipients.to_groups, recipients.to_users),
            (AddressField.CC, recipients.cc_groups, recipients.cc_users)):
        for group in groups:
            rows.append(Address(message=message, field=field_name, group=group,
                                label=group.name, position=len(rows)))
        for user in users:
            rows.append(Address(message=message, field=field_name, user=user,
                                label=user.full_name, position=len(rows)))
    return rows


def tokens_of(message: Message, field_name: str) -> list[str]:
    """A draft's addresses as tokens, for the composer and the API."""
    return [f"user:{a.user_id}" if a.user_id else f"group:{a.group_id}"
            for a in message.addresses.all()
            if a.field == field_name and (a.user_id or a.group_id)]


# -- drafts -----------------------------------------------------------------------------------


def _clean_subject(subject: str) -> str:
    subject = " ".join(clean_line(subject or "").split())
    if len(subject) > MAX_SUBJECT:
        raise MessagingError(_("A subject has at most %(max)s characters.")
                             % {"max": MAX_SUBJECT})
    return subject


def _clean_body(body: str) -> str:
    if len(body or "") > MAX_BODY:
        raise MessagingError(_("This message is too long."))
    return from_input(body)


def check_save_draft(sender: User, draft: Message | None, *, to: Sequence[str] = (),
                     cc: Sequence[str] = (), subject: str = "", body: str = "") -> Message:
    """Create or update a draft (the sender's copy sits in Brouillons)."""
    recipients = resolve_recipients(sender, to, cc)
    subject = _clean_subject(subject)
    html = _clean_body(body)
    return do_save_draft(sender, draft, recipients, subject, html)


@transaction.atomic
def do_save_draft(sender: User, draft: Message | None, recipients: Recipients, subject: str,
                  html: str, parent: Message | None = None) -> Message:
    now = timezone.now()
    if draft is None:
        draft = Message.objects.create(sender=sender, subject=subject, body=html,
                                       created_at=now, updated_at=now, parent=parent)
        MessageCopy.objects.create(message=draft, user=sender, folder=SystemFolder.DRAFTS,
                                   date=now)
    else:
        if not draft.is_draft or draft.sender_id != sender.pk:
            raise MessagingError(_("This message has already been sent."))
        draft.subject, draft.body, draft.updated_at = subject, html, now
        draft.save(update_fields=["subject", "body", "updated_at"])
        MessageCopy.objects.filter(message=draft, user=sender).update(date=now)
        draft.addresses.all().delete()
    Address.objects.bulk_create(_address_rows(draft, recipients))
    return draft


def _quota_error(error: QuotaExceeded) -> MessagingError:
    return RecipientsFull(_(
        "Not enough space in your document space for this attachment (%(size)s): you use "
        "%(used)s of %(limit)s, %(free)s are free. Attachments of messages count in it too: "
        "delete received and sent messages you no longer need, then empty the trash of the "
        "Messagerie.") % {
            "size": size_label(error.size), "used": size_label(error.used),
            "limit": size_label(error.limit), "free": size_label(error.free)}, [])


def check_add_attachment(sender: User, draft: Message, upload: UploadedFile | IO[bytes], *,
                         name: str | None = None, size: int | None = None) -> Attachment:
    """Store a file with a draft, charged to the sender's space from now on."""
    if not draft.is_draft or draft.sender_id != sender.pk:
        raise MessagingError(_("This message has already been sent."))
    try:
        clean = clean_name(name if name is not None else getattr(upload, "name", "") or "")
        size = size if size is not None else getattr(upload, "size", 0) or 0
        if size == 0:
            raise MessagingError(_("The file “%(name)s” is empty.") % {"name": clean})
        check_file_size(size)
    except DocumentError as error:
        raise MessagingError(str(error)) from error
    try:
        reserve_space(sender, size)
    except QuotaExceeded as error:
        raise _quota_error(error) from error
    key = storage.new_key(BLOB_PREFIX)
    try:
        content_type = sniff_type(upload)
        storage.save(key, upload)
        with transaction.atomic():
            attachment = Attachment.objects.create(message=draft, name=clean, size=size,
                                                   content_type=content_type, blob_key=key)
            Message.objects.filter(pk=draft.pk).update(
                attachments_size=F("attachments_size") + size)
            MessageCopy.objects.filter(message=draft, user=sender).update(
                charged=F("charged") + size)
    except BaseException:
        release_space(sender.pk, size)
        storage.delete([key])
        raise
    draft.attachments_size += size
    return attachment


def check_remove_attachment(sender: User, draft: Message, attachment_id: int) -> None:
    if not draft.is_draft or draft.sender_id != sender.pk:
        raise MessagingError(_("This message has already been sent."))
    with transaction.atomic():
        attachment = Attachment.objects.filter(pk=attachment_id, message=draft).first()
        if attachment is None:
            raise MessagingError(_("This attachment is not in this draft."))
        attachment.delete()
        Message.objects.filter(pk=draft.pk).update(
            attachments_size=F("attachments_size") - attachment.size)
        MessageCopy.objects.filter(message=draft, user=sender).update(
            charged=F("charged") - attachment.size)
        release_space(sender.pk, attachment.size)
        key = attachment.blob_key
        transaction.on_commit(lambda: storage.delete([key]))
    draft.attachments_size -= attachment.size


# -- sending ----------------------------------------------------------------------------------


class _NoSpace(Exception):
    def __init__(self, full: list[tuple[int, int, int]]) -> None:
        self.full = full  # (user id, used, limit)


def _charge_all(user_ids: list[int], size: int) -> list[int]:
    """Charge `size` bytes to every user, or to none: raise _NoSpace (the caller's
    transaction then rolls back). The quota rows are locked first, so two sends (or a send
    and an upload) cannot together overshoot anyone's quota. Returns who passes 80 % now
    (to be told, as the documents do)."""
    Quota.objects.bulk_create([Quota(user_id=uid) for uid in user_ids], ignore_conflicts=True)
    defaults = dict(QuotaDefault.objects.values_list("profile", "limit"))
    rows = list(Quota.objects.select_for_update(of=("self",)).filter(user_id__in=user_ids)
                .values_list("user_id", "used", "limit_override", "user__profile"))
    full = []
    nearly_full: list[int] = []
    for uid, used, override, profile in rows:
        limit = override if override is not None else defaults.get(
            profile, DEFAULT_QUOTAS.get(profile, UNSET_QUOTA))
        if used + size > limit:
            full.append((uid, used, limit))
        elif used + size >= WARN_RATIO * limit:
            nearly_full.append(uid)
    if full:
        raise _NoSpace(full)
    Quota.objects.filter(user_id__in=user_ids).update(used=F("used") + size)
    return nearly_full


def expand_recipients(message: Message) -> list[User]:
    """The people a draft reaches: its people, and the members of its groups now."""
    addresses = list(message.addresses.all())
    user_ids = {a.user_id for a in addresses if a.user_id}
    group_ids = {a.group_id for a in addresses if a.group_id}
    members = set(Membership.objects.filter(group_id__in=group_ids)
                  .values_list("user_id", flat=True)) if group_ids else set()
    return list(User.objects.alive().filter(pk__in=user_ids | members)
                .exclude(pk=message.sender_id or 0).order_by("last_name", "first_name", "pk"))


def _check_still_reachable(sender: User, message: Message) -> list[Address]:
    """The draft's addresses, each still within the sender's reach (rules and groups change
    between saving a draft and sending it)."""
    addresses = list(message.addresses.select_related("user"))
    user_ids = {a.user_id for a in addresses if a.user_id}
    group_ids = {a.group_id for a in addresses if a.group_id}
    ok_users = set(reachable_users(sender).filter(pk__in=user_ids).values_list("pk", flat=True)) \
        if user_ids else set()
    ok_groups = set(addressable_groups(sender).filter(pk__in=group_ids)
                    .values_list("pk", flat=True)) if group_ids else set()
    lost = [a.label for a in addresses
            if (a.user_id and a.user_id not in ok_users)
            or (a.group_id and a.group_id not in ok_groups)
            or (not a.user_id and not a.group_id)]
    if lost:
        raise MessagingError(ngettext(
            "Not sent: this recipient is no longer within your reach: %(names)s. Remove it "
            "from the draft.",
            "Not sent: these recipients are no longer within your reach: %(names)s. Remove "
            "them from the draft.", len(lost)) % {"names": ", ".join(lost)})
    return addresses


def _lock_sender(sender: User) -> None:
    """One sender's sends take turns (the sending limits count what went before): two sends
    at once cannot both take the last place. Only the sender's own row is locked, first."""
    list(User.objects.select_for_update().filter(pk=sender.pk).values_list("pk", flat=True))


def check_send(sender: User, draft: Message) -> Message:
    """Send a draft: every recipient (groups expanded now) gets a copy in Réception, the
    sender's copy goes to Envoyés. All or nothing (see the module's note on quotas), and
    within the sender's sending limits (refused before anything is written)."""
    if not draft.is_draft or draft.sender_id != sender.pk:
        raise MessagingError(_("This message has already been sent."))
    addresses = _check_still_reachable(sender, draft)
    if not addresses:
        raise MessagingError(_("Choose at least one recipient."))
    recipients = expand_recipients(draft)
    if not recipients:
        raise MessagingError(_("Not sent: the chosen groups have no members."))
    size = draft.attachments_size
    refusal = refusal_by_itself(sender, len(recipients), size)
    if refusal is not None:
        raise SendLimitReached(refusal.message, refusal.retry_at)
    try:
        with transaction.atomic():
            _lock_sender(sender)
            locked = Message.objects.select_for_update().get(pk=draft.pk)
            if not locked.is_draft:
                raise MessagingError(_("This message has already been sent."))
            now = timezone.now()
            refusal = refusal_for_now(sender, len(recipients), size, now)
            if refusal is not None:
                raise SendLimitReached(refusal.message, refusal.retry_at)
            nearly_full = set(_charge_all([u.pk for u in recipients], size) if size else [])
            Message.objects.filter(pk=draft.pk).update(
                sent_at=now, updated_at=now, recipient_count=len(recipients),
                recipient_bytes=size * len(recipients))
            groups = {g.pk: g.name for g in Group.objects.filter(
                pk__in=[a.group_id for a in addresses if a.group_id])}
            for address in addresses:  # the labels as they are when the message leaves
                address.label = (groups.get(address.group_id or 0, address.label)
                                 if address.group_id else address.user.full_name)  # type: ignore[union-attr]
            Address.objects.bulk_update(addresses, ["label"])
            MessageCopy.objects.filter(message=draft, user=sender).update(
                folder=SystemFolder.SENT, date=now, trashed_at=None, mail_folder=None)
            MessageCopy.objects.bulk_create([
                MessageCopy(message=draft, user=user, folder=SystemFolder.INBOX,
                            is_unread=True, date=now, charged=size) for user in recipients])
    except _NoSpace as no_space:
        raise _recipients_full(no_space.full, size) from None
    draft.sent_at = now
    draft.recipient_count, draft.recipient_bytes = len(recipients), size * len(recipients)
    for user in recipients:
        if user.pk in nearly_full:
            check_quota_warning(user)
    log.info("message %s sent by %s to %s people", draft.pk, sender.pk, len(recipients))
    return draft


def do_deliver_notice(user_ids: Iterable[int], subject: str, body: str) -> Message | None:
    """An automatic message from Préau itself (no sender, no attachment, nothing charged)
    into each user's Réception: for what users must not miss, such as the year change's
    warning to owners of class-group shares. Cannot be answered. `body` is text or the
    allow-listed HTML (links to Préau's pages), sanitised like any body."""
    ids = sorted(set(user_ids))
    if not ids:
        return None
    now = timezone.now()
    with transaction.atomic():
        notice = Message.objects.create(sender=None, subject=_clean_subject(subject),
                                        body=from_input(body), created_at=now,
                                        updated_at=now, sent_at=now)
        MessageCopy.objects.bulk_create([
            MessageCopy(message=notice, user_id=uid, folder=SystemFolder.INBOX,
                        is_unread=True, date=now) for uid in ids])
    return notice


def _recipients_full(full: list[tuple[int, int, int]], size: int) -> RecipientsFull:
    people = {u.pk: u.full_name
              for u in User.objects.filter(pk__in=[uid for uid, _u, _l in full])}
    labels = sorted(people.get(uid, str(uid)) for uid, _u, _l in full)
    return RecipientsFull(ngettext(
        "Not sent: the document space of %(names)s is too full to receive the attachments "
        "(%(size)s). Nothing was sent and your draft is kept: remove attachments or these "
        "recipients, or ask them to free space.",
        "Not sent: the document spaces of %(names)s are too full to receive the attachments "
        "(%(size)s). Nothing was sent and your draft is kept: remove attachments or these "
        "recipients, or ask them to free space.",
        len(labels)) % {"names": ", ".join(labels), "size": size_label(size)}, labels)


def check_compose_and_send(sender: User, *, to: Sequence[str], cc: Sequence[str] = (),
                           subject: str = "", body: str = "",
                           draft: Message | None = None) -> Message:
    """Save (a new or the given draft) then send; on refusal the draft is kept."""
    draft = check_save_draft(sender, draft, to=to, cc=cc, subject=subject, body=body)
    return check_send(sender, draft)


# -- replies and forwards -------------------------------------------------------------------


def _prefixed(prefix: str, subject: str) -> str:
    if subject.lower().startswith(prefix.lower()):
        return subject
    return f"{prefix}{subject}"[:MAX_SUBJECT]


def _quoted(message: Message) -> str:
    header = _("On %(date)s, %(name)s wrote:") % {
        "date": date_filter(message.sent_at, "SHORT_DATETIME_FORMAT"),
        "name": message.sender_name}
    return f"<p><br></p><p>{escape(header)}</p><blockquote>{message.body}</blockquote>"


@dataclass
class ReplyDraft:
    draft: Message
    dropped: list[str]  # labels of the original's recipients out of reach now
    sender_only: bool = False  # a reply to all that only the sender could be kept in


def check_reply(user: User, copy: MessageCopy, *, reply_all: bool = False) -> ReplyDraft:
    """A draft answering the message: to its sender (or, from Envoyés, to its recipients),
    and with reply all to everyone it was addressed to, within the user's reach."""
    message = copy.message
    if message.is_draft:
        raise MessagingError(_("A draft cannot be answered."))
    sender = message.sender
    if sender is None:
        raise MessagingError(_("This automatic message from Préau cannot be answered."))
    addresses = list(message.addresses.all())
    wanted: list[tuple[str, int, str]] = []  # (kind, id, label)
    if sender.pk != user.pk:
        wanted.append(("user", sender.pk, sender.full_name))
    if reply_all or message.sender_id == user.pk:
        for a in addresses:
            if a.user_id and a.user_id != user.pk:
                wanted.append(("user", a.user_id, a.label))
            elif a.group_id:
                wanted.append(("group", a.group_id, a.label))
    ok_users = set(reachable_users(user).filter(
        pk__in=[i for k, i, _l in wanted if k == "user"]).values_list("pk", flat=True))
    ok_groups = set(addressable_groups(user).filter(
        pk__in=[i for k, i, _l in wanted if k == "group"]).values_list("pk", flat=True))
    tokens, dropped = [], []
    for kind, pk, label in wanted:
        if pk in (ok_users if kind == "user" else ok_groups):
            if f"{kind}:{pk}" not in tokens:
                tokens.append(f"{kind}:{pk}")
        elif label not in dropped:
            dropped.append(label)
    recipients = resolve_recipients(user, tokens)
    draft = do_save_draft(user, None, recipients, _prefixed(_("Re: "), message.subject),
                          _quoted(message), parent=message)
    sender_only = reply_all and tokens == [f"user:{sender.pk}"]
    return ReplyDraft(draft, dropped, sender_only=sender_only)


def check_forward(user: User, copy: MessageCopy) -> Message:
    """A draft with the message and copies of its attachments (charged to the user)."""
    message = copy.message
    attachments = list(message.attachments.exclude(refusals__copy=copy))  # what I still hold
    total = sum(a.size for a in attachments)
    if total:
        try:
            reserve_space(user, total)
        except QuotaExceeded as error:
            raise _quota_error(error) from error
    keys: list[str] = []
    try:
        with transaction.atomic():
            draft = do_save_draft(user, None, Recipients(),
                                  _prefixed(_("Fwd: "), message.subject), _quoted(message),
                                  parent=message)
            for attachment in attachments:
                key = storage.new_key(BLOB_PREFIX)
                keys.append(key)
                storage.copy(attachment.blob_key, key)
                Attachment.objects.create(message=draft, name=attachment.name,
                                          size=attachment.size,
                                          content_type=attachment.content_type, blob_key=key)
            Message.objects.filter(pk=draft.pk).update(attachments_size=total)
            MessageCopy.objects.filter(message=draft, user=user).update(charged=total)
            draft.attachments_size = total
    except BaseException:
        release_space(user.pk, total)
        storage.delete(keys)
        raise
    return draft


# -- a copy: read, folders, trash -----------------------------------------------------------


def do_mark_read(copy: MessageCopy, unread: bool = False) -> None:
    if copy.is_unread != unread:
        MessageCopy.objects.filter(pk=copy.pk).update(is_unread=unread)
        copy.is_unread = unread


def check_move(user: User, copy: MessageCopy, folder: MailFolder | None) -> None:
    """Into one of the user's folders, or back (None) to where it came from."""
    if copy.user_id != user.pk:
        raise MessagingError(_("This message is not in your mailbox."))
    if copy.is_trashed:
        raise MessagingError(_("Restore this message from the trash first."))
    if copy.folder == SystemFolder.DRAFTS:
        raise MessagingError(_("A draft stays in Drafts until it is sent."))
    if folder is not None and folder.owner_id != user.pk:
        raise MessagingError(_("This folder is not yours."))
    MessageCopy.objects.filter(pk=copy.pk).update(mail_folder=folder)


def check_trash(user: User, copies: Sequence[MessageCopy]) -> int:
    """Delete: into the user's trash (the attachments still count until emptied)."""
    ids = [c.pk for c in copies if c.user_id == user.pk and not c.is_trashed]
    return MessageCopy.objects.filter(pk__in=ids).update(trashed_at=timezone.now())


def check_restore(user: User, copies: Sequence[MessageCopy]) -> int:
    """Back where it was (its own folder if still there, else its system folder)."""
    ids = [c.pk for c in copies if c.user_id == user.pk and c.is_trashed]
    return MessageCopy.objects.filter(pk__in=ids).update(trashed_at=None)


def check_delete_for_good(user: User, copies: Sequence[MessageCopy]) -> int:
    """Remove the user's copies from their trash; returns the bytes given back."""
    ids = [c.pk for c in copies if c.user_id == user.pk]
    if any(not c.is_trashed for c in copies):
        raise MessagingError(_("Only a message in the trash can be deleted for good."))
    return destroy_copies(ids)


def do_empty_trash(user: User) -> int:
    """Delete for good every message in the user's trash; returns the bytes given back."""
    return destroy_copies(list(MessageCopy.objects.filter(user=user, trashed_at__isnull=False)
                               .values_list("pk", flat=True)))


def destroy_copies(copy_ids: Iterable[int]) -> int:
    """Remove copies and give their charges back; a message nobody holds any more goes, and
    so does an attachment no remaining copy holds, with its bytes (after commit)."""
    copy_ids = list(copy_ids)
    if not copy_ids:
        return 0
    freed: dict[int, int] = defaultdict(int)
    with transaction.atomic():
        message_ids = sorted(set(MessageCopy.objects.filter(pk__in=copy_ids)
                                 .values_list("message_id", flat=True)))
        # Lock the messages: two participants deleting their copies at once cannot both
        # think the other still holds one.
        list(Message.objects.select_for_update().filter(pk__in=message_ids)
             .order_by("pk").values_list("pk", flat=True))
        for user_id, charged in MessageCopy.objects.filter(pk__in=copy_ids).values_list(
                "user_id", "charged"):
            freed[user_id] += charged
        MessageCopy.objects.filter(pk__in=copy_ids).delete()
        orphans = list(Message.objects.filter(pk__in=message_ids, copies__isnull=True)
                       .values_list("pk", flat=True))
        unheld = _unheld_attachments(message_ids)  # the orphans' too
        if orphans:
            Message.objects.filter(parent_id__in=orphans).update(parent=None)
            Message.objects.filter(pk__in=orphans).delete()
        gone = set(orphans)  # their attachments' rows went with them
        _forget_attachments([a for a in unheld if a[1] not in gone])
        keys = [key for _pk, _message, key in unheld]
        if keys:
            transaction.on_commit(lambda: storage.delete(keys))
        for user_id, size in freed.items():
            release_space(user_id, size)
    for user in User.objects.filter(pk__in=[uid for uid, size in freed.items() if size]):
        check_quota_warning(user)
    return sum(freed.values())


def _unheld_attachments(message_ids: list[int]) -> list[tuple[int, int, str]]:
    """(id, message id, blob key) of these messages' attachments that no copy holds: no copy
    is left, or every copy left refused it. One query."""
    refused_here = RefusedAttachment.objects.filter(copy_id=OuterRef("pk"),
                                                    attachment_id=OuterRef(OuterRef("pk")))
    holders = MessageCopy.objects.filter(message_id=OuterRef("message_id")).filter(
        ~Exists(refused_here))
    return list(Attachment.objects.filter(message_id__in=message_ids).filter(~Exists(holders))
                .values_list("pk", "message_id", "blob_key"))


def _forget_attachments(unheld: list[tuple[int, int, str]]) -> None:
    """Delete the rows of attachments nobody holds (their messages stay) and recount their
    messages' `attachments_size`; the caller deletes the bytes after commit."""
    if not unheld:
        return
    Attachment.objects.filter(pk__in=[pk for pk, _message, _key in unheld]).delete()
    remaining = (Attachment.objects.filter(message_id=OuterRef("pk")).order_by()
                 .values("message_id").annotate(total=Sum("size")).values("total"))
    Message.objects.filter(pk__in={message for _pk, message, _key in unheld}).update(
        attachments_size=Coalesce(Subquery(remaining), 0))


def check_refuse_attachment(user: User, copy: MessageCopy, attachment: Attachment) -> int:
    """Refuse to keep an attachment: it leaves my copy of the message (the message stays in
    my mailbox; the sender and the other recipients keep it) and its bytes go back to my
    quota at once; I can no longer open, forward or copy it. Its bytes stay stored while any
    copy holds it and go, after commit, with the last holder. Returns the bytes given back."""
    if copy.user_id != user.pk or attachment.message_id != copy.message_id:
        raise MessagingError(_("This message is not in your mailbox."))
    if copy.message.is_draft:
        raise MessagingError(_("Remove a draft's attachments in the composer."))
    with transaction.atomic():
        # The message's lock: holders refusing or deleting at once see each other.
        list(Message.objects.select_for_update().filter(pk=copy.message_id)
             .values_list("pk", flat=True))
        charged = (MessageCopy.objects.filter(pk=copy.pk, user=user)
                   .values_list("charged", flat=True).first())
        held = Attachment.objects.filter(pk=attachment.pk).exclude(
            refusals__copy_id=copy.pk).exists()
        if charged is None or not held:
            raise MessagingError(_("This attachment is no longer in your copy of the "
                                   "message."))
        RefusedAttachment.objects.create(copy_id=copy.pk, attachment_id=attachment.pk)
        freed = min(attachment.size, charged)
        MessageCopy.objects.filter(pk=copy.pk).update(charged=F("charged") - freed)
        release_space(user.pk, freed)
        unheld = _unheld_attachments([copy.message_id])
        _forget_attachments(unheld)
        keys = [key for _pk, _message, key in unheld]
        if keys:
            transaction.on_commit(lambda: storage.delete(keys))
    copy.charged = charged - freed
    log.info("attachment %s refused by %s (%s bytes)", attachment.pk, user.pk, freed)
    return freed


def do_release_mailboxes(user_ids: Iterable[int]) -> int:
    """Final deletion of accounts (the feeds' life cycle): their copies go, with their own
    folders; messages nobody else holds go with them. Others keep what they received from
    or sent to these people. Returns the number of copies removed."""
    ids = sorted(set(user_ids))
    removed = 0
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        copies = list(MessageCopy.objects.filter(user_id__in=batch).values_list("pk", flat=True))
        destroy_copies(copies)
        MailFolder.objects.filter(owner_id__in=batch).delete()
        removed += len(copies)
    return removed


# -- my folders -------------------------------------------------------------------------------


def _folder_name(user: User, name: str, exclude: int | None = None) -> str:
    name = " ".join(clean_line(name or "").split())
    if not name:
        raise MessagingError(_("Give the folder a name."))
    if len(name) > MAX_FOLDER_NAME:
        raise MessagingError(_("A folder name has at most %(max)s characters.")
                             % {"max": MAX_FOLDER_NAME})
    taken = MailFolder.objects.filter(owner=user, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise MessagingError(_("You already have a folder named “%(name)s”.") % {"name": name})
    return name


def check_create_folder(user: User, name: str) -> MailFolder:
    return MailFolder.objects.create(owner=user, name=_folder_name(user, name))


def check_rename_folder(user: User, folder: MailFolder, name: str) -> MailFolder:
    if folder.owner_id != user.pk:
        raise MessagingError(_("This folder is not yours."))
    folder.name = _folder_name(user, name, exclude=folder.pk)
    folder.save(update_fields=["name"])
    return folder


@transaction.atomic
def check_delete_folder(user: User, folder: MailFolder) -> int:
    """Delete one of my folders: its messages go back where they came from (Réception or
    Envoyés); nothing is deleted with a folder. Returns how many moved."""
    if folder.owner_id != user.pk:
        raise MessagingError(_("This folder is not yours."))
    moved = MessageCopy.objects.filter(mail_folder=folder).update(mail_folder=None)
    folder.delete()
    return moved


# -- attachments into the documents -----------------------------------------------------------


def check_copy_to_documents(user: User, attachment: Attachment) -> Node:
    """« Copier dans mes documents »: a copy in Documents ajoutés dans les applis, in the
    user's own space (charged once more: it lives on after the message)."""
    if not MessageCopy.objects.filter(message_id=attachment.message_id, user=user).exclude(
            refusals__attachment=attachment).exists():
        raise MessagingError(_("This message is not in your mailbox."))
    try:
        with storage.backend().open(attachment.blob_key, "rb") as handle:
            return do_store_app_file(user, App.MESSAGING, handle, attachment.name,
                                     attachment.size)
    except QuotaExceeded as error:
        raise _quota_error(error) from error
    except DocumentError as error:
        raise MessagingError(str(error)) from error
