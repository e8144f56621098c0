"""Writes on the directory. Views, feeds and the demo call these; nothing else writes."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from preau.accounts.actions import record_event
from preau.accounts.models import Profile, Source, State, User, UserEvent
from preau.directory.access import PENDING_SELF_ATTACHMENT, can_approve_attachments
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import (
    BookmarkMember,
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    SchoolYear,
    ShareBookmark,
    Structure,
    StructureAttachment,
)
from preau.directory.queries import unreachable_bookmark_members
from preau.lib.errors import Refusal
from preau.lib.text import clean_line

PROFILE_GROUP_NAMES: dict[str, str] = {
    Profile.TEACHER: _("Teachers"),
    Profile.PERSONNEL: _("Staff"),
    Profile.STUDENT: _("Pupils"),
    Profile.RELATIVE: _("Parents"),
    Profile.GUEST: _("Guests"),
}
# Names are stored in French: they are data shown to everyone, like a class name.
PROFILE_GROUP_LABELS_FR: dict[str, str] = {
    Profile.TEACHER: "Enseignants",
    Profile.PERSONNEL: "Personnels",
    Profile.STUDENT: "Élèves",
    Profile.RELATIVE: "Parents",
    Profile.GUEST: "Invités",
}
CLASS_GROUP_PROFILES = (Profile.STUDENT, Profile.RELATIVE, Profile.TEACHER, Profile.PERSONNEL)


class DirectoryError(Refusal):
    """A refused directory change; the message is for the user (translated)."""


def ensure_structure_groups(structure: Structure) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for profile in Profile.values:
        group, _created = Group.objects.get_or_create(
            kind=GroupKind.STRUCTURE, structure=structure, profile=profile,
            defaults={"name": f"{PROFILE_GROUP_LABELS_FR[profile]} — {structure.name}"[:200]},
        )
        groups[profile] = group
    return groups


def ensure_class_groups(school_class: SchoolClass) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for profile in CLASS_GROUP_PROFILES:
        group, _created = Group.objects.get_or_create(
            kind=GroupKind.CLASS, school_class=school_class, profile=profile,
            defaults={"name": f"{PROFILE_GROUP_LABELS_FR[profile]} — {school_class.name}"[:200],
                      "structure": school_class.structure,
                      "school_year": school_class.school_year},
        )
        groups[profile] = group
    return groups


@transaction.atomic
def do_create_class(structure: Structure, code: str, name: str, levels: list[str],
                    school_year: SchoolYear | None = None) -> SchoolClass:
    school_class, _created = SchoolClass.objects.get_or_create(
        structure=structure, school_year=school_year or SchoolYear.current(), code=code,
        defaults={"name": name, "levels": levels},
    )
    ensure_class_groups(school_class)
    return school_class


def _add_member(group: Group, user: User, source: str, actor: User | None = None) -> None:
    Membership.objects.get_or_create(group=group, user=user, source=source,
                                     defaults={"added_by": actor})


@transaction.atomic
def do_attach_to_structure(user: User, structure: Structure, source: str = Source.MANUAL,
                           actor: User | None = None, is_director: bool = False) -> None:
    """Attach a user to a school and to the school's group of their profile."""
    attachment, created = StructureAttachment.objects.get_or_create(
        user=user, structure=structure, defaults={"source": source, "is_director": is_director})
    if not created and is_director and not attachment.is_director:
        attachment.is_director = True
        attachment.save(update_fields=["is_director"])
    membership_source = MembershipSource.MANUAL if source == Source.MANUAL else \
        MembershipSource.FEED
    group = ensure_structure_groups(structure)[user.profile]
    _add_member(group, user, membership_source, actor)
    if created:
        record_event(user, UserEvent.Kind.ATTACHED, actor, structure.name, uai=structure.uai)


@transaction.atomic
def do_detach_from_structure(user: User, structure: Structure, actor: User | None = None) -> None:
    """Detach a user from a school: its groups and classes there go with it."""
    Membership.objects.filter(user=user, group__structure=structure).delete()
    deleted, _rows = StructureAttachment.objects.filter(user=user, structure=structure).delete()
    if deleted:
        record_event(user, UserEvent.Kind.DETACHED, actor, structure.name, uai=structure.uai)


