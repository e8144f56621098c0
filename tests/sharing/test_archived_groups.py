"""Groupes de scolarité of a past year or a closed class take no new share."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from preau.directory.models import BookmarkMember, Group, SchoolYear, ShareBookmark
from preau.sharing.actions import SharingError, check_share
from preau.sharing.models import Share
from tests.documents.helpers import upload
from tests.sharing.helpers import class_group, manual_group, school_group

pytestmark = pytest.mark.django_db


def _next_year(personas) -> None:
    personas.year.is_current = False
    personas.year.save()
    SchoolYear.objects.create(name="2024-2025", start=datetime.date(2024, 9, 1),
                              end=datetime.date(2025, 7, 5), is_current=True)


def test_current_groups_are_not_archived(personas):
    assert not Group.objects.archived().exists()


def test_last_years_class_groups_are_archived(personas):
    _next_year(personas)
    archived = set(Group.objects.archived())
    assert class_group(personas) in archived
    assert school_group(personas) not in archived  # school-level groups are kept
    assert manual_group(personas) not in Group.objects.archived()


def test_a_closed_class_s_groups_are_archived(personas):
    personas.empty_class.closed_at = timezone.now()
    personas.empty_class.save()
    assert set(Group.objects.archived()) == set(personas.empty_class.groups.all())


def test_even_an_ent_admin_cannot_share_with_an_archived_group(personas):
    doc = upload(personas.ent_admin, "note.txt", b"note")
    _next_year(personas)
    with pytest.raises(SharingError, match="année scolaire passée"):
        check_share(personas.ent_admin, doc, groups=[class_group(personas)], rights=["read"])
    assert not Share.objects.filter(group=class_group(personas)).exists()


def test_a_bookmark_skips_its_archived_groups(personas):
    doc = upload(personas.ent_admin, "note.txt", b"note")
    bookmark = ShareBookmark.objects.create(owner=personas.ent_admin, name="Mélange")
    BookmarkMember.objects.create(bookmark=bookmark, group=class_group(personas))
    BookmarkMember.objects.create(bookmark=bookmark, user=personas.colleague)
    _next_year(personas)
    outcome = check_share(personas.ent_admin, doc, bookmark=bookmark, rights=["read"])
    assert outcome.skipped_groups == [class_group(personas)]
    assert Share.objects.filter(user=personas.colleague).exists()
    assert not Share.objects.filter(group=class_group(personas)).exists()
