"""The files of one run: which format, which file holds which kind of record, in what order.

This is the seam between the parsers (files in, records out) and the importer (records in,
directory out). It decides the run's *kinds* — the profiles the run is a snapshot of — from
the files present: a run with only the staff file covers teachers and staff, never pupils.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from preau.feeds.models import FeedFormat
from preau.feeds.parsers import (
    AafFileKind,
    FeedError,
    ManualTemplate,
    OndeExtraction,
    ParseIssue,
    PersonKind,
    PersonRecord,
    StructureRecord,
    ahead,
    classify,
    link_relatives,
    loose_key,
    parse_aaf,
    parse_manual_csv,
    parse_onde,
)
from preau.feeds.parsers.aaf import IGNORED_KINDS
from preau.feeds.parsers.onde import FILE_SUFFIXES
from preau.feeds.parsers.records import Record
from preau.lib.errors import Refusal

# Kinds of person read in this order: relatives are created only when a pupil references
# them, and teachers link to classes that pupils create.
PERSON_ORDER: tuple[tuple[PersonKind, ...], ...] = (
    (PersonKind.STUDENT,),
    (PersonKind.RELATIVE,),
    (PersonKind.TEACHER, PersonKind.PERSONNEL),
    (PersonKind.GUEST,),
)

_AAF_ROLES: dict[AafFileKind, tuple[PersonKind, ...]] = {
    AafFileKind.PUPILS: (PersonKind.STUDENT,),
    AafFileKind.RELATIVES: (PersonKind.RELATIVE,),
    AafFileKind.STAFF: (PersonKind.TEACHER, PersonKind.PERSONNEL),
}
_AAF_ORDER = (AafFileKind.STRUCTURES, AafFileKind.PUPILS, AafFileKind.RELATIVES,
              AafFileKind.STAFF)

_ONDE_KINDS = {"pupils": PersonKind.STUDENT, "teachers": PersonKind.TEACHER,
               "relatives": PersonKind.RELATIVE}

# Manual templates recognised from their file name (loose: case, accents, punctuation).
_TEMPLATE_WORDS: tuple[tuple[str, ManualTemplate], ...] = (
    ("eleve", ManualTemplate.PUPILS),
    ("enseignant", ManualTemplate.TEACHERS),
    ("personnel", ManualTemplate.PERSONNEL),
    ("parent", ManualTemplate.RELATIVES),
    ("responsable", ManualTemplate.RELATIVES),
    ("invite", ManualTemplate.GUESTS),
)
_TEMPLATE_KINDS = {
    ManualTemplate.PUPILS: PersonKind.STUDENT,
    ManualTemplate.TEACHERS: PersonKind.TEACHER,
    ManualTemplate.PERSONNEL: PersonKind.PERSONNEL,
    ManualTemplate.RELATIVES: PersonKind.RELATIVE,
    ManualTemplate.GUESTS: PersonKind.GUEST,
}


class InputRefused(Refusal):
    """The set of files cannot make a run (nothing was read); the message is French."""


@dataclass(frozen=True)
class InputFile:
    path: Path
    role: str  # AAF: the file kind ("Eleve"…); ONDE: pupils/teachers/relatives; CSV: template


def expand(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files given, folders replaced by their files with one of `suffixes` (sorted)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() in suffixes))
        elif path.is_file():
            found.append(path)
        else:
            raise FeedError(path.name, None, "fichier introuvable", code="missing-file")
    if not found:
        raise InputRefused("Aucun fichier à importer.")
    return found


def template_of(path: Path) -> ManualTemplate | None:
    """The manual template a file name announces (CSV_Eleves.csv, parents.csv…), if any."""
    key = loose_key(path.stem)
    for word, template in _TEMPLATE_WORDS:
        if word in key:
            return template
    return None


@dataclass
class RunInput:
    """The parsed view of a run's files. Records are read lazily, kind by kind."""

    format: str
    files: list[InputFile]
    school_key: str = ""
    warnings: list[ParseIssue] = field(default_factory=list)
    _onde: OndeExtraction | None = None
    _csv: dict[PersonKind, list[PersonRecord]] | None = None
    _ahead: ahead.AheadParser | None = None

    @classmethod
    def build(cls, paths: Iterable[str | Path], format: str, *, school_key: str = "",
              templates: dict[str, str] | None = None) -> RunInput:
        """Recognises each file's role; refuses unknown names before reading anything."""
        if format in (FeedFormat.AAF1D, FeedFormat.AAF):
            files = []
            for path in expand(paths, (".xml",)):
                kind = classify(path).kind
                if kind not in IGNORED_KINDS:
                    files.append(InputFile(path, kind.value))
            roles = {f.role for f in files}
            if AafFileKind.RELATIVES.value in roles and AafFileKind.PUPILS.value not in roles:
                raise InputRefused(
                    "Le fichier des responsables (PersRelEleve) ne peut être importé sans "
                    "celui des élèves (Eleve) : ce sont les élèves qui désignent leurs "
                    "responsables.")
            order = {kind.value: index for index, kind in enumerate(_AAF_ORDER)}
            files.sort(key=lambda f: (order[f.role], f.path.name))
            return cls(format, files)
        if format == FeedFormat.ONDE:
            files = []
            for path in expand(paths, (".csv",)):
                stem = path.stem.lower()
                role = next((r for r, s in FILE_SUFFIXES.items() if stem.endswith(s)), None)
                if role is None:
                    raise InputRefused(
                        f"{path.name} : fichier ONDE non reconnu (attendu …-eleves.csv, "
                        "…-enseignants.csv ou …-responsables.csv).")
                if any(f.role == role for f in files):
                    raise InputRefused(f"{path.name} : deux fichiers ONDE du même type.")
                files.append(InputFile(path, role))
            if not any(f.role == "pupils" for f in files):
                raise InputRefused("Le fichier des élèves ONDE (…-eleves.csv) est obligatoire.")
            return cls(format, files, school_key=school_key)
        if format == FeedFormat.CSV:
            files = []
            given = {k: ManualTemplate(v) for k, v in (templates or {}).items()}
            for path in expand(paths, (".csv",)):
                template = given.get(path.name) or template_of(path)
                if template is None:
                    raise InputRefused(
                        f"{path.name} : modèle inconnu. Nommez le fichier d'après son contenu "
                        "(élèves, enseignants, personnels, parents, invités) ou précisez "
                        "--template.")
                files.append(InputFile(path, template.value))
            return cls(format, files, school_key=school_key)
        raise InputRefused(f"Format inconnu « {format} ».")

    # -- what the run covers ---------------------------------------------------------

    def kinds(self) -> frozenset[PersonKind]:
        """The profiles this run is a snapshot of."""
        kinds: set[PersonKind] = set()
        for f in self.files:
            if self.format in (FeedFormat.AAF1D, FeedFormat.AAF):
                kinds.update(_AAF_ROLES.get(AafFileKind(f.role), ()))
            elif self.format == FeedFormat.ONDE:
                kinds.add(_ONDE_KINDS[f.role])
            else:
                kinds.add(_TEMPLATE_KINDS[ManualTemplate(f.role)])
        return frozenset(kinds)

    @property
    def is_aaf(self) -> bool:
        return self.format in (FeedFormat.AAF1D, FeedFormat.AAF)

    def has_structures(self) -> bool:
        return any(f.role == AafFileKind.STRUCTURES.value for f in self.files)

    # -- records ---------------------------------------------------------------------

    @contextmanager
    def reading(self, ahead_mib: float = -1) -> Iterator[None]:
        """The span of a run's reading: AAF files weighing `ahead_mib` MiB or more in all
        (0: any AAF run; negative: never) are parsed by a second process while the run
        writes (`parsers/ahead.py`), when the platform allows it. The records, errors and
        warnings are the same either way; only the time differs."""
        try:
            size = sum(f.path.stat().st_size for f in self.files)
        except OSError:  # gone since the run started: the parser says so, in process
            size = -1
        if (not self.is_aaf or not self.files or ahead_mib < 0 or not ahead.available()
                or size < ahead_mib * 2**20):
            yield
            return
        self._ahead = ahead.AheadParser([f.path for f in self.files], self._flavour())
        try:
            yield
        finally:
            self._ahead.close()
            self._ahead = None

    def _aaf_records(self, f: InputFile) -> Iterator[Record]:
        if self._ahead is not None:
            return self._ahead.records(f.path, self.warnings)
        return parse_aaf(f.path, self._flavour(), warnings=self.warnings)

    def structures(self) -> Iterator[StructureRecord]:
        for f in self.files:
            if f.role == AafFileKind.STRUCTURES.value:
                for record in self._aaf_records(f):
                    if isinstance(record, StructureRecord):
                        yield record

    def people(self, kinds: tuple[PersonKind, ...]) -> Iterator[PersonRecord]:
        """Person records of `kinds`, lazily for AAF (memory stays flat)."""
        if self.is_aaf:
            for f in self.files:
                if set(_AAF_ROLES.get(AafFileKind(f.role), ())) & set(kinds):
                    for record in self._aaf_records(f):
                        if isinstance(record, PersonRecord) and record.kind in kinds:
                            yield record
            return
        if self.format == FeedFormat.ONDE:
            extraction = self._onde_extraction()
            for kind in kinds:
                if kind is PersonKind.STUDENT:
                    yield from extraction.pupils
                elif kind is PersonKind.TEACHER:
                    yield from extraction.teachers
                elif kind is PersonKind.RELATIVE:
                    yield from extraction.relatives
            return
        records = self._csv_records()
        for kind in kinds:
            yield from records.get(kind, ())

    def parse_all(self) -> None:
        """Reads the CSV files at once (they are one school's worth), so that a bad line
        refuses the run before anything is written."""
        if self.format == FeedFormat.ONDE:
            self._onde_extraction()
        elif self.format == FeedFormat.CSV:
            self._csv_records()

    def _flavour(self) -> Literal["aaf1d", "aaf"]:
        return "aaf1d" if self.format == FeedFormat.AAF1D else "aaf"

    def _onde_extraction(self) -> OndeExtraction:
        if self._onde is None:
            by_role = {f.role: f.path for f in self.files}
            self._onde = parse_onde(self.school_key, pupils=by_role["pupils"],
                                    teachers=by_role.get("teachers"),
                                    relatives=by_role.get("relatives"))
            self.warnings.extend(self._onde.warnings)
        return self._onde

    def _csv_records(self) -> dict[PersonKind, list[PersonRecord]]:
        if self._csv is None:
            records: dict[PersonKind, list[PersonRecord]] = {}
            for f in self.files:
                parsed = parse_manual_csv(f.path, f.role, self.school_key)
                self.warnings.extend(parsed.warnings)
                kind = _TEMPLATE_KINDS[ManualTemplate(f.role)]
                records.setdefault(kind, []).extend(parsed.records)
            pupils = records.get(PersonKind.STUDENT)
            relatives = records.get(PersonKind.RELATIVE)
            if pupils and relatives:
                linked = link_relatives(pupils, relatives)
                records[PersonKind.STUDENT] = list(linked.pupils)
                records[PersonKind.RELATIVE] = list(linked.relatives)
                # Children not found among this file's pupils are looked for in the
                # directory by the importer: the parser's warnings would be misleading.
            self._csv = records
        return self._csv
