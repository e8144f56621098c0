"""Shapes of the Messagerie's requests and responses (validation only: rights are
`preau.messaging.access`'s, writes are `preau.messaging.actions`')."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from preau.api.serializers import IdField, OutputSerializer, RefField
from preau.messaging.access import TRASH, copy_attachments
from preau.messaging.models import Address, Attachment, MessageCopy
from preau.messaging.text import plain_text, safe_html


def recipients_field() -> serializers.ListField:
    return serializers.ListField(
        child=RefField(("user", "group")), required=False,
        default=list, help_text='People and groups within your reach: "user:ID", "group:ID".')


class FolderRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='"inbox", "sent", "drafts", "trash", or the id of '
                                          "one of your folders.")
    name = serializers.CharField(source="label")
    own = serializers.BooleanField(help_text="One of your own folders.")
    total = serializers.IntegerField()
    unread = serializers.IntegerField()


class FolderNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class AddressSerializer(OutputSerializer):
    kind = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField(help_text="The person's or group's id "
                                                            "(null once it is gone).")

    class Meta:
        model = Address
        fields = ["field", "kind", "target_id", "label"]

    def get_kind(self, address: Address) -> str:
        return "group" if address.is_group else "user"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_target_id(self, address: Address) -> int | None:
        return address.group_id if address.is_group else address.user_id


class AttachmentSerializer(OutputSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type"]


class CopyAttachmentSerializer(AttachmentSerializer):
    refused = serializers.BooleanField(help_text="You removed it from your copy: listed, "
                                                 "no longer available to you.")

    class Meta(AttachmentSerializer.Meta):
        fields = [*AttachmentSerializer.Meta.fields, "refused"]


class PersonNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _folder_key(copy: MessageCopy) -> str:
    if copy.is_trashed:
        return TRASH
    return str(copy.mail_folder_id) if copy.mail_folder_id else copy.folder


class MessageSummarySerializer(OutputSerializer):
    id = serializers.IntegerField(source="message_id")
    subject = serializers.CharField(source="message.subject")
    sender = serializers.SerializerMethodField()
    addresses = AddressSerializer(source="message.addresses", many=True)
    folder = serializers.SerializerMethodField()
    unread = serializers.BooleanField(source="is_unread")
    draft = serializers.BooleanField(source="message.is_draft")
    sent_at = serializers.DateTimeField(source="message.sent_at", allow_null=True)
    has_attachments = serializers.SerializerMethodField()

    class Meta:
        model = MessageCopy
        fields = ["id", "subject", "sender", "addresses", "folder", "unread", "draft", "date",
                  "sent_at", "has_attachments", "trashed_at"]

    @extend_schema_field(PersonNameSerializer(allow_null=True))
    def get_sender(self, copy: MessageCopy) -> dict[str, Any] | None:
        """None for Préau's automatic notices."""
        sender = copy.message.sender
        return {"id": sender.pk, "name": sender.full_name} if sender else None

    def get_folder(self, copy: MessageCopy) -> str:
        return _folder_key(copy)

    def get_has_attachments(self, copy: MessageCopy) -> bool:
        return copy.message.attachments_size > 0


class MessageDetailSerializer(MessageSummarySerializer):
    """`participants`: the others still holding the message whom the caller may reach (the
    message page's list); `other_participants`: how many more, never named."""

    body = serializers.SerializerMethodField(help_text="Sanitised HTML.")
    text = serializers.SerializerMethodField(help_text="The body as plain text.")
    attachments = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    other_participants = serializers.SerializerMethodField()

    class Meta(MessageSummarySerializer.Meta):
        fields = [*MessageSummarySerializer.Meta.fields, "body", "text", "attachments",
                  "participants", "other_participants"]

    @extend_schema_field(PersonNameSerializer(many=True))
    def get_participants(self, copy: MessageCopy) -> list[dict[str, Any]]:
        return [{"id": u.pk, "name": u.full_name} for u in self.context["participants"].seen]

    def get_other_participants(self, copy: MessageCopy) -> int:
        return int(self.context["participants"].hidden_count)

    def get_body(self, copy: MessageCopy) -> str:
        return str(safe_html(copy.message.body))

    def get_text(self, copy: MessageCopy) -> str:
        return plain_text(copy.message.body)

    @extend_schema_field(CopyAttachmentSerializer(many=True))
    def get_attachments(self, copy: MessageCopy) -> list[dict[str, Any]]:
        return list(CopyAttachmentSerializer(copy_attachments(copy), many=True).data)


class ComposeSerializer(serializers.Serializer):
    to = recipients_field()
    cc = recipients_field()
    subject = serializers.CharField(max_length=255, required=False, default="",
                                    allow_blank=True)
    body = serializers.CharField(required=False, default="", allow_blank=True,
                                 help_text="HTML (sanitised: p, br, strong, b, em, i, u, ul, "
                                           "ol, li, a[href], blockquote) or plain text.")


class ReplySerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False,
                                   help_text="Reply to everyone the message was addressed to "
                                             "that you may still write to.")


class ReplyDraftSerializer(serializers.Serializer):
    draft = MessageDetailSerializer()
    dropped = serializers.ListField(child=serializers.CharField(),
                                    help_text="Recipients of the original left out: you may "
                                              "not write to them.")
    sender_only = serializers.BooleanField(help_text="A reply to all that goes to the sender "
                                                     "only.")


class SendSerializer(ComposeSerializer):
    draft = IdField(required=False, allow_null=True, default=None,
                    help_text="A draft of yours to send with these fields (its attachments go "
                              "with it).")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class MoveSerializer(serializers.Serializer):
    folder = IdField(allow_null=True, help_text="One of your folders; null to put it back in "
                                                "Inbox or Sent.")


class MailFreedSerializer(serializers.Serializer):
    freed = serializers.IntegerField(help_text="Bytes given back to your quota.")


class SendLimitSerializer(serializers.Serializer):
    detail = serializers.CharField()
    retry_after = serializers.IntegerField(
        allow_null=True, help_text="Seconds until this message can be sent (also in the "
                                   "Retry-After header); null: change it first.")


class RecipientsFullSerializer(serializers.Serializer):
    detail = serializers.CharField()
    names = serializers.ListField(child=serializers.CharField(),
                                  help_text="Whose space is too full.")
