"""ONDE CSV extraction of one school."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from preau.feeds.parsers import (
    ClassRef,
    FeedError,
    FeedSource,
    PersonKind,
    parse_onde,
    parse_onde_directory,
)
from preau.feeds.parsers.onde import find_onde_files
from tests.feeds.helpers import DATA

ONDE = DATA / "onde-csv"
UAI = "0610001A"


@pytest.fixture(scope="module")
def extraction():
    return parse_onde_directory(ONDE, UAI)


def test_counts(extraction):
    assert len(extraction.pupils) == 247
    assert len(extraction.teachers) == 14
    assert len(extraction.relatives) == 469
    assert extraction.warnings == ()


def test_pupil_fields(extraction):
    pupil = extraction.pupils[0]
    assert pupil.kind is PersonKind.STUDENT
    assert pupil.source is FeedSource.ONDE
    assert (pupil.last_name, pupil.first_name) == ("BELMAHDI", "Mathilde")
    assert pupil.birth_date == date(2006, 8, 17)
    assert pupil.level == "CE1"
    assert pupil.classes == (ClassRef(UAI, "CE1", "CE1"),)
    assert pupil.structures == (UAI,)
    assert pupil.external_id.startswith(f"gen:{UAI}:ELV:")
    assert pupil.line == 2
    assert pupil.source_file == "CSVExtraction-eleves.csv"
    assert {p.first_name for p in extraction.pupils} >= {"Eléa", "Maëlle"}  # latin-1 read


def test_teachers(extraction):
    directors = [t for t in extraction.teachers if t.is_director]
    assert [(t.last_name, t.first_name) for t in directors] == [("PALLISE", "Martine")]
    assert directors[0].director_of == (UAI,)
    assert directors[0].classes == (ClassRef(UAI, "CM2", "CM2"),)
    assert {t.kind for t in extraction.teachers} == {PersonKind.TEACHER}
    cm2 = [t.last_name for t in extraction.teachers if ClassRef(UAI, "CM2", "CM2") in t.classes]
    assert cm2 == ["PALLISE", "FARGEAU"]
    assert extraction.teachers[0].title == "MME"


def test_parents_are_linked_to_their_children(extraction):
    pupils = {p.external_id: p for p in extraction.pupils}
    first = extraction.relatives[0]
    assert (first.last_name, first.first_name, first.title) == ("ADJIBEL", "Corinne", "Mme")
    assert (first.address, first.postal_code, first.city) == (
        "40 Avenue Beaucour", "61000", "Alençon")
    assert [(c.last_name, c.first_name, c.class_name) for c in first.children] == [
        ("MARTINEZ", "Alexandre", "CE2"), ("MARTINEZ", "Marjolaine", "CM1"),
        ("DRAHONNET", "Cassandra", "CP")]
    assert len(first.match_keys) == 3
    links = 0
    for relative in extraction.relatives:
        assert relative.children, relative
        for child in relative.children:
            pupil = pupils[child.external_id]
            assert (pupil.first_name, pupil.classes[0].name) == (child.first_name,
                                                                  child.class_name)
            assert relative.external_id in {r.external_id for r in pupil.relatives}
            links += 1
    assert links == sum(len(p.relatives) for p in extraction.pupils) == 491
    assert all(r.legal for p in extraction.pupils for r in p.relatives)


def test_ids_are_deterministic_and_unique(extraction):
    again = parse_onde_directory(ONDE, UAI)
    assert again == extraction
    people = extraction.pupils + extraction.teachers + extraction.relatives
    assert len({p.external_id for p in people}) == len(people)
    other_school = parse_onde_directory(ONDE, "0610002B")
    assert other_school.pupils[0].external_id != extraction.pupils[0].external_id


def test_same_records_from_a_utf8_export(tmp_path, extraction):
    """Re-saved as UTF-8 (with a BOM for one file): same people, same ids."""
    for path in ONDE.iterdir():
        text = path.read_bytes().decode("latin-1")
        data = text.encode("utf-8")
        if "eleves" in path.name:
            data = b"\xef\xbb\xbf" + data
        (tmp_path / path.name).write_bytes(data)
    assert parse_onde_directory(tmp_path, UAI) == extraction


def _copy(tmp_path):
    for path in ONDE.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _replace(path, old: str, new: str, count: int = 1) -> None:
    text = path.read_bytes().decode("latin-1")
    assert old in text
    path.write_bytes(text.replace(old, new, count).encode("latin-1"))


def test_impossible_birth_date_refuses_the_extraction(tmp_path):
    folder = _copy(tmp_path)
    _replace(folder / "CSVExtraction-eleves.csv", '"2006-01-04"', '"2006-02-31"')
    with pytest.raises(FeedError) as caught:
        parse_onde_directory(folder, UAI)
    error = caught.value
    assert error.code == "impossible-date"
    assert (error.file, error.line) == ("CSVExtraction-eleves.csv", 3)
    assert str(error) == "CSVExtraction-eleves.csv, ligne 3 : date impossible « 2006-02-31 »"


def test_problems_of_all_three_files_are_reported_together(tmp_path):
    folder = _copy(tmp_path)
    _replace(folder / "CSVExtraction-eleves.csv", '"BELMAHDI";;"Mathilde"', '"BELMAHDI";;""')
    _replace(folder / "CSVExtraction-enseignants.csv", '"non";"TPS"', '"peut-être";"TPS"')
    _replace(folder / "CSVExtraction-responsables.csv", '"ALBERT";"Norbert"', '"ALBERT";""')
    _replace(folder / "CSVExtraction-enseignants.csv", '"BAILLY"', '""')
    with pytest.raises(FeedError) as caught:
        parse_onde_directory(folder, UAI)
    issues = caught.value.issues
    assert [(i.file, i.line, i.code) for i in issues] == [
        ("CSVExtraction-eleves.csv", 2, "missing-value"),
        ("CSVExtraction-enseignants.csv", 2, "missing-value"),
        ("CSVExtraction-responsables.csv", 3, "missing-value"),
    ]
    assert "« Prénom Elève »" in issues[0].reason


def test_an_unreadable_director_value_is_a_warning(tmp_path):
    """« Directeur » is no identity: `peut-être` is left out, the teacher is imported."""
    folder = _copy(tmp_path)
    _replace(folder / "CSVExtraction-enseignants.csv", '"non";"TPS"', '"peut-être";"TPS"')
    extraction = parse_onde_directory(folder, UAI)
    assert len(extraction.teachers) == 14
    [warning] = [w for w in extraction.warnings if w.code == "unreadable-value"]
    assert (warning.file, warning.line) == ("CSVExtraction-enseignants.csv", 2)
    assert warning.reason.startswith("valeur illisible « peut-être » (Directeur, oui ou non")


def test_missing_required_column(tmp_path):
    folder = _copy(tmp_path)
    _replace(folder / "CSVExtraction-eleves.csv", '"Date naissance"', '"Date"')
    with pytest.raises(FeedError) as caught:
        parse_onde_directory(folder, UAI)
    assert caught.value.code == "missing-column"
    assert caught.value.line == 1
    assert "« Date naissance »" in caught.value.message


def test_unknown_child_is_a_warning(tmp_path):
    folder = _copy(tmp_path)
    _replace(folder / "CSVExtraction-responsables.csv", '"ALBERT";"Nawres";"TPS"',
             '"ALBERT";"Nawal";"TPS"')
    result = parse_onde_directory(folder, UAI)
    assert [(w.code, w.line) for w in result.warnings] == [("child-not-found", 3)]
    norbert = result.relatives[1]
    assert norbert.first_name == "Norbert"
    assert norbert.children[0].external_id == ""


def test_pupil_without_class_is_kept_with_a_warning(tmp_path):
    folder = _copy(tmp_path)
    _replace(folder / "CSVExtraction-eleves.csv", '"CYCLE II";"CE1";"CE1"', '"CYCLE II";"CE1";""')
    result = parse_onde_directory(folder, UAI)
    assert result.pupils[0].classes == ()
    assert [w.code for w in result.warnings] == ["no-class"]


def test_find_files_and_explicit_paths(tmp_path):
    files = find_onde_files(ONDE)
    assert set(files) == {"pupils", "teachers", "relatives"}
    only_pupils = parse_onde(UAI, pupils=files["pupils"])
    assert (len(only_pupils.pupils), only_pupils.teachers, only_pupils.relatives) == (247, (), ())
    with pytest.raises(FeedError) as caught:
        find_onde_files(tmp_path)
    assert caught.value.code == "missing-file"
    with pytest.raises(ValueError, match="UAI"):
        parse_onde(" ", pupils=files["pupils"])
