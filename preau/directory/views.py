"""The home page and the Annuaire: search, classes, person and group cards, share bookmarks.

Views stay thin: they read through `access` (404 for what the user may not see) and
`queries` (lists built on the communication rules), call one action for a change, and
render. Every change is a POST followed by a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from preau.accounts.models import Profile, User
from preau.directory.access import (
    access_bookmark,
    access_class,
    access_class_attachment,
    access_group,
    access_person,
    approval_pending_message,
    can_approve_attachments,
    class_account_rights,
    pending_class_attachments,
)
from preau.directory.actions import (
    check_add_bookmark_members,
    check_approve_class_attachment,
    check_attach_teacher_to_class,
    check_create_bookmark,
    check_detach_teacher_from_class,
    check_remove_class_attachment,
    do_delete_bookmark,
    do_remove_bookmark_member,
    do_remove_unreachable_bookmark_members,
    do_rename_bookmark,
)
from preau.directory.communication import can_address
from preau.directory.forms import (
    BookmarkCreateForm,
    BookmarkNameForm,
    CandidateSearchForm,
    NewMembersForm,
    SearchForm,
)
from preau.directory.models import Membership, SchoolClass, ShareBookmark, StructureAttachment
from preau.directory.queries import (
    STAFF_PROFILES,
    SearchResult,
    SearchResults,
    bookmark_candidates,
    bookmark_content,
    bookmarks_of,
    class_roster,
    class_rows,
    group_members,
    member_label,
    my_classes,
    own_schools,
    parent_home,
    person_card,
    pupil_home,
    search_groups,
    search_people,
    staff_home,
)
from preau.feeds.lifecycle import days_until_deletion
from preau.lib.errors import Refusal

SEARCH_PAGE_SIZE = 50
GROUP_PAGE_SIZE = 100


def _user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx_target(request: HttpRequest) -> str | None:
    """The element an htmx request will swap, or None for a full page load."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return None
    return str(htmx.target or "")


def _varies_with_htmx(response: HttpResponse) -> HttpResponse:
    """A URL answers a fragment to htmx and a page otherwise: caches must keep both apart."""
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go back after a POST: the page that sent it, if it is one of ours."""
    candidate = request.POST.get("next") or ""
    # A path of ours only: redirect() would take any other word for a view's name.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return default


# Home ---------------------------------------------------------------------------------------


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Each profile's starting point: a teacher's schools and classes (and attaching to
    one), a pupil's class and teachers, a parent's children."""
    user = _user(request)
    context: dict[str, Any] = {"nav": "home", "days_left": days_until_deletion(user)}
    if user.profile in STAFF_PROFILES:
        context["school_blocks"] = staff_home(user)
    elif user.profile == Profile.STUDENT:
        context["pupil_classes"] = pupil_home(user)
        context["schools"] = own_schools(user)
    elif user.profile == Profile.RELATIVE:
        context["children"] = parent_home(user)
    else:
        context["schools"] = own_schools(user)
    return render(request, "directory/home.html", context)


# Search -------------------------------------------------------------------------------------


@login_required
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """People and groups the user may reach, filtered; live through htmx, plain GET without."""
    user = _user(request)
    form = SearchForm(user, request.GET)
    filters = form.filters()
    results = SearchResults(search_groups(user, filters), search_people(user, filters))
    page: Page[SearchResult] = Paginator(results, SEARCH_PAGE_SIZE).get_page(
        request.GET.get("page"))
    context = {"nav": "annuaire", "tab": "search", "form": form, "page": page}
    template = {"search-results": "directory/_search_results.html",
                "class-filter": "directory/_class_filter.html"}.get(
        _htmx_target(request) or "", "directory/search.html")
    return _varies_with_htmx(render(request, template, context))


# Classes ------------------------------------------------------------------------------------


@login_required
@require_safe
def classes(request: HttpRequest) -> HttpResponse:
    """The "Mes classes" tab: this school year's classes the user may open."""
    user = _user(request)
    return render(request, "directory/classes.html",
                  {"nav": "annuaire", "tab": "classes", "class_rows": my_classes(user)})


