"""AAF / AAF1D XML parsing: fixtures, fields, refusals."""

from __future__ import annotations

import filecmp
import json
from datetime import date

import pytest

from preau.feeds.parsers import (
    AafFileKind,
    ClassRef,
    FeedError,
    FeedSource,
    FunctionRef,
    GroupRef,
    PersonKind,
    PersonRecord,
    RelativeRef,
    StructureRecord,
    classify,
    parse_aaf,
    read_import_directories,
)
from tests.feeds.helpers import (
    DATA,
    SHARED_FIXTURES,
    aaf_document,
    line_of,
    people,
    pupil_1d,
    request,
    write_aaf_bytes,
)

PUPIL_FIXTURE = DATA / "aaf" / "ENT_Complet_20200101_Eleve_0000.xml"
SCHOOL_FIXTURE = DATA / "aaf" / "ENT_Complet_20200101_EtabEducNat_0000.xml"


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="shared fixtures not beside the repo")
def test_local_copies_match_the_shared_fixtures():
    for folder in ("aaf", "onde-csv", "manual-csv"):
        names = sorted(p.name for p in (SHARED_FIXTURES / folder).iterdir())
        assert names == sorted(p.name for p in (DATA / folder).iterdir())
        _match, mismatch, errors = filecmp.cmpfiles(SHARED_FIXTURES / folder, DATA / folder,
                                                   names, shallow=False)
        assert (mismatch, errors) == ([], [])


def test_fixture_pupil():
    [pupil] = list(parse_aaf(PUPIL_FIXTURE, "aaf"))
    assert isinstance(pupil, PersonRecord)
    assert pupil.kind is PersonKind.STUDENT
    assert pupil.source is FeedSource.AAF
    assert pupil.external_id == "2000000"
    assert (pupil.last_name, pupil.first_name, pupil.title) == ("NOM", "Prenom", "M.")
    assert pupil.ine == "100000000AA"
    assert pupil.birth_date == date(2000, 1, 1)
    assert pupil.structures == ("1000",)
    assert pupil.classes == (ClassRef("3000", "1AQUA", "1AQUA"),)
    assert pupil.groups == ()
    # ENTElevePersRelEleve: id$relationship$financial$LEGAL$contact$payment. The 4th part
    # (index 3) is "1" for both relatives of the fixture, so both are legal representatives,
    # as in the reference ENT (`!"0".equals(r[3])`); the 3rd part is the financial one.
    assert pupil.relatives == (
        RelativeRef("2000000", legal=True, relationship="10"),
        RelativeRef("3000000", legal=True, relationship="20"),
    )
    assert (pupil.address, pupil.postal_code, pupil.city, pupil.country) == (
        "1 rue de Test", "16730", "LINARS", "FRANCE")
    assert pupil.source_file == PUPIL_FIXTURE.name
    assert pupil.line == 4


def test_2d_relative_is_legal_unless_the_fourth_part_is_zero(tmp_path):
    data = aaf_document(request("P1", [
        ("sn", ["A"]), ("givenName", ["B"]),
        ("ENTElevePersRelEleve", ["R1$10$1$1$1$1", "R2$20$1$0$1$1", "R3$30$0$2$0$0"]),
    ]))
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data), "aaf")
    assert [(r.external_id, r.legal) for r in pupil.relatives] == [
        ("R1", True), ("R2", False), ("R3", True)]


def test_fixture_school():
    [school] = list(parse_aaf(SCHOOL_FIXTURE, "aaf"))
    assert isinstance(school, StructureRecord)
    assert school.external_id == "1"
    assert school.uai == "0000000V"
    assert school.name == "NOM STRUCTURE COURANT"
    assert school.structure_type == "ECOLE"
    assert school.academy == "LILLE"
    assert (school.circonscription_code, school.circonscription) == ("00000", "TEST")
    assert (school.address, school.postal_code, school.city) == ("1 rue Test", "59500", "DOUAI")
    assert school.phone == "+33 3 33 33 33 33"
    assert school.email == "test@yopmail.com"
    assert school.siren == "10000000000000"


