"""Read side of the Annuaire pages.

Every list starts from the communication rules (`reachable_users`, `addressable_groups`) or an
access function, so no page shows more than the rules allow; and every list keeps a fixed
number of queries whatever its length (subqueries and prefetches, never a lookup per row).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, overload

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from preau.accounts.models import Profile, State, User
from preau.directory.access import administered_structures, may_see_private, visible_classes
from preau.directory.communication import addressable_groups, reachable_users, seen_people
from preau.directory.models import (
    BookmarkMember,
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolClass,
    ShareBookmark,
    Structure,
    StructureAttachment,
)
from preau.lib.text import search_key

# Pupils that count for the guide's "at least one pupil in the ENT" (as class_has_pupils).
PUPIL_STATES = (State.PENDING, State.ACTIVE, State.MISSING, State.BLOCKED)
GONE_STATES = (State.DELETED, State.PREDELETED)
STAFF_PROFILES = (Profile.TEACHER, Profile.PERSONNEL)


def current_class_memberships() -> QuerySet[Membership]:
    """Memberships of this school year's open classes' profile groups."""
    return Membership.objects.filter(
        group__kind=GroupKind.CLASS,
        group__school_class__school_year__is_current=True,
        group__school_class__closed_at__isnull=True,
    )


def seen_by(viewer: User, field: str = "pk") -> Q:
    """People `viewer` may see in a list: those they reach, and themself (`field`: the
    path from the rows filtered to the account, "user" from a membership)."""
    return seen_people(viewer, field)


def hidden_count(rows: QuerySet[Any], seen: Q, field: str = "user") -> int:
    """How many distinct people of `rows` the clause `seen` (a `seen_by(viewer, field)`)
    leaves out: one query that starts from the rows (a class's, a group's, a message's),
    never from the académie's accounts, as a `NOT IN` would make PostgreSQL do."""
    counts = rows.aggregate(total=Count(field, distinct=True),
                            seen=Count(field, distinct=True, filter=seen))
    return int(counts["total"] - counts["seen"])


# People with their schools and classes ------------------------------------------------------


@dataclass
class PersonRow:
    """A person as lists show them: name, profile, schools and this year's classes."""

    user: User
    schools: list[Structure]
    classes: list[SchoolClass]


def with_details(people: QuerySet[User]) -> QuerySet[User]:
    """Two prefetches (schools, this year's classes) instead of two lookups per person."""
    return people.prefetch_related(
        Prefetch("attachments", to_attr="school_attachments",
                 queryset=StructureAttachment.objects.select_related("structure")
                 .order_by("structure__name")),
        Prefetch("memberships", to_attr="class_memberships",
                 queryset=current_class_memberships().select_related("group__school_class")
                 .order_by("group__school_class__name")),
    )


def person_row(user: User) -> PersonRow:
    """Build a row from a user fetched through `with_details`."""
    schools = [a.structure for a in getattr(user, "school_attachments", [])]
    classes: dict[int, SchoolClass] = {}
    for membership in getattr(user, "class_memberships", []):
        school_class = membership.group.school_class
        if school_class is not None:
            classes.setdefault(school_class.pk, school_class)
    return PersonRow(user=user, schools=schools, classes=list(classes.values()))


def person_rows(people: QuerySet[User]) -> list[PersonRow]:
    return [person_row(user) for user in with_details(people)]


# Search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    text: str = ""
    profile: str = ""
    school: Structure | None = None
    school_class: SchoolClass | None = None


def search_schools(viewer: User) -> QuerySet[Structure]:
    """Schools offered as a search filter: the viewer's own, administered or children's."""
    if viewer.is_ent_admin:
        return Structure.objects.all()
    children = RelativeLink.objects.filter(relative=viewer).values("student")
    return Structure.objects.filter(
        Q(pk__in=StructureAttachment.objects.filter(user=viewer).values("structure"))
        | Q(pk__in=StructureAttachment.objects.filter(user__in=children).values("structure"))
        | Q(pk__in=administered_structures(viewer).values("pk"))
    )


def search_classes(viewer: User, school: Structure | None) -> QuerySet[SchoolClass]:
    """Classes offered as a search filter: this year's visible ones, of `school` if given.

    An ENT admin sees every class of the académie: they choose a school first.
    """
    classes = visible_classes(viewer).filter(school_year__is_current=True,
                                             closed_at__isnull=True)
    if school is not None:
        return classes.filter(structure=school)
    if viewer.is_ent_admin:
        return classes.none()
    return classes


def name_filter(text: str) -> Q:
    """Every word of `text` in the name key: accents, case and word order ignored."""
    clause = Q()
    for word in search_key(text).split():
        clause &= Q(name_key__contains=word)
    return clause


def search_people(viewer: User, filters: SearchFilters) -> QuerySet[User]:
    people = reachable_users(viewer).filter(name_filter(filters.text))
    if filters.profile:
        people = people.filter(profile=filters.profile)
    if filters.school is not None:
        people = people.filter(pk__in=StructureAttachment.objects.filter(
            structure=filters.school).values("user"))
    if filters.school_class is not None:
        people = people.filter(pk__in=current_class_memberships().filter(
            group__school_class=filters.school_class).values("user"))
    return people.order_by("last_name", "first_name", "id")


def search_groups(viewer: User, filters: SearchFilters) -> QuerySet[Group]:
    groups = addressable_groups(viewer).filter(name_filter(filters.text))
    if filters.profile:
        groups = groups.filter(profile=filters.profile)
    if filters.school is not None:
        groups = groups.filter(structure=filters.school)
    if filters.school_class is not None:
        groups = groups.filter(school_class=filters.school_class)
    return groups.select_related("structure", "school_class").order_by("name_key", "id")


@dataclass
class SearchResult:
    kind: str  # "group" or "person"
    group: Group | None = None
    person: PersonRow | None = None


class SearchResults:
    """Groups then people, one list for the paginator: a page costs two counts and at most
    two fetches (plus the people's prefetches), whatever the page size."""

    def __init__(self, groups: QuerySet[Group], people: QuerySet[User]) -> None:
        self.groups = groups
        self.people = people
        self._counts: tuple[int, int] | None = None

    def counts(self) -> tuple[int, int]:
        if self._counts is None:
            self._counts = (self.groups.count(), self.people.count())
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[SearchResult]:
        return iter(self[0:self.count()])

    @overload
    def __getitem__(self, index: int) -> SearchResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[SearchResult]: ...

    def __getitem__(self, index: int | slice) -> SearchResult | list[SearchResult]:
        if isinstance(index, int):
            found = self[index:index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, _step = index.indices(self.count())
        group_count = self.counts()[0]
        results: list[SearchResult] = []
        if start < group_count:
            results += [SearchResult(kind="group", group=g)
                        for g in self.groups[start:min(stop, group_count)]]
        if stop > group_count:
            people = with_details(self.people)[max(start - group_count, 0):stop - group_count]
            results += [SearchResult(kind="person", person=person_row(u)) for u in people]
        return results


# Home ---------------------------------------------------------------------------------------


@dataclass
class ClassRow:
    school_class: SchoolClass
    pupil_count: int
    attached: bool
    attached_by_hand: bool


@dataclass
class SchoolBlock:
    structure: Structure
    classes: list[ClassRow] = field(default_factory=list)


def _attached(user: User, by_hand: bool = False) -> Exists:
    memberships = Membership.objects.filter(user=user, group__school_class=OuterRef("pk"),
                                            group__kind=GroupKind.CLASS,
                                            group__profile__in=STAFF_PROFILES)
    if by_hand:
        memberships = memberships.filter(source=MembershipSource.MANUAL)
    return Exists(memberships)


def class_rows(user: User, classes: QuerySet[SchoolClass]) -> list[ClassRow]:
    """Classes with their pupil count and whether `user` is attached, in one query."""
    annotated = classes.annotate(
        pupil_count=Count("groups__memberships__user", distinct=True, filter=Q(
            groups__kind=GroupKind.CLASS, groups__profile=Profile.STUDENT,
            groups__memberships__user__state__in=PUPIL_STATES)),
        is_attached=_attached(user),
        is_attached_by_hand=_attached(user, by_hand=True),
    ).select_related("structure", "school_year").order_by("structure__name", "name", "id")
    return [ClassRow(school_class=c, pupil_count=c.pupil_count,  # type: ignore[attr-defined]
                     attached=c.is_attached,  # type: ignore[attr-defined]
                     attached_by_hand=c.is_attached_by_hand)  # type: ignore[attr-defined]
            for c in annotated]


def staff_home(user: User) -> list[SchoolBlock]:
    """A teacher's or staff member's schools, each with this year's classes."""
    blocks = {a.structure_id: SchoolBlock(structure=a.structure)
              for a in StructureAttachment.objects.filter(user=user)
              .select_related("structure").order_by("structure__name")}
    classes = SchoolClass.objects.filter(
        pk__in=visible_classes(user).values("pk"), structure__in=list(blocks),
        school_year__is_current=True, closed_at__isnull=True)
    for row in class_rows(user, classes):
        blocks[row.school_class.structure_id].classes.append(row)
    return list(blocks.values())


def own_schools(user: User) -> list[Structure]:
    return [a.structure for a in StructureAttachment.objects.filter(user=user)
            .select_related("structure").order_by("structure__name")]


@dataclass
class PupilClass:
    school_class: SchoolClass
    teachers: list[User]


def pupil_home(user: User) -> list[PupilClass]:
    """A pupil's classes of this year with their teachers (two queries)."""
    classes: dict[int, PupilClass] = {}
    for membership in current_class_memberships().filter(
            user=user, group__profile=Profile.STUDENT).select_related(
            "group__school_class__structure"):
        school_class = membership.group.school_class
        assert school_class is not None
        classes.setdefault(school_class.pk, PupilClass(school_class=school_class, teachers=[]))
    teachers = current_class_memberships().filter(
        group__school_class__in=list(classes), group__profile=Profile.TEACHER,
        user__in=User.objects.alive()).select_related("user").order_by(
        "user__last_name", "user__first_name")
    for membership in teachers:
        row = classes[membership.group.school_class_id]  # type: ignore[index]
        if membership.user not in row.teachers:
            row.teachers.append(membership.user)
    return list(classes.values())


def parent_home(user: User) -> list[PersonRow]:
    """A parent's children with their schools and classes (three queries)."""
    children = User.objects.alive().filter(
        pk__in=RelativeLink.objects.filter(relative=user).values("student"))
    return person_rows(children)


# Class page ---------------------------------------------------------------------------------


@dataclass
class ParentRow:
    parent: User
    children: list[User]


@dataclass
class ClassRoster:
    pupils: list[User]
    parents: list[ParentRow]
    teachers: list[User]
    hidden_count: int


def class_roster(viewer: User, school_class: SchoolClass) -> ClassRoster:
    """The people of a class that `viewer` may see, with a fixed number of queries.

    Everyone sees the same rule: the class's people intersected with those the viewer can
    reach (plus themself). A teacher or staff member of the school reaches the whole school,
    so they see the whole class; a parent sees their child, the class's teachers and
    themself; a pupil their teachers, their parents and themself. How many people are left
    out is said, never who.
    """
    seen = seen_by(viewer, "user")
    class_members = Membership.objects.filter(group__school_class=school_class,
                                              group__kind=GroupKind.CLASS).exclude(
        user__state__in=GONE_STATES)
    pupils: dict[int, User] = {}
    teachers: dict[int, User] = {}
    parents: dict[int, ParentRow] = {}
    for membership in class_members.filter(seen).select_related("user", "group").order_by(
            "user__last_name", "user__first_name", "user_id"):
        profile = membership.group.profile
        if profile == Profile.STUDENT:
            pupils.setdefault(membership.user_id, membership.user)
        elif profile in STAFF_PROFILES:
            teachers.setdefault(membership.user_id, membership.user)
        elif profile == Profile.RELATIVE:
            parents.setdefault(membership.user_id, ParentRow(membership.user, []))
    class_pupils = class_members.filter(group__profile=Profile.STUDENT).values("user")
    links = (RelativeLink.objects.filter(seen_by(viewer, "relative"), student__in=class_pupils)
             .exclude(relative__state__in=GONE_STATES).select_related("relative")
             .order_by("relative__last_name", "relative__first_name", "relative_id"))
    for link in links:
        row = parents.setdefault(link.relative_id, ParentRow(link.relative, []))
        child = pupils.get(link.student_id)
        if child is not None and child not in row.children:
            row.children.append(child)
    hidden = hidden_count(class_members, seen)
    return ClassRoster(pupils=list(pupils.values()),
                       parents=sorted(parents.values(),
                                      key=lambda r: (r.parent.last_name, r.parent.first_name)),
                       teachers=list(teachers.values()), hidden_count=hidden)


def my_classes(user: User) -> list[ClassRow]:
    """The "Mes classes" tab: this year's classes the user may open."""
    classes = SchoolClass.objects.filter(pk__in=visible_classes(user).values("pk"),
                                         school_year__is_current=True, closed_at__isnull=True)
    if user.is_ent_admin:
        # An ENT admin may open every class: list only those of their own schools here.
        schools = StructureAttachment.objects.filter(user=user).values("structure")
        classes = classes.filter(Q(structure__in=schools)
                                 | Q(pk__in=Membership.objects.filter(user=user)
                                     .values("group__school_class")))
    return class_rows(user, classes)


# Person card and group ----------------------------------------------------------------------


@dataclass
class PersonCard:
    row: PersonRow
    relatives: list[User]
    children: list[PersonRow]
    show_private: bool


def person_card(viewer: User, person: User) -> PersonCard:
    """What `viewer` may read about `person` (who came through `access_person`).

    Birth date, e-mail, login and INE as `access.may_see_private` decides (the person
    themself and their admins); parents and children are listed when the viewer reaches
    them.
    """
    row = person_rows(User.objects.filter(pk=person.pk))[0]
    seen = seen_by(viewer)
    relatives: list[User] = []
    children: list[PersonRow] = []
    if person.profile == Profile.STUDENT:
        relatives = list(User.objects.alive().filter(seen).filter(
            pk__in=RelativeLink.objects.filter(student=person).values("relative")))
    if person.profile == Profile.RELATIVE:
        children = person_rows(User.objects.alive().filter(seen).filter(
            pk__in=RelativeLink.objects.filter(relative=person).values("student")))
    show_private = may_see_private(viewer, person)
    return PersonCard(row=row, relatives=relatives, children=children,
                      show_private=show_private)


def group_members(viewer: User, group: Group) -> tuple[QuerySet[User], int]:
    """A group's living members that `viewer` may see, and how many others there are."""
    memberships = Membership.objects.filter(group=group).exclude(user__state__in=GONE_STATES)
    seen = seen_by(viewer, "user")
    members = User.objects.filter(pk__in=memberships.filter(seen).values("user"))
    return members.order_by("last_name", "first_name", "id"), hidden_count(memberships, seen)


# Share bookmarks ----------------------------------------------------------------------------


def bookmarks_of(owner: User) -> QuerySet[ShareBookmark]:
    return ShareBookmark.objects.filter(owner=owner).annotate(
        member_count=Count("members")).order_by("name", "id")


def unreachable_bookmark_members(bookmark: ShareBookmark) -> QuerySet[BookmarkMember]:
    """Members the owner can no longer reach (last year's pupils, old class groups...)."""
    return bookmark.members.filter(
        (Q(user__isnull=False) & ~Q(user__in=reachable_users(bookmark.owner).values("pk")))
        | (Q(group__isnull=False) & ~Q(group__in=addressable_groups(bookmark.owner).values("pk")))
    )


@dataclass
class BookmarkContent:
    reachable: list[BookmarkMember]
    unreachable: list[BookmarkMember]


def member_label(member: BookmarkMember) -> str:
    if member.user is not None:
        return member.user.full_name
    return member.group.name if member.group is not None else ""


def bookmark_content(bookmark: ShareBookmark) -> BookmarkContent:
    """A bookmark's members, split: those its owner still reaches and those they don't."""
    out_of_reach = set(unreachable_bookmark_members(bookmark).values_list("pk", flat=True))
    members = sorted(bookmark.members.select_related("user", "group"),
                     key=lambda m: (m.group_id is None, search_key(member_label(m))))
    return BookmarkContent(reachable=[m for m in members if m.pk not in out_of_reach],
                           unreachable=[m for m in members if m.pk in out_of_reach])


CANDIDATE_LIMIT = 20


@dataclass
class Candidates:
    groups: list[Group]
    people: list[PersonRow]
    more: bool


def bookmark_candidates(bookmark: ShareBookmark, text: str) -> Candidates:
    """People and groups the owner may add to a bookmark, matching `text`, not yet in it."""
    filters = SearchFilters(text=text)
    groups = search_groups(bookmark.owner, filters).exclude(
        pk__in=bookmark.members.filter(group__isnull=False).values("group"))
    people = search_people(bookmark.owner, filters).exclude(
        pk__in=bookmark.members.filter(user__isnull=False).values("user"))
    found_groups = list(groups[:CANDIDATE_LIMIT + 1])
    found_people = person_rows(people[:CANDIDATE_LIMIT + 1])
    more = len(found_groups) > CANDIDATE_LIMIT or len(found_people) > CANDIDATE_LIMIT
    return Candidates(groups=found_groups[:CANDIDATE_LIMIT],
                      people=found_people[:CANDIDATE_LIMIT], more=more)
