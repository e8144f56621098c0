"""Which way in for whom, on the login page: the académie portals (teachers and staff),
EduConnect (parents), the ENT form (pupils, accounts made by the school). Only IdPs that
exist are offered, and the wrong-password message points to a button only if it is there."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from preau.sso.models import IdentityProvider, IdpKind


@dataclass
class LoginRoutes:
    academie: list[IdentityProvider] = field(default_factory=list)
    educonnect: list[IdentityProvider] = field(default_factory=list)


def login_routes() -> LoginRoutes:
    """The IdPs the login page offers (one query)."""
    routes = LoginRoutes()
    for idp in IdentityProvider.objects.only("id", "kind", "name").order_by("name", "pk"):
        (routes.educonnect if idp.kind == IdpKind.EDUCONNECT else routes.academie).append(idp)
    return routes


def invalid_login_message(routes: LoginRoutes | None = None) -> str:
    """The wrong login or password message, naming the buttons of the page only."""
    routes = routes if routes is not None else login_routes()
    parts = [_("Incorrect login or password. Upper and lower case letters differ.")]
    if routes.academie:
        parts.append(_("Teachers and staff: use the « Identifiants académiques » button."))
    if routes.educonnect:
        parts.append(_("Parents: use the « EduConnect » button."))
    return " ".join(parts)
