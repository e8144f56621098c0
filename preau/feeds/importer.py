"""The import engine: parsed feed records in, directory rows out, for one run.

A run is a **snapshot of the kinds of record its files hold**, for one source (AAF1D, AAF,
ONDE, CSV) and one académie prefix — and, for ONDE and manual CSV, one school. Whoever of
those kinds is absent from the run goes *missing* (never deleted at once); whoever comes
back is restored. The rules, and why:

Matching
    Accounts are matched on (académie prefix, external id) — the feed's join key, or the
    id the parsers generate for ONDE/CSV. A pupil unknown by id but whose INE is held by an
    account of *another* source or académie is that account: the run takes it over (its
    source and external id become this run's) and the old identity is written in its
    history. Taking over rather than keeping the first identity is what keeps the life
    cycle right: when a school moves from CSV imports to AAF1D, or a pupil from AAF1D to
    a collège's AAF, the feed that still lists the pupil owns the account, so the one that
    stopped listing it cannot mark it missing. Accounts that only *look* alike (same names,
    birth date and profile, different ids) are listed as possible duplicates, never merged.

Unchanged records cost no write
    Each account stores a checksum of its last record (with the importer version, the
    source and the school year, so the first run of a new year reprocesses everyone). A
    record whose references could not all be resolved (unknown school, class, parent or
    child) stores no checksum, so the next run tries again.

What a feed owns
    A feed writes and replaces only its own rows: attachments whose source is not MANUAL,
    memberships whose source is FEED in school profile groups and in this year's class and
    functional groups, and parent links whose source is not MANUAL. Rows made by hand are
    never touched; last year's class groups are left to the year change.

Classes
    Classes and their groups are created from pupil records only, in the current school
    year; teachers are linked to existing open classes (a teacher's class missing from the
    run is retried next run). ONDE and CSV files name classes: they are matched by code,
    then by name. A class that loses its last present pupil in a pupils run is closed;
    a closed class that pupils name again is reopened.

Parents
    A parent is imported only if a pupil of the run references them (AAF: the pupil's
    ENTEleveAutoriteParentale / ENTElevePersRelEleve; ONDE and CSV: the parent's children,
    found among the run's pupils or, for CSV, among the school's pupils by name and class).
    Links come from the pupil side for AAF and from the parent's children for ONDE/CSV.
    A parent's attachments and groups are derived from their children: the school and
    class parent groups of each child.

Speed and memory
    Records are handled in chunks of RECORDS: one lookup of the chunk's accounts (external
    id -> id, checksum, state, listed already), bulk inserts, updates and deletes, so the
    number of queries grows with the number of chunks, never with the number of records.
    What the run remembers from chunk to chunk (accounts listed, parents designated,
    accounts to revisit) is in temporary tables (`preau.feeds.scratch`), not in Python:
    memory stays flat whatever the size of the académie, and the end of the run works
    set-based (missing accounts by one anti-join, new accounts' parent links and parents'
    groups by INSERT … SELECT). Rows are written as tuples through `preau.feeds.bulk`
    (COPY on PostgreSQL), and the written tables are ANALYZEd whenever the run has about
    doubled them (see `_refresh_statistics`). docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import os
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, is_password_usable
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from preau.accounts.actions import (
    ACTIVATION_ALPHABET,
    ACTIVATION_CODE_LENGTH,
    generate_login,
    login_base,
)
from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.actions import CLASS_GROUP_PROFILES, PROFILE_GROUP_LABELS_FR
from preau.directory.models import (
    Academy,
    Group,
    GroupKind,
    Level,
    Membership,
    RelativeLink,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.feeds import bulk
from preau.feeds.inputs import PERSON_ORDER, RunInput
from preau.feeds.lifecycle import restore_backups
from preau.feeds.linking import CHUNK, GONE_STATES, Desired, LinkWriter, chunked
from preau.feeds.parsers import ChildRef, ClassRef, PersonKind, PersonRecord, loose_key
from preau.feeds.parsers.links import resolve_child
from preau.feeds.report import Issue, RunReport
from preau.feeds.scratch import Scratch
from preau.lib.text import search_key

IMPORTER_VERSION = "1"
"""Part of every stored checksum: bump it when the importer writes rows differently, so the
next run reprocesses every record."""

OK_STATES = (State.PENDING, State.ACTIVE, State.BLOCKED)
STAFF_PROFILES = (Profile.TEACHER, Profile.PERSONNEL)
_LEVELS = frozenset(Level.values)
USER_TABLE = User._meta.db_table
RECORDS = 10_000
"""Records handled per chunk: one lookup of their accounts, one bulk write per table."""
FIRST_RECORDS = 2000
"""The first chunk of each kind of record: when a second process parses ahead
(`parsers/ahead.py`), the run starts writing as soon as the first records are read instead
of waiting for a whole chunk."""


class Known(NamedTuple):
    """An existing account as the run sees it (looked up with its chunk of records)."""

    id: int
    checksum: str
    state: str
    profile: str
    source: str
    missing: bool
    seen: bool = False  # already listed by this run


@dataclass
class RunContext:
    """Who and what the run is for; built by preau.feeds.actions."""

    format: str
    source: str
    prefix: str
    academy: Academy | None
    school: Structure | None
    year: SchoolYear
    today: date
    now: datetime
    actor: User | None = None
    run_id: int | None = None


@dataclass
class Pending:
    record: PersonRecord
    known: Known | None
    checksum: str
    adopt: bool = False
    complete: bool = True
    desired: Desired | None = None


@dataclass
class ClassInfo:
    id: int
    structure_id: int
    code: str
    name: str
    closed: bool
    levels: frozenset[str]


USER_UPDATE_FIELDS = [
    "first_name", "last_name", "display_name", "name_key", "birth_date", "email",
    "academic_email", "ine", "profile", "feed_checksum", "state", "missing_since",
    "predeleted_at", "source", "external_prefix", "external_id",
]
_USER_LOAD_FIELDS = [*USER_UPDATE_FIELDS, "id", "login", "password", "blocked_at"]
EVENT_FIELDS = ["user_id", "actor_id", "kind", "at", "message", "details"]
_USER_CREATE_FIELDS = [
    "login", "first_name", "last_name", "display_name", "name_key", "profile", "birth_date",
    "email", "academic_email", "ine", "source", "external_prefix", "external_id",
    "feed_checksum", "state", "activation_code", "password", "created_at",
]

_CODE_BYTES = len(ACTIVATION_ALPHABET) * (256 // len(ACTIVATION_ALPHABET))
# Random bytes below _CODE_BYTES map evenly onto the alphabet; the others are dropped.
_CODE_TABLE = bytes.maketrans(
    bytes(range(_CODE_BYTES)),
    bytes(ord(ACTIVATION_ALPHABET[b % len(ACTIVATION_ALPHABET)]) for b in range(_CODE_BYTES)))
_CODE_DROP = bytes(range(_CODE_BYTES, 256))


def activation_codes(count: int) -> list[str]:
    """`count` codes as accounts.actions.new_activation_code makes them (same alphabet and
    length, each character uniform), from a few reads of the system's random source
    instead of one per character: a first import makes one per account."""
    length = ACTIVATION_CODE_LENGTH
    chars = b""
    while len(chars) < count * length:
        chars += os.urandom(count * length * 5 // 4 + 16).translate(_CODE_TABLE, _CODE_DROP)
    text = chars.decode("ascii")
    return [text[i:i + length] for i in range(0, count * length, length)]


def unusable_passwords(count: int) -> list[str]:
    """What make_password(None) stores (no password yet: the prefix and 40 random
    characters), for `count` accounts from one read of the random source."""
    text = base64.urlsafe_b64encode(os.urandom(30 * count)).decode("ascii")
    return [UNUSABLE_PASSWORD_PREFIX + text[i:i + 40] for i in range(0, 40 * count, 40)]


_gc_lock = threading.Lock()
_gc_depth = [0, True]  # runs inside collections_per_chunk, and whether gc was enabled


@contextmanager
def collections_per_chunk() -> Iterator[None]:
    """CPython's cyclic garbage collector runs after every 700 net allocations, and every
    so often scans every object of the process (Django's, lxml's…). An import allocates
    millions of short-lived tuples and strings that hold no cycle: those collections took
    a fifth of its Python time. During a run the objects that exist at its start are
    frozen (never scanned) and automatic collection is off; the importer collects once
    per chunk instead, so a cycle made by a chunk is still freed with it and memory stays
    flat. Nested or concurrent runs (threads) restore the collector only when the last
    one ends."""
    with _gc_lock:
        if _gc_depth[0] == 0:
            _gc_depth[1] = gc.isenabled()
            gc.disable()
            gc.freeze()
        _gc_depth[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth[0] -= 1
            if _gc_depth[0] == 0:
                gc.unfreeze()
                if _gc_depth[1]:
                    gc.enable()


def _same_family(a: str, b: str) -> bool:
    """Teacher and staff records share an id space (one PersEducNat file)."""
    return a == b or (a in STAFF_PROFILES and b in STAFF_PROFILES)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class Importer(LinkWriter):
    """Runs one import inside the caller's transaction; `run()` returns the report.

    The caller (preau.feeds.actions) owns the transaction, the FeedRun row, the freeze
    and the hold: the engine only writes the directory and says what it did.
    """

    def __init__(self, ctx: RunContext, inputs: RunInput,
                 progress: Callable[[str, int], None] | None = None) -> None:
        super().__init__(ctx.year, ctx.now, ctx.source)
        self.ctx = ctx
        self.inputs = inputs
        self.progress = progress
        self.prefix = ctx.prefix
        self.year: SchoolYear = ctx.year
        self.source: str = ctx.source
        self.kinds = inputs.kinds()
        self.covered = frozenset(k.value for k in self.kinds)
        self.report = RunReport()
        self.actor_id = ctx.actor.pk if ctx.actor is not None else None
        self.issues: list[Issue] = []
        self.issue_total = 0
        self.academy_created = False
        # What the run remembers about the académie's accounts is in the database
        # (preau.feeds.scratch): memory does not grow with the académie.
        self.scratch = Scratch()
        self.known_count = 0  # accounts of the scope: known at the start, then created
        self.unknown_keys: set[str] = set()
        # Classes of the year: (school, code) and (school, loose name) -> class.
        self.classes: dict[tuple[int, str], ClassInfo] = {}
        self.classes_by_name: dict[tuple[int, str], ClassInfo] = {}
        self.class_by_id: dict[int, ClassInfo] = {}
        self.class_levels: dict[int, set[str]] = defaultdict(set)
        self.functional_groups: dict[tuple[int, str], int] = {}
        # ONDE and CSV (one school): parent -> children.
        self.relative_children: dict[str, tuple[list[int], bool]] = {}
        self.relative_links: dict[int, list[int]] = {}
        self.pupil_index: dict[tuple[str, ...], list[str]] | None = None
        self.pupil_index_ids: dict[str, int] = {}
        # The scope's accounts of the chunk being handled (records and children's ids).
        self.chunk_users: dict[str, Known] = {}
        # Accounts created or updated, in all and when the tables were last ANALYZEd.
        self.written = 0
        self.analyzed = (0, 0)  # (written, accounts known) at the last ANALYZE

    # -- entry point -------------------------------------------------------------------

    def run(self) -> RunReport:
        with collections_per_chunk(), self.inputs.reading(settings.PREAU_FEED_PARSE_AHEAD_MIB):
            return self._run()

    def _run(self) -> RunReport:
        self.inputs.parse_all()
        self.scratch.create()
        self._scope()
        if self.inputs.has_structures():
            self._import_structures()
        self._count_scope()
        self._load_classes()
        done = 0
        for kinds in PERSON_ORDER:
            if not set(kinds) & self.kinds:
                continue
            for batch in chunked(self.inputs.people(kinds), RECORDS, first=FIRST_RECORDS):
                self._people(batch)
                self._refresh_statistics()
                done += len(batch)
                del batch
                gc.collect()  # the chunk's cycles, if any (see collections_per_chunk)
                if self.progress:
                    self.progress("people", done)
            if kinds == (PersonKind.STUDENT,):
                self._refused_pupils_references()
        self.scratch.analyze()
        self._parent_links()
        self._sync_relatives()
        self._keep_refused()
        self._missing()
        self._close_classes()
        self._store_class_levels()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {USER_TABLE} SET feed_checksum = '' WHERE id IN "  # noqa: S608
                           "(SELECT id FROM scratch_mark WHERE mark = 'i')")
        self._duplicates()
        self.scratch.drop()
        self._finish_issues()
        return self.report

    # -- issues ------------------------------------------------------------------------

    def issue(self, code: str, message: str, *, file: str = "", line: int | None = None,
              severity: str = "warning") -> None:
        self.issue_total += 1
        if len(self.issues) < 1000:
            self.issues.append(Issue(severity, file, line or None, code, message))

    def _finish_issues(self) -> None:
        for warning in self.inputs.warnings:
            self.report.add_issue(Issue(warning.severity, warning.file, warning.line,
                                        warning.code, warning.reason))
        for item in self.issues:
            self.report.add_issue(item)
        self.report.issues_total += self.issue_total - len(self.issues)

    # -- scope: académie, schools, groups ----------------------------------------------

    def _scope(self) -> None:
        ctx = self.ctx
        if ctx.academy is None:
            ctx.academy = Academy.objects.create(code=_free_academy_code(self.prefix),
                                                 name=self.prefix, feed_prefix=self.prefix)
            self.academy_created = True
        else:
            self.academy_created = False
        # One run at a time per académie (a no-op on SQLite, whose writes are serialised).
        list(Academy.objects.select_for_update().filter(pk=ctx.academy.pk).values("pk"))
        if ctx.school is not None:
            rows: Iterable[tuple[int, str, str, str]] = [
                (ctx.school.pk, ctx.school.uai, ctx.school.name, ctx.school.external_id)]
        else:
            rows = Structure.objects.filter(academy=ctx.academy).order_by().values_list(
                "id", "uai", "name", "external_id")
        for sid, uai, name, external_id in rows:
            self.know_structure(sid, uai, name, external_id)
        self.ensure_structure_groups(list(self.structures))

    def _import_structures(self) -> None:
        """EtabEducNat records: schools created or updated (never deleted by a feed)."""
        assert self.ctx.academy is not None
        academy = self.ctx.academy
        records = list(self.inputs.structures())
        existing: dict[str, Structure] = {}
        for uais in chunked([r.uai for r in records]):
            existing.update((s.uai, s) for s in Structure.objects.filter(uai__in=uais))
        to_create: list[Structure] = []
        to_update: list[Structure] = []
        renamed: list[Structure] = []
        fields = ["name", "circonscription", "address", "postal_code", "city", "external_id"]
        for record in records:
            values = {
                "name": record.name[:200], "circonscription": record.circonscription[:200],
                "address": record.address[:300], "postal_code": record.postal_code[:10],
                "city": record.city[:100], "external_id": record.external_id[:128],
            }
            structure = existing.get(record.uai)
            if structure is None:
                structure = Structure(uai=record.uai, academy=academy, has_feed=True, **values)
                existing[record.uai] = structure
                to_create.append(structure)
                self.report.structures["created"] += 1
                continue
            changed = [name for name, value in values.items()
                       if getattr(structure, name) != value]
            if structure.academy_id != academy.pk or not structure.has_feed:
                changed.append("academy")
            if not changed:
                self.report.structures["unchanged"] += 1
                continue
            if "name" in changed:
                renamed.append(structure)
            for name, value in values.items():
                setattr(structure, name, value)
            structure.academy = academy
            structure.has_feed = True
            to_update.append(structure)
            self.report.structures["updated"] += 1
        Structure.objects.bulk_create(to_create, batch_size=500)
        Structure.objects.bulk_update(to_update, [*fields, "academy", "has_feed"],
                                      batch_size=500)
        for structure in [*to_create, *to_update]:
            self.know_structure(structure.pk, structure.uai, structure.name,
                                 structure.external_id)
        self.ensure_structure_groups([s.pk for s in to_create])
        for structure in renamed:
            for group in Group.objects.filter(kind=GroupKind.STRUCTURE, structure=structure):
                group.name = f"{PROFILE_GROUP_LABELS_FR[group.profile]} — {structure.name}"[:200]
                group.save(update_fields=["name", "name_key"])
        if self.academy_created and records:
            first = records[0]
            if first.academy:
                academy.name = f"Académie de {first.academy.strip().title()}"[:100]
            code = first.academy_code.strip()[:8]
            if code and not Academy.objects.filter(code=code).exclude(pk=academy.pk).exists():
                academy.code = code
            academy.save(update_fields=["name", "code"])

    def structure_id(self, key: str, record: PersonRecord) -> int | None:
        sid = self.structure_keys.get(key)
        if sid is None and key not in self.unknown_keys:
            self.unknown_keys.add(key)
            self.issue("unknown-school",
                       _("unknown school “%(key)s”: its people are imported without it; "
                         "send the schools file (EtabEducNat) with the others") % {"key": key},
                       file=record.source_file, line=record.line)
        return sid

    # -- existing accounts and classes -------------------------------------------------

    def _scope_profiles(self) -> list[str]:
        """Profiles whose accounts the run may match: its kinds, and pupils with parents
        (a pupil designates parents, a parent's children are pupils)."""
        profiles = set(self.covered)
        if Profile.STUDENT in profiles:
            profiles.add(Profile.RELATIVE)
        if Profile.RELATIVE in profiles:
            profiles.add(Profile.STUDENT)
        return sorted(profiles)

    def _scope_sql(self, alias: str = "u") -> tuple[str, list[Any]]:
        """The accounts the run matches records against, as an SQL condition on
        accounts_user `alias`: the académie prefix, the profiles, not deleted (and, for a
        school's ONDE or CSV run, that school's generated ids). `external_id <> ''` lets
        PostgreSQL use the partial unique index on (external_prefix, external_id)."""
        profiles, params = bulk.any_of(f"{alias}.profile", self._scope_profiles())
        where = (f"{alias}.external_prefix = %s AND {alias}.external_id <> '' "
                 f"AND {alias}.state <> %s AND {profiles}")
        args: list[Any] = [self.prefix, State.DELETED, *params]
        if self.ctx.school is not None:
            start = f"gen:{self.ctx.school.uai}:"
            where += f" AND substr({alias}.external_id, 1, %s) = %s"
            args += [len(start), start]
        return where, args

    def _lookup(self, external_ids: Iterable[str]) -> dict[str, Known]:
        """The scope's accounts of these external ids, in one query, with whether the run
        listed them already."""
        ids = sorted(set(external_ids))
        if not ids:
            return {}
        scope, params = self._scope_sql()
        where, values = bulk.any_of("u.external_id", ids)
        found: dict[str, Known] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT u.external_id, u.id, u.feed_checksum, u.state, u.profile, u.source, "  # noqa: S608
                f"u.missing_since, EXISTS (SELECT 1 FROM scratch_seen s WHERE s.id = u.id) "
                f"FROM {USER_TABLE} u WHERE {scope} AND {where}", [*params, *values])
            for ext, uid, checksum, state, profile, source, missing_since, seen in cursor:
                found[ext] = Known(uid, checksum, state, profile, source,
                                   missing_since is not None, bool(seen))
        return found

    def _count_scope(self) -> None:
        """Accounts the run covers before it starts (the hold's denominator), and all the
        accounts it may match (for `_refresh_statistics`)."""
        scope, params = self._scope_sql()
        covered, covered_params = bulk.any_of("u.profile", sorted(self.covered))
        gone, gone_params = bulk.any_of("u.state", list(GONE_STATES))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), coalesce(sum(CASE WHEN u.source = %s AND {covered} "  # noqa: S608
                f"AND NOT {gone} THEN 1 ELSE 0 END), 0) FROM {USER_TABLE} u WHERE {scope}",
                [self.source, *covered_params, *gone_params, *params])
            known, scope_accounts = cursor.fetchone()
        self.report.scope_accounts = int(scope_accounts)
        self.known_count = int(known)
        self.analyzed = (0, self.known_count)

    def _refresh_statistics(self) -> None:
        """ANALYZE (PostgreSQL) once the run has written at least a full chunk and as
        many accounts as were known at the last ANALYZE: the tables about doubled, and
        plans made for their old sizes can turn quadratic. A few times per first import,
        never for a small daily change (autovacuum's job)."""
        written, known = self.analyzed
        if self.written - written >= max(RECORDS, known):
            bulk.analyze(User, Membership, StructureAttachment, RelativeLink, Group,
                         SchoolClass)
            self.analyzed = (self.written, self.known_count)

    def _load_classes(self) -> None:
        if self.ctx.school is not None:
            where = Q(structure=self.ctx.school)
        else:
            where = Q(structure__academy=self.ctx.academy)
        for cid, sid, code, name, closed_at, levels in SchoolClass.objects.filter(
                where, school_year=self.year).order_by().values_list(
                "id", "structure_id", "code", "name", "closed_at", "levels"):
            self._know_class(ClassInfo(cid, sid, code, name, closed_at is not None,
                                       frozenset(levels or ())))
        group_where = Q(school_class__structure=self.ctx.school) if self.ctx.school else Q(
            school_class__structure__academy=self.ctx.academy)
        for gid, cid, profile, name in Group.objects.filter(
                group_where, kind=GroupKind.CLASS, school_class__school_year=self.year
        ).order_by().values_list("id", "school_class_id", "profile", "school_class__name"):
            self.know_class_group(gid, cid, profile, name)
        functional_where = Q(structure=self.ctx.school) if self.ctx.school else Q(
            structure__academy=self.ctx.academy)
        for gid, sid, code, name in Group.objects.filter(
                functional_where, kind=GroupKind.FUNCTIONAL, school_year=self.year
        ).order_by().values_list("id", "structure_id", "external_id", "name"):
            self.functional_groups[(sid, code)] = gid
            self.group_labels[gid] = ("group", name)

    def _know_class(self, info: ClassInfo) -> None:
        self.classes[(info.structure_id, info.code)] = info
        self.classes_by_name.setdefault((info.structure_id, loose_key(info.name)), info)
        self.class_by_id[info.id] = info

    def _find_class(self, sid: int, ref: ClassRef) -> ClassInfo | None:
        info = self.classes.get((sid, ref.code[:64]))
        if info is None and not self.inputs.is_aaf:
            info = self.classes_by_name.get((sid, loose_key(ref.name)))
        return info

    def _ensure_classes(self, pending: list[Pending]) -> None:
        """Classes named by the pupils to write: created (with their groups), reopened,
        renamed. Only pupil records create classes."""
        wanted: dict[tuple[int, str], tuple[str, set[str]]] = {}
        reopen: dict[int, ClassInfo] = {}
        rename: dict[int, tuple[ClassInfo, str]] = {}
        for item in pending:
            record = item.record
            if record.kind is not PersonKind.STUDENT:
                continue
            level = record.level.strip().upper()
            for ref in record.classes:
                sid = self.structure_keys.get(ref.structure_key)
                if sid is None:
                    continue
                info = self._find_class(sid, ref)
                if info is None:
                    name, levels = wanted.setdefault((sid, ref.code[:64]), (ref.name[:200], set()))
                    if level in _LEVELS:
                        levels.add(level)
                    continue
                if level in _LEVELS:
                    self.class_levels[info.id].add(level)
                if info.closed:
                    reopen[info.id] = info
                if self.inputs.is_aaf and ref.name and info.name != ref.name[:200]:
                    rename[info.id] = (info, ref.name[:200])
        if wanted:
            created = [SchoolClass(structure_id=sid, school_year=self.year, code=code,
                                   name=name, levels=sorted(levels), created_at=self.ctx.now)
                       for (sid, code), (name, levels) in wanted.items()]
            SchoolClass.objects.bulk_create(created, batch_size=500)
            groups = []
            for school_class in created:
                info = ClassInfo(school_class.pk, school_class.structure_id, school_class.code,
                                 school_class.name, False, frozenset(school_class.levels))
                self._know_class(info)
                self.class_levels[info.id].update(info.levels)
                for profile in CLASS_GROUP_PROFILES:
                    name = f"{PROFILE_GROUP_LABELS_FR[profile]} — {school_class.name}"[:200]
                    groups.append(Group(kind=GroupKind.CLASS, school_class=school_class,
                                        structure_id=school_class.structure_id,
                                        school_year=self.year, profile=profile, name=name,
                                        name_key=search_key(name)[:200], created_at=self.ctx.now))
            Group.objects.bulk_create(groups, batch_size=500)
            for group in groups:
                assert group.school_class_id is not None
                self.know_class_group(group.pk, group.school_class_id, group.profile,
                                      self.class_by_id[group.school_class_id].name)
            self.report.classes["created"] += len(created)
        if reopen:
            SchoolClass.objects.filter(id__in=list(reopen)).update(closed_at=None)
            for info in reopen.values():
                info.closed = False
            self.report.classes["reopened"] += len(reopen)
        for cid, (info, name) in rename.items():
            SchoolClass.objects.filter(pk=cid).update(name=name)
            info.name = name
            for group in Group.objects.filter(kind=GroupKind.CLASS, school_class_id=cid):
                group.name = f"{PROFILE_GROUP_LABELS_FR[group.profile]} — {name}"[:200]
                group.save(update_fields=["name", "name_key"])
            self.report.classes["renamed"] += 1

    def _ensure_functional_groups(self, pending: list[Pending]) -> None:
        wanted: dict[tuple[int, str], str] = {}
        for item in pending:
            for ref in item.record.groups:
                sid = self.structure_keys.get(ref.structure_key)
                if sid is not None and (sid, ref.code[:128]) not in self.functional_groups:
                    wanted.setdefault((sid, ref.code[:128]), ref.name[:200])
        if not wanted:
            return
        groups = [Group(kind=GroupKind.FUNCTIONAL, structure_id=sid, school_year=self.year,
                        external_id=code, name=name, name_key=search_key(name)[:200],
                        created_at=self.ctx.now)
                  for (sid, code), name in wanted.items()]
        Group.objects.bulk_create(groups, batch_size=500)
        for group in groups:
            assert group.structure_id is not None
            self.functional_groups[(group.structure_id, group.external_id)] = group.pk
            self.group_labels[group.pk] = ("group", group.name)

    def _store_class_levels(self) -> None:
        for cid, levels in self.class_levels.items():
            info = self.class_by_id.get(cid)
            if info is not None and not levels <= info.levels:
                merged = sorted(info.levels | levels)
                SchoolClass.objects.filter(pk=cid).update(levels=merged)
                info.levels = frozenset(merged)

    # -- people ------------------------------------------------------------------------

    def checksum(self, record: PersonRecord) -> str:
        payload = f"{IMPORTER_VERSION}|{self.year.pk}|{self.source}|{record.checksum}"
        return hashlib.sha256(payload.encode()).hexdigest()[:40]

    def _people(self, records: list[PersonRecord]) -> None:
        plan: list[tuple[PersonRecord, Known | None]] = []
        by_ine: dict[str, PersonRecord] = {}
        in_chunk: set[str] = set()
        wanted = [r.external_id for r in records]
        wanted += [c.external_id for r in records for c in r.children if c.external_id]
        self.chunk_users = self._lookup(wanted)
        referenced: set[str] = set()
        if self.inputs.is_aaf:
            referenced = self.scratch.referenced(
                [r.external_id for r in records if r.kind is PersonKind.RELATIVE])
        for record in records:
            if record.kind is PersonKind.RELATIVE and not self._referenced(record, referenced):
                self.report.relatives_skipped += 1
                self.issue("relative-unreferenced",
                           _("parent %(name)s is referenced by no pupil of this run: not "
                             "imported") % {"name": f"{record.first_name} {record.last_name}"},
                           file=record.source_file, line=record.line)
                continue
            known = self.chunk_users.get(record.external_id)
            if record.external_id in in_chunk or (known is not None and known.seen):
                self.issue("duplicate-id", _("“%(id)s” appears twice in this run: the second "
                                             "record is ignored") % {"id": record.external_id},
                           file=record.source_file, line=record.line)
                continue
            in_chunk.add(record.external_id)
            self._count_school(record)
            if known is not None and not _same_family(known.profile, record.kind.value):
                self.issue("id-conflict",
                           _("id “%(id)s” already belongs to an account of another profile "
                             "(%(profile)s): record ignored") % {
                               "id": record.external_id, "profile": known.profile},
                           file=record.source_file, line=record.line, severity="error")
                continue
            if known is None and record.kind is PersonKind.STUDENT and record.ine:
                by_ine.setdefault(record.ine, record)
            plan.append((record, known))
        adopted = self._match_ine(by_ine) if by_ine else {}
        pending: list[Pending] = []
        for record, known in plan:
            adopt = False
            if known is None and record.external_id in adopted:
                known, adopt = adopted[record.external_id], True
            checksum = self.checksum(record)
            if (known is not None and not adopt and known.checksum == checksum
                    and known.state in OK_STATES and not known.missing
                    and known.source == self.source):
                self.scratch.seen.append((known.id,))
                self.report.count(record.kind.value, "unchanged")
                self._note_references(record, known.id, dirty=False)
                continue
            pending.append(Pending(record, known, checksum, adopt))
        if pending:
            self._ensure_classes(pending)
            self._ensure_functional_groups(pending)
            for item in pending:
                self._desire(item)
            self._create([p for p in pending if p.known is None])
            self._update([p for p in pending if p.known is not None])
        self.scratch.flush()
        self.chunk_users = {}

    def _count_school(self, record: PersonRecord) -> None:
        for key in record.structures[:1]:
            sid = self.structure_keys.get(key)
            if sid is not None:
                uai = self.structures[sid][0]
                self.report.schools.setdefault(uai, Counter())[record.kind.value] += 1

    def _match_ine(self, by_ine: dict[str, PersonRecord]) -> dict[str, Known]:
        """Pupils unknown by id whose INE an account of another source or académie holds:
        that account is taken over (see the module docstring)."""
        found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for ines in chunked(list(by_ine)):
            for row in (User.objects.filter(profile=Profile.STUDENT, ine__in=ines)
                        .exclude(state=State.DELETED).order_by("id")
                        .values_list("id", "ine", "feed_checksum", "state", "source",
                                     "missing_since", "external_prefix", "external_id",
                                     "login")):
                found[row[1]].append(row)
        seen = self.scratch.seen_among([rows[0][0] for rows in found.values()])
        adopted: dict[str, Known] = {}
        for ine, rows in found.items():
            record = by_ine[ine]
            uid, _ine, checksum, state, source, missing_since, prefix, ext, login = rows[0]
            if len(rows) > 1:
                self.issue("ine-shared", _("INE %(ine)s is held by several accounts (%(logins)s):"
                                           " the oldest one is used") % {
                    "ine": ine, "logins": ", ".join(r[8] for r in rows)},
                    file=record.source_file, line=record.line)
            if uid in seen or (prefix == self.prefix and source == self.source):
                self.issue("ine-duplicate",
                           _("INE %(ine)s is already the INE of %(login)s in this feed: a "
                             "second account is created") % {"ine": ine, "login": login},
                           file=record.source_file, line=record.line)
                continue
            adopted[record.external_id] = Known(uid, checksum, state, Profile.STUDENT, source,
                                                missing_since is not None)
            self.issue("identity-adopted",
                       _("%(login)s (%(old)s) has the same INE %(ine)s: the account is taken "
                         "over by this feed") % {"login": login, "old": f"{source} {ext}",
                                                 "ine": ine},
                       file=record.source_file, line=record.line)
        return adopted

    def _referenced(self, record: PersonRecord, referenced: set[str]) -> bool:
        """Whether a parent record is imported: a pupil of the run names them (AAF:
        `referenced` holds the chunk's parent ids that some pupil designates)."""
        if self.inputs.is_aaf:
            return record.external_id in referenced
        children: list[int] = []
        complete = True
        for child in record.children:
            uid = self._find_child(child)
            if uid is None:
                complete = False
                self.issue("child-not-found",
                           _("child not found among the school's pupils: %(first)s %(last)s "
                             "(%(class)s)") % {"first": child.first_name,
                                               "last": child.last_name,
                                               "class": child.class_name or "-"},
                           file=record.source_file, line=record.line)
            elif uid not in children:
                children.append(uid)
        self.relative_children[record.external_id] = (children, complete)
        return bool(children)

    def _find_child(self, child: ChildRef) -> int | None:
        if child.external_id:
            known = self.chunk_users.get(child.external_id)
            if (known is not None and known.profile == Profile.STUDENT
                    and known.state not in GONE_STATES):
                return known.id
        if self.ctx.school is None:
            return None
        if self.pupil_index is None:
            self._build_pupil_index()
        assert self.pupil_index is not None
        found = resolve_child(child, self.pupil_index)
        if len(found) == 1:
            return self.pupil_index_ids[found[0]]
        return None

    def _build_pupil_index(self) -> None:
        """The school's pupils by (name, first name[, class]), for parents' children that
        the run's pupils do not hold (manual CSV parents imported on their own)."""
        school = self.ctx.school
        classes: dict[int, list[str]] = defaultdict(list)
        for uid, name in Membership.objects.filter(
                group__kind=GroupKind.CLASS, group__profile=Profile.STUDENT,
                group__school_class__school_year=self.year,
                group__structure=school).values_list("user_id", "group__school_class__name"):
            classes[uid].append(name)
        index: dict[tuple[str, ...], list[str]] = {}
        for uid, last, first in StructureAttachment.objects.filter(
                structure=school, user__profile=Profile.STUDENT).exclude(
                user__state__in=GONE_STATES).values_list(
                "user_id", "user__last_name", "user__first_name"):
            key = (loose_key(last), loose_key(first))
            token = str(uid)
            self.pupil_index_ids[token] = uid
            index.setdefault(key, []).append(token)
            for name in classes.get(uid, ()):
                index.setdefault((*key, loose_key(name)), []).append(token)
        self.pupil_index = index

    def _note_references(self, record: PersonRecord, uid: int, *, dirty: bool) -> None:
        scratch = self.scratch
        if record.kind is PersonKind.STUDENT:
            if self.inputs.is_aaf:
                scratch.refs.extend((ref.external_id,) for ref in record.relatives)
                if dirty:
                    file, line = record.source_file[:255], record.line or None
                    scratch.links.extend((uid, n, ref.external_id, ref.legal, file, line)
                                         for n, ref in enumerate(record.relatives, 1))
                    if not record.relatives:
                        scratch.links.append((uid, 0, None, False, file, line))
            if dirty:
                scratch.mark("p", uid)
        elif record.kind is PersonKind.RELATIVE and dirty:
            scratch.mark("r", uid)
            if not self.inputs.is_aaf:
                children, _complete = self.relative_children.get(record.external_id,
                                                                 ([], True))
                self.relative_links[uid] = children

    def _desire(self, item: Pending) -> None:
        """The attachments and groups the record asks for (parents: derived later)."""
        record = item.record
        profile = record.kind.value
        complete = True
        if record.kind is PersonKind.RELATIVE:
            if not self.inputs.is_aaf:
                complete = self.relative_children.get(record.external_id, ([], True))[1]
            item.complete = complete
            return
        desired = Desired()
        keys = list(record.structures)
        keys += [ref.structure_key for ref in record.classes]
        if profile in STAFF_PROFILES:
            keys += list(record.director_of)
            keys += [f.structure_key for f in record.functions]
        directors = {self.structure_keys.get(k) for k in record.director_of}
        for key in dict.fromkeys(keys):
            sid = self.structure_id(key, record)
            if sid is None:
                complete = False
                continue
            functions = list(dict.fromkeys(
                (f.label or f.code) for f in record.functions
                if self.structure_keys.get(f.structure_key) == sid and (f.label or f.code)))
            desired.attachments[sid] = (sid in directors, functions)
            desired.groups.add(self.structure_group(sid, profile))
        for ref in record.classes:
            sid = self.structure_keys.get(ref.structure_key)
            if sid is None:
                continue
            if profile not in CLASS_GROUP_PROFILES:
                self.issue("guest-class", _("guests are not put in classes: class “%(class)s”"
                                            " ignored") % {"class": ref.name},
                           file=record.source_file, line=record.line)
                continue
            info = self._find_class(sid, ref)
            if info is None or info.closed:
                complete = False
                self.issue("unknown-class",
                           _("class “%(class)s” does not exist (yet) in %(school)s: classes "
                             "come with their pupils; the link is made when they arrive") % {
                               "class": ref.name, "school": self.structures[sid][0]},
                           file=record.source_file, line=record.line)
                continue
            gid = self.class_group(info.id, profile)
            if gid is not None:
                desired.groups.add(gid)
        for group_ref in record.groups:
            sid = self.structure_keys.get(group_ref.structure_key)
            gid = self.functional_groups.get((sid, group_ref.code[:128])) \
                if sid is not None else None
            if gid is not None:
                desired.groups.add(gid)
        item.desired = desired
        item.complete = complete

    def _user_values(self, record: PersonRecord) -> dict[str, Any]:
        values: dict[str, Any] = {
            "first_name": record.first_name.strip()[:150],
            "last_name": record.last_name.strip()[:150],
            "birth_date": record.birth_date,
            "academic_email": record.academic_email[:254],
            "ine": record.ine[:16],
            "profile": record.kind.value,
        }
        if record.email:  # a parent's own e-mail is kept when the feed has none
            values["email"] = record.email[:254]
        return values

    def _create(self, items: list[Pending]) -> None:
        if not items:
            return
        all_values = [self._user_values(item.record) for item in items]
        bases = [login_base(v["first_name"], v["last_name"]) for v in all_values]
        if bulk.is_postgresql():
            taken, numbers, gaps = self._login_numbers(bases)
        else:
            taken, numbers, gaps = self._taken_logins(bases), {}, set()
        rows: list[tuple[Any, ...]] = []
        codes = activation_codes(len(items))
        passwords = unusable_passwords(len(items))
        for item, values, code, password in zip(items, all_values, codes, passwords,
                                                strict=True):
            first, last = values["first_name"], values["last_name"]
            login = generate_login(first, last, taken, numbers)
            rows.append((
                login, first, last, f"{first} {last}".strip()[:310],
                search_key(f"{last} {first} {login}")[:310], values["profile"],
                values["birth_date"], values.get("email", ""), values["academic_email"],
                values["ine"], self.source, self.prefix, item.record.external_id[:128],
                item.checksum if item.complete else "", State.PENDING, code, password,
                self.ctx.now,
            ))
        if bulk.is_postgresql():  # each base's next free number, for the next chunks
            bases_done = sorted(b for b in numbers if b not in gaps)
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO scratch_login (base, next) SELECT * FROM unnest(%s::text[], "
                    "%s::bigint[]) ON CONFLICT (base) DO UPDATE SET next = EXCLUDED.next",
                    [bases_done, [numbers[b] + 1 for b in bases_done]])
        ids = bulk.insert(User, _USER_CREATE_FIELDS, rows, ids=True)
        self.written += len(rows)
        self.known_count += len(rows)
        events: list[tuple[Any, ...]] = []
        desired: dict[int, Desired] = {}
        created = {"source": self.source, "run": self.ctx.run_id}
        scratch = self.scratch
        for item, uid in zip(items, ids, strict=True):
            record = item.record
            profile = record.kind.value
            scratch.seen.append((uid,))
            self.report.count(profile, "created")
            if record.kind is PersonKind.RELATIVE:
                scratch.mark("n", uid)
            elif record.kind is PersonKind.STUDENT:
                scratch.mark("k", uid)
            self._note_references(record, uid, dirty=True)
            if item.desired is not None:
                desired[uid] = item.desired
            if record.birth_date is not None:
                scratch.mark("c", uid)
            events.append(self.event(uid, UserEvent.Kind.CREATED, "", created))
        bulk.insert(UserEvent, EVENT_FIELDS, events)
        self.apply_links(desired, fresh=True)

    def _login_numbers(self, bases: list[str]) -> tuple[set[str], dict[str, int], set[str]]:
        """PostgreSQL: where each of the chunk's login bases resumes its numbering, for
        `generate_login` (`last_numbers`): (logins to avoid, base -> number to start from,
        bases with free numbers below their highest).

        A base met by an earlier chunk resumes from `scratch_login`. Otherwise one
        aggregate over the base's logins (`base`, `base2`…, read on the login's pattern
        index) gives how many there are and the highest number: when they are 1…n, the
        next is n + 1 and no login needs to come back to Python. Loading every numbered
        login of every common name again in each chunk was quadratic (each chunk of a
        309,000-account académie read back about all of them). A base with free numbers
        below its highest (accounts deleted) has its logins loaded, each chunk, so that
        its lowest free number is still used, as `generate_login` does."""
        distinct = sorted(set(bases))
        numbers: dict[str, int] = {}
        gaps: set[str] = set()
        with connection.cursor() as cursor:
            for batch in chunked(distinct, RECORDS):
                cursor.execute("SELECT base, next FROM scratch_login WHERE base = ANY(%s)",
                               [batch])
                numbers.update((base, int(next_number)) for base, next_number in cursor)
            new = [base for base in distinct if base not in numbers]
            for batch in chunked(new, RECORDS):
                cursor.execute(
                    f"SELECT b.base, count(*), max(CASE WHEN u.login = b.base THEN 1 "  # noqa: S608
                    f"ELSE substr(u.login, char_length(b.base) + 1)::numeric END) "
                    f"FROM unnest(%s::text[]) AS b(base) JOIN {USER_TABLE} u "
                    f"ON u.login ~>=~ b.base AND u.login ~<~ (b.base || ':') "
                    f"WHERE u.login = b.base "
                    f"OR substr(u.login, char_length(b.base) + 1) ~ '^[0-9]+$' "
                    f"GROUP BY b.base", [batch])
                for base, count, top in cursor.fetchall():
                    if count == top:  # base, base2 … base<top>: resume after them
                        numbers[base] = int(top) + 1
                    else:
                        gaps.add(base)
        # generate_login starts *at* the number it is given: the next free one here.
        taken: set[str] = set()
        for batch in chunked(sorted(gaps), 100):
            condition = reduce(or_, (Q(login__startswith=base) for base in batch))
            taken.update(User.objects.filter(condition).order_by()
                         .values_list("login", flat=True))
        return taken, numbers, gaps

    def _taken_logins(self, bases: list[str]) -> set[str]:
        """Logins that could collide with the chunk's new ones (`prenom.nom`,
        `prenom.nom2`…).

        Earlier chunks' logins are in the table already: nothing is kept from one chunk
        to the next. One query finds which bases are taken at all; those (common names),
        and the bases the chunk hands out more than once, are then looked up with their
        numbered variants: a base free in the table may still have numbered logins
        (jean.dupont deleted, jean.dupont2 not)."""
        used: set[str] = set()
        for batch in chunked(sorted(set(bases))):
            where, params = bulk.any_of("login", batch)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT login FROM {USER_TABLE} WHERE {where}", params)  # noqa: S608
                used.update(row[0] for row in cursor.fetchall())
        repeated = {base for base, count in Counter(bases).items() if count > 1}
        taken = set(used)
        for batch in chunked(sorted(used | repeated), 100):
            condition = reduce(or_, (Q(login__startswith=base) for base in batch))
            taken.update(User.objects.filter(condition).order_by()
                         .values_list("login", flat=True))
        return taken

    def _update(self, items: list[Pending]) -> None:
        if not items:
            return
        rows: dict[int, dict[str, Any]] = {}
        for ids in chunked([i.known.id for i in items if i.known is not None]):
            rows.update((row["id"], row) for row in
                        User.objects.filter(id__in=ids).order_by().values(*_USER_LOAD_FIELDS))
        restore_backups([uid for uid, row in rows.items() if row["predeleted_at"] is not None])
        updates: list[tuple[Any, ...]] = []
        changes_by_user: dict[int, dict[str, Any]] = {}
        restored: dict[int, tuple[str, str]] = {}
        desired: dict[int, Desired] = {}
        for item in items:
            assert item.known is not None
            row = rows[item.known.id]
            record = item.record
            values = self._user_values(record)
            changes = {name: [_json(row[name]), _json(value)] for name, value in values.items()
                       if row[name] != value}
            identity_before = (row["source"], row["external_prefix"], row["external_id"])
            identity_after = (self.source, self.prefix, record.external_id[:128])
            if identity_before != identity_after:
                changes["identity"] = [" ".join(identity_before), " ".join(identity_after)]
                if identity_before[1:] != identity_after[1:]:
                    self.report.identities_adopted += 1
            state = row["state"]
            if state in (State.MISSING, State.PREDELETED) or row["missing_since"] is not None:
                if row["blocked_at"] is not None:
                    new_state = State.BLOCKED
                elif is_password_usable(row["password"]):
                    new_state = State.ACTIVE
                else:
                    new_state = State.PENDING
                restored[row["id"]] = (state, new_state)
                row["state"] = new_state
                row["missing_since"] = None
                row["predeleted_at"] = None
            row.update(values)
            if "first_name" in changes or "last_name" in changes:
                row["display_name"] = f"{row['first_name']} {row['last_name']}".strip()[:310]
                row["name_key"] = search_key(
                    f"{row['last_name']} {row['first_name']} {row['login']}")[:310]
            row["source"], row["external_prefix"], row["external_id"] = identity_after
            row["feed_checksum"] = item.checksum if item.complete else ""
            updates.append((row["id"], *(row[name] for name in USER_UPDATE_FIELDS)))
            changes_by_user[row["id"]] = changes
            if item.desired is not None:
                desired[row["id"]] = item.desired
            self.scratch.seen.append((row["id"],))
            self._note_references(record, row["id"], dirty=True)
        bulk.update(User, USER_UPDATE_FIELDS, updates)
        self.written += len(updates)
        link_changes = self.apply_links(desired, fresh=False)
        events = []
        for item in items:
            assert item.known is not None
            uid = item.known.id
            profile = item.record.kind.value
            changes = changes_by_user[uid]
            changes.update(link_changes.get(uid, {}))
            if uid in restored:
                before, after = restored[uid]
                self.report.count(profile, "restored")
                events.append(self.event(uid, UserEvent.Kind.STATE,
                                         _("Listed again by the feed: restored"),
                                         {"state": [before, after], "run": self.ctx.run_id,
                                          **changes}))
            elif changes:
                self.report.count(profile, "updated")
                events.append(self.event(uid, UserEvent.Kind.UPDATED, _("Updated by the feed"),
                                         {**changes, "run": self.ctx.run_id}))
            else:
                self.report.count(profile, "unchanged")
                self.scratch.mark("q", uid, profile)
        bulk.insert(UserEvent, EVENT_FIELDS, events)

    def event(self, uid: int, kind: str, message: str, details: dict[str, Any]
              ) -> tuple[Any, ...]:
        """A history line of `uid` for this run, as a row for bulk.insert(EVENT_FIELDS)."""
        return (uid, self.actor_id, kind, self.ctx.now, message, details)

    # -- links -------------------------------------------------------------------------

    def _parent_links(self) -> None:
        """Parent links: from the pupils' side (AAF) or the parents' children (ONDE, CSV).
        Only links whose source is not MANUAL are replaced."""
        if self.inputs.is_aaf:
            self._aaf_parent_links()
        elif PersonKind.RELATIVE in self.kinds:
            by_parent = {rid: dict.fromkeys(children, True)
                         for rid, children in self.relative_links.items()}
            self._replace_links(by_parent, owner="relative_id", other="student_id")
            self.scratch.flush()

    def _created(self, profile: str) -> int:
        counts = self.report.counts.get(profile)
        return counts["created"] if counts is not None else 0

    def _aaf_parent_links(self) -> None:
        """AAF: the written pupils' links to the parents they designate (`scratch_link`),
        each parent id joined to its account. A pupil created by the run has no link yet:
        theirs are inserted in one INSERT … SELECT; the others' are compared with their
        current links a page of pupils at a time (`_replace_links`, with their history)."""
        joined = (f"FROM scratch_link l LEFT JOIN {USER_TABLE} u ON u.external_prefix = %s "
                  f"AND u.external_id = l.external_id AND u.external_id <> '' "
                  f"AND u.state <> %s")
        gone, gone_params = bulk.any_of("u.state", list(GONE_STATES))
        valid = f"u.profile = %s AND NOT {gone}"
        joined_params: list[Any] = [self.prefix, State.DELETED]
        valid_params = [Profile.RELATIVE, *gone_params]
        # Designated parents found nowhere: an issue each, and the pupil keeps no checksum
        # (tried again next run). Read through a server-side cursor: a broken file may
        # name many.
        self.scratch.mark_from(
            "i", f"SELECT l.pupil_id AS id {joined} WHERE l.external_id IS NOT NULL "
                 f"AND (u.id IS NULL OR NOT ({valid}))", [*joined_params, *valid_params])
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT l.external_id, l.file, l.line {joined} "
                           f"WHERE l.external_id IS NOT NULL AND (u.id IS NULL OR NOT ({valid})) "
                           f"ORDER BY l.pupil_id, l.n", [*joined_params, *valid_params])
            while batch := cursor.fetchmany(2000):
                for ext, file, line in batch:
                    self.issue("relative-not-found",
                               _("parent “%(id)s” of this pupil is neither in this run nor "
                                 "in the directory") % {"id": ext}, file=file, line=line)
        # Pupils created by the run.
        new = "l.pupil_id IN (SELECT id FROM scratch_mark WHERE mark = 'k')"
        if self._created(Profile.STUDENT):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {RelativeLink._meta.db_table} (student_id, relative_id, "
                    f"source, legal, created_at) SELECT l.pupil_id, u.id, %s, "
                    f"max(CASE WHEN l.legal THEN 1 ELSE 0 END) = 1, %s {joined} "
                    f"WHERE {new} AND {valid} GROUP BY l.pupil_id, u.id",
                    [self.source, self.ctx.now, *joined_params, *valid_params])
        # The others, a page at a time.
        for page in self.scratch.pages("scratch_link", "pupil_id",
                                       "pupil_id NOT IN (SELECT id FROM scratch_mark "
                                       "WHERE mark = 'k')"):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT l.pupil_id, l.external_id, l.legal, u.id, u.profile, u.state "
                    f"{joined} WHERE l.pupil_id >= %s AND l.pupil_id <= %s AND NOT {new} "
                    f"ORDER BY l.pupil_id, l.n", [*joined_params, page[0], page[-1]])
                rows = cursor.fetchall()
            by_owner: dict[int, dict[int, bool]] = {}
            for pupil_id, ext, legal, uid, profile, state in rows:
                wanted = by_owner.setdefault(pupil_id, {})
                if ext is None or uid is None or profile != Profile.RELATIVE \
                        or state in GONE_STATES:
                    continue  # designates nobody, or a parent found nowhere (see above)
                wanted[uid] = wanted.get(uid, False) or bool(legal)
            self._replace_links(by_owner, owner="student_id", other="relative_id")
            self.scratch.flush()

    def _replace_links(self, wanted: dict[int, dict[int, bool]], *, owner: str,
                       other: str) -> None:
        """Makes the owners' non-manual parent links the wanted ones; a change goes into
        the owner's history (and counts the record as updated)."""
        label = "relatives" if owner == "student_id" else "children"
        for ids in chunked(list(wanted)):
            existing: dict[int, dict[int, tuple[int, str, bool]]] = defaultdict(dict)
            for lid, owner_id, other_id, source, legal in RelativeLink.objects.filter(
                    **{f"{owner}__in": ids}).values_list("id", owner, other, "source", "legal"):
                existing[owner_id][other_id] = (lid, source, legal)
            create: list[tuple[Any, ...]] = []
            update: list[tuple[int, str, bool]] = []
            delete: list[int] = []
            changed: dict[int, tuple[list[int], list[int]]] = {}
            for owner_id in ids:
                want = wanted[owner_id]
                have = existing.get(owner_id, {})
                after = set(have)
                for other_id, legal in want.items():
                    current = have.get(other_id)
                    pair = {owner: owner_id, other: other_id}
                    if current is None:
                        create.append((owner_id, other_id, self.source, legal, self.ctx.now))
                        after.add(other_id)
                    elif current[1] != Source.MANUAL and (current[1], current[2]) != (
                            self.source, legal):
                        update.append((current[0], self.source, legal))
                    else:
                        continue
                    self._affect(pair["relative_id"])
                for other_id, (lid, source, _legal) in have.items():
                    if other_id not in want and source != Source.MANUAL:
                        delete.append(lid)
                        after.discard(other_id)
                        self._affect(owner_id if owner == "relative_id" else other_id)
                if after != set(have) and have:
                    changed[owner_id] = (sorted(have), sorted(after))
            bulk.insert(RelativeLink, [owner, other, "source", "legal", "created_at"], create,
                        ignore_conflicts=True)
            bulk.update(RelativeLink, ["source", "legal"], update)
            if delete:
                RelativeLink.objects.filter(id__in=delete).delete()
            if changed:
                self._record_link_changes(changed, label)

    def _record_link_changes(self, changed: dict[int, tuple[list[int], list[int]]],
                             label: str) -> None:
        involved = {uid for before, after in changed.values() for uid in before + after}
        logins = dict(User.objects.filter(id__in=sorted(involved)).values_list("id", "login"))
        events = []
        self._now_updated(list(changed))
        for uid, (before, after) in changed.items():
            events.append(self.event(
                uid, UserEvent.Kind.UPDATED, _("Parent links updated by the feed"),
                {label: [[logins.get(i, str(i)) for i in before],
                         [logins.get(i, str(i)) for i in after]], "run": self.ctx.run_id}))
        bulk.insert(UserEvent, EVENT_FIELDS, events)

    def _now_updated(self, uids: list[int]) -> None:
        """These accounts' links changed: those that the run wrote with no other change
        (counted unchanged) are counted updated instead."""
        quiet = self.scratch.marked("q", uids)
        for profile in quiet.values():
            if profile is not None:
                self.report.count(profile, "unchanged", -1)
                self.report.count(profile, "updated")
        self.scratch.unmark("q", quiet)

    def _affect(self, relative_id: int) -> None:
        self.scratch.mark("a", relative_id)

    def _owned_relatives_sql(self) -> tuple[str, list[Any]]:
        """Parents of the run's source in its scope, as an SQL condition on `u`."""
        scope, params = self._scope_sql()
        return (f"{scope} AND u.profile = %s AND u.source = %s",
                [*params, Profile.RELATIVE, self.source])

    def _sync_relatives(self) -> None:
        """Parents of this feed whose record or children changed get their groups again:
        the written parents, those whose links changed, the parents of written pupils."""
        self.scratch.flush()
        owned, params = self._owned_relatives_sql()
        self.scratch.mark_from(
            "s",
            f"SELECT DISTINCT c.id FROM (SELECT id FROM scratch_mark WHERE mark IN ('r', 'a') "  # noqa: S608
            f"UNION SELECT l.relative_id FROM {RelativeLink._meta.db_table} l "
            f"WHERE l.student_id IN (SELECT id FROM scratch_mark WHERE mark = 'p')) c "
            f"JOIN {USER_TABLE} u ON u.id = c.id WHERE {owned}", params)
        if self._created(Profile.RELATIVE):
            self.link_new_relatives("SELECT id FROM scratch_mark WHERE mark = 'n'")
        for page in self.scratch.marks_of("s", CHUNK):
            created = set(self.scratch.marked("n", page))
            changes = self.sync_relatives([uid for uid in page if uid not in created])
            changed = list(changes)
            self._now_updated(changed)
            events = []
            for uid in changed:  # (a created parent's creation is their history)
                events.append(self.event(uid, UserEvent.Kind.UPDATED,
                                         _("Schools and classes updated with the children's"),
                                         {**changes[uid], "run": self.ctx.run_id}))
            bulk.insert(UserEvent, EVENT_FIELDS, events)

    # -- snapshot: missing and empty classes --------------------------------------------

    def _refused_pupils_references(self) -> None:
        """The parents a refused pupil record designates (AAF) stay designated: refusing the
        pupil must not make them go missing. Their links to the pupil are left as they are."""
        if not self.inputs.is_aaf:
            return
        refs = [(rid,) for w in self.inputs.warnings if w.external_id for rid in w.relatives]
        if refs:
            self.scratch.refs.extend(refs)
            self.scratch.flush()

    def _keep_refused(self) -> None:
        """The accounts of records the parsers refused for an identity problem (a missing
        name…) count as listed: a record refused is no account gone. One lookup per chunk
        of refused ids, and none when nothing was refused."""
        refused = [w.external_id for w in self.inputs.warnings if w.external_id]
        for ids in chunked(sorted(set(refused)), RECORDS):
            for known in self._lookup(ids).values():
                if not known.seen:
                    self.scratch.seen.append((known.id,))
            self.scratch.flush()

    def _missing(self) -> None:
        """Accounts of the run's kinds and source that the run did not list: one
        anti-join against the accounts it listed, then a page at a time."""
        scope, params = self._scope_sql()
        covered, covered_params = bulk.any_of("u.profile", sorted(self.covered))
        ok, ok_params = bulk.any_of("u.state", list(OK_STATES))
        self.scratch.mark_from(
            "m",
            f"SELECT u.id FROM {USER_TABLE} u WHERE {scope} AND u.source = %s AND {covered} "  # noqa: S608
            f"AND {ok} AND u.missing_since IS NULL "
            f"AND NOT EXISTS (SELECT 1 FROM scratch_seen s WHERE s.id = u.id)",
            [*params, self.source, *covered_params, *ok_params])
        for ids in self.scratch.marks_of("m", CHUNK):
            absent = list(User.objects.filter(id__in=ids).order_by("id")
                          .values_list("id", "profile", "state"))
            self.report.newly_missing += len(absent)
            User.objects.filter(id__in=ids, state__in=(State.PENDING, State.ACTIVE)).update(
                state=State.MISSING, missing_since=self.ctx.today)
            User.objects.filter(id__in=ids, state=State.BLOCKED).update(
                missing_since=self.ctx.today)
            events = []
            for uid, profile, state in absent:
                self.report.count(profile, "missing")
                after = State.BLOCKED if state == State.BLOCKED else State.MISSING
                events.append(self.event(uid, UserEvent.Kind.STATE,
                                         _("Missing from the feed"),
                                         {"state": [state, after],
                                          "missing_since": self.ctx.today.isoformat(),
                                          "run": self.ctx.run_id}))
            bulk.insert(UserEvent, EVENT_FIELDS, events)
            pupils = [uid for uid, profile, _state in absent if profile == Profile.STUDENT]
            if pupils:
                self.touched_classes.update(Membership.objects.filter(
                    user_id__in=pupils, group__kind=GroupKind.CLASS,
                    group__profile=Profile.STUDENT, group__school_year=self.year,
                ).values_list("group__school_class_id", flat=True))

    def _close_classes(self) -> None:
        """A class that lost its last present pupil in this run is closed."""
        if PersonKind.STUDENT not in self.kinds or not self.touched_classes:
            return
        for ids in chunked(sorted(self.touched_classes)):
            # The pupils' groups first, then their members by group: joining memberships to
            # groups and users in one query gets quadratic plans without fresh statistics.
            class_of = dict(Group.objects.filter(
                school_class_id__in=ids, kind=GroupKind.CLASS, profile=Profile.STUDENT,
            ).values_list("id", "school_class_id"))
            present = {class_of[gid] for gid in Membership.objects.filter(
                group_id__in=list(class_of), user__state__in=OK_STATES,
                user__missing_since__isnull=True,
            ).order_by().values_list("group_id", flat=True).distinct()}
            empty = [cid for cid in ids if cid not in present]
            if empty:
                closed = SchoolClass.objects.filter(
                    id__in=empty, school_year=self.year, closed_at__isnull=True,
                ).update(closed_at=self.ctx.now)
                self.report.classes["closed"] += closed
                for cid in empty:
                    if cid in self.class_by_id:
                        self.class_by_id[cid].closed = True

    # -- possible duplicates -------------------------------------------------------------

    def _duplicates(self) -> None:
        """New accounts with the same profile, names and birth date as another account.

        Every account born on a day when a new account was born is read once, in birth
        date order, through a server-side cursor: names are compared (`loose_key`) within
        one day at a time, so memory holds one day's accounts, never the académie's (the
        reference ENT ran out of memory here)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM scratch_mark WHERE mark = 'c' LIMIT 1")
            if cursor.fetchone() is None:
                return
        sql = (
            f"SELECT u.id, u.profile, u.last_name, u.first_name, u.birth_date, u.login, "  # noqa: S608
            f"u.source, u.external_id, EXISTS (SELECT 1 FROM scratch_mark m "
            f"WHERE m.mark = 'c' AND m.id = u.id) FROM {USER_TABLE} u "
            f"WHERE u.birth_date IN (SELECT n.birth_date FROM {USER_TABLE} n "
            f"JOIN scratch_mark m ON m.mark = 'c' AND m.id = n.id) AND u.state <> %s "
            f"ORDER BY u.birth_date, u.id")
        total = 0
        found: list[list[tuple[Any, ...]]] = []

        def close(day: list[tuple[Any, ...]]) -> int:
            groups: dict[tuple[str, str, str], list[tuple[Any, ...]]] = defaultdict(list)
            for row in day:
                groups[(row[1], loose_key(row[2]), loose_key(row[3]))].append(row)
            count = 0
            for rows in groups.values():
                if len(rows) > 1 and any(row[8] for row in rows):
                    count += 1
                    if len(found) < 100:
                        found.append(rows)
            return count

        day: list[tuple[Any, ...]] = []
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [State.DELETED])
            while batch := cursor.fetchmany(5000):
                for row in batch:
                    if day and row[4] != day[0][4]:
                        total += close(day)
                        day = []
                    day.append(row)
        total += close(day)
        self.report.duplicates_total = total
        for rows in found:
            first = rows[0]
            entry = {
                "profile": first[1], "name": f"{first[3]} {first[2]}",
                "birth_date": first[4].isoformat(),
                "accounts": [{"id": r[0], "login": r[5], "source": r[6], "external_id": r[7]}
                             for r in rows],
            }
            self.report.duplicates.append(entry)
            self.issue("possible-duplicate",
                       _("possible duplicate, to check by an administrator (never merged "
                         "automatically): %(name)s, born %(date)s: %(logins)s") % {
                           "name": entry["name"], "date": first[4].strftime("%d/%m/%Y"),
                           "logins": ", ".join(r[5] for r in rows)})


def _free_academy_code(prefix: str) -> str:
    base = prefix[:8] or "acad"
    candidate, number = base, 1
    while Academy.objects.filter(code=candidate).exists():
        number += 1
        candidate = f"{base[:6]}{number}"
    return candidate
