"""Pages of the Messagerie: folders (Réception, Envoyés, Brouillons, Corbeille, mine) with
their unread counts, a folder's paged list, a message, the composer (a draft from its
first save), and the changes: reply, forward, mark unread, move, trash, restore, delete for
good, empty the trash, refuse an attachment, my folders.

Views stay thin: reads through `access` (404 for any message the user holds no copy of),
writes through one action; a refused action (`MessagingError`) becomes a flash message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from preau.accounts.models import User
from preau.documents.responses import blob_response
from preau.documents.sizes import size_label
from preau.messaging.access import (
    TRASH,
    FolderKey,
    access_attachment,
    access_copy,
    access_draft,
    access_folder_key,
    access_mail_folder,
    copy_attachments,
    folder_copies,
    folder_rows,
    message_participants,
    recipient_candidates,
)
from preau.messaging.actions import (
    MessagingError,
    check_add_attachment,
    check_copy_to_documents,
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
    resolve_recipients,
)
from preau.messaging.models import AddressField, Message, MessageCopy, SystemFolder
from preau.messaging.text import safe_html

PAGE_SIZE = 50
# Folder keys in French in the addresses, as the rest of Préau's pages.
SLUGS = {SystemFolder.INBOX.value: "reception", SystemFolder.SENT.value: "envoyes",
         SystemFolder.DRAFTS.value: "brouillons", TRASH: "corbeille"}
KEYS = {slug: key for key, slug in SLUGS.items()}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def folder_url(key: str) -> str:
    if key in SLUGS:
        return reverse("messaging:folder", args=[SLUGS[key]])
    return reverse("messaging:own_folder", args=[int(key)])


def _home_of(copy: MessageCopy) -> str:
    """The list a copy sits in (where to go back after a change)."""
    if copy.is_trashed:
        return folder_url(TRASH)
    if copy.mail_folder_id:
        return folder_url(str(copy.mail_folder_id))
    return folder_url(copy.folder)


def _page(request: HttpRequest, user: User, folder: FolderKey) -> HttpResponse:
    page = Paginator(folder_copies(user, folder), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "messaging/folder.html", {
        "nav": "messaging", "folder": folder, "folders": folder_rows(user), "page": page,
        "show_recipients": folder.key in (SystemFolder.SENT, SystemFolder.DRAFTS),
    })


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return _page(request, _user(request), access_folder_key(_user(request), SystemFolder.INBOX))


@login_required
@require_safe
def folder(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in KEYS:
        raise Http404
    user = _user(request)
    return _page(request, user, access_folder_key(user, KEYS[slug]))


@login_required
@require_safe
def own_folder(request: HttpRequest, folder_id: int) -> HttpResponse:
    user = _user(request)
    return _page(request, user, access_folder_key(user, str(folder_id)))


# A message -------------------------------------------------------------------------------


@login_required
@require_safe
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    """Read a message (this marks it read). A draft opens in the composer."""
    user = _user(request)
    copy = access_copy(user, message_id)
    if copy.message.is_draft and not copy.is_trashed:
        return redirect("messaging:draft", message_id)
    do_mark_read(copy)
    mail = copy.message
    addresses = list(mail.addresses.all())
    rows = folder_rows(user)
    return render(request, "messaging/message.html", {
        "nav": "messaging", "copy": copy, "mail": mail, "body": safe_html(mail.body),
        "to": _ordered(addresses, AddressField.TO), "cc": _ordered(addresses, AddressField.CC),
        "attachments": copy_attachments(copy),
        "participants": message_participants(user, mail),
        "folders": rows, "own_folders": [r.mail_folder for r in rows if r.mail_folder],
        "back": _home_of(copy),
    })


def _ordered(addresses: list[Any], field: str) -> list[Any]:
    """Groups first (by their label), then people by name, as the message page lists them."""
    chosen = [a for a in addresses if a.field == field]
    return sorted(chosen, key=lambda a: (not a.is_group, a.label.casefold()))


@login_required
@require_safe
def attachment(request: HttpRequest, message_id: int, attachment_id: int) -> HttpResponseBase:
    item = access_attachment(_user(request), message_id, attachment_id)
    return blob_response(item.blob_key, size=item.size, content_type=item.content_type,
                         name=item.name)


@login_required
@require_safe
@xframe_options_sameorigin
def attachment_preview(request: HttpRequest, message_id: int,
                       attachment_id: int) -> HttpResponseBase:
    """Inline only for images and PDF (the documents' policy); anything else downloads."""
    item = access_attachment(_user(request), message_id, attachment_id)
    return blob_response(item.blob_key, size=item.size, content_type=item.content_type,
                         name=item.name, inline=True)


@login_required
@require_POST
def copy_attachment(request: HttpRequest, message_id: int, attachment_id: int) -> HttpResponse:
    user = _user(request)
    item = access_attachment(user, message_id, attachment_id)
    try:
        node = check_copy_to_documents(user, item)
    except MessagingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(name)s” was copied to your documents (Documents added "
                                    "in apps).") % {"name": node.name})
    return redirect("messaging:message", message_id)


