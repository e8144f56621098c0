"""Feed freeze (refused or held) and the missing-accounts hold, with approval."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from preau.accounts.models import State, User
from preau.directory.models import Academy
from preau.feeds.actions import FeedActionError, do_approve_run, do_reject_run
from preau.feeds.models import FeedRun
from tests.feeds.importing import (
    build_world,
    current_year,
    directory_fingerprint,
    run_import,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tmp_path):
    current_year()
    world = build_world(pupils_per_class=10)  # 30 pupils, 30 parents, 3 teachers
    run_import(world.write(tmp_path / "first"))
    return world


def test_frozen_academy_refuses_runs(world, tmp_path):
    Academy.objects.update(feeds_frozen=True)
    before = directory_fingerprint()
    paths = world.without_class("CP-0").write(tmp_path / "summer")
    run = run_import(paths)
    assert run.status == FeedRun.Status.REFUSED
    assert "suspendues" in run.message and "--hold" in run.message
    assert run.report["totals"]["created"] == 0
    assert directory_fingerprint() == before
    with pytest.raises(CommandError) as refused:
        call_command("feed", "import", "--format", "aaf1d", "--academy", "lille",
                     *map(str, paths))
    assert refused.value.returncode == 2


def test_frozen_academy_holds_runs_for_approval(world, tmp_path):
    Academy.objects.update(feeds_frozen=True)
    before = directory_fingerprint()
    run = run_import(world.without_class("CP-0").write(tmp_path / "summer"), hold=True)
    assert run.status == FeedRun.Status.HELD
    assert run.hold_reason == FeedRun.HoldReason.FROZEN
    assert run.report["hold"]["reason"] == "frozen"
    assert run.report["counts"]["Student"]["missing"] == 10  # what approving would do
    stored = Path(run.stored_files)
    assert stored.parent == Path(django_settings.DATA_DIR) / "feeds"
    assert sorted(p.name for p in stored.iterdir()) == sorted(run_file["name"]
                                                            for run_file in run.files)
    assert directory_fingerprint() == before
    do_approve_run(run, actor_label="admin")
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED and run.approved_at is not None
    assert run.report["approved_by"] == "admin"
    assert User.objects.filter(state=State.MISSING).count() == 20
    assert not stored.exists() and run.stored_files == ""


def test_a_truncated_file_is_held_until_approved(world, tmp_path):
    before = directory_fingerprint()
    cut = dataclasses.replace(world, pupils=world.pupils[:12])  # half the file lost
    run = run_import(cut.write(tmp_path / "truncated"))
    assert run.status == FeedRun.Status.HELD
    assert run.hold_reason == FeedRun.HoldReason.MISSING_THRESHOLD
    hold = run.report["hold"]
    # 18 pupils, and their 18 parents whom no pupil references any more, of 63 accounts.
    assert (hold["missing"], hold["existing"], hold["share"]) == (36, 63, 57.1)
    assert "36" in run.message and "63" in run.message and "approve" in run.message
    assert directory_fingerprint() == before
    with pytest.raises(CommandError) as held:
        call_command("feed", "approve", str(run.pk + 1000))
    assert "Aucun import" in str(held.value)
    call_command("feed", "approve", str(run.pk))
    run.refresh_from_db()
    assert run.status == FeedRun.Status.APPLIED
    assert User.objects.filter(state=State.MISSING, profile="Student").count() == 18
    with pytest.raises(FeedActionError):
        do_approve_run(run)


def test_threshold_is_configurable(world, tmp_path, settings):
    settings.PREAU_FEED_MISSING_THRESHOLD = 0.6
    cut = dataclasses.replace(world, pupils=world.pupils[:12])
    run = run_import(cut.write(tmp_path / "truncated"))
    assert run.status == FeedRun.Status.APPLIED  # 36 of 63: under 60 %
    assert run.report["newly_missing"] == 36


def test_small_changes_are_not_held(world, tmp_path):
    few = dataclasses.replace(world, pupils=world.pupils[3:])
    run = run_import(few.write(tmp_path / "second"))
    assert run.status == FeedRun.Status.APPLIED  # 6 of 63 accounts
    assert run.report["newly_missing"] == 6


def test_reject_a_held_run(world, tmp_path):
    cut = dataclasses.replace(world, pupils=world.pupils[:5])
    run = run_import(cut.write(tmp_path / "truncated"))
    assert run.status == FeedRun.Status.HELD
    stored = Path(run.stored_files)
    call_command("feed", "reject", str(run.pk))
    run.refresh_from_db()
    assert run.status == FeedRun.Status.REFUSED and not stored.exists()
    with pytest.raises(FeedActionError):
        do_reject_run(run)
    assert not User.objects.filter(state=State.MISSING).exists()