@login_required
@require_safe
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    """A class's pupils, parents and teachers, as far as the viewer may see them (see
    `queries.class_roster`); its managers get the connection sheets and password resets."""
    user = _user(request)
    school_class = access_class(user, class_id)
    own_row = None
    if user.profile in STAFF_PROFILES and school_class.is_active:
        rows = class_rows(user, SchoolClass.objects.filter(
            pk=school_class.pk, structure__in=StructureAttachment.objects.filter(
                user=user).values("structure")))
        own_row = rows[0] if rows else None
    rights = class_account_rights(user, school_class)
    pending_links = None
    if school_class.is_active and can_approve_attachments(user, school_class.structure):
        pending_links = list(pending_class_attachments(user, school_class=school_class))
    return render(request, "directory/class.html", {
        "nav": "annuaire", "tab": "classes", "school_class": school_class,
        "roster": class_roster(user, school_class),
        "can_manage": rights.can_manage, "own_row": own_row,
        "approval_pending": approval_pending_message() if rights.pending else "",
        "pending_links": pending_links,
    })


@login_required
@require_POST
def attach_class(request: HttpRequest, class_id: int) -> HttpResponse:
    """A teacher attaches themself to a class (the guide's "at least one pupil" rule)."""
    user = _user(request)
    school_class = access_class(user, class_id)
    try:
        check_attach_teacher_to_class(user, school_class, actor=user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You are now attached to the class %(name)s.")
                         % {"name": school_class.name})
    return redirect(_next_url(request, reverse("home")))


@login_required
@require_POST
def detach_class(request: HttpRequest, class_id: int) -> HttpResponse:
    """A teacher undoes an attachment they made themself."""
    user = _user(request)
    school_class = access_class(user, class_id)
    try:
        check_detach_teacher_from_class(user, school_class, actor=user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You are no longer attached to the class %(name)s.")
                         % {"name": school_class.name})
    return redirect(_next_url(request, reverse("home")))


def _act_on_attachment(request: HttpRequest, link_id: int,
                       action: Callable[[Membership, User], object], done: str) -> HttpResponse:
    """The head teacher's answer to a teacher's own class attachment: run `action` on it,
    say `done` (with the teacher's and the class's names) or why not, back to the class."""
    user = _user(request)
    link = access_class_attachment(user, link_id, approve=True)
    school_class = link.group.school_class
    assert school_class is not None
    try:
        action(link, user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"teacher": link.user.full_name,
                                          "class": school_class.name})
    return redirect(_next_url(request, reverse("directory:class", args=[school_class.pk])))


@login_required
@require_POST
def approve_attachment(request: HttpRequest, link_id: int) -> HttpResponse:
    """The head teacher approves a teacher's own attachment to a class."""
    return _act_on_attachment(request, link_id, check_approve_class_attachment,
                              _("%(teacher)s's attachment to %(class)s is approved."))


@login_required
@require_POST
def remove_attachment(request: HttpRequest, link_id: int) -> HttpResponse:
    """The head teacher removes a teacher's attachment made by hand."""
    return _act_on_attachment(request, link_id, check_remove_class_attachment,
                              _("%(teacher)s is no longer attached to %(class)s."))


# People and groups --------------------------------------------------------------------------


@login_required
@require_safe
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _user(request)
    card = person_card(user, access_person(user, user_id))
    return render(request, "directory/person.html",
                  {"nav": "annuaire", "tab": "search", "card": card})


@login_required
@require_safe
def group(request: HttpRequest, group_id: int) -> HttpResponse:
    user = _user(request)
    found = access_group(user, group_id)
    members, hidden_count = group_members(user, found)
    page = Paginator(members, GROUP_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "directory/group.html", {
        "nav": "annuaire", "tab": "search", "group": found, "page": page,
        "hidden_count": hidden_count, "addressable": can_address(user, found),
    })


# Share bookmarks ----------------------------------------------------------------------------


def _bookmarks_page(request: HttpRequest, selected: ShareBookmark | None,
                    status: int = 200, **forms: Any) -> HttpResponse:
    """The "Gérer mes favoris de partage" tab: the list on the left, the selection on the
    right. `forms` carries bound forms with errors back to the page."""
    user = _user(request)
    context: dict[str, Any] = {
        "nav": "annuaire", "tab": "bookmarks", "bookmarks": bookmarks_of(user),
        "selected": selected, "create_form": forms.get("create_form") or BookmarkCreateForm(user),
    }
    if selected is not None:
        candidate_form = CandidateSearchForm(request.GET)
        text = candidate_form.cleaned_data.get("q", "") if candidate_form.is_valid() else ""
        context.update({
            "content": bookmark_content(selected),
            "rename_form": forms.get("rename_form") or BookmarkNameForm(
                initial={"name": selected.name}),
            "add_form": forms.get("add_form"),
            "candidate_form": candidate_form,
            "candidates": bookmark_candidates(selected, text) if text else None,
        })
    return render(request, "directory/bookmarks.html", context, status=status)


