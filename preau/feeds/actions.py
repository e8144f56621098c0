"""Feed runs: import, approve or reject a held run, run the daily life cycle.

The command line and the console call these; each records a FeedRun whatever happens:

- **applied**: the changes are in the directory;
- **dry_run**: everything was computed then rolled back (same report);
- **refused**: nothing was read or written (frozen académie, unknown school, no current
  school year, unusable set of files);
- **held**: computed then rolled back, files kept under PREAU_DATA_DIR/feeds/<run id>/
  until an ENT admin approves (`do_approve_run`) or rejects it. A run is held when the
  académie's feeds are suspended and the caller asked to hold rather than refuse, or when
  it would mark too many accounts missing (PREAU_FEED_MISSING_THRESHOLD, default 10 % of
  the scope's accounts, and at least PREAU_FEED_HOLD_MIN_ACCOUNTS, default 10): a
  truncated file must not pre-delete half the académie;
- **failed**: a file is malformed (the report names file and line) or the database
  refused a write; the whole run was rolled back. A run whose process died while it ran
  (killed) is settled as failed too, `interrupted` in its report
  (`do_settle_interrupted_runs`; an interrupted approval is held again).

Manual CSV imports are exempt from the freeze (an admin does them by hand, on purpose);
the missing-accounts hold applies to every format.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.models import User
from preau.directory.access import administered_structures, is_school_admin
from preau.directory.models import Academy, SchoolYear, Structure
from preau.feeds import statistics
from preau.feeds.importer import IMPORTER_VERSION, Importer, RunContext
from preau.feeds.inputs import InputRefused, RunInput
from preau.feeds.lifecycle import LifecycleReport, moment, run_lifecycle
from preau.feeds.liveness import (
    DATABASE_TASKS,
    current_worker,
    database_session,
    is_interrupted,
    queued_task_lost,
)
from preau.feeds.models import FORMAT_SOURCES, FeedFormat, FeedIssue, FeedRun
from preau.feeds.parsers import FeedError
from preau.feeds.report import MAX_REPORTED_ISSUES, Issue, RunReport
from preau.lib.errors import Refusal
from preau.yearchange.schedule import feeds_suspended

DEFAULT_MISSING_THRESHOLD = 0.10
DEFAULT_HOLD_MIN_ACCOUNTS = 10


class FeedActionError(Refusal):
    """A refused operation on a run (approving a run that is not held…); French text."""


def command_line_label() -> str:
    """Who started a run from a terminal, for the record."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "?"
    return _("command line (%(user)s)") % {"user": who}


def runs_dir() -> Path:
    return Path(settings.DATA_DIR) / "feeds"


class _RolledBack(Exception):
    def __init__(self, report: RunReport) -> None:
        super().__init__("rolled back")
        self.report = report


def do_import(paths: Sequence[str | Path], *, format: str, academy: str = "",
              school: str = "", templates: dict[str, str] | None = None,
              actor: User | None = None, actor_label: str = "", dry_run: bool = False,
              hold: bool = False, today: date | None = None,
              progress: Callable[[str, int], None] | None = None,
              approving: FeedRun | None = None, queued: FeedRun | None = None,
              full: bool = False) -> FeedRun:
    """Imports one académie's (or one school's) files; returns the recorded run.

    `queued` is a run recorded by `do_queue_import` (console upload): it is run as is,
    with the same rules as a command-line import. `full` reads every record even when the
    files are those of the last applied run (see `_identical_run`)."""
    format = FeedFormat(format).value
    started = time.monotonic()
    today = today or timezone.localdate()
    result: dict[str, Any] = {}
    resumed = queued if queued is not None else approving
    if resumed is not None:
        run = resumed
        run.status = FeedRun.Status.RUNNING
        run.worker, run.db_session = current_worker(), database_session()
        fields = ["status", "worker", "db_session", "approved_by", "approved_label", "options"]
        if queued is not None:
            run.started_at = timezone.now()
            fields.append("started_at")
        else:
            result["replace_issues"] = True  # the held run's issues stay until it finishes
        run.save(update_fields=fields)
    else:
        run = FeedRun.objects.create(
            format=format, source=FORMAT_SOURCES[format], prefix=academy.strip(),
            school_uai=school.strip().upper(), dry_run=dry_run, actor=actor,
            actor_label=actor_label or (actor.login if actor else ""), run_date=today,
            options={"templates": templates or {}, "hold": hold, "full": full},
            worker=current_worker(), db_session=database_session())
    try:
        _run(run, [Path(p) for p in paths], templates, dry_run=dry_run, hold=hold,
             today=today, progress=progress, approved=approving is not None, result=result)
    except Exception as error:
        run.status = FeedRun.Status.FAILED
        run.message = _("Unexpected error, nothing was imported: %(error)s") % {
            "error": repr(error)}
        raise
    finally:
        _finish(run, started, result)
    return run


