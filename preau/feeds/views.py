"""Console pages of the feeds ("Alimentation"): runs, their reports, uploads, approvals.

ENT admins see and do everything; school admins upload ONDE or CSV files of their own
schools and see those schools' runs. Rights live in preau.console.rights and
preau.feeds.actions (visible_runs, access_run, do_queue_import)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from preau.console.rights import actor_of, console_required, ent_admin_required
from preau.directory.models import Academy
from preau.feeds.actions import (
    access_run,
    do_note_task,
    do_queue_approval,
    do_queue_import,
    do_reject_run,
    do_set_feeds_frozen,
    do_settle_interrupted_runs,
    run_progress,
    visible_runs,
)
from preau.feeds.forms import UploadForm
from preau.feeds.models import FeedRun
from preau.feeds.report import profile_label
from preau.feeds.tasks import apply_held_run, import_feed_files
from preau.lib.errors import Refusal

ACTIVE = (FeedRun.Status.QUEUED, FeedRun.Status.RUNNING)


@console_required
def runs(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    do_settle_interrupted_runs(visible_runs(actor).filter(
        status__in=(FeedRun.Status.RUNNING, FeedRun.Status.QUEUED)))
    page = Paginator(visible_runs(actor), 50).get_page(request.GET.get("page"))
    academies = Academy.objects.order_by("name") if actor.is_ent_admin else None
    return render(request, "feeds/runs.html", {
        "console_tab": "feeds", "page": page, "academies": academies})


@console_required
def upload(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = UploadForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            run = do_queue_import(
                form.cleaned_data["feed_files"], format=form.cleaned_data["format"], actor=actor,
                academy=form.cleaned_data.get("academy") or "",
                school=form.cleaned_data["school"], dry_run=form.cleaned_data["dry_run"])
        except Refusal as error:
            form.add_error("feed_files", str(error))
        else:
            task = import_feed_files.enqueue(run.pk)
            do_note_task(run, task.id, task.backend)
            messages.success(request, _("Files received: the import has started."))
            return redirect("console:feeds:run", run_id=run.pk)
    return render(request, "feeds/upload.html", {"console_tab": "feeds", "form": form})


@console_required
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    feed_run = access_run(actor_of(request), run_id)
    do_settle_interrupted_runs([feed_run])
    return render(request, "feeds/run.html", {
        "console_tab": "feeds", "run": feed_run, "issues": feed_run.issues.all()[:1000],
        "active": feed_run.status in ACTIVE, "done": run_progress(feed_run),
        "counts": [(profile_label(p), c) for p, c in sorted(feed_run.counts.items())]})


@console_required
def run_progress_fragment(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress line, polled by htmx while the run waits or runs."""
    feed_run = access_run(actor_of(request), run_id)
    do_settle_interrupted_runs([feed_run])
    response = render(request, "feeds/_progress.html", {
        "run": feed_run, "active": feed_run.status in ACTIVE, "done": run_progress(feed_run)})
    if feed_run.status not in ACTIVE:
        response["HX-Refresh"] = "true"  # show the finished report
    return response


@console_required
def run_json(request: HttpRequest, run_id: int) -> JsonResponse:
    feed_run = access_run(actor_of(request), run_id)
    report = feed_run.report or {"run": feed_run.pk, "status": feed_run.status}
    return JsonResponse(report, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_POST
@ent_admin_required
def run_decide(request: HttpRequest, run_id: int, decision: str) -> HttpResponse:
    actor = actor_of(request)
    feed_run = access_run(actor, run_id)
    try:
        if decision == "approve":
            do_queue_approval(feed_run, actor)
        else:
            do_reject_run(feed_run, actor=actor)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        if decision == "approve":
            # A large run takes minutes: the background worker applies it, the run page
            # shows its progress (with the immediate backend it is applied here).
            task = apply_held_run.enqueue(feed_run.pk)
            do_note_task(feed_run, task.id, task.backend)
            messages.success(request, _("Run %(run)s approved: it is applied in the "
                                        "background.") % {"run": feed_run.pk})
        else:
            messages.success(request, _("Run %(run)s: %(status)s") % {
                "run": feed_run.pk, "status": feed_run.get_status_display()})
    return redirect("console:feeds:run", run_id=feed_run.pk)


@require_POST
@ent_admin_required
def academy_freeze(request: HttpRequest, academy_id: int) -> HttpResponse:
    academy = get_object_or_404(Academy, pk=academy_id)
    frozen = request.POST.get("frozen") == "1"
    do_set_feeds_frozen(academy, frozen, actor_of(request))
    messages.success(request, (_("Feeds of %(academy)s are suspended.") if frozen else
                               _("Feeds of %(academy)s are resumed.")) % {
        "academy": academy.name})
    return redirect("console:feeds:runs")