@transaction.atomic
def do_add_to_class(user: User, school_class: SchoolClass, source: str,
                    actor: User | None = None) -> None:
    """Put a user in a class's group of their profile (and attach them to the school)."""
    if not StructureAttachment.objects.filter(user=user,
                                              structure=school_class.structure).exists():
        do_attach_to_structure(user, school_class.structure,
                               Source.MANUAL if source == MembershipSource.MANUAL else Source.AAF1D,
                               actor)
    group = ensure_class_groups(school_class)[user.profile]
    _add_member(group, user, source, actor)


def class_has_pupils(school_class: SchoolClass) -> bool:
    return Membership.objects.filter(group__school_class=school_class,
                                     group__kind=GroupKind.CLASS,
                                     group__profile=Profile.STUDENT,
                                     user__state__in=("pending", "active", "missing",
                                                      "blocked")).exists()


@transaction.atomic
def check_attach_teacher_to_class(teacher: User, school_class: SchoolClass, actor: User,
                                  *, as_admin: bool = False) -> None:
    """The guide's rule: a teacher attaches to a class only once a pupil of it is in the ENT.

    A school admin (`as_admin`) may attach any teacher to any class of their school; that
    also approves an attachment the teacher made herself. A teacher's own attachment gives
    her the class in the Annuaire at once, but power over its pupils' accounts only once
    the head teacher approves it: the head teachers and school admins are told in the
    Messagerie. A head teacher's own attachment is approved by herself at once.
    """
    if teacher.profile not in (Profile.TEACHER, Profile.PERSONNEL):
        raise DirectoryError(_("Only teachers and staff can be attached to a class."))
    if not school_class.is_active:
        raise DirectoryError(_("This class is not a class of the current school year."))
    if not as_admin:
        if not StructureAttachment.objects.filter(user=teacher,
                                                  structure=school_class.structure).exists():
            raise DirectoryError(_("You are not attached to this school."))
        if not class_has_pupils(school_class):
            raise DirectoryError(_(
                "You can be attached to your class only once at least one of its pupils is "
                "in the ENT. Missing pupils? They arrive progressively: pupils come with the "
                "pupils and parents feed after the ONDE switch-over, and first classes "
                "(TPS-PS, CP, CE2) often arrive a few days later. Try again in a few days; if "
                "it lasts, ask your school administrator or contact your circonscription's "
                "eRun."
            ))
    do_add_to_class(teacher, school_class, MembershipSource.MANUAL, actor)
    record_event(teacher, UserEvent.Kind.ATTACHED, actor, school_class.name,
                 class_id=school_class.pk)
    pending = Membership.objects.filter(
        PENDING_SELF_ATTACHMENT, user=teacher, group__school_class=school_class,
        group__kind=GroupKind.CLASS, group__profile=Profile.TEACHER).first()
    if pending is None:
        return
    if Membership.objects.filter(
            user=teacher, group__school_class=school_class, group__kind=GroupKind.CLASS,
            group__profile=Profile.TEACHER).exclude(PENDING_SELF_ATTACHMENT).exists():
        return  # the feed or an admin linked her already: nothing to approve for her powers
    if actor.pk != teacher.pk:  # an admin attaching her: her own attachment is approved
        do_approve_class_attachment(pending, actor)
    elif can_approve_attachments(teacher, school_class.structure):
        do_approve_class_attachment(pending, teacher)
    else:
        _ask_head_teachers(teacher, school_class)