def test_1d_pupil(tmp_path):
    data = aaf_document(pupil_1d(
        "E1",
        ENTPersonClasses=["ST1$a$b$CM1A$CM1 A", "ST1$a$b$CM1A$CM1 A"],
        ENTPersonGroupes=["ST1$a$b$G1$Chorale"],
        ENTEleveAutoriteParentale=["R1$x", "R2"],
        ENTEleveNiveau=["CM1"],
    ))
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data))
    assert pupil.source is FeedSource.AAF1D
    assert (pupil.last_name, pupil.first_name) == ("MARTIN", "Léa")
    assert pupil.birth_date == date(2016, 3, 14)
    assert pupil.classes == (ClassRef("ST1", "CM1A", "CM1 A"),)
    assert pupil.groups == (GroupRef("ST1", "G1", "Chorale"),)
    assert pupil.relatives == (RelativeRef("R1", True), RelativeRef("R2", True))
    assert pupil.level == "CM1"


def test_join_key_falls_back_to_identifier(tmp_path):
    data = aaf_document(request("ID-9", [("sn", ["A"]), ("givenName", ["B"])]))
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data))
    assert pupil.external_id == "ID-9"


def _staff(identifier: str, attrs: dict[str, list[str]]) -> str:
    base = {"ENTPersonJointure": [identifier], "ENTPersonNom": ["DURAND"],
            "ENTPersonPrenom": ["Paul"], "ENTPersonStructRattach": ["ST1", "ST2"]}
    base.update(attrs)
    return request(identifier, base.items(), category="PersEducNat")


def test_1d_staff_kinds_direction_and_academic_email(tmp_path):
    data = aaf_document(
        _staff("T1", {"ENTPersonCategorieEnseignant": ["O"],
                      "ENTPersonMail": ["paul.durand@ac-lille.fr"],
                      "ENTEnsFonctionDir": ["ST2"]}),
        _staff("T2", {"ENTPersonFonctions": ["ST1$ENS$ENSEIGNEMENT$-$-"]}),
        _staff("P1", {"ENTPersonFonctions": ["ST1$ADM$ADMINISTRATION$-$-"]}),
        _staff("P2", {"ENTPersonCategorieEnseignant": ["N"],
                      "ENTPersonFonctions": ["ST1$ENS$ENSEIGNEMENT$-$-"]}),
        _staff("D1", {"ENTPersonCategorieEnseignant": ["O"], "ENTEnsFonctionDir": ["O"]}),
        _staff("D2", {"ENTPersonFonctions": ["ST1$DIR$DIRECTION$-$-"]}),
    )
    records = {r.external_id: r for r in people(write_aaf_bytes(tmp_path, "PersEducNat",
                                                                   data))}
    assert records["T1"].kind is PersonKind.TEACHER
    assert records["T1"].teacher_category == "O"
    assert records["T1"].academic_email == "paul.durand@ac-lille.fr"
    assert records["T1"].email == ""
    assert records["T1"].director_of == ("ST2",)
    assert records["T1"].is_director
    assert records["T2"].kind is PersonKind.TEACHER
    assert records["T2"].functions == (FunctionRef("ST1", "ENS", "ENSEIGNEMENT"),)
    assert not records["T2"].is_director
    assert records["P1"].kind is PersonKind.PERSONNEL
    assert records["P2"].kind is PersonKind.PERSONNEL  # the category wins over functions
    assert records["D1"].director_of == ("ST1", "ST2")
    assert records["D2"].director_of == ("ST1",)
    assert records["D2"].kind is PersonKind.PERSONNEL


