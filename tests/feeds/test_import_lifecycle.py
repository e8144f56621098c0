"""Missing → pre-deleted → restored or deleted, with the delays shortened by --today."""

from __future__ import annotations

import dataclasses
import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from preau.accounts.actions import do_activate, do_block
from preau.accounts.models import PasswordHistory, Profile, State, User, UserEvent
from preau.directory.actions import check_attach_teacher_to_class, do_create_bookmark
from preau.directory.models import (
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolClass,
    ShareBookmark,
    StructureAttachment,
)
from preau.feeds.lifecycle import days_until_deletion, run_lifecycle
from preau.feeds.linking import LinkWriter
from preau.feeds.models import LinkBackup
from tests.feeds.importing import build_world, current_year, run_import

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    """`n` days from today, read when asked: a suite that runs past midnight (Paris) must
    not compare with the day it started."""
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def world(tmp_path):
    current_year()
    world = build_world()
    run_import(world.write(tmp_path / "first"))
    return world


def activate(external_id: str) -> User:
    user = User.objects.get(external_id=external_id)
    do_activate(user, "Motdepasse-2023")
    return user


def test_missing_then_predeleted_then_restored_with_links(world, tmp_path):
    pupil = activate("E00001")
    parent = activate("R00001")
    teacher = User.objects.get(external_id="T01")
    cp = SchoolClass.objects.get(code="CP-0")
    check_attach_teacher_to_class(teacher, cp, teacher, as_admin=True)  # manual, survives
    links_before = set(Membership.objects.filter(user=pupil).values_list("group_id", "source"))
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    pupil.refresh_from_db()
    assert (pupil.state, pupil.missing_since) == (State.MISSING, days(0))
    assert pupil.is_active  # still logs in while missing
    assert run_lifecycle(days(89)).predeleted == {}
    report = run_lifecycle(days(90))
    assert report.predeleted == {"Student": 1, "Relative": 1}
    assert report.deleted_unactivated == {"Student": 3, "Relative": 3}
    pupil.refresh_from_db()
    assert pupil.state == State.PREDELETED and pupil.is_active
    assert days_until_deletion(pupil, days(90)) == 90
    assert days_until_deletion(pupil, days(150)) == 30
    assert not Membership.objects.filter(user=pupil).exists()
    assert not StructureAttachment.objects.filter(user=pupil).exists()
    assert not RelativeLink.objects.filter(student=pupil).exists()
    assert LinkBackup.objects.filter(user=pupil).exists()
    assert not User.objects.alive().filter(pk=pupil.pk).exists()
    # The CP pupils come back in the next feed: restored with their links.
    back = run_import(world.write(tmp_path / "third"))
    assert back.report["counts"]["Student"]["restored"] == 1
    assert back.report["counts"]["Student"]["created"] == 3
    pupil.refresh_from_db()
    assert (pupil.state, pupil.missing_since, pupil.predeleted_at) == (State.ACTIVE, None,
                                                                       None)
    assert set(Membership.objects.filter(user=pupil).values_list("group_id", "source")) == \
        links_before
    assert RelativeLink.objects.filter(student=pupil, relative=parent).exists()
    assert not LinkBackup.objects.exists()
    assert Membership.objects.filter(user=teacher, source=MembershipSource.MANUAL,
                                     group__school_class=cp).exists()
    assert days_until_deletion(pupil) is None


def test_predeleted_then_deleted_erases_personal_data(world, tmp_path):
    pupil = activate("E00001")
    do_create_bookmark(pupil, "Mes amis")
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    run_lifecycle(days(90))
    assert run_lifecycle(days(179)).deleted == {}
    report = run_lifecycle(days(180))
    assert report.deleted == {"Student": 1}
    pupil.refresh_from_db()
    assert pupil.state == State.DELETED and not pupil.is_active
    assert pupil.display_name == "Compte supprimé" and pupil.full_name == "Compte supprimé"
    assert pupil.login == f"supprime.{pupil.pk}"
    assert (pupil.email, pupil.ine, pupil.birth_date, pupil.external_id) == ("", "", None, "")
    assert not pupil.has_usable_password() and pupil.deleted_at is not None
    assert not ShareBookmark.objects.filter(owner=pupil).exists()
    assert not PasswordHistory.objects.filter(user=pupil).exists()
    assert list(pupil.events.values_list("kind", flat=True)) == [UserEvent.Kind.STATE]
    assert not LinkBackup.objects.exists()
    # The login is free again; the same person listed later is a new account.
    again = run_import(world.write(tmp_path / "third"))
    assert again.report["counts"]["Student"]["created"] == 4


