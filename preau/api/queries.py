"""Read querysets of the API, all built on the directory's access and communication rules.

Each function narrows what the user may already see; none widens it. Querysets stay lazy so
the views paginate them and prefetch once per page.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from preau.accounts.models import Profile, User
from preau.directory.access import visible_classes
from preau.directory.communication import reachable_users, visible_groups
from preau.directory.models import (
    BookmarkMember,
    Group,
    GroupKind,
    Membership,
    SchoolClass,
    ShareBookmark,
    StructureAttachment,
)
from preau.lib.text import search_key


def _name_filter(q: str) -> Q:
    """Every word of `q` in the name key: accents, case and word order ignored."""
    clause = Q()
    for word in search_key(q).split():
        clause &= Q(name_key__contains=word)
    return clause


def _class_members(class_ids: QuerySet[SchoolClass]) -> QuerySet[Membership]:
    return Membership.objects.filter(group__kind=GroupKind.CLASS,
                                     group__school_class__in=class_ids)


def search_people(user: User, *, q: str = "", profile: str = "", school: int | None = None,
                  class_id: int | None = None) -> QuerySet[User]:
    """People `user` may reach. A class filter only counts classes `user` may open."""
    people = reachable_users(user).filter(_name_filter(q))
    if profile:
        people = people.filter(profile=profile)
    if school is not None:
        people = people.filter(pk__in=StructureAttachment.objects.filter(structure_id=school)
                               .values("user"))
    if class_id is not None:
        classes = visible_classes(user).filter(pk=class_id)
        people = people.filter(pk__in=_class_members(classes).values("user"))
    return people.order_by("last_name", "first_name", "id")


def search_groups(user: User, *, q: str = "", profile: str = "", kind: str = "",
                  school: int | None = None, class_id: int | None = None) -> QuerySet[Group]:
    groups = visible_groups(user).filter(_name_filter(q))
    if profile:
        groups = groups.filter(profile=profile)
    if kind:
        groups = groups.filter(kind=kind)
    if school is not None:
        groups = groups.filter(structure_id=school)
    if class_id is not None:
        groups = groups.filter(school_class_id=class_id)
    return groups.select_related("structure", "school_class").order_by("name", "id")


def classes_of_year(user: User, *, school: int | None = None,
                    year: str = "") -> QuerySet[SchoolClass]:
    """The classes `user` may open, of the current school year unless `year` names another."""
    classes = visible_classes(user)
    if year:
        classes = classes.filter(school_year__name=year)
    else:
        classes = classes.filter(school_year__is_current=True)
    if school is not None:
        classes = classes.filter(structure_id=school)
    return classes.order_by("structure__name", "name", "id")


def class_members(user: User, school_class: SchoolClass) -> dict[str, list[User]]:
    """The class's members by profile. Parents are restricted to those `user` may reach
    (or themself): a parent does not get the list of the other families."""
    members = (User.objects.alive()
               .filter(pk__in=_class_members(SchoolClass.objects.filter(pk=school_class.pk))
                       .values("user"))
               .only("id", "display_name", "first_name", "last_name", "login", "profile")
               .order_by("last_name", "first_name", "id"))
    parents = members.filter(profile=Profile.RELATIVE).filter(
        Q(pk__in=reachable_users(user).values("pk")) | Q(pk=user.pk))
    by_profile: dict[str, list[User]] = defaultdict(list)
    for member in members.exclude(profile=Profile.RELATIVE):
        by_profile[member.profile].append(member)
    by_profile[Profile.RELATIVE] = list(parents)
    return by_profile


def group_members(user: User, group: Group) -> list[User]:
    """The group's members `user` may reach (or themself)."""
    return list(User.objects.alive()
                .filter(pk__in=Membership.objects.filter(group=group).values("user"))
                .filter(Q(pk__in=reachable_users(user).values("pk")) | Q(pk=user.pk))
                .order_by("last_name", "first_name", "id"))


def own_bookmarks(user: User) -> QuerySet[ShareBookmark]:
    return (ShareBookmark.objects.filter(owner=user)
            .annotate(members_count=Count("members")).order_by("name", "id"))


def split_bookmark_members(user: User, bookmark: ShareBookmark
                           ) -> tuple[list[BookmarkMember], list[BookmarkMember]]:
    """(members the owner may still reach, the others). Three queries whatever the size."""
    members = list(bookmark.members.select_related("user", "group").order_by("id"))
    user_ids = [m.user_id for m in members if m.user_id is not None]
    group_ids = [m.group_id for m in members if m.group_id is not None]
    reachable_user_ids = set(reachable_users(user).filter(pk__in=user_ids)
                             .values_list("pk", flat=True)) if user_ids else set()
    visible_group_ids = set(visible_groups(user).filter(pk__in=group_ids)
                            .values_list("pk", flat=True)) if group_ids else set()
    reachable, unreachable = [], []
    for member in members:
        if member.user_id in reachable_user_ids or member.group_id in visible_group_ids:
            reachable.append(member)
        else:
            unreachable.append(member)
    return reachable, unreachable


def filter_managed_users(users: QuerySet[User], *, q: str = "", profile: str = "",
                         state: str = "", school: int | None = None,
                         class_id: int | None = None) -> QuerySet[User]:
    """The admin list's filters, on the users the admin already manages."""
    users = users.filter(_name_filter(q))
    if profile:
        users = users.filter(profile=profile)
    if state:
        users = users.filter(state=state)
    if school is not None:
        users = users.filter(pk__in=StructureAttachment.objects.filter(structure_id=school)
                             .values("user"))
    if class_id is not None:
        users = users.filter(pk__in=_class_members(SchoolClass.objects.filter(pk=class_id))
                             .values("user"))
    return users.order_by("last_name", "first_name", "id")
