"""The feeds' daily life cycle hands documents over before it erases an account."""

from __future__ import annotations

import datetime

from django.utils import timezone

from preau.accounts.models import State
from preau.documents.actions import check_create_folder, quota_of, recount_quota
from preau.documents.models import Node
from preau.feeds.lifecycle import run_lifecycle
from preau.sharing.access import rights_of
from preau.sharing.actions import check_share
from preau.sharing.models import Right
from tests.documents.helpers import upload

TODAY = timezone.localdate()


def test_final_deletion_hands_managed_documents_over_and_deletes_the_rest(
        personas, settings, django_capture_on_commit_callbacks):
    settings.PREAU_PREDELETE_DAYS = 1
    settings.PREAU_DELETE_DAYS = 1
    teacher, colleague = personas.teacher, personas.colleague
    folder = check_create_folder(teacher, "Progressions")
    shared = upload(teacher, "progression.txt", b"p" * 30, folder)
    private = upload(teacher, "brouillon.txt", b"b" * 12)
    read_only = upload(teacher, "lu.txt", b"r" * 5)
    check_share(teacher, folder, users=[colleague], rights=[Right.MANAGE])
    check_share(teacher, read_only, users=[colleague], rights=[Right.READ])
    teacher.state = State.MISSING
    teacher.missing_since = TODAY - datetime.timedelta(days=1)
    teacher.save(update_fields=["state", "missing_since"])

    assert run_lifecycle(TODAY).predeleted == {"Teacher": 1}
    assert Node.objects.filter(owner=teacher).count() == 4  # kept while pre-deleted
    with django_capture_on_commit_callbacks(execute=True):
        report = run_lifecycle(TODAY + datetime.timedelta(days=1))
    assert report.deleted == {"Teacher": 1}

    teacher.refresh_from_db()
    assert teacher.state == State.DELETED
    folder.refresh_from_db()
    shared.refresh_from_db()
    assert folder.owner_id == shared.owner_id == colleague.pk
    assert rights_of(colleague, shared) == frozenset(r.value for r in Right)
    assert not Node.objects.filter(pk__in=[private.pk, read_only.pk]).exists()
    assert not Node.objects.filter(owner=teacher).exists()
    assert quota_of(colleague).used == 30 == recount_quota(colleague.pk)
    assert quota_of(teacher).used == 0 == recount_quota(teacher.pk)


def test_a_dry_run_hands_nothing_over(personas, settings):
    settings.PREAU_PREDELETE_DAYS = 1
    settings.PREAU_DELETE_DAYS = 1
    teacher = personas.teacher
    doc = upload(teacher, "a.txt", b"a")
    check_share(teacher, doc, users=[personas.colleague], rights=[Right.MANAGE])
    teacher.state = State.MISSING
    teacher.missing_since = TODAY - datetime.timedelta(days=1)
    teacher.save(update_fields=["state", "missing_since"])
    run_lifecycle(TODAY)
    report = run_lifecycle(TODAY + datetime.timedelta(days=1), dry_run=True)
    assert report.deleted == {"Teacher": 1}
    doc.refresh_from_db()
    assert doc.owner_id == teacher.pk
