"""A small, streaming AAF / AAF1D writer: records in, `ficAlimMENESR` file out.

It writes what `parse_aaf` reads back, so tests can round-trip records, the benchmark can
generate an académie-sized feed, and the demo can ship a believable one. Records are written
one at a time, as text: memory stays flat and writing is fast.

Values are escaped twice for `&` because the parser, like the reference ENT, unescapes HTML
entities left in AAF values. A part of a `$`-separated value (class, function…) may not
contain `$` itself: the writer refuses it rather than produce a file that reads differently.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Literal

from .aaf import ENVELOPE, AafFileKind
from .records import (
    ClassRef,
    GroupRef,
    PersonKind,
    PersonRecord,
    Record,
    StructureRecord,
)

Flavour = Literal["aaf1d", "aaf"]
DOCTYPE = '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">'

_CATEGORIES = {
    PersonKind.STUDENT: AafFileKind.PUPILS,
    PersonKind.TEACHER: AafFileKind.STAFF,
    PersonKind.PERSONNEL: AafFileKind.STAFF,
    PersonKind.RELATIVE: AafFileKind.RELATIVES,
}


def aaf_file_name(prefix: str, kind: AafFileKind, day: date, number: int = 0) -> str:
    """`<prefix>_Complet_<yyyymmdd>_<Type>_<NNNN>.xml`, the name `classify` expects."""
    return f"{prefix}_Complet_{day:%Y%m%d}_{kind.value}_{number:04d}.xml"


def file_kind(record: Record) -> AafFileKind:
    """Which AAF file a record belongs in."""
    if isinstance(record, StructureRecord):
        return AafFileKind.STRUCTURES
    try:
        return _CATEGORIES[record.kind]
    except KeyError:
        raise ValueError(f"AAF has no file for {record.kind} records") from None


def write_aaf(target: str | Path | IO[bytes], records: Iterable[Record], *,
              flavour: Flavour = "aaf1d") -> int:
    """Writes the records into one AAF file; returns how many were written.

    All records should belong in the same file kind (see `file_kind`): the parser reads a
    file by its name, so a pupil inside a structures file would be read as a structure.
    The layout is the real files': one request per block, one attribute per line.
    """
    if isinstance(target, str | Path):
        with Path(target).open("wb") as handle:
            return write_aaf(handle, records, flavour=flavour)
    target.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{DOCTYPE}\n<{ENVELOPE}>\n'
                 .encode())
    count = 0
    for record in records:
        target.write(request_text(record, flavour).encode("utf-8"))
        count += 1
    target.write(f"</{ENVELOPE}>\n".encode())
    return count


def write_aaf_files(folder: str | Path, prefix: str, kind: AafFileKind, day: date,
                    records: Iterable[Record], *, flavour: Flavour = "aaf1d",
                    per_file: int = 10_000) -> list[Path]:
    """Writes a stream of records of one kind as numbered files (`_0000`, `_0001`…) of at
    most `per_file` records each, like the académie's drops; returns the paths written.
    The records are consumed lazily: an académie-sized generator never sits in memory."""
    if per_file < 1:
        raise ValueError("per_file must be at least 1")
    paths: list[Path] = []
    iterator = iter(records)
    while True:
        batch = list(itertools.islice(iterator, per_file))
        if not batch and paths:
            return paths
        for record in batch:
            if file_kind(record) is not kind:
                raise ValueError(f"a {kind.value} file cannot hold {record!r}")
        path = Path(folder) / aaf_file_name(prefix, kind, day, len(paths))
        write_aaf(path, batch, flavour=flavour)
        paths.append(path)
        if len(batch) < per_file:
            return paths


def request_text(record: Record, flavour: Flavour = "aaf1d") -> str:
    """The `addRequest` block of one record."""
    if isinstance(record, StructureRecord):
        category = ("categorieStructure", AafFileKind.STRUCTURES.value)
        attrs = _structure_attrs(record, flavour)
    else:
        category = ("categoriePersonne", file_kind(record).value)
        attrs = _person_attrs(record, flavour)
    lines = [
        "    <addRequest>",
        f"        <operationalAttributes>{_attr(*category)}</operationalAttributes>",
        f"        <identifier><id>{_escape(record.external_id)}</id></identifier>",
        "        <attributes>",
    ]
    lines += [f"            {_attr(name, *values)}" for name, values in attrs if values]
    lines += ["        </attributes>", "    </addRequest>", ""]
    return "\n".join(lines)


def _attr(name: str, *values: str) -> str:
    inner = "".join(f"<value>{_escape(value)}</value>" for value in values)
    return f'<attr name="{name}">{inner}</attr>'


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(value: str) -> str:
    """XML-escapes a value; `&` twice, since the parser unescapes HTML entities."""
    bad = _NOT_XML.search(value)
    if bad:
        raise ValueError(f"character {bad.group()!r} cannot be written in XML 1.0")
    return (value.replace("&", "&amp;amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _joined(*parts: str) -> str:
    for part in parts:
        if "$" in part:
            raise ValueError(f"a $-separated AAF value cannot hold '$': {part!r}")
    return "$".join(parts)


def _one(value: str) -> list[str]:
    return [value] if value else []


def _structure_attrs(s: StructureRecord, flavour: Flavour) -> Iterator[tuple[str, list[str]]]:
    one_d = flavour == "aaf1d"
    district = (_joined(s.circonscription_code, s.circonscription) if s.circonscription_code
                else s.circonscription)
    if "$" in s.name:
        raise ValueError(f"a structure name cannot hold '$': {s.name!r}")
    yield "ENTStructureJointure", [s.external_id]
    yield "ENTStructureUAI", [s.uai]
    yield "ENTStructureNomCourant", [s.name]
    yield "ENTStructureTypeStruct", _one(s.structure_type)
    yield "ENTStructureSIREN", _one(s.siren)
    yield ("ENTStructureAdresse" if one_d else "street"), _one(s.address)
    yield ("ENTStructureCodePostal" if one_d else "postalCode"), _one(s.postal_code)
    yield ("ENTStructureVille" if one_d else "l"), _one(s.city)
    yield ("ENTStructureTelephone" if one_d else "telephoneNumber"), _one(s.phone)
    yield "ENTStructureMailSI", _one(s.email)
    yield ("ENTEcoleCirconscription" if one_d else "ENTEtablissementBassin"), _one(district)
    yield "ENTServAcAcademie", _one(s.academy)
    yield "ENTServAcCodeAcademie", _one(s.academy_code)


def _refs_1d(refs: Iterable[ClassRef | GroupRef]) -> list[str]:
    return [_joined(r.structure_key, "", "", r.code, r.name) for r in refs]


def _refs_2d(refs: Iterable[ClassRef | GroupRef]) -> list[str]:
    return [_joined(r.structure_key, r.code) for r in refs]


def _person_attrs(p: PersonRecord, flavour: Flavour) -> Iterator[tuple[str, list[str]]]:
    one_d = flavour == "aaf1d"
    staff = p.kind in (PersonKind.TEACHER, PersonKind.PERSONNEL)
    if "$" in p.address:
        raise ValueError(f"an AAF address cannot hold '$': {p.address!r}")
    yield "ENTPersonJointure", [p.external_id]
    yield ("ENTPersonNom" if one_d else "sn"), [p.last_name]
    yield ("ENTPersonPrenom" if one_d else "givenName"), [p.first_name]
    yield ("ENTPersonCivilite" if one_d else "personalTitle"), _one(p.title)
    if p.birth_date is not None:
        yield "ENTPersonDateNaissance", [f"{p.birth_date:%d/%m/%Y}"]
    yield "ENTEleveINE", _one(p.ine)
    yield ("ENTPersonMail" if one_d else "mail"), _one(p.academic_email if staff else p.email)
    yield ("ENTPersonTelPerso" if one_d else "homePhone"), _one(p.phone)
    yield ("ENTPersRelEleveTelMobile" if one_d else "mobile"), _one(p.mobile)
    yield ("ENTPersRelEleveTelPro" if one_d else "telephoneNumber"), _one(p.work_phone)
    yield "ENTPersonAdresse", _one(p.address)
    yield "ENTPersonCodePostal", _one(p.postal_code)
    yield "ENTPersonVille", _one(p.city)
    yield "ENTPersonPays", _one(p.country)
    yield ("ENTEleveNiveau" if one_d else "ENTEleveNivFormation"), _one(p.level)
    yield "ENTPersonStructRattach", list(p.structures)
    if one_d:
        yield "ENTPersonClasses", _refs_1d(p.classes)
        yield "ENTPersonGroupes", _refs_1d(p.groups)
    elif p.kind is PersonKind.STUDENT:
        yield "ENTEleveClasses", _refs_2d(p.classes)
        yield "ENTEleveGroupes", _refs_2d(p.groups)
    else:
        yield "ENTAuxEnsClasses", _refs_2d(p.classes)
        yield "ENTAuxEnsGroupes", _refs_2d(p.groups)
    if p.relatives and one_d:
        if not all(r.legal for r in p.relatives):
            raise ValueError("AAF1D only lists legal relatives (ENTEleveAutoriteParentale)")
        yield "ENTEleveAutoriteParentale", [_joined(r.external_id) for r in p.relatives]
    elif p.relatives:
        yield "ENTElevePersRelEleve", [
            _joined(r.external_id, r.relationship, "0", "1" if r.legal else "0", "0", "0")
            for r in p.relatives
        ]
    yield "ENTPersonFonctions", [
        _joined(f.structure_key, f.code, f.label or "-", f.subject_code or "-", f.subject or "-")
        for f in p.functions
    ]
    yield "ENTEnsFonctionDir", list(p.director_of)
    yield "ENTPersonCategorieEnseignant", _one(p.teacher_category)
