"""API-side rights: the admin gate, and the few reads the directory's access module lacks.

Everything else is decided by `preau.directory.access` and `preau.directory.communication`,
exactly as for the web pages.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from preau.accounts.models import User
from preau.directory.access import (
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




def administers(actor: User, person: User) -> bool:
    """Whether `actor` may read `person`'s private fields (birth date, e-mail, INE):
    themself, an ENT admin, or an admin of one of the person's schools."""
    if actor.pk == person.pk or actor.is_ent_admin:
        return True
    return StructureAttachment.objects.filter(
        user=person, structure__in=administered_structures(actor)).exists()




def access_managed_attachment(actor: User, user: User, school_id: int) -> Structure:
    """A school `user` is attached to and `actor` administers; anything else is a 404."""
    attachment = (StructureAttachment.objects
                  .filter(user=user, structure_id=school_id,
                          structure__in=administered_structures(actor))
                  .select_related("structure").first())
    if attachment is None:
        raise Http404
    return attachment.structure
