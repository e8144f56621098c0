from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from preau.accounts.models import User
from preau.yearchange.banners import banners_for

register = template.Library()


@register.inclusion_tag("yearchange/_banners.html", takes_context=True)
def year_change_banners(context: dict[str, Any]) -> dict[str, Any]:
    """The year-change banners of the logged-in user (none outside a year change)."""
    user = context.get("user")
    if not isinstance(user, User):
        return {"banners": []}
    return {"banners": banners_for(user, timezone.localdate())}
