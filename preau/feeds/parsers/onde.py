"""ONDE "CSV extraction" of one primary school: pupils, teachers, parents.

ONDE files carry no id. Each person gets a deterministic id from `values.generated_id`:
pupils from the school key, family name, first name and birth date; teachers from the school
key and names; parents from their names and their sorted children (plus one match key per
child, see `links.relative_ids`). The importer must match accounts on these ids.

Parents name their children by (family name, first name, class name); the three files are
read together so that each child is resolved to the pupil's id and each pupil gets its
parents as legal representatives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .csvfiles import (
    Row,
    Schema,
    check_required,
    is_academic_email,
    read_date,
    read_email,
    read_sheet,
    repeated_blocks,
)
from .errors import FeedError, IssueCollector, ParseIssue
from .links import link_relatives, relative_ids
from .records import ChildRef, ClassRef, FeedSource, PersonKind, PersonRecord
from .values import generated_id

PUPILS_SCHEMA = Schema(
    aliases={
        "nomeleve": "family_name", "nomdusageeleve": "usage_name",
        "prenomeleve": "first_name", "datenaissance": "birth_date", "classe": "class_name",
        "niveau": "level", "adresse1": "address", "cp1": "postal_code",
        "commune1": "city", "pays1": "country",
    },
    labels={"family_name": "Nom Elève", "first_name": "Prénom Elève",
            "birth_date": "Date naissance", "class_name": "Classe"},
    required=frozenset({"family_name", "first_name", "birth_date", "class_name"}),
    # The id is made of the names and the birth date; the rest (class, level, address) is
    # left out with a warning when it cannot be read.
    identity=frozenset({"family_name", "usage_name", "first_name", "birth_date"}),
    ignored=frozenset({"sexe", "adresse2", "cp2", "commune2", "pays2", "cycle",
                       "attestationfournie", "autorisationsassociations",
                       "autorisationsphotos", "decisiondepassage"}),
)
# Pupils not yet assigned to a class are kept (with a warning), hence no required value there.
_PUPIL_OPTIONAL_VALUES = frozenset({"class_name"})

TEACHERS_SCHEMA = Schema(
    aliases={
        "civilite": "title", "nomusage": "usage_name", "nom": "family_name",
        "prenom": "first_name", "adresse": "address", "cp": "postal_code", "commune": "city",
        "pays": "country", "courriel": "email", "telephonedomicile": "phone",
        "telephoneportable": "mobile", "directeur": "director", "classe": "class_name",
    },
    labels={"family_name": "Nom", "first_name": "Prénom", "class_name": "Classe",
            "director": "Directeur"},
    required=frozenset({"family_name", "first_name"}),
    repeatable=frozenset({"class_name"}),
    identity=frozenset({"family_name", "usage_name", "first_name"}),
)

RELATIVES_SCHEMA = Schema(
    aliases={
        "civiliteresponsable": "title", "nomusageresponsable": "usage_name",
        "nomresponsable": "family_name", "prenomresponsable": "first_name",
        "adresseresponsable": "address", "cpresponsable": "postal_code",
        "communeresponsable": "city", "pays": "country", "courriel": "email",
        "telephonedomicile": "phone", "telephonetravail": "work_phone",
        "numerodeposte": "extension", "telephoneportable": "mobile",
        "nomdusageenfant": "child_usage_name", "nomdefamilleenfant": "child_family_name",
        "prenomenfant": "child_first_name", "classesenfants": "child_class",
        "classeenfant": "child_class",
    },
    labels={"family_name": "Nom responsable", "first_name": "Prénom responsable",
            "child_family_name": "Nom de famille enfant", "child_first_name": "Prénom enfant"},
    required=frozenset({"family_name", "first_name", "child_family_name", "child_first_name"}),
    repeatable=frozenset({"child_usage_name", "child_family_name", "child_first_name",
                          "child_class"}),
    # A parent's id is made of their names and their children's.
    identity=frozenset({"family_name", "usage_name", "first_name", "child_usage_name",
                        "child_family_name", "child_first_name"}),
)
_CHILD_FIELDS = ("child_usage_name", "child_family_name", "child_first_name", "child_class")

FILE_SUFFIXES = {"pupils": "eleves", "teachers": "enseignants", "relatives": "responsables"}


@dataclass(frozen=True, slots=True)
class OndeExtraction:
    pupils: tuple[PersonRecord, ...]
    teachers: tuple[PersonRecord, ...]
    relatives: tuple[PersonRecord, ...]
    warnings: tuple[ParseIssue, ...]


def find_onde_files(directory: str | Path) -> dict[str, Path]:
    """The three files of an extraction folder, by role, from their names
    (CSVExtraction-eleves.csv, -enseignants.csv, -responsables.csv)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.csv")):
        stem = path.stem.lower()
        for role, suffix in FILE_SUFFIXES.items():
            if stem.endswith(suffix):
                found[role] = path
    if "pupils" not in found:
        raise FeedError(Path(directory).name, None,
                        "fichier des élèves (…-eleves.csv) introuvable", code="missing-file")
    return found


