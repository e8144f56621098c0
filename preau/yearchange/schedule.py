"""Where an académie stands in its year change, and what Préau expects next."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from preau.accounts.models import Profile, User
from preau.directory.models import Academy, SchoolYear, StructureAttachment
from preau.yearchange.models import Phase, YearCalendar

# A calendar matters from a month before the end of the school year to a month after the
# first families' feed; outside that window there is no year change going on.
WINDOW = datetime.timedelta(days=31)
OWNER_NOTICE_DAYS = 15


def default_calendar(academy: Academy, school_year: SchoolYear) -> YearCalendar:
    """The usual dates (ONDE's calendar, transition on 24 August), to be adjusted."""
    start = school_year.start.year
    return YearCalendar(
        academy=academy, school_year=school_year,
        end_of_year=datetime.date(start, 7, 7),
        first_teachers_feed=datetime.date(start, 8, 18),
        transition=datetime.date(start, 8, 24),
        rentree=school_year.start,
        bascule_onde=school_year.start + datetime.timedelta(days=8),
        first_families_feed=school_year.start + datetime.timedelta(days=10))


def active_calendar(academy_ids: list[int] | QuerySet, today: datetime.date) -> YearCalendar | None:
    for calendar in (YearCalendar.objects.filter(academy__in=academy_ids)
                     .select_related("academy", "school_year").order_by("-end_of_year")):
        if calendar.end_of_year - WINDOW <= today <= calendar.first_families_feed + WINDOW:
            return calendar
    return None


def calendar_of(user: User, today: datetime.date) -> YearCalendar | None:
    academies = (StructureAttachment.objects.filter(user=user)
                 .values("structure__academy"))
    return active_calendar(academies, today)


@dataclass
class Step:
    label: str
    date: datetime.date


def steps(calendar: YearCalendar) -> list[Step]:
    return [
        Step(_("End of school year: feeds suspended, logins still work"), calendar.end_of_year),
        Step(_("First teachers' and staff feed of the new year"), calendar.first_teachers_feed),
        Step(_("Transition: shares to groupes de scolarité are purged"), calendar.transition),
        Step(_("Rentrée"), calendar.rentree),
        Step(_("Bascule ONDE"), calendar.bascule_onde),
        Step(_("First families' feed: pupils and parents in their new classes"),
             calendar.first_families_feed),
    ]


def next_step(calendar: YearCalendar, today: datetime.date) -> Step | None:
    return next((step for step in steps(calendar) if step.date > today), None)


def feeds_suspended(academy: Academy, today: datetime.date) -> bool:
    """The calendar's summer freeze: between the end of the school year and the first
    teachers' feed, feed runs are refused (or held) as when an admin suspends them."""
    calendar = active_calendar([academy.pk], today)
    return calendar is not None and calendar.phase(today) == Phase.SUMMER_FREEZE


def waiting_for_families(calendar: YearCalendar | None, today: datetime.date) -> bool:
    """Between the end of the year and the first families' feed: last year's classes."""
    return calendar is not None and calendar.end_of_year <= today < calendar.first_families_feed


FAMILY_PROFILES = (Profile.STUDENT, Profile.RELATIVE)