@login_required
@require_POST
def refuse_attachment(request: HttpRequest, message_id: int,
                      attachment_id: int) -> HttpResponse:
    """Remove an attachment from my copy of the message: its space comes back to me."""
    user = _user(request)
    copy = access_copy(user, message_id)
    item = access_attachment(user, message_id, attachment_id)
    try:
        freed = check_refuse_attachment(user, copy, item)
    except MessagingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(name)s” was removed from your copy of the message: "
                                    "%(freed)s freed in your space. The other participants "
                                    "keep it.") % {"name": item.name,
                                                   "freed": size_label(freed)})
    return redirect("messaging:message", message_id)


# Changes on a copy -----------------------------------------------------------------------


def _done(request: HttpRequest, text: str, to: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(to)


@login_required
@require_POST
def mark_unread(request: HttpRequest, message_id: int) -> HttpResponse:
    copy = access_copy(_user(request), message_id)
    do_mark_read(copy, unread=True)
    return _done(request, _("Marked as unread."), _home_of(copy))


@login_required
@require_POST
def move(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    copy = access_copy(user, message_id)
    raw = request.POST.get("folder", "")
    target = None
    if raw:
        if not raw.isdigit():
            raise Http404
        target = access_mail_folder(user, int(raw))
    try:
        check_move(user, copy, target)
    except MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:message", message_id)
    return _done(request, _("Message moved to “%(folder)s”.") % {
        "folder": target.name if target else _home_label(copy)},
        folder_url(str(target.pk)) if target else folder_url(copy.folder))


def _home_label(copy: MessageCopy) -> str:
    return str(SystemFolder(copy.folder).label)


@login_required
@require_POST
def trash(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    copy = access_copy(user, message_id)
    back = _home_of(copy)
    check_trash(user, [copy])
    return _done(request, _("Message moved to the trash. Its attachments still count in your "
                            "space until you empty the trash."), back)


@login_required
@require_POST
def restore(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    copy = access_copy(user, message_id)
    check_restore(user, [copy])
    return _done(request, _("Message restored."), folder_url(TRASH))


@login_required
@require_POST
def delete_for_good(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    copy = access_copy(user, message_id)
    try:
        check_delete_for_good(user, [copy])
    except MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:message", message_id)
    return _done(request, _("Message deleted for good."), folder_url(TRASH))


@login_required
@require_POST
def empty_trash(request: HttpRequest) -> HttpResponse:
    freed = do_empty_trash(_user(request))
    return _done(request, _("The trash is empty (%(freed)s freed).")
                 % {"freed": size_label(freed)}, folder_url(TRASH))


@login_required
@require_POST
def reply(request: HttpRequest, message_id: int, everyone: bool = False) -> HttpResponse:
    user = _user(request)
    copy = access_copy(user, message_id)
    try:
        outcome = check_reply(user, copy, reply_all=everyone)
    except MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:message", message_id)
    if outcome.dropped and outcome.sender_only:
        messages.warning(request, _(
            "Your reply goes to the sender only: your communication rules do not let you "
            "write to %(names)s.") % {"names": ", ".join(outcome.dropped)})
    elif outcome.dropped:
        messages.warning(request, ngettext(
            "Not added, out of your reach: %(names)s.",
            "Not added, out of your reach: %(names)s.",
            len(outcome.dropped)) % {"names": ", ".join(outcome.dropped)})
    return redirect("messaging:draft", outcome.draft.pk)


@login_required
@require_POST
def reply_all(request: HttpRequest, message_id: int) -> HttpResponse:
    return reply(request, message_id, everyone=True)


@login_required
@require_POST
def forward(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    copy = access_copy(user, message_id)
    try:
        draft = check_forward(user, copy)
    except MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:message", message_id)
    return redirect("messaging:draft", draft.pk)


# The composer ----------------------------------------------------------------------------


def _selected(draft: Message | None, user: User, to: list[str], cc: list[str],
              ) -> list[dict[str, Any]]:
    """The chosen recipients as checked boxes: the draft's (with their labels), or those of
    a refused post (within reach only)."""
    rows = []
    if draft is not None:
        for a in draft.addresses.all():
            if a.user_id or a.group_id:
                token = f"user:{a.user_id}" if a.user_id else f"group:{a.group_id}"
                rows.append({"token": token, "label": a.label, "field": a.field,
                             "is_group": a.is_group})
        return rows
    try:
        chosen = resolve_recipients(user, to, cc)
    except MessagingError:
        return []
    for field, groups, users in ((AddressField.TO, chosen.to_groups, chosen.to_users),
                                 (AddressField.CC, chosen.cc_groups, chosen.cc_users)):
        rows += [{"token": f"group:{g.pk}", "label": g.name, "field": field, "is_group": True}
                 for g in groups]
        rows += [{"token": f"user:{u.pk}", "label": u.full_name, "field": field,
                  "is_group": False} for u in users]
    return rows


def _compose_page(request: HttpRequest, user: User, draft: Message | None, *,
                  values: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    values = values or {}
    selected = _selected(draft, user, values.get("to", []), values.get("cc", []))
    taken = {row["token"] for row in selected}
    groups, people = recipient_candidates(user, query) if query else ([], [])
    return render(request, "messaging/compose.html", {
        "nav": "messaging", "draft": draft, "folders": folder_rows(user),
        "subject": values.get("subject", draft.subject if draft else ""),
        "body": values.get("body", draft.body if draft else ""),
        "selected": selected, "query": query, "searched": bool(query),
        "group_candidates": [g for g in groups if f"group:{g.pk}" not in taken],
        "people_candidates": [u for u in people if f"user:{u.pk}" not in taken],
        "attachments": list(draft.attachments.all()) if draft else [],
    }, status=status)


@login_required
@require_safe
def recipients(request: HttpRequest) -> HttpResponse:
    """The composer's search results alone (htmx, as one types): people and groups within
    the user's reach whose name matches."""
    query = request.GET.get("q", "").strip()
    groups, people = recipient_candidates(_user(request), query)
    return render(request, "messaging/_candidates.html", {
        "query": query, "searched": bool(query), "group_candidates": groups,
        "people_candidates": people})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        return _save(request, user, None)
    return _compose_page(request, user, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def draft(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    copy = access_draft(user, message_id)
    if request.method == "POST":
        return _save(request, user, copy.message)
    return _compose_page(request, user, copy.message)


def _save(request: HttpRequest, user: User, draft: Message | None) -> HttpResponse:
    """Every button of the composer saves the draft first (attachments included), then
    searches, saves or sends."""
    post, files = request.POST, request.FILES  # parse the body (it may stop at a file)
    too_large = getattr(request, "preau_upload_too_large", None)
    if too_large is not None:
        # The body was cut at the too-large file: what follows it is lost, so nothing is
        # saved (the draft keeps its last saved state).
        messages.error(request, _("“%(name)s” is too large to be attached: nothing was "
                                  "saved.") % {"name": too_large})
        return redirect(reverse("messaging:draft", args=[draft.pk]) if draft
                        else reverse("messaging:compose"))
    to, cc = post.getlist("to"), post.getlist("cc")
    values: dict[str, Any] = {"to": to, "cc": cc, "subject": post.get("subject", ""),
              "body": post.get("body", "")}
    try:
        draft = check_save_draft(user, draft, to=to, cc=cc, subject=values["subject"],
                                 body=values["body"])
    except MessagingError as error:
        messages.error(request, str(error))
        return _compose_page(request, user, draft, values=values, status=400)
    problems: list[str] = []
    for raw in post.getlist("remove_attachment"):
        if raw.isdigit():
            try:
                check_remove_attachment(user, draft, int(raw))
            except MessagingError as error:
                problems.append(str(error))
    for upload in files.getlist("files"):
        try:
            check_add_attachment(user, draft, upload)
        except MessagingError as error:
            problems.append(str(error))
    for problem in problems:
        messages.error(request, problem)
    here = reverse("messaging:draft", args=[draft.pk])
    action = post.get("action", "save")
    if action == "search":
        query = post.get("q", "").strip()
        return redirect(f"{here}?{urlencode({'q': query})}#recipients" if query else here)
    if action == "send" and not problems:
        try:
            check_send(user, draft)
        except MessagingError as error:
            messages.error(request, str(error))
            return redirect(here)
        return _done(request, _("Message sent."), folder_url(SystemFolder.SENT))
    if not problems:
        messages.success(request, _("Draft saved."))
    return redirect(here)


# My folders ----------------------------------------------------------------------------


@login_required
@require_POST
def create_folder(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        made = check_create_folder(user, request.POST.get("name", ""))
    except MessagingError as error:
        messages.error(request, str(error))
        return redirect("messaging:index")
    return _done(request, _("Folder “%(name)s” created.") % {"name": made.name},
                 folder_url(str(made.pk)))


@login_required
@require_POST
def rename_folder(request: HttpRequest, folder_id: int) -> HttpResponse:
    user = _user(request)
    target = access_mail_folder(user, folder_id)
    try:
        check_rename_folder(user, target, request.POST.get("name", ""))
    except MessagingError as error:
        messages.error(request, str(error))
        return redirect(folder_url(str(folder_id)))
    return _done(request, _("Folder renamed."), folder_url(str(folder_id)))


@login_required
@require_POST
def delete_folder(request: HttpRequest, folder_id: int) -> HttpResponse:
    user = _user(request)
    target = access_mail_folder(user, folder_id)
    moved = check_delete_folder(user, target)
    return _done(request, ngettext(
        "Folder deleted; its %(count)d message went back to Inbox or Sent.",
        "Folder deleted; its %(count)d messages went back to Inbox or Sent.",
        moved) % {"count": moved}, reverse("messaging:index"))
