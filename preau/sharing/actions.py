"""Writes on shares. Every app's share dialog and the API call these; nothing else writes.

`check_share` refuses what the actor may not do (raise `SharingError` with a message for the
user), then `do_share` writes. A bookmark is expanded here, at share time, into one share
per member the actor may still reach; the members out of reach are reported, not shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.models import User
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import Group, ShareBookmark
from preau.lib.errors import Refusal
from preau.sharing.access import rights_of, shares_on
from preau.sharing.models import Right, Share, Via, normalise_rights
from preau.sharing.registry import type_of


class SharingError(Refusal):
    """A refused share; the message is for the user."""


@dataclass
class ShareOutcome:
    shares: list[Share] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    # Bookmark members the actor cannot reach any more: not shared with.
    skipped_users: list[User] = field(default_factory=list)
    skipped_groups: list[Group] = field(default_factory=list)


def check_manage(actor: User, resource: Any) -> None:
    if Right.MANAGE not in rights_of(actor, resource):
        raise SharingError(_("You need the “manage” right to share this."))


def check_share(actor: User, resource: Any, *, users: Sequence[User] = (),
                groups: Sequence[Group] = (), bookmark: ShareBookmark | None = None,
                rights: Iterable[str] = ()) -> ShareOutcome:
    """Validate, then share. Users and groups must be within the actor's reach."""
    check_manage(actor, resource)
    try:
        wanted = normalise_rights(list(rights))
    except ValueError as error:
        raise SharingError(_("Unknown right.")) from error
    if not wanted:
        raise SharingError(_("Choose at least one right."))
    if bookmark is not None and bookmark.owner_id != actor.pk:
        raise SharingError(_("This share bookmark is not yours."))
    user_ids = {u.pk for u in users}
    if user_ids and reachable_users(actor).filter(pk__in=user_ids).count() != len(user_ids):
        raise SharingError(_("You cannot share with someone outside your communication rules."))
    group_ids = {g.pk for g in groups}
    if group_ids and Group.objects.archived().filter(pk__in=group_ids).exists():
        raise SharingError(_("This group belongs to a past school year or a closed class: it "
                             "can no longer receive shares."))
    if group_ids and addressable_groups(actor).filter(pk__in=group_ids).count() != len(group_ids):
        raise SharingError(_("You may not share with this group: your communication rules do "
                             "not let you reach its members."))
    if not (users or groups or bookmark):
        raise SharingError(_("Choose whom to share with."))
    return do_share(actor, resource, users=users, groups=groups, bookmark=bookmark,
                    rights=wanted)


@transaction.atomic
def do_share(actor: User, resource: Any, *, users: Sequence[User] = (),
             groups: Sequence[Group] = (), bookmark: ShareBookmark | None = None,
             rights: frozenset[str]) -> ShareOutcome:
    shareable = type_of(resource)
    outcome = ShareOutcome()
    owners = shareable.owners(resource)
    targets: list[tuple[User | None, Group | None, ShareBookmark | None]] = [
        (u, None, None) for u in users] + [(None, g, None) for g in groups]
    if bookmark is not None:
        members = list(bookmark.members.select_related("user", "group"))
        member_users = [m.user for m in members if m.user is not None]
        member_groups = [m.group for m in members if m.group is not None]
        reachable = set(reachable_users(actor).filter(pk__in=[u.pk for u in member_users])
                        .values_list("pk", flat=True))
        visible = set(addressable_groups(actor).filter(pk__in=[g.pk for g in member_groups])
                      .values_list("pk", flat=True))
        for user in member_users:
            if user.pk in reachable:
                targets.append((user, None, bookmark))
            else:
                outcome.skipped_users.append(user)
        for group in member_groups:
            if group.pk in visible:
                targets.append((None, group, bookmark))
            else:
                outcome.skipped_groups.append(group)
    now = timezone.now()
    for target_user, target_group, through in targets:
        if target_user is not None and target_user.pk in owners:
            continue  # the owners hold every right already
        grantee: dict[str, object] = ({"user": target_user} if target_user is not None
                                      else {"group": target_group})
        share = Share.objects.filter(resource_type=shareable.key, resource_id=resource.pk,
                                     **grantee).first()
        if share is None:
            share = Share(resource_type=shareable.key, resource_id=resource.pk,
                          user=target_user, group=target_group, created_by=actor,
                          created_at=now)
            outcome.created += 1
        else:
            outcome.updated += 1
        share.set_rights(rights)
        # A share keeps what it came through first: a name share stays a name share.
        if share.pk is None and through is not None:
            share.via = Via.BOOKMARK
            share.bookmark = through
            share.bookmark_name = through.name
        share.save()
        outcome.shares.append(share)
    return outcome


def check_unshare(actor: User, share: Share, resource: Any) -> None:
    check_manage(actor, resource)
    do_unshare(share)


def do_unshare(share: Share) -> None:
    share.delete()


@transaction.atomic
def check_unshare_hidden(actor: User, resource: Any) -> int:
    """Remove the shares on `resource` to grantees the actor cannot reach any more (the
    dialog's "n other people"): they can only be removed, all at once. Returns how many."""
    check_manage(actor, resource)
    hidden = [share.pk for share in shares_on(actor, resource).hidden]
    deleted, _unused = Share.objects.filter(pk__in=hidden).delete()
    return deleted


def check_update_rights(actor: User, share: Share, resource: Any, rights: Iterable[str]) -> Share:
    """Change the rights of an existing share (only to a grantee still within reach)."""
    check_manage(actor, resource)
    try:
        wanted = normalise_rights(list(rights))
    except ValueError as error:
        raise SharingError(_("Unknown right.")) from error
    if not wanted:
        raise SharingError(_("Choose at least one right."))
    if share.user_id and not reachable_users(actor).filter(pk=share.user_id).exists():
        raise SharingError(_("This person is out of your reach: the share can only be removed."))
    if share.group_id and not addressable_groups(actor).filter(pk=share.group_id).exists():
        raise SharingError(_("This group is out of your reach: the share can only be removed."))
    share.set_rights(wanted)
    share.save()
    return share


def do_delete_resource_shares(resource_type: str, ids: Iterable[int]) -> int:
    """The resources are gone for good: so are their shares."""
    deleted, _unused = Share.objects.filter(resource_type=resource_type,
                                            resource_id__in=list(ids)).delete()
    return deleted
