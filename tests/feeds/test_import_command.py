"""`preau feed import|show|approve`: JSON and French output, exit status."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from preau.accounts.models import User
from preau.directory.models import Academy, Structure
from preau.feeds.models import FeedRun
from tests.feeds.importing import build_world, current_year, uai

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return current_year()


def feed(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("feed", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def test_import_json(year, tmp_path):
    world = build_world()
    folder = tmp_path / "lille"
    world.write(folder)
    out, code = feed("import", "--format", "aaf1d", "--academy", "lille", "--json",
                     str(folder))
    assert code == 0
    report = json.loads(out)
    assert report["status"] == "applied" and report["academy"] == "lille"
    assert report["counts"]["Student"]["created"] == 12
    assert report["totals"]["created"] == 27
    assert report["schools"] == {uai(0): {"Student": 12, "Teacher": 3}}
    assert report["structures"]["created"] == 1 and report["classes"]["created"] == 3
    assert report["kinds"] == ["Personnel", "Relative", "Student", "Teacher"]
    assert {f["role"] for f in report["files"]} == {"EtabEducNat", "Eleve", "PersRelEleve",
                                                   "PersEducNat"}
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in report["files"])
    assert report["actor"].startswith("ligne de commande")
    run = FeedRun.objects.get(pk=report["run"])
    assert run.report == report and run.duration_seconds is not None
    out, code = feed("import", "--format", "aaf1d", "--academy", "lille", "--json",
                     "--dry-run", str(folder))
    assert code == 0 and json.loads(out)["status"] == "dry_run"
    assert json.loads(out)["totals"]["unchanged"] == 27


def test_import_text_summary(year, tmp_path):
    folder = tmp_path / "lille"
    build_world().write(folder)
    out, code = feed("import", "--format", "aaf1d", "--academy", "lille", str(folder))
    assert code == 0
    assert "Appliqué" in out
    assert "créés" in out and "Élève" in out
    show, _code = feed("show", str(FeedRun.objects.get().pk))
    assert show == out


def test_exit_status_of_failed_refused_and_held_runs(year, tmp_path):
    folder = tmp_path / "lille"
    paths = build_world(pupils_per_class=10).write(folder)
    out, code = feed("import", "--format", "aaf1d", "--json", str(folder))
    assert code == 2 and json.loads(out)["status"] == "refused"  # no --academy
    feed("import", "--format", "aaf1d", "--academy", "lille", str(folder))
    broken = next(p for p in paths if "_Eleve_" in p.name)
    broken.write_bytes(broken.read_bytes()[:500])
    out, code = feed("import", "--format", "aaf1d", "--academy", "lille", "--json",
                     str(folder))
    report = json.loads(out)
    assert code == 1 and report["status"] == "failed"
    assert report["issues"][0]["file"] == broken.name and report["issues"][0]["line"]
    world = build_world(pupils_per_class=10)
    dataclasses.replace(world, pupils=world.pupils[:3]).write(folder)
    out, code = feed("import", "--format", "aaf1d", "--academy", "lille", "--json",
                     str(folder))
    assert code == 3 and json.loads(out)["status"] == "held"


def test_multi_academy_folder(year, tmp_path):
    """importDirectories.json lists the académies' folders; each folder name is the prefix
    of its ids, so the same ids in two académies never collide."""
    root = tmp_path / "drop"
    for number, name in enumerate(("lille", "amiens")):
        build_world(first_school=number).write(root / name)
    (root / "importDirectories.json").write_text('["lille", "amiens"]')
    out, code = feed("import", "--format", "aaf1d", "--json", str(root))
    assert code == 0
    runs = json.loads(out)["runs"]
    assert [r["academy"] for r in runs] == ["lille", "amiens"]
    assert User.objects.filter(external_id="E00001").count() == 2
    assert set(Academy.objects.values_list("feed_prefix", flat=True)) == {"lille", "amiens"}
    assert Structure.objects.count() == 2
    out, code = feed("import", "--format", "aaf1d", "--academy", "amiens", "--json", str(root))
    assert code == 0 and json.loads(out)["academy"] == "amiens"


def test_unknown_run(year):
    _out, code = feed("show", "999")
    assert code == 1