def test_2d_teacher_classes(tmp_path):
    data = aaf_document(request("T1", [
        ("ENTPersonJointure", ["T1"]), ("sn", ["DURAND"]), ("givenName", ["Paul"]),
        ("mail", ["p.durand@ac-lille.fr"]),
        ("PersEducNatPresenceDevantEleves", ["O"]),
        ("ENTAuxEnsClasses", ["ST1$6A"]),
        ("ENTAuxEnsClassesMatieres", ["ST1$6A$MATHS", "ST1$5B$MATHS"]),
        ("ENTAuxEnsGroupes", ["ST1$LATIN"]),
    ], category="PersEducNat"))
    [teacher] = people(write_aaf_bytes(tmp_path, "PersEducNat", data), "aaf")
    assert teacher.kind is PersonKind.TEACHER
    assert teacher.academic_email == "p.durand@ac-lille.fr"
    assert teacher.classes == (ClassRef("ST1", "6A", "6A"), ClassRef("ST1", "5B", "5B"))
    assert teacher.groups == (GroupRef("ST1", "LATIN", "LATIN"),)


def test_relatives_file(tmp_path):
    data = aaf_document(request("R1", [
        ("ENTPersonJointure", ["R1"]), ("ENTPersonNom", ["MARTIN"]),
        ("ENTPersonPrenom", ["Anne"]), ("ENTPersonCivilite", ["Mme"]),
        ("ENTPersonMail", ["anne@example.org"]), ("ENTPersRelEleveTelMobile", ["0600000000"]),
        ("ENTPersonAdresse", ["3 rue du Port$Bâtiment B$$"]), ("ENTPersonVille", ["Brest"]),
        ("ENTEleveGroupes", [""]),
    ], category="PersRelEleve"))
    [relative] = people(write_aaf_bytes(tmp_path, "PersRelEleve", data))
    assert relative.kind is PersonKind.RELATIVE
    assert relative.email == "anne@example.org"
    assert relative.academic_email == ""
    assert relative.mobile == "0600000000"
    assert relative.address == "3 rue du Port, Bâtiment B"
    assert relative.title == "Mme"


def test_html_entities_left_in_values_are_unescaped(tmp_path):
    data = aaf_document(request("E1", [("sn", ["D&apos;ARC"]), ("givenName", ["Jeanne"])]))
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data))
    assert pupil.last_name == "D'ARC"


def test_lazy_iteration_yields_before_the_end(tmp_path):
    data = aaf_document(pupil_1d("E1"), pupil_1d("E2"))
    records = parse_aaf(write_aaf_bytes(tmp_path, "Eleve", data))
    assert next(records).external_id == "E1"


# -- file names and folders ------------------------------------------------------------------


def test_classify():
    name = classify("/feeds/academie/ENT_Complet_20240901_PersEducNat_0003.xml")
    assert name.kind is AafFileKind.STAFF
    assert name.date == date(2024, 9, 1)
    assert name.number == 3
    kind, day, number = classify("X_Complet_20200101_EtabEducNat_0000.xml")
    assert (kind, day, number) == (AafFileKind.STRUCTURES, date(2020, 1, 1), 0)


@pytest.mark.parametrize("name", [
    "ENT_Complet_20240901_Eleve.xml",
    "ENT_Delta_20240901_Eleve_0000.xml",
    "ENT_Complet_20240901_Inconnu_0000.xml",
    "ENT_Complet_20240231_Eleve_0000.xml",
    "notes.txt",
])
def test_classify_refuses_unknown_names(name):
    with pytest.raises(FeedError) as caught:
        classify(name)
    assert caught.value.code == "unknown-file"
    assert caught.value.file == name


def test_nomenclature_files_are_recognised_and_skipped(tmp_path):
    for kind in ("MefEducNat", "MatiereEducNat"):
        path = write_aaf_bytes(tmp_path, kind, b"<not even xml")
        assert list(parse_aaf(path, "aaf")) == []


def test_read_import_directories(tmp_path):
    (tmp_path / "ac-lille").mkdir()
    (tmp_path / "ac-rennes").mkdir()
    (tmp_path / "importDirectories.json").write_text(json.dumps(["ac-lille", "ac-rennes"]))
    assert read_import_directories(tmp_path) == [
        ("ac-lille", tmp_path / "ac-lille"), ("ac-rennes", tmp_path / "ac-rennes")]


