"""Directory figures for operators (`preau directory stats`), in a fixed number of queries.

Each figure is one aggregate query (`values().annotate(Count)` or a filtered `Count`), so
the cost does not grow with the size of the académie. Every profile, state and group kind
is present, with 0 when there is none, so scripts and monitoring can rely on the keys.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from preau.accounts.models import Profile, State, User
from preau.directory.models import (
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolClass,
    SchoolYear,
    Structure,
)

ACTIVE_CLASS = Q(school_year__is_current=True, closed_at__isnull=True)


def directory_stats() -> dict[str, Any]:
    """Counts of the whole directory: 7 queries whatever its size."""
    current = SchoolYear.objects.filter(is_current=True).values_list("name", flat=True).first()
    classes = SchoolClass.objects.aggregate(total=Count("id"), active=Count("id",
                                                                             filter=ACTIVE_CLASS))
    by_profile = dict.fromkeys(Profile.values, 0)
    by_state = dict.fromkeys(State.values, 0)
    for row in User.objects.order_by().values("profile", "state").annotate(n=Count("id")):
        by_profile[row["profile"]] = by_profile.get(row["profile"], 0) + row["n"]
        by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
    by_kind = dict.fromkeys(GroupKind.values, 0)
    for row in Group.objects.order_by().values("kind").annotate(n=Count("id")):
        by_kind[row["kind"]] = row["n"]
    by_source = dict.fromkeys(MembershipSource.values, 0)
    for row in Membership.objects.order_by().values("source").annotate(n=Count("id")):
        by_source[row["source"]] = row["n"]
    links = RelativeLink.objects.aggregate(total=Count("id"),
                                           legal=Count("id", filter=Q(legal=True)))
    return {
        "current_school_year": current,
        "structures": Structure.objects.count(),
        "classes_active": classes["active"],
        "classes_archived": classes["total"] - classes["active"],
        "users": sum(by_profile.values()),
        "users_by_profile": by_profile,
        "users_by_state": by_state,
        "groups_by_kind": by_kind,
        "memberships_by_source": by_source,
        "relative_links": links["total"],
        "relative_links_legal": links["legal"],
    }
