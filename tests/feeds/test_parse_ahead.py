"""Parsing ahead (preau/feeds/parsers/ahead.py): AAF files parsed by a second process give
the importer the same records, errors and warnings, in the same order, and the child never
outlives its run."""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
from pathlib import Path

import pytest
from django.db import transaction

from preau.accounts.models import User
from preau.directory.models import Membership, RelativeLink, StructureAttachment
from preau.feeds import importer as importer_module
from preau.feeds.inputs import RunInput
from preau.feeds.models import FeedIssue, FeedRun
from preau.feeds.parsers import FeedError, PersonRecord, parse_aaf
from preau.feeds.parsers import ahead as ahead_module
from preau.feeds.parsers.ahead import AheadParser, ParserGone
from tests.feeds.helpers import DATA
from tests.feeds.importing import build_world, current_year, run_import

pytestmark = pytest.mark.skipif(not ahead_module.available(),
                                reason="needs a POSIX system running Python itself")


def _pupils_file(folder: Path, count: int, *, bad_line_at: int | None = None) -> Path:
    """`count` lean pupils; with `bad_line_at`, that record is a delta request (refused:
    only complete files are read)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ENT_Complet_20240901_Eleve_0000.xml"
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ficAlimMENESR>\n']
    for i in range(count):
        tag = "modifyRequest" if i == bad_line_at else "addRequest"
        parts.append(
            f"<{tag}><identifier><id>E{i}</id></identifier><attributes>"
            f'<attr name="ENTPersonNom"><value>NOM{i}</value></attr>'
            f'<attr name="ENTPersonPrenom"><value>Prénom</value></attr>'
            f'<attr name="ENTPersonDateNaissance"><value>01/02/2015</value></attr>'
            f'<attr name="ENTPersonClasses"><value>ST1$$$C{i % 5}$Classe {i % 5}</value>'
            f"</attr></attributes></{tag}>\n")
    parts.append("</ficAlimMENESR>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


# -- the parser process alone ------------------------------------------------------------


def test_same_records_and_warnings_as_parsing_in_process(tmp_path):
    world = build_world(schools=2, pupils_per_class=300)  # 1,800 pupils: two batches and more
    paths = sorted(world.write(tmp_path / "aaf"))
    parser = AheadParser(paths, "aaf1d")
    try:
        for path in paths:
            expected_warnings: list = []
            expected = list(parse_aaf(path, "aaf1d", warnings=expected_warnings))
            warnings: list = []
            got = list(parser.records(path, warnings))
            assert got == expected
            assert [r.checksum for r in got] == [r.checksum for r in expected]
            assert warnings == expected_warnings
    finally:
        parser.close()
    assert sum(1 for p in paths if "Eleve" in p.name) >= 1


def test_a_malformed_file_is_refused_at_the_same_place(tmp_path):
    path = _pupils_file(tmp_path, 2500, bad_line_at=1500)
    expected: list = []
    with pytest.raises(FeedError) as in_process:
        expected.extend(parse_aaf(path, "aaf1d"))
    parser = AheadParser([path], "aaf1d")
    got: list = []
    try:
        with pytest.raises(FeedError) as from_child:
            got.extend(parser.records(path))
    finally:
        parser.close()
    assert got == expected and len(got) == 1500
    assert from_child.value.report() == in_process.value.report()
    assert (from_child.value.file, from_child.value.line) == (path.name,
                                                              in_process.value.line)


def test_files_must_be_read_in_the_order_given(tmp_path):
    first = _pupils_file(tmp_path / "a", 10)
    second = _pupils_file(tmp_path / "b", 10)
    parser = AheadParser([first, second], "aaf1d")
    try:
        with pytest.raises(RuntimeError, match="out of order"):
            next(iter(parser.records(second)))
    finally:
        parser.close()


def test_a_killed_parser_is_an_error_not_a_hang(tmp_path):
    # 50,000 records: the child cannot have sent them all (it stays at most 32 batches
    # ahead), so killing it after the first record leaves the file unfinished.
    path = _pupils_file(tmp_path, 50_000)
    parser = AheadParser([path], "aaf1d")
    try:
        records = parser.records(path)
        next(records)
        os.kill(parser._process.pid, signal.SIGKILL)
        with pytest.raises(ParserGone, match="stopped"):
            for _record in records:
                pass
    finally:
        parser.close()


def test_closing_early_stops_the_child(tmp_path):
    path = _pupils_file(tmp_path, 50_000)
    parser = AheadParser([path], "aaf1d")
    next(iter(parser.records(path)))
    parser.close()
    assert parser._process.returncode is not None
    assert not parser._reader.is_alive()


def test_a_record_carries_its_checksum_across_the_pipe(tmp_path):
    record = next(iter(parse_aaf(_pupils_file(tmp_path, 1), "aaf1d")))
    assert isinstance(record, PersonRecord) and record.digest == ""
    back = pickle.loads(pickle.dumps(record))
    assert back == record and back.digest == record.checksum == back.checksum
    changed = dataclasses.replace(back, last_name="AUTRE")
    assert changed.digest == ""  # never a checksum its new fields would belie
    assert changed.checksum != record.checksum


def test_reading_ahead_follows_the_threshold(tmp_path):
    world = build_world()
    inputs = RunInput.build(world.write(tmp_path / "aaf"), "aaf1d")
    mib = sum(f.path.stat().st_size for f in inputs.files) / 2**20
    for threshold, used in ((-1, False), (mib * 1.01, False), (mib, True), (0, True)):
        with inputs.reading(threshold):
            assert (inputs._ahead is not None) is used
        assert inputs._ahead is None
    inputs.files[-1].path.unlink()  # gone since the run started: parsed in process, which
    with inputs.reading(0):        # refuses it as a missing file
        assert inputs._ahead is None
        with pytest.raises(FeedError, match="introuvable"):
            list(inputs.people(tuple(inputs.kinds())))


# -- through the importer -----------------------------------------------------------------


def _content() -> dict[str, object]:
    """What a run wrote, without ids nor random values (activation codes)."""
    return {
        "users": sorted(User.objects.values_list(
            "external_id", "login", "profile", "state", "feed_checksum", "first_name",
            "last_name", "birth_date", "email")),
        "members": sorted(Membership.objects.values_list("user__external_id", "group__name",
                                                         "source")),
        "attachments": sorted(StructureAttachment.objects.values_list(
            "user__external_id", "structure__uai", "is_director", "source")),
        "links": sorted(RelativeLink.objects.values_list(
            "relative__external_id", "student__external_id", "legal")),
        "issues": sorted(FeedIssue.objects.values_list("severity", "file", "line", "code",
                                                       "message")),
        "runs": sorted((r.status, str(r.counts)) for r in FeedRun.objects.all()),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("folder", ["generated", "aaf"])
def test_an_import_parsed_ahead_writes_what_one_parsed_in_process(folder, tmp_path,
                                                                  settings):
    current_year()
    if folder == "generated":
        path, fmt = tmp_path / "aaf1d", "aaf1d"
        build_world(schools=2, pupils_per_class=5).write(path)
    else:  # the reference ENT's 2nd-degree sample: issues and warnings to compare too
        path, fmt = DATA / "aaf", "aaf"
    settings.PREAU_FEED_PARSE_AHEAD_MIB = -1
    with transaction.atomic():
        run = run_import(path, fmt=fmt)
        assert run.status == FeedRun.Status.APPLIED, run.message
        expected = _content()
        transaction.set_rollback(True)
    assert not User.objects.exists()
    settings.PREAU_FEED_PARSE_AHEAD_MIB = 0
    started: list[AheadParser] = []
    original = AheadParser.__init__

    def spy(self, files, flavour):
        original(self, files, flavour)
        started.append(self)

    AheadParser.__init__ = spy  # type: ignore[method-assign]
    try:
        run = run_import(path, fmt=fmt)
    finally:
        AheadParser.__init__ = original  # type: ignore[method-assign]
    assert run.status == FeedRun.Status.APPLIED, run.message
    assert len(started) == 1 and started[0]._process.returncode is not None
    assert _content() == expected


@pytest.mark.django_db
def test_a_malformed_file_parsed_ahead_changes_nothing(tmp_path, settings):
    current_year()
    settings.PREAU_FEED_PARSE_AHEAD_MIB = 0
    world = build_world(schools=1, pupils_per_class=5)
    folder = tmp_path / "aaf1d"
    world.write(folder, kinds=("schools", "staff"))
    _pupils_file(folder, 2500, bad_line_at=2100)
    run = run_import(folder)
    assert run.status == FeedRun.Status.FAILED
    assert run.message.startswith("ENT_Complet_20240901_Eleve_0000.xml, ligne 2103 : ")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_child_stops_when_the_run_fails(tmp_path, settings, monkeypatch):
    current_year()
    settings.PREAU_FEED_PARSE_AHEAD_MIB = 0
    build_world(schools=1).write(tmp_path / "aaf1d")
    closed: list[AheadParser] = []
    original = AheadParser.close

    def spy(self):
        original(self)
        closed.append(self)

    def broken(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr(AheadParser, "close", spy)
    monkeypatch.setattr(importer_module.Importer, "_sync_relatives", broken)
    with pytest.raises(RuntimeError, match="went away"):
        run_import(tmp_path / "aaf1d")
    assert len(closed) == 1 and closed[0]._process.returncode is not None
    assert not User.objects.exists()
