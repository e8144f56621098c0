"""The AAF writer, and what it writes read back by the parser (property-based)."""

from __future__ import annotations

import io
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preau.feeds.parsers import (
    AafFileKind,
    ClassRef,
    FeedSource,
    FunctionRef,
    GroupRef,
    PersonKind,
    PersonRecord,
    RelativeRef,
    StructureRecord,
    aaf_file_name,
    file_kind,
    parse_aaf,
    write_aaf,
    write_aaf_files,
)
from preau.feeds.parsers.errors import PLACEHOLDERS
from preau.lib.text import clean_line

# Text an XML 1.0 file can carry, as the parser returns it (`clean_line`: NFC, no invisible
# format character, line breaks as spaces, stripped; not empty); `$` is the separator of
# composite AAF values, so no part may hold one.
_XML_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co"),
                           exclude_characters="$")
# Placeholders (`-`, `SANS OBJET`…) read as empty: not written.
text = st.text(_XML_CHARS, min_size=1, max_size=12).map(clean_line).filter(
    lambda t: bool(t) and t.lower() not in PLACEHOLDERS)
optional_text = st.one_of(st.just(""), text)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Structure keys that do not read as the yes/no flags ENTEnsFonctionDir may also hold.
keys = st.text(_ALNUM, min_size=2, max_size=8).filter(
    lambda k: k.lower() not in {"oui", "non", "yes", "no", "true", "vrai", "faux", "false"})
identifiers = st.text(_ALNUM + "abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
codes = text.filter(lambda c: c not in {"-", "DIR"})
# Values the parser checks: an address, an INE (an unreadable one is left out).
mails = st.one_of(st.just(""), st.builds("{}@{}.fr".format, identifiers, identifiers))
ines = st.one_of(st.just(""), st.text(_ALNUM, min_size=11, max_size=11))


def unique(strategy, max_size=3):
    return st.lists(strategy, max_size=max_size, unique=True).map(tuple)


def refs(kind):
    return unique(st.builds(kind, keys, codes, text))


@st.composite
def persons(draw, kind: PersonKind) -> PersonRecord:
    staff = kind in (PersonKind.TEACHER, PersonKind.PERSONNEL)
    mail = draw(mails)
    return PersonRecord(
        kind=kind,
        external_id=draw(identifiers),
        last_name=draw(text),
        first_name=draw(text),
        source=FeedSource.AAF1D,
        birth_date=draw(st.none() | dates),
        title=draw(optional_text),
        ine=draw(ines) if kind is PersonKind.STUDENT else "",
        academic_email=mail if staff else "",
        email="" if staff else mail,
        phone=draw(optional_text),
        mobile=draw(optional_text),
        work_phone=draw(optional_text),
        address=draw(optional_text),
        postal_code=draw(optional_text),
        city=draw(optional_text),
        country=draw(optional_text),
        level=draw(optional_text),
        structures=draw(unique(keys)),
        classes=draw(refs(ClassRef)) if kind is PersonKind.STUDENT else (),
        groups=draw(refs(GroupRef)),
        relatives=(draw(unique(st.builds(RelativeRef, identifiers, st.just(True))))
                   if kind is PersonKind.STUDENT else ()),
        functions=(draw(unique(st.builds(FunctionRef, keys, codes, optional_text,
                                         optional_text, optional_text).filter(
            lambda f: "-" not in (f.label, f.subject_code, f.subject))))
                   if staff else ()),
        director_of=draw(unique(keys)) if staff else (),
        teacher_category={PersonKind.TEACHER: "O", PersonKind.PERSONNEL: "N"}.get(kind, ""),
    )


structures = st.builds(
    StructureRecord,
    external_id=identifiers,
    uai=st.builds(lambda n, letter: f"{n:07d}{letter}", st.integers(0, 9_999_999),
                  st.sampled_from("ABCDEFGHJKLMNPRSTUVWXYZ")),
    name=text.map(lambda n: " ".join(n.split())).filter(bool),
    source=st.just(FeedSource.AAF1D),
    structure_type=optional_text, academy=optional_text, academy_code=optional_text,
    circonscription=optional_text, circonscription_code=optional_text,
    address=optional_text, postal_code=optional_text, city=optional_text,
    phone=optional_text, email=optional_text, siren=optional_text,
)


def _unique_ids(records):
    return list({r.external_id: r for r in records}.values())


def _round_trip(records, kind: AafFileKind, flavour="aaf1d"):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / aaf_file_name("ENT", kind, date(2024, 9, 1))
        assert write_aaf(path, records, flavour=flavour) == len(records)
        return list(parse_aaf(path, flavour))


_SETTINGS = settings(max_examples=30, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.lists(persons(PersonKind.STUDENT), max_size=3).map(_unique_ids))
def test_pupils_round_trip(records):
    assert _round_trip(records, AafFileKind.PUPILS) == records


@_SETTINGS
@given(st.lists(st.one_of(persons(PersonKind.TEACHER), persons(PersonKind.PERSONNEL)),
                max_size=3).map(_unique_ids))
def test_staff_round_trip(records):
    assert _round_trip(records, AafFileKind.STAFF) == records


@_SETTINGS
@given(st.lists(persons(PersonKind.RELATIVE), max_size=3).map(_unique_ids))
def test_relatives_round_trip(records):
    assert _round_trip(records, AafFileKind.RELATIVES) == records


@_SETTINGS
@given(st.lists(structures, max_size=3).map(_unique_ids))
def test_structures_round_trip(records):
    assert _round_trip(records, AafFileKind.STRUCTURES) == records


@_SETTINGS
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co"),
                             exclude_characters="$"), min_size=1, max_size=20))
