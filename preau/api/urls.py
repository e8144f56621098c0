"""REST API v1 routes, mounted at /api/v1/. The OpenAPI schema is at schema/.

The Espace documentaire's, the Messagerie's, the shares' and the year change's routes take
their final slash as optional (`/documents/12` and `/documents/12/` are the same), as
scripts write them both ways. Ids go through the `id` converter (`preau.lib.converters`):
one too large for the database is a 404."""

from typing import Any

from django.urls import URLPattern, path
from django.urls.resolvers import RoutePattern
from rest_framework.routers import SimpleRouter

from preau.api import documents, messaging, views, yearchange
from preau.api.schema import SchemaView

router = SimpleRouter(use_regex_path=False)  # each viewset's lookup_value_converter is "id"
router.register("me/tokens", views.MyTokenViewSet, basename="api-token")
router.register("people", views.PersonViewSet, basename="api-person")
router.register("classes", views.ClassViewSet, basename="api-class")
router.register("groups", views.GroupViewSet, basename="api-group")
router.register("class-attachments", views.ClassAttachmentViewSet,
                basename="api-class-attachment")
router.register("bookmarks", views.BookmarkViewSet, basename="api-bookmark")
router.register("admin/users", views.AdminUserViewSet, basename="api-admin-user")

ID = "<id:pk>"


class OptionalSlashPattern(RoutePattern):
    """A `path()` route (converters included) whose final slash may be left out."""

    def __init__(self, route: str, name: str | None = None, is_endpoint: bool = False) -> None:
        super().__init__(route, name, is_endpoint)
        regex: str = self._regex  # type: ignore[has-type]  # set by RoutePattern
        if is_endpoint and regex.endswith("/\\Z"):
            self._regex = regex[: -len("/\\Z")] + "/?\\Z"


def route(pattern: str, view: Any, name: str) -> URLPattern:
    """`pattern` with an optional final slash (the schema shows it with the slash)."""
    return URLPattern(OptionalSlashPattern(f"{pattern}/", name=name, is_endpoint=True),
                      view.as_view(), name=name)


document_urls = [
    route("me/quota", documents.QuotaView, "api-quota"),
    route("documents", documents.DocumentListView, "api-documents"),
    route("documents/shared-with-me", documents.SharedWithMeView, "api-shared-with-me"),
    route("documents/apps", documents.AppDocumentsView, "api-app-documents"),
    route("documents/trash", documents.TrashView, "api-trash"),
    route("documents/trash/empty", documents.EmptyTrashView, "api-trash-empty"),
    route(f"documents/trash/{ID}", documents.TrashEntryView, "api-trash-entry"),
    route(f"documents/trash/{ID}/restore", documents.TrashRestoreView, "api-trash-restore"),
    route(f"documents/{ID}", documents.DocumentDetailView, "api-document"),
    route(f"documents/{ID}/content", documents.ContentView, "api-document-content"),
    route(f"documents/{ID}/thumbnail", documents.ThumbnailView, "api-document-thumbnail"),
    route(f"documents/{ID}/copy", documents.CopyView, "api-document-copy"),
    route(f"documents/{ID}/versions", documents.VersionListView, "api-versions"),
    route(f"documents/{ID}/versions/<id:number>/content",
          documents.VersionContentView, "api-version-content"),
    route(f"documents/{ID}/versions/<id:number>/restore",
          documents.VersionRestoreView, "api-version-restore"),
    route("folders", documents.FolderListView, "api-folders"),
    route(f"folders/{ID}", documents.FolderDetailView, "api-folder"),
    route(f"folders/{ID}/copy", documents.FolderCopyView, "api-folder-copy"),
    route("shares", documents.ShareListView, "api-shares"),
    route("shares/mine", documents.MySharesView, "api-my-shares"),
    route(f"shares/{ID}", documents.ShareDetailView, "api-share"),
]

ATT = "<id:attachment_id>"
mail_urls = [
    route("mail/folders", messaging.MailFolderListView, "api-mail-folders"),
    route(f"mail/folders/{ID}", messaging.MailFolderDetailView, "api-mail-folder"),
    route("mail/folders/<mailbox:key>/messages",
          messaging.MailFolderMessagesView, "api-mail-folder-messages"),
    route("mail/messages", messaging.MessageListView, "api-mail-messages"),
    route(f"mail/messages/{ID}", messaging.MessageDetailView, "api-mail-message"),
    route(f"mail/messages/{ID}/trash", messaging.MessageTrashView, "api-mail-trash"),
    route(f"mail/messages/{ID}/restore", messaging.MessageRestoreView, "api-mail-restore"),
    route(f"mail/messages/{ID}/unread", messaging.MessageUnreadView, "api-mail-unread"),
    route(f"mail/messages/{ID}/move", messaging.MessageMoveView, "api-mail-move"),
    route(f"mail/messages/{ID}/reply", messaging.MessageReplyView, "api-mail-reply"),
    route(f"mail/messages/{ID}/forward", messaging.MessageForwardView, "api-mail-forward"),
    route(f"mail/messages/{ID}/attachments/{ATT}", messaging.MessageAttachmentView,
          "api-mail-message-attachment"),
    route(f"mail/messages/{ID}/attachments/{ATT}/content", messaging.AttachmentContentView,
          "api-mail-attachment"),
    route("mail/trash/empty", messaging.EmptyMailTrashView, "api-mail-trash-empty"),
    route("mail/drafts", messaging.DraftListView, "api-mail-drafts"),
    route(f"mail/drafts/{ID}", messaging.DraftDetailView, "api-mail-draft"),
    route(f"mail/drafts/{ID}/send", messaging.DraftSendView, "api-mail-draft-send"),
    route(f"mail/drafts/{ID}/attachments", messaging.DraftAttachmentListView,
          "api-mail-draft-attachments"),
    route(f"mail/drafts/{ID}/attachments/{ATT}", messaging.DraftAttachmentDetailView,
          "api-mail-draft-attachment"),
]

yearchange_urls = [
    route("yearchange/runs", yearchange.RunListView, "api-yearchange-runs"),
    route("yearchange/plan", yearchange.PlanView, "api-yearchange-plan"),
    route(f"yearchange/runs/{ID}", yearchange.RunDetailView, "api-yearchange-run"),
    route(f"yearchange/runs/{ID}/approve", yearchange.ApproveView, "api-yearchange-approve"),
    route("me/class-group-shares", yearchange.ClassGroupSharesView, "api-class-group-shares"),
    route(f"me/class-group-shares/{ID}/convert", yearchange.ConvertView,
          "api-class-group-share-convert"),
    route(f"me/class-group-shares/{ID}/hand-over", yearchange.HandOverView,
          "api-class-group-share-hand-over"),
]

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("directory/search/", views.DirectorySearchView.as_view(), name="api-search"),
    *document_urls,
    *mail_urls,
    *yearchange_urls,
    *router.urls,
]
