from __future__ import annotations

import dataclasses

import pytest

from preau.accounts.models import Profile, User
from preau.feeds import importer
from preau.feeds.models import FeedRun
from tests.feeds.importing import build_world, current_year, run_import


@pytest.fixture
def year(db):
    return current_year()


def test_a_freed_name_does_not_collide_with_its_numbered_logins(year, tmp_path):
    """jean.dupont was deleted (its login freed) but jean.dupont2 still exists: two new
    Jean Dupont get jean.dupont and jean.dupont3, and the run applies."""
    User.objects.create(login="jean.dupont2", first_name="Jean", last_name="Dupont",
                        profile=Profile.STUDENT)
    world = build_world(classes=("CP",), pupils_per_class=2, teachers=False)
    pupils = [dataclasses.replace(p, first_name="Jean", last_name="DUPONT")
              for p in world.pupils]
    run = run_import(dataclasses.replace(world, pupils=pupils).write(tmp_path / "files"))
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert sorted(User.objects.filter(first_name="Jean", last_name="DUPONT")
                  .values_list("login", flat=True)) == ["jean.dupont", "jean.dupont3"]


@pytest.mark.parametrize("existing", [None, "jean.dupont5"])
def test_homonyms_in_several_chunks_get_the_lowest_free_logins(year, tmp_path, monkeypatch,
                                                               existing):
    """Chunks of 4 records: each chunk resumes the numbering where the previous ones left
    it (PostgreSQL: `scratch_login`), and a number taken before the run is skipped."""
    monkeypatch.setattr(importer, "RECORDS", 4)
    if existing:
        User.objects.create(login=existing, first_name="Jean", last_name="Dupont",
                            profile=Profile.STUDENT)
    world = build_world(classes=("CP",), pupils_per_class=10, teachers=False)
    pupils = [dataclasses.replace(p, first_name="Jean", last_name="DUPONT")
              for p in world.pupils]
    run = run_import(dataclasses.replace(world, pupils=pupils).write(tmp_path / "files"))
    assert run.status == FeedRun.Status.APPLIED, run.message
    numbers = [n for n in range(1, 12) if f"jean.dupont{n}" != existing][:10]
    expected = sorted("jean.dupont" if n == 1 else f"jean.dupont{n}" for n in numbers)
    assert sorted(User.objects.filter(first_name="Jean", last_name="DUPONT")
                  .values_list("login", flat=True)) == expected


def test_activation_codes_drawn_in_bulk_are_like_the_console_s():
    from collections import Counter

    from preau.accounts.actions import ACTIVATION_ALPHABET, ACTIVATION_CODE_LENGTH

    codes = importer.activation_codes(5000)
    assert len(codes) == 5000 and len(set(codes)) == 5000
    assert all(len(code) == ACTIVATION_CODE_LENGTH for code in codes)
    seen = Counter("".join(codes))
    assert set(seen) == set(ACTIVATION_ALPHABET)  # every character, nothing else
    expected = 5000 * ACTIVATION_CODE_LENGTH / len(ACTIVATION_ALPHABET)  # about 727
    assert all(0.75 * expected < n < 1.25 * expected for n in seen.values())
    assert importer.activation_codes(0) == []


def test_unusable_passwords_drawn_in_bulk():
    from django.contrib.auth.hashers import is_password_usable

    passwords = importer.unusable_passwords(1000)
    assert len(set(passwords)) == 1000
    assert all(not is_password_usable(p) and len(p) == 41 for p in passwords)
