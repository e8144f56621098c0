from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
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


@register.filter
def by_app(counts: dict[str, int] | None) -> list[tuple[str, int]]:
    """A report's per-app counts (`{"documents": 2, "total": 2}`) as (app name, count)."""
    rows = []
    for app, count in (counts or {}).items():
        if app == "total":
            continue
        try:
            name = str(apps.get_app_config(app).verbose_name)
        except LookupError:
            name = app
        rows.append((name, count))
    return sorted(rows)