def test_read_import_directories_without_listing(tmp_path):
    assert read_import_directories(tmp_path) == [("", tmp_path)]


@pytest.mark.parametrize(("content", "code", "line"), [
    ('[\n"a",\n]', "json-syntax", 3),
    ('{"a": 1}', "envelope", None),
    ('["../etc"]', "bad-value", None),
    ('["missing"]', "missing-file", None),
])
def test_read_import_directories_refusals(tmp_path, content, code, line):
    (tmp_path / "importDirectories.json").write_text(content)
    with pytest.raises(FeedError) as caught:
        read_import_directories(tmp_path)
    assert caught.value.code == code
    assert caught.value.line == line


# -- refusals ----------------------------------------------------------------------------------


def test_truncated_file_is_refused_with_its_line(tmp_path):
    data = aaf_document(pupil_1d("E1"), pupil_1d("E2"))
    truncated = data[: data.index(b"<value>E2")]
    path = write_aaf_bytes(tmp_path, "Eleve", truncated)
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(path))
    error = caught.value
    assert error.code == "xml-syntax"
    assert error.line == truncated.count(b"\n") + 1
    assert error.file == path.name
    assert f"ligne {error.line}" in str(error)


def test_impossible_date_is_a_warning_naming_line_and_value(tmp_path):
    """The birth date does not identify an AAF person: a bad one is left out."""
    data = aaf_document(pupil_1d("E1"), pupil_1d("E2", ENTPersonDateNaissance=["31/02/2010"]))
    path = write_aaf_bytes(tmp_path, "Eleve", data)
    warnings: list = []
    first, second = people(path, warnings=warnings)
    assert first.birth_date is not None and second.birth_date is None
    [warning] = warnings
    assert (warning.file, warning.line, warning.code) == (
        path.name, line_of(data, "31/02/2010"), "unreadable-value")
    assert warning.reason.startswith(
        "date illisible « 31/02/2010 » (ENTPersonDateNaissance, date impossible)")


def test_unreadable_date(tmp_path):
    data = aaf_document(pupil_1d("E1", ENTPersonDateNaissance=["2010-02-03"]))
    warnings: list = []
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data), warnings=warnings)
    assert pupil.birth_date is None
    assert "« 2010-02-03 »" in warnings[0].reason


def test_records_with_identity_problems_are_refused_alone(tmp_path):
    """A missing name or an id read twice refuses the record (an error kept with the
    warnings, carrying the id), not the file; other bad values are left out."""
    data = aaf_document(
        pupil_1d("E1"),
        pupil_1d("E2", ENTPersonDateNaissance=["30/02/2015"]),
        pupil_1d("E3"),
        pupil_1d("E4", ENTPersonClasses=["ST1$CM1"], ENTPersonNom=[]),
        pupil_1d("E5", ENTPersonPrenom=[]),
        pupil_1d("E1"),
    )
    warnings: list = []
    yielded = people(write_aaf_bytes(tmp_path, "Eleve", data), warnings=warnings)
    assert [r.external_id for r in yielded] == ["E1", "E2", "E3"]
    assert [(w.severity, w.code, w.external_id) for w in warnings] == [
        ("warning", "unreadable-value", ""),
        ("error", "missing-value", "E4"),
        ("error", "missing-value", "E5"),
        ("error", "duplicate-id", "E1"),
    ]
    assert warnings[1].reason == "fiche refusée : nom manquant"
    assert "déjà ligne 4" in warnings[3].reason


