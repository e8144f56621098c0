"""Authorise by fetching: each function returns the object or raises.

`Http404` for what the user may not see (never saying whether it exists), `PermissionDenied`
for what they see but may not change. Lists use the `visible_*` querysets, so no list can
show more than the detail view allows.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from preau.accounts.models import Profile, User
from preau.directory.communication import reachable_users, visible_groups
from preau.directory.models import (
    Group,
    GroupKind,
    Membership,
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
    """`manage`: attach teachers, reset pupils' passwords, print connection sheets: the
    school's admins and the class's own teachers."""
    school_class = visible_classes(user).filter(pk=class_id).first()
    if school_class is None:
        raise Http404
    if manage and not can_manage_class(user, school_class):
        raise PermissionDenied
    return school_class


def can_manage_class(user: User, school_class: SchoolClass) -> bool:
    if is_school_admin(user, school_class.structure):
        return True
    return user.profile == Profile.TEACHER and Membership.objects.filter(
        user=user, group__school_class=school_class, group__kind=GroupKind.CLASS).exists()


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
    a teacher the pupils of the classes they teach (password reset only)."""
    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise Http404
    if actor.is_ent_admin:
        return target
    schools = administered_structures(actor)
    if StructureAttachment.objects.filter(user=target, structure__in=schools).exists():
        return target
    if actor.profile == Profile.TEACHER and target.profile == Profile.STUDENT:
        taught = Membership.objects.filter(user=actor, group__kind=GroupKind.CLASS,
                                           group__profile=Profile.TEACHER)
        if Membership.objects.filter(
            user=target, group__kind=GroupKind.CLASS,
            group__school_class__in=taught.values("group__school_class"),
        ).exists():
            return target
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
