"""Reads on shares: the ONE place that answers "which rights does this user hold here".

Every app's access function (`documents.access.access_node`, …) asks `rights_of`; lists of
what a user may see are built on `Share.objects.for_user`. One query whatever the depth of
the resource or the number of the user's groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet
from django.http import Http404

from preau.accounts.models import User
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import Group
from preau.directory.queries import (
    PersonRow,
    SearchFilters,
    person_rows,
    search_groups,
    search_people,
)
from preau.sharing.models import Right, Share
from preau.sharing.registry import ShareableType, find_type, type_of

ALL_RIGHTS = frozenset(r.value for r in Right)
NO_RIGHTS: frozenset[str] = frozenset()


def rights_of(user: User, resource: Any) -> frozenset[str]:
    """The rights `user` holds on `resource`: all for its owners, else the union of the
    shares to them or their groups on the resource and on its containers (inheritance)."""
    if not user.is_authenticated:
        return NO_RIGHTS
    shareable = type_of(resource)
    if user.pk in shareable.owners(resource):
        return ALL_RIGHTS
    held: set[str] = set()
    for share in Share.objects.for_user(user.pk).on(shareable.key, shareable.chain(resource)):
        held |= share.rights
    return frozenset(held)


def may(user: User, resource: Any, right: str) -> bool:
    return right in rights_of(user, resource)


def access_resource(user: User, type_key: str, resource_id: int,
                    right: str = Right.MANAGE) -> tuple[ShareableType, Any]:
    """A resource of any registered type that `user` may act on with `right` (the share
    dialog needs "manage"): 404 for an unknown type or resource or one the user may not
    read, 403 when they read it without the right."""
    shareable = find_type(type_key)
    resource = shareable.get(resource_id) if shareable is not None else None
    if shareable is None or resource is None:
        raise Http404
    rights = rights_of(user, resource)
    if Right.READ not in rights:
        raise Http404
    if right not in rights:
        raise PermissionDenied
    return shareable, resource


@dataclass
class ResourceShares:
    """A resource's shares as its manager sees them in the share dialog."""

    own: list[Share]  # on the resource itself, to grantees the viewer may still reach
    hidden: list[Share]  # on the resource, to grantees the viewer cannot reach any more
    inherited: list[Share]  # on its containers (shown as such, changed there)

    @property
    def hidden_count(self) -> int:
        return len(self.hidden)


def shares_on(viewer: User, resource: Any) -> ResourceShares:
    shareable = type_of(resource)
    chain = list(shareable.chain(resource))
    rows = list(Share.objects.on(shareable.key, chain)
                .select_related("user", "group", "created_by")
                .order_by("created_at", "id"))
    own = [s for s in rows if s.resource_id == chain[0]]
    inherited = [s for s in rows if s.resource_id != chain[0]]
    user_ids = {s.user_id for s in own if s.user_id}
    group_ids = {s.group_id for s in own if s.group_id}
    reachable = set(reachable_users(viewer).filter(pk__in=user_ids).values_list("pk", flat=True))
    reachable.add(viewer.pk)
    visible = set(addressable_groups(viewer).filter(pk__in=group_ids).values_list("pk", flat=True))
    shown = [s for s in own if (s.user_id in reachable if s.user_id else s.group_id in visible)]
    hidden = [s for s in own if s not in shown]
    return ResourceShares(own=shown, hidden=hidden, inherited=inherited)


def shares_made_by(user: User) -> QuerySet[Share]:
    """What `user` shared, with whom: the "Mes partages" page."""
    return (Share.objects.filter(created_by=user).select_related("user", "group")
            .order_by("resource_type", "resource_id", "created_at"))


# The share dialog and "Mes partages" ----------------------------------------------------------


def _within_reach(viewer: User, shares: Iterable[Share]) -> tuple[set[int], set[int]]:
    """The users and groups of `shares` that `viewer` may still reach (two queries)."""
    shares = list(shares)
    user_ids = {s.user_id for s in shares if s.user_id}
    group_ids = {s.group_id for s in shares if s.group_id}
    users: set[int] = set()
    groups: set[int] = set()
    if user_ids:
        users = set(reachable_users(viewer).filter(pk__in=user_ids).values_list("pk", flat=True))
    users.add(viewer.pk)
    if group_ids:
        groups = set(addressable_groups(viewer).filter(pk__in=group_ids)
                     .values_list("pk", flat=True))
    return users, groups


def _is_reached(share: Share, users: set[int], groups: set[int]) -> bool:
    return share.user_id in users if share.user_id else share.group_id in groups


@dataclass
class InheritedShare:
    share: Share
    container: Any  # the folder (or other container) the share is made on
    label: str