def parse_onde_directory(directory: str | Path, school_key: str) -> OndeExtraction:
    files = find_onde_files(directory)
    return parse_onde(school_key, pupils=files["pupils"], teachers=files.get("teachers"),
                      relatives=files.get("relatives"))


def parse_onde(school_key: str, *, pupils: str | Path, teachers: str | Path | None = None,
               relatives: str | Path | None = None) -> OndeExtraction:
    """Reads an extraction; any bad line in any of the files refuses the whole extraction
    (one FeedError listing every problem)."""
    if not school_key.strip():
        raise ValueError("an ONDE extraction needs the school's key (UAI)")
    issues = IssueCollector(Path(pupils).name)
    pupil_records, family_names = _pupils(Path(pupils), school_key, issues)
    teacher_records = _teachers(Path(teachers), school_key, issues) if teachers else ()
    relative_records = _relatives(Path(relatives), school_key, issues) if relatives else ()
    issues.raise_if_any()
    linked = link_relatives(pupil_records, relative_records, extra_names=family_names)
    return OndeExtraction(linked.pupils, tuple(teacher_records), linked.relatives,
                          (*issues.warnings, *linked.warnings))


def _collector(path: Path, parent: IssueCollector) -> IssueCollector:
    return IssueCollector(path.name, limit=parent.limit)


def _pupils(path: Path, school_key: str,
            parent: IssueCollector) -> tuple[list[PersonRecord], dict[str, tuple[str, ...]]]:
    issues = _collector(path, parent)
    sheet = read_sheet(path, PUPILS_SCHEMA, issues)
    records: list[PersonRecord] = []
    family_names: dict[str, tuple[str, ...]] = {}
    seen: dict[str, int] = {}
    for row in sheet.rows:
        ok = check_required(sheet, row, PUPILS_SCHEMA, issues, skip=_PUPIL_OPTIONAL_VALUES)
        birth_date = read_date(row, "birth_date", issues)
        if not ok or birth_date is None:
            continue
        family, first = row.get("family_name"), row.get("first_name")
        external_id = generated_id(school_key, PersonKind.STUDENT, family, first,
                                   birth_date.isoformat())
        if not _first_time(seen, external_id, row, issues):
            continue
        class_name = row.get("class_name")
        if not class_name:
            issues.warn(row.line, "no-class", f"élève sans classe : {first} {family}")
        last_name = row.get("usage_name") or family
        family_names[external_id] = (family,)
        records.append(PersonRecord(
            kind=PersonKind.STUDENT, external_id=external_id, last_name=last_name,
            first_name=first, source=FeedSource.ONDE, birth_date=birth_date,
            address=row.get("address"), postal_code=row.get("postal_code"),
            city=row.get("city"), country=row.get("country"), level=row.get("level"),
            structures=(school_key,),
            classes=(ClassRef(school_key, class_name, class_name),) if class_name else (),
            source_file=path.name, line=row.line,
        ))
    parent.absorb(issues)
    return records, family_names


