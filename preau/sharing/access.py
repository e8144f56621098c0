"""Reads on shares: the ONE place that answers "which rights does this user hold here".

Every app's access function (`documents.access.access_node`, …) asks `rights_of`; lists of
what a user may see are built on `Share.objects.for_user`. One query whatever the depth of
the resource or the number of the user's groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from preau.accounts.models import User
from preau.directory.communication import reachable_users, visible_groups
from preau.sharing.models import Right, Share
from preau.sharing.registry import type_of

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
    visible = set(visible_groups(viewer).filter(pk__in=group_ids).values_list("pk", flat=True))
    shown = [s for s in own if (s.user_id in reachable if s.user_id else s.group_id in visible)]
    hidden = [s for s in own if s not in shown]
    return ResourceShares(own=shown, hidden=hidden, inherited=inherited)


def shares_made_by(user: User) -> QuerySet[Share]:
    """What `user` shared, with whom: the "Mes partages" page."""
    return (Share.objects.filter(created_by=user).select_related("user", "group")
            .order_by("resource_type", "resource_id", "created_at"))