def test_the_parser_cleans_every_value_as_clean_line_does(name):
    """Bidi controls and other invisible characters from a feed never reach a record."""
    pupil = PersonRecord(kind=PersonKind.STUDENT, external_id="E1", last_name="MARTIN",
                         first_name="x" + name + "\u202e", birth_date=date(2015, 5, 1))
    [back] = _round_trip([pupil], AafFileKind.PUPILS)
    assert back.first_name == clean_line("x" + name)


def test_2d_round_trip_keeps_relatives_legal_flags():
    pupil = PersonRecord(
        kind=PersonKind.STUDENT, external_id="E1", last_name="MARTIN", first_name="Léa",
        source=FeedSource.AAF, structures=("ST1",), classes=(ClassRef("ST1", "6A", "6A"),),
        relatives=(RelativeRef("R1", True, "10"), RelativeRef("R2", False, "20")),
    )
    assert _round_trip([pupil], AafFileKind.PUPILS, flavour="aaf") == [pupil]


def test_checksum_survives_the_round_trip():
    pupil = PersonRecord(kind=PersonKind.STUDENT, external_id="E1", last_name="A & B",
                         first_name="Zoé", birth_date=date(2015, 5, 1))
    [back] = _round_trip([pupil], AafFileKind.PUPILS)
    assert back.checksum == pupil.checksum
    assert back.line > 0 and back.source_file.endswith("_Eleve_0000.xml")


def test_written_file_has_the_real_envelope():
    buffer = io.BytesIO()
    write_aaf(buffer, [StructureRecord(external_id="S1", uai="0590001A", name="École")])
    text = buffer.getvalue().decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'
                           '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
                           "<ficAlimMENESR>")
    assert re.search(r'<attr name="categorieStructure">\s*<value>EtabEducNat</value>', text)


def test_writer_refuses_what_it_cannot_write():
    pupil = PersonRecord(kind=PersonKind.STUDENT, external_id="E1", last_name="A",
                         first_name="B", classes=(ClassRef("ST1", "C$1", "C"),))
    with pytest.raises(ValueError, match=r"\$"):
        write_aaf(io.BytesIO(), [pupil])
    not_legal = PersonRecord(kind=PersonKind.STUDENT, external_id="E1", last_name="A",
                             first_name="B", relatives=(RelativeRef("R1", False),))
    with pytest.raises(ValueError, match="legal"):
        write_aaf(io.BytesIO(), [not_legal])
    guest = PersonRecord(kind=PersonKind.GUEST, external_id="G1", last_name="A",
                         first_name="B")
    with pytest.raises(ValueError, match="no file"):
        file_kind(guest)


def test_file_names():
    assert aaf_file_name("ENT", AafFileKind.PUPILS, date(2024, 9, 1), 12) == (
        "ENT_Complet_20240901_Eleve_0012.xml")


def test_write_aaf_files_splits_a_stream(tmp_path):
    pupils = (PersonRecord(kind=PersonKind.STUDENT, external_id=f"E{i}", last_name="A",
                           first_name="B") for i in range(25))
    paths = write_aaf_files(tmp_path, "ENT", AafFileKind.PUPILS, date(2024, 9, 1), pupils,
                            per_file=10)
    assert [p.name for p in paths] == [f"ENT_Complet_20240901_Eleve_{n:04d}.xml"
                                       for n in range(3)]
    assert [len(list(parse_aaf(p))) for p in paths] == [10, 10, 5]
    empty = write_aaf_files(tmp_path / ".", "X", AafFileKind.PUPILS, date(2024, 9, 1), [])
    assert [len(list(parse_aaf(p))) for p in empty] == [0]
    school = StructureRecord(external_id="S1", uai="0590001A", name="École")
    with pytest.raises(ValueError, match="Eleve"):
        write_aaf_files(tmp_path, "Y", AafFileKind.PUPILS, date(2024, 9, 1), [school])
