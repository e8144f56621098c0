"""The five CSV templates an ENT admin fills in by hand: pupils, teachers, staff, parents,
guests.

Headers are matched loosely with aliases (nom / nom de famille, classe / libellé classe,
date de naissance / né(e) le, email / courriel / adresse e-mail…); a repeated class column
gives several classes; parents name their children in repeated (Nom de l'élève, Prénom de
l'élève, Classes de l'élève) blocks.

Strict by default: any bad line refuses the file, and the one FeedError lists every bad line
(up to 100). Ids are generated as for ONDE (`values.generated_id`; parents:
`links.relative_ids`); children stay unresolved (`ChildRef.external_id` empty) unless the
pupils are given to `link_relatives`, since a parents file has no birth dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .csvfiles import (
    Row,
    Schema,
    Sheet,
    check_required,
    is_academic_email,
    read_date,
    read_email,
    read_sheet,
    repeated_blocks,
)
from .errors import IssueCollector, ParseIssue, Role
from .links import relative_ids
from .records import ChildRef, ClassRef, FeedSource, FunctionRef, PersonKind, PersonRecord
from .values import generated_id


class ManualTemplate(StrEnum):
    PUPILS = "pupils"
    TEACHERS = "teachers"
    PERSONNEL = "personnel"
    RELATIVES = "relatives"
    GUESTS = "guests"


KINDS = {
    ManualTemplate.PUPILS: PersonKind.STUDENT,
    ManualTemplate.TEACHERS: PersonKind.TEACHER,
    ManualTemplate.PERSONNEL: PersonKind.PERSONNEL,
    ManualTemplate.RELATIVES: PersonKind.RELATIVE,
    ManualTemplate.GUESTS: PersonKind.GUEST,
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "nomdefamille", "noms"),
    "first_name": ("prenom", "prenomusuel"),
    "birth_date": ("datedenaissance", "datenaissance", "nele", "neele", "nee", "ne",
                   "naissance"),
    "classes": ("classe", "classes", "libelleclasse", "libelleclasses", "libelledelaclasse"),
    "email": ("email", "mail", "courriel", "adresseemail", "adressemail", "adressecourriel",
              "adresseelectronique"),
    "phone": ("telephone", "tel", "telephonedomicile", "telephonefixe", "telephonepersonnel"),
    "work_phone": ("telephonetravail", "telephoneprofessionnel", "teltravail", "telpro"),
    "mobile": ("telephoneportable", "portable", "mobile", "telephonemobile", "telmobile"),
    "address": ("adresse", "adressepostale"),
    "postal_code": ("cp", "codepostal"),
    "city": ("ville", "commune"),
    "country": ("pays",),
    "function": ("fonction", "fonctions"),
    "title": ("civilite",),
    "level": ("niveau",),
    "ine": ("ine",),
    "director": ("directeur", "directrice"),
    "child_last_name": ("nomdeleleve", "nomeleve", "nomdelenfant", "nomenfant"),
    "child_first_name": ("prenomdeleleve", "prenomeleve", "prenomdelenfant", "prenomenfant"),
    "child_classes": ("classesdeleleve", "classedeleleve", "classeeleve", "classeseleve",
                      "classesdelenfant", "classedelenfant", "classeenfant", "classesenfant",
                      "classesenfants"),
}

LABELS = {
    "last_name": "Nom", "first_name": "Prénom", "birth_date": "Date de naissance",
    "classes": "Classe", "email": "Courriel", "phone": "Téléphone",
    "work_phone": "Téléphone travail", "mobile": "Téléphone portable", "address": "Adresse",
    "postal_code": "Code postal", "city": "Ville", "country": "Pays", "function": "Fonction",
    "title": "Civilité", "level": "Niveau", "ine": "INE", "director": "Directeur",
    "child_last_name": "Nom de l'élève", "child_first_name": "Prénom de l'élève",
    "child_classes": "Classes de l'élève",
}

_CONTACT = ("email", "phone", "work_phone", "mobile", "address", "postal_code", "city",
            "country", "title")
_CHILD_FIELDS = ("child_last_name", "child_first_name", "child_classes")


IDENTITY = frozenset({"last_name", "first_name", "child_last_name", "child_first_name"})
"""The fields that identify a person: the generated id is made of them (and of a pupil's
birth date). A value that cannot be read there refuses the line; in any other field it is
left out with a warning."""


def _schema(fields: tuple[str, ...], required: tuple[str, ...],
            repeatable: tuple[str, ...] = (), identity: frozenset[str] = IDENTITY) -> Schema:
    aliases = {alias: name for name in fields for alias in _ALIASES[name]}
    return Schema(aliases=aliases, labels=LABELS, required=frozenset(required),
                  repeatable=frozenset(repeatable), identity=identity & frozenset(fields))


SCHEMAS = {
    ManualTemplate.PUPILS: _schema(
        ("last_name", "first_name", "birth_date", "classes", "level", "ine", *_CONTACT),
        required=("last_name", "first_name", "birth_date", "classes"),
        repeatable=("classes",), identity=IDENTITY | {"birth_date"}),
    ManualTemplate.TEACHERS: _schema(
        ("last_name", "first_name", "birth_date", "classes", "function", "director",
         *_CONTACT),
        required=("last_name", "first_name"), repeatable=("classes", "function")),
    ManualTemplate.PERSONNEL: _schema(
        ("last_name", "first_name", "birth_date", "function", *_CONTACT),
        required=("last_name", "first_name"), repeatable=("function",)),
    ManualTemplate.GUESTS: _schema(
        ("last_name", "first_name", "birth_date", "classes", *_CONTACT),
        required=("last_name", "first_name"), repeatable=("classes",)),
    ManualTemplate.RELATIVES: _schema(
        ("last_name", "first_name", *_CONTACT, *_CHILD_FIELDS),
        required=("last_name", "first_name", "child_last_name", "child_first_name"),
        repeatable=_CHILD_FIELDS),
}


@dataclass(frozen=True, slots=True)
class CsvImport:
    records: tuple[PersonRecord, ...]
    warnings: tuple[ParseIssue, ...]


def parse_manual_csv(path: str | Path, template: ManualTemplate | str,
                     school_key: str) -> CsvImport:
    """Reads one filled-in template for the school `school_key` (its UAI).

    Raises FeedError (listing every bad line) when anything is wrong; the records are only
    returned for a clean file.
    """
    if not school_key.strip():
        raise ValueError("a manual CSV import needs the school's key (UAI)")
    template = ManualTemplate(template)
    schema = SCHEMAS[template]
    issues = IssueCollector(Path(path).name)
    sheet = read_sheet(path, schema, issues)
    reader = _TemplateReader(sheet, schema, template, school_key, issues)
    records = [record for row in sheet.rows if (record := reader.read(row)) is not None]
    issues.raise_if_any()
    return CsvImport(tuple(records), tuple(issues.warnings))


class _TemplateReader:
    def __init__(self, sheet: Sheet, schema: Schema, template: ManualTemplate,
                 school_key: str, issues: IssueCollector) -> None:
        self.sheet = sheet
        self.schema = schema
        self.template = template
        self.kind = KINDS[template]
        self.school_key = school_key
        self.issues = issues
        self.seen: dict[str, int] = {}

    def read(self, row: Row) -> PersonRecord | None:
        # Only identity fields may refuse the line: a required field that is not identity
        # (a pupil's class) is a warning when empty.
        skip = frozenset(_CHILD_FIELDS) | (self.sheet.required - self.schema.identity)
        ok = check_required(self.sheet, row, self.schema, self.issues, skip=skip)
        for name in sorted(self.sheet.required & skip - frozenset(_CHILD_FIELDS)):
            if not row.get(name):
                self.issues.warn(row.line, "missing-value",
                                 f"valeur manquante : « {LABELS.get(name, name)} »")
        role = self.schema.role("birth_date")
        birth_date = read_date(row, "birth_date", self.issues, role, LABELS["birth_date"])
        if row.get("birth_date") and birth_date is None and role is Role.IDENTITY:
            ok = False
        email = read_email(row, "email", self.issues, self.schema.role("email"),
                           LABELS["email"])
        director = row.get("director").lower()
        if director not in ("", "oui", "non", "o", "n", "1", "0", "x"):
            self.issues.unreadable(row.line, self.schema.role("director"), LABELS["director"],
                                   row.get("director"), detail="oui ou non attendu")
            director = ""
        children: tuple[ChildRef, ...] = ()
        if self.template is ManualTemplate.RELATIVES:
            found = self._children(row)
            ok = ok and found is not None
            children = found or ()
        if not ok:
            return None
        last_name, first_name = row.get("last_name"), row.get("first_name")
        match_keys: tuple[str, ...] = ()
        if self.kind is PersonKind.RELATIVE:
            external_id, match_keys = relative_ids(self.school_key, last_name, first_name,
                                                   children)
        elif self.kind is PersonKind.STUDENT:
            assert birth_date is not None  # required column, checked above
            external_id = generated_id(self.school_key, self.kind, last_name, first_name,
                                       birth_date.isoformat())
        else:
            external_id = generated_id(self.school_key, self.kind, last_name, first_name)
        first = self.seen.get(external_id)
        if first is not None:
            self.issues.error(row.line, "duplicate-person",
                              f"personne en double (déjà ligne {first})")
            return None
        self.seen[external_id] = row.line
        staff = self.kind in (PersonKind.TEACHER, PersonKind.PERSONNEL)
        key = self.school_key
        return PersonRecord(
            kind=self.kind, external_id=external_id, last_name=last_name,
            first_name=first_name, source=FeedSource.CSV, birth_date=birth_date,
            title=row.get("title"), ine=row.get("ine"),
            academic_email=email if staff and is_academic_email(email) else "", email=email,
            phone=row.get("phone"), mobile=row.get("mobile"), work_phone=row.get("work_phone"),
            address=row.get("address"), postal_code=row.get("postal_code"),
            city=row.get("city"), country=row.get("country"), level=row.get("level"),
            structures=(key,),
            classes=tuple(dict.fromkeys(ClassRef(key, name, name)
                                        for name in row.all("classes"))),
            children=children,
            functions=tuple(dict.fromkeys(FunctionRef(key, "", label)
                                          for label in row.all("function"))),
            director_of=(key,) if director in ("oui", "o", "1", "x") else (),
            match_keys=match_keys,
            source_file=self.sheet.file, line=row.line,
        )

    def _children(self, row: Row) -> tuple[ChildRef, ...] | None:
        """(Nom de l'élève, Prénom de l'élève, Classes de l'élève) blocks, in any column order:
        a new block starts when a field of the current block comes again."""
        children = []
        ok = True
        for block in repeated_blocks(row, _CHILD_FIELDS):
            last, first = block.get("child_last_name", ""), block.get("child_first_name", "")
            if not last or not first:
                self.issues.error(row.line, "missing-value",
                                  "élève incomplet : nom et prénom de l'élève sont obligatoires")
                ok = False
                continue
            children.append(ChildRef(last, first, block.get("child_classes", "")))
        if ok and not children:
            self.issues.error(row.line, "missing-value", "responsable sans élève")
            return None
        return tuple(children) if ok else None
