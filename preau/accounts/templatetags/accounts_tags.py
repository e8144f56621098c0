"""Template helpers of the account pages."""

from __future__ import annotations

import datetime
import math

from django import template

register = template.Library()


@register.filter
def minutes(value: datetime.timedelta | None) -> int:
    """A lockout duration in whole minutes, rounded up (never shows '0 minutes')."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))