def _ask_head_teachers(teacher: User, school_class: SchoolClass) -> None:
    """A notice in the Messagerie of the school's head teachers and school admins: a
    teacher attached herself to a class and waits for their approval."""
    from preau.messaging.actions import do_deliver_notice  # messaging imports this module

    structure = school_class.structure
    approvers = set(SchoolAdmin.objects.filter(structure=structure).values_list("user_id",
                                                                                 flat=True))
    approvers |= set(StructureAttachment.objects.filter(structure=structure, is_director=True)
                     .values_list("user_id", flat=True))
    approvers = set(User.objects.filter(pk__in=approvers).exclude(pk=teacher.pk).exclude(
        state__in=(State.DELETED, State.PREDELETED)).values_list("pk", flat=True))
    if not approvers:
        return  # ENT admins see it in the console's school page
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(teacher)s attached themself to %(class)s: your approval is needed") % {
            "teacher": teacher.full_name, "class": school_class.name}
        text = _("%(teacher)s attached themself to the class %(class)s (%(school)s). They "
                 "now see the class and may write to it as the communication rules allow. "
                 "To reset its pupils' passwords and print its connection sheets, which hand "
                 "out activation codes, they need your approval: approve the attachment, or "
                 "remove it if it is a mistake, on the class's page.") % {
            "teacher": teacher.full_name, "class": school_class.name,
            "school": structure.name}
        do_deliver_notice(approvers, subject, format_html(
            '<p>{}</p><p><a href="{}">{}</a></p>', text,
            reverse("directory:class", args=[school_class.pk]), school_class.name))


@transaction.atomic
def do_approve_class_attachment(link: Membership, actor: User) -> None:
    """The head teacher (or an admin) approves a teacher's own attachment to a class: who
    and when are kept on the link and in the teacher's history."""
    school_class = link.group.school_class
    assert school_class is not None
    link.approved_by = actor
    link.approved_at = timezone.now()
    link.save(update_fields=["approved_by", "approved_at"])
    record_event(link.user, UserEvent.Kind.ATTACHMENT_APPROVED, actor, school_class.name,
                 class_id=school_class.pk)


def check_approve_class_attachment(link: Membership, actor: User) -> None:
    """Callers fetch `link` with `access_class_attachment(actor, id, approve=True)`."""
    if link.source != MembershipSource.MANUAL or link.added_by_id != link.user_id:
        raise DirectoryError(_("The feed or an administrator made this attachment: it needs "
                               "no approval."))
    if link.approved_at is not None:
        raise DirectoryError(_("This attachment is already approved."))
    do_approve_class_attachment(link, actor)


def check_remove_class_attachment(link: Membership, actor: User) -> None:
    """The head teacher removes a teacher's attachment made by hand (one she made herself
    by mistake, say); the feed's stay the feed's. Callers fetch `link` with
    `access_class_attachment(actor, id, approve=True)`."""
    if link.source != MembershipSource.MANUAL:
        raise DirectoryError(_("This class attachment comes from the feed: the feed keeps it "
                               "up to date."))
    school_class = link.group.school_class
    assert school_class is not None
    do_detach_teacher_from_class(link.user, school_class, actor)


@transaction.atomic
def check_detach_teacher_from_class(teacher: User, school_class: SchoolClass,
                                    actor: User) -> None:
    """Only a teacher's or staff member's own hand-made attachment can be undone this way:
    a pupil or parent never leaves a class through it, and feed links stay the feed's."""
    if teacher.profile not in (Profile.TEACHER, Profile.PERSONNEL):
        raise DirectoryError(_("Only teachers and staff can be attached to a class."))
    if not Membership.objects.filter(user=teacher, group__school_class=school_class,
                                     group__kind=GroupKind.CLASS,
                                     source=MembershipSource.MANUAL).exists():
        raise DirectoryError(_(
            "You were not attached to this class by hand: the feed or an administrator "
            "attached you, and only they can detach you."))
    do_detach_teacher_from_class(teacher, school_class, actor)


@transaction.atomic
def do_detach_teacher_from_class(teacher: User, school_class: SchoolClass, actor: User) -> None:
    deleted, _rows = Membership.objects.filter(
        user=teacher, group__school_class=school_class, source=MembershipSource.MANUAL).delete()
    if deleted:
        record_event(teacher, UserEvent.Kind.DETACHED, actor, school_class.name,
                     class_id=school_class.pk)


