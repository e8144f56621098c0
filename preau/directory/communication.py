"""Who may find and write to whom, people and groups: the single place every app asks.

Rules are rows of `CommunicationRule` (defaults from the reference ENT, loaded by a data
migration, editable by ENT admins at run time). Each enabled rule for the asking user's
profile adds one subquery to a `UNION` that starts from the user's own rows (their schools,
classes, children: `_Scope`), so a list costs the user's scope, whatever the académie's
size, and stays one query whatever the number of rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from preau.accounts.models import Profile, State, User
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


class _Scope:
    """The user's own scope, as subqueries: their schools, their current classes, their
    children's, the schools they administer. Every set the rules reach is built from these,
    so a query starts from the user's rows (index lookups) and never from the académie's."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.schools = StructureAttachment.objects.filter(user=user).values("structure")
        self.classes = (_current_class_memberships().filter(user=user)
                        .values("group__school_class"))
        self.children = RelativeLink.objects.filter(relative=user).values("student")
        self.children_classes = (_current_class_memberships().filter(user__in=self.children)
                                 .values("group__school_class"))
        self.children_schools = (StructureAttachment.objects.filter(user__in=self.children)
                                 .values("structure"))
        self.administered = SchoolAdmin.objects.filter(user=user).values("structure")


def _union(parts: list[QuerySet[Any]], empty: QuerySet[Any]) -> QuerySet[Any]:
    """One `UNION` of single-column querysets, for one `id IN (…)`: PostgreSQL turns it into
    a join driven by the (small) union, where an `OR` of `id IN (…)` clauses made it scan
    the whole table and test each row against every clause."""
    parts = [part.order_by() for part in parts]
    if not parts:
        return empty
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def _people_part(scope: _Scope, rule_scope: str, receiver: str) -> QuerySet[Any]:
    """The ids of the people within `rule_scope` of the user (of profile `receiver`, if
    given): one single-column queryset."""
    if rule_scope == CommunicationScope.SAME_SCHOOL:
        rows: QuerySet[Any] = StructureAttachment.objects.filter(structure__in=scope.schools)
        column, profile = "user", "user__profile"
    elif rule_scope in (CommunicationScope.SAME_CLASS, CommunicationScope.CHILDREN_CLASSES):
        # The classes are this year's open ones already; a class's profile groups hold the
        # members of that profile, so the rows need no join to the accounts.
        classes = (scope.classes if rule_scope == CommunicationScope.SAME_CLASS
                   else scope.children_classes)
        rows = Membership.objects.filter(group__kind=GroupKind.CLASS,
                                         group__school_class__in=classes)
        column, profile = "user", "group__profile"
    elif rule_scope == CommunicationScope.CHILDREN_SCHOOL_DIRECTION:
        rows = StructureAttachment.objects.filter(structure__in=scope.children_schools,
                                                  is_director=True)
        column, profile = "user", "user__profile"
    elif rule_scope == CommunicationScope.OWN_CHILDREN:
        rows = RelativeLink.objects.filter(relative=scope.user)
        column, profile = "student", "student__profile"
    elif rule_scope == CommunicationScope.OWN_RELATIVES:
        rows = RelativeLink.objects.filter(student=scope.user)
        column, profile = "relative", "relative__profile"
    else:
        raise ValueError(f"unknown communication scope {rule_scope!r}")
    if receiver:
        rows = rows.filter(**{profile: receiver})
    return rows.values(column)


def _reach(user: User, *, include_self: bool = False) -> QuerySet[Any]:
    """The ids of the people `user` reaches (the rules, and the schools they administer),
    and their own if asked: one subquery for one `id IN (…)`."""
    scope = _Scope(user)
    parts = [_people_part(scope, rule.scope, rule.receiver_profile) for rule in rules_for(user)]
    parts.append(StructureAttachment.objects.filter(structure__in=scope.administered)
                 .values("user"))
    if include_self:
        parts.append(User.objects.filter(pk=user.pk).values("pk"))
    return _union(parts, User.objects.none().values("pk"))


