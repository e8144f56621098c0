"""Connection sheets (fiches de connexion): what a teacher prints and hands out.

Reads only; callers check rights first (`access_class(..., manage=True)` for a class,
`access_managed_user` for one person). A class's sheets take a fixed number of queries,
whatever the number of pupils.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from preau.accounts.models import Profile, State, User
from preau.directory.models import (
    GroupKind,
    Membership,
    RelativeLink,
    SchoolClass,
    StructureAttachment,
)

PUPILS = "eleves"
PARENTS = "parents"
SHEET_PROFILES = (PUPILS, PARENTS)


class SheetStatus(StrEnum):
    CODE = "code"  # waiting for activation: the code is printed
    ACTIVATED = "activated"  # has a password already
    FEDERATED = "federated"  # académie login or EduConnect
    BLOCKED = "blocked"  # may not log in


@dataclass
class Sheet:
    person: User
    schools: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    children: list[User] = field(default_factory=list)

    @property
    def status(self) -> SheetStatus:
        if self.person.federated:
            return SheetStatus.FEDERATED
        if not self.person.is_active:
            return SheetStatus.BLOCKED
        if self.person.activation_code:
            return SheetStatus.CODE
        return SheetStatus.ACTIVATED

    @property
    def is_parent(self) -> bool:
        return self.person.profile == Profile.RELATIVE


def parse_profiles(values: list[str]) -> set[str]:
    """`?profils=parents`, `?profils=eleves&profils=parents` or `?profils=eleves,parents`;
    pupils when nothing valid is asked."""
    asked = {part.strip() for value in values for part in value.split(",")}
    return (asked & set(SHEET_PROFILES)) or {PUPILS}


def class_sheets(school_class: SchoolClass, profiles: set[str]) -> list[Sheet]:
    """One sheet per pupil of the class, and/or one per parent of those pupils (each parent
    once, after their first child, listing their children in this class)."""
    pupil_ids = Membership.objects.filter(
        group__school_class=school_class, group__kind=GroupKind.CLASS,
        group__profile=Profile.STUDENT,
    ).values("user")
    pupils = list(User.objects.alive().filter(pk__in=pupil_ids, profile=Profile.STUDENT)
                  .order_by("last_name", "first_name", "id"))
    children_of: dict[int, list[User]] = {}
    parents_of: dict[int, list[User]] = {}
    if PARENTS in profiles and pupils:
        pupils_by_id = {pupil.pk: pupil for pupil in pupils}
        links = (RelativeLink.objects.filter(student__in=pupils)
                 .exclude(relative__state__in=(State.DELETED, State.PREDELETED))
                 .select_related("relative")
                 .order_by("relative__last_name", "relative__first_name", "relative_id"))
        for link in links:
            children_of.setdefault(link.relative_id, []).append(pupils_by_id[link.student_id])
            parents_of.setdefault(link.student_id, []).append(link.relative)
    schools = [school_class.structure.name]
    sheets: list[Sheet] = []
    printed_parents: set[int] = set()
    for pupil in pupils:
        if PUPILS in profiles:
            sheets.append(Sheet(person=pupil, schools=schools, classes=[school_class.name]))
        for parent in parents_of.get(pupil.pk, []):
            if parent.pk in printed_parents:
                continue
            printed_parents.add(parent.pk)
            sheets.append(Sheet(person=parent, schools=schools, classes=[school_class.name],
                                children=children_of[parent.pk]))
    return sheets


def user_sheet(user: User) -> Sheet:
    """The sheet of one person: their current classes, or their children's for a parent."""
    current = Membership.objects.filter(
        group__kind=GroupKind.CLASS, group__school_class__school_year__is_current=True,
        group__school_class__closed_at__isnull=True,
    )
    children: list[User] = []
    if user.profile == Profile.RELATIVE:
        children = list(User.objects.alive().filter(relative_links__relative=user)
                        .order_by("first_name", "id"))
        members = [child.pk for child in children]
    else:
        members = [user.pk]
    classes = sorted(set(current.filter(user__in=members)
                         .values_list("group__school_class__name", flat=True)))
    schools = list(StructureAttachment.objects.filter(user=user)
                   .order_by("structure__name").values_list("structure__name", flat=True))
    return Sheet(person=user, schools=schools, classes=classes, children=children)
