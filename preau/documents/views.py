"""Pages of the Espace documentaire: Mes documents (folder tree and listing), Partagés avec
moi, Documents ajoutés dans les applis, Corbeille, a file's page, uploads and downloads.

Views stay thin: they read through `access` (404 for what the user may not see, 403 for a
missing right), write through one `actions.check_*` call, and turn a refused action
(any `preau.lib.errors.Refusal`) into a message: a flash message and a redirect for a plain
form, the message with the error's HTTP status for htmx and for the upload script (JSON).

Large folders are paged (200 entries a page, folders first, sorted by name, date or size):
a folder of 10,000 documents lists in the same number of queries as a folder of ten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    QueryDict,
)
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from preau.accounts.models import User
from preau.documents.access import (
    access_folder,
    access_node,
    access_trashed,
    app_documents,
    breadcrumb,
    my_documents,
    my_folders,
    shared_with_me,
    trash_of,
)
from preau.documents.actions import (
    DocumentError,
    FileTooLarge,
    QuotaExceeded,
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
)
from preau.documents.context import quota_info
from preau.documents.forms import NameForm, TargetFolderForm, VersionForm
from preau.documents.media import INLINE_TYPES
from preau.documents.models import App, FileVersion, Node, NodeKind
from preau.documents.responses import file_response, thumbnail_response
from preau.documents.sizes import size_label
from preau.documents.templatetags.documents_tags import ICON_POLLS
from preau.lib.errors import Refusal
from preau.lib.ids import parse_id
from preau.sharing.models import Right

PAGE_SIZE = 200
# ?tri=…: the listing's order; folders always come first.
SORTS: dict[str, tuple[str, ...]] = {
    "nom": ("-kind", "name", "pk"),
    "-nom": ("-kind", "-name", "-pk"),
    "date": ("-kind", "updated_at", "pk"),
    "-date": ("-kind", "-updated_at", "-pk"),
    "taille": ("-kind", "size", "pk"),
    "-taille": ("-kind", "-size", "-pk"),
}
# An upload's request carries a little more than its files (multipart headers, fields).
UPLOAD_MARGIN = 64 * 1024


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _wants_json(request: HttpRequest) -> bool:
    """The upload script asks for JSON; plain forms and htmx get pages and fragments."""
    return "application/json" in request.headers.get("Accept", "")


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _back(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or ""
    # A path of ours only: redirect() would take any other word for a view's name.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return default


def _place_url(node: Node | None) -> str:
    """The folder page holding `node` (or Mes documents / the apps' page at the top)."""
    if node is None:
        return reverse("documents:index")
    if node.parent_id:
        return reverse("documents:folder", args=[node.parent_id])
    if node.app != App.DOCUMENTS:
        return reverse("documents:apps")
    return reverse("documents:index")


def _refused(request: HttpRequest, error: Refusal, back: str) -> HttpResponse:
    """A refused action: its message, with its status for htmx, a flash message otherwise."""
    if _wants_json(request):
        return JsonResponse({"error": str(error)}, status=error.status)
    if _is_htmx(request):
        return HttpResponse(format_html('<p class="message error" role="alert">{}</p>',
                                        str(error)), status=error.status)
    messages.error(request, str(error))
    return redirect(back)


# Listings -----------------------------------------------------------------------------------


@dataclass
class Branch:
    folder: Node
    children: list[Branch] = field(default_factory=list)


def _tree(user: User) -> list[Branch]:
    """The user's folders of Mes documents as a tree (one query)."""
    branches = {f.pk: Branch(f) for f in my_folders(user)}
    roots: list[Branch] = []
    for branch in branches.values():
        parent = branches.get(branch.folder.parent_id or 0)
        (parent.children if parent else roots).append(branch)
    return roots


def _sorted_page(request: HttpRequest, nodes: QuerySet[Node]) -> tuple[Any, str]:
    sort = request.GET.get("tri", "nom")
    if sort not in SORTS:
        sort = "nom"
    ordered = nodes.select_related("owner", "current").order_by(*SORTS[sort])
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, sort


def _listing(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A page with a listing; htmx (sorting, paging) gets the listing alone."""
    context.setdefault("nav", "documents")
    if _is_htmx(request) and getattr(request, "htmx").target == "doc-listing":  # noqa: B009
        template = "documents/_listing.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Mes documents, top level."""
    user = _user(request)
    page, sort = _sorted_page(request, my_documents(user))
    return _listing(request, "documents/folder.html", {
        "section": "mine", "folder": None, "page": page, "sort": sort, "tree": _tree(user),
        "can_add": True, "rights": frozenset(Right), "crumbs": [],
    })


@login_required
@require_safe
def folder(request: HttpRequest, node_id: int) -> HttpResponse:
    """A folder: one of mine (with the tree), or one shared with me (its breadcrumb starts
    at the highest folder I was given)."""
    user = _user(request)
    node = access_folder(user, node_id)
    rights = node.rights  # type: ignore[attr-defined]
    page, sort = _sorted_page(request, my_documents(user, node))
    mine = node.owner_id == user.pk and node.app == App.DOCUMENTS
    return _listing(request, "documents/folder.html", {
        "section": "mine" if mine else "shared", "folder": node, "page": page, "sort": sort,
        "tree": _tree(user) if mine else [], "rights": rights,
        "can_add": Right.CONTRIB in rights, "crumbs": breadcrumb(user, node),
    })


@login_required
@require_safe
def shared(request: HttpRequest) -> HttpResponse:
    """Partagés avec moi: what others shared with me or my groups."""
    user = _user(request)
    page, sort = _sorted_page(request, shared_with_me(user))
    return _listing(request, "documents/shared.html",
                    {"section": "shared", "page": page, "sort": sort})


@login_required
@require_safe
def apps(request: HttpRequest) -> HttpResponse:
    """Documents ajoutés dans les applis, grouped by app."""
    user = _user(request)
    page = Paginator(app_documents(user).select_related("current"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    labels = dict(App.choices)
    groups: list[tuple[str, list[Node]]] = []
    for node in page.object_list:
        label = str(labels.get(node.app, node.app))
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(node)
    return render(request, "documents/apps.html", {
        "nav": "documents", "section": "apps", "page": page, "groups": groups})


@login_required
@require_safe
def trash(request: HttpRequest) -> HttpResponse:
    """Corbeille: what I deleted (mine or shared), where it was, when; still counted."""
    user = _user(request)
    page = Paginator(trash_of(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "documents/trash.html",
                  {"nav": "documents", "section": "trash", "page": page})


# A file -------------------------------------------------------------------------------------


@login_required
@require_safe
def file(request: HttpRequest, node_id: int) -> HttpResponse:
    user = _user(request)
    node = access_node(user, node_id, kind=NodeKind.FILE)
    mine = node.owner_id == user.pk
    return render(request, "documents/file.html", {
        "nav": "documents", "section": "mine" if mine else "shared", "node": node,
        "rights": node.rights,  # type: ignore[attr-defined]
        "crumbs": breadcrumb(user, node),
        "versions": node.versions.select_related("created_by"),
        "previewable": node.content_type in INLINE_TYPES,
        "is_pdf": node.content_type == "application/pdf",
        "is_image": node.content_type.startswith("image/"),
    })


def _version(node: Node, request: HttpRequest) -> FileVersion | None:
    raw = request.GET.get("version", "")
    if not raw:
        return None
    version_id = parse_id(raw)
    if version_id is None:
        raise Http404
    return get_object_or_404(FileVersion, node=node, pk=version_id)


@login_required
@require_safe
def download(request: HttpRequest, node_id: int) -> HttpResponseBase:
    """The bytes, as an attachment named like the file (accents kept)."""
    node = access_node(_user(request), node_id, kind=NodeKind.FILE)
    return file_response(node, _version(node, request))


@login_required
@require_safe
@xframe_options_sameorigin
def preview(request: HttpRequest, node_id: int) -> HttpResponseBase:
    """Shown inline only for images and PDF; anything else comes as an attachment."""
    node = access_node(_user(request), node_id, kind=NodeKind.FILE)
    return file_response(node, _version(node, request), inline=True)


@login_required
@require_safe
def thumbnail(request: HttpRequest, node_id: int) -> HttpResponse:
    node = access_node(_user(request), node_id, kind=NodeKind.FILE)
    if node.current is None or not node.current.thumbnail_key:
        raise Http404
    return thumbnail_response(node.current)


@login_required
@require_safe
def icon(request: HttpRequest, node_id: int) -> HttpResponse:
    """A file's icon, asked again by the listing while its thumbnail is being made (htmx):
    the generic icon until the job is done, then the thumbnail; the icon stops asking after
    a number of answers (`documents_tags.ICON_POLLS`; a page reloaded later shows the
    thumbnail anyway)."""
    node = access_node(_user(request), node_id, kind=NodeKind.FILE)
    raw = request.GET.get("essai", "")
    attempt = int(raw) if raw.isdigit() and len(raw) < 4 else ICON_POLLS
    return render(request, "documents/_icon.html", {"node": node, "poll": attempt + 1})


# Uploads ------------------------------------------------------------------------------------


def _accept_checked(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("only used for its CSRF check")


def _csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """CSRF check of the upload view (exempted from the middleware's, which always parses the
    body). With the token in a header (the upload script), the body is left unread, so a
    request too large for the user's space is refused before a byte of it is stored."""
    header_only = settings.CSRF_HEADER_NAME in request.META
    if header_only:
        request._post, request._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
    try:
        return CsrfViewMiddleware(_accept_checked).process_view(request, _accept_checked, (), {})
    finally:
        if header_only:
            del request._post, request._files  # type: ignore[attr-defined]


@dataclass
class UploadResult:
    name: str
    node: Node | None = None
    error: Refusal | None = None

    def as_json(self) -> dict[str, Any]:
        if self.node is not None:
            return {"name": self.node.name, "id": self.node.pk, "size": self.node.size,
                    "url": reverse("documents:file", args=[self.node.pk])}
        assert self.error is not None
        data: dict[str, Any] = {"name": self.name, "error": str(self.error),
                                "status": self.error.status}
        if isinstance(self.error, QuotaExceeded):
            data.update(used=self.error.used, limit=self.error.limit, free=self.error.free,
                        size=self.error.size)
        return data


def _too_large(name: str) -> FileTooLarge:
    return FileTooLarge(_("The file “%(name)s” is too large: the limit is %(limit)s per "
                          "file.") % {"name": name,
                                      "limit": size_label(settings.PREAU_UPLOAD_MAX_BYTES)})


def _upload_answer(request: HttpRequest, results: list[UploadResult], back: str,
                   folder: Node | None) -> HttpResponse:
    failed = [r for r in results if r.error is not None]
    status = max((r.error.status for r in failed if r.error), default=201)
    if _wants_json(request):
        return JsonResponse({"results": [r.as_json() for r in results]}, status=status)
    if not failed:
        for result in results:
            assert result.node is not None
            messages.success(request, _("“%(name)s” was added.") % {"name": result.node.name})
        return redirect(back)
    return render(request, "documents/upload_result.html", {
        "nav": "documents", "results": results, "back": back, "folder": folder,
        "quota_refused": any(isinstance(r.error, QuotaExceeded) for r in failed),
    }, status=status)


@csrf_exempt
@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponseBase:
    """One or several files into a folder (or Mes documents). The upload script sends one
    file a request (a progress bar each) with the CSRF token in a header; the plain form
    sends them all at once."""
    user = _user(request)
    refused = _csrf_refusal(request)
    if refused is not None:
        return refused
    back = reverse("documents:index")
    if settings.CSRF_HEADER_NAME in request.META:
        # Refuse before reading the body when it cannot fit in the user's space.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        info = quota_info(user)
        if length > info.free + UPLOAD_MARGIN:
            early = QuotaExceeded(info.used, info.limit, length)
            return _upload_answer(request, [UploadResult(name="", error=early)], back, None)
    folder = None
    folder_id = request.POST.get("folder", "")
    if folder_id:
        if parse_id(folder_id) is None:
            raise Http404
        folder = access_folder(user, int(folder_id))
        back = reverse("documents:folder", args=[folder.pk])
    back = _back(request, back)
    too_large = getattr(request, "preau_upload_too_large", None)
    if too_large is not None:
        return _upload_answer(request, [UploadResult(name=too_large,
                                                     error=_too_large(too_large))], back, folder)
    files = request.FILES.getlist("files")
    if not files:
        error = DocumentError(_("Choose at least one file."))
        return _upload_answer(request, [UploadResult(name="", error=error)], back, folder)
    results = []
    for upload_file in files:
        result = UploadResult(name=upload_file.name or "")
        try:
            result.node = check_upload(user, upload_file, folder)
        except Refusal as error:
            result.error = error
        results.append(result)
    return _upload_answer(request, results, back, folder)


# Changes ------------------------------------------------------------------------------------


def _form_error(form: Any) -> DocumentError:
    first = next(iter(form.errors.values()))[0]
    return DocumentError(first)


@login_required
@require_POST
def create_folder(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    parent = None
    parent_id = request.POST.get("parent", "")
    if parent_id:
        if parse_id(parent_id) is None:
            raise Http404
        parent = access_folder(user, int(parent_id))
    back = reverse("documents:folder", args=[parent.pk]) if parent else reverse("documents:index")
    form = NameForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_error(form)
        created = check_create_folder(user, form.cleaned_data["name"], parent)
    except Refusal as error:
        return _refused(request, error, back)
    messages.success(request, _("Folder “%(name)s” created.") % {"name": created.name})
    return redirect(back)


@login_required
@require_POST
def rename(request: HttpRequest, node_id: int) -> HttpResponse:
    user = _user(request)
    node = access_node(user, node_id)
    back = _back(request, _node_page(node))
    form = NameForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_error(form)
        check_rename(user, node, form.cleaned_data["name"])
    except Refusal as error:
        return _refused(request, error, back)
    messages.success(request, _("Renamed to “%(name)s”.") % {"name": node.name})
    return redirect(back)


def _node_page(node: Node) -> str:
    return reverse("documents:folder" if node.is_folder else "documents:file", args=[node.pk])


def _target_view(request: HttpRequest, node_id: int, *, copy: bool) -> HttpResponse:
    user = _user(request)
    node = access_node(user, node_id)
    if not copy and Right.MANAGE not in node.rights:  # type: ignore[attr-defined]
        raise PermissionDenied
    form = TargetFolderForm(user, node, allow_root=copy or node.owner_id == user.pk,
                            data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        target = form.target_folder()
        try:
            done = check_copy(user, node, target) if copy else check_move(user, node, target)
        except Refusal as error:
            return _refused(request, error, reverse(
                "documents:copy" if copy else "documents:move", args=[node.pk]))
        text = (_("“%(name)s” was copied.") if copy else _("“%(name)s” was moved."))
        messages.success(request, text % {"name": done.name})
        return redirect(_node_page(done))
    return render(request, "documents/target.html", {
        "nav": "documents", "node": node, "form": form, "copy": copy,
        "crumbs": breadcrumb(user, node)}, status=400 if form.is_bound else 200)


@login_required
def move(request: HttpRequest, node_id: int) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    return _target_view(request, node_id, copy=False)


@login_required
def copy(request: HttpRequest, node_id: int) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    return _target_view(request, node_id, copy=True)


@login_required
@require_POST
def copy_to_mine(request: HttpRequest, node_id: int) -> HttpResponse:
    """"Copier dans mes documents" from a share: a copy of my own, at my top level."""
    user = _user(request)
    node = access_node(user, node_id)
    try:
        done = check_copy(user, node, None)
    except Refusal as error:
        return _refused(request, error, _node_page(node))
    messages.success(request, _("“%(name)s” was copied into your documents.")
                     % {"name": done.name})
    return redirect(_node_page(done))


@login_required
@require_POST
def delete(request: HttpRequest, node_id: int) -> HttpResponse:
    """To the trash (still counted in the quota until the trash is emptied)."""
    user = _user(request)
    node = access_node(user, node_id)
    back = _back(request, _place_url(node))
    if back == _node_page(node):
        back = _place_url(node)
    try:
        check_trash(user, node)
    except Refusal as error:
        return _refused(request, error, back)
    messages.success(request, _("“%(name)s” was moved to the trash. It still counts in your "
                                "space until you empty the trash.") % {"name": node.name})
    return redirect(back)


@login_required
@require_POST
def new_version(request: HttpRequest, node_id: int) -> HttpResponseBase:
    user = _user(request)
    node = access_node(user, node_id, kind=NodeKind.FILE)
    back = _node_page(node)
    too_large = getattr(request, "preau_upload_too_large", None)
    form = VersionForm(request.POST, request.FILES)
    try:
        if too_large is not None:
            raise _too_large(too_large)
        if not form.is_valid():
            raise _form_error(form)
        version = check_new_version(user, node, form.cleaned_data["file"])
    except Refusal as error:
        if _wants_json(request) or _is_htmx(request):
            return _refused(request, error, back)
        return render(request, "documents/upload_result.html", {
            "nav": "documents", "results": [UploadResult(name=node.name, error=error)],
            "back": back, "quota_refused": isinstance(error, QuotaExceeded)},
            status=error.status)
    messages.success(request, _("Version %(number)s added.") % {"number": version.number})
    return redirect(back)


@login_required
@require_POST
def restore_version(request: HttpRequest, node_id: int, version_id: int) -> HttpResponse:
    user = _user(request)
    node = access_node(user, node_id, kind=NodeKind.FILE)
    version = get_object_or_404(FileVersion, node=node, pk=version_id)
    try:
        check_restore_version(user, node, version)
    except Refusal as error:
        return _refused(request, error, _node_page(node))
    messages.success(request, _("Version %(number)s is the current version again.")
                     % {"number": version.number})
    return redirect(_node_page(node))


# Trash --------------------------------------------------------------------------------------


@login_required
@require_POST
def restore(request: HttpRequest, node_id: int) -> HttpResponse:
    user = _user(request)
    node = access_trashed(user, node_id)
    try:
        restored = check_restore(user, node)
    except Refusal as error:
        return _refused(request, error, reverse("documents:trash"))
    messages.success(request, _("“%(name)s” was restored.") % {"name": restored.name})
    return redirect(reverse("documents:trash"))


def _confirm(request: HttpRequest, *, title: str, text: str, button: str,
             action: Callable[[], int]) -> HttpResponse:
    """A confirmation page (GET) for what cannot be undone; POST does it."""
    if request.method == "POST":
        try:
            freed = action()
        except Refusal as error:
            return _refused(request, error, reverse("documents:trash"))
        messages.success(request, _("Deleted for good: %(size)s freed.")
                         % {"size": size_label(freed)})
        return redirect(reverse("documents:trash"))
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(request, "documents/confirm.html", {
        "nav": "documents", "section": "trash", "title": title, "text": text,
        "button": button})


@login_required
def delete_for_good(request: HttpRequest, node_id: int) -> HttpResponse:
    user = _user(request)
    node = access_trashed(user, node_id)
    return _confirm(
        request, title=_("Delete “%(name)s” for good?") % {"name": node.name},
        text=_("It cannot be restored afterwards. Its space is freed."),
        button=_("Delete for good"), action=lambda: check_delete_for_good(user, node))


@login_required
def empty_trash(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    count = trash_of(user).count()
    return _confirm(
        request, title=_("Empty the trash?"),
        text=ngettext("The %(count)s item of your trash will be deleted for good and cannot "
                      "be restored. Its space is freed.",
                      "The %(count)s items of your trash will be deleted for good and cannot "
                      "be restored. Their space is freed.", count) % {"count": count},
        button=_("Empty the trash"), action=lambda: do_empty_trash(user))
