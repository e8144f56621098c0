"""Pages of the year change: the console's calendar, plan, approval and audit log (ENT
admins), and each owner's "Mes partages aux groupes classes"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from preau.accounts.models import User
from preau.console.rights import actor_of, ent_admin_required
from preau.directory.models import Academy, SchoolYear
from preau.feeds.models import FeedRun
from preau.lib.errors import Refusal
from preau.yearchange.actions import (
    check_approve_plan,
    check_save_calendar,
    do_note_task,
    do_plan,
    do_settle_interrupted_transitions,
)
from preau.yearchange.audit import purged_shares
from preau.yearchange.forms import ApproveForm, CalendarForm, HandOverForm
from preau.yearchange.models import AuditEntry, Phase, TransitionRun, YearCalendar
from preau.yearchange.owners import (
    access_purgeable_share,
    check_convert_to_members,
    check_hand_to_teacher,
    next_year_teachers,
    purgeable_shares,
)
from preau.yearchange.schedule import active_calendar, default_calendar, next_step, steps
from preau.yearchange.tasks import run_approved_transition
from preau.yearchange.transition import _next_year_bounds


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"console_tab": "yearchange", **context})


def _upcoming_year() -> SchoolYear:
    """The year the next transition opens; an unsaved row when it does not exist yet."""
    current = SchoolYear.current()
    name, start, end = _next_year_bounds(current)
    return (SchoolYear.objects.filter(name=name).first()
            or SchoolYear(name=name, start=start, end=end))


@ent_admin_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    do_settle_interrupted_transitions()
    today = timezone.localdate()
    rows = []
    for academy in Academy.objects.order_by("name"):
        calendar = active_calendar([academy.pk], today) or (
            YearCalendar.objects.filter(academy=academy).select_related("school_year")
            .order_by("-end_of_year").first())
        feeds = []
        if calendar is not None:
            feeds = list(FeedRun.objects.filter(
                academy=academy, dry_run=False, status=FeedRun.Status.APPLIED,
                run_date__gte=calendar.end_of_year).order_by("started_at"))
        rows.append({"academy": academy, "calendar": calendar,
                     "phase": Phase(calendar.phase(today)).label if calendar else "",
                     "next": next_step(calendar, today) if calendar else None,
                     "feeds": feeds})
    runs = TransitionRun.objects.select_related("academy", "structure", "from_year",
                                                "to_year")[:30]
    return _render(request, "yearchange/index.html", {
        "rows": rows, "runs": runs, "today": today, "upcoming": _upcoming_year()})


@ent_admin_required
def calendar(request: HttpRequest, academy_id: int) -> HttpResponse:
    academy = get_object_or_404(Academy, pk=academy_id)
    year = _upcoming_year()
    instance = (YearCalendar.objects.filter(academy=academy, school_year__name=year.name).first()
                or default_calendar(academy, year))
    form = CalendarForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        if year.pk is None:
            year.save()
        try:
            check_save_calendar(academy, year, form.cleaned_data)
        except Refusal as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Calendar of %(academy)s saved.") % {
                "academy": academy.name})
            return redirect("console:yearchange:index")
    return _render(request, "yearchange/calendar.html", {
        "academy": academy, "year": year, "form": form, "steps": steps(instance)})


@require_POST
@ent_admin_required
def plan(request: HttpRequest) -> HttpResponse:
    academy = None
    if request.POST.get("academy"):
        academy = get_object_or_404(Academy, pk=request.POST["academy"])
    run = do_plan(actor_of(request), timezone.localdate(), academy)
    return redirect("console:yearchange:run", run_id=run.pk)


@ent_admin_required
@require_safe
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    do_settle_interrupted_transitions()
    transition = get_object_or_404(TransitionRun.objects.select_related(
        "academy", "structure", "from_year", "to_year"), pk=run_id)
    entries = Paginator(AuditEntry.objects.filter(run=transition).select_related("structure"),
                        100).get_page(request.GET.get("page"))
    purged = purged_shares(entries.object_list)
    for entry in entries.object_list:
        entry.purged = purged.get(entry.pk, [])  # type: ignore[attr-defined]
    approved = TransitionRun.objects.filter(plan=transition).first()
    return _render(request, "yearchange/run.html", {
        "run": transition, "report": transition.report, "entries": entries,
        "approved": approved, "form": ApproveForm()})


@ent_admin_required
@require_safe
def run_json(request: HttpRequest, run_id: int) -> HttpResponse:
    transition = get_object_or_404(TransitionRun, pk=run_id)
    return JsonResponse({"run": transition.pk, "status": transition.status,
                         **transition.report}, json_dumps_params={"ensure_ascii": False})


@require_POST
@ent_admin_required
def approve(request: HttpRequest, run_id: int) -> HttpResponse:
    transition = get_object_or_404(TransitionRun, pk=run_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm you have read the plan."))
        return redirect("console:yearchange:run", run_id=transition.pk)
    try:
        queued = check_approve_plan(actor_of(request), transition)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("console:yearchange:run", run_id=transition.pk)
    result = run_approved_transition.enqueue(queued.pk)
    do_note_task(queued, str(result.id))
    messages.success(request, _("Plan approved: the year change is running."))
    return redirect("console:yearchange:run", run_id=queued.pk)


# -- owners ---------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_safe
def my_shares(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    items = purgeable_shares(user)
    teachers = next_year_teachers(user)
    return render(request, "yearchange/my_shares.html", {
        "items": items, "form": HandOverForm(teachers=teachers), "nav": "home"})


@require_POST
@login_required
def convert(request: HttpRequest, share_id: int) -> HttpResponse:
    user = _user(request)
    item = access_purgeable_share(user, share_id)
    try:
        count = check_convert_to_members(user, item)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(name)s” is now shared by name with %(n)s people.")
                         % {"name": item.label, "n": count})
    return redirect("yearchange:my_shares")


@require_POST
@login_required
def hand_over(request: HttpRequest, share_id: int) -> HttpResponse:
    user = _user(request)
    item = access_purgeable_share(user, share_id)
    form = HandOverForm(request.POST, teachers=next_year_teachers(user))
    if not form.is_valid():
        messages.error(request, _("Choose a teacher."))
        return redirect("yearchange:my_shares")
    try:
        check_hand_to_teacher(user, item, form.cleaned_data["teacher"])
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(name)s” is shared with %(teacher)s with the “manage” "
                                    "right.") % {"name": item.label,
                                                 "teacher": form.cleaned_data["teacher"]})
    return redirect("yearchange:my_shares")


