"""The transition: close the ending year's groupes de scolarité and what hangs on them.

Per school, in its own transaction (a stop half-way loses nothing: the schools done stay
done, the others are done by the next run, and a school already done has nothing left to
change, so running twice changes nothing):

- the ending year's classes are archived (`closed_at`), their class groups and the year's
  functional groups are closed: their memberships move to `ArchivedMembership` (history:
  pupils and parents still see last year's class), so they grant nothing any more;
- shares to those groups are purged in every app (optionally turned into named read shares
  for the members the group had); shares to users, bookmark-expanded shares and shares to
  manual or school-level groups are kept;
- the ending year's head-teacher flags end, unless the new year's teachers' feed already
  set them;
- schools, school-level groups, manual groups, accounts, logins, passwords, attachments
  and every production are kept.

`plan` computes the same report without writing anything.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from preau.accounts.models import Profile, User
from preau.directory.models import (
    SCOLARITE_KINDS,
    Academy,
    ArchivedMembership,
    Group,
    GroupKind,
    Membership,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.sharing.models import Share, Via
from preau.yearchange.models import AuditEntry, TransitionRun, YearCalendar


def app_of(resource_type: str) -> str:
    return resource_type.split(".", 1)[0]


@dataclass
class SchoolReport:
    uai: str
    name: str
    classes_archived: int = 0
    class_groups_closed: int = 0
    functional_groups_closed: int = 0
    memberships_ended: int = 0
    director_flags_ended: int = 0
    shares_purged: Counter[str] = field(default_factory=Counter)
    shares_converted: Counter[str] = field(default_factory=Counter)
    shares_kept: Counter[str] = field(default_factory=Counter)
    purged_by_owner: Counter[str] = field(default_factory=Counter)

    @property
    def changes(self) -> int:
        return (self.classes_archived + self.class_groups_closed + self.functional_groups_closed
                + self.memberships_ended + self.director_flags_ended
                + sum(self.shares_purged.values()))

    def as_json(self) -> dict[str, Any]:
        return {
            "uai": self.uai, "name": self.name,
            "classes_archived": self.classes_archived,
            "class_groups_closed": self.class_groups_closed,
            "functional_groups_closed": self.functional_groups_closed,
            "memberships_ended": self.memberships_ended,
            "director_flags_ended": self.director_flags_ended,
            "shares_purged": _per_app(self.shares_purged),
            "shares_converted": _per_app(self.shares_converted),
            "shares_kept": _per_app(self.shares_kept),
            "purged_shares_by_owner": dict(sorted(self.purged_by_owner.items())),
        }


def _per_app(counter: Counter[str]) -> dict[str, int]:
    return {**dict(sorted(counter.items())), "total": sum(counter.values())}


# -- which years ---------------------------------------------------------------------------


def _next_year_bounds(year: SchoolYear) -> tuple[str, datetime.date, datetime.date]:
    first = int(year.name[:4]) + 1
    return (f"{first}-{first + 1}", datetime.date(first, 9, 1),
            datetime.date(first + 1, 7, 6))


def years_for(today: datetime.date, *, create: bool) -> tuple[SchoolYear, SchoolYear | None]:
    """(ending year, new year). Past the current year's end, the transition opens the next
    one (made current when `create`); within a year, it finishes the previous change."""
    current = SchoolYear.current()
    if today > current.end:
        name, start, end = _next_year_bounds(current)
        new = SchoolYear.objects.filter(name=name).first()
        if create:
            with transaction.atomic():
                if new is None:
                    new = SchoolYear.objects.create(name=name, start=start, end=end)
                SchoolYear.objects.filter(is_current=True).update(is_current=False)
                SchoolYear.objects.filter(pk=new.pk).update(is_current=True)
                new.is_current = True
        return current, new
    previous = SchoolYear.objects.filter(start__lt=current.start).order_by("-start").first()
    return (previous or current), current


# -- one school ------------------------------------------------------------------------------


def _scolarite_groups(structure: Structure, year: SchoolYear) -> Any:
    return Group.objects.filter(structure=structure, kind__in=SCOLARITE_KINDS, school_year=year)


def _teachers_feed_since(academy: Academy | None, since: datetime.date) -> bool:
    from preau.feeds.models import FeedRun

    if academy is None:
        return False
    runs = FeedRun.objects.filter(academy=academy, dry_run=False, status="applied",
                                  run_date__gte=since)
    return any(Profile.TEACHER in (run.kinds or []) for run in runs.only("kinds"))


def _director_flags(structure: Structure, ending: SchoolYear,
                    calendar: YearCalendar | None) -> Any:
    since = calendar.end_of_year if calendar else ending.end
    if _teachers_feed_since(structure.academy, since):
        return StructureAttachment.objects.none()  # already the new year's flags
    return StructureAttachment.objects.filter(structure=structure, is_director=True)


def school_report(structure: Structure, ending: SchoolYear,
                  calendar: YearCalendar | None) -> SchoolReport:
    """What the transition would do to this school (no writes)."""
    report = SchoolReport(uai=structure.uai, name=structure.name)
    groups = _scolarite_groups(structure, ending)
    live = groups.filter(memberships__isnull=False).distinct()
    report.class_groups_closed = live.filter(kind=GroupKind.CLASS).count()
    report.functional_groups_closed = live.filter(kind=GroupKind.FUNCTIONAL).count()
    report.classes_archived = SchoolClass.objects.filter(
        structure=structure, school_year=ending, closed_at__isnull=True).count()
    report.memberships_ended = Membership.objects.filter(group__in=groups).count()
    report.director_flags_ended = _director_flags(structure, ending, calendar).count()
    purged = Share.objects.filter(group__in=groups)
    for resource_type, login, count in (purged.values_list("resource_type", "created_by__login")
                                        .annotate(n=Count("id")).order_by()):
        report.shares_purged[app_of(resource_type)] += count
        report.purged_by_owner[login or "?"] += count
    if calendar is not None and calendar.convert_purged_shares:
        report.shares_converted = Counter(report.shares_purged)
    school_people = StructureAttachment.objects.filter(structure=structure).values("user")
    kept = Share.objects.filter(created_by__in=school_people).exclude(group__in=groups)
    for resource_type, count in (kept.values_list("resource_type").annotate(n=Count("id"))
                                 .order_by()):
        report.shares_kept[app_of(resource_type)] += count
    return report


def _audit(run: TransitionRun, structure: Structure, kind: str, object_id: int | None,
           **details: Any) -> AuditEntry:
    return AuditEntry(run=run, structure=structure, kind=kind, object_id=object_id,
                      details=details)


@transaction.atomic
def transition_school(structure: Structure, ending: SchoolYear, calendar: YearCalendar | None,
                      run: TransitionRun) -> SchoolReport:
    """Do it for one school, in one transaction; returns what was done."""
    # Lock the school's row: two runs at once do one school once.
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    report = school_report(structure, ending, calendar)
    now = timezone.now()
    entries: list[AuditEntry] = []
    groups = list(_scolarite_groups(structure, ending))
    group_ids = [g.pk for g in groups]

    convert = calendar is not None and calendar.convert_purged_shares
    members: dict[int, list[int]] = {}
    for gid, uid in Membership.objects.filter(group_id__in=group_ids).values_list(
            "group_id", "user_id").order_by():
        members.setdefault(gid, []).append(uid)
    for share in Share.objects.filter(group_id__in=group_ids).select_related("created_by"):
        details = {"resource_type": share.resource_type, "resource_id": share.resource_id,
                   "group_id": share.group_id, "rights": sorted(share.rights),
                   "shared_by": share.created_by.login if share.created_by else "",
                   "shared_at": share.created_at.isoformat()}
        entries.append(_audit(run, structure, AuditEntry.Kind.SHARE_PURGED, share.pk, **details))
        if convert:
            created = _convert(share, members.get(share.group_id or 0, []), now)
            entries.append(_audit(run, structure, AuditEntry.Kind.SHARE_CONVERTED, share.pk,
                                  users=created, **details))
        share.delete()

    ended = list(Membership.objects.filter(group_id__in=group_ids))
    ArchivedMembership.objects.bulk_create(
        [ArchivedMembership(group_id=m.group_id, user_id=m.user_id, source=m.source,
                            created_at=m.created_at, ended_at=now) for m in ended],
        ignore_conflicts=True, batch_size=1000)
    Membership.objects.filter(pk__in=[m.pk for m in ended]).delete()
    by_group = Counter(m.group_id for m in ended)
    for group in groups:
        if by_group[group.pk]:
            entries.append(_audit(run, structure, AuditEntry.Kind.MEMBERSHIPS_ENDED, group.pk,
                                  group=group.name, count=by_group[group.pk]))

    classes = SchoolClass.objects.filter(structure=structure, school_year=ending,
                                         closed_at__isnull=True)
    for school_class in classes:
        entries.append(_audit(run, structure, AuditEntry.Kind.CLASS_ARCHIVED, school_class.pk,
                              name=school_class.name))
    classes.update(closed_at=now)

    for attachment in _director_flags(structure, ending, calendar).select_related("user"):
        entries.append(_audit(run, structure, AuditEntry.Kind.DIRECTOR_ENDED, attachment.user_id,
                              login=attachment.user.login))
        StructureAttachment.objects.filter(pk=attachment.pk).update(is_director=False)
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return report


def _convert(share: Share, member_ids: list[int], now: datetime.datetime) -> list[int]:
    """Named read shares for the group's members who hold no share of their own."""
    have = set(Share.objects.filter(resource_type=share.resource_type,
                                    resource_id=share.resource_id, user_id__in=member_ids)
               .values_list("user_id", flat=True))
    alive = set(User.objects.alive().filter(pk__in=member_ids).values_list("pk", flat=True))
    created = [uid for uid in member_ids if uid not in have and uid in alive]
    Share.objects.bulk_create([
        Share(resource_type=share.resource_type, resource_id=share.resource_id, user_id=uid,
              can_read=True, via=Via.DIRECT, created_by=share.created_by, created_at=now)
        for uid in created])
    return created


