"""The year change: each académie's calendar, the transition runs and their audit log."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Academy, SchoolYear, Structure


class Phase(models.TextChoices):
    SCHOOL_YEAR = "school_year", _("School year in progress")
    SUMMER_FREEZE = "summer_freeze", _("End of school year: feeds suspended")
    TEACHERS_FEED = "teachers_feed", _("Teachers' feed of the new year")
    TRANSITION_DONE = "transition_done", _("Transition done, before the rentrée")
    RENTREE = "rentree", _("Rentrée, before the bascule ONDE")
    BASCULE = "bascule", _("Bascule ONDE done, waiting for the families' feed")
    NEW_YEAR = "new_year", _("New school year running")


class YearCalendar(models.Model):
    """The dates of one académie's change into `school_year` (the year that starts)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="calendars")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT,
                                    related_name="calendars")
    end_of_year = models.DateField(_("end of school year (feeds suspended)"))
    first_teachers_feed = models.DateField(_("first teachers' feed"))
    transition = models.DateField(_("transition"))
    rentree = models.DateField(_("rentrée"))
    bascule_onde = models.DateField(_("bascule ONDE"))
    first_families_feed = models.DateField(_("first families' feed"))
    # Turn each purged class-group share into read-only shares to the group's members.
    convert_purged_shares = models.BooleanField(
        _("turn purged class-group shares into named read shares"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["academy", "school_year"],
                                               name="one_calendar_per_academy_year")]

    def __str__(self) -> str:
        return f"{self.academy} {self.school_year}"

    def phase(self, today: datetime.date) -> str:
        if today < self.end_of_year:
            return Phase.SCHOOL_YEAR
        if today < self.first_teachers_feed:
            return Phase.SUMMER_FREEZE
        if today < self.transition:
            return Phase.TEACHERS_FEED
        if today < self.rentree:
            return Phase.TRANSITION_DONE
        if today < self.bascule_onde:
            return Phase.RENTREE
        if today < self.first_families_feed:
            return Phase.BASCULE
        return Phase.NEW_YEAR


class TransitionRun(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned (nothing changed)")
        QUEUED = "queued", _("Approved, waiting for the background worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    academy = models.ForeignKey(Academy, on_delete=models.SET_NULL, null=True, blank=True)
    structure = models.ForeignKey(Structure, on_delete=models.SET_NULL, null=True, blank=True)
    from_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    to_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict)
    # A run approved from a plan remembers it.
    plan = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    # Who runs it (`host pid start`, the PostgreSQL session) and, for an approved run, the
    # background task that is to run it: a killed worker's run is recognised and settled
    # (`actions.do_settle_interrupted_transitions`, with the feeds' liveness rules).
    worker = models.CharField(max_length=200, blank=True, editable=False)
    db_session = models.CharField(max_length=64, blank=True, editable=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_year} → {self.to_year} ({self.status})"


class OwnerNotice(models.Model):
    """An owner was told, before the transition, that shares to class groups will go."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    calendar = models.ForeignKey(YearCalendar, on_delete=models.CASCADE, related_name="notices")
    shares = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "calendar"],
                                               name="one_notice_per_owner_and_calendar")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.calendar_id}"


class AuditEntry(models.Model):
    """One change the transition made, for admins to read."""

    class Kind(models.TextChoices):
        CLASS_ARCHIVED = "class_archived", _("Class archived")
        GROUP_CLOSED = "group_closed", _("Group closed")
        MEMBERSHIPS_ENDED = "memberships_ended", _("Memberships ended")
        SHARE_PURGED = "share_purged", _("Share purged")
        SHARE_CONVERTED = "share_converted", _("Share turned into named read shares")
        DIRECTOR_ENDED = "director_ended", _("Head-teacher flag ended")

    run = models.ForeignKey(TransitionRun, on_delete=models.CASCADE, related_name="entries")
    structure = models.ForeignKey(Structure, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "structure"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
