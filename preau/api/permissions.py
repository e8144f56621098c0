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
from preau.documents.access import access_node
from preau.documents.models import Node, NodeKind
from preau.sharing import access as sharing_access
from preau.sharing.models import Right, Share
from preau.sharing.registry import by_api_name


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




def access_managed_attachment(actor: User, user: User, school_id: int) -> Structure:
    """A school `user` is attached to and `actor` administers; anything else is a 404."""
    attachment = (StructureAttachment.objects
                  .filter(user=user, structure_id=school_id,
                          structure__in=administered_structures(actor))
                  .select_related("structure").first())
    if attachment is None:
        raise Http404
    return attachment.structure


# The resources of the sharing engine, named as the API names them ("document:12").
NODE_KINDS = {"document": NodeKind.FILE, "folder": NodeKind.FOLDER}


def access_resource(user: User, key: str, right: str = Right.READ) -> Node:
    """The resource behind an API key such as "document:12" or "folder:7", through its
    app's access function: 404 when `user` may not see it (or it is not of that kind), 403
    when they lack `right`. A key naming no shareable type is a 404 as well."""
    name, _sep, raw_id = key.partition(":")
    shareable = by_api_name(name)
    if shareable is None or shareable.key != Node.share_type or not raw_id.isdigit():
        raise Http404
    return access_node(user, int(raw_id), right, kind=NODE_KINDS[name])


def access_share(user: User, share_id: int, right: str = Right.MANAGE) -> tuple[Share, Any]:
    """A share and its resource, for someone who may change it (`right` on the resource,
    manage by default): 404 when `user` may not see the resource (or it is gone or in the
    trash), 403 when they see it without `right`."""
    share = Share.objects.select_related("user", "group", "created_by").filter(
        pk=share_id).first()
    if share is None:
        raise Http404
    _shareable, resource = sharing_access.access_resource(user, share.resource_type,
                                                          share.resource_id, right)
    return share, resource
