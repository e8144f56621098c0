"""Authorise by fetching: each function returns the object or raises.

`Http404` for what the user may not see (never saying whether it exists), `PermissionDenied`
for what they see but may not change. Lists use the `visible_*` querysets, so no list can
show more than the detail view allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from preau.accounts.models import Profile, User
from preau.directory.communication import reachable_users, visible_groups
from preau.directory.models import (
    Group,
    GroupKind,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    ShareBookmark,
    Structure,
    StructureAttachment,
)


def administered_structures(user: User) -> QuerySet[Structure]:
    if user.is_ent_admin:
        return Structure.objects.all()
    return Structure.objects.filter(admins__user=user)


def is_school_admin(user: User, structure: Structure | None = None) -> bool:
    if user.is_ent_admin:
        return True
    rows = SchoolAdmin.objects.filter(user=user)
    if structure is not None:
        rows = rows.filter(structure=structure)
    return rows.exists()


def visible_classes(user: User) -> QuerySet[SchoolClass]:
    """Classes a user may open: all of their schools' for teachers, staff and school admins;
    their own (or their children's) for pupils, parents and guests."""
    classes = SchoolClass.objects.select_related("structure", "school_year")
    if user.is_ent_admin:
        return classes
    administered = SchoolAdmin.objects.filter(user=user).values("structure")
    parts = [SchoolClass.objects.filter(structure__in=administered).values("pk"),
             Membership.objects.filter(user=user, group__kind=GroupKind.CLASS)
             .values("group__school_class")]
    if user.profile in (Profile.TEACHER, Profile.PERSONNEL):
        schools = StructureAttachment.objects.filter(user=user).values("structure")
        parts.append(SchoolClass.objects.filter(structure__in=schools).values("pk"))
    if user.profile == Profile.RELATIVE:
        children = RelativeLink.objects.filter(relative=user).values("student")
        parts.append(Membership.objects.filter(user__in=children, group__kind=GroupKind.CLASS)
                     .values("group__school_class"))
    # One `id IN (… UNION …)` starting from the user's own rows (see communication._union).
    ids = parts[0].order_by().union(*(part.order_by() for part in parts[1:]))
    return classes.filter(pk__in=ids)


def access_class(user: User, class_id: int, *, manage: bool = False) -> SchoolClass:
    """`manage`: reset pupils' passwords, print connection sheets (both hand out activation
    codes): the school's admins and the class's teachers whose link the feed or an admin
    made, or whose own attachment the head teacher approved (`ApprovalPending` otherwise)."""
    school_class = visible_classes(user).filter(pk=class_id).first()
    if school_class is None:
        raise Http404
    if manage:
        rights = class_account_rights(user, school_class)
        if rights.pending:
            raise ApprovalPending
        if not rights.can_manage:
            raise PermissionDenied
    return school_class


# A teacher's own attachment to a class, not approved yet by the head teacher.
PENDING_SELF_ATTACHMENT = Q(source=MembershipSource.MANUAL, added_by=F("user"),
                            approved_at__isnull=True)


def pending_flag() -> Case:
    """PENDING_SELF_ATTACHMENT as a true/false column (never NULL, whatever `added_by`)."""
    return Case(When(PENDING_SELF_ATTACHMENT, then=Value(True)), default=Value(False),
                output_field=BooleanField())


def approval_pending_message() -> str:
    return _("Your attachment to this class waits for the approval of the school's head "
             "teacher. Until then you see the class in the Annuaire and may write to it as "
             "the communication rules allow, but you may not reset a pupil's password or "
             "print the connection sheets, which hand out activation codes. Ask your head "
             "teacher to approve it.")


class ApprovalPending(PermissionDenied):
    """403: the teacher attached herself to the class and the head teacher has not approved
    it yet. The message says so (pages show it)."""

    def __init__(self) -> None:
        super().__init__(approval_pending_message())


@dataclass(frozen=True)
class ClassAccountRights:
    can_manage: bool  # may reset the pupils' passwords and print the connection sheets
    pending: bool  # would, once the head teacher approves her own attachment


def teacher_class_links(user: User) -> QuerySet[Membership]:
    """The user's links to classes as a teacher."""
    return Membership.objects.filter(user=user, group__kind=GroupKind.CLASS,
                                     group__profile=Profile.TEACHER)


def _rights_from(links: QuerySet[Membership]) -> ClassAccountRights:
    """From a teacher's links to a class (or to a pupil's classes), in one query: the
    `pending` of each link is the one rule, PENDING_SELF_ATTACHMENT."""
    flags = list(links.annotate(pending=pending_flag()).values_list(
        "pending", flat=True))  # type: ignore[misc]  # the stubs miss annotated names
    can_manage = any(not pending for pending in flags)
    return ClassAccountRights(can_manage=can_manage, pending=bool(flags) and not can_manage)


def class_account_rights(user: User, school_class: SchoolClass) -> ClassAccountRights:
    """Power over the accounts of a class's pupils (and parents, whose codes the sheets
    print): a link the feed or an admin made, or an approved self-attachment."""
    if is_school_admin(user, school_class.structure):
        return ClassAccountRights(can_manage=True, pending=False)
    if user.profile != Profile.TEACHER:
        return ClassAccountRights(can_manage=False, pending=False)
    return _rights_from(teacher_class_links(user).filter(group__school_class=school_class))


def can_manage_class(user: User, school_class: SchoolClass) -> bool:
    return class_account_rights(user, school_class).can_manage


def approving_structures(user: User) -> QuerySet[Structure]:
    """Schools whose teachers' self-attachments `user` approves: their head teacher (the
    director flag of the attachment) and their school admins; ENT admins everywhere."""
    if user.is_ent_admin:
        return Structure.objects.all()
    return Structure.objects.filter(
        Q(id__in=SchoolAdmin.objects.filter(user=user).values("structure"))
        | Q(id__in=StructureAttachment.objects.filter(user=user, is_director=True)
            .values("structure")))


def administers_something(user: User) -> bool:
    """The one definition of an account with powers over others: an ENT admin, an operator
    (Django's admin), a school admin, or a head teacher (who approves teachers' own class
    attachments, which give the power to reset pupils' passwords). One query at most."""
    if user.is_ent_admin or user.is_superuser:
        return True
    if user.profile in (Profile.TEACHER, Profile.PERSONNEL):
        return approving_structures(user).exists()  # school admin rows and head teachers
    return administered_structures(user).exists()


def can_approve_attachments(user: User, structure: Structure) -> bool:
    if user.is_ent_admin:
        return True
    if user.profile not in (Profile.TEACHER, Profile.PERSONNEL):
        return False  # head teachers and school admins are teachers or staff
    return approving_structures(user).filter(pk=structure.pk).exists()


def class_attachments() -> QuerySet[Membership]:
    """Teachers' links to this school year's open classes, with `pending` (see
    pending_flag) and what their lists show."""
    return (Membership.objects
            .filter(group__kind=GroupKind.CLASS, group__profile=Profile.TEACHER,
                    group__school_class__school_year__is_current=True,
                    group__school_class__closed_at__isnull=True)
            .annotate(pending=pending_flag())
            .select_related("user", "added_by", "approved_by", "group__school_class__structure")
            .order_by("group__school_class__structure__name", "group__school_class__name",
                      "user__last_name", "user__first_name", "id"))


def visible_class_attachments(user: User) -> QuerySet[Membership]:
    """The user's own class links, and those of the schools whose attachments they approve."""
    links = class_attachments()
    if user.is_ent_admin:
        return links
    return links.filter(Q(user=user) | Q(group__school_class__structure__in=approving_structures(
        user)))


def pending_class_attachments(user: User, *, structure: Structure | None = None,
                              school_class: SchoolClass | None = None) -> QuerySet[Membership]:
    """Self-attachments waiting for `user`'s approval (of one school or one class)."""
    links = class_attachments().filter(PENDING_SELF_ATTACHMENT)
    if not user.is_ent_admin:
        links = links.filter(group__school_class__structure__in=approving_structures(user))
    if structure is not None:
        links = links.filter(group__school_class__structure=structure)
    if school_class is not None:
        links = links.filter(group__school_class=school_class)
    return links


def access_class_attachment(user: User, link_id: int, *, approve: bool = False) -> Membership:
    """A teacher's link to a class: the teacher sees hers, a head teacher or school admin
    those of their school (404 for anyone else); `approve` (approve or remove it) is theirs
    only (403 for the teacher herself)."""
    link = visible_class_attachments(user).filter(pk=link_id).first()
    if link is None:
        raise Http404
    school_class = link.group.school_class
    assert school_class is not None  # class_attachments() holds class groups only
    if approve and not can_approve_attachments(user, school_class.structure):
        raise PermissionDenied
    return link


def access_structure(user: User, structure_id: int, *, manage: bool = False) -> Structure:
    structure = Structure.objects.filter(pk=structure_id).select_related("academy").first()
    if structure is None:
        raise Http404
    attached = StructureAttachment.objects.filter(user=user, structure=structure).exists()
    admin = is_school_admin(user, structure)
    if not (attached or admin):
        raise Http404
    if manage and not admin:
        raise PermissionDenied
    return structure


def access_person(user: User, person_id: int) -> User:
    """A person's card: only people the user may reach (or themself)."""
    if person_id == user.pk:
        return user
    person = reachable_users(user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def may_see_private(viewer: User, person: User) -> bool:
    """Whether `viewer` may read `person`'s private fields (login, state, birth date, e-mail,
    INE): the person themself, an ENT admin, or an admin of one of the person's schools.
    The person card of the Annuaire and of the API both ask this."""
    if viewer.pk == person.pk or viewer.is_ent_admin:
        return True
    return StructureAttachment.objects.filter(
        user=person, structure__in=administered_structures(viewer)).exists()


def access_group(user: User, group_id: int) -> Group:
    group = visible_groups(user).filter(pk=group_id).first()
    if group is None:
        raise Http404
    return group


def access_bookmark(user: User, bookmark_id: int) -> ShareBookmark:
    """Bookmarks are their owner's alone: anyone else gets a 404."""
    bookmark = ShareBookmark.objects.filter(pk=bookmark_id, owner=user).first()
    if bookmark is None:
        raise Http404
    return bookmark


def access_managed_user(actor: User, user_id: int) -> User:
    """A user an admin may manage: ENT admins all; school admins those of their schools;
    a teacher the pupils of the classes they teach (password reset and connection sheet
    only), through a link the feed or an admin made or an approved self-attachment
    (`ApprovalPending`, a 403 that says why, for one waiting for approval)."""
    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise Http404
    if actor.is_ent_admin:
        return target
    schools = administered_structures(actor)
    if StructureAttachment.objects.filter(user=target, structure__in=schools).exists():
        return target
    if actor.profile == Profile.TEACHER and target.profile == Profile.STUDENT:
        pupil_classes = Membership.objects.filter(user=target, group__kind=GroupKind.CLASS)
        rights = _rights_from(teacher_class_links(actor).filter(
            group__school_class__in=pupil_classes.values("group__school_class")))
        if rights.can_manage:
            return target
        if rights.pending:
            raise ApprovalPending
    if reachable_users(actor).filter(pk=target.pk).exists():
        raise PermissionDenied
    raise Http404


def managed_users(actor: User) -> QuerySet[User]:
    """Accounts an admin manages: every one for an ENT admin, else those attached to a
    school they administer (the console and the admin API list these)."""
    if actor.is_ent_admin:
        return User.objects.all()
    return User.objects.filter(id__in=StructureAttachment.objects.filter(
        structure__in=administered_structures(actor)).values("user"))


def access_administered_user(actor: User, user_id: int, *, manage: bool = False) -> User:
    """An account of the console or the admin API.

    `access_managed_user` decides 404 or 403 for the others; the account must then be one
    the admin manages (not merely a pupil they teach). `manage`: the admin is about to
    change the account, and a school admin may not change an ENT admin's.
    """
    target = access_managed_user(actor, user_id)
    if not actor.is_ent_admin:
        if not managed_users(actor).filter(pk=target.pk).exists():
            raise PermissionDenied
        if manage and target.is_ent_admin:
            raise PermissionDenied
    return target