def test_every_record_without_id_is_reported_and_records_stop(tmp_path):
    data = aaf_document(
        pupil_1d("E1"),
        pupil_1d("", ENTPersonJointure=[]),
        pupil_1d("E3"),
        request("", [("ENTPersonNom", ["A"])]),
    )
    yielded: list = []
    with pytest.raises(FeedError) as caught:
        yielded.extend(parse_aaf(write_aaf_bytes(tmp_path, "Eleve", data)))
    assert [r.external_id for r in yielded] == ["E1"]
    error = caught.value
    assert error.code == "invalid-lines"
    assert [issue.code for issue in error.issues] == ["missing-value"] * 3
    assert "identifiant de personne manquant" in str(error)
    assert "prénom manquant" in str(error)


def test_undecodable_bytes_in_a_utf8_file(tmp_path):
    data = aaf_document(pupil_1d("E1"), pupil_1d("E2")).replace(
        b"MARTIN", "MART\xcfN".encode("latin-1"), 2)
    path = write_aaf_bytes(tmp_path, "Eleve", data)
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(path))
    assert caught.value.code == "encoding"
    assert caught.value.line == line_of(data, "ENTPersonNom")


def test_latin1_declared_file_is_read(tmp_path):
    data = aaf_document(pupil_1d("E1"), encoding="ISO-8859-15")
    [pupil] = people(write_aaf_bytes(tmp_path, "Eleve", data))
    assert pupil.first_name == "Léa"


def test_wrong_envelope(tmp_path):
    data = aaf_document(pupil_1d("E1"), root="ficAlimAutre", doctype="")
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(write_aaf_bytes(tmp_path, "Eleve", data)))
    assert caught.value.code == "envelope"
    assert "ficAlimAutre" in caught.value.message


def test_empty_envelope_with_wrong_root(tmp_path):
    path = write_aaf_bytes(tmp_path, "Eleve", b"<?xml version='1.0'?>\n<autre/>\n")
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(path))
    assert caught.value.code == "envelope"


def test_delta_requests_are_refused(tmp_path):
    data = aaf_document(pupil_1d("E1"),
                        request("E2", [("sn", ["X"])], tag="modifyRequest"))
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(write_aaf_bytes(tmp_path, "Eleve", data)))
    assert caught.value.code == "unsupported-request"
    assert caught.value.line == line_of(data, "<modifyRequest>")


def test_bad_uai_and_missing_name(tmp_path):
    data = aaf_document(request("S1", [("ENTStructureUAI", ["12AB"])],
                                category="EtabEducNat", category_attr="categorieStructure"))
    warnings: list = []
    assert list(parse_aaf(write_aaf_bytes(tmp_path, "EtabEducNat", data),
                          warnings=warnings)) == []
    # The school is refused alone; a school's id is not kept (no school goes missing).
    assert [(w.severity, w.code, w.external_id) for w in warnings] == [
        ("error", "bad-value", ""), ("error", "missing-value", "")]
    assert "UAI invalide « 12AB »" in warnings[0].reason


def test_missing_file(tmp_path):
    with pytest.raises(FeedError) as caught:
        parse_aaf(tmp_path / "ENT_Complet_20240901_Eleve_0000.xml")
    assert caught.value.code == "missing-file"


def test_unknown_flavour(tmp_path):
    with pytest.raises(ValueError, match="flavour"):
        parse_aaf(PUPIL_FIXTURE, "aaf2")  # type: ignore[arg-type]


def test_category_mismatch_is_a_warning(tmp_path):
    data = aaf_document(request("E1", [("sn", ["A"]), ("givenName", ["B"])],
                                category="PersEducNat"))
    warnings: list = []
    records = people(write_aaf_bytes(tmp_path, "Eleve", data), warnings=warnings)
    assert records[0].kind is PersonKind.STUDENT
    assert [w.code for w in warnings] == ["unexpected-category"]


def test_request_outside_the_envelope_is_refused(tmp_path):
    data = aaf_document("<wrapper>\n" + pupil_1d("E1") + "\n</wrapper>", pupil_1d("E2"))
    with pytest.raises(FeedError) as caught:
        list(parse_aaf(write_aaf_bytes(tmp_path, "Eleve", data)))
    assert caught.value.code == "envelope"
    assert caught.value.line == line_of(data, "<addRequest>")
