"""The five hand-filled CSV templates."""

from __future__ import annotations

import random
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preau.feeds.parsers import (
    ChildRef,
    ClassRef,
    FeedError,
    FeedSource,
    FunctionRef,
    ManualTemplate,
    PersonKind,
    link_relatives,
    loose_key,
    parse_manual_csv,
)
from tests.feeds.helpers import DATA, write_csv

MANUAL = DATA / "manual-csv"
UAI = "0750001A"
FILES = {
    ManualTemplate.PUPILS: "CSV_Eleves.csv",
    ManualTemplate.TEACHERS: "CSV_Enseignants.csv",
    ManualTemplate.PERSONNEL: "CSV_Personnels.csv",
    ManualTemplate.RELATIVES: "CSV_Parents.csv",
    ManualTemplate.GUESTS: "CSV_Invites.csv",
}


def _parse(template: ManualTemplate):
    return parse_manual_csv(MANUAL / FILES[template], template, UAI)


def test_pupils_template():
    result = _parse(ManualTemplate.PUPILS)
    assert result.warnings == ()
    pupils = result.records
    assert [(p.first_name, p.last_name) for p in pupils] == [
        ("Léa", "COLIN"), ("Théo", "COLIN"), ("Zoé", "COLIN"), ("Lyvia", "DUPONT-DUPUIS"),
        ("Alice", "MEUNIER"), ("Antoine", "MEUNIER"), ("Mathias", "LEGRAND")]
    lea = pupils[0]
    assert lea.kind is PersonKind.STUDENT
    assert lea.source is FeedSource.CSV
    assert lea.birth_date == date(2014, 8, 13)
    assert lea.classes == (ClassRef(UAI, "CP de Mme BROSSARD", "CP de Mme BROSSARD"),)
    assert lea.structures == (UAI,)
    assert lea.line == 2
    assert len({p.external_id for p in pupils}) == 7


def test_teachers_template_repeated_class_columns():
    teachers = _parse(ManualTemplate.TEACHERS).records
    assert [[c.name for c in t.classes] for t in teachers] == [["CSV1", "CSV2"], ["1COM1"],
                                                              ["CSV2"]]
    simani = teachers[0]
    assert (simani.first_name, simani.last_name) == ("Félicité", "SIMANI")
    assert simani.kind is PersonKind.TEACHER
    assert simani.functions == (FunctionRef(UAI, "", "Mathématiques"),)
    assert simani.birth_date == date(1980, 8, 13)
    assert (simani.phone, simani.work_phone) == ("01 02 03 04 05", "06 05 04 03 02")
    assert simani.email == "no-reply@entcore.org"
    assert simani.academic_email == ""  # not an académie address
    assert (simani.address, simani.postal_code, simani.city, simani.country) == (
        "21, Rue des Acacias", "75017", "PARIS", "France")
    assert teachers[1].functions[0].label == "Français"


def test_personnel_template():
    staff = _parse(ManualTemplate.PERSONNEL).records
    assert [(p.last_name, p.functions[0].label) for p in staff] == [
        ("BARBOZA", "CPE"), ("PERCEVAULT", "Direction"), ("CALAMARO", "AED")]
    assert {p.kind for p in staff} == {PersonKind.PERSONNEL}
    assert all(p.classes == () for p in staff)


def test_guests_template():
    guests = _parse(ManualTemplate.GUESTS).records
    assert [(g.last_name, g.classes) for g in guests] == [
        ("FORNARI", (ClassRef(UAI, "CSV 1", "CSV 1"),)),
        ("PEREZ", (ClassRef(UAI, "CSV 2", "CSV 2"),)),
        ("FABRE", (ClassRef(UAI, "CSV 3", "CSV 3"),)),
    ]
    assert {g.kind for g in guests} == {PersonKind.GUEST}


def test_parents_template_child_blocks():
    parents = _parse(ManualTemplate.RELATIVES).records
    assert len(parents) == 8
    by_name = {(p.last_name, p.first_name): p for p in parents}
    assert by_name["MOULIN", "Valérie"].children == (
        ChildRef("MEUNIER", "Alice", "CE2 de Mme LAMBERT"),
        ChildRef("MEUNIER", "Antoine", "CP de Mme BROSSARD"),
    )
    julie = by_name["COLIN", "Julie"]
    assert [c.first_name for c in julie.children] == ["Léa", "Zoé", "Théo"]
    assert len(julie.match_keys) == 3
    assert by_name["DUPUIS", "Nathalie"].children == (
        ChildRef("DUPONT-DUPUIS", "Lyvia", "CE2 de Mme LAMBERT"),)
    assert {p.kind for p in parents} == {PersonKind.RELATIVE}


