"""The share dialog (one component for every app) and the "Mes partages" page.

The dialog works as a plain page (every change a POST followed by a redirect) and, with
htmx, as a panel loaded into a modal `<dialog>` (preau/static/preau/sharing.js): requests
aimed at `#share-panel` get the panel back, those aimed at `#share-search-results` the
search results only. Rights come from `access.access_resource` (404 / 403); every change
goes through one action of `preau.sharing.actions` (or the Annuaire's for bookmarks).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from preau.accounts.models import User
from preau.directory.actions import check_create_bookmark
from preau.directory.queries import bookmarks_of
from preau.lib.errors import Refusal
from preau.sharing.access import (
    access_resource,
    dialog_shares,
    own_share,
    resources_shared_by,
    share_candidates,
    shared_resources,
)
from preau.sharing.actions import (
    ShareOutcome,
    check_share,
    check_unshare,
    check_unshare_hidden,
    check_update_rights,
)
from preau.sharing.forms import (
    RightsForm,
    SaveBookmarkForm,
    ShareForm,
    ShareSearchForm,
    right_choices,
)
from preau.sharing.models import Right
from preau.sharing.registry import ShareableType

PANEL = "share-panel"
RESULTS = "share-search-results"
MINE_PAGE_SIZE = 50
# The documents' "Partagés avec moi" section: the one list of what others shared with me.
SHARED_WITH_ME_URL_NAME = "documents:shared"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return ""
    return str(htmx.target or "")


def _varies_with_htmx(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _dialog_url(shareable: ShareableType, resource: Any) -> str:
    return reverse("sharing:dialog", args=[shareable.key, resource.pk])


def _dialog_context(request: HttpRequest, shareable: ShareableType, resource: Any,
                    fragment: bool, search: bool) -> dict[str, Any]:
    user = _user(request)
    search_form = ShareSearchForm(request.GET if search else None)
    text = search_form.text()
    return {
        "nav": "sharing",
        "shareable": shareable,
        "resource": resource,
        "label": shareable.label(resource),
        "link": shareable.link(resource),
        "dialog_url": _dialog_url(shareable, resource),
        "shares": dialog_shares(user, resource),
        "rights": right_choices(),
        "search_form": search_form,
        "query": text,
        "candidates": share_candidates(user, resource, text) if text else None,
        "bookmarks": bookmarks_of(user),
        "is_fragment": fragment,
    }


def _render_dialog(request: HttpRequest, shareable: ShareableType, resource: Any,
                   search: bool = True) -> HttpResponse:
    target = _htmx_target(request)
    fragment = target == PANEL
    template = {PANEL: "sharing/_dialog.html",
                RESULTS: "sharing/_search_results.html"}.get(target, "sharing/dialog.html")
    context = _dialog_context(request, shareable, resource, fragment, search)
    return _varies_with_htmx(render(request, template, context))


def _after_change(request: HttpRequest, shareable: ShareableType, resource: Any) -> HttpResponse:
    """htmx gets the panel back (with the messages); a plain form post is redirected."""
    if _htmx_target(request) == PANEL:
        return _render_dialog(request, shareable, resource, search=False)
    return redirect(_dialog_url(shareable, resource))


@login_required
@require_safe
def dialog(request: HttpRequest, resource_type: str, resource_id: int) -> HttpResponse:
    """Who holds which rights on a resource, and sharing it: for its managers only."""
    shareable, resource = access_resource(_user(request), resource_type, resource_id)
    return _render_dialog(request, shareable, resource)


def _report_outcome(request: HttpRequest, outcome: ShareOutcome) -> None:
    if outcome.shares:
        messages.success(request, ngettext(
            "Shared with %(count)d person or group.",
            "Shared with %(count)d people or groups.",
            len(outcome.shares)) % {"count": len(outcome.shares)})
    skipped = [u.full_name for u in outcome.skipped_users] + [
        g.name for g in outcome.skipped_groups]
    if skipped:
        messages.warning(request, ngettext(
            "Not shared with this member of the bookmark, out of your reach: %(names)s.",
            "Not shared with these members of the bookmark, out of your reach: %(names)s.",
            len(skipped)) % {"names": ", ".join(skipped)})
    if not outcome.shares and not skipped:
        messages.info(request, _("Nothing to share: the owners already hold every right."))


@login_required
@require_POST
def share(request: HttpRequest, resource_type: str, resource_id: int) -> HttpResponse:
    """Share with the selected people and groups, or with one share bookmark (expanded
    now into its members, as the reference ENT does)."""
    user = _user(request)
    shareable, resource = access_resource(user, resource_type, resource_id)
    form = ShareForm(user, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose people, groups or a bookmark among those offered."))
        return _after_change(request, shareable, resource)
    bookmark = form.cleaned_data["bookmark"]
    users, groups = ([], []) if bookmark is not None else form.selected()
    try:
        outcome = check_share(user, resource, users=users, groups=groups, bookmark=bookmark,
                              rights=form.cleaned_data["rights"])
    except Refusal as error:
        messages.error(request, str(error))
    else:
        _report_outcome(request, outcome)
    return _after_change(request, shareable, resource)


@login_required
@require_POST
def update_rights(request: HttpRequest, resource_type: str, resource_id: int,
                  share_id: int) -> HttpResponse:
    user = _user(request)
    shareable, resource = access_resource(user, resource_type, resource_id)
    found = own_share(resource, share_id)
    if found is None:
        raise Http404
    form = RightsForm(request.POST)
    rights = form.cleaned_data["rights"] if form.is_valid() else []
    try:
        check_update_rights(user, found, resource, rights)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Rights of %(name)s saved.") % {"name": found.grantee_label})
    return _after_change(request, shareable, resource)


@login_required
@require_POST
def unshare(request: HttpRequest, resource_type: str, resource_id: int,
            share_id: int) -> HttpResponse:
    user = _user(request)
    shareable, resource = access_resource(user, resource_type, resource_id)
    found = own_share(resource, share_id)
    if found is None:
        raise Http404
    try:
        check_unshare(user, found, resource)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Share with %(name)s removed.") % {"name": found.grantee_label})
    return _after_change(request, shareable, resource)


@login_required
@require_POST
def unshare_hidden(request: HttpRequest, resource_type: str, resource_id: int) -> HttpResponse:
    """Remove the shares to people and groups the user can no longer reach."""
    user = _user(request)
    shareable, resource = access_resource(user, resource_type, resource_id)
    try:
        removed = check_unshare_hidden(user, resource)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, ngettext("%(count)d share removed.",
                                           "%(count)d shares removed.", removed)
                         % {"count": removed})
    return _after_change(request, shareable, resource)


@login_required
@require_POST
def save_bookmark(request: HttpRequest, resource_type: str, resource_id: int) -> HttpResponse:
    """"Enregistrer comme favori de partage": the selected people and groups, as a new
    bookmark of the user's (the Annuaire's action checks they may reach every one)."""
    user = _user(request)
    shareable, resource = access_resource(user, resource_type, resource_id)
    form = SaveBookmarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values()
                                         for error in errors))
        return _after_change(request, shareable, resource)
    users, groups = form.selected()
    try:
        bookmark = check_create_bookmark(user, form.cleaned_data["name"], users, groups)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Share bookmark “%(name)s” saved: it is in the list below "
                                    "and in the Directory.") % {"name": bookmark.name})
    return _after_change(request, shareable, resource)


# Mes partages ---------------------------------------------------------------------------------


def _optional_url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """What I shared, with whom, grouped by resource (most recently shared first)."""
    user = _user(request)
    page = Paginator(resources_shared_by(user), MINE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sharing/mine.html", {
        "nav": "sharing",
        "page": page,
        "resources": shared_resources(user, list(page.object_list)),
        "rights": right_choices(),
        "manage": Right.MANAGE.value,
        "shared_with_me_url": _optional_url(SHARED_WITH_ME_URL_NAME),
    })
