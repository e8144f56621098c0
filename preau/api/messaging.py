"""REST API v1 of the Messagerie.

Same rules as the pages: a message is reached through the caller's own copy (404 for anyone
else, whether it exists or not), writes go through `preau.messaging.actions`. A refused
action answers 400 with its message in `detail`; a send refused because some participant's
space is full answers 413 with `names`; a send over the sender's sending limits answers 429
with `retry_after` (seconds, and the Retry-After header), or 400 with `retry_after` null when
the message itself is over a limit. Sending: POST a JSON message to `mail/messages`
(recipients as "user:ID" / "group:ID"); with attachments, first create a draft, upload its
files one per request (multipart, field `file`), then send the draft.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from preau.accounts.models import User
from preau.api.message_serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ComposeSerializer,
    FolderNameSerializer,
    FolderRowSerializer,
    MailFreedSerializer,
    MessageDetailSerializer,
    MessageSummarySerializer,
    MoveSerializer,
    RecipientsFullSerializer,
    ReplyDraftSerializer,
    ReplySerializer,
    SendLimitSerializer,
    SendSerializer,
)
from preau.api.pagination import ApiPagination
from preau.api.permissions import request_user
from preau.api.views import REFUSED, ApiView, one_upload
from preau.documents.responses import blob_response
from preau.messaging import access
from preau.messaging.actions import (
    MessagingError,
    check_add_attachment,
    check_create_folder,
    check_delete_folder,
    check_delete_for_good,
    check_forward,
    check_move,
    check_refuse_attachment,
    check_remove_attachment,
    check_rename_folder,
    check_reply,
    check_restore,
    check_save_draft,
    check_send,
    check_trash,
    do_empty_trash,
    do_mark_read,
)
from preau.messaging.models import Message, MessageCopy

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
ATTACHMENT_ID = OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)
KEY = OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description=(
    '"inbox", "sent", "drafts", "trash", or the id of one of your folders.'))
FULL = OpenApiResponse(RecipientsFullSerializer, description=(
    "Not sent: these participants' spaces cannot hold the attachments; nothing was sent, "
    "the draft is kept."))
LIMITED = OpenApiResponse(SendLimitSerializer, description=(
    "Not sent: over one of your sending limits (docs/messaging.md). 429: the same message "
    "can go in `retry_after` seconds (also the Retry-After header); 400 with `retry_after` "
    "null: the message by itself is over a limit (too many people, attachments too large for "
    "so many), change it. Nothing was sent, the draft is kept."))
BINARY = OpenApiResponse(OpenApiTypes.BINARY, description=(
    "The bytes, with the name in Content-Disposition; images and PDF inline with "
    "`inline=1`, everything else as application/octet-stream."))


class MailApiView(ApiView, GenericAPIView):
    # Refused actions answer 400 (413 for full spaces, with `names`) with their message in
    # `detail`: preau.api.errors.

    pagination_class: type[ApiPagination] | None = ApiPagination

    def user(self) -> User:
        return request_user(self.request)

    def input(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def detail(self, message_id: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.detail_data(message_id), status=code)

    def detail_data(self, message_id: int) -> dict[str, Any]:
        user = self.user()
        copy = access.access_copy(user, message_id)
        context = {"participants": access.message_participants(user, copy.message)}
        return dict(MessageDetailSerializer(copy, context=context).data)


class MailFolderListView(MailApiView):
    pagination_class = None

    @extend_schema(tags=["messaging"], responses=FolderRowSerializer(many=True),
                   summary="My mail folders with their counts",
                   description="Inbox, Sent, Drafts, Trash, then my own folders.")
    def get(self, request: Request) -> Response:
        rows = [{"key": r.key, "label": r.label, "own": r.mail_folder is not None,
                 "total": r.total, "unread": r.unread} for r in access.folder_rows(self.user())]
        return Response(FolderRowSerializer(rows, many=True).data)

    @extend_schema(tags=["messaging"], request=FolderNameSerializer,
                   responses={201: FolderRowSerializer, 400: REFUSED},
                   summary="Create a mail folder")
    def post(self, request: Request) -> Response:
        folder = check_create_folder(self.user(), self.input(FolderNameSerializer)["name"])
        return Response(FolderRowSerializer({"key": str(folder.pk), "label": folder.name,
                                             "own": True, "total": 0, "unread": 0}).data,
                        status=status.HTTP_201_CREATED)


class MailFolderDetailView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], request=FolderNameSerializer,
                   responses={200: FolderRowSerializer, 400: REFUSED},
                   summary="Rename one of my mail folders")
    def patch(self, request: Request, pk: int) -> Response:
        user = self.user()
        folder = check_rename_folder(user, access.access_mail_folder(user, pk),
                                     self.input(FolderNameSerializer)["name"])
        row = next(r for r in access.folder_rows(user) if r.key == str(folder.pk))
        return Response(FolderRowSerializer({"key": row.key, "label": row.label, "own": True,
                                             "total": row.total, "unread": row.unread}).data)

    @extend_schema(tags=["messaging"], parameters=[ID], request=None, responses={204: None},
                   summary="Delete one of my mail folders",
                   description="Its messages go back to Inbox or Sent; none is deleted.")
    def delete(self, request: Request, pk: int) -> Response:
        user = self.user()
        check_delete_folder(user, access.access_mail_folder(user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MailFolderMessagesView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[KEY],
                   responses=MessageSummarySerializer(many=True),
                   summary="The messages of a folder, newest first")
    def get(self, request: Request, key: str) -> Response:
        user = self.user()
        copies = access.folder_copies(user, access.access_folder_key(user, key))
        page = self.paginate_queryset(copies)
        return self.get_paginated_response(MessageSummarySerializer(page, many=True).data)


class MessageListView(MailApiView):
    @extend_schema(tags=["messaging"], request=SendSerializer,
                   responses={201: MessageDetailSerializer, 400: LIMITED, 413: FULL,
                              429: LIMITED},
                   summary="Send a message",
                   description="To people and groups within your reach (groups are expanded "
                               "into their members now). With `draft`, that draft is updated "
                               "with these fields and sent with its attachments.")
    def post(self, request: Request) -> Response:
        user = self.user()
        data = self.input(SendSerializer)
        draft_id = data.pop("draft")
        draft = access.access_draft(user, draft_id).message if draft_id else None
        draft = check_save_draft(user, draft, **data)
        check_send(user, draft)
        return self.detail(draft.pk, status.HTTP_201_CREATED)


class MessageDetailView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], responses=MessageDetailSerializer,
                   summary="Read a message", description="Marks it read.")
    def get(self, request: Request, pk: int) -> Response:
        copy = access.access_copy(self.user(), pk)
        do_mark_read(copy)
        return self.detail(pk)

    @extend_schema(tags=["messaging"], parameters=[ID], request=None,
                   responses={200: MailFreedSerializer, 400: REFUSED},
                   summary="Delete my copy for good",
                   description="Only from the trash. Other participants keep theirs; "
                               "`freed` is the bytes given back to my quota.")
    def delete(self, request: Request, pk: int) -> Response:
        user = self.user()
        freed = check_delete_for_good(user, [access.access_copy(user, pk)])
        return Response({"freed": freed})


class _CopyChange(MailApiView):
    def change(self, user: User, copy: MessageCopy) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        self.change(user, access.access_copy(user, pk))
        return self.detail(pk)


_COPY_CHANGE: dict[str, Any] = {"tags": ["messaging"], "parameters": [ID], "request": None,
                "responses": {200: MessageDetailSerializer, 400: REFUSED}}


class MessageTrashView(_CopyChange):
    @extend_schema(**_COPY_CHANGE, summary="Move my copy to the trash",
                   description="Its attachments still count in my quota until the trash is "
                               "emptied.")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def change(self, user: User, copy: MessageCopy) -> None:
        check_trash(user, [copy])


class MessageRestoreView(_CopyChange):
    @extend_schema(**_COPY_CHANGE, summary="Restore my copy from the trash")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def change(self, user: User, copy: MessageCopy) -> None:
        check_restore(user, [copy])


class MessageUnreadView(_CopyChange):
    @extend_schema(**_COPY_CHANGE, summary="Mark my copy unread")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def change(self, user: User, copy: MessageCopy) -> None:
        do_mark_read(copy, unread=True)


class MessageMoveView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], request=MoveSerializer,
                   responses={200: MessageDetailSerializer, 400: REFUSED},
                   summary="Move my copy to one of my folders (or back)")
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        copy = access.access_copy(user, pk)
        folder_id = self.input(MoveSerializer)["folder"]
        folder = access.access_mail_folder(user, folder_id) if folder_id else None
        check_move(user, copy, folder)
        return self.detail(pk)


class MessageReplyView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], request=ReplySerializer,
                   responses={201: ReplyDraftSerializer, 400: REFUSED},
                   summary="Start a reply (a new draft)",
                   description="To the sender; with `all`, also to everyone the message was "
                               "addressed to that you may still write to. Those left out are "
                               "in `dropped`; `sender_only` says a reply to all could only go "
                               "to the sender (a parent answering a message to the class's "
                               "parents, say).")
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        copy = access.access_copy(user, pk)
        outcome = check_reply(user, copy, reply_all=self.input(ReplySerializer)["all"])
        return Response({"draft": self.detail_data(outcome.draft.pk),
                         "dropped": outcome.dropped, "sender_only": outcome.sender_only},
                        status=status.HTTP_201_CREATED)


class MessageForwardView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], request=None,
                   responses={201: MessageDetailSerializer, 400: REFUSED, 413: FULL},
                   summary="Start a forward (a new draft with copies of the attachments)",
                   description="The copies of the attachments are charged to my quota.")
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        draft = check_forward(user, access.access_copy(user, pk))
        return self.detail(draft.pk, status.HTTP_201_CREATED)


class EmptyMailTrashView(MailApiView):
    @extend_schema(tags=["messaging"], request=None, responses=MailFreedSerializer,
                   summary="Empty my mail trash",
                   description="Deletes my copies for good; others keep theirs.")
    def post(self, request: Request) -> Response:
        return Response({"freed": do_empty_trash(self.user())})


class DraftListView(MailApiView):
    @extend_schema(tags=["messaging"], request=ComposeSerializer,
                   responses={201: MessageDetailSerializer, 400: REFUSED},
                   summary="Save a new draft")
    def post(self, request: Request) -> Response:
        draft = check_save_draft(self.user(), None, **self.input(ComposeSerializer))
        return self.detail(draft.pk, status.HTTP_201_CREATED)


class DraftDetailView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], request=ComposeSerializer,
                   responses={200: MessageDetailSerializer, 400: REFUSED},
                   summary="Replace a draft's recipients, subject and body")
    def put(self, request: Request, pk: int) -> Response:
        user = self.user()
        draft = access.access_draft(user, pk).message
        check_save_draft(user, draft, **self.input(ComposeSerializer))
        return self.detail(pk)


class DraftSendView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID], request=None,
                   responses={200: MessageDetailSerializer, 400: LIMITED, 413: FULL,
                              429: LIMITED},
                   summary="Send a draft")
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        check_send(user, access.access_draft(user, pk).message)
        return self.detail(pk)


class DraftAttachmentListView(MailApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["messaging"], parameters=[ID], request=AttachmentUploadSerializer,
                   responses={201: AttachmentSerializer, 400: REFUSED, 413: FULL},
                   summary="Attach a file to a draft",
                   description="multipart/form-data, one file in the field `file`. Charged "
                               "to my quota from now on.")
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        draft = access.access_draft(user, pk).message
        attachment = check_add_attachment(user, draft, one_upload(self.request, MessagingError))
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class DraftAttachmentDetailView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID, ATTACHMENT_ID], request=None,
                   responses={204: None, 400: REFUSED}, summary="Remove a draft's attachment")
    def delete(self, request: Request, pk: int, attachment_id: int) -> Response:
        user = self.user()
        draft: Message = access.access_draft(user, pk).message
        check_remove_attachment(user, draft, attachment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageAttachmentView(MailApiView):
    @extend_schema(tags=["messaging"], parameters=[ID, ATTACHMENT_ID], request=None,
                   responses={200: MailFreedSerializer, 400: REFUSED},
                   summary="Refuse an attachment: remove it from my copy",
                   description="The message stays in my mailbox and the other participants "
                               "keep the attachment; it is no longer available to me and its "
                               "bytes go back to my quota at once (`freed`). 404 for an "
                               "attachment I no longer hold. A draft's attachments are "
                               "removed with `DELETE mail/drafts/{id}/attachments/{id}`.")
    def delete(self, request: Request, pk: int, attachment_id: int) -> Response:
        user = self.user()
        copy = access.access_copy(user, pk)
        item = access.access_attachment(user, pk, attachment_id)
        return Response({"freed": check_refuse_attachment(user, copy, item)})


class AttachmentContentView(MailApiView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(tags=["messaging"], parameters=[ID, ATTACHMENT_ID, OpenApiParameter(
        "inline", OpenApiTypes.BOOL, description="Show images and PDF in the browser.")],
        responses={(200, "application/octet-stream"): BINARY},
        summary="Download an attachment")
    def get(self, request: Request, pk: int, attachment_id: int) -> HttpResponseBase:
        item = access.access_attachment(self.user(), pk, attachment_id)
        return blob_response(item.blob_key, size=item.size, content_type=item.content_type,
                             name=item.name,
                             inline=request.query_params.get("inline") in ("1", "true", "yes"))
