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

from django.db import connection, transaction
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


def _teachers_feed_since(academy_id: int | None, since: datetime.date) -> bool:
    from preau.feeds.models import FeedRun

    if academy_id is None:
        return False
    runs = FeedRun.objects.filter(academy_id=academy_id, dry_run=False, status="applied",
                                  run_date__gte=since)
    return any(Profile.TEACHER in (run.kinds or []) for run in runs.only("kinds"))


@dataclass
class RunContext:
    """What every school of one run shares: the years, calendars, and per-académie facts
    computed once (not once per school)."""

    ending: SchoolYear
    calendars: dict[int, YearCalendar]
    teachers_fed: dict[int | None, bool] = field(default_factory=dict)
    _kept: dict[int, Counter[str]] | None = None

    def kept_shares(self, structure: Structure) -> Counter[str]:
        if self._kept is None:
            self._kept = kept_shares_by_school(self.ending)
        return Counter(self._kept.get(structure.pk, Counter()))

    def calendar(self, structure: Structure) -> YearCalendar | None:
        return self.calendars.get(structure.academy_id) if structure.academy_id else None

    def keeps_director_flags(self, structure: Structure) -> bool:
        """An applied teachers' feed since the end of the year set the new year's flags."""
        key = structure.academy_id
        if key not in self.teachers_fed:
            calendar = self.calendar(structure)
            since = calendar.end_of_year if calendar else self.ending.end
            self.teachers_fed[key] = _teachers_feed_since(key, since)
        return self.teachers_fed[key]


def _director_flags(structure: Structure, ctx: RunContext) -> Any:
    if ctx.keeps_director_flags(structure):
        return StructureAttachment.objects.none()
    return StructureAttachment.objects.filter(structure=structure, is_director=True)


def kept_shares_by_school(ending: SchoolYear) -> dict[int, Counter[str]]:
    """Per school, the shares made by its people that no transition purges: one grouped
    query for the whole run (a query per school would scan the shares once per school)."""
    purged = Group.objects.filter(kind__in=SCOLARITE_KINDS, school_year=ending).values("pk")
    rows = (Share.objects.exclude(group__in=purged)
            .filter(created_by__attachments__isnull=False)
            .values_list("created_by__attachments__structure_id", "resource_type")
            .annotate(n=Count("id")).order_by())
    kept: dict[int, Counter[str]] = {}
    for structure_id, resource_type, count in rows:
        kept.setdefault(structure_id, Counter())[app_of(resource_type)] += count
    return kept


def school_report(structure: Structure, ctx: RunContext) -> SchoolReport:
    """What the transition would do to this school (no writes)."""
    report = SchoolReport(uai=structure.uai, name=structure.name)
    groups = dict(_scolarite_groups(structure, ctx.ending).values_list("pk", "kind"))
    group_ids = list(groups)
    live = set(Membership.objects.filter(group_id__in=group_ids).values_list("group_id",
                                                                             flat=True))
    report.class_groups_closed = sum(1 for g in live if groups[g] == GroupKind.CLASS)
    report.functional_groups_closed = sum(1 for g in live if groups[g] == GroupKind.FUNCTIONAL)
    report.classes_archived = SchoolClass.objects.filter(
        structure=structure, school_year=ctx.ending, closed_at__isnull=True).count()
    report.memberships_ended = Membership.objects.filter(group_id__in=group_ids).count()
    report.director_flags_ended = _director_flags(structure, ctx).count()
    purged = Share.objects.filter(group_id__in=group_ids)
    for resource_type, login, count in (purged.values_list("resource_type", "created_by__login")
                                        .annotate(n=Count("id")).order_by()):
        report.shares_purged[app_of(resource_type)] += count
        report.purged_by_owner[login or "?"] += count
    calendar = ctx.calendar(structure)
    if calendar is not None and calendar.convert_purged_shares:
        report.shares_converted = Counter(report.shares_purged)
    report.shares_kept = ctx.kept_shares(structure)
    return report


def _audit(run: TransitionRun, structure: Structure, kind: str, object_id: int | None,
           **details: Any) -> AuditEntry:
    return AuditEntry(run=run, structure=structure, kind=kind, object_id=object_id,
                      details=details)


RIGHT_COLUMNS = ("can_read", "can_contrib", "can_manage", "can_comment")


