"""Shapes of the Espace documentaire's and the sharing engine's requests and responses.

Validation only: rights are the access functions' (`preau.documents.access`,
`preau.sharing.access`), and every write is an action of `preau.documents.actions` or
`preau.sharing.actions`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from preau.api.serializers import (
    GroupRefSerializer,
    IdField,
    OutputSerializer,
    PersonRefSerializer,
    RefField,
)
from preau.documents.access import breadcrumb
from preau.documents.models import FileVersion, Node, ThumbnailState
from preau.sharing.models import RIGHT_ORDER, Right, Share, Via

RIGHTS_FIELD = serializers.ListField(
    child=serializers.ChoiceField(choices=Right.choices),
    help_text="Rights, in this order: read, contrib, comment, manage.")


def ordered_rights(rights: frozenset[str] | set[str]) -> list[str]:
    return [str(right) for right in RIGHT_ORDER if right in rights]


def resource_key(node: Node) -> str:
    """The API's name for a node: "folder:12" or "document:34"."""
    return f"{'folder' if node.is_folder else 'document'}:{node.pk}"


# Documents and folders ----------------------------------------------------------------------


class NodeSerializer(OutputSerializer):
    """A file or a folder in a list. `size` and `content_type` are the current version's
    (0 and "" for a folder); `parent` is null at the top of a section."""

    owner = PersonRefSerializer(read_only=True)
    version = serializers.SerializerMethodField()
    has_thumbnail = serializers.SerializerMethodField()
    thumbnail_status = serializers.SerializerMethodField(
        help_text="The thumbnail of the current version: `none` (not an image), `pending` "
                  "(being made by a background job), `ready`, `too_large` (more pixels "
                  "than the instance's limit: no thumbnail, the file is kept), `failed` "
                  "(the image could not be read); null for a folder.")

    class Meta:
        model = Node
        fields = ["id", "kind", "name", "size", "content_type", "parent", "app", "owner",
                  "version", "has_thumbnail", "thumbnail_status", "created_at", "updated_at"]

    def get_version(self, node: Node) -> int | None:
        return node.current.number if node.current is not None else None

    def get_has_thumbnail(self, node: Node) -> bool:
        return bool(node.current is not None and node.current.thumbnail_key)

    @extend_schema_field(serializers.ChoiceField(choices=ThumbnailState.choices,
                                                 allow_null=True))
    def get_thumbnail_status(self, node: Node) -> str | None:
        return str(node.current.thumbnail_state) if node.current is not None else None


class CrumbSerializer(OutputSerializer):
    class Meta:
        model = Node
        fields = ["id", "name"]


class NodeDetailSerializer(NodeSerializer):
    """One node, with the caller's rights on it and the folders above it that the caller may
    see (from the top)."""

    rights = serializers.SerializerMethodField()
    breadcrumb = serializers.SerializerMethodField()

    class Meta(NodeSerializer.Meta):
        fields = [*NodeSerializer.Meta.fields, "rights", "breadcrumb"]

    @extend_schema_field(RIGHTS_FIELD)
    def get_rights(self, node: Node) -> list[str]:
        return ordered_rights(getattr(node, "rights", frozenset()))

    @extend_schema_field(CrumbSerializer(many=True))
    def get_breadcrumb(self, node: Node) -> list[dict[str, Any]]:
        crumbs = breadcrumb(self.context["user"], node)
        return CrumbSerializer(crumbs, many=True).data  # type: ignore[return-value]


class ChildrenPageSerializer(serializers.Serializer):
    """One page of a folder's content (the list endpoints' shape)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NodeSerializer(many=True)


class FolderDetailSerializer(NodeDetailSerializer):
    """A folder and one page of its content (folders first), paged by `limit` and `offset`."""

    children = serializers.SerializerMethodField()

    class Meta(NodeDetailSerializer.Meta):
        fields = [*NodeDetailSerializer.Meta.fields, "children"]

    @extend_schema_field(ChildrenPageSerializer)
    def get_children(self, node: Node) -> dict[str, Any]:
        return self.context["children"]  # type: ignore[no-any-return]


class TrashEntrySerializer(NodeSerializer):
    """Something the caller deleted (with everything inside it, for a folder); it still
    counts in its owner's quota until deleted for good."""

    class Meta(NodeSerializer.Meta):
        fields = [*NodeSerializer.Meta.fields, "trashed_at", "trash_origin"]


class VersionSerializer(OutputSerializer):
    created_by = PersonRefSerializer(read_only=True, allow_null=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = FileVersion
        fields = ["number", "size", "content_type", "created_at", "created_by", "is_current"]

    def get_is_current(self, version: FileVersion) -> bool:
        return bool(self.context["current_id"] == version.pk)


class UploadSerializer(serializers.Serializer):
    """multipart/form-data: one file per request."""

    file = serializers.FileField(help_text="The file; its name is the document's name.")
    folder = IdField(
        required=False,
        help_text="Id of a folder you may contribute to; the top of My documents if left out.")


class VersionUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The new content; the document keeps its name.")


class ListQuerySerializer(serializers.Serializer):
    folder = IdField(
        required=False, allow_null=True,
        help_text="A folder's id: its content; left out or empty: the top of My documents.")


class FolderQuerySerializer(serializers.Serializer):
    parent = IdField(  # type: ignore[assignment]  # not Field.parent
        required=False,
        help_text="A folder's id: its sub-folders; left out: the folders at the top of "
                  "My documents.")


class DocumentUpdateSerializer(serializers.Serializer):
    """Rename and/or move (both need the manage right); fields left out do not change."""

    name = serializers.CharField(required=False, max_length=400, trim_whitespace=False)
    folder = IdField(
        required=False, allow_null=True,
        help_text="Move into this folder (contribute right needed there); null: to the top "
                  "of My documents (its owner only).")


class FolderCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=400, trim_whitespace=False)
    parent = IdField(  # type: ignore[assignment]  # not Field.parent
        required=False, allow_null=True,
        help_text="Id of a folder you may contribute to; the top of My documents if left "
                  "out or null.")


