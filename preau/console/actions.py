"""Writes made from the console that the accounts and directory apps do not offer themselves.

Each `check_*` validates (raising `ConsoleError` with a message for the admin) then writes;
each `do_*` writes. Every change to a person records a UserEvent, so the user's history
in the console tells who did what.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from preau.accounts.actions import do_block, do_create_user, record_event
from preau.accounts.models import FEED_SOURCES, Profile, Source, User, UserEvent
from preau.directory.actions import (
    do_add_to_class,
    do_attach_to_structure,
    do_create_class,
    do_detach_from_structure,
    do_detach_teacher_from_class,
    do_link_relative,
)
from preau.directory.models import (
    CommunicationRule,
    GroupKind,
    Level,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.documents.actions import do_set_profile_quota, do_set_user_quota, profile_quota
from preau.documents.sizes import size_label
from preau.lib.errors import Refusal
from preau.lib.text import clean_line

logger = logging.getLogger(__name__)

# Profiles an admin may create by hand in any school; teachers and pupils come from the
# feeds, except in schools that have none.
MANUAL_PROFILES = (Profile.GUEST, Profile.RELATIVE, Profile.PERSONNEL)
NO_FEED_PROFILES = (Profile.TEACHER, Profile.STUDENT)
# Accounts whose identity the console may edit: the others belong to a feed (or an IdP).
EDITABLE_SOURCES = (Source.MANUAL, Source.CSV)
SCHOOL_ADMIN_PROFILES = (Profile.TEACHER, Profile.PERSONNEL)
SCHOOL_YEAR_NAME = re.compile(r"^(\d{4})-(\d{4})$")


class ConsoleError(Refusal):
    """A refused change; the message is for the admin (translated)."""


def identity_is_editable(user: User) -> bool:
    return user.source in EDITABLE_SOURCES


def profiles_creatable_in(structure: Structure) -> tuple[str, ...]:
    if structure.has_feed:
        return MANUAL_PROFILES
    return MANUAL_PROFILES + NO_FEED_PROFILES


# Accounts --------------------------------------------------------------------------------


def check_block(user: User, actor: User, reason: str = "") -> None:
    if user.pk == actor.pk:
        raise ConsoleError(_("You cannot block your own account."))
    do_block(user, actor, reason.strip())


@transaction.atomic
def check_create_account(actor: User, *, first_name: str, last_name: str, profile: str,
                         structure: Structure, email: str = "",
                         birth_date: datetime.date | None = None,
                         school_class: SchoolClass | None = None) -> User:
    """A manual account (guest, foster family, staff; teachers and pupils in schools without
    feed), attached to one school, waiting for activation."""
    if profile not in profiles_creatable_in(structure):
        raise ConsoleError(_(
            "Teachers and pupils of this school come from the académie's feed: they cannot "
            "be created by hand."))
    first_name, last_name = clean_line(first_name), clean_line(last_name)
    if not first_name or not last_name:
        raise ConsoleError(_("Give a first name and a last name."))
    if school_class is not None:
        if profile != Profile.STUDENT:
            raise ConsoleError(_("Only a pupil can be put in a class when the account is "
                                 "created."))
        if school_class.structure_id != structure.pk or not school_class.is_active:
            raise ConsoleError(_("Choose a class of this school for the current school year."))
    user = do_create_user(first_name=first_name, last_name=last_name, profile=profile,
                          source=Source.MANUAL, actor=actor, email=email.strip(),
                          birth_date=birth_date)
    do_attach_to_structure(user, structure, Source.MANUAL, actor)
    if school_class is not None:
        do_add_to_class(user, school_class, MembershipSource.MANUAL, actor)
        record_event(user, UserEvent.Kind.ATTACHED, actor, school_class.name,
                     class_id=school_class.pk)
    return user


@transaction.atomic
def check_update_identity(user: User, actor: User, *, first_name: str, last_name: str,
                          email: str, birth_date: datetime.date | None) -> list[str]:
    """Edits the identity of a manual account; returns the names of the changed fields."""
    if not identity_is_editable(user):
        raise ConsoleError(_("This account comes from a feed: its identity is updated by the "
                             "feed only."))
    first_name, last_name, email = clean_line(first_name), clean_line(last_name), email.strip()
    if not first_name or not last_name:
        raise ConsoleError(_("Give a first name and a last name."))
    new = {"first_name": first_name, "last_name": last_name, "email": email,
           "birth_date": birth_date}
    changed = [field for field, value in new.items() if getattr(user, field) != value]
    if not changed:
        return []
    before = {field: str(getattr(user, field) or "") for field in changed}
    for field in changed:
        setattr(user, field, new[field])
    if "first_name" in changed or "last_name" in changed:
        user.display_name = ""  # recomputed from the names by User.save
    user.save()
    labels = ", ".join(str(getattr(User._meta.get_field(field), "verbose_name", field))
                       for field in changed)
    record_event(user, UserEvent.Kind.UPDATED, actor, _("Identity edited: %(fields)s") % {
        "fields": labels}, before=before,
        after={field: str(new[field] or "") for field in changed})
    return changed


def check_detach_from_structure(user: User, structure: Structure, actor: User) -> None:
    attachment = StructureAttachment.objects.filter(user=user, structure=structure).first()
    if attachment is None:
        raise ConsoleError(_("This person is not attached to this school."))
    if attachment.source in FEED_SOURCES:
        raise ConsoleError(_("This attachment comes from the feed: the feed would restore it. "
                             "It ends when the feed stops listing the person in this school."))
    do_detach_from_structure(user, structure, actor)


@transaction.atomic
def check_link_child(relative: User, student: User, actor: User) -> None:
    """A manual parent link, for foster families and parents missing from the feed."""
    if relative.profile != Profile.RELATIVE or student.profile != Profile.STUDENT:
        raise ConsoleError(_("A parent link joins a parent or a foster family to a pupil."))
    if RelativeLink.objects.filter(relative=relative, student=student).exists():
        raise ConsoleError(_("This link already exists."))
    do_link_relative(relative, student, Source.MANUAL)
    record_event(relative, UserEvent.Kind.ATTACHED, actor, student.full_name,
                 child_id=student.pk)
    record_event(student, UserEvent.Kind.ATTACHED, actor, relative.full_name,
                 relative_id=relative.pk)


@transaction.atomic
def check_unlink_child(relative: User, student: User, actor: User) -> None:
    link = RelativeLink.objects.filter(relative=relative, student=student).first()
    if link is None:
        raise ConsoleError(_("This link does not exist."))
    if link.source in FEED_SOURCES:
        raise ConsoleError(_("This link comes from the feed: it is removed when the feed no "
                             "longer lists it."))
    link.delete()
    record_event(relative, UserEvent.Kind.DETACHED, actor, student.full_name,
                 child_id=student.pk)
    record_event(student, UserEvent.Kind.DETACHED, actor, relative.full_name,
                 relative_id=relative.pk)


# Schools ---------------------------------------------------------------------------------


@transaction.atomic
def check_set_school_admin(structure: Structure, login: str, actor: User) -> User:
    """Names a school admin by login (ENT admins only: they may see every account)."""
    user = User.objects.filter(login=login.strip()).first()
    if user is None:
        raise ConsoleError(_("No account has this login."))
    if user.profile not in SCHOOL_ADMIN_PROFILES:
        raise ConsoleError(_("Only teachers and staff can administer a school."))
    if not user.is_active:
        raise ConsoleError(_("This account cannot log in (blocked or deleted)."))
    _row, created = SchoolAdmin.objects.get_or_create(user=user, structure=structure)
    if not created:
        raise ConsoleError(_("This person already administers this school."))
    record_event(user, UserEvent.Kind.UPDATED, actor,
                 _("Became administrator of %(school)s") % {"school": structure.name},
                 uai=structure.uai, school_admin=True)
    return user


@transaction.atomic
def do_remove_school_admin(structure: Structure, user: User, actor: User) -> None:
    deleted, _rows = SchoolAdmin.objects.filter(user=user, structure=structure).delete()
    if deleted:
        record_event(user, UserEvent.Kind.UPDATED, actor,
                     _("No longer administrator of %(school)s") % {"school": structure.name},
                     uai=structure.uai, school_admin=False)


def check_detach_teacher(teacher: User, school_class: SchoolClass, actor: User) -> None:
    """Undoes a hand-made class attachment; the feed's stay the feed's."""
    if not Membership.objects.filter(user=teacher, group__school_class=school_class,
                                     group__kind=GroupKind.CLASS,
                                     source=MembershipSource.MANUAL).exists():
        raise ConsoleError(_("This class attachment comes from the feed: the feed keeps it up "
                             "to date."))
    do_detach_teacher_from_class(teacher, school_class, actor)


def check_create_class(structure: Structure, code: str, name: str,
                       levels: Collection[str]) -> SchoolClass:
    """A class made by hand, for the schools that no feed describes."""
    if structure.has_feed:
        raise ConsoleError(_("The classes of this school come from the feed."))
    code, name = clean_line(code), clean_line(name)
    if not code or not name:
        raise ConsoleError(_("Give the class a code and a name."))
    if any(level not in Level.values for level in levels):
        raise ConsoleError(_("Unknown level."))
    year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        raise ConsoleError(_("No school year is current: set one first."))
    if SchoolClass.objects.filter(structure=structure, school_year=year, code=code).exists():
        raise ConsoleError(_("A class with this code already exists this school year."))
    ordered = [level for level in Level.values if level in levels]
    return do_create_class(structure, code, name, ordered, year)


# Communication rules ---------------------------------------------------------------------


@transaction.atomic
def do_update_rules(enabled_ids: Collection[int], actor: User) -> list[CommunicationRule]:
    """Switches rules on or off; takes effect at once (the rules are read on every call)."""
    changed = []
    for rule in CommunicationRule.objects.select_for_update():
        enabled = rule.pk in enabled_ids
        if rule.enabled != enabled:
            rule.enabled = enabled
            rule.updated_by = actor
            rule.save(update_fields=["enabled", "updated_by", "updated_at"])
            changed.append(rule)
    if changed:
        logger.info("communication rules changed by %s: %s", actor.login,
                    ", ".join(f"{r.pk}={'on' if r.enabled else 'off'}" for r in changed))
    return changed


# School years ----------------------------------------------------------------------------


def check_create_school_year(name: str, start: datetime.date, end: datetime.date) -> SchoolYear:
    match = SCHOOL_YEAR_NAME.match(name.strip())
    if match is None or int(match.group(2)) != int(match.group(1)) + 1:
        raise ConsoleError(_("A school year is named after its two calendar years, "
                             "e.g. 2024-2025."))
    if end <= start:
        raise ConsoleError(_("The school year must end after it starts."))
    if SchoolYear.objects.filter(name=name.strip()).exists():
        raise ConsoleError(_("This school year already exists."))
    if SchoolYear.objects.filter(start__lt=end, end__gt=start).exists():
        raise ConsoleError(_("These dates overlap another school year."))
    try:
        with transaction.atomic():
            return SchoolYear.objects.create(name=name.strip(), start=start, end=end)
    except IntegrityError:
        raise ConsoleError(_("This school year already exists.")) from None


@transaction.atomic
def do_set_current_school_year(year: SchoolYear, actor: User) -> None:
    """One current year (a constraint says so): the old one is unset first, in one
    transaction, so readers never see two or none."""
    list(SchoolYear.objects.select_for_update().all())
    SchoolYear.objects.filter(is_current=True).exclude(pk=year.pk).update(is_current=False)
    if not year.is_current:
        year.is_current = True
        year.save(update_fields=["is_current"])
    logger.info("current school year set to %s by %s", year.name, actor.login)


# Document space quotas -------------------------------------------------------------------

# A quota above this is surely a typing mistake (1 PiB).
MAX_QUOTA = 1024 ** 5


def _check_quota_value(limit: int) -> None:
    if limit < 0:
        raise ConsoleError(_("A quota cannot be negative."))
    if limit > MAX_QUOTA:
        raise ConsoleError(_("This quota is too large."))


def check_set_profile_quota(profile: str, limit: int, actor: User) -> None:
    """The quota of every account of `profile` that has no quota of its own (ENT admins)."""
    if profile not in Profile.values:
        raise ConsoleError(_("Unknown profile."))
    _check_quota_value(limit)
    before = profile_quota(profile)
    do_set_profile_quota(profile, limit)
    logger.info("quota of profile %s set from %s to %s bytes by %s", profile, before, limit,
                actor.login)


@transaction.atomic
def check_set_user_quota(user: User, limit: int | None, actor: User) -> None:
    """One account's own quota (ENT admins); None gives it back its profile's quota."""
    if limit is not None:
        _check_quota_value(limit)
    do_set_user_quota(user, limit)
    if limit is None:
        message = _("Document space quota: back to the profile's (%(limit)s)") % {
            "limit": size_label(profile_quota(user.profile))}
    else:
        message = _("Document space quota set to %(limit)s") % {"limit": size_label(limit)}
    record_event(user, UserEvent.Kind.UPDATED, actor, message, quota=limit)