def _teachers(path: Path, school_key: str, parent: IssueCollector) -> list[PersonRecord]:
    """One row per teacher and class: rows of the same teacher are merged."""
    issues = _collector(path, parent)
    sheet = read_sheet(path, TEACHERS_SCHEMA, issues)
    records: dict[str, PersonRecord] = {}
    for row in sheet.rows:
        if not check_required(sheet, row, TEACHERS_SCHEMA, issues):
            continue
        director = row.get("director").lower()
        if director not in ("", "oui", "non"):
            issues.unreadable(row.line, TEACHERS_SCHEMA.role("director"), "Directeur",
                              row.get("director"), detail="oui ou non attendu")
            director = ""
        family, first = row.get("family_name"), row.get("first_name")
        email = read_email(row, "email", issues, label="Courriel")
        external_id = generated_id(school_key, PersonKind.TEACHER, family, first)
        classes = tuple(ClassRef(school_key, name, name) for name in row.all("class_name"))
        director_of = (school_key,) if director == "oui" else ()
        previous = records.get(external_id)
        if previous is not None:
            records[external_id] = dataclasses.replace(
                previous,
                classes=tuple(dict.fromkeys(previous.classes + classes)),
                director_of=previous.director_of or director_of,
            )
            continue
        records[external_id] = PersonRecord(
            kind=PersonKind.TEACHER, external_id=external_id,
            last_name=row.get("usage_name") or family, first_name=first,
            source=FeedSource.ONDE, title=row.get("title"),
            academic_email=email if is_academic_email(email) else "", email=email,
            phone=row.get("phone"), mobile=row.get("mobile"), address=row.get("address"),
            postal_code=row.get("postal_code"), city=row.get("city"),
            country=row.get("country"), structures=(school_key,), classes=classes,
            director_of=director_of, source_file=path.name, line=row.line,
        )
    parent.absorb(issues)
    return list(records.values())


def _relatives(path: Path, school_key: str, parent: IssueCollector) -> list[PersonRecord]:
    issues = _collector(path, parent)
    sheet = read_sheet(path, RELATIVES_SCHEMA, issues)
    records: list[PersonRecord] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        ok = check_required(sheet, row, RELATIVES_SCHEMA, issues,
                            skip=frozenset({"child_family_name", "child_first_name"}))
        children = _children(row, issues)
        if not ok or children is None:
            continue
        family, first = row.get("family_name"), row.get("first_name")
        external_id, match_keys = relative_ids(school_key, family, first, children)
        if not _first_time(seen, external_id, row, issues):
            continue
        work_phone = row.get("work_phone")
        if work_phone and row.get("extension"):
            work_phone = f"{work_phone} poste {row.get('extension')}"
        records.append(PersonRecord(
            kind=PersonKind.RELATIVE, external_id=external_id,
            last_name=row.get("usage_name") or family, first_name=first,
            source=FeedSource.ONDE, title=row.get("title"),
            email=read_email(row, "email", issues, label="Courriel"), phone=row.get("phone"),
            mobile=row.get("mobile"), work_phone=work_phone, address=row.get("address"),
            postal_code=row.get("postal_code"), city=row.get("city"),
            country=row.get("country"), structures=(school_key,), children=children,
            match_keys=match_keys, source_file=path.name, line=row.line,
        ))
    parent.absorb(issues)
    return records


def _children(row: Row, issues: IssueCollector) -> tuple[ChildRef, ...] | None:
    """The repeated (usage name, family name, first name, classes) blocks of a parent row:
    a new block starts when a field of the current block comes again."""
    children = []
    ok = True
    for block in repeated_blocks(row, _CHILD_FIELDS):
        family, first = block.get("child_family_name", ""), block.get("child_first_name", "")
        if not family or not first:
            issues.error(row.line, "missing-value",
                         "enfant incomplet : nom de famille et prénom sont obligatoires")
            ok = False
            continue
        children.append(ChildRef(block.get("child_usage_name") or family, first,
                                 block.get("child_class", "")))
    if ok and not children:
        issues.error(row.line, "missing-value", "responsable sans enfant")
        return None
    return tuple(children) if ok else None


def _first_time(seen: dict[str, int], external_id: str, row: Row,
                issues: IssueCollector) -> bool:
    first = seen.get(external_id)
    if first is not None:
        issues.error(row.line, "duplicate-person", f"personne en double (déjà ligne {first})")
        return False
    seen[external_id] = row.line
    return True