def _refuse(run: FeedRun, message: str) -> None:
    run.status = FeedRun.Status.REFUSED
    run.message = message


def _run(run: FeedRun, paths: list[Path], templates: dict[str, str] | None, *,
         dry_run: bool, hold: bool, today: date,
         progress: Callable[[str, int], None] | None, approved: bool,
         result: dict[str, Any]) -> None:
    try:
        inputs = RunInput.build(paths, run.format, school_key=run.school_uai,
                                templates=templates)
    except InputRefused as refusal:
        return _refuse(run, str(refusal))
    except FeedError as error:
        run.status = FeedRun.Status.FAILED
        run.message = error.report()
        result["issues"] = [Issue("error", i.file, i.line, i.code, i.reason)
                            for i in error.issues]
        return None
    run.files = [_describe(f.path, f.role) for f in inputs.files]
    run.kinds = sorted(k.value for k in inputs.kinds())
    academy, school = _where(run)
    if run.status == FeedRun.Status.REFUSED:
        return None
    year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        return _refuse(run, _("No school year is current: set the current school year in "
                              "the console before importing (classes belong to it)."))
    frozen = (academy is not None and run.format != FeedFormat.CSV and not approved
              and (academy.feeds_frozen or feeds_suspended(academy, today)))
    if frozen and not hold and not dry_run:
        return _refuse(run, _(
            "Feeds are suspended for this académie (%(academy)s, end of the school year): "
            "the run is refused. Import again with --hold to keep it for an ENT administrator's "
            "approval, or lift the suspension.") % {"academy": academy})
    run.options = {**run.options, "year": year.pk, "importer": IMPORTER_VERSION}
    if not approved and not run.options.get("full"):
        same = _identical_run(run, year)
        if same is not None:
            return _skip_identical(run, same, academy, dry_run=dry_run, result=result)
    ctx = RunContext(format=run.format, source=run.source, prefix=run.prefix,
                     academy=academy, school=school, year=year, today=today,
                     now=moment(today), actor=run.approved_by if approved else run.actor,
                     run_id=run.pk)
    hold_info: dict[str, Any] | None = None
    stale: list[str] = []  # the tables to ANALYZE once the run is committed
    try:
        with transaction.atomic():
            written = statistics.writes_so_far()
            report = Importer(ctx, inputs, progress).run()
            if frozen:
                hold_info = {"reason": FeedRun.HoldReason.FROZEN, "message": _(
                    "Feeds are suspended for this académie (%(academy)s): the run is held "
                    "until an ENT administrator approves it (preau feed approve %(run)s).") % {
                    "academy": academy, "run": run.pk}}
            elif not approved:
                hold_info = _missing_hold(report, run)
            if dry_run or hold_info is not None:
                raise _RolledBack(report)
            stale = statistics.stale_since(written)
        run.status = FeedRun.Status.APPLIED
    except _RolledBack as rolled_back:
        report = rolled_back.report
        run.status = FeedRun.Status.DRY_RUN if dry_run else FeedRun.Status.HELD
    except FeedError as error:
        run.status = FeedRun.Status.FAILED
        run.message = error.report()
        result["issues"] = [Issue("error", i.file, i.line, i.code, i.reason)
                            for i in error.issues]
        return None
    except DatabaseError as error:
        run.status = FeedRun.Status.FAILED
        run.message = _("The database refused a change, nothing was imported: %(error)s") % {
            "error": error}
        return None
    result["report"] = report
    if run.status == FeedRun.Status.APPLIED:  # committed: fresh statistics for the pages
        result["analyze"] = statistics.analyze(stale, f"feed run {run.pk}")
    run.academy = ctx.academy  # perhaps created by the run (checked again in _finish)
    if hold_info is not None:
        result["hold"] = hold_info
        if run.status == FeedRun.Status.HELD:
            run.hold_reason = hold_info["reason"]
            run.message = hold_info["message"]
            run.stored_files = str(_store(run, inputs))
    elif approved:
        run.approved_at = timezone.now()
    return None


