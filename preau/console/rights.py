"""Who may use the console, and which of its objects they may see.

The console is for ENT admins (everything) and school admins (the schools they administer
and the people attached to them). Anyone else logged in gets a 403; anonymous visitors go
to the login page. Objects outside an admin's schools are a 404, never a hint that they
exist. Reads of single objects go through the `access_console_*` functions below and
`preau.directory.access.access_administered_user`, lists through `managed_users` and
`administered_structures` (same module), so no list shows more than the detail pages allow.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from preau.accounts.models import User
from preau.directory.access import administered_structures, is_school_admin
from preau.directory.models import SchoolClass, Structure

View = Callable[..., HttpResponse]


def actor_of(request: HttpRequest) -> User:
    """The logged-in admin (the decorators below have already checked who it is)."""
    user = request.user
    assert isinstance(user, User)
    return user


def is_console_user(user: User) -> bool:
    return bool(user.is_ent_admin) or is_school_admin(user)


def console_required(view: View) -> View:
    """ENT admins and school admins only: 403 for other users, login for anonymous ones."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_console_user(actor_of(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def ent_admin_required(view: View) -> View:
    """ENT-wide settings (communication rules, API tokens, school years): ENT admins only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not actor_of(request).is_ent_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)




def access_console_structure(actor: User, structure_id: int) -> Structure:
    structure = (administered_structures(actor).select_related("academy")
                 .filter(pk=structure_id).first())
    if structure is None:
        raise Http404
    return structure


def access_console_class(actor: User, class_id: int) -> SchoolClass:
    school_class = (SchoolClass.objects.select_related("structure", "school_year")
                    .filter(pk=class_id, structure__in=administered_structures(actor)).first())
    if school_class is None:
        raise Http404
    return school_class