# -- the whole run ---------------------------------------------------------------------------


def _schools(academy: Academy | None, structure: Structure | None) -> Any:
    if structure is not None:
        return Structure.objects.filter(pk=structure.pk)
    schools = Structure.objects.all()
    if academy is not None:
        schools = schools.filter(academy=academy)
    return schools.order_by("uai")


def run_transition(*, today: datetime.date, academy: Academy | None = None,
                   structure: Structure | None = None, dry_run: bool = False,
                   actor: User | None = None, actor_label: str = "",
                   run: TransitionRun | None = None) -> TransitionRun:
    """Plan (dry_run) or run the transition; one TransitionRun records the JSON report
    (`run`: a queued run approved in the console, filled in instead of a new one)."""
    ending, new = years_for(today, create=not dry_run)
    status = TransitionRun.Status.PLANNED if dry_run else TransitionRun.Status.RUNNING
    if run is None:
        run = TransitionRun.objects.create(
            academy=academy or (structure.academy if structure else None), structure=structure,
            from_year=ending, to_year=new or ending, actor=actor, actor_label=actor_label,
            status=status)
    else:
        run.from_year, run.to_year, run.status = ending, new or ending, status
        run.save(update_fields=["from_year", "to_year", "status"])
    calendars = {c.academy_id: c for c in YearCalendar.objects.filter(school_year=new)} \
        if new is not None else {}
    schools: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    totals: dict[str, Counter[str]] = {k: Counter() for k in (
        "class_groups_closed", "memberships_ended", "shares_purged", "shares_kept",
        "shares_converted")}
    for school in _schools(academy, structure).select_related("academy"):
        calendar = calendars.get(school.academy_id)
        try:
            report = (school_report(school, ending, calendar) if dry_run
                      else transition_school(school, ending, calendar, run))
        except Exception as error:  # one school's failure must not stop the others
            errors.append({"uai": school.uai, "error": str(error)})
            continue
        schools.append(report.as_json())
        totals["class_groups_closed"]["class"] += report.class_groups_closed
        totals["class_groups_closed"]["functional"] += report.functional_groups_closed
        totals["memberships_ended"]["directory"] += report.memberships_ended
        totals["shares_purged"].update(report.shares_purged)
        totals["shares_kept"].update(report.shares_kept)
        totals["shares_converted"].update(report.shares_converted)
    run.report = {
        "dry_run": dry_run, "from_year": ending.name,
        "to_year": new.name if new is not None else _next_year_bounds(ending)[0],
        "run": run.pk, "schools": schools,
        **{key: _per_app(counter) for key, counter in totals.items()},
        "classes_archived": sum(s["classes_archived"] for s in schools),
        "director_flags_ended": sum(s["director_flags_ended"] for s in schools),
        "changes": sum(1 for s in schools if _school_changed(s)),
        "errors": errors,
    }
    run.finished_at = timezone.now()
    if not dry_run:
        run.status = TransitionRun.Status.FAILED if errors else TransitionRun.Status.DONE
    run.save()
    return run


def _school_changed(school: dict[str, Any]) -> bool:
    return bool(school["classes_archived"] or school["class_groups_closed"]
                or school["functional_groups_closed"] or school["memberships_ended"]
                or school["director_flags_ended"] or school["shares_purged"]["total"])


def archived_classes_of(user: User) -> Any:
    """Last years' classes a user was in (history shown as archived)."""
    return (SchoolClass.objects.filter(
        Q(groups__archived_memberships__user=user)).distinct().select_related("school_year")
        .order_by("-school_year__start", "name"))