class FolderUpdateSerializer(serializers.Serializer):
    """Rename and/or move (both need the manage right); fields left out do not change."""

    name = serializers.CharField(required=False, max_length=400, trim_whitespace=False)
    parent = IdField(  # type: ignore[assignment]  # not Field.parent
        required=False, allow_null=True,
        help_text="Move into this folder; null: to the top of My documents (its owner only).")


class CopySerializer(serializers.Serializer):
    folder = IdField(
        required=False, allow_null=True,
        help_text="Copy into this folder (contribute right needed); left out or null: the "
                  "top of My documents. The copy is yours and counts in your quota.")


class QuotaSerializer(serializers.Serializer):
    """Every file version the caller owns counts, the trash included, until emptied."""

    used = serializers.IntegerField(help_text="Bytes used, trash included.")
    limit = serializers.IntegerField(help_text="Bytes allowed.")
    free = serializers.IntegerField(help_text="Bytes left.")
    percent = serializers.IntegerField(help_text="Used, in percent of the limit (0-100).")
    warning = serializers.BooleanField(help_text="True from 80 % on.")


class FreedSerializer(serializers.Serializer):
    freed = serializers.IntegerField(help_text="Bytes given back to the owners' quotas.")
    quota = QuotaSerializer(help_text="The caller's quota afterwards.")


class QuotaExceededSerializer(serializers.Serializer):
    """413: the upload does not fit. The figures (bytes) are given when the space is the
    caller's own."""

    detail = serializers.CharField()
    used = serializers.IntegerField(required=False)
    limit = serializers.IntegerField(required=False)
    free = serializers.IntegerField(required=False)
    size = serializers.IntegerField(required=False)


# Shares -------------------------------------------------------------------------------------


class ShareSerializer(OutputSerializer):
    """One grantee's rights on one resource. `grantee` is "user:ID" or "group:ID"; `user`
    and `group` describe it (one of them is null). `via` says whether it was made by name or
    through a share bookmark (`bookmark_name`)."""

    resource = serializers.SerializerMethodField()
    grantee = serializers.CharField(source="grantee_key", read_only=True)
    user = PersonRefSerializer(read_only=True, allow_null=True)
    group = GroupRefSerializer(read_only=True, allow_null=True)
    rights = serializers.SerializerMethodField()
    via = serializers.ChoiceField(choices=Via.choices, read_only=True)
    created_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Share
        fields = ["id", "resource", "grantee", "user", "group", "rights", "via",
                  "bookmark_name", "created_by", "created_at"]

    @extend_schema_field(serializers.CharField(help_text='"document:ID" or "folder:ID".'))
    def get_resource(self, share: Share) -> str:
        keys: dict[tuple[str, int], str] = self.context.get("resource_keys", {})
        return keys.get((share.resource_type, share.resource_id),
                        f"{share.resource_type}:{share.resource_id}")

    @extend_schema_field(RIGHTS_FIELD)
    def get_rights(self, share: Share) -> list[str]:
        return ordered_rights(share.rights)


class HiddenShareSerializer(OutputSerializer):
    """A share to someone the caller can no longer reach: its id (to remove it) and rights,
    never the grantee."""

    rights = serializers.SerializerMethodField()

    class Meta:
        model = Share
        fields = ["id", "rights"]

    @extend_schema_field(RIGHTS_FIELD)
    def get_rights(self, share: Share) -> list[str]:
        return ordered_rights(share.rights)


class ShareCreateSerializer(serializers.Serializer):
    resource = RefField(("document", "folder"), help_text='"document:ID" or "folder:ID".')
    grantee = RefField(("user", "group", "bookmark"),
                       help_text='"user:ID", "group:ID" or "bookmark:ID" (one of your share '
                                 "bookmarks: expanded now into its members).")
    rights = serializers.ListField(
        child=serializers.ChoiceField(choices=Right.choices), allow_empty=False, max_length=4,
        help_text="manage implies every right; every right implies read.")


class ShareRightsSerializer(serializers.Serializer):
    rights = serializers.ListField(
        child=serializers.ChoiceField(choices=Right.choices), allow_empty=False, max_length=4,
        help_text="The new rights (they replace the old ones).")


class ShareOutcomeSerializer(serializers.Serializer):
    """The shares made or changed (several for a bookmark), and the bookmark's members left
    out because the caller can no longer reach them."""

    shares = ShareSerializer(many=True)
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Existing shares whose rights changed.")
    skipped_users = PersonRefSerializer(many=True)
    skipped_groups = GroupRefSerializer(many=True)


class ResourceSharesSerializer(serializers.Serializer):
    """A resource's shares as its manager sees them."""

    resource = serializers.CharField()
    own = ShareSerializer(many=True, help_text="On the resource itself.")
    inherited = ShareSerializer(many=True, help_text="On the folders above it: they apply "
                                                     "here and are changed there.")
    hidden_count = serializers.IntegerField(help_text='"n other people": shares to people or '
                                                      "groups out of your reach.")
    hidden = HiddenShareSerializer(many=True)


class ShareQuerySerializer(serializers.Serializer):
    resource = RefField(("document", "folder"), help_text='"document:ID" or "folder:ID".')

