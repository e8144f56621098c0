"""The quota gauge every page shows to a logged-in user (shared layout, `base.html`).

One query, run only when a page renders the layout: the user's usage (their `Quota` row,
absent until their first upload) and their limit (own override, else the profile's
`QuotaDefault`, else the built-in default), read together.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from preau.accounts.models import User
from preau.documents.actions import QuotaInfo
from preau.documents.models import DEFAULT_QUOTAS, UNSET_QUOTA, QuotaDefault


def quota_info(user: User) -> QuotaInfo:
    """The same figures as `actions.quota_of`, in one query and without writing."""
    profile_limit = QuotaDefault.objects.filter(profile=OuterRef("profile")).values("limit")[:1]
    row = (User.objects.filter(pk=user.pk)
           .annotate(profile_limit=Subquery(profile_limit))
           .values("quota__used", "quota__limit_override", "profile_limit").first()) or {}
    limit = row.get("quota__limit_override")
    if limit is None:
        limit = row.get("profile_limit")
    if limit is None:
        limit = DEFAULT_QUOTAS.get(user.profile, UNSET_QUOTA)
    return QuotaInfo(used=row.get("quota__used") or 0, limit=limit)


def quota_gauge(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    assert isinstance(user, User)
    return {"quota_gauge": SimpleLazyObject(lambda: quota_info(user)),
            "upload_limit": settings.PREAU_UPLOAD_MAX_BYTES}
