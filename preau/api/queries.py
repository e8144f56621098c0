"""Read querysets of the API, all built on the directory's access and communication rules.

Each function narrows what the user may already see; none widens it. Querysets stay lazy so
the views paginate them and prefetch once per page.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, QuerySet

from preau.accounts.models import Profile, User
from preau.directory import queries as directory_queries
from preau.directory.access import visible_classes
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import (
    BookmarkMember,
    Group,
    GroupKind,
    Membership,
    SchoolClass,
    ShareBookmark,
    Structure,
    StructureAttachment,
)
from preau.directory.queries import SearchFilters, name_filter
from preau.documents.models import Node
from preau.sharing.access import shares_made_by
from preau.sharing.models import Share


def _class_members(class_ids: QuerySet[SchoolClass]) -> QuerySet[Membership]:
    return Membership.objects.filter(group__kind=GroupKind.CLASS,
                                     group__school_class__in=class_ids)


def _search_filters(user: User, *, q: str, profile: str, school: int | None,
                    class_id: int | None) -> SearchFilters | None:
    """The web search's filters from the API's ids; None when a filter names a school that
    does not exist or a class `user` may not open: such a search matches nobody."""
    structure = school_class = None
    if school is not None:
        structure = Structure.objects.filter(pk=school).first()
        if structure is None:
            return None
    if class_id is not None:
        school_class = visible_classes(user).filter(pk=class_id).first()
        if school_class is None:
            return None
    return SearchFilters(text=q, profile=profile, school=structure, school_class=school_class)


def search_people(user: User, *, q: str = "", profile: str = "", school: int | None = None,
                  class_id: int | None = None) -> QuerySet[User]:
    """The Annuaire's people search (`preau.directory.queries`), with the API's id filters."""
    filters = _search_filters(user, q=q, profile=profile, school=school, class_id=class_id)
    if filters is None:
        return User.objects.none()
    return directory_queries.search_people(user, filters)


def search_groups(user: User, *, q: str = "", profile: str = "", kind: str = "",
                  school: int | None = None, class_id: int | None = None) -> QuerySet[Group]:
    """The Annuaire's group search, with the API's id filters and a kind filter."""
    filters = _search_filters(user, q=q, profile=profile, school=school, class_id=class_id)
    if filters is None:
        return Group.objects.none()
    groups = directory_queries.search_groups(user, filters)
    return groups.filter(kind=kind) if kind else groups


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


def class_members(user: User, school_class: SchoolClass) -> tuple[dict[str, list[User]], int]:
    """The class's members by profile as `user` may see them, and how many are not listed:
    the web class page's roster (`directory.queries.class_roster`), never more."""
    roster = directory_queries.class_roster(user, school_class)
    by_profile: dict[str, list[User]] = defaultdict(list)
    by_profile[Profile.STUDENT] = roster.pupils
    for person in roster.teachers:
        by_profile[person.profile].append(person)
    by_profile[Profile.RELATIVE] = [row.parent for row in roster.parents]
    return by_profile, roster.hidden_count


def group_members(user: User, group: Group) -> tuple[list[User], int]:
    """The group's members `user` may reach (or themself), as the Annuaire shows them, and
    how many others."""
    members, hidden = directory_queries.group_members(user, group)
    return list(members), hidden


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
    visible_group_ids = set(addressable_groups(user).filter(pk__in=group_ids)
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
    users = users.filter(name_filter(q))
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


def shares_i_made(user: User) -> QuerySet[Share]:
    """What `user` shared, with whom, leaving out documents and folders in a trash (their
    shares are suspended until restored)."""
    trashed = Node.objects.filter(trashed_at__isnull=False).values("pk")
    return (shares_made_by(user).exclude(resource_type=Node.share_type, resource_id__in=trashed)
            .select_related("created_by").order_by("resource_type", "resource_id",
                                                   "created_at", "id"))
