"""The Messagerie: the ENT's internal mail.

One `Message` row is shared by everyone who holds it; each participant (the sender and every
recipient) has one `MessageCopy`: where it sits for them (a system folder or one of their
own `MailFolder`s), whether they have read it, whether it is in their trash, and the bytes of
attachments charged to their quota for it. Deleting for good removes one copy; the message,
its attachments and their bytes go when the last copy goes.

`Address` rows keep what the sender wrote in To/Cc: a group stays a group with its label as
it was when the message left (so after the year change archives « CM2 A — élèves » the
message still says so), a person stays a person. Group addresses are expanded once, at
send time, into the members' copies.

A participant may refuse to keep an attachment (`RefusedAttachment`): it leaves their copy
(and their quota) but not the message; its bytes stay stored while any copy still holds it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NOTICE_SENDER = _("Préau (automatic message)")


class SystemFolder(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    SENT = "sent", _("Sent")
    DRAFTS = "drafts", _("Drafts")


class AddressField(models.TextChoices):
    TO = "to", _("To")
    CC = "cc", _("Cc")


class MailFolder(models.Model):
    """A folder a user made for their messages."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="mail_folders")
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"],
                                               name="mail_folder_unique_name")]
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    # None: an automatic notice from Préau itself (the year change's warning to owners…).
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("message"), blank=True)  # sanitised HTML (messaging.text)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)  # None: a draft
    # The message this one answers or forwards (kept for the record; may be gone).
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    attachments_size = models.BigIntegerField(default=0)  # sum of its attachments' sizes
    # Set when the message leaves, for the sender's sending limits (`messaging.limits`): the
    # people it reached and the attachment bytes it charged them (attachments_size times people).
    # Kept as sent, whatever the recipients later delete or refuse.
    recipient_count = models.PositiveIntegerField(default=0)
    recipient_bytes = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # The sending limits count the sender's messages of the last hour and day.
            models.Index(fields=["sender", "sent_at"], name="message_sender_sent"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_draft(self) -> bool:
        return self.sent_at is None

    @property
    def is_notice(self) -> bool:
        return self.sender_id is None

    @property
    def sender_name(self) -> str:
        return self.sender.full_name if self.sender else str(NOTICE_SENDER)


class Address(models.Model):
    """One entry of To or Cc: a person or a group, with the label shown for it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="addresses")
    field = models.CharField(max_length=2, choices=AddressField.choices,
                             default=AddressField.TO)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    group = models.ForeignKey("directory.Group", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    # The group's name or the person's name when the message was saved or sent: shown as is
    # forever after, whatever becomes of the group (archived at the year change) or person.
    label = models.CharField(max_length=255)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_group(self) -> bool:
        return self.user_id is None


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=120)
    # A random key in the documents' storage ("mail/ab/cd/<uuid4 hex>"), never guessable.
    blob_key = models.CharField(max_length=90, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class MessageCopy(models.Model):
    """One participant's copy of a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="copies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="mail_copies")
    folder = models.CharField(max_length=6, choices=SystemFolder.choices)
    # Moved into one of the user's folders; `folder` still says where it came from.
    mail_folder = models.ForeignKey(MailFolder, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="copies")
    is_unread = models.BooleanField(default=False)
    trashed_at = models.DateTimeField(null=True, blank=True)
    # The date the lists sort by: when it was sent, or when the draft was last saved.
    date = models.DateTimeField(default=timezone.now)
    # Attachment bytes charged to this user's quota for this copy; given back when the copy
    # is deleted for good.
    charged = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"],
                                               name="message_copy_unique_user")]
        indexes = [
            models.Index(fields=["user", "folder", "mail_folder", "trashed_at", "date"]),
            models.Index(fields=["user", "is_unread"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} for {self.user_id}"

    @property
    def is_trashed(self) -> bool:
        return self.trashed_at is not None


class RefusedAttachment(models.Model):
    """An attachment a participant refused to keep: removed from their copy only (the
    message stays, the others keep it), its bytes given back to their quota. The attachment
    and its bytes go once no copy of the message holds it any more."""

    copy = models.ForeignKey(MessageCopy, on_delete=models.CASCADE, related_name="refusals")
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE,
                                   related_name="refusals")
    refused_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["copy", "attachment"],
                                               name="refused_attachment_once")]

    def __str__(self) -> str:
        return f"{self.attachment_id} refused by copy {self.copy_id}"
