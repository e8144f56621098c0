"""The life cycle of accounts a feed stopped listing: missing → pre-deleted → deleted.

`preau feed lifecycle` runs it once a day (`run_lifecycle`):

1. An account missing from its feed (`missing_since` set, state MISSING — or BLOCKED,
   which keeps its block, pre-deleted or not) for the pre-delete delay of its profile is
   **pre-deleted** (state PREDELETED, `predeleted_at` set): its
   links (school attachments, every group membership, parent links both ways, school
   administration) are removed and kept in a `LinkBackup`; it may still log in to fetch
   its data, and `days_until_deletion` tells it how long it has. An account that was never
   activated (no activation, no login, no password) is deleted at once instead: nobody
   has data to fetch.
2. A pre-deleted account is **deleted** after the delete delay of its profile: the row
   stays (other rows point to it) but every personal value is erased, as French rules ask
   (arrêté of 30 November 2006, art. 6: erase within three months): names become
   "Compte supprimé", e-mails, INE, birth date, external id and history are cleared, and
   the login — itself made of the person's names — becomes `supprime.<id>`, which frees
   `prenom.nom` for someone else.
3. A pre-deleted account that a feed lists again is restored by the importer with its
   backed-up links (`restore_backups`), then the feed's own links are applied on top.

Delays (days), from settings, per profile when given:
`PREAU_PREDELETE_DAYS` (default 90), `PREAU_PREDELETE_DAYS_BY_PROFILE` ({"Teacher": 120}),
`PREAU_DELETE_DAYS` (default 90), `PREAU_DELETE_DAYS_BY_PROFILE`.

Productions: when the document space exists, deleting an account must first hand every
production someone else holds *gestion* on over to a manager (the reference ENT loses
them); see docs/feeds.md.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts.models import PasswordHistory, PersonalToken, Profile, State, User, UserEvent
from preau.directory.models import (
    BookmarkMember,
    Group,
    Membership,
    RelativeLink,
    SchoolAdmin,
    SchoolYear,
    ShareBookmark,
    Structure,
    StructureAttachment,
)
from preau.documents.actions import do_release_owner_data
from preau.feeds import statistics
from preau.feeds.linking import LinkWriter, chunked
from preau.feeds.models import LinkBackup
from preau.lib.text import search_key
from preau.messaging.actions import do_release_mailboxes
from preau.sso.actions import do_forget_links

DEFAULT_PREDELETE_DAYS = 90
DEFAULT_DELETE_DAYS = 90
DELETED_FIRST_NAME = "Compte"
DELETED_LAST_NAME = "supprimé"
DELETED_NAME = "Compte supprimé"


def _days(name: str, default: int, profile: str) -> int:
    by_profile: dict[str, Any] = getattr(settings, f"{name}_BY_PROFILE", {}) or {}
    value = by_profile.get(profile, getattr(settings, name, default))
    return int(value)


def predelete_days(profile: str) -> int:
    """Days an account stays missing before it is pre-deleted."""
    return _days("PREAU_PREDELETE_DAYS", DEFAULT_PREDELETE_DAYS, profile)


def delete_days(profile: str) -> int:
    """Days an account stays pre-deleted before it is deleted."""
    return _days("PREAU_DELETE_DAYS", DEFAULT_DELETE_DAYS, profile)


def days_until_deletion(user: User, today: datetime.date | None = None) -> int | None:
    """Days a pre-deleted user has left to fetch their data (None if not pre-deleted).

    The home page banner shows it: "Votre compte sera supprimé dans N jours".
    """
    if user.state != State.PREDELETED or user.predeleted_at is None:
        return None
    today = today or timezone.localdate()
    deadline = timezone.localdate(user.predeleted_at) + datetime.timedelta(
        days=delete_days(user.profile))
    return max(0, (deadline - today).days)


def moment(today: datetime.date | None) -> datetime.datetime:
    """Now, or — for a run dated another day (tests, catching up) — noon of that day."""
    if today is None or today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))


# -- links: remove with a backup, restore ---------------------------------------------


def remove_links(user_ids: list[int], *, backup: bool, now: datetime.datetime) -> set[int]:
    """Removes every link of these users (kept in a LinkBackup when `backup`). Returns the
    parents whose groups must be reworked (their child left)."""
    data: dict[int, dict[str, list[dict[str, Any]]]] = {
        uid: {"attachments": [], "memberships": [], "relatives": [], "children": [],
              "school_admin": []} for uid in user_ids}
    parents: set[int] = set()
    for ids in chunked(user_ids):
        sources: list[tuple[str, str, Any, tuple[str, ...]]] = [
            ("attachments", "user_id", StructureAttachment.objects.filter(user_id__in=ids),
             ("structure_id", "source", "is_director", "functions", "created_at")),
            ("memberships", "user_id", Membership.objects.filter(user_id__in=ids),
             ("group_id", "source", "added_by_id", "created_at")),
            ("relatives", "student_id", RelativeLink.objects.filter(student_id__in=ids),
             ("relative_id", "source", "legal", "created_at")),
            ("children", "relative_id", RelativeLink.objects.filter(relative_id__in=ids),
             ("student_id", "source", "legal", "created_at")),
            ("school_admin", "user_id", SchoolAdmin.objects.filter(user_id__in=ids),
             ("structure_id",)),
        ]
        for kind, owner, queryset, fields in sources:
            for values in queryset.values_list(owner, *fields):
                row = dict(zip(fields, values[1:], strict=True))
                data[values[0]][kind].append(row)
                if kind == "relatives":
                    parents.add(row["relative_id"])
        StructureAttachment.objects.filter(user_id__in=ids).delete()
        Membership.objects.filter(user_id__in=ids).delete()
        RelativeLink.objects.filter(Q(student_id__in=ids) | Q(relative_id__in=ids)).delete()
        SchoolAdmin.objects.filter(user_id__in=ids).delete()
    if backup:
        LinkBackup.objects.filter(user_id__in=user_ids).delete()
        LinkBackup.objects.bulk_create(
            [LinkBackup(user_id=uid, data=_jsonable(rows), created_at=now)
             for uid, rows in data.items()], batch_size=500)
    return parents - set(user_ids)


def _jsonable(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {kind: [{k: (v.isoformat() if isinstance(v, datetime.datetime) else v)
                    for k, v in row.items()} for row in items]
            for kind, items in rows.items()}


def _when(value: str | None) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value) if value else timezone.now()


def restore_backups(user_ids: Iterable[int]) -> None:
    """Gives pre-deleted users their backed-up links back, where the school, group or
    other person still exists; then drops the backups. Bulk: a few queries in all."""
    user_ids = list(user_ids)
    if not user_ids:
        return
    backups = list(LinkBackup.objects.filter(user_id__in=user_ids).values_list("user_id",
                                                                              "data"))
    if not backups:
        return
    structures = {row["structure_id"] for _uid, data in backups
                  for row in data.get("attachments", []) + data.get("school_admin", [])}
    groups = {row["group_id"] for _uid, data in backups for row in data.get("memberships", [])}
    others = {row["relative_id"] for _uid, data in backups for row in data.get("relatives", [])}
    others |= {row["student_id"] for _uid, data in backups for row in data.get("children", [])}
    live_structures = _existing(Structure.objects, structures)
    live_groups = _existing(Group.objects, groups)
    live_users = set(user_ids) | _existing(User.objects.exclude(state=State.DELETED), others)
    attachments, memberships, links, admins = [], [], [], []
    for uid, data in backups:
        for row in data.get("attachments", []):
            if row["structure_id"] in live_structures:
                attachments.append(StructureAttachment(
                    user_id=uid, structure_id=row["structure_id"], source=row["source"],
                    is_director=row["is_director"], functions=row["functions"],
                    created_at=_when(row.get("created_at"))))
        for row in data.get("memberships", []):
            if row["group_id"] in live_groups:
                memberships.append(Membership(
                    user_id=uid, group_id=row["group_id"], source=row["source"],
                    added_by_id=row["added_by_id"] if row["added_by_id"] in live_users
                    else None, created_at=_when(row.get("created_at"))))
        for row in data.get("relatives", []):
            if row["relative_id"] in live_users:
                links.append(RelativeLink(student_id=uid, relative_id=row["relative_id"],
                                          source=row["source"], legal=row["legal"],
                                          created_at=_when(row.get("created_at"))))
        for row in data.get("children", []):
            if row["student_id"] in live_users:
                links.append(RelativeLink(relative_id=uid, student_id=row["student_id"],
                                          source=row["source"], legal=row["legal"],
                                          created_at=_when(row.get("created_at"))))
        for row in data.get("school_admin", []):
            if row["structure_id"] in live_structures:
                admins.append(SchoolAdmin(user_id=uid, structure_id=row["structure_id"]))
    StructureAttachment.objects.bulk_create(attachments, ignore_conflicts=True, batch_size=1000)
    Membership.objects.bulk_create(memberships, ignore_conflicts=True, batch_size=1000)
    RelativeLink.objects.bulk_create(links, ignore_conflicts=True, batch_size=1000)
    SchoolAdmin.objects.bulk_create(admins, ignore_conflicts=True, batch_size=1000)
    LinkBackup.objects.filter(user_id__in=user_ids).delete()


def _existing(manager: Any, ids: set[int]) -> set[int]:
    found: set[int] = set()
    for batch in chunked(sorted(ids)):
        found.update(manager.filter(pk__in=batch).values_list("pk", flat=True))
    return found


# -- deletion ---------------------------------------------------------------------------


def erase_personal_data(user_ids: list[int], now: datetime.datetime,
                        actor: User | None = None) -> None:
    """The final deletion: the row stays for the rows that point to it, the person goes."""
    do_release_owner_data(user_ids)  # documents others manage are handed over, not lost
    do_release_mailboxes(user_ids)  # their copies of messages; others keep theirs
    for ids in chunked(user_ids):
        users = []
        for uid in ids:
            login = f"supprime.{uid}"
            users.append(User(
                id=uid, login=login, first_name=DELETED_FIRST_NAME,
                last_name=DELETED_LAST_NAME, display_name=DELETED_NAME,
                name_key=search_key(f"{DELETED_LAST_NAME} {DELETED_FIRST_NAME} {login}"),
                email="", academic_email="", ine="", birth_date=None, external_id="",
                external_prefix="", feed_checksum="", activation_code="",
                password=make_password(None), state=State.DELETED, deleted_at=now,
                missing_since=None, federated=False))
        User.objects.bulk_update(users, [
            "login", "first_name", "last_name", "display_name", "name_key", "email",
            "academic_email", "ine", "birth_date", "external_id", "external_prefix",
            "feed_checksum", "activation_code", "password", "state", "deleted_at",
            "missing_since", "federated"])
        StructureAttachment.objects.filter(user_id__in=ids).delete()
        Membership.objects.filter(user_id__in=ids).delete()
        RelativeLink.objects.filter(Q(student_id__in=ids) | Q(relative_id__in=ids)).delete()
        SchoolAdmin.objects.filter(user_id__in=ids).delete()
        BookmarkMember.objects.filter(user_id__in=ids).delete()
        ShareBookmark.objects.filter(owner_id__in=ids).delete()
        PasswordHistory.objects.filter(user_id__in=ids).delete()
        PersonalToken.objects.filter(user_id__in=ids).delete()
        LinkBackup.objects.filter(user_id__in=ids).delete()
        do_forget_links(ids)  # their single sign-on links (the IdPs' ids of the person)
        # The history holds old names and values: it goes too, one line stays.
        UserEvent.objects.filter(user_id__in=ids).delete()
        UserEvent.objects.bulk_create([
            UserEvent(user_id=uid, actor=actor, kind=UserEvent.Kind.STATE, at=now,
                      message=_("Account deleted"), details={"state": "deleted"})
            for uid in ids])


# -- the daily run ------------------------------------------------------------------------


@dataclass
class LifecycleReport:
    today: datetime.date
    predeleted: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    deleted_unactivated: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "dry_run": self.dry_run,
                "predeleted": dict(self.predeleted), "deleted": dict(self.deleted),
                "deleted_unactivated": dict(self.deleted_unactivated)}


def _due(field_name: str, days_of: Any, today: datetime.date) -> Q:
    """Accounts whose `field_name` date is at least their profile's delay before today."""
    condition = Q(pk__in=[])
    for profile in Profile.values:
        cutoff = today - datetime.timedelta(days=days_of(profile))
        condition |= Q(profile=profile, **{f"{field_name}__lte": cutoff})
    return condition


