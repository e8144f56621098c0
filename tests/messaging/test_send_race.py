"""Concurrent sends never overfill a recipient's quota, and never charge half the recipients;
nor do they pass the sender's sending limits together.

A send locks the recipients' quota rows, checks them all, then charges them all (or none);
it first locks the sender's row, so one sender's sends count what went before them.
On PostgreSQL threads with their own connections really run side by side (released at once
by a barrier); SQLite serialises writers, so there the invariant is checked sequentially. A
control race with the lock taken out overshoots: the race test can fail.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from django.db import connection

from preau.accounts.models import User
from preau.documents.actions import do_set_user_quota, quota_of, recount_quota
from preau.documents.models import Quota
from preau.messaging import actions
from preau.messaging.actions import RecipientsFull, SendLimitReached, check_send
from preau.messaging.models import Message, MessageCopy
from tests.messaging.helpers import draft
from tests.personas import build_personas

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)")
concurrent_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SIZE = 300
LIMIT = 1000
THREADS = 6


@dataclass
class RaceResult:
    sent: int = 0
    refused: int = 0
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def race(sender_id: int, draft_ids: list[int]) -> RaceResult:
    result = RaceResult()
    barrier = threading.Barrier(len(draft_ids))

    def one(draft_id: int) -> None:
        try:
            sender = User.objects.get(pk=sender_id)
            message = Message.objects.get(pk=draft_id)
            barrier.wait(timeout=30)
            check_send(sender, message)
            with result.lock:
                result.sent += 1
        except (RecipientsFull, SendLimitReached):
            with result.lock:
                result.refused += 1
        except BaseException as error:  # reported by the test
            with result.lock:
                result.errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=one, args=(i,)) for i in draft_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a send thread hung"
    return result


def _setup() -> tuple[User, User, User, list[int]]:
    p = build_personas()
    do_set_user_quota(p.parent, LIMIT)  # room for 3 messages of 300 bytes
    drafts = [draft(p.teacher, [f"user:{p.parent.pk}", f"user:{p.colleague.pk}"],
                    subject=f"M{i}", files=[("a.bin", bytes([i]) * SIZE)]).pk
              for i in range(THREADS)]
    return p.teacher, p.parent, p.colleague, drafts


def _assert_consistent(parent: User, colleague: User, sent: int) -> None:
    received = MessageCopy.objects.filter(user=parent).count()
    assert received == sent == MessageCopy.objects.filter(user=colleague).count()
    used = Quota.objects.get(user=parent).used
    assert used == sent * SIZE == recount_quota(parent.pk)
    assert used <= LIMIT
    assert quota_of(colleague).used == sent * SIZE  # all or nothing: never half the recipients


@needs_postgresql
@concurrent_db
def test_concurrent_sends_never_pass_a_recipients_quota(monkeypatch):
    # One sender's sends take turns on the sender's lock: take it out, so that this race
    # tests the quota rows' lock alone (as sends by several teachers to one parent would).
    monkeypatch.setattr(actions, "_lock_sender", lambda sender: None)
    teacher, parent, colleague, drafts = _setup()
    result = race(teacher.pk, drafts)
    assert result.errors == []
    assert (result.sent, result.refused) == (3, 3)
    _assert_consistent(parent, colleague, 3)


def _charge_without_lock(user_ids: list[int], size: int) -> list[int]:
    """A read-then-write check, as it must NOT be written (no row lock)."""
    import time

    from django.db.models import F

    rows = list(Quota.objects.filter(user_id__in=user_ids).values_list("user_id", "used",
                                                                     "limit_override"))
    time.sleep(0.2)
    full = [(uid, used, limit) for uid, used, limit in rows
            if limit is not None and used + size > limit]
    if full:
        raise actions._NoSpace(full)
    Quota.objects.filter(user_id__in=user_ids).update(used=F("used") + size)
    return []


@needs_postgresql
@concurrent_db
def test_the_race_catches_a_send_without_the_lock(monkeypatch):
    teacher, parent, _colleague, drafts = _setup()
    monkeypatch.setattr(actions, "_lock_sender", lambda sender: None)
    monkeypatch.setattr(actions, "_charge_all", _charge_without_lock)
    result = race(teacher.pk, drafts)
    assert result.errors == []
    assert Quota.objects.get(user=parent).used > LIMIT


@pytest.mark.django_db
def test_sequential_sends_stop_exactly_at_the_quota():
    teacher, parent, colleague, drafts = _setup()
    sent = 0
    for draft_id in drafts:
        message = Message.objects.get(pk=draft_id)
        if (sent + 1) * SIZE <= LIMIT:
            check_send(teacher, message)
            sent += 1
        else:
            with pytest.raises(RecipientsFull):
                check_send(teacher, message)
    _assert_consistent(parent, colleague, sent)


def _slow_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between reading the sender's counts and writing the send."""
    import time

    counted = actions.refusal_for_now

    def slow(*args: object, **kwargs: object) -> object:
        refusal = counted(*args, **kwargs)  # type: ignore[arg-type]
        time.sleep(0.2)
        return refusal

    monkeypatch.setattr(actions, "refusal_for_now", slow)


def _pupil_drafts() -> tuple[User, list[int]]:
    p = build_personas()
    return p.pupil, [draft(p.pupil, [f"user:{p.teacher.pk}"], subject=f"M{i}").pk
                     for i in range(THREADS)]


@needs_postgresql
@concurrent_db
def test_concurrent_sends_never_pass_the_senders_hourly_limit(settings, monkeypatch):
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = {"Student": 3}
    _slow_counts(monkeypatch)
    pupil, drafts = _pupil_drafts()
    result = race(pupil.pk, drafts)
    assert result.errors == []
    assert (result.sent, result.refused) == (3, 3)
    assert Message.objects.filter(sender=pupil, sent_at__isnull=False).count() == 3


@needs_postgresql
@concurrent_db
def test_the_race_catches_sends_without_the_senders_lock(settings, monkeypatch):
    settings.PREAU_MAIL_MESSAGES_PER_HOUR = {"Student": 3}
    _slow_counts(monkeypatch)
    monkeypatch.setattr(actions, "_lock_sender", lambda sender: None)
    pupil, drafts = _pupil_drafts()
    result = race(pupil.pk, drafts)
    assert result.errors == []
    assert result.sent > 3
