"""Template helpers of the account pages."""

from __future__ import annotations

import datetime
import math
from typing import Any

from django import template

register = template.Library()


@register.filter
def minutes(value: datetime.timedelta | None) -> int:
    """A lockout duration in whole minutes, rounded up (never shows '0 minutes')."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))


@register.filter
def shows_second_factor(user: Any) -> bool:
    """My account's "Second factor" tab: for the accounts that need one (no query while
    PREAU_ADMIN_SECOND_FACTOR is off)."""
    from preau.accounts.second_factor import needs_second_factor

    return needs_second_factor(user)
