"""The quota gauge every page shows to a logged-in user (shared layout, `base.html`).

One query, run only when a page renders the layout: the user's usage (their `Quota` row,
absent until their first upload) and their limit (own override, else the profile's
`QuotaDefault`, else the built-in default), read together; the same query counts the
user's unread messages for the Messagerie's link (`mail_unread`), so the layout costs one
query whatever the page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from preau.accounts.models import User
from preau.documents.actions import QuotaInfo
from preau.documents.models import DEFAULT_QUOTAS, UNSET_QUOTA, QuotaDefault


def _info(user: User, row: dict[str, Any]) -> QuotaInfo:
    limit = row.get("quota__limit_override")
    if limit is None:
        limit = row.get("profile_limit")
    if limit is None:
        limit = DEFAULT_QUOTAS.get(user.profile, UNSET_QUOTA)
    return QuotaInfo(used=row.get("quota__used") or 0, limit=limit)


def _row(user: User, unread: bool = False) -> dict[str, Any]:
    profile_limit = QuotaDefault.objects.filter(profile=OuterRef("profile")).values("limit")[:1]
    rows = User.objects.filter(pk=user.pk).annotate(profile_limit=Subquery(profile_limit))
    fields = ["quota__used", "quota__limit_override", "profile_limit"]
    if unread:
        from preau.messaging.models import MessageCopy

        count = (MessageCopy.objects.filter(user=OuterRef("pk"), is_unread=True,
                                            trashed_at__isnull=True)
                 .order_by().values("user").annotate(n=Count("pk")).values("n"))
        rows = rows.annotate(mail_unread=Coalesce(Subquery(count, output_field=IntegerField()),
                                                  0))
        fields.append("mail_unread")
    return rows.values(*fields).first() or {}


def quota_info(user: User) -> QuotaInfo:
    """The same figures as `actions.quota_of`, in one query and without writing."""
    return _info(user, _row(user))


class _Layout:
    """The layout's figures, read once (one query) when the page first asks for one."""

    def __init__(self, user: User) -> None:
        self.user = user
        self._data: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = _row(self.user, unread=True)
        return self._data


def quota_gauge(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    assert isinstance(user, User)
    layout = _Layout(user)
    return {"quota_gauge": SimpleLazyObject(lambda: _info(user, layout.data())),
            "mail_unread": SimpleLazyObject(lambda: int(layout.data().get("mail_unread") or 0)),
            "upload_limit": settings.PREAU_UPLOAD_MAX_BYTES}