def _where(run: FeedRun) -> tuple[Academy | None, Structure | None]:
    """The académie (and school) of the run; refuses the run when they do not fit."""
    if run.format in (FeedFormat.ONDE, FeedFormat.CSV):
        if not run.school_uai:
            _refuse(run, _("ONDE and CSV imports are for one school: give its UAI "
                           "(--school)."))
            return None, None
        school = Structure.objects.select_related("academy").filter(
            uai=run.school_uai).first()
        if school is None:
            _refuse(run, _("No school has the UAI %(uai)s: create it in the console "
                           "first.") % {"uai": run.school_uai})
            return None, None
        if run.prefix and run.prefix != school.academy.feed_prefix:
            _refuse(run, _("The school %(uai)s belongs to the académie %(prefix)s, not "
                           "%(given)s.") % {"uai": school.uai,
                                            "prefix": school.academy.feed_prefix,
                                            "given": run.prefix})
            return None, None
        run.prefix = school.academy.feed_prefix
        run.academy = school.academy
        run.school = school
        return school.academy, school
    if not run.prefix:
        _refuse(run, _("Give the académie prefix of these files (--academy), e.g. the "
                       "name of their folder."))
        return None, None
    academy = Academy.objects.filter(feed_prefix=run.prefix).first()
    run.academy = academy
    return academy, None


