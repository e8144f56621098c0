"""Before the transition: owners keep what they want to keep (beyond the reference ENT).

From OWNER_NOTICE_DAYS before the transition, an owner sees "Mes partages aux groupes
classes": each resource they shared with a groupe de scolarité that will be purged, with
one action to turn the share into named shares to the group's current members, or to
share it with next year's teacher with *gestion*: exactly what the guide advises.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from preau.accounts.models import Profile, User
from preau.directory.communication import reachable_users
from preau.directory.models import SCOLARITE_KINDS, Membership, StructureAttachment
from preau.messaging.actions import do_deliver_notice
from preau.sharing.actions import SharingError, check_manage, check_share
from preau.sharing.models import Right, Share
from preau.sharing.registry import shareable_type
from preau.yearchange.models import OwnerNotice, YearCalendar
from preau.yearchange.schedule import OWNER_NOTICE_DAYS, active_calendar


def class_group_shares(user: User) -> QuerySet[Share]:
    """Shares the user made to groups the next transition purges (this year's
    groupes de scolarité)."""
    return (Share.objects.filter(created_by=user, group__kind__in=SCOLARITE_KINDS,
                                 group__school_year__is_current=True)
            .select_related("group", "group__structure").order_by("resource_type",
                                                                  "resource_id", "pk"))


@dataclass
class PurgeableShare:
    share: Share
    resource: Any
    label: str
    url: str
    members: int


def purgeable_shares(user: User) -> list[PurgeableShare]:
    rows = list(class_group_shares(user))
    counts: dict[int, int] = {}
    group_ids = {s.group_id for s in rows}
    for gid in Membership.objects.filter(group_id__in=group_ids).values_list("group_id",
                                                                            flat=True):
        counts[gid] = counts.get(gid, 0) + 1
    # One query per resource type, not one per share.
    resources: dict[str, dict[int, Any]] = {}
    for resource_type in {s.resource_type for s in rows}:
        resources[resource_type] = shareable_type(resource_type).fetch(
            s.resource_id for s in rows if s.resource_type == resource_type)
    result = []
    for share in rows:
        shareable = shareable_type(share.resource_type)
        resource = resources[share.resource_type].get(share.resource_id)
        if resource is None:
            continue
        result.append(PurgeableShare(share, resource, shareable.label(resource),
                                     shareable.link(resource),
                                     counts.get(share.group_id or 0, 0)))
    return result


def access_purgeable_share(user: User, share_id: int) -> PurgeableShare:
    from django.http import Http404

    for item in purgeable_shares(user):
        if item.share.pk == share_id:
            return item
    raise Http404


@transaction.atomic
def check_convert_to_members(actor: User, item: PurgeableShare) -> int:
    """Replace the class-group share by named shares (same rights) to its current members."""
    check_manage(actor, item.resource)
    share = item.share
    member_ids = set(Membership.objects.filter(group=share.group)
                     .values_list("user_id", flat=True))
    members = list(User.objects.alive().filter(pk__in=member_ids))
    if members:
        check_share(actor, item.resource, users=members, rights=share.rights)
    share.delete()
    return len(members)


def next_year_teachers(actor: User) -> QuerySet[User]:
    """The teachers the actor may hand a production to: those they may reach."""
    return (reachable_users(actor).filter(profile=Profile.TEACHER)
            .order_by("last_name", "first_name", "pk"))


def check_hand_to_teacher(actor: User, item: PurgeableShare, teacher: User) -> Share:
    """Share with next year's teacher with *gestion* (the class-group share stays until the
    transition purges it)."""
    if not next_year_teachers(actor).filter(pk=teacher.pk).exists():
        raise SharingError(_("Choose a teacher you may reach."))
    outcome = check_share(actor, item.resource, users=[teacher], rights=[Right.MANAGE])
    return outcome.shares[0]


def in_notice_period(calendar: YearCalendar | None, today: datetime.date) -> bool:
    return (calendar is not None
            and calendar.transition - datetime.timedelta(days=OWNER_NOTICE_DAYS) <= today
            < calendar.transition)


def do_notify_owners(today: datetime.date) -> int:
    """E-mail once, in the notice period, every owner with shares to class groups.
    Returns the number of owners told (the home banner shows it to everyone anyway)."""
    told = 0
    for calendar in YearCalendar.objects.select_related("academy"):
        if not in_notice_period(calendar, today):
            continue
        if active_calendar([calendar.academy_id], today) != calendar:
            continue
        people = StructureAttachment.objects.filter(structure__academy=calendar.academy)
        owners = (Share.objects.filter(group__kind__in=SCOLARITE_KINDS,
                                       group__school_year__is_current=True,
                                       created_by__in=people.values("user"))
                  .exclude(created_by__in=OwnerNotice.objects.filter(calendar=calendar)
                           .values("user"))
                  .values_list("created_by", flat=True).distinct())
        for owner in User.objects.filter(pk__in=list(owners)):
            count = class_group_shares(owner).count()
            subject = (_("Year change: %(n)s of your shares to class groups will be purged")
                       % {"n": count})
            text = (_("On %(date)s, shares to class groups (groupes de scolarité) are purged. "
                      "To keep a share for next year, share it by name; to hand a production "
                      "to next year's teacher, share it with the “manage” right. Préau lists "
                      "them under “My shares to class groups”.")
                    % {"date": calendar.transition.strftime("%d/%m/%Y")})
            # In the Messagerie, which every owner reads, and by e-mail when there is one;
            # recorded as told only with the message (a failure leaves it for the next run).
            with transaction.atomic():
                OwnerNotice.objects.get_or_create(user=owner, calendar=calendar,
                                                  defaults={"shares": count})
                do_deliver_notice([owner.pk], subject, format_html(
                    '<p>{}</p><p><a href="{}">{}</a></p>', text,
                    reverse("yearchange:my_shares"), _("My shares to class groups")))
            address = owner.academic_email or owner.email
            if address:
                send_mail(subject, text, None, [address], fail_silently=True)
            told += 1
    return told


def shares_to_purge_count(user: User) -> int:
    return class_group_shares(user).count()