class _DryRun(Exception):
    pass


def run_lifecycle(today: datetime.date | None = None, *, dry_run: bool = False,
                  actor: User | None = None) -> LifecycleReport:
    """Pre-deletes and deletes what is due on `today` (default: today). Idempotent."""
    report = LifecycleReport(today or timezone.localdate(), dry_run=dry_run)
    try:
        with transaction.atomic():
            written = statistics.writes_so_far()
            _lifecycle(report, actor)
            if dry_run:
                raise _DryRun
            stale = statistics.stale_since(written)
    except _DryRun:
        return report
    statistics.analyze(stale, "the feed life cycle")  # committed: fresh statistics
    return report


def _lifecycle(report: LifecycleReport, actor: User | None) -> None:
    today = report.today
    now = moment(today)
    due = (User.objects.filter(missing_since__isnull=False, predeleted_at__isnull=True,
                               state__in=(State.MISSING, State.BLOCKED))
           .filter(_due("missing_since", predelete_days, today))
           .order_by().values_list("id", "profile", "state", "activated_at", "last_login",
                                   "password"))
    predelete: list[int] = []
    unactivated: list[int] = []
    events = []
    for uid, profile, state, activated_at, last_login, password in due.iterator(
            chunk_size=5000):
        if activated_at is None and last_login is None and not is_password_usable(password):
            unactivated.append(uid)
            report.deleted_unactivated[profile] += 1
            continue
        predelete.append(uid)
        report.predeleted[profile] += 1
        # A blocked account stays blocked: pre-deletion must not let it log in again.
        after = State.BLOCKED if state == State.BLOCKED else State.PREDELETED
        events.append(UserEvent(
            user_id=uid, actor=actor, kind=UserEvent.Kind.STATE, at=now,
            message=_("Pre-deleted: missing from the feed for too long"),
            details={"state": [state, after], "predeleted": True}))
    parents: set[int] = set()
    if predelete:
        parents |= remove_links(predelete, backup=True, now=now)
        for ids in chunked(predelete):
            User.objects.filter(id__in=ids, state=State.MISSING).update(
                state=State.PREDELETED, predeleted_at=now)
            User.objects.filter(id__in=ids, state=State.BLOCKED).update(predeleted_at=now)
        UserEvent.objects.bulk_create(events, batch_size=1000)
    if unactivated:
        parents |= remove_links(unactivated, backup=False, now=now)
        erase_personal_data(unactivated, now, actor)
    gone = User.objects.filter(state__in=(State.PREDELETED, State.BLOCKED),
                               predeleted_at__isnull=False)
    deleted = []
    for uid, profile, predeleted_at in gone.order_by().values_list("id", "profile",
                                                                   "predeleted_at"):
        if timezone.localdate(predeleted_at) + datetime.timedelta(
                days=delete_days(profile)) <= today:
            deleted.append(uid)
            report.deleted[profile] += 1
    if deleted:
        erase_personal_data(deleted, now, actor)
    parents -= set(predelete) | set(unactivated) | set(deleted)
    if parents:
        year = SchoolYear.objects.filter(is_current=True).first()
        LinkWriter(year, now, None).sync_relatives(parents)