def _identical_run(run: FeedRun, year: SchoolYear) -> FeedRun | None:
    """The last applied run, if this one would only repeat it: the same files (by content)
    of the same kinds, format, source, académie and school, under the same school year and
    importer, nothing noted then but possible duplicates, and no applied feed run of this
    académie since (any source: another run may have changed what these records point to).

    Importing it again could only find every record unchanged (their checksums are those
    files' records, under the same year and importer), mark nobody new missing (the same
    people are in the files) and restore nobody; so the run records that and writes
    nothing. Feeds send the same files day after day: this keeps such runs nearly free."""
    last = (FeedRun.objects.filter(prefix=run.prefix, status=FeedRun.Status.APPLIED,
                                   dry_run=False).exclude(pk=run.pk)
            .order_by("-started_at", "-pk").first())
    if last is None:
        return None
    def fingerprint(files: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return sorted((str(f.get("role", "")), str(f.get("sha256", ""))) for f in files)
    same = (last.format == run.format and last.source == run.source
            and last.school_uai == run.school_uai and sorted(last.kinds) == sorted(run.kinds)
            and fingerprint(last.files) == fingerprint(run.files)
            and last.options.get("year") == year.pk
            and last.options.get("importer") == IMPORTER_VERSION
            and (last.options.get("templates") or {}) == (run.options.get("templates") or {})
            # Nothing noted then but possible duplicates (reported when accounts are
            # created, so not by a run that creates none): no rejected line, no unknown
            # school or class that a change since could now resolve.
)
    if not same:
        return None
    stored = last.issues.count()
    if stored != int(last.report.get("issues_total") or 0):
        return None  # more issues than stored: cannot tell what they were
    if last.issues.exclude(code="possible-duplicate").exists():
        return None
    return last


def _skip_identical(run: FeedRun, same: FeedRun, academy: Academy | None, *, dry_run: bool,
                    result: dict[str, Any]) -> None:
    report = RunReport()
    for profile, counts in (same.counts or {}).items():
        report.count(profile, "unchanged", sum(int(counts.get(key, 0)) for key in (
            "created", "updated", "unchanged", "restored")))
    report.structures["unchanged"] = sum((same.report.get("structures") or {}).values())
    report.scope_accounts = int(same.report.get("scope_accounts") or 0)
    result["report"] = report
    run.academy = academy
    run.options = {**run.options, "identical_to": same.pk}
    run.status = FeedRun.Status.DRY_RUN if dry_run else FeedRun.Status.APPLIED
    run.message = _(
        "The same files as run %(run)s (applied on %(date)s), and no feed run of this "
        "académie since: every record is unchanged, nothing was written.") % {
            "run": same.pk, "date": timezone.localtime(same.started_at).strftime("%d/%m/%Y")}


def _missing_hold(report: RunReport, run: FeedRun) -> dict[str, Any] | None:
    threshold = float(getattr(settings, "PREAU_FEED_MISSING_THRESHOLD",
                              DEFAULT_MISSING_THRESHOLD))
    minimum = int(getattr(settings, "PREAU_FEED_HOLD_MIN_ACCOUNTS", DEFAULT_HOLD_MIN_ACCOUNTS))
    missing, existing = report.newly_missing, report.scope_accounts
    if not existing or missing < minimum or missing <= threshold * existing:
        return None
    share = 100 * missing / existing
    return {
        "reason": FeedRun.HoldReason.MISSING_THRESHOLD,
        "missing": missing, "existing": existing, "share": round(share, 1),
        "threshold": threshold,
        "message": _(
            "This run would mark %(missing)s of the %(existing)s accounts it covers missing "
            "(%(share).1f %%, more than the %(threshold).0f %% allowed): nothing was "
            "changed. A truncated file? If the files are right, approve the run "
            "(preau feed approve %(run)s).") % {
            "missing": missing, "existing": existing, "share": share,
            "threshold": threshold * 100, "run": run.pk},
    }


def _describe(path: Path, role: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return {"name": path.name, "size": path.stat().st_size, "sha256": digest.hexdigest(),
            "role": role}


def _store(run: FeedRun, inputs: RunInput) -> Path:
    """Keeps a held run's files (they hold personal data: removed once decided)."""
    folder = runs_dir() / str(run.pk)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    templates = {}
    for f in inputs.files:
        shutil.copy2(f.path, folder / f.path.name)
        templates[f.path.name] = f.role
    if run.format == FeedFormat.CSV:
        run.options = {**run.options, "templates": templates}
    return folder


def _finish(run: FeedRun, started: float | None, result: dict[str, Any]) -> None:
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.monotonic() - started if started is not None else
                                 (run.finished_at - run.started_at).total_seconds(), 3)
    report: RunReport | None = result.get("report")
    issues: list[Issue] = list(result.get("issues", []))
    data = report.as_dict() if report is not None else RunReport().as_dict()
    if report is not None:
        issues = report.issues
    else:
        data["issues"] = [i.as_dict() for i in issues[:MAX_REPORTED_ISSUES]]
        data["issues_total"] = len(issues)
    run.counts = data["counts"]
    data.update({
        "run": run.pk, "status": run.status, "status_label": str(run.get_status_display()),
        "format": run.format, "source": run.source, "academy": run.prefix,
        "school": run.school_uai or None, "dry_run": run.dry_run,
        "run_date": run.run_date.isoformat() if run.run_date else None,
        "started_at": run.started_at.isoformat(), "finished_at": run.finished_at.isoformat(),
        "duration_seconds": run.duration_seconds, "actor": run.actor_label,
        "files": run.files, "kinds": run.kinds, "hold": result.get("hold"),
        "message": run.message,
        "approved_by": run.approved_label or None,
        "approved_at": run.approved_at.isoformat() if run.approved_at else None,
        "interrupted": bool(result.get("interrupted")),
        "analyze": analyzed.as_json() if (analyzed := result.get("analyze")) else None,
    })
    run.report = data
    if run.academy_id is not None and not Academy.objects.filter(pk=run.academy_id).exists():
        run.academy = None  # created by a run that was rolled back
    run.save()
    if result.get("replace_issues"):
        run.issues.all().delete()
    FeedIssue.objects.bulk_create([
        FeedIssue(run=run, severity=i.severity, file=i.file[:255], line=i.line,
                  code=i.code[:40], message=i.message) for i in issues], batch_size=500)


def _held_files(run: FeedRun, status: str = FeedRun.Status.HELD) -> list[Path]:
    """The stored files of a held run, or FeedActionError (not held, files gone)."""
    if run.status != status:
        raise FeedActionError(_("Run %(run)s is not held (status: %(status)s).") % {
            "run": run.pk, "status": run.get_status_display()})
    folder = Path(run.stored_files)
    paths = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(PROGRESS_FILE)) \
        if run.stored_files and folder.is_dir() else []
    if not paths:
        raise FeedActionError(_("The files of run %(run)s are no longer there.") % {
            "run": run.pk})
    return paths


