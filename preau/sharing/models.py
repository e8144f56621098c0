"""Shares: who holds which rights on a resource of any app.

A share row gives ONE grantee (a user or a group) a set of rights on ONE resource, named by
its type key (``"documents.node"``, later ``"messaging.…"``, ``"notebooks.…"``) and id. A
share bookmark is never a grantee: it is expanded at share time into one row per member,
each remembering the bookmark it came through (``via``), so the year change can tell a
class-group share (purged) from a bookmark share (kept).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Group, Membership, ShareBookmark


class Right(models.TextChoices):
    READ = "read", _("Read")
    CONTRIB = "contrib", _("Contribute")
    MANAGE = "manage", _("Manage")
    COMMENT = "comment", _("Comment")


RIGHT_ORDER = (Right.READ, Right.CONTRIB, Right.COMMENT, Right.MANAGE)


def normalise_rights(rights: set[str] | list[str] | tuple[str, ...]) -> frozenset[str]:
    """Gestion implies every right; every right implies lecture."""
    wanted = {str(r) for r in rights}
    unknown = wanted - {r.value for r in Right}
    if unknown:
        raise ValueError(f"unknown rights: {sorted(unknown)}")
    if Right.MANAGE in wanted:
        wanted |= {r.value for r in Right}
    if wanted:
        wanted.add(Right.READ)
    return frozenset(wanted)


class Via(models.TextChoices):
    DIRECT = "direct", _("Directly")
    BOOKMARK = "bookmark", _("Through a share bookmark")


class ShareQuerySet(models.QuerySet["Share"]):
    def for_user(self, user_id: int) -> ShareQuerySet:
        """Shares that reach `user_id`: to them by name or to a group they belong to."""
        groups = Membership.objects.filter(user_id=user_id).values("group")
        # One `id IN (… UNION …)`: each side an index lookup (shares by user, by group),
        # where an OR of the two made PostgreSQL scan every share of the académie.
        mine = Share.objects.filter(user_id=user_id).values("pk").order_by()
        to_my_groups = Share.objects.filter(group__in=groups).values("pk").order_by()
        return self.filter(pk__in=mine.union(to_my_groups))

    def on(self, resource_type: str, ids: Iterable[int]) -> ShareQuerySet:
        return self.filter(resource_type=resource_type, resource_id__in=list(ids))


class Share(models.Model):
    resource_type = models.CharField(_("resource type"), max_length=40)
    resource_id = models.BigIntegerField(_("resource"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="shares_received")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="shares")
    can_read = models.BooleanField(_("read"), default=True)
    can_contrib = models.BooleanField(_("contribute"), default=False)
    can_manage = models.BooleanField(_("manage"), default=False)
    can_comment = models.BooleanField(_("comment"), default=False)
    via = models.CharField(_("through"), max_length=8, choices=Via.choices, default=Via.DIRECT)
    bookmark = models.ForeignKey(ShareBookmark, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    bookmark_name = models.CharField(_("bookmark"), max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="shares_made")
    created_at = models.DateTimeField(_("shared on"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShareQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, group__isnull=True)
                           | Q(user__isnull=True, group__isnull=False)),
                name="share_one_grantee"),
            models.UniqueConstraint(fields=["resource_type", "resource_id", "user"],
                                    condition=Q(user__isnull=False), name="share_unique_user"),
            models.UniqueConstraint(fields=["resource_type", "resource_id", "group"],
                                    condition=Q(group__isnull=False), name="share_unique_group"),
        ]
        indexes = [models.Index(fields=["resource_type", "resource_id"])]

    def __str__(self) -> str:
        return f"{self.resource_type}:{self.resource_id} → {self.user_id or self.group_id}"

    @property
    def rights(self) -> frozenset[str]:
        return frozenset(r for r, on in ((Right.READ, self.can_read),
                                         (Right.CONTRIB, self.can_contrib),
                                         (Right.MANAGE, self.can_manage),
                                         (Right.COMMENT, self.can_comment)) if on)

    def set_rights(self, rights: frozenset[str]) -> None:
        self.can_read = Right.READ in rights
        self.can_contrib = Right.CONTRIB in rights
        self.can_manage = Right.MANAGE in rights
        self.can_comment = Right.COMMENT in rights

    @property
    def grantee_label(self) -> str:
        """The grantee's name as the share dialog shows it."""
        if self.user is not None:
            return str(self.user.full_name)
        return self.group.name if self.group is not None else ""

    @property
    def grantee_key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"group:{self.group_id}"
