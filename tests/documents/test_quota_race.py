"""The quota counter under concurrent uploads: together they never pass the limit.

`reserve_space` charges with one conditional UPDATE (… WHERE used + size <= limit). On
PostgreSQL, threads with their own connections really run side by side: the test fires
them at once through a barrier. SQLite serialises every writer, so there the same
invariant is checked sequentially. A control test runs the same race against a naive
read-then-write reservation and sees it overshoot: the race test can fail.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from preau.accounts.models import Profile, User
from preau.documents import actions
from preau.documents.actions import (
    QuotaExceeded,
    check_upload,
    do_set_profile_quota,
    do_set_user_quota,
    quota_of,
    recount_quota,
)
from preau.documents.models import FileVersion, Node, Quota
from tests.personas import make_user

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them); "
           "runs in the PostgreSQL pass of ./run test")
# Threads open their own connections: the test must commit for them to see its rows. The
# serialized rollback puts back the rows the migrations created once the table is flushed.
concurrent_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LIMIT = 1000
SIZE = 100
THREADS = 8


@dataclass
class RaceResult:
    stored: int = 0
    refused: int = 0
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def race(user_id: int, threads: int = THREADS, size: int = SIZE) -> RaceResult:
    """`threads` uploads of `size` bytes by one user, released at the same instant."""
    result = RaceResult()
    barrier = threading.Barrier(threads)

    def one(index: int) -> None:
        try:
            user = User.objects.get(pk=user_id)
            barrier.wait(timeout=30)
            check_upload(user, SimpleUploadedFile(f"f{index}.bin", bytes([index]) * size))
            with result.lock:
                result.stored += 1
        except QuotaExceeded:
            with result.lock:
                result.refused += 1
        except BaseException as error:  # reported by the test
            with result.lock:
                result.errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "an upload thread hung"
    return result


def assert_within_quota(user: User, limit: int) -> int:
    used = Quota.objects.get(user=user).used
    stored = sum(FileVersion.objects.filter(node__owner=user).values_list("size", flat=True))
    assert used == stored == recount_quota(user.pk)
    assert used <= limit
    return used


@needs_postgresql
@concurrent_db
def test_concurrent_uploads_never_pass_the_quota():
    user = make_user("Course", "Contre", Profile.TEACHER)
    do_set_user_quota(user, LIMIT)
    check_upload(user, SimpleUploadedFile("déjà.bin", b"x" * 600))  # 400 bytes free: 4 files

    result = race(user.pk)

    assert result.errors == []
    assert (result.stored, result.refused) == (4, 4)
    assert assert_within_quota(user, LIMIT) == LIMIT
    assert Node.objects.filter(owner=user).count() == 5


@needs_postgresql
@concurrent_db
def test_first_uploads_of_a_new_user_race_for_the_quota_row_too():
    """No Quota row yet: the threads also race to create it (get_or_create)."""
    do_set_profile_quota(Profile.GUEST, 350)
    user = make_user("Nouveau", "Venu", Profile.GUEST)
    assert not Quota.objects.filter(user=user).exists()

    result = race(user.pk)

    assert result.errors == []
    assert (result.stored, result.refused) == (3, 5)
    assert assert_within_quota(user, 350) == 300


def _naive_reserve(user: User, size: int) -> None:
    """A read-then-write reservation, as it must NOT be written."""
    row, _created = Quota.objects.get_or_create(user=user)
    limit = actions.quota_limit(user, row)
    if row.used + size > limit:
        raise QuotaExceeded(row.used, limit, size)
    time.sleep(0.2)  # widen the window between the check and the write
    Quota.objects.filter(user=user).update(used=row.used + size)


@needs_postgresql
@concurrent_db
def test_the_race_catches_a_naive_reservation(monkeypatch):
    user = make_user("Témoin", "Naïf", Profile.TEACHER)
    do_set_user_quota(user, LIMIT)
    check_upload(user, SimpleUploadedFile("déjà.bin", b"x" * 600))
    monkeypatch.setattr(actions, "reserve_space", _naive_reserve)

    result = race(user.pk)

    assert result.errors == []
    stored = sum(FileVersion.objects.filter(node__owner=user).values_list("size", flat=True))
    assert stored > LIMIT  # the naive check lets them all through
    assert Quota.objects.get(user=user).used != stored  # and loses updates


# -- the same invariant, one after the other (any database) -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("sizes", [
    [600, 100, 100, 100, 100, 100],
    [999, 1, 1],
    [1001],
    [250, 250, 250, 250, 1],
])
def test_sequential_uploads_stop_exactly_at_the_quota(sizes: list[int]):
    user = make_user("Suite", "Ordonnée", Profile.TEACHER)
    do_set_user_quota(user, LIMIT)
    used = 0
    for index, size in enumerate(sizes):
        sent = SimpleUploadedFile(f"f{index}.bin", b"z" * size)
        if used + size <= LIMIT:
            check_upload(user, sent)
            used += size
        else:
            with pytest.raises(QuotaExceeded) as refused:
                check_upload(user, sent)
            assert (refused.value.used, refused.value.free) == (used, LIMIT - used)
        assert quota_of(user).used == used
    assert assert_within_quota(user, LIMIT) == used
