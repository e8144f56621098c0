"""API-side rights: the admin gate, and the few reads the directory's access module lacks.

Everything else is decided by `preau.directory.access` and `preau.directory.communication`,
exactly as for the web pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from preau.accounts.models import User
from preau.directory.access import (
    access_managed_user,
    administered_structures,
    is_school_admin,
)
from preau.directory.models import Structure, StructureAttachment


def request_user(request: Request | Any) -> User:
    """The authenticated account (every view but the schema requires one)."""
    user = request.user
    assert isinstance(user, User)
    return user


class IsSchoolAdmin(BasePermission):
    """ENT admins and school admins; everyone else gets a 403 (anonymous a 401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and is_school_admin(user)


def managed_users(actor: User) -> QuerySet[User]:
    """The accounts an admin manages: every one for an ENT admin, else those attached to
    a school they administer. `access_managed_user` accepts each of them."""
    if actor.is_ent_admin:
        return User.objects.all()
    return User.objects.filter(pk__in=StructureAttachment.objects.filter(
        structure__in=administered_structures(actor)).values("user"))


def administers(actor: User, person: User) -> bool:
    """Whether `actor` may read `person`'s private fields (birth date, e-mail, INE):
    themself, an ENT admin, or an admin of one of the person's schools."""
    if actor.pk == person.pk or actor.is_ent_admin:
        return True
    return StructureAttachment.objects.filter(
        user=person, structure__in=administered_structures(actor)).exists()


def access_managed_account(actor: User, user_id: int, *, manage: bool = False) -> User:
    """An account of the admin API: `access_managed_user` decides 404 or 403, then the
    account must be one the admin manages (not merely a pupil they teach), and a school
    admin may not change an ENT admin's account."""
    target = access_managed_user(actor, user_id)
    if not actor.is_ent_admin:
        if not managed_users(actor).filter(pk=target.pk).exists():
            raise PermissionDenied
        if manage and target.is_ent_admin:
            raise PermissionDenied
    return target


def access_managed_attachment(actor: User, user: User, school_id: int) -> Structure:
    """A school `user` is attached to and `actor` administers; anything else is a 404."""
    attachment = (StructureAttachment.objects
                  .filter(user=user, structure_id=school_id,
                          structure__in=administered_structures(actor))
                  .select_related("structure").first())
    if attachment is None:
        raise Http404
    return attachment.structure
