"""Feed-owned links, written in bulk: attachments to schools and group memberships.

`LinkWriter` makes a set of users' *feed-owned* links equal to the desired ones in a few
queries (load, diff, bulk insert/update/delete), and derives parents' links from their
children's. The importer uses it for every run; the life cycle uses it to rework parents'
groups once a child is pre-deleted.

A feed owns: attachments whose source is not MANUAL; memberships whose source is FEED in
school profile groups and in the current year's class and functional groups. Everything
made by hand, and last year's class groups (the year change's business), stays as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Q

from preau.accounts.models import Profile, Source, State, User
from preau.directory.actions import CLASS_GROUP_PROFILES, PROFILE_GROUP_LABELS_FR
from preau.directory.models import (
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.feeds import bulk
from preau.lib.text import search_key

CHUNK = 2000
"""Records handled per batch, and ids per `IN (…)` list (SQLite allows 32,766 parameters)."""
GONE_STATES = (State.PREDELETED, State.DELETED)
FEED_LINK = MembershipSource.FEED

T = TypeVar("T")


def chunked(items: Iterable[T], size: int = CHUNK, *, first: int | None = None
            ) -> Iterator[list[T]]:
    """Lists of `size` items (the first one of `first` items, when given)."""
    iterator = iter(items)
    step = first or size
    while batch := list(islice(iterator, step)):
        yield batch
        step = size


@dataclass
class Desired:
    """The feed-owned links an account should have: school id -> (head teacher,
    functions), and group ids."""

    attachments: dict[int, tuple[bool, list[str]]] = field(default_factory=dict)
    groups: set[int] = field(default_factory=set)


class LinkWriter:
    """Group maps loaded once, and the bulk diff of feed-owned links.

    `source` is what new and replaced attachments get (the run's source); None keeps each
    attachment's own source and creates none (the life cycle only ever removes links).
    """

    def __init__(self, year: SchoolYear | None, now: datetime, source: str | None) -> None:
        self.year = year
        self.now = now
        self.source = source
        self.structures: dict[int, tuple[str, str]] = {}  # id -> (uai, name)
        self.structure_keys: dict[str, int] = {}  # feed key (join key or UAI) -> id
        self.structure_groups: dict[tuple[int, str], int] = {}
        self.class_groups: dict[tuple[int, str], int] = {}
        self.class_of_group: dict[int, tuple[int, str]] = {}  # group -> (class, profile)
        self.group_labels: dict[int, tuple[str, str]] = {}  # group -> (kind, label)
        self.touched_classes: set[int] = set()

    # -- schools and their groups ---------------------------------------------------

    def know_structure(self, sid: int, uai: str, name: str, external_id: str = "") -> None:
        self.structures[sid] = (uai, name)
        self.structure_keys[uai] = sid
        if external_id:
            self.structure_keys[external_id] = sid

    def ensure_structure_groups(self, structure_ids: Sequence[int]) -> None:
        """The school profile groups, named as directory.actions.ensure_structure_groups
        names them, for many schools in a few queries."""
        for ids in chunked(structure_ids):
            for gid, sid, profile in Group.objects.filter(
                    kind=GroupKind.STRUCTURE, structure_id__in=ids).order_by().values_list(
                    "id", "structure_id", "profile"):
                self._know_structure_group(gid, sid, profile)
            missing = []
            for sid in ids:
                for profile in Profile.values:
                    if (sid, profile) in self.structure_groups:
                        continue
                    name = f"{PROFILE_GROUP_LABELS_FR[profile]} — {self.structures[sid][1]}"[:200]
                    missing.append(Group(kind=GroupKind.STRUCTURE, structure_id=sid,
                                         profile=profile, name=name,
                                         name_key=search_key(name)[:200],
                                         created_at=self.now))
            Group.objects.bulk_create(missing)
            for group in missing:
                assert group.structure_id is not None
                self._know_structure_group(group.pk, group.structure_id, group.profile)

    def _know_structure_group(self, gid: int, sid: int, profile: str) -> None:
        self.structure_groups[(sid, profile)] = gid
        self.group_labels[gid] = ("school", self.structures.get(sid, (str(sid), ""))[0])

    def structure_group(self, sid: int, profile: str) -> int:
        gid = self.structure_groups.get((sid, profile))
        if gid is None:  # a school outside the run's scope (a child's other school)
            uai, name, external_id = Structure.objects.values_list(
                "uai", "name", "external_id").get(pk=sid)
            if sid not in self.structures:
                self.know_structure(sid, uai, name, external_id)
            self.ensure_structure_groups([sid])
            gid = self.structure_groups[(sid, profile)]
        return gid

    # -- class groups --------------------------------------------------------------

    def know_class_group(self, gid: int, cid: int, profile: str, class_name: str) -> None:
        self.class_groups[(cid, profile)] = gid
        self.class_of_group[gid] = (cid, profile)
        self.group_labels[gid] = ("class", class_name)

    def load_class_groups(self, class_ids: Iterable[int]) -> None:
        """Loads (and completes, as directory.actions.ensure_class_groups would) the
        profile groups of these classes."""
        unknown = sorted({cid for cid in class_ids
                          if (cid, Profile.STUDENT) not in self.class_groups})
        for ids in chunked(unknown):
            found: set[tuple[int, str]] = set()
            for gid, cid, profile, name in Group.objects.filter(
                    kind=GroupKind.CLASS, school_class_id__in=ids).order_by().values_list(
                    "id", "school_class_id", "profile", "school_class__name"):
                self.know_class_group(gid, cid, profile, name)
                found.add((cid, profile))
            if len(found) < len(ids) * len(CLASS_GROUP_PROFILES):
                self._complete_class_groups(ids, found)

    def _complete_class_groups(self, class_ids: list[int], found: set[tuple[int, str]]) -> None:
        missing = []
        for school_class in SchoolClass.objects.filter(id__in=class_ids):
            for profile in CLASS_GROUP_PROFILES:
                if (school_class.pk, profile) in found:
                    continue
                name = f"{PROFILE_GROUP_LABELS_FR[profile]} — {school_class.name}"[:200]
                missing.append(Group(kind=GroupKind.CLASS, school_class=school_class,
                                     structure_id=school_class.structure_id,
                                     school_year_id=school_class.school_year_id,
                                     profile=profile, name=name, name_key=search_key(name)[:200],
                                     created_at=self.now))
        Group.objects.bulk_create(missing)
        for group in missing:
            assert group.school_class is not None
            self.know_class_group(group.pk, group.school_class.pk, group.profile,
                                  group.school_class.name)

    def class_group(self, cid: int, profile: str) -> int | None:
        if (cid, profile) not in self.class_groups:
            self.load_class_groups([cid])
        return self.class_groups.get((cid, profile))

    def class_labels(self, group_ids: Iterable[int]) -> list[str]:
        return sorted(label for kind, label in (self.group_labels.get(g, ("", ""))
                                                for g in group_ids) if kind == "class")

    # -- the diff ------------------------------------------------------------------

    def managed_memberships(self, ids: list[int]) -> Iterable[tuple[int, int, int]]:
        """(id, user, group) of these users' feed memberships that a feed may replace."""
        managed = Q(group__kind=GroupKind.STRUCTURE)
        if self.year is not None:
            managed |= Q(group__kind__in=(GroupKind.CLASS, GroupKind.FUNCTIONAL),
                         group__school_year=self.year)
        return Membership.objects.filter(user_id__in=ids, source=FEED_LINK).filter(
            managed).values_list("id", "user_id", "group_id")

    def apply_links(self, desired: dict[int, Desired], *, fresh: bool = False
                    ) -> dict[int, dict[str, Any]]:
        """Makes each user's feed-owned attachments and memberships the desired ones.

        Returns, per user whose links changed, {"schools": [before, after], "classes":
        [before, after]} for their history. `fresh`: the users were just created (no
        existing row to load).
        """
        attachments: dict[int, dict[int, tuple[int, str, bool, list[str]]]] = defaultdict(dict)
        memberships: dict[int, dict[int, int]] = defaultdict(dict)
        if not fresh:
            for ids in chunked(list(desired)):
                for aid, uid, sid, source, director, functions in \
                        StructureAttachment.objects.filter(user_id__in=ids).values_list(
                            "id", "user_id", "structure_id", "source", "is_director",
                            "functions"):
                    attachments[uid][sid] = (aid, source, director, functions or [])
                for mid, uid, gid in self.managed_memberships(ids):
                    memberships[uid][gid] = mid
        new_attachments: list[tuple[Any, ...]] = []
        changed_attachments: list[tuple[Any, ...]] = []
        gone_attachments: list[int] = []
        new_members: list[tuple[Any, ...]] = []
        gone_members: list[int] = []
        changes: dict[int, dict[str, Any]] = {}
        for uid, want in desired.items():
            have = attachments.get(uid, {})
            for sid, (director, functions) in want.attachments.items():
                current = have.get(sid)
                if current is None:
                    if self.source is not None:
                        new_attachments.append((uid, sid, self.source, director, functions,
                                                self.now))
                    continue
                source = self.source or current[1]
                if current[1] != Source.MANUAL and (current[1], current[2], current[3]) != (
                        source, director, functions):
                    changed_attachments.append((current[0], source, director, functions))
            for sid, current in have.items():
                if sid not in want.attachments and current[1] != Source.MANUAL:
                    gone_attachments.append(current[0])
            groups = memberships.get(uid, {})
            for gid in want.groups - groups.keys():
                new_members.append((gid, uid, FEED_LINK, self.now))
            for gid in groups.keys() - want.groups:
                gone_members.append(groups[gid])
                owner = self.class_of_group.get(gid)
                if owner is not None and owner[1] == Profile.STUDENT:
                    self.touched_classes.add(owner[0])
            if not fresh:
                detail = self._describe(have, want, groups.keys())
                if detail:
                    changes[uid] = detail
        bulk.insert(StructureAttachment, ["user_id", "structure_id", "source", "is_director",
                                          "functions", "created_at"], new_attachments)
        bulk.update(StructureAttachment, ["source", "is_director", "functions"],
                    changed_attachments)
        # New users have no membership yet: nothing to conflict with, a plain COPY.
        bulk.insert(Membership, ["group_id", "user_id", "source", "created_at"], new_members,
                    ignore_conflicts=not fresh)
        for ids in chunked(gone_attachments):
            StructureAttachment.objects.filter(id__in=ids).delete()
        for ids in chunked(gone_members):
            Membership.objects.filter(id__in=ids).delete()
        return changes

    def _describe(self, have: dict[int, tuple[int, str, bool, list[str]]], want: Desired,
                  groups_before: Iterable[int]) -> dict[str, Any]:
        detail: dict[str, Any] = {}

        def uai(sid: int) -> str:
            return self.structures.get(sid, (str(sid), ""))[0]

        before = sorted(uai(s) for s in have)
        kept = {s for s, c in have.items() if c[1] == Source.MANUAL}
        after = sorted(uai(s) for s in kept | want.attachments.keys())
        if before != after:
            detail["schools"] = [before, after]
        classes_before = self.class_labels(groups_before)
        classes_after = self.class_labels(want.groups)
        if classes_before != classes_after:
            detail["classes"] = [classes_before, classes_after]
        return detail

    # -- parents -------------------------------------------------------------------

    def sync_relatives(self, relative_ids: Iterable[int], new: Collection[int] = ()
                       ) -> dict[int, dict[str, Any]]:
        """Parents' schools and groups follow their children: the school and class parent
        groups of each child (present or missing, not pre-deleted). Returns the changes
        per parent, as `apply_links` does; `new` parents were created by the run (no link
        to load, no change to describe)."""
        changes: dict[int, dict[str, Any]] = {}
        for ids in chunked(sorted(set(relative_ids))):
            children: dict[int, set[int]] = defaultdict(set)
            for rid, sid in RelativeLink.objects.filter(relative_id__in=ids).exclude(
                    student__state__in=GONE_STATES).values_list("relative_id", "student_id"):
                children[rid].add(sid)
            kids = sorted({c for cs in children.values() for c in cs})
            schools: dict[int, set[int]] = defaultdict(set)
            classes: dict[int, set[int]] = defaultdict(set)
            for batch in chunked(kids):
                for uid, sid in StructureAttachment.objects.filter(
                        user_id__in=batch).values_list("user_id", "structure_id"):
                    schools[uid].add(sid)
                if self.year is None:
                    continue
                for uid, cid in Membership.objects.filter(
                        user_id__in=batch, group__kind=GroupKind.CLASS,
                        group__profile=Profile.STUDENT, group__school_year=self.year,
                        group__school_class__closed_at__isnull=True).values_list(
                        "user_id", "group__school_class_id"):
                    classes[uid].add(cid)
            self.load_class_groups({c for cs in classes.values() for c in cs})
            desired: dict[int, Desired] = {}
            for rid in ids:
                want = Desired()
                for child in children.get(rid, ()):
                    for sid in schools.get(child, ()):
                        want.attachments[sid] = (False, [])
                        want.groups.add(self.structure_group(sid, Profile.RELATIVE))
                    for cid in classes.get(child, ()):
                        gid = self.class_groups.get((cid, Profile.RELATIVE))
                        if gid is not None:
                            want.groups.add(gid)
                desired[rid] = want
            changes.update(self.apply_links(
                {rid: want for rid, want in desired.items() if rid not in new}))
            self.apply_links({rid: want for rid, want in desired.items() if rid in new},
                             fresh=True)
        return changes

    def link_new_relatives(self, relatives: str, relatives_params: Sequence[Any] = ()
                           ) -> None:
        """`sync_relatives` for parents that the run just created (no link to load, no
        change to describe), set-based: the schools of their children (present or
        missing, not pre-deleted), and the parents' group of each such school and of each
        child's open class of the year. `relatives` is an SQL query of the parents' ids.

        One INSERT … SELECT per table for all of them: the database joins them to their
        children's rows with hash joins, in one pass however many they are (by pages of
        ids, each page would read the children's memberships again)."""
        if self.source is None:
            return
        quote = connection.ops.quote_name
        user, link, att, member, group, klass = (quote(m._meta.db_table) for m in (
            User, RelativeLink, StructureAttachment, Membership, Group, SchoolClass))
        ids, ids_params = f"l.relative_id IN ({relatives})", list(relatives_params)
        gone, gone_params = bulk.any_of("c.state", list(GONE_STATES))

        def children(joins: str = "", params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
            """FROM the parents' links to their children (`c`), with more joins."""
            return (f"FROM {link} l JOIN {user} c ON c.id = l.student_id AND NOT {gone} "
                    f"{joins} WHERE {ids}", [*gone_params, *params, *ids_params])

        schools = f"JOIN {att} a ON a.user_id = c.id"
        classes = (f"JOIN {member} m ON m.user_id = c.id "
                   f"JOIN {group} cg ON cg.id = m.group_id AND cg.kind = %s "
                   f"AND cg.profile = %s AND cg.school_year_id = %s "
                   f"JOIN {klass} sc ON sc.id = cg.school_class_id AND sc.closed_at IS NULL")
        classes_params = [GroupKind.CLASS, Profile.STUDENT, self.year.pk if self.year else None]
        with connection.cursor() as cursor:
            # The groups must exist first (a child's school outside the run's scope, a
            # class whose groups are incomplete): a few rows per school or class.
            sql, params = children(schools)
            cursor.execute(f"SELECT DISTINCT a.structure_id {sql}", params)
            for (sid,) in cursor.fetchall():
                self.structure_group(sid, Profile.RELATIVE)
            if self.year is not None:
                sql, params = children(classes, classes_params)
                cursor.execute(f"SELECT DISTINCT cg.school_class_id {sql}", params)
                self.load_class_groups(cid for (cid,) in cursor.fetchall())
            sql, params = children(schools)
            cursor.execute(
                f"INSERT INTO {att} (user_id, structure_id, source, is_director, functions, "  # noqa: S608
                f"created_at) SELECT q.rid, q.sid, %s, %s, %s, %s FROM (SELECT DISTINCT "
                f"l.relative_id AS rid, a.structure_id AS sid {sql}) q",
                [self.source, False, "[]", self.now, *params])
            selects, params = children(
                f"{schools} JOIN {group} g ON g.kind = %s AND g.structure_id = a.structure_id "
                f"AND g.profile = %s", [GroupKind.STRUCTURE, Profile.RELATIVE])
            selects = f"SELECT l.relative_id AS rid, g.id AS gid {selects}"
            if self.year is not None:
                sql, more = children(
                    f"{classes} JOIN {group} pg ON pg.school_class_id = cg.school_class_id "
                    f"AND pg.kind = %s AND pg.profile = %s",
                    [*classes_params, GroupKind.CLASS, Profile.RELATIVE])
                selects += f" UNION SELECT l.relative_id AS rid, pg.id AS gid {sql}"
                params += more
            cursor.execute(
                f"INSERT INTO {member} (group_id, user_id, source, created_at) "  # noqa: S608
                f"SELECT DISTINCT q.gid, q.rid, %s, %s FROM ({selects}) q",
                [FEED_LINK, self.now, *params])
