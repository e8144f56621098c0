"""The admin console's pages. Each view parses input, asks the rights module for the objects,
calls one action and renders; rights are never checked in a template."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from preau.accounts.actions import (
    check_reset_password,
    do_set_api_tokens_allowed,
    do_unblock,
    reset_password_refusal,
)
from preau.accounts.models import (
    TOKEN_PROFILES,
    PersonalToken,
    Profile,
    Source,
    State,
    User,
    UserEvent,
)
from preau.accounts.second_factor import (
    check_reset_second_factor,
    needs_second_factor,
    reset_second_factor_refusal,
    second_factor_state,
)
from preau.accounts.tokens import do_revoke_token
from preau.console import forms
from preau.console.actions import (
    check_block,
    check_create_account,
    check_create_class,
    check_create_school_year,
    check_detach_from_structure,
    check_detach_teacher,
    check_link_child,
    check_set_profile_quota,
    check_set_school_admin,
    check_set_user_quota,
    check_unlink_child,
    check_update_identity,
    do_remove_school_admin,
    do_set_current_school_year,
    do_update_rules,
    identity_is_editable,
)
from preau.console.rights import (
    access_console_class,
    access_console_structure,
    actor_of,
    console_required,
    ent_admin_required,
)
from preau.directory.access import access_administered_user as access_console_user
from preau.directory.access import (
    administered_structures,
    managed_users,
    pending_class_attachments,
    pending_flag,
)
from preau.directory.actions import (
    check_attach_teacher_to_class,
    do_attach_to_structure,
)
from preau.directory.models import (
    CommunicationRule,
    GroupKind,
    Membership,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    SchoolYear,
    StructureAttachment,
)
from preau.documents.actions import profile_quota, quota_of
from preau.documents.models import DEFAULT_QUOTAS, UNSET_QUOTA, Quota
from preau.documents.sizes import size_label
from preau.lib.errors import Refusal
from preau.lib.ids import parse_id
from preau.lib.text import search_key

PAGE_SIZE = 50


def _render(request: HttpRequest, template: str, tab: str,
            context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {"nav": "console", "console_tab": tab, **context},
                  status=status)


def _page(request: HttpRequest, rows: QuerySet[Any]) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _user_page(person: User) -> HttpResponse:
    return redirect("console:user", user_id=person.pk)


def _pupil_count() -> Subquery:
    """Pupils in a class, as a subquery (one query for a whole list of classes)."""
    return Subquery(
        Membership.objects.filter(group__school_class=OuterRef("pk"), group__kind=GroupKind.CLASS,
                                  group__profile=Profile.STUDENT)
        .exclude(user__state__in=(State.DELETED, State.PREDELETED))
        .order_by().values("group__school_class")
        .annotate(n=Count("user", distinct=True)).values("n"),
        output_field=IntegerField())


# Dashboard ---------------------------------------------------------------------------------


@console_required
def index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    schools = administered_structures(actor)
    counts = {(row["profile"], row["state"]): row["n"] for row in
              managed_users(actor).order_by().values("profile", "state").annotate(n=Count("id"))}
    states = State.choices
    table = [
        {"profile": value, "label": label,
         "cells": [{"state": state, "n": counts.get((value, state), 0)} for state, _l in states],
         "total": sum(counts.get((value, state), 0) for state, _l in states)}
        for value, label in Profile.choices
    ]
    return _render(request, "console/index.html", "index", {
        "school_count": schools.count(),
        "class_count": SchoolClass.objects.active().filter(structure__in=schools).count(),
        "states": states,
        "profile_table": table,
        "user_total": sum(counts.values()),
    })


# Schools -----------------------------------------------------------------------------------


@console_required
def schools(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    query = request.GET.get("q", "").strip()
    rows = administered_structures(actor).select_related("academy").annotate(
        class_count=Subquery(
            SchoolClass.objects.active().filter(structure=OuterRef("pk")).order_by()
            .values("structure").annotate(n=Count("id")).values("n"),
            output_field=IntegerField()),
        user_count=Subquery(
            StructureAttachment.objects.filter(structure=OuterRef("pk")).order_by()
            .values("structure").annotate(n=Count("id")).values("n"),
            output_field=IntegerField()),
    ).order_by("name", "uai")
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(uai__iexact=query)
                           | Q(circonscription__icontains=query))
    return _render(request, "console/schools.html", "schools",
                   {"page": _page(request, rows), "query": query})


@console_required
def school(request: HttpRequest, structure_id: int) -> HttpResponse:
    actor = actor_of(request)
    structure = access_console_structure(actor, structure_id)
    classes = (SchoolClass.objects.active().filter(structure=structure)
               .annotate(pupil_count=_pupil_count()).order_by("name"))
    teachers = (User.objects.filter(attachments__structure=structure, profile=Profile.TEACHER)
                .exclude(state=State.DELETED).order_by("last_name", "first_name"))
    admins = (SchoolAdmin.objects.filter(structure=structure).select_related("user")
              .order_by("user__last_name", "user__first_name"))
    return _render(request, "console/school.html", "schools", {
        "structure": structure,
        "classes": classes,
        "teachers": teachers,
        "admins": admins,
        "pending_links": pending_class_attachments(actor, structure=structure),
        "admin_form": forms.SchoolAdminForm() if actor.is_ent_admin else None,
        "class_form": forms.ClassForm() if not structure.has_feed else None,
    })


@require_POST
@console_required
def school_admin_add(request: HttpRequest, structure_id: int) -> HttpResponse:
    actor = actor_of(request)
    structure = access_console_structure(actor, structure_id)
    if not actor.is_ent_admin:
        raise PermissionDenied
    form = forms.SchoolAdminForm(request.POST)
    if form.is_valid():
        try:
            person = check_set_school_admin(structure, form.cleaned_data["login"], actor)
        except Refusal as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(name)s now administers this school.")
                             % {"name": person.full_name})
    return redirect("console:school", structure_id=structure.pk)


@require_POST
@console_required
def school_admin_remove(request: HttpRequest, structure_id: int, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    structure = access_console_structure(actor, structure_id)
    if not actor.is_ent_admin:
        raise PermissionDenied
    row = SchoolAdmin.objects.filter(structure=structure, user_id=user_id).select_related(
        "user").first()
    if row is None:
        raise Http404
    do_remove_school_admin(structure, row.user, actor)
    messages.success(request, _("%(name)s no longer administers this school.")
                     % {"name": row.user.full_name})
    return redirect("console:school", structure_id=structure.pk)


@require_POST
@console_required
def class_create(request: HttpRequest, structure_id: int) -> HttpResponse:
    actor = actor_of(request)
    structure = access_console_structure(actor, structure_id)
    form = forms.ClassForm(request.POST)
    if form.is_valid():
        try:
            school_class = check_create_class(structure, form.cleaned_data["code"],
                                              form.cleaned_data["name"],
                                              form.cleaned_data["levels"])
        except Refusal as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Class %(name)s created.") % {"name": school_class.name})
    else:
        messages.error(request, _("The class was not created: give a code, a name and at least "
                                  "one level."))
    return redirect("console:school", structure_id=structure.pk)


# Users -------------------------------------------------------------------------------------


@console_required
def users(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = forms.UserFilterForm(actor, request.GET or None)
    rows = managed_users(actor)
    if form.is_bound:
        form.is_valid()  # keeps the valid filters; an invalid one is ignored
        data = getattr(form, "cleaned_data", {})
        for word in search_key(data.get("q") or "").split():
            rows = rows.filter(name_key__contains=word)
        if data.get("profile"):
            rows = rows.filter(profile=data["profile"])
        if data.get("state"):
            rows = rows.filter(state=data["state"])
        if data.get("school"):
            rows = rows.filter(attachments__structure=data["school"])
        if data.get("school_class"):
            rows = rows.filter(memberships__group__school_class=data["school_class"],
                               memberships__group__kind=GroupKind.CLASS).distinct()
    schools = administered_structures(actor)
    rows = rows.order_by("last_name", "first_name", "id").prefetch_related(
        Prefetch("attachments",
                 queryset=StructureAttachment.objects.filter(structure__in=schools)
                 .select_related("structure").order_by("structure__name"),
                 to_attr="managed_attachments"))
    return _render(request, "console/users.html", "users", {"form": form,
                                                            "page": _page(request, rows)})


@console_required
def user(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id)
    return _render(request, "console/user.html", "users", _user_context(actor, person))


def _user_context(actor: User, person: User) -> dict[str, Any]:
    schools = administered_structures(actor)
    attachments = (StructureAttachment.objects.filter(user=person, structure__in=schools)
                   .select_related("structure").order_by("structure__name"))
    memberships = (Membership.objects.filter(user=person)
                   .select_related("group", "group__school_class", "group__structure",
                                   "group__school_year", "added_by", "approved_by")
                   .annotate(pending=pending_flag())
                   .order_by("group__kind", "group__name"))
    if not actor.is_ent_admin:
        memberships = memberships.filter(Q(group__structure__in=schools)
                                         | Q(group__school_class__structure__in=schools))
    class_memberships = [m for m in memberships if m.group.kind == GroupKind.CLASS
                         and m.group.school_class is not None]
    visible = managed_users(actor)
    relatives = (RelativeLink.objects.filter(student=person, relative__in=visible)
                 .select_related("relative").order_by("relative__last_name"))
    children = (RelativeLink.objects.filter(relative=person, student__in=visible)
                .select_related("student").order_by("student__last_name"))
    events = UserEvent.objects.filter(user=person).select_related("actor")[:100]
    is_teacher = person.profile in (Profile.TEACHER, Profile.PERSONNEL)
    may_manage = actor.is_ent_admin or not person.is_ent_admin
    quota = quota_of(person)
    own_quota = (Quota.objects.filter(user=person).values_list("limit_override", flat=True)
                 .first())
    return {
        "quota": quota,
        "own_quota": own_quota,
        "profile_quota": profile_quota(person.profile),
        # Only ENT admins change quotas; school admins see the usage.
        "quota_form": (forms.UserQuotaForm(limit=own_quota) if actor.is_ent_admin else None),
        "person": person,
        "attachments": attachments,
        "memberships": memberships,
        "class_memberships": class_memberships if is_teacher else [],
        "relatives": relatives,
        "children": children,
        "events": events,
        "is_teacher": is_teacher,
        "may_manage": may_manage,
        "editable": identity_is_editable(person),
        "block_form": forms.BlockForm(),
        "attach_school_form": forms.AttachSchoolForm(actor, person),
        "attach_class_form": forms.AttachClassForm(actor, person) if is_teacher else None,
        "link_child_form": (forms.LinkChildForm(actor, person)
                            if person.profile == Profile.RELATIVE else None),
        "is_self": person.pk == actor.pk,
        "reset_refusal": reset_password_refusal(person, actor),
        # Adults hold API tokens anyway; the others only with an ENT admin's permission.
        "tokens_switch": actor.is_ent_admin and not person.is_ent_admin
        and person.profile not in TOKEN_PROFILES,
        # The second factor's state and reset: ENT admins, for accounts with a password.
        **(_second_factor_context(actor, person)
           if actor.is_ent_admin and not person.federated else {}),
    }


def _second_factor_context(actor: User, person: User) -> dict[str, Any]:
    state = second_factor_state(person)
    return {"second_factor": state,
            "second_factor_required": needs_second_factor(person),
            "second_factor_reset_refusal": reset_second_factor_refusal(person, actor)}


@require_POST
@console_required
def user_quota(request: HttpRequest, user_id: int) -> HttpResponse:
    """An account's own document space quota: ENT admins only (school admins get a 403)."""
    actor = actor_of(request)
    person = access_console_user(actor, user_id)
    if not actor.is_ent_admin:
        raise PermissionDenied
    form = forms.UserQuotaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The quota was not changed: type an amount (for example 2 or "
                                  "1,5) and choose MB or GB, or leave it empty."))
        return _user_page(person)
    limit = form.limit()
    try:
        check_set_user_quota(person, limit, actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        if limit is None:
            messages.success(request, _("The account now has its profile's quota."))
        else:
            messages.success(request, _("Quota saved: %(limit)s.")
                             % {"limit": size_label(limit)})
    return _user_page(person)


@require_POST
@console_required
def user_api_tokens(request: HttpRequest, user_id: int) -> HttpResponse:
    """Allows (or no longer allows) a pupil, parent or guest to hold personal API tokens:
    ENT admins only (school admins get a 403)."""
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    if not actor.is_ent_admin:
        raise PermissionDenied
    allowed = request.POST.get("allowed") == "1"
    do_set_api_tokens_allowed(person, allowed, actor)
    if allowed:
        messages.success(request, _("This account may now hold personal API tokens."))
    else:
        messages.success(request, _("This account may no longer hold personal API tokens; "
                                    "its tokens are revoked."))
    return _user_page(person)


@require_POST
@console_required
def user_block(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    form = forms.BlockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        check_block(person, actor, reason)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The account is blocked: this person can no longer log in."))
    return _user_page(person)


@require_POST
@console_required
def user_unblock(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    do_unblock(person, actor)
    messages.success(request, _("The account is unblocked."))
    return _user_page(person)


@require_POST
@console_required
def user_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new activation code, shown on the account's page until the person uses it."""
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    try:
        check_reset_password(person, actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Password reset. Give the person their login and the new "
                                    "activation code shown below."))
    return _user_page(person)


@require_POST
@ent_admin_required
def user_reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    """A lost phone or a locked second step: ENT admins only (school admins get a 403)."""
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    try:
        check_reset_second_factor(person, actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Second factor reset: the person's sessions are closed; "
                                    "at their next login they set up their app again. They "
                                    "were told."))
    return _user_page(person)


@console_required
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    if not identity_is_editable(person):
        return _render(request, "console/user_edit.html", "users",
                       {"person": person, "form": None})
    if request.method == "POST":
        form = forms.IdentityForm(request.POST)
        if form.is_valid():
            try:
                check_update_identity(person, actor, **form.cleaned_data)
            except Refusal as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Identity saved."))
                return _user_page(person)
    else:
        form = forms.IdentityForm(initial={
            "first_name": person.first_name, "last_name": person.last_name,
            "email": person.email, "birth_date": person.birth_date})
    return _render(request, "console/user_edit.html", "users", {"person": person, "form": form})


@require_POST
@console_required
def user_attach_school(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    form = forms.AttachSchoolForm(actor, person, request.POST)
    if form.is_valid():
        structure = form.cleaned_data["structure"]
        do_attach_to_structure(person, structure, Source.MANUAL, actor)
        messages.success(request, _("Attached to %(school)s.") % {"school": structure.name})
    else:
        messages.error(request, _("Choose one of your schools."))
    return _user_page(person)


@require_POST
@console_required
def user_detach_school(request: HttpRequest, user_id: int, structure_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    structure = access_console_structure(actor, structure_id)
    try:
        check_detach_from_structure(person, structure, actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Detached from %(school)s.") % {"school": structure.name})
    # A school admin may lose sight of the person: go back to the list then.
    if managed_users(actor).filter(pk=person.pk).exists():
        return _user_page(person)
    return redirect("console:users")


@require_POST
@console_required
def user_attach_class(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    form = forms.AttachClassForm(actor, person, request.POST)
    if form.is_valid():
        school_class = form.cleaned_data["school_class"]
        try:
            check_attach_teacher_to_class(person, school_class, actor, as_admin=True)
        except Refusal as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Attached to the class %(name)s.")
                             % {"name": school_class.name})
    else:
        messages.error(request, _("Choose a class of this person's schools."))
    return _user_page(person)


@require_POST
@console_required
def user_detach_class(request: HttpRequest, user_id: int, class_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    school_class = access_console_class(actor, class_id)
    try:
        check_detach_teacher(person, school_class, actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Detached from the class %(name)s.")
                         % {"name": school_class.name})
    return _user_page(person)


@require_POST
@console_required
def user_link_child(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    form = forms.LinkChildForm(actor, person, request.POST)
    if form.is_valid():
        student = form.cleaned_data["student"]
        try:
            check_link_child(person, student, actor)
        except Refusal as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Linked to %(name)s.") % {"name": student.full_name})
    else:
        messages.error(request, _("Choose a pupil of this person's schools."))
    return _user_page(person)


@require_POST
@console_required
def user_unlink_child(request: HttpRequest, user_id: int, student_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = access_console_user(actor, user_id, manage=True)
    student = access_console_user(actor, student_id)
    try:
        check_unlink_child(person, student, actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Link with %(name)s removed.") % {"name": student.full_name})
    return _user_page(person)


@console_required
def user_create(request: HttpRequest) -> HttpResponse:
    """Two steps: choose the school (skipped when the admin has one), then the person."""
    actor = actor_of(request)
    schools = administered_structures(actor)
    school_id = request.POST.get("school") or request.GET.get("school")
    if not school_id and schools.count() == 1:
        school_id = str(schools.get().pk)
    structure_id = parse_id(school_id)
    if structure_id is None:
        return _render(request, "console/user_create.html", "create",
                       {"choose_form": forms.ChooseSchoolForm(actor), "form": None})
    structure = access_console_structure(actor, structure_id)
    if request.method == "POST":
        form = forms.CreateAccountForm(structure, request.POST)
        if form.is_valid():
            try:
                person = check_create_account(
                    actor, structure=structure, **form.cleaned_data)
            except Refusal as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Account created. Give the person their login and "
                                            "activation code, shown below."))
                return _user_page(person)
    else:
        form = forms.CreateAccountForm(structure)
    return _render(request, "console/user_create.html", "create",
                   {"structure": structure, "form": form, "choose_form": None})


# ENT-wide settings -------------------------------------------------------------------------


@ent_admin_required
def rules(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        enabled = {rule_id for value in request.POST.getlist("enabled")
                   if (rule_id := parse_id(value)) is not None}
        changed = do_update_rules(enabled, actor)
        if changed:
            messages.success(request, ngettext(
                "Communication rules saved: %(count)s change, in effect now.",
                "Communication rules saved: %(count)s changes, in effect now.",
                len(changed)) % {"count": len(changed)})
        else:
            messages.info(request, _("No change."))
        return redirect("console:rules")
    rows = CommunicationRule.objects.select_related("updated_by").order_by(
        "sender_profile", "scope", "receiver_profile")
    return _render(request, "console/rules.html", "rules", {"rules": rows})


@ent_admin_required
def tokens(request: HttpRequest) -> HttpResponse:
    rows = PersonalToken.objects.select_related("user").order_by("-created_at", "-id")
    return _render(request, "console/tokens.html", "tokens", {"page": _page(request, rows)})


@require_POST
@ent_admin_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = PersonalToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise Http404
    do_revoke_token(token, actor_of(request))
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect(reverse("console:tokens") + _page_suffix(request))


def _page_suffix(request: HttpRequest) -> str:
    page = request.POST.get("page", "")
    return f"?page={page}" if page.isdigit() else ""


@ent_admin_required
def years(request: HttpRequest) -> HttpResponse:
    form = forms.SchoolYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            year = check_create_school_year(**form.cleaned_data)
        except Refusal as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("School year %(name)s created.") % {"name": year.name})
            return redirect("console:years")
    rows = SchoolYear.objects.annotate(class_count=Count("classes")).order_by("-start")
    return _render(request, "console/years.html", "years", {"years": rows, "form": form})


@ent_admin_required
def quotas(request: HttpRequest) -> HttpResponse:
    """The document space quota of each profile; accounts with a quota of their own keep it."""
    actor = actor_of(request)
    posted = None
    if request.method == "POST":
        chosen = request.POST.get("profile", "")
        posted = forms.ProfileQuotaForm(
            request.POST, auto_id=f"quota-{chosen if chosen in Profile.values else 'x'}-%s")
        if posted.is_valid():
            profile = posted.cleaned_data["profile"]
            limit = posted.limit()
            assert limit is not None
            try:
                check_set_profile_quota(profile, limit, actor)
            except Refusal as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Quota of the profile %(profile)s: %(limit)s.") % {
                    "profile": Profile(profile).label, "limit": size_label(limit)})
                return redirect("console:quotas")
    own_counts = dict(Quota.objects.filter(limit_override__isnull=False).order_by()
                      .values_list("user__profile").annotate(n=Count("pk")))
    rows = []
    for value, label in Profile.choices:
        limit = profile_quota(value)
        if posted is not None and posted.data.get("profile") == value:
            form = posted  # with its errors
        else:
            form = forms.ProfileQuotaForm(limit=limit, auto_id=f"quota-{value}-%s")
            form.initial["profile"] = value
        rows.append({"profile": value, "label": label, "limit": limit,
                     "default": DEFAULT_QUOTAS.get(value, UNSET_QUOTA), "form": form,
                     "own_count": own_counts.get(value, 0)})
    return _render(request, "console/quotas.html", "quotas", {"rows": rows},
                   status=400 if posted is not None else 200)


@require_POST
@ent_admin_required
def year_set_current(request: HttpRequest, year_id: int) -> HttpResponse:
    year = SchoolYear.objects.filter(pk=year_id).first()
    if year is None:
        raise Http404
    do_set_current_school_year(year, actor_of(request))
    messages.success(request, _("%(name)s is now the current school year.") % {"name": year.name})
    return redirect("console:years")
