"""Template context shared by every page: the navigation a user is entitled to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    is_admin = False
    if user.is_authenticated:
        from preau.directory.access import is_school_admin

        is_admin = bool(getattr(user, "is_ent_admin", False)) or is_school_admin(user)  # type: ignore[arg-type]
    return {"ent_name": settings.PREAU_ENT_NAME, "nav_is_admin": is_admin,
            "support_text": settings.PREAU_SUPPORT_TEXT}