@dataclass
class DialogShares:
    """What the share dialog shows: the resource's own shares (editable), how many go to
    grantees out of the viewer's reach (removable only), and the shares inherited from its
    containers (read-only here, changed on the container)."""

    own: list[Share]
    hidden: list[Share]
    inherited: list[InheritedShare]
    inherited_hidden_count: int

    @property
    def hidden_count(self) -> int:
        return len(self.hidden)

    @property
    def is_empty(self) -> bool:
        return not (self.own or self.hidden or self.inherited or self.inherited_hidden_count)


def dialog_shares(viewer: User, resource: Any) -> DialogShares:
    """The shares on `resource` and its containers as `viewer`, who may manage it, sees
    them. Out-of-reach grantees are counted, never named."""
    shareable = type_of(resource)
    found = shares_on(viewer, resource)
    users, groups = _within_reach(viewer, found.inherited)
    containers = shareable.fetch(s.resource_id for s in found.inherited)
    inherited: list[InheritedShare] = []
    inherited_hidden = 0
    for share in found.inherited:
        container = containers.get(share.resource_id)
        if container is None:  # a container in the trash gives nothing (rights_of agrees)
            continue
        if not _is_reached(share, users, groups):
            inherited_hidden += 1
            continue
        inherited.append(InheritedShare(share=share, container=container,
                                        label=shareable.label(container)))
    return DialogShares(own=found.own, hidden=found.hidden, inherited=inherited,
                        inherited_hidden_count=inherited_hidden)


def own_share(resource: Any, share_id: int) -> Share | None:
    """A share made on `resource` itself (not on a container), or None."""
    shareable = type_of(resource)
    return (Share.objects.filter(pk=share_id, resource_type=shareable.key,
                                 resource_id=resource.pk)
            .select_related("user", "group").first())


def shared_grantees(resource: Any) -> tuple[set[int], set[int]]:
    """Users and groups already holding a share on `resource` itself."""
    shareable = type_of(resource)
    users: set[int] = set()
    groups: set[int] = set()
    for user_id, group_id in Share.objects.filter(
            resource_type=shareable.key, resource_id=resource.pk).values_list("user_id",
                                                                              "group_id"):
        if user_id:
            users.add(user_id)
        else:
            groups.add(group_id)
    return users, groups


CANDIDATE_LIMIT = 20


@dataclass
class Candidates:
    groups: list[Group]
    people: list[PersonRow]
    more: bool


def share_candidates(viewer: User, resource: Any, text: str) -> Candidates:
    """People and groups matching `text` that `viewer` may share with (the Annuaire's
    search, so the communication rules apply), without those already holding a share."""
    filters = SearchFilters(text=text)
    users, groups = shared_grantees(resource)
    found_groups = list(search_groups(viewer, filters).exclude(pk__in=groups)
                        [:CANDIDATE_LIMIT + 1])
    found_people = person_rows(search_people(viewer, filters).exclude(pk__in=users)
                               [:CANDIDATE_LIMIT + 1])
    return Candidates(groups=found_groups[:CANDIDATE_LIMIT],
                      people=found_people[:CANDIDATE_LIMIT],
                      more=len(found_groups) > CANDIDATE_LIMIT
                      or len(found_people) > CANDIDATE_LIMIT)


def resources_shared_by(user: User) -> QuerySet[Any]:
    """The resources `user` shared, most recently shared first: rows of
    {resource_type, resource_id, last}. Paginate it, then `shared_resources` a page."""
    return (shares_made_by(user).order_by().values("resource_type", "resource_id")
            .annotate(last=Max("created_at")).order_by("-last", "resource_type", "-resource_id"))


@dataclass
class SharedResource:
    shareable: ShareableType
    resource: Any
    label: str
    link: str
    shares: list[Share] = field(default_factory=list)
    hidden_count: int = 0


def shared_resources(user: User, keys: Sequence[dict[str, Any]]) -> list[SharedResource]:
    """The resources of `keys` (rows of `resources_shared_by`) with what `user` shared on
    each, in a fixed number of queries: one per resource type, one for the shares, two for
    the reach. Resources gone (deleted, in the trash) are left out."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        by_type[key["resource_type"]].append(key["resource_id"])
    resources: dict[tuple[str, int], SharedResource] = {}
    clause = Q(pk__in=[])
    for type_key, ids in by_type.items():
        shareable = find_type(type_key)
        if shareable is None:
            continue
        for pk, resource in shareable.fetch(ids).items():
            resources[(type_key, pk)] = SharedResource(
                shareable=shareable, resource=resource, label=shareable.label(resource),
                link=shareable.link(resource))
        clause |= Q(resource_type=type_key, resource_id__in=ids)
    shares = list(shares_made_by(user).filter(clause))
    users, groups = _within_reach(user, shares)
    for share in shares:
        row = resources.get((share.resource_type, share.resource_id))
        if row is None:
            continue
        if _is_reached(share, users, groups):
            row.shares.append(share)
        else:
            row.hidden_count += 1
    return [resources[(k["resource_type"], k["resource_id"])] for k in keys
            if (k["resource_type"], k["resource_id"]) in resources]