def test_never_activated_accounts_are_deleted_at_once(world, tmp_path):
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    report = run_lifecycle(days(90))
    assert report.predeleted == {}
    assert report.deleted_unactivated == {"Student": 4, "Relative": 4}
    assert User.objects.filter(state=State.DELETED).count() == 8
    assert not User.objects.filter(state=State.PREDELETED).exists()


def test_parents_groups_follow_a_predeleted_child(world, tmp_path):
    """A parent of a CP and a CE1 pupil: when the CP child is pre-deleted, the parent
    keeps only the CE1 groups."""
    cp_pupil = activate("E00001")
    ce1_pupil = User.objects.get(external_id="E00005")
    parent = User.objects.get(external_id="R00005")
    RelativeLink.objects.create(relative=parent, student=cp_pupil, source="AAF1D")
    LinkWriter(SchoolClass.objects.first().school_year, timezone.now(), "AAF1D"
               ).sync_relatives([parent.pk])
    assert set(Membership.objects.filter(user=parent, group__school_class__isnull=False)
               .values_list("group__name", flat=True)) == {"Parents — CP A", "Parents — CE1 A"}
    world_pupils = [p for p in world.pupils if p.external_id != "E00001"]
    run_import(dataclasses.replace(world, pupils=world_pupils).write(tmp_path / "second"))
    run_lifecycle(days(90))
    assert set(Membership.objects.filter(user=parent, group__school_class__isnull=False)
               .values_list("group__name", flat=True)) == {"Parents — CE1 A"}
    assert RelativeLink.objects.filter(relative=parent).get().student == ce1_pupil


def test_delays_per_profile(world, tmp_path, settings):
    settings.PREAU_PREDELETE_DAYS = 30
    settings.PREAU_PREDELETE_DAYS_BY_PROFILE = {"Relative": 5}
    settings.PREAU_DELETE_DAYS = 10
    for external_id in ("E00001", "R00001"):
        activate(external_id)
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    assert run_lifecycle(days(5)).predeleted == {"Relative": 1}
    report = run_lifecycle(days(30))
    assert (report.predeleted, report.deleted) == ({"Student": 1}, {"Relative": 1})
    assert run_lifecycle(days(40)).deleted == {"Student": 1}


def test_blocked_account_stays_blocked_through_missing_and_back(world, tmp_path):
    pupil = activate("E00001")
    admin = User.objects.create_superuser("admin", "Admin-pass-2023", first_name="A",
                                          last_name="B")
    do_block(pupil, admin)
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    pupil.refresh_from_db()
    assert (pupil.state, pupil.missing_since) == (State.BLOCKED, days(0))
    assert run_lifecycle(days(90)).predeleted == {"Student": 1}
    pupil.refresh_from_db()
    assert pupil.state == State.BLOCKED and pupil.predeleted_at is not None
    assert not pupil.is_active  # pre-deletion does not unblock
    assert not Membership.objects.filter(user=pupil).exists()
    run_import(world.write(tmp_path / "third"))
    pupil.refresh_from_db()
    assert (pupil.state, pupil.missing_since, pupil.predeleted_at) == (State.BLOCKED, None,
                                                                       None)
    assert Membership.objects.filter(user=pupil).count() == 2  # links given back


def test_blocked_missing_account_is_deleted_in_the_end(world, tmp_path):
    pupil = activate("E00001")
    admin = User.objects.create_superuser("admin", "Admin-pass-2023", first_name="A",
                                          last_name="B")
    do_block(pupil, admin)
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    run_lifecycle(days(90))
    assert run_lifecycle(days(180)).deleted == {"Student": 1}
    pupil.refresh_from_db()
    assert pupil.state == State.DELETED


def test_lifecycle_command(world, tmp_path):
    activate("E00001")
    run_import(world.without_class("CP-0").write(tmp_path / "second"))
    out = StringIO()
    call_command("feed", "lifecycle", "--today", days(90).isoformat(), "--dry-run", "--json",
                 stdout=out)
    data = json.loads(out.getvalue())
    assert data["dry_run"] and data["predeleted"] == {"Student": 1}
    assert data["deleted_unactivated"] == {"Student": 3, "Relative": 4}
    assert not User.objects.filter(state__in=(State.PREDELETED, State.DELETED)).exists()
    out = StringIO()
    call_command("feed", "lifecycle", "--today", days(90).isoformat(), stdout=out)
    assert "Pré-supprimés : 1 (Élève 1)" in out.getvalue()
    assert User.objects.filter(state=State.PREDELETED, profile=Profile.STUDENT).count() == 1
