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
import functools
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from preau.accounts.models import Profile, State, User
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
from preau.feeds import statistics
from preau.feeds.liveness import current_worker, database_session
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


KEPT_SHARES = """SELECT a.structure_id, k.resource_type, SUM(k.n)
    FROM (SELECT created_by_id, resource_type, COUNT(*) AS n FROM {share}
          WHERE group_id IS NULL OR group_id NOT IN (
            SELECT id FROM {group} WHERE school_year_id = %(year)s
            AND kind IN (%(class)s, %(functional)s))
          GROUP BY created_by_id, resource_type) k
    JOIN {attachment} a ON a.user_id = k.created_by_id
    GROUP BY a.structure_id, k.resource_type"""


def kept_shares_by_school(ending: SchoolYear) -> dict[int, Counter[str]]:
    """Per school, the shares made by its people that no transition purges: one grouped
    query for the whole run (a query per school would scan the shares once per school),
    which counts per author first and then attaches the authors to their schools."""
    kept: dict[int, Counter[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_sql(KEPT_SHARES), {"year": ending.pk, "class": GroupKind.CLASS.value,
                                           "functional": GroupKind.FUNCTIONAL.value})
        for structure_id, resource_type, count in cursor.fetchall():
            kept.setdefault(structure_id, Counter())[app_of(resource_type)] += int(count)
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


def _tables() -> dict[str, str]:
    models: dict[str, Any] = {
        "share": Share, "group": Group, "membership": Membership, "user": User,
        "archived": ArchivedMembership, "school_class": SchoolClass,
        "attachment": StructureAttachment, "audit": AuditEntry, "structure": Structure}
    return {key: connection.ops.quote_name(model._meta.db_table)
            for key, model in models.items()}


def _json_functions() -> dict[str, str]:
    """The JSON builders of the database (the audit's details are made in SQL)."""
    if connection.vendor == "postgresql":
        return {"object": "jsonb_build_object", "array": "jsonb_build_array",
                "agg": "jsonb_agg"}
    return {"object": "json_object", "array": "json_array", "agg": "json_group_array"}


def _sql(template: str) -> str:
    return _sql_of(template, connection.vendor)


@functools.cache
def _sql_of(template: str, vendor: str) -> str:
    """The text of a statement for this database (made once per process)."""
    names = {**_tables(), **_json_functions()}
    return template.format(**names, authors=AUTHORS.format(**names))


# The SQL of one school's transition. `{share}`, `{group}`… are the models' quoted table
# names, `{object}`, `{array}` and `{agg}` the database's JSON builders (`_sql`); values
# travel as parameters (`transition_school`'s `params`). Every audit entry is written by
# the database itself, from the rows the same statement changed: no share or membership
# goes through Python.
#
# The school's groupes de scolarité of the ending year are the table `school_groups` (a
# `WITH` on PostgreSQL, a temporary table on SQLite): the statements join these few rows,
# never the whole `directory_group` table of the académie.
SCHOOL_GROUPS = """SELECT id, name, kind FROM {group} WHERE structure_id = %(school)s
    AND school_year_id = %(year)s AND kind IN (%(class)s, %(functional)s)"""
IN_SCHOOL_GROUPS = "group_id IN (SELECT id FROM school_groups)"
# The purged shares' authors: a few accounts per school, looked up once each (not once
# per share).
AUTHORS = "SELECT id, login FROM {user} WHERE id IN (SELECT created_by_id FROM purged)"
AUDIT_PURGED = """INSERT INTO {audit} (run_id, structure_id, kind, object_id, details, at)
    SELECT %(run)s, %(school)s, %(share_purged)s, p.group_id, {object}(
      'group', g.name,
      'columns', {array}('share', 'resource_type', 'resource', 'rights', 'shared_by',
                         'shared_at'),
      'shares', {agg}({array}(
        p.id, p.resource_type, p.resource_id,
        TRIM(CASE WHEN p.can_read THEN 'read ' ELSE '' END
             || CASE WHEN p.can_contrib THEN 'contrib ' ELSE '' END
             || CASE WHEN p.can_manage THEN 'manage ' ELSE '' END
             || CASE WHEN p.can_comment THEN 'comment' ELSE '' END),
        COALESCE(u.login, ''), p.created_at))), %(now)s
    FROM purged p JOIN school_groups g ON g.id = p.group_id
    LEFT JOIN ({authors}) u ON u.id = p.created_by_id
    GROUP BY p.group_id, g.name"""
# A member who already holds a named share keeps it (the unique constraint). On
# PostgreSQL this reads the memberships as they were when the school's statement began,
# before `ended` removes them.
CONVERT = """INSERT INTO {share} (resource_type, resource_id, user_id, can_read, can_contrib,
      can_manage, can_comment, via, bookmark_name, created_by_id, created_at, updated_at)
    SELECT p.resource_type, p.resource_id, m.user_id, TRUE, FALSE, FALSE, FALSE,
      %(direct)s, '', p.created_by_id, %(now)s, %(now)s
    FROM purged p JOIN {membership} m ON m.group_id = p.group_id
    JOIN {user} u ON u.id = m.user_id
    WHERE u.state NOT IN (%(deleted)s, %(predeleted)s)
    ON CONFLICT DO NOTHING"""
AUDIT_CONVERTED = """INSERT INTO {audit} (run_id, structure_id, kind, object_id, details, at)
    SELECT %(run)s, %(school)s, %(share_converted)s, p.group_id, {object}(
      'group', g.name, 'shares', {agg}(p.id),
      'users', (SELECT {agg}(m.user_id) FROM {membership} m WHERE m.group_id = p.group_id)),
      %(now)s
    FROM purged p JOIN school_groups g ON g.id = p.group_id
    GROUP BY p.group_id, g.name"""
ARCHIVE = """INSERT INTO {archived} (group_id, user_id, source, created_at, ended_at)
    SELECT group_id, user_id, source, created_at, %(now)s FROM ended
    WHERE TRUE ON CONFLICT DO NOTHING"""
AUDIT_ENDED = """INSERT INTO {audit} (run_id, structure_id, kind, object_id, details, at)
    SELECT %(run)s, %(school)s, %(memberships_ended)s, e.group_id,
      {object}('group', g.name, 'count', COUNT(*)), %(now)s
    FROM ended e JOIN school_groups g ON g.id = e.group_id GROUP BY e.group_id, g.name"""
AUDIT_CLOSED = """INSERT INTO {audit} (run_id, structure_id, kind, object_id, details, at)
    SELECT %(run)s, %(school)s, %(class_archived)s, id, {object}('name', name), %(now)s
    FROM closed"""
AUDIT_UNFLAGGED = """INSERT INTO {audit} (run_id, structure_id, kind, object_id, details, at)
    SELECT %(run)s, %(school)s, %(director_ended)s, f.user_id, {object}('login', u.login),
      %(now)s
    FROM unflagged f JOIN {user} u ON u.id = f.user_id"""


@dataclass(frozen=True)
class Step:
    """One change of a school's transition: delete (`action` "DELETE") or update
    (`action` "SET …") the rows of `table` (a key of `_tables`) that match `where`, run
    the statements of `then` over the changed rows (their `columns`, as the table
    `name`), and count them with `result`, a query whose rows are (step name, key, login,
    count, count)."""

    name: str
    table: str
    action: str
    where: str
    columns: str
    then: tuple[str, ...]
    result: str


def _steps(structure: Structure, ctx: RunContext) -> list[Step]:
    """The school's changes, in order."""
    calendar = ctx.calendar(structure)
    convert = calendar is not None and calendar.convert_purged_shares
    steps = [
        Step("purged", "share", "DELETE", IN_SCHOOL_GROUPS,
             "id, resource_type, resource_id, group_id, can_read, can_contrib, can_manage, "
             "can_comment, created_by_id, created_at",
             (AUDIT_PURGED, CONVERT, AUDIT_CONVERTED) if convert else (AUDIT_PURGED,),
             "SELECT 'purged', p.resource_type, u.login, COUNT(*), 0 FROM purged p "
             "LEFT JOIN ({authors}) u ON u.id = p.created_by_id "
             "GROUP BY p.resource_type, u.login"),
        Step("ended", "membership", "DELETE", IN_SCHOOL_GROUPS,
             "id, group_id, user_id, source, created_at", (ARCHIVE, AUDIT_ENDED),
             # per kind of group: the groups closed and their memberships ended
             "SELECT 'ended', kind, NULL, COUNT(*), SUM(n) FROM (SELECT g.kind, COUNT(*) AS n "
             "FROM ended e JOIN school_groups g ON g.id = e.group_id GROUP BY g.id, g.kind) "
             "per_group GROUP BY kind"),
        Step("closed", "school_class", "SET closed_at = %(now)s",
             "structure_id = %(school)s AND school_year_id = %(year)s AND closed_at IS NULL",
             "id, name", (AUDIT_CLOSED,), "SELECT 'closed', NULL, NULL, COUNT(*), 0 FROM closed"),
    ]
    if not ctx.keeps_director_flags(structure):
        steps.append(Step(
            "unflagged", "attachment", "SET is_director = FALSE",
            "structure_id = %(school)s AND is_director", "id, user_id", (AUDIT_UNFLAGGED,),
            "SELECT 'unflagged', NULL, NULL, COUNT(*), 0 FROM unflagged"))
    return steps


@functools.cache
def _one_statement(steps: tuple[Step, ...]) -> str:
    """PostgreSQL: the school's whole transition as one statement — atomic by itself —,
    `WITH school_groups AS (…), locked AS (SELECT … FOR UPDATE), purged AS (DELETE …
    RETURNING …), purged_0 AS (INSERT INTO yearchange_auditentry … FROM purged), ended AS
    (DELETE …) … SELECT <locked> UNION ALL <each step's counts>`. The rows changed and the
    rows audited are the same by construction; every part sees the school as it was when
    the statement began. The school's row is locked first (the first branch of the final
    query), so two runs at once do a school once."""
    parts = [f"school_groups AS ({_sql(SCHOOL_GROUPS)})",
             _sql("locked AS (SELECT id FROM {structure} WHERE id = %(school)s FOR UPDATE)")]
    results = ["SELECT 'locked', NULL, NULL, COUNT(*), 0 FROM locked"]
    for step in steps:
        target = _tables()[step.table]
        change = (f"DELETE FROM {target}" if step.action == "DELETE"  # noqa: S608
                  else f"UPDATE {target} {step.action}")
        parts.append(f"{step.name} AS ({change} WHERE {_sql(step.where)} "
                     f"RETURNING {step.columns})")
        parts += [f"{step.name}_{n} AS ({_sql(statement)})"
                  for n, statement in enumerate(step.then)]
        results.append(_sql(step.result))
    return "WITH " + ",\n".join(parts) + "\n" + "\nUNION ALL ".join(results)


def _one_by_one(cursor: Any, steps: list[Step], params: dict[str, Any]) -> list[Any]:
    """SQLite, which has no data-modifying `WITH`: each step's rows go through a
    temporary table, in the transaction of `transition_school` (SQLite's transactions
    take the write lock at BEGIN, so nothing changes between the statements)."""
    cursor.execute("DROP TABLE IF EXISTS temp.school_groups")
    cursor.execute(_sql("CREATE TEMP TABLE school_groups AS " + SCHOOL_GROUPS), params)
    rows = []
    for step in steps:
        target = _tables()[step.table]
        change = (f"DELETE FROM {target}" if step.action == "DELETE"  # noqa: S608
                  else f"UPDATE {target} {step.action}")
        cursor.execute(f"DROP TABLE IF EXISTS temp.{step.name}")
        cursor.execute(f"CREATE TEMP TABLE {step.name} AS SELECT {step.columns} "  # noqa: S608
                       f"FROM {target} WHERE {_sql(step.where)}", params)
        cursor.execute(f"{change} WHERE id IN (SELECT id FROM temp.{step.name})", params)  # noqa: S608
        for statement in step.then:
            cursor.execute(_sql(statement), params)
        cursor.execute(_sql(step.result), params)
        rows += cursor.fetchall()
        cursor.execute(f"DROP TABLE temp.{step.name}")
    cursor.execute("DROP TABLE temp.school_groups")
    return rows


def _prepared_cursor() -> Any:
    """A cursor whose statements PostgreSQL prepares once and then only executes
    (psycopg's server-side binding prepares a text run a few times): every school runs
    the same statement, whose parsing and planning would otherwise cost about as much as
    its execution for a small school. Elsewhere, the usual cursor. Either way wrapped by
    Django (query logging, `CaptureQueriesContext`)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    raw: Any = psycopg.Cursor(connection.connection)
    return (connection.make_debug_cursor(raw) if connection.queries_logged
            else connection.make_cursor(raw))


def transition_school(structure: Structure, ctx: RunContext, run: TransitionRun) -> SchoolReport:
    """Do it for one school, atomically; returns what was done. Set-based SQL only, audit
    included: on PostgreSQL one statement (one round trip) per school, on SQLite a
    transaction of a constant number of statements, whatever the school's size; no share
    or membership goes through Python."""
    report = SchoolReport(uai=structure.uai, name=structure.name)
    params = {
        "school": structure.pk, "year": ctx.ending.pk, "run": run.pk,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "class": GroupKind.CLASS.value, "functional": GroupKind.FUNCTIONAL.value,
        "direct": Via.DIRECT.value,
        "deleted": State.DELETED.value, "predeleted": State.PREDELETED.value,
        **{kind.value: kind.value for kind in AuditEntry.Kind}}
    steps = _steps(structure, ctx)
    if connection.vendor == "postgresql":
        # Alone, the statement is its own transaction; within a caller's transaction, a
        # savepoint keeps a failure to this school.
        savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with savepoint, _prepared_cursor() as cursor:
            cursor.execute(_one_statement(tuple(steps)), params)
            rows = cursor.fetchall()
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            rows = _one_by_one(cursor, steps, params)
    for step, key, login, count, more in rows:
        if step == "purged":
            report.shares_purged[app_of(key)] += count
            report.purged_by_owner[login or "?"] += count
        elif step == "ended":
            if key == GroupKind.CLASS:
                report.class_groups_closed += count
            else:
                report.functional_groups_closed += count
            report.memberships_ended += int(more)
        elif step == "closed":
            report.classes_archived = count
        elif step == "unflagged":
            report.director_flags_ended = count
    if any(step.name == "purged" and CONVERT in step.then for step in steps):
        report.shares_converted = Counter(report.shares_purged)
    report.shares_kept = ctx.kept_shares(structure)
    return report


# -- the whole run ---------------------------------------------------------------------------


def _schools(academy: Academy | None, structure: Structure | None) -> Any:
    if structure is not None:
        return Structure.objects.filter(pk=structure.pk)
    schools = Structure.objects.all()
    if academy is not None:
        schools = schools.filter(academy=academy)
    return schools.order_by("uai")


def _school(school: Structure, ctx: RunContext, run: TransitionRun, *, dry_run: bool,
            errors: list[dict[str, str]]) -> SchoolReport | None:
    try:
        return school_report(school, ctx) if dry_run else transition_school(school, ctx, run)
    except Exception as error:  # one school's failure must not stop the others
        errors.append({"uai": school.uai, "error": str(error)})
        return None


@contextmanager
def _asynchronous_commits() -> Iterator[None]:
    """On PostgreSQL, outside a caller's transaction, each school's statement commits
    without waiting for its WAL to reach the disk (`synchronous_commit` off for the
    session, during the schools only). A crash may then lose the last schools' commits,
    each whole — changes and audit together — which the next run redoes; never half of
    one. The run's final record is committed normally, and that flushes every commit
    before it."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


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
    if not dry_run:  # committed at once: the console can tell a killed worker's run
        run.worker, run.db_session = current_worker(), database_session()
        run.save(update_fields=["worker", "db_session"])
    calendars = {c.academy_id: c for c in YearCalendar.objects.filter(school_year=new)} \
        if new is not None else {}
    ctx = RunContext(ending=ending, calendars=calendars)
    schools: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    totals: dict[str, Counter[str]] = {k: Counter() for k in (
        "class_groups_closed", "memberships_ended", "shares_purged", "shares_kept",
        "shares_converted")}
    with nullcontext() if dry_run else _asynchronous_commits():
        for school in _schools(academy, structure).select_related("academy").iterator(500):
            report = _school(school, ctx, run, dry_run=dry_run, errors=errors)
            if report is None:
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
    if not dry_run:  # each school committed: fresh statistics for the pages
        statistics.analyze(_stale_tables(run, totals, schools), f"year change run {run.pk}")
    run.finished_at = timezone.now()
    if not dry_run:
        run.status = TransitionRun.Status.FAILED if errors else TransitionRun.Status.DONE
    run.save()
    return run


def _stale_tables(run: TransitionRun, totals: dict[str, Counter[str]],
                  schools: list[dict[str, Any]]) -> list[str]:
    """The tables the run changed enough to ANALYZE (preau.feeds.statistics), from its
    counts: each school committed alone, so no one transaction saw every change."""
    if not statistics.enabled() or not any(_school_changed(s) for s in schools):
        return []
    ended = sum(totals["memberships_ended"].values())
    return statistics.stale({
        Share._meta.db_table: (sum(totals["shares_purged"].values())
                               + sum(totals["shares_converted"].values())),
        Membership._meta.db_table: ended,
        ArchivedMembership._meta.db_table: ended,
        SchoolClass._meta.db_table: sum(s["classes_archived"] for s in schools),
        StructureAttachment._meta.db_table: sum(s["director_flags_ended"] for s in schools),
        AuditEntry._meta.db_table: AuditEntry.objects.filter(run=run).count(),
    })


def _school_changed(school: dict[str, Any]) -> bool:
    return bool(school["classes_archived"] or school["class_groups_closed"]
                or school["functional_groups_closed"] or school["memberships_ended"]
                or school["director_flags_ended"] or school["shares_purged"]["total"])


def archived_classes_of(user: User) -> Any:
    """Last years' classes a user was in (history shown as archived)."""
    return (SchoolClass.objects.filter(
        Q(groups__archived_memberships__user=user)).distinct().select_related("school_year")
        .order_by("-school_year__start", "name"))