def do_approve_run(run: FeedRun, actor: User | None = None, actor_label: str = "",
                   progress: Callable[[str, int], None] | None = None) -> FeedRun:
    """An ENT admin applies a held run: its stored files are imported again, past the
    freeze and the missing-accounts hold (`preau feed approve`, in the caller's process;
    the console queues it instead: `do_queue_approval`)."""
    paths = _held_files(run)
    run.approved_by = actor
    run.approved_label = actor_label or (actor.login if actor else "")
    return _apply_approval(run, paths, progress)


def _apply_approval(run: FeedRun, paths: list[Path],
                    progress: Callable[[str, int], None] | None) -> FeedRun:
    do_import(paths, format=run.format, academy=run.prefix, school=run.school_uai,
              templates=run.options.get("templates") or None, today=run.run_date,
              progress=progress, approving=run)
    run.options = {k: v for k, v in run.options.items() if k != "approval"}
    _forget_files(run)
    return run


def do_queue_approval(run: FeedRun, actor: User) -> FeedRun:
    """An ENT admin approves a held run in the console: it waits for the background worker
    (`apply_held_run`), so a large run never holds a web request. Only one approval wins
    when two admins click at once."""
    if not actor.is_ent_admin:
        raise PermissionDenied
    _held_files(run)
    options = {**run.options, "approval": True}
    queued = FeedRun.objects.filter(pk=run.pk, status=FeedRun.Status.HELD).update(
        status=FeedRun.Status.QUEUED, approved_by=actor, approved_label=actor.login,
        options=options)
    if not queued:
        run.refresh_from_db()
        raise FeedActionError(_("Run %(run)s is not held (status: %(status)s).") % {
            "run": run.pk, "status": run.get_status_display()})
    run.refresh_from_db()
    logger.info("held feed run %s approved by %s, queued", run.pk, actor.login)
    return run


def do_run_queued_approval(run: FeedRun) -> FeedRun:
    """Applies an approval queued from the console (called by the background task), writing
    its progress to a small file beside the stored files, as uploads do."""
    if not run.options.get("approval"):
        raise FeedActionError(_("Run %(run)s is not waiting (status: %(status)s).") % {
            "run": run.pk, "status": run.get_status_display()})
    paths = _held_files(run, FeedRun.Status.QUEUED)
    return _apply_approval(run, paths, _progress_writer(Path(run.stored_files)))