def rules_for(user: User) -> list[CommunicationRule]:
    return list(CommunicationRule.objects.filter(sender_profile=user.profile, enabled=True))


def reachable_users(user: User | AnonymousUser) -> QuerySet[User]:
    """Every account `user` may find in the Annuaire, write to, or share with.

    One query for the rules, then the people as `id IN (a UNION of one subquery per rule)`,
    each starting from the user's own rows: its cost is the user's scope, not the académie.
    """
    alive = User.objects.alive()
    if not user.is_authenticated:
        return alive.none()
    assert isinstance(user, User)
    if user.is_ent_admin:
        return alive.exclude(pk=user.pk)
    return alive.filter(pk__in=_reach(user)).exclude(pk=user.pk)


def seen_people(viewer: User, field: str = "pk") -> Q:
    """People `viewer` may see listed (those they reach, and themself), as one clause on
    the account (`field` is the path to it: "user" from a membership, say)."""
    if viewer.is_ent_admin:
        prefix = "" if field == "pk" else f"{field}__"
        return ~Q(**{f"{prefix}state__in": (State.DELETED, State.PREDELETED)}) | Q(
            **{field: viewer.pk})
    return Q(**{f"{field}__in": _reach(viewer, include_self=True)})


def can_reach(user: User | AnonymousUser, other: User) -> bool:
    return reachable_users(user).filter(pk=other.pk).exists()


def _group_part(scope: _Scope, rule_scope: str, receiver: str) -> QuerySet[Any] | None:
    """The ids of the groups whose members are all within `rule_scope` of the user (of
    profile `receiver`, if given), or None for the scopes that name people one by one (a
    head teacher, one's own children or parents)."""
    if rule_scope == CommunicationScope.SAME_SCHOOL:
        rows = Group.objects.filter(structure__in=scope.schools).exclude(kind=GroupKind.MANUAL)
    elif rule_scope == CommunicationScope.SAME_CLASS:
        rows = Group.objects.filter(kind=GroupKind.CLASS, school_class__in=scope.classes)
    elif rule_scope == CommunicationScope.CHILDREN_CLASSES:
        rows = Group.objects.filter(kind=GroupKind.CLASS,
                                    school_class__in=scope.children_classes)
    elif rule_scope in (CommunicationScope.CHILDREN_SCHOOL_DIRECTION,
                        CommunicationScope.OWN_CHILDREN, CommunicationScope.OWN_RELATIVES):
        return None
    else:
        raise ValueError(f"unknown communication scope {rule_scope!r}")
    if receiver:
        rows = rows.filter(profile=receiver)
    return rows.values("pk")


def _addressable(user: User) -> QuerySet[Any]:
    """The ids of the live groups `user` may address, as one subquery.

    A group is addressed as a whole: a rule that lets the user reach profile P in a scope
    lets them address the groups of profile P in that scope (a rule for any profile, every
    group of the scope, profile-less ones included). Being a member grants nothing: a pupil
    is in « Élèves — École … » but may not write to it unless pupils may reach pupils there.
    Manual groups are their owner's; a school admin addresses every group of their schools.
    """
    scope = _Scope(user)
    parts = [part for rule in rules_for(user)
             if (part := _group_part(scope, rule.scope, rule.receiver_profile)) is not None]
    parts.append(Group.objects.filter(kind=GroupKind.MANUAL, owner=user).values("pk"))
    parts.append(Group.objects.filter(structure__in=scope.administered)
                 .exclude(kind=GroupKind.MANUAL).values("pk"))
    return Group.objects.live().filter(
        pk__in=_union(parts, Group.objects.none().values("pk"))).values("pk")


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
    return Group.objects.filter(pk__in=_addressable(user))


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
    member = Membership.objects.filter(user=user).values("group")
    return Group.objects.filter(pk__in=_union([member, _addressable(user)],
                                              Group.objects.none().values("pk")))