@login_required
@require_safe
def bookmarks(request: HttpRequest) -> HttpResponse:
    return _bookmarks_page(request, None)


@login_required
@require_safe
def bookmark_detail(request: HttpRequest, bookmark_id: int) -> HttpResponse:
    user = _user(request)
    bookmark = access_bookmark(user, bookmark_id)
    if _htmx_target(request) == "bookmark-candidates":
        form = CandidateSearchForm(request.GET)
        text = form.cleaned_data.get("q", "") if form.is_valid() else ""
        return _varies_with_htmx(render(request, "directory/_bookmark_candidates.html", {
            "selected": bookmark,
            "candidates": bookmark_candidates(bookmark, text) if text else None,
        }))
    return _varies_with_htmx(_bookmarks_page(request, bookmark))


@login_required
@require_POST
def bookmark_create(request: HttpRequest) -> HttpResponse:
    """A new bookmark, empty or from the people and groups selected in the search."""
    user = _user(request)
    form = BookmarkCreateForm(user, request.POST)
    if not form.is_valid():
        return _bookmarks_page(request, None, status=400, create_form=form)
    users, groups = form.selected()
    try:
        bookmark = check_create_bookmark(user, form.cleaned_data["name"], users, groups)
    except Refusal as error:
        form.add_error(None, str(error))
        return _bookmarks_page(request, None, status=400, create_form=form)
    messages.success(request, _("Bookmark “%(name)s” created.") % {"name": bookmark.name})
    return redirect("directory:bookmark", bookmark.pk)


@login_required
@require_POST
def bookmark_rename(request: HttpRequest, bookmark_id: int) -> HttpResponse:
    bookmark = access_bookmark(_user(request), bookmark_id)
    form = BookmarkNameForm(request.POST)
    if not form.is_valid():
        return _bookmarks_page(request, bookmark, status=400, rename_form=form)
    try:
        do_rename_bookmark(bookmark, form.cleaned_data["name"])
    except Refusal as error:
        form.add_error("name", str(error))
        return _bookmarks_page(request, bookmark, status=400, rename_form=form)
    messages.success(request, _("Bookmark renamed to “%(name)s”.") % {"name": bookmark.name})
    return redirect("directory:bookmark", bookmark.pk)


@login_required
@require_POST
def bookmark_delete(request: HttpRequest, bookmark_id: int) -> HttpResponse:
    bookmark = access_bookmark(_user(request), bookmark_id)
    name = bookmark.name
    do_delete_bookmark(bookmark)
    messages.success(request, _("Bookmark “%(name)s” deleted.") % {"name": name})
    return redirect("directory:bookmarks")


@login_required
@require_POST
def bookmark_add_members(request: HttpRequest, bookmark_id: int) -> HttpResponse:
    """Add reachable people and groups; anyone else makes the form invalid (nothing added)."""
    user = _user(request)
    bookmark = access_bookmark(user, bookmark_id)
    form = NewMembersForm(user, request.POST)
    if not form.is_valid():
        return _bookmarks_page(request, bookmark, status=400, add_form=form)
    users, groups = form.selected()
    try:
        check_add_bookmark_members(bookmark, users, groups)
    except Refusal as error:
        form.add_error(None, str(error))
        return _bookmarks_page(request, bookmark, status=400, add_form=form)
    messages.success(request, _("Members added."))
    return redirect("directory:bookmark", bookmark.pk)


@login_required
@require_POST
def bookmark_remove_member(request: HttpRequest, bookmark_id: int,
                           member_id: int) -> HttpResponse:
    bookmark = access_bookmark(_user(request), bookmark_id)
    member = bookmark.members.select_related("user", "group").filter(pk=member_id).first()
    if member is None:
        raise Http404
    do_remove_bookmark_member(bookmark, member.pk)
    messages.success(request, _("“%(name)s” removed from the bookmark.")
                     % {"name": member_label(member)})
    return redirect("directory:bookmark", bookmark.pk)


@login_required
@require_POST
def bookmark_remove_unreachable(request: HttpRequest, bookmark_id: int) -> HttpResponse:
    """Empty a bookmark of last year's members in one go."""
    bookmark = access_bookmark(_user(request), bookmark_id)
    removed = do_remove_unreachable_bookmark_members(bookmark)
    messages.success(request, _("Members removed: %(count)d.") % {"count": removed})
    return redirect("directory:bookmark", bookmark.pk)