def do_reject_run(run: FeedRun, actor: User | None = None, actor_label: str = "") -> FeedRun:
    """An ENT admin drops a held run: nothing is imported, its files are removed."""
    if run.status != FeedRun.Status.HELD:
        raise FeedActionError(_("Run %(run)s is not held (status: %(status)s).") % {
            "run": run.pk, "status": run.get_status_display()})
    run.status = FeedRun.Status.REFUSED
    run.approved_by = actor
    run.approved_label = actor_label or (actor.login if actor else "")
    run.message = _("Held run rejected by %(who)s.") % {"who": run.approved_label or "?"}
    run.report = {**run.report, "status": run.status,
                  "status_label": str(run.get_status_display()), "message": run.message}
    _forget_files(run)
    return run


def _forget_files(run: FeedRun) -> None:
    if run.stored_files:
        shutil.rmtree(run.stored_files, ignore_errors=True)
    run.stored_files = ""
    run.save(update_fields=["stored_files", "status", "approved_by", "approved_label",
                            "message", "report", "options"])


def do_run_lifecycle(today: date | None = None, *, dry_run: bool = False,
                     actor: User | None = None) -> LifecycleReport:
    """Pre-deletes and deletes what is due (meant to run daily; see feeds.lifecycle)."""
    return run_lifecycle(today, dry_run=dry_run, actor=actor)


# -- Console: uploads run by the background worker, rights, freeze ---------------------------

UPLOAD_SUFFIXES: dict[str, tuple[str, ...]] = {
    FeedFormat.AAF1D: (".xml",),
    FeedFormat.AAF: (".xml",),
    FeedFormat.ONDE: (".csv",),
    FeedFormat.CSV: (".csv",),
}
SCHOOL_FORMATS = (FeedFormat.ONDE, FeedFormat.CSV)
"""The formats a school admin may import, for the schools they administer."""
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,150}")
PROGRESS_FILE = "progress.json"
logger = logging.getLogger("preau.feeds")


def uploads_dir() -> Path:
    return runs_dir() / "uploads"


def visible_runs(user: User) -> QuerySet[FeedRun]:
    """The runs an admin may read: all of them for ENT admins, their schools' for school
    admins (never an académie-wide run)."""
    runs = FeedRun.objects.select_related("academy", "school")
    if user.is_ent_admin:
        return runs
    return runs.filter(school__in=administered_structures(user))


def access_run(user: User, run_id: int) -> FeedRun:
    """One run the user may read, or 404 (never a hint that it exists)."""
    run = visible_runs(user).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def upload_formats(user: User) -> list[tuple[str, str]]:
    """The formats a user may upload (choices of the upload form)."""
    return [(value, str(label)) for value, label in FeedFormat.choices
            if user.is_ent_admin or value in SCHOOL_FORMATS]


def check_upload_name(name: str, format: str) -> str:
    """The file name to store, or FeedActionError: no folder part, no odd character, and
    the suffix the format expects (a name is never used as a path as given)."""
    base = os.path.basename(name.replace("\\", "/"))
    if base != name or not _SAFE_NAME.fullmatch(base) or ".." in base:
        raise FeedActionError(_("Unexpected file name “%(name)s”: use the name the "
                                "extraction gave it (letters, digits, dots, dashes).") % {
            "name": name})
    if not base.lower().endswith(UPLOAD_SUFFIXES[FeedFormat(format)]):
        raise FeedActionError(_("The file “%(name)s” does not fit the format %(format)s "
                                "(expected: %(suffixes)s).") % {
            "name": name, "format": FeedFormat(format).label,
            "suffixes": ", ".join(UPLOAD_SUFFIXES[FeedFormat(format)])})
    return base


