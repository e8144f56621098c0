"""Shared value helpers: dates, loose keys, generated ids, checksums, CSV export."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date
from enum import Enum
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.feeds.parsers import (
    ClassRef,
    FeedError,
    FeedSource,
    ParseIssue,
    PersonKind,
    PersonRecord,
    generated_id,
    loose_key,
    neutralise_cell,
)
from preau.feeds.parsers.values import BadDate, parse_date

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("13/08/2014", date(2014, 8, 13)),
    ("1/2/2014", date(2014, 2, 1)),
    (" 2014-08-13 ", date(2014, 8, 13)),
    ("29/02/2016", date(2016, 2, 29)),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("31/02/2010", "impossible-date"),
    ("29/02/2015", "impossible-date"),
    ("2010-13-01", "impossible-date"),
    ("13/08/14", "bad-date"),
    ("13 août 2014", "bad-date"),
    ("", "bad-date"),
])
def test_parse_date_refusals(text, code):
    with pytest.raises(BadDate) as caught:
        parse_date(text)
    assert caught.value.code == code
    assert f"« {text} »" in caught.value.reason


def test_iso_dates_can_be_refused():
    with pytest.raises(BadDate):
        parse_date("2014-08-13", iso=False)


def test_loose_key_examples():
    assert loose_key("Prénom de l'élève*") == "prenomdeleleve"
    assert loose_key(" NOM DE FAMILLE ") == loose_key("nom_de_famille") == "nomdefamille"
    assert loose_key("Né(e) le") == "neele"
    assert loose_key("Cœur") == "coeur"


@given(st.text())
def test_loose_key_is_idempotent_and_case_blind(value):
    key = loose_key(value)
    assert loose_key(key) == key
    assert loose_key(value.upper()) == loose_key(value.lower()) or not value.isascii()


def test_generated_ids_ignore_case_accents_and_punctuation():
    a = generated_id("0750001A", PersonKind.STUDENT, "Dupont-Dupuis", "Léa", "2014-08-13")
    b = generated_id("0750001A", PersonKind.STUDENT, "DUPONT DUPUIS", "LEA", "2014-08-13")
    assert a == b
    assert a.startswith("gen:0750001A:ELV:")
    assert a != generated_id("0750001A", PersonKind.STUDENT, "Dupont", "Léa", "2014-08-14")
    assert a != generated_id("0750002B", PersonKind.STUDENT, "Dupont-Dupuis", "Léa",
                             "2014-08-13")
    assert generated_id("X", PersonKind.TEACHER, "A", "B") != generated_id(
        "X", PersonKind.PERSONNEL, "A", "B")


@given(st.text())
def test_neutralise_cell_never_starts_with_a_formula(value):
    cell = neutralise_cell(value)
    assert not cell.startswith(FORMULA_STARTS)
    if not value.startswith(FORMULA_STARTS):
        assert cell == value
    else:
        assert cell == "'" + value


@pytest.mark.parametrize("value", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_neutralise_cell_examples(value):
    assert neutralise_cell(value) == "'" + value


def test_neutralise_cell_other_types():
    assert neutralise_cell(None) == ""
    assert neutralise_cell(-3) == "'-3"
    assert neutralise_cell(42) == "42"


PUPIL = PersonRecord(kind=PersonKind.STUDENT, external_id="E1", last_name="MARTIN",
                     first_name="Léa", birth_date=date(2016, 3, 14),
                     classes=(ClassRef("ST1", "CM1A", "CM1 A"),), source_file="a.xml", line=4)


def test_checksum_ignores_location_but_not_content():
    moved = dataclasses.replace(PUPIL, source_file="b.xml", line=99)
    assert moved == PUPIL
    assert moved.checksum == PUPIL.checksum
    assert len(PUPIL.checksum) == 40
    renamed = dataclasses.replace(PUPIL, first_name="Lea")
    assert renamed.checksum != PUPIL.checksum
    reclassed = dataclasses.replace(PUPIL, classes=(ClassRef("ST1", "CM1B", "CM1 B"),))
    assert reclassed.checksum != PUPIL.checksum


def test_checksum_is_stable_across_processes():
    """No dependence on hash randomisation: a run tomorrow finds today's checksums."""
    code = ("from datetime import date\n"
            "from preau.feeds.parsers import *\n"
            "print(PersonRecord(kind=PersonKind.STUDENT, external_id='E1', last_name='MARTIN',"
            " first_name='Léa', birth_date=date(2016, 3, 14),"
            " classes=(ClassRef('ST1', 'CM1A', 'CM1 A'),)).checksum)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == PUPIL.checksum


def test_checksum_is_the_one_stored_by_earlier_versions():
    """Stored checksums stay valid: this value was computed before the enums got their
    faster repr (a change would make the next run rewrite every account)."""
    assert PUPIL.checksum == "5c93359efba0a42c0a5585218cf2587fca8294b1"
    for member in [*PersonKind, *FeedSource]:
        assert repr(member) == Enum.__repr__(member)


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PUPIL.last_name = "X"  # type: ignore[misc]


def test_feed_error_report():
    single = FeedError("f.csv", 12, "date impossible « 31/02/2010 »", code="impossible-date")
    assert str(single) == "f.csv, ligne 12 : date impossible « 31/02/2010 »"
    assert single.issues == (ParseIssue("f.csv", 12, "impossible-date",
                                        "date impossible « 31/02/2010 »"),)
    no_line = FeedError("f.xml", None, "fichier vide")
    assert str(no_line) == "f.xml : fichier vide"
    issues = tuple(ParseIssue("f.csv", n, "missing-value", "valeur manquante")
                   for n in range(2, 5))
    many = FeedError("f.csv", 2, "fichier refusé", issues=issues, total_issues=120)
    assert str(many).splitlines() == [
        "f.csv : fichier refusé",
        "- f.csv, ligne 2 : valeur manquante",
        "- f.csv, ligne 3 : valeur manquante",
        "- f.csv, ligne 4 : valeur manquante",
        "- … et 117 autre(s) problème(s) non détaillé(s)",
    ]


def test_feed_error_survives_pickling():
    import pickle

    issues = (ParseIssue("f.csv", 3, "bad-date", "date illisible « x »"),)
    error = FeedError("f.csv", 3, "fichier refusé", code="invalid-lines", issues=issues,
                      total_issues=7)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.file, copy.line, copy.code, copy.issues, copy.total_issues) == (
        "f.csv", 3, "invalid-lines", issues, 7)
    assert str(copy) == str(error)
    assert pickle.loads(pickle.dumps(PUPIL)) == PUPIL