@transaction.atomic
def do_link_relative(relative: User, student: User, source: str = Source.MANUAL, *,
                     legal: bool = True) -> None:
    """Links a parent to a pupil; `legal=False` for a foster family (famille d'accueil)."""
    if relative.profile != Profile.RELATIVE or student.profile != Profile.STUDENT:
        raise DirectoryError(_("A parent link joins a parent to a pupil."))
    RelativeLink.objects.get_or_create(relative=relative, student=student,
                                       defaults={"source": source, "legal": legal})


# Share bookmarks -----------------------------------------------------------------------------


@transaction.atomic
def do_create_bookmark(owner: User, name: str, users: list[User] = (),  # type: ignore[assignment]
                       groups: list[Group] = ()) -> ShareBookmark:  # type: ignore[assignment]
    name = clean_line(name)
    if not name:
        raise DirectoryError(_("Give the bookmark a name."))
    bookmark = ShareBookmark.objects.create(owner=owner, name=name)
    do_add_bookmark_members(bookmark, users, groups)
    return bookmark


def do_rename_bookmark(bookmark: ShareBookmark, name: str) -> None:
    name = clean_line(name)
    if not name:
        raise DirectoryError(_("Give the bookmark a name."))
    bookmark.name = name
    bookmark.save(update_fields=["name", "updated_at"])


def do_add_bookmark_members(bookmark: ShareBookmark, users: list[User] = (),  # type: ignore[assignment]
                            groups: list[Group] = ()) -> None:  # type: ignore[assignment]
    """Callers pass only users and groups the owner may reach (see communication)."""
    have_users = set(bookmark.members.filter(user__isnull=False).values_list("user_id", flat=True))
    have_groups = set(bookmark.members.filter(group__isnull=False)
                      .values_list("group_id", flat=True))
    BookmarkMember.objects.bulk_create(
        [BookmarkMember(bookmark=bookmark, user=u) for u in users if u.pk not in have_users]
        + [BookmarkMember(bookmark=bookmark, group=g) for g in groups if g.pk not in have_groups]
    )
    bookmark.save(update_fields=["updated_at"])


def do_remove_bookmark_member(bookmark: ShareBookmark, member_id: int) -> None:
    bookmark.members.filter(pk=member_id).delete()
    bookmark.save(update_fields=["updated_at"])


def do_delete_bookmark(bookmark: ShareBookmark) -> None:
    bookmark.delete()


def _any_out_of_reach(bookmark: ShareBookmark, users: Sequence[User],
                      groups: Sequence[Group]) -> bool:
    """Whether any of `users`/`groups` is out of the bookmark owner's reach."""
    user_ids = {u.pk for u in users}
    group_ids = {g.pk for g in groups}
    if user_ids and reachable_users(bookmark.owner).filter(pk__in=user_ids).count() != len(
            user_ids):
        return True
    return bool(group_ids) and addressable_groups(bookmark.owner).filter(
        pk__in=group_ids).count() != len(group_ids)


@transaction.atomic
def check_add_bookmark_members(bookmark: ShareBookmark, users: Sequence[User] = (),
                               groups: Sequence[Group] = ()) -> None:
    """Add members after checking that the owner may reach every one of them."""
    if _any_out_of_reach(bookmark, users, groups):
        raise DirectoryError(_("You can only add people and groups that you can reach."))
    do_add_bookmark_members(bookmark, list(users), list(groups))


@transaction.atomic
def check_create_bookmark(owner: User, name: str, users: Sequence[User] = (),
                          groups: Sequence[Group] = ()) -> ShareBookmark:
    """Create a bookmark from a selection, refusing anyone the owner may not reach."""
    bookmark = do_create_bookmark(owner, name)
    check_add_bookmark_members(bookmark, users, groups)
    return bookmark


@transaction.atomic
def do_remove_unreachable_bookmark_members(bookmark: ShareBookmark) -> int:
    """Empty a bookmark of the members its owner can no longer reach; returns how many."""
    deleted, _rows = unreachable_bookmark_members(bookmark).delete()
    if deleted:
        bookmark.save(update_fields=["updated_at"])
    return deleted