def _archive_memberships(group_ids: list[int], now: datetime.datetime) -> None:
    """Copy the groups' memberships into the history, in the database (no rows through
    Python): INSERT … SELECT, the same SQL on SQLite and PostgreSQL."""
    archived, live = ArchivedMembership._meta.db_table, Membership._meta.db_table
    marks = ", ".join(["%s"] * len(group_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {archived} (group_id, user_id, source, created_at, ended_at) "  # noqa: S608
            f"SELECT group_id, user_id, source, created_at, %s FROM {live} "
            f"WHERE group_id IN ({marks}) ON CONFLICT DO NOTHING", [now, *group_ids])


@transaction.atomic
def transition_school(structure: Structure, ctx: RunContext, run: TransitionRun) -> SchoolReport:
    """Do it for one school, in one transaction; returns what was done. Bulk statements
    only: a constant number of queries per school whatever its size."""
    # Lock the school's row: two runs at once do one school once.
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    report = SchoolReport(uai=structure.uai, name=structure.name)
    now = timezone.now()
    entries: list[AuditEntry] = []
    groups = list(_scolarite_groups(structure, ctx.ending).values_list("pk", "kind", "name"))
    group_ids = [pk for pk, _kind, _name in groups]
    calendar = ctx.calendar(structure)
    convert = calendar is not None and calendar.convert_purged_shares

    ended_by_group = dict(Membership.objects.filter(group_id__in=group_ids).values("group_id")
                          .annotate(n=Count("id")).values_list("group_id", "n").order_by())
    members: dict[int, list[int]] = {}
    if convert:
        for gid, uid in Membership.objects.filter(group_id__in=group_ids).values_list(
                "group_id", "user_id").order_by():
            members.setdefault(gid, []).append(uid)

    # Shares to the groups: one audit entry per group lists every purged share.
    purged = list(Share.objects.filter(group_id__in=group_ids).values_list(
        "pk", "resource_type", "resource_id", "group_id", *RIGHT_COLUMNS,
        "created_by_id", "created_by__login", "created_at").order_by("group_id", "pk"))
    names = {pk: name for pk, _kind, name in groups}
    per_group: dict[int, list[list[Any]]] = {}
    conversions: list[Share] = []
    for (pk, resource_type, resource_id, group_id, *rights, by_id, by_login,
         created_at) in purged:
        app = app_of(resource_type)
        report.shares_purged[app] += 1
        report.purged_by_owner[by_login or "?"] += 1
        per_group.setdefault(group_id, []).append([
            pk, resource_type, resource_id,
            [c[4:] for c, on in zip(RIGHT_COLUMNS, rights, strict=True) if on],
            by_login or "", created_at.isoformat()])
        if convert:
            conversions += [Share(resource_type=resource_type, resource_id=resource_id,
                                  user_id=uid, can_read=True, via=Via.DIRECT,
                                  created_by_id=by_id, created_at=now)
                            for uid in members.get(group_id, [])]
            report.shares_converted[app] += 1
    for group_id, rows in per_group.items():
        entries.append(_audit(
            run, structure, AuditEntry.Kind.SHARE_PURGED, group_id, group=names[group_id],
            columns=["share", "resource_type", "resource", "rights", "shared_by", "shared_at"],
            shares=rows))
        if convert:
            entries.append(_audit(run, structure, AuditEntry.Kind.SHARE_CONVERTED, group_id,
                                  group=names[group_id], shares=[r[0] for r in rows],
                                  users=members.get(group_id, [])))
    if purged:
        Share.objects.filter(group_id__in=group_ids).delete()
    if conversions:
        alive = set(User.objects.alive().filter(
            pk__in={c.user_id for c in conversions}).values_list("pk", flat=True))
        # A member who already holds a named share keeps it (the unique constraint).
        Share.objects.bulk_create([c for c in conversions if c.user_id in alive],
                                  ignore_conflicts=True, batch_size=1000)

    if ended_by_group:
        _archive_memberships(group_ids, now)
        Membership.objects.filter(group_id__in=group_ids).delete()
    report.memberships_ended = sum(ended_by_group.values())
    for gid, kind, name in groups:
        if ended_by_group.get(gid):
            if kind == GroupKind.CLASS:
                report.class_groups_closed += 1
            else:
                report.functional_groups_closed += 1
            entries.append(_audit(run, structure, AuditEntry.Kind.MEMBERSHIPS_ENDED, gid,
                                  group=name, count=ended_by_group[gid]))

    classes = SchoolClass.objects.filter(structure=structure, school_year=ctx.ending,
                                         closed_at__isnull=True)
    for pk, name in classes.values_list("pk", "name"):
        entries.append(_audit(run, structure, AuditEntry.Kind.CLASS_ARCHIVED, pk, name=name))
    report.classes_archived = classes.update(closed_at=now)

    flags = _director_flags(structure, ctx)
    for user_id, login in flags.values_list("user_id", "user__login"):
        entries.append(_audit(run, structure, AuditEntry.Kind.DIRECTOR_ENDED, user_id,
                              login=login))
    report.director_flags_ended = flags.update(is_director=False)
    report.shares_kept = ctx.kept_shares(structure)
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return report


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
    ctx = RunContext(ending=ending, calendars=calendars)
    schools: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    totals: dict[str, Counter[str]] = {k: Counter() for k in (
        "class_groups_closed", "memberships_ended", "shares_purged", "shares_kept",
        "shares_converted")}
    for school in _schools(academy, structure).select_related("academy"):
        try:
            report = (school_report(school, ctx) if dry_run
                      else transition_school(school, ctx, run))
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