def do_queue_import(files: Sequence[UploadedFile], *, format: str, actor: User,
                    academy: str = "", school: Structure | None = None,
                    dry_run: bool = False) -> FeedRun:
    """Stores uploaded files and records a queued run for the background worker.

    School admins import ONDE or CSV files of a school they administer; ENT admins any
    format. Refusals raise PermissionDenied (a right) or FeedActionError (French text)."""
    format = FeedFormat(format).value
    if not actor.is_ent_admin and (format not in SCHOOL_FORMATS or school is None
                                   or not is_school_admin(actor, school)):
        raise PermissionDenied
    if not files:
        raise FeedActionError(_("Give at least one file."))
    names = [check_upload_name(f.name or "", format) for f in files]
    if len(set(names)) != len(names):
        raise FeedActionError(_("The same file name is given twice."))
    folder = uploads_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True, mode=0o700)
    for upload, name in zip(files, names, strict=True):
        with (folder / name).open("xb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
    run = FeedRun.objects.create(
        format=format, source=FORMAT_SOURCES[format], prefix=academy.strip(),
        school_uai=school.uai if school is not None else "", school=school,
        status=FeedRun.Status.QUEUED, dry_run=dry_run, actor=actor,
        actor_label=actor.login, options={"templates": {}, "hold": False,
                                          "upload": str(folder)})
    logger.info("feed run %s queued by %s (%s, %s files)", run.pk, actor.login, format,
                len(names))
    return run


def do_run_queued(run: FeedRun) -> FeedRun:
    """Runs a queued upload (called by the background task), writing its progress to a
    small file the console reads: the import's own writes stay invisible to other
    connections until it commits, so the progress cannot live in the database."""
    if run.status != FeedRun.Status.QUEUED:
        raise FeedActionError(_("Run %(run)s is not waiting (status: %(status)s).") % {
            "run": run.pk, "status": run.get_status_display()})
    folder = Path(run.options.get("upload", ""))
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.name != PROGRESS_FILE) \
        if folder.is_dir() else []
    try:
        do_import(paths, format=run.format, academy=run.prefix, school=run.school_uai,
                  actor=run.actor, actor_label=run.actor_label, dry_run=run.dry_run,
                  today=run.run_date, progress=_progress_writer(folder), queued=run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # personal data; a held run keeps a copy
        run.options = {k: v for k, v in run.options.items() if k != "upload"}
        FeedRun.objects.filter(pk=run.pk).update(options=run.options)
    return run


def do_note_task(run: FeedRun, task_id: str, backend: str = "default") -> None:
    """Records the background task that is to run a queued run (upload or approval), so
    that a worker killed before it marked the run running does not leave it queued for
    ever (`liveness.queued_task_lost`). Only tasks of the database backend are recorded:
    they are the ones that can be looked up later."""
    if settings.TASKS.get(backend, {}).get("BACKEND") != DATABASE_TASKS:
        return
    with transaction.atomic():
        fresh = FeedRun.objects.select_for_update().filter(
            pk=run.pk, status=FeedRun.Status.QUEUED).first()
        if fresh is not None:
            fresh.options = {**fresh.options, "task": task_id}
            fresh.save(update_fields=["options"])
            run.options = fresh.options


def _progress_writer(folder: Path) -> Callable[[str, int], None]:
    """The importer's progress callback for the console: at most once a second, the records
    handled so far go to `folder/progress.json` (replaced atomically)."""
    last = [0.0]

    def progress(stage: str, done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 1:
            last[0] = now
            tmp = folder / (PROGRESS_FILE + ".tmp")
            tmp.write_text(json.dumps({"stage": stage, "done": done}))
            tmp.replace(folder / PROGRESS_FILE)

    return progress


def run_progress(run: FeedRun) -> int | None:
    """Records handled so far by a running upload or console approval, when it has said so."""
    folder = run.options.get("upload") or (
        run.stored_files if run.options.get("approval") else "")
    if not folder:
        return None
    try:
        return int(json.loads((Path(folder) / PROGRESS_FILE).read_text())["done"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def do_settle_interrupted_runs(runs: Iterable[FeedRun] | None = None) -> list[FeedRun]:
    """Runs still marked running whose process died (killed command, killed worker, lost
    machine: see preau.feeds.liveness) are settled, so they neither mislead nor block:

    - nothing of theirs is in the directory: a run is one database transaction, which the
      database rolls back when its connection goes;
    - an interrupted approval goes back to *held* (its stored files are still there): an
      ENT admin approves it again;
    - any other run becomes *failed*, with `interrupted: true` in its report and a French
      message; the files of an interrupted upload are removed (personal data).

    A *queued* run whose background task will never run it (a worker killed between
    claiming the task and starting the run: `liveness.queued_task_lost`) is settled the
    same way: an approval goes back to held, an upload fails.

    Called by the console's feed pages and by `preau feed` before it shows or starts a
    run; idempotent. Returns the runs settled."""
    waiting = (FeedRun.Status.RUNNING, FeedRun.Status.QUEUED)
    candidates = FeedRun.objects.filter(status__in=waiting) if runs is None else [
        r for r in runs if r.status in waiting]
    settled = []
    for run in candidates:
        if not (is_interrupted(run) or queued_task_lost(run)):
            continue
        with transaction.atomic():
            # Read again once the process is known dead: whatever it wrote is committed.
            fresh = FeedRun.objects.select_for_update().filter(
                pk=run.pk, status=run.status, worker=run.worker).first()
            if fresh is None:
                continue
            _settle(fresh)
        run.refresh_from_db()
        settled.append(run)
    return settled


def _settle(run: FeedRun) -> None:
    who = run.worker or "?"
    never_started = run.status == FeedRun.Status.QUEUED
    if never_started:
        logger.warning("feed run %s lost: its background task %s will never run it",
                       run.pk, run.options.get("task"))
    else:
        logger.warning("feed run %s interrupted (process %s gone)", run.pk, who)
    run.options = {k: v for k, v in run.options.items() if k != "task"}
    folder = Path(run.stored_files) if run.stored_files else None
    if folder is not None and folder.is_dir():
        run.status = FeedRun.Status.HELD
        run.approved_by, run.approved_label, run.approved_at = None, "", None
        run.options = {k: v for k, v in run.options.items() if k != "approval"}
        if never_started:
            run.message = _(
                "The approval of this run was interrupted: the background worker stopped "
                "before applying it, and nothing was applied. The run is held again: "
                "approve it again.")
        else:
            run.message = _(
                "The approval of this run was interrupted: the process applying it stopped "
                "(%(worker)s) before the end, and nothing was applied (a run is one database "
                "transaction). The run is held again: approve it again.") % {"worker": who}
        run.report = {**run.report, "status": run.status,
                      "status_label": str(run.get_status_display()),
                      "message": run.message, "interrupted": True,
                      "approved_by": None, "approved_at": None}
        run.save()
        return
    upload = run.options.get("upload")
    shutil.rmtree(runs_dir() / str(run.pk), ignore_errors=True)  # files of a hold half-kept
    if upload:
        shutil.rmtree(upload, ignore_errors=True)  # personal data
        run.options = {k: v for k, v in run.options.items() if k != "upload"}
    run.status = FeedRun.Status.FAILED
    if never_started:
        run.message = _(
            "Interrupted: the background worker stopped before starting this import. "
            "Nothing was imported. Run the import again.")
    else:
        run.message = _(
            "Interrupted: the process running this import stopped (%(worker)s) before the "
            "end. Nothing was imported: a run is one database transaction, which the database "
            "rolls back when its process dies. Run the import again.") % {"worker": who}
    _finish(run, None, {"interrupted": True})


def do_set_feeds_frozen(academy: Academy, frozen: bool, actor: User) -> Academy:
    """Suspends (or resumes) an académie's feeds, e.g. at the end of the school year."""
    if not actor.is_ent_admin:
        raise PermissionDenied
    academy.feeds_frozen = frozen
    academy.save(update_fields=["feeds_frozen"])
    logger.info("feeds of académie %s %s by %s", academy.feed_prefix or academy.pk,
                "suspended" if frozen else "resumed", actor.login)
    return academy
