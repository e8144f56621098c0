"""What each user sees of the year change, in a banner on the home page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from preau.accounts.models import Profile, User
from preau.directory.models import GroupKind, Membership
from preau.yearchange.models import Phase
from preau.yearchange.owners import in_notice_period, shares_to_purge_count
from preau.yearchange.schedule import FAMILY_PROFILES, calendar_of, waiting_for_families
from preau.yearchange.transition import archived_classes_of


@dataclass
class Banner:
    kind: str  # "info" | "warning"
    text: str
    link: str = ""
    link_text: str = ""


def _has_current_class(user: User) -> bool:
    return Membership.objects.filter(
        user=user, group__kind=GroupKind.CLASS, group__school_class__school_year__is_current=True,
        group__school_class__closed_at__isnull=True).exists()


def banners_for(user: User, today: datetime.date) -> list[Banner]:
    calendar = calendar_of(user, today)
    if calendar is None:
        return []
    banners: list[Banner] = []
    phase = calendar.phase(today)
    if phase == Phase.SUMMER_FREEZE:
        banners.append(Banner("info", _(
            "The school year is over: the directory is frozen until the new year's feeds. "
            "You can still log in and use your documents.")))
    if (user.profile == Profile.TEACHER and phase not in (Phase.SCHOOL_YEAR,
                                                          Phase.SUMMER_FREEZE)
            and not _has_current_class(user)):
        banners.append(Banner("info", _(
            "You will be attached to your class as soon as it appears with at least one "
            "pupil.")))
    if user.profile in FAMILY_PROFILES and waiting_for_families(calendar, today):
        banners.append(Banner("info", _(
            "The new school year's classes will appear after the bascule ONDE (%(date)s). "
            "Until then, last year's class is shown.") % {
                "date": calendar.bascule_onde.strftime("%d/%m/%Y")}))
        if not _has_current_class(user):
            last = [f"{c.name} ({c.structure.name})" for c in archived_classes_of(user)
                    .filter(school_year__end__lt=today).select_related("structure")[:3]]
            if last:
                banners.append(Banner("info", _("Last year's class (archived): %(classes)s")
                                      % {"classes": ", ".join(last)}))
    if in_notice_period(calendar, today):
        count = shares_to_purge_count(user)
        if count:
            banners.append(Banner(
                "warning",
                _("On %(date)s, %(n)s of your shares to class groups will be purged. Share by "
                  "name what must stay shared, or hand it to next year's teacher.") % {
                    "date": calendar.transition.strftime("%d/%m/%Y"), "n": count},
                reverse("yearchange:my_shares"), _("My shares to class groups")))
    return banners
