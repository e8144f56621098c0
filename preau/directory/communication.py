"""Who may find and write to whom, people and groups: the single place every app asks.

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
    archived_condition,
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
        return alive.exclude(pk=user.pk)
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


def _group_scope_clause(user: User, scope: str) -> Q | None:
    """The groups whose members are all within `scope` of `user`, or None for the scopes
    that name people one by one (a head teacher, one's own children or parents)."""
    if scope == CommunicationScope.SAME_SCHOOL:
        schools = _structures_of([user.pk]).values("structure")
        return Q(structure__in=schools) & ~Q(kind=GroupKind.MANUAL)
    if scope == CommunicationScope.SAME_CLASS:
        classes = _current_class_memberships().filter(user=user).values("group__school_class")
        return Q(kind=GroupKind.CLASS, school_class__in=classes)
    if scope == CommunicationScope.CHILDREN_CLASSES:
        children = RelativeLink.objects.filter(relative=user).values("student")
        classes = (_current_class_memberships().filter(user__in=children)
                   .values("group__school_class"))
        return Q(kind=GroupKind.CLASS, school_class__in=classes)
    if scope in (CommunicationScope.CHILDREN_SCHOOL_DIRECTION, CommunicationScope.OWN_CHILDREN,
                 CommunicationScope.OWN_RELATIVES):
        return None
    raise ValueError(f"unknown communication scope {scope!r}")


def _addressable_clause(user: User) -> Q:
    """Groups `user` may address, before leaving out the archived ones.

    A group is addressed as a whole: a rule that lets the user reach profile P in a scope
    lets them address the groups of profile P in that scope (a rule for any profile, every
    group of the scope, profile-less ones included). Being a member grants nothing: a pupil
    is in « Élèves — École … » but may not write to it unless pupils may reach pupils there.
    Manual groups are their owner's; a school admin addresses every group of their schools.
    """
    clause = Q(kind=GroupKind.MANUAL, owner=user)
    for rule in rules_for(user):
        scope_q = _group_scope_clause(user, rule.scope)
        if scope_q is None:
            continue
        if rule.receiver_profile:
            scope_q &= Q(profile=rule.receiver_profile)
        clause |= scope_q
    administered = SchoolAdmin.objects.filter(user=user).values("structure")
    clause |= Q(structure__in=administered) & ~Q(kind=GroupKind.MANUAL)
    return clause


def addressable_groups(user: User | AnonymousUser) -> QuerySet[Group]:
    """Groups `user` may write to, share with, or put in a share bookmark.

    The same rules as for people (`reachable_users`), applied to the group's profile in the
    group's scope; archived groupes de scolarité (a past year's, a closed class's) take
    nothing any more. ENT admins address every live group.
    """
    if not user.is_authenticated:
        return Group.objects.none()
    assert isinstance(user, User)
    live = Group.objects.live()
    if user.is_ent_admin:
        return live
    return live.filter(_addressable_clause(user))


def can_address(user: User | AnonymousUser, group: Group) -> bool:
    return addressable_groups(user).filter(pk=group.pk).exists()


def visible_groups(user: User | AnonymousUser) -> QuerySet[Group]:
    """Groups `user` may open in the Annuaire: those they may address, and those they belong
    to (seeing that one is in a group gives no right to write to it: `addressable_groups`).

    ENT admins see every group.
    """
    if not user.is_authenticated:
        return Group.objects.none()
    assert isinstance(user, User)
    if user.is_ent_admin:
        return Group.objects.all()
    member = Q(id__in=Membership.objects.filter(user=user).values("group"))
    return Group.objects.filter(member | (~archived_condition() & _addressable_clause(user)))
