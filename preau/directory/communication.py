"""Who may find and write to whom: the single place every app asks.

Rules are rows of `CommunicationRule` (defaults from the reference ENT, loaded by a data
migration, editable by ENT admins at run time). Each enabled rule for the asking user's
profile adds one `id IN (subquery)` clause, so the result needs no DISTINCT and stays one
query whatever the number of rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from preau.accounts.models import Profile, User
from preau.directory.models import (
    CommunicationRule,
    CommunicationScope,
    Group,
    GroupKind,
    Membership,
    RelativeLink,
    SchoolAdmin,
    StructureAttachment,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# The reference ENT's defaults (1D): (sender, scope, receiver or "" for any profile, enabled).
DEFAULT_RULES: list[tuple[str, str, str, bool]] = [
    (Profile.TEACHER, CommunicationScope.SAME_SCHOOL, "", True),
    (Profile.PERSONNEL, CommunicationScope.SAME_SCHOOL, "", True),
    (Profile.STUDENT, CommunicationScope.SAME_CLASS, Profile.TEACHER, True),
    (Profile.STUDENT, CommunicationScope.SAME_CLASS, Profile.STUDENT, False),
    (Profile.STUDENT, CommunicationScope.OWN_RELATIVES, "", True),
    (Profile.RELATIVE, CommunicationScope.CHILDREN_CLASSES, Profile.TEACHER, True),
    (Profile.RELATIVE, CommunicationScope.CHILDREN_SCHOOL_DIRECTION, "", True),
    (Profile.RELATIVE, CommunicationScope.OWN_CHILDREN, "", True),
    (Profile.RELATIVE, CommunicationScope.CHILDREN_CLASSES, Profile.RELATIVE, False),
    (Profile.GUEST, CommunicationScope.SAME_SCHOOL, Profile.TEACHER, True),
    (Profile.GUEST, CommunicationScope.SAME_SCHOOL, Profile.PERSONNEL, True),
]


def _current_class_memberships() -> QuerySet[Membership]:
    return Membership.objects.filter(
        group__kind=GroupKind.CLASS,
        group__school_class__school_year__is_current=True,
        group__school_class__closed_at__isnull=True,
    )


def _structures_of(user_ids: QuerySet | list[int]) -> QuerySet[StructureAttachment]:
    return StructureAttachment.objects.filter(user__in=user_ids)


def _scope_clause(user: User, scope: str) -> Q:
    """Users within `scope` of `user`, as one `id IN (...)` clause."""
    me = [user.pk]
    if scope == CommunicationScope.SAME_SCHOOL:
        schools = _structures_of(me).values("structure")
        return Q(id__in=StructureAttachment.objects.filter(structure__in=schools).values("user"))
    if scope == CommunicationScope.SAME_CLASS:
        classes = _current_class_memberships().filter(user=user).values("group__school_class")
        return Q(id__in=_current_class_memberships()
                 .filter(group__school_class__in=classes).values("user"))
    children = RelativeLink.objects.filter(relative=user).values("student")
    if scope == CommunicationScope.CHILDREN_CLASSES:
        classes = (_current_class_memberships().filter(user__in=children)
                   .values("group__school_class"))
        return Q(id__in=_current_class_memberships()
                 .filter(group__school_class__in=classes).values("user"))
    if scope == CommunicationScope.CHILDREN_SCHOOL_DIRECTION:
        schools = _structures_of(children).values("structure")
        return Q(id__in=StructureAttachment.objects.filter(structure__in=schools, is_director=True)
                 .values("user"))
    if scope == CommunicationScope.OWN_CHILDREN:
        return Q(id__in=children)
    if scope == CommunicationScope.OWN_RELATIVES:
        return Q(id__in=RelativeLink.objects.filter(student=user).values("relative"))
    raise ValueError(f"unknown communication scope {scope!r}")


def rules_for(user: User) -> list[CommunicationRule]:
    return list(CommunicationRule.objects.filter(sender_profile=user.profile, enabled=True))


def reachable_users(user: User | AnonymousUser) -> QuerySet[User]:
    """Every account `user` may find in the Annuaire, write to, or share with."""
    alive = User.objects.alive()
    if not user.is_authenticated:
        return alive.none()
    assert isinstance(user, User)
    if user.is_ent_admin:
        return alive
    clause = Q(pk__in=[])
    for rule in rules_for(user):
        scope_q = _scope_clause(user, rule.scope)
        if rule.receiver_profile:
            scope_q &= Q(profile=rule.receiver_profile)
        clause |= scope_q
    administered = SchoolAdmin.objects.filter(user=user).values("structure")
    clause |= Q(id__in=StructureAttachment.objects.filter(structure__in=administered)
                .values("user"))
    return alive.filter(clause).exclude(pk=user.pk)


def can_reach(user: User | AnonymousUser, other: User) -> bool:
    return reachable_users(user).filter(pk=other.pk).exists()


def visible_groups(user: User | AnonymousUser) -> QuerySet[Group]:
    """Groups `user` may find, share with or write to.

    ENT admins see every group; school admins the groups of their schools. Anyone whose
    profile reaches the whole school (teachers, staff by default) sees the school's and its
    current classes' groups; everyone sees the groups they belong to and the manual
    groups they own.
    """
    if not user.is_authenticated:
        return Group.objects.none()
    assert isinstance(user, User)
    if user.is_ent_admin:
        return Group.objects.all()
    clause = Q(id__in=Membership.objects.filter(user=user).values("group")) | Q(owner=user)
    schools = StructureAttachment.objects.filter(user=user).values("structure")
    whole_school = any(r.scope == CommunicationScope.SAME_SCHOOL and not r.receiver_profile
                       for r in rules_for(user))
    if whole_school:
        clause |= Q(structure__in=schools) & ~Q(kind=GroupKind.MANUAL) & (
            Q(school_class__isnull=True)
            | Q(school_class__school_year__is_current=True, school_class__closed_at__isnull=True)
        )
    administered = SchoolAdmin.objects.filter(user=user).values("structure")
    clause |= Q(structure__in=administered)
    return Group.objects.filter(clause)
