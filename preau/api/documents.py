"""REST API v1 of the Espace documentaire and of the sharing engine.

Same rules as the web pages: reads through `preau.documents.access` and
`preau.sharing.access` (404 for what the caller may not see, never saying whether it
exists; 403 for a missing right), writes through the actions of `preau.documents.actions`
and `preau.sharing.actions`. A refused action answers with its message in `detail`: 400, or
413 when a file is too large or does not fit in the quota (with the figures, in bytes).

Uploads are multipart/form-data, one file per request, in the field `file`; Django spools
them to disk chunk by chunk and `SizeLimitUploadHandler` stops reading past
PREAU_UPLOAD_MAX_BYTES. Downloads stream from storage (`documents.responses`).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from preau.accounts.models import User
from preau.api import queries
from preau.api.document_serializers import (
    CopySerializer,
    DocumentUpdateSerializer,
    FolderCreateSerializer,
    FolderDetailSerializer,
    FolderQuerySerializer,
    FolderUpdateSerializer,
    FreedSerializer,
    ListQuerySerializer,
    NodeDetailSerializer,
    NodeSerializer,
    QuotaExceededSerializer,
    QuotaSerializer,
    ResourceSharesSerializer,
    ShareCreateSerializer,
    ShareOutcomeSerializer,
    ShareQuerySerializer,
    ShareRightsSerializer,
    ShareSerializer,
    TrashEntrySerializer,
    UploadSerializer,
    VersionSerializer,
    VersionUploadSerializer,
    resource_key,
)
from preau.api.pagination import ApiPagination
from preau.api.permissions import access_resource, access_share, request_user
from preau.api.views import REFUSED, ApiView, Refused, _params, one_upload
from preau.directory.communication import addressable_groups, reachable_users
from preau.documents import access
from preau.documents.actions import (
    FileTooLarge,
    QuotaInfo,
    check_copy,
    check_create_folder,
    check_delete_for_good,
    check_move,
    check_new_version,
    check_rename,
    check_restore,
    check_restore_version,
    check_trash,
    check_upload,
    do_empty_trash,
    quota_of,
)
from preau.documents.models import FileVersion, Node, NodeKind
from preau.documents.responses import file_response, thumbnail_response
from preau.lib.ids import parse_id
from preau.sharing.access import shares_on
from preau.sharing.actions import (
    check_share,
    check_unshare,
    check_update_rights,
)
from preau.sharing.models import Right, Share

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH,
                          description="A version number (1 is the first upload).")
TOO_LARGE = OpenApiResponse(QuotaExceededSerializer, description=(
    "The file is larger than the per-file limit (`limit`, bytes), or does not fit in the "
    "quota: then `used`, `limit`, `free` and `size` give the figures in bytes."))
BINARY = OpenApiResponse(OpenApiTypes.BINARY, description=(
    "The bytes, streamed, with the name in Content-Disposition. Only images and PDF come "
    "inline (and only with `inline=1`); everything else is an attachment sent as "
    "application/octet-stream."))
INLINE = OpenApiParameter("inline", OpenApiTypes.BOOL, description=(
    "Ask to show the file in the browser; granted to images and PDF only."))
MULTIPART = ["multipart/form-data"]


class DocumentApiView(ApiView, GenericAPIView):
    # Refused document and share actions answer 400 or 413 with their message in `detail`
    # (and the quota figures for a quota refusal): preau.api.errors. A comment, not a
    # docstring: the schema would show it on every operation.

    pagination_class = ApiPagination

    def user(self) -> User:
        return request_user(self.request)

    def page(self, nodes: QuerySet[Node], serializer_class: type[NodeSerializer] = NodeSerializer
             ) -> Response:
        page = self.paginate_queryset(nodes.select_related("owner", "current"))
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def detail(self, node: Node | int, code: int = status.HTTP_200_OK) -> Response:
        """A node as the caller sees it; after a change, pass its id to fetch it again
        (rights, version, place)."""
        user = self.user()
        if not isinstance(node, Node):
            node = access.access_node(user, node)
        if node.is_folder:
            children = self.paginated_children(node)
            data = FolderDetailSerializer(node, context={"user": user,
                                                         "children": children}).data
        else:
            data = NodeDetailSerializer(node, context={"user": user}).data
        return Response(data, status=code)

    def paginated_children(self, folder: Node) -> dict[str, Any]:
        paginator = ApiPagination()
        nodes = access.my_documents(self.user(), folder).select_related("owner", "current")
        page = paginator.paginate_queryset(nodes, self.request, view=self)
        return {"count": paginator.count, "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": NodeSerializer(page, many=True).data}

    def input(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def target_folder(self, folder_id: int | None) -> Node | None:
        """A folder the caller may add to (404 / 403 otherwise), or None for the top."""
        if folder_id is None:
            return None
        return access.access_folder(self.user(), folder_id, Right.CONTRIB)

    def one_upload(self) -> UploadedFile:
        """The one file of a multipart request, or a 413 / 400 with a message."""
        return one_upload(self.request, FileTooLarge)


def _quota_data(info: QuotaInfo) -> dict[str, Any]:
    return {"used": info.used, "limit": info.limit, "free": info.free,
            "percent": info.percent, "warning": info.warning}


# Documents ----------------------------------------------------------------------------------


class DocumentListView(DocumentApiView):
    """My documents: list a folder's content, upload a file."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["documents"], parameters=[ListQuerySerializer], responses=NodeSerializer(many=True),
        summary="The content of My documents or of a folder",
        description="Folders first, then files, by name. Without `folder`: the top of My "
                    "documents. A folder you may not see is a 404.",
    )
    def get(self, request: Request) -> Response:
        folder_id = _params(ListQuerySerializer, request).get("folder")
        user = self.user()
        folder = access.access_folder(user, folder_id) if folder_id else None
        return self.page(access.my_documents(user, folder))

    @extend_schema(
        tags=["documents"], request={"multipart/form-data": UploadSerializer},
        responses={201: NodeDetailSerializer, 400: REFUSED, 413: TOO_LARGE},
        summary="Upload a file",
        description="One file per request, in the multipart field `file` (send several "
                    "requests for several files). Its type is sniffed from its bytes. A name "
                    "already taken in the folder gets a number: “notes (2).txt”. An empty or "
                    "missing file is a 400; a file over the per-file limit or over the quota "
                    "a 413.",
    )
    def post(self, request: Request) -> Response:
        user = self.user()
        upload = self.one_upload()
        raw_folder = request.data.get("folder") or None
        folder_id = parse_id(raw_folder) if raw_folder is not None else None
        if raw_folder is not None and folder_id is None:
            raise Refused(_("“folder” must be a folder id."))
        folder = self.target_folder(folder_id)
        node = check_upload(user, upload, folder)
        return self.detail(node.pk, status.HTTP_201_CREATED)