def test_parent_id_changes_with_children_but_match_keys_overlap():
    julie = {p.first_name: p for p in _parse(ManualTemplate.RELATIVES).records}["Julie"]
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "p.csv", [
            ["Nom*", "Prénom*", "Nom de l'élève", "Prénom de l'élève", "Classes de l'élève"],
            ["COLIN", "Julie", "COLIN", "Léa", "CE1"],
        ])
        [alone] = parse_manual_csv(path, "relatives", UAI).records
    assert alone.external_id != julie.external_id
    assert set(alone.match_keys) < set(julie.match_keys)


def test_parents_link_to_pupils_of_the_pupils_template():
    pupils = _parse(ManualTemplate.PUPILS).records
    parents = _parse(ManualTemplate.RELATIVES).records
    linked = link_relatives(pupils, parents)
    assert linked.warnings == ()
    assert all(c.external_id for p in linked.relatives for c in p.children)
    lea = linked.pupils[0]
    assert {r.external_id for r in lea.relatives} == {
        p.external_id for p in parents if p.first_name in ("Julie", "Mathieu")}


def test_every_bad_line_is_reported(tmp_path):
    path = write_csv(tmp_path / "eleves.csv", [
        ["Prénom*", "Nom*", "Date de naissance*", "Classes*"],
        ["Léa", "COLIN", "13/08/2014", "CP"],
        ["", "COLIN", "02/01/2010", "CM2"],
        ["Zoé", "COLIN", "31/02/2017", "PS"],
        ["Lyvia", "DUPONT", "28/09/2012", ""],
        ["Léa", "Colin", "2014-08-13", "CP"],
        ["Alice", "MEUNIER", "03/11/2012", "CE2", "en trop"],
    ])
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(path, ManualTemplate.PUPILS, UAI)
    error = caught.value
    # Line 5's empty class is no identity problem: not among the errors (a warning).
    assert error.total_issues == 4
    assert [(i.line, i.code) for i in error.issues] == [
        (3, "missing-value"), (4, "impossible-date"),
        (6, "duplicate-person"), (7, "extra-cells")]
    report = str(error)
    assert "ligne 3 : valeur obligatoire manquante : « Prénom »" in report
    assert "ligne 4 : date impossible « 31/02/2017 »" in report
    assert "ligne 6 : personne en double (déjà ligne 2)" in report


def test_missing_required_column_is_named(tmp_path):
    path = write_csv(tmp_path / "eleves.csv", [["Prénom*", "Nom*", "Classes*"],
                                               ["Léa", "COLIN", "CP"]])
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(path, ManualTemplate.PUPILS, UAI)
    assert caught.value.code == "missing-column"
    assert caught.value.message == "colonne obligatoire manquante : « Date de naissance »"


def test_starred_column_becomes_required(tmp_path):
    path = write_csv(tmp_path / "ens.csv", [["Prénom", "Nom*", "Courriel*"],
                                            ["Ada", "", ""]])
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(path, ManualTemplate.TEACHERS, UAI)
    assert "« Nom »" in caught.value.message


def test_an_empty_required_column_that_is_not_identity_is_a_warning(tmp_path):
    path = write_csv(tmp_path / "ens.csv", [["Prénom", "Nom", "Courriel*"],
                                            ["Ada", "LOVELACE", ""]])
    result = parse_manual_csv(path, ManualTemplate.TEACHERS, UAI)
    [ada] = result.records
    assert (ada.first_name, ada.email) == ("Ada", "")
    assert [(w.line, w.code, w.reason) for w in result.warnings] == [
        (2, "missing-value", "valeur manquante : « Courriel »")]


def test_doubled_single_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "ens.csv", [["Prénom", "Nom", "Nom de famille"],
                                            ["Ada", "LOVELACE", "BYRON"]])
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(path, ManualTemplate.TEACHERS, UAI)
    assert caught.value.code == "duplicate-column"


def test_aliases_encodings_and_warnings(tmp_path):
    rows = [
        ["NOM DE FAMILLE ", " prenom", "Né(e) le", "Libellé classe", "Libellé classe",
         "Adresse e-mail", "Pointure"],
        ["ŒDIPE", "Zoé", "2015-05-01", "CP", "CE1", "zoe@example.org", "32"],
    ]
    for encoding, bom in (("utf-8", True), ("utf-8", False), ("cp1252", False)):
        path = write_csv(tmp_path / f"eleves-{encoding}-{bom}.csv", rows, encoding=encoding,
                         bom=bom)
        result = parse_manual_csv(path, ManualTemplate.PUPILS, UAI)
        [pupil] = result.records
        assert (pupil.last_name, pupil.first_name) == ("ŒDIPE", "Zoé")
        assert pupil.birth_date == date(2015, 5, 1)
        assert [c.name for c in pupil.classes] == ["CP", "CE1"]
        assert pupil.email == "zoe@example.org"
        assert [(w.code, w.line) for w in result.warnings] == [("unknown-column", 1)]


