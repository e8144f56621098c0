"""What the feeds keep: one row per import run, its issues, and the links of pre-deleted users.

A run is recorded whatever its outcome (applied, dry run, refused, held, failed), so an
operator can always answer "what did last night's import do, and why".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import Source


class FeedFormat(models.TextChoices):
    """The formats `preau feed import --format` reads."""

    AAF1D = "aaf1d", _("AAF1D XML (primary schools)")
    AAF = "aaf", _("AAF XML (secondary schools)")
    ONDE = "onde-csv", _("ONDE CSV extraction")
    CSV = "csv", _("Manual CSV templates")


FORMAT_SOURCES: dict[str, str] = {
    FeedFormat.AAF1D: Source.AAF1D,
    FeedFormat.AAF: Source.AAF,
    FeedFormat.ONDE: Source.ONDE,
    FeedFormat.CSV: Source.CSV,
}


class FeedRun(models.Model):
    """One import: the files given for one source and one académie (or one school)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the background worker")
        RUNNING = "running", _("Running")
        APPLIED = "applied", _("Applied")
        DRY_RUN = "dry_run", _("Dry run (nothing changed)")
        REFUSED = "refused", _("Refused")
        HELD = "held", _("Held for approval")
        FAILED = "failed", _("Failed (nothing changed)")

    class HoldReason(models.TextChoices):
        FROZEN = "frozen", _("Feeds of the académie are suspended")
        MISSING_THRESHOLD = "missing_threshold", _("Too many accounts would go missing")

    format = models.CharField(_("format"), max_length=10, choices=FeedFormat.choices)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    prefix = models.CharField(_("académie prefix"), max_length=32, blank=True)
    academy = models.ForeignKey("directory.Academy", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="feed_runs",
                                verbose_name=_("académie"))
    school = models.ForeignKey("directory.Structure", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="feed_runs", verbose_name=_("school"))
    school_uai = models.CharField(_("school UAI"), max_length=8, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.RUNNING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("started by"))
    actor_label = models.CharField(_("started from"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    run_date = models.DateField(_("run date"), default=timezone.localdate)
    files = models.JSONField(_("files"), default=list, blank=True)
    options = models.JSONField(default=dict, blank=True)
    kinds = models.JSONField(_("profiles covered"), default=list, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    hold_reason = models.CharField(_("why held"), max_length=20, choices=HoldReason.choices,
                                   blank=True)
    stored_files = models.CharField(max_length=500, blank=True, editable=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("approved by"))
    approved_label = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Who runs it, recorded outside the run's transaction (see preau.feeds.liveness): a run
    # whose process died is then reported as interrupted instead of "running" for ever.
    worker = models.CharField(_("process"), max_length=200, blank=True, editable=False)
    db_session = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("feed run")
        verbose_name_plural = _("feed runs")
        indexes = [models.Index(fields=["prefix", "started_at"]),
                   models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.prefix or self.school_uai} #{self.pk}"


class FeedIssue(models.Model):
    """One problem of a run: a refused line, a warning, a possible duplicate."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    run = models.ForeignKey(FeedRun, on_delete=models.CASCADE, related_name="issues")
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    file = models.CharField(_("file"), max_length=255, blank=True)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    code = models.CharField(_("code"), max_length=40)
    message = models.TextField(_("message"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("feed issue")

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        return f"{where} : {self.message}" if where else self.message


class LinkBackup(models.Model):
    """The links a pre-deleted user lost, to give them back if a feed lists them again.

    `data` holds plain rows: {"attachments": [...], "memberships": [...],
    "relatives": [...], "children": [...], "school_admin": [...]} (see feeds.lifecycle).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="feed_link_backup")
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("backup of a pre-deleted user's links")