class DocumentDetailView(DocumentApiView):
    """One file."""

    @extend_schema(tags=["documents"], parameters=[ID], responses=NodeDetailSerializer,
                   summary="A file's details", description="With your rights on it.")
    def get(self, request: Request, pk: int) -> Response:
        return self.detail(access.access_node(self.user(), pk, kind=NodeKind.FILE))

    @extend_schema(
        tags=["documents"], parameters=[ID], request=DocumentUpdateSerializer,
        responses={200: NodeDetailSerializer, 400: REFUSED},
        summary="Rename or move a file", description="Needs the manage right.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        _update(self, pk, NodeKind.FILE, self.input(DocumentUpdateSerializer), "folder")
        return self.detail(pk)

    @extend_schema(tags=["documents"], parameters=[ID], request=None,
                   responses={204: None}, summary="Delete a file (to the trash)",
                   description="It goes to your trash and still counts in its owner's quota "
                               "until the trash is emptied. Needs the manage right.")
    def delete(self, request: Request, pk: int) -> Response:
        user = self.user()
        check_trash(user, access.access_node(user, pk, Right.MANAGE, kind=NodeKind.FILE))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _update(view: DocumentApiView, pk: int, kind: str, data: dict[str, Any],
            place_field: str) -> None:
    """Move then rename, both or neither."""
    user = view.user()
    node = access.access_node(user, pk, Right.MANAGE, kind=kind)
    with transaction.atomic():
        if place_field in data:
            check_move(user, node, view.target_folder(data[place_field]))
        if "name" in data:
            check_rename(user, node, data["name"])


class CopyView(DocumentApiView):
    kind: str = NodeKind.FILE

    @extend_schema(
        tags=["documents"], parameters=[ID], request=CopySerializer,
        responses={201: NodeDetailSerializer, 400: REFUSED, 413: TOO_LARGE},
        summary="Copy a file or a folder",
        description="Needs the read right (“copy into my documents” from a share). The copy, "
                    "everything inside a folder included, is yours and counts in your quota.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        node = access.access_node(user, pk, kind=self.kind)
        target = self.target_folder(self.input(CopySerializer).get("folder"))
        return self.detail(check_copy(user, node, target).pk, status.HTTP_201_CREATED)


class ContentView(DocumentApiView):
    # Errors are JSON whatever the Accept header: a client asking for the bytes still gets
    # a readable 404.

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["documents"], parameters=[ID, INLINE],
        responses={(200, "application/octet-stream"): BINARY},
        summary="Download a file",
    )
    def get(self, request: Request, pk: int, number: int | None = None) -> HttpResponseBase:
        node = access.access_node(self.user(), pk, kind=NodeKind.FILE)
        version: FileVersion | None = None
        if number is not None:
            version = node.versions.filter(number=number).first()
            if version is None:
                raise Http404
        return file_response(node, version, inline=request.query_params.get("inline") in
                             ("1", "true", "yes"))


class FolderCopyView(CopyView):
    kind = NodeKind.FOLDER


class VersionContentView(ContentView):
    @extend_schema(
        tags=["documents"], parameters=[ID, NUMBER, INLINE],
        responses={(200, "application/octet-stream"): BINARY},
        summary="Download one version of a file",
    )
    def get(self, request: Request, pk: int, number: int | None = None) -> HttpResponseBase:
        return super().get(request, pk, number)


class ThumbnailView(ContentView):
    @extend_schema(
        tags=["documents"], parameters=[ID],
        responses={(200, "image/png"): OpenApiResponse(
            OpenApiTypes.BINARY, description="A small PNG or JPEG of an image; 404 when the "
                                             "file has none (`has_thumbnail`).")},
        summary="An image's thumbnail",
    )
    def get(self, request: Request, pk: int, number: int | None = None) -> HttpResponseBase:
        node = access.access_node(self.user(), pk, kind=NodeKind.FILE)
        if node.current is None or not node.current.thumbnail_key:
            raise Http404
        return thumbnail_response(node.current)


class VersionListView(DocumentApiView):
    parser_classes = [MultiPartParser, FormParser]

    def _versions(self, node: Node) -> Response:
        versions = node.versions.select_related("created_by").order_by("-number")
        context = {"current_id": node.current_id}
        return Response(VersionSerializer(versions, many=True, context=context).data)

    @extend_schema(tags=["documents"], parameters=[ID], responses=VersionSerializer(many=True),
                   summary="A file's versions", description="Newest first; not paginated.")
    def get(self, request: Request, pk: int) -> Response:
        return self._versions(access.access_node(self.user(), pk, kind=NodeKind.FILE))

    @extend_schema(
        tags=["documents"], parameters=[ID],
        request={"multipart/form-data": VersionUploadSerializer},
        responses={201: VersionSerializer, 400: REFUSED, 413: TOO_LARGE},
        summary="Upload a new version",
        description="Needs the contribute right. The new version becomes the current one and "
                    "counts in the file owner's quota.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        node = access.access_node(user, pk, Right.CONTRIB, kind=NodeKind.FILE)
        upload = self.one_upload()
        version = check_new_version(user, node, upload)
        data = VersionSerializer(version, context={"current_id": version.pk}).data
        return Response(data, status=status.HTTP_201_CREATED)


class VersionRestoreView(DocumentApiView):
    @extend_schema(tags=["documents"], parameters=[ID, NUMBER], request=None,
                   responses={200: NodeDetailSerializer, 400: REFUSED},
                   summary="Make an old version the current one",
                   description="Needs the contribute right.")
    def post(self, request: Request, pk: int, number: int) -> Response:
        user = self.user()
        node = access.access_node(user, pk, Right.CONTRIB, kind=NodeKind.FILE)
        version = node.versions.filter(number=number).first()
        if version is None:
            raise Http404
        check_restore_version(user, node, version)
        return self.detail(pk)


# Sections: shared with me, documents added in apps -------------------------------------------


class SharedWithMeView(DocumentApiView):
    @extend_schema(tags=["documents"], responses=NodeSerializer(many=True),
                   summary="Shared with me",
                   description="Files and folders others shared with you or your groups "
                               "(open a folder with /folders/{id}).")
    def get(self, request: Request) -> Response:
        return self.page(access.shared_with_me(self.user()))


class AppDocumentsView(DocumentApiView):
    @extend_schema(tags=["documents"], responses=NodeSerializer(many=True),
                   summary="Documents added in apps",
                   description="Files other apps keep for you (message attachments, notebook "
                               "media, images in texts), by `app`. They count in your quota.")
    def get(self, request: Request) -> Response:
        return self.page(access.app_documents(self.user()))


# Folders ------------------------------------------------------------------------------------


class FolderListView(DocumentApiView):
    @extend_schema(tags=["folders"], parameters=[FolderQuerySerializer],
                   responses=NodeSerializer(many=True), summary="Folders",
                   description="The folders at the top of My documents, or a folder's "
                               "sub-folders (`parent`).")
    def get(self, request: Request) -> Response:
        user = self.user()
        parent_id = _params(FolderQuerySerializer, request).get("parent")
        parent = access.access_folder(user, parent_id) if parent_id else None
        return self.page(access.my_documents(user, parent).filter(kind=NodeKind.FOLDER))

    @extend_schema(tags=["folders"], request=FolderCreateSerializer,
                   responses={201: FolderDetailSerializer, 400: REFUSED},
                   summary="Create a folder",
                   description="In a folder you may contribute to, or at the top of My "
                               "documents.")
    def post(self, request: Request) -> Response:
        data = self.input(FolderCreateSerializer)
        parent = self.target_folder(data.get("parent"))
        folder = check_create_folder(self.user(), data["name"], parent)
        return self.detail(folder.pk, status.HTTP_201_CREATED)


class FolderDetailView(DocumentApiView):
    @extend_schema(tags=["folders"], parameters=[ID], responses=FolderDetailSerializer,
                   summary="A folder and its content",
                   description="`children` is one page of its content, folders first; page "
                               "with `limit` and `offset`.")
    def get(self, request: Request, pk: int) -> Response:
        return self.detail(access.access_folder(self.user(), pk))

    @extend_schema(tags=["folders"], parameters=[ID], request=FolderUpdateSerializer,
                   responses={200: FolderDetailSerializer, 400: REFUSED},
                   summary="Rename or move a folder", description="Needs the manage right.")
    def patch(self, request: Request, pk: int) -> Response:
        _update(self, pk, NodeKind.FOLDER, self.input(FolderUpdateSerializer), "parent")
        return self.detail(pk)

    @extend_schema(tags=["folders"], parameters=[ID], request=None, responses={204: None},
                   summary="Delete a folder (to the trash)",
                   description="With everything inside it; restorable from your trash. "
                               "Needs the manage right.")
    def delete(self, request: Request, pk: int) -> Response:
        user = self.user()
        check_trash(user, access.access_folder(user, pk, Right.MANAGE))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Trash and quota ----------------------------------------------------------------------------


class TrashView(DocumentApiView):
    @extend_schema(tags=["trash"], responses=TrashEntrySerializer(many=True),
                   summary="My trash",
                   description="What you deleted, newest first, with where it was. Your own "
                               "files in it still count in your quota.")
    def get(self, request: Request) -> Response:
        return self.page(access.trash_of(self.user()), TrashEntrySerializer)


class EmptyTrashView(DocumentApiView):
    @extend_schema(tags=["trash"], request=None, responses=FreedSerializer,
                   summary="Empty my trash",
                   description="Deletes everything in it for good; `freed` is the bytes "
                               "given back.")
    def post(self, request: Request) -> Response:
        user = self.user()
        freed = do_empty_trash(user)
        return Response({"freed": freed, "quota": _quota_data(quota_of(user))})


class TrashEntryView(DocumentApiView):
    @extend_schema(tags=["trash"], parameters=[ID], request=None,
                   responses={200: FreedSerializer, 400: REFUSED},
                   summary="Delete an entry of my trash for good")
    def delete(self, request: Request, pk: int) -> Response:
        user = self.user()
        freed = check_delete_for_good(user, access.access_trashed(user, pk))
        return Response({"freed": freed, "quota": _quota_data(quota_of(user))})


class TrashRestoreView(DocumentApiView):
    @extend_schema(tags=["trash"], parameters=[ID], request=None,
                   responses={200: NodeDetailSerializer, 400: REFUSED},
                   summary="Restore an entry of my trash",
                   description="Back to its folder, or to the top of its owner's documents "
                               "when that folder is gone.")
    def post(self, request: Request, pk: int) -> Response:
        user = self.user()
        node = check_restore(user, access.access_trashed(user, pk))
        return self.detail(node.pk)


class QuotaView(DocumentApiView):
    @extend_schema(tags=["me"], responses=QuotaSerializer, summary="My document space",
                   description="Bytes used (every version of your files, the trash "
                               "included, until emptied) and allowed.")
    def get(self, request: Request) -> Response:
        return Response(_quota_data(quota_of(self.user())))


# Shares -------------------------------------------------------------------------------------


def _keys_of_chain(node: Node) -> dict[tuple[str, int], str]:
    """API keys of a node and its folders, for the shares listed on it (one query)."""
    keys = {(Node.share_type, node.pk): resource_key(node)}
    keys.update({(Node.share_type, pk): f"folder:{pk}" for pk in node.ancestor_ids})
    return keys


class ShareListView(DocumentApiView):
    @extend_schema(
        tags=["shares"], parameters=[ShareQuerySerializer], responses=ResourceSharesSerializer,
        summary="The shares of a document or folder",
        description="Needs the manage right on it. `own` are its shares to people and groups "
                    "you may reach, `inherited` those of the folders above it, and "
                    "`hidden` those to people you can no longer reach: counted, and listed "
                    "by id only so that you can remove them.",
    )
    def get(self, request: Request) -> Response:
        key = _params(ShareQuerySerializer, request)["resource"]
        node = access_resource(self.user(), key, Right.MANAGE)
        shares = shares_on(self.user(), node)
        context = {"resource_keys": _keys_of_chain(node)}
        return Response(ResourceSharesSerializer({
            "resource": resource_key(node), "own": shares.own, "inherited": shares.inherited,
            "hidden_count": shares.hidden_count, "hidden": shares.hidden,
        }, context=context).data)

    @extend_schema(
        tags=["shares"], request=ShareCreateSerializer,
        responses={201: ShareOutcomeSerializer, 200: ShareOutcomeSerializer, 400: REFUSED},
        summary="Share a document or folder",
        description="Needs the manage right on it. The grantee is a person (`user:ID`) or a "
                    "group (`group:ID`) you may reach, or one of your share bookmarks "
                    "(`bookmark:ID`), expanded now into one share per member you may still "
                    "reach (the others are listed in `skipped_users` / `skipped_groups`). A "
                    "grantee out of your reach, or that does not exist, is a 400 with the same "
                    "message. Sharing again with a grantee replaces its rights. 201 when a "
                    "share was created, 200 when only existing ones changed.",
    )
    def post(self, request: Request) -> Response:
        user = self.user()
        data = self.input(ShareCreateSerializer)
        node = access_resource(user, data["resource"], Right.MANAGE)
        kind, _sep, raw_id = data["grantee"].partition(":")
        grantee_id = int(raw_id)
        grantee: dict[str, Any] = {}
        if kind == "user":
            person = reachable_users(user).filter(pk=grantee_id).first()
            if person is None:
                raise Refused(_("Unknown person, or one you cannot share with."))
            grantee["users"] = [person]
        elif kind == "group":
            group = addressable_groups(user).filter(pk=grantee_id).first()
            if group is None:
                raise Refused(_("Unknown group, or one you cannot share with."))
            grantee["groups"] = [group]
        else:
            bookmark = queries.own_bookmarks(user).filter(pk=grantee_id).first()
            if bookmark is None:
                raise Refused(_("Unknown share bookmark."))
            grantee["bookmark"] = bookmark
        outcome = check_share(user, node, rights=data["rights"], **grantee)
        context = {"resource_keys": {(Node.share_type, node.pk): resource_key(node)}}
        body = ShareOutcomeSerializer({
            "shares": outcome.shares, "created": outcome.created, "updated": outcome.updated,
            "skipped_users": outcome.skipped_users, "skipped_groups": outcome.skipped_groups,
        }, context=context).data
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response(body, status=code)


class ShareDetailView(DocumentApiView):
    def _one(self, share: Share, node: Any) -> Response:
        context = {"resource_keys": {(Node.share_type, node.pk): resource_key(node)}}
        return Response(ShareSerializer(share, context=context).data)

    @extend_schema(tags=["shares"], parameters=[ID], request=ShareRightsSerializer,
                   responses={200: ShareSerializer, 400: REFUSED},
                   summary="Change a share's rights",
                   description="Needs the manage right on its resource; a share to someone "
                               "out of your reach can only be removed (400).")
    def patch(self, request: Request, pk: int) -> Response:
        user = self.user()
        share, node = access_share(user, pk)
        check_update_rights(user, share, node, self.input(ShareRightsSerializer)["rights"])
        return self._one(share, node)

    @extend_schema(tags=["shares"], parameters=[ID], request=None, responses={204: None},
                   summary="Remove a share",
                   description="Needs the manage right on its resource. Inherited shares are "
                               "removed on the folder that holds them.")
    def delete(self, request: Request, pk: int) -> Response:
        user = self.user()
        share, node = access_share(user, pk)
        check_unshare(user, share, node)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MySharesView(DocumentApiView):
    @extend_schema(tags=["shares"], responses=ShareSerializer(many=True),
                   summary="What I shared, with whom",
                   description="The shares you made, on resources still alive (not in a "
                               "trash), by resource.")
    def get(self, request: Request) -> Response:
        shares = queries.shares_i_made(self.user())
        page = self.paginate_queryset(shares) or []
        nodes = Node.objects.filter(pk__in={s.resource_id for s in page
                                            if s.resource_type == Node.share_type})
        context = {"resource_keys": {(Node.share_type, n.pk): resource_key(n) for n in nodes}}
        return self.get_paginated_response(ShareSerializer(page, many=True,
                                                           context=context).data)