def test_undecodable_bytes_after_a_utf8_bom(tmp_path):
    path = tmp_path / "eleves.csv"
    path.write_bytes(b"\xef\xbb\xbfPr\xc3\xa9nom;Nom;Date de naissance;Classe\r\n"
                     b"L\xe9a;COLIN;13/08/2014;CP\r\n")
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(path, ManualTemplate.PUPILS, UAI)
    assert (caught.value.code, caught.value.line) == ("encoding", 2)


def test_academic_email_of_staff(tmp_path):
    path = write_csv(tmp_path / "ens.csv", [["Prénom", "Nom", "Email", "Directeur"],
                                            ["Ada", "LOVELACE", "ada.lovelace@ac-lille.fr",
                                             "oui"]])
    [teacher] = parse_manual_csv(path, ManualTemplate.TEACHERS, UAI).records
    assert teacher.academic_email == teacher.email == "ada.lovelace@ac-lille.fr"
    assert teacher.director_of == (UAI,)


def test_bad_email_is_left_out_and_empty_file_refused(tmp_path):
    path = write_csv(tmp_path / "inv.csv", [["Prénom", "Nom", "Email"], ["A", "B", "pas-un@"]])
    result = parse_manual_csv(path, ManualTemplate.GUESTS, UAI)
    assert [r.email for r in result.records] == [""]
    [warning] = result.warnings
    assert (warning.line, warning.code) == (2, "unreadable-value")
    assert warning.reason.startswith("adresse électronique illisible « pas-un@ » (Courriel)")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(empty, ManualTemplate.GUESTS, UAI)
    assert caught.value.code == "missing-column"


def test_parent_without_child_is_refused(tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        ["Nom*", "Prénom*", "Nom de l'élève", "Prénom de l'élève", "Classes de l'élève"],
        ["COLIN", "Julie", "", "", ""],
        ["COLIN", "Marc", "COLIN", "", "CP"],
    ])
    with pytest.raises(FeedError) as caught:
        parse_manual_csv(path, ManualTemplate.RELATIVES, UAI)
    assert [(i.line, i.code) for i in caught.value.issues] == [(2, "missing-value"),
                                                               (3, "missing-value")]


# -- loose header matching, property-based -----------------------------------------------------

_ACCENTS = {"a": "àâä", "e": "éèêë", "i": "îï", "o": "ôö", "u": "ùûü", "c": "ç"}


@st.composite
def disguised(draw, header: str) -> str:
    """The same header as a person might type it: case, accents, spaces, punctuation."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    chars = []
    for char in header.rstrip("*"):
        base = unicodedata.normalize("NFKD", char)[0].lower()
        if base in _ACCENTS and rng.random() < 0.3:
            char = rng.choice(_ACCENTS[base])
        if char.isalpha() and rng.random() < 0.5:
            char = char.swapcase()
        chars.append(char)
        if rng.random() < 0.2:
            chars.append(rng.choice([" ", "  ", "_", "-", ".", "'", "\u2019"]))
    return rng.choice(["", " "]) + "".join(chars) + rng.choice(["", "*", " *", "  "])


PUPIL_HEADERS = ["Prénom*", "Nom*", "Date de naissance*", "Classes*"]


@settings(max_examples=40, deadline=None)
@given(st.tuples(*(disguised(h) for h in PUPIL_HEADERS)))
def test_loose_header_matching_is_invariant(headers):
    for original, typed in zip(PUPIL_HEADERS, headers, strict=True):
        assert loose_key(typed) == loose_key(original)
    reference = _parse(ManualTemplate.PUPILS).records
    with tempfile.TemporaryDirectory() as folder:
        source = (MANUAL / FILES[ManualTemplate.PUPILS]).read_bytes().decode("latin-1")
        lines = source.split("\r\n")
        lines[0] = ";".join(headers)
        path = Path(folder) / "eleves.csv"
        path.write_bytes("\r\n".join(lines).encode("utf-8"))
        assert parse_manual_csv(path, ManualTemplate.PUPILS, UAI).records == reference
