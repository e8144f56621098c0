"""Synthetic AAF1D académies: deterministic records written as the académie's files.

Two users, one writer:

- the benchmark (`bench/generate_aaf1d.py`, `bench/bench_feeds.py`) writes académies of any
  size with `generate`: per school, like a real primary school, about 120 pupils in five
  classes spanning TPS to CM2, about 180 legal parents (siblings share theirs), 8 teachers
  of whom one directs the school;
- the demo (`preau.demo.feed`) builds its own small académie's records and writes them with
  `write_academy`, then imports them with the real importer.

`write_academy` writes the four files of a complete AAF1D drop (EtabEducNat, PersEducNat,
Eleve, PersRelEleve, numbered files of at most 10,000 records) with the AAF writer, from
iterables consumed lazily: an académie-sized generator never sits in memory.

Deterministic: each benchmark school's people come from a random generator seeded by (seed,
school), so the same arguments always give the same files. `change` writes the same académie
with a share of the person records changed (a pupil's last name, birth date or class; a
parent's name or e-mail; a teacher's name): the "5 % changes" re-import of the benchmark.
Which records change is decided by a hash of their id, so it does not disturb the rest.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from preau.feeds.parsers import (
    AafFileKind,
    ClassRef,
    FeedSource,
    FunctionRef,
    PersonKind,
    PersonRecord,
    RelativeRef,
    StructureRecord,
    write_aaf_files,
)

DAY = datetime.date(2025, 9, 1)
CLASSES = [("TPS-PS", ("TPS", "PS")), ("MS-GS", ("MS", "GS")), ("CP-CE1", ("CP", "CE1")),
           ("CE2-CM1", ("CE2", "CM1")), ("CM2", ("CM2",))]
BIRTH_YEARS = {"TPS": 2023, "PS": 2022, "MS": 2021, "GS": 2020, "CP": 2019, "CE1": 2018,
               "CE2": 2017, "CM1": 2016, "CM2": 2015}
PUPILS_PER_SCHOOL = 120
TEACHERS_PER_SCHOOL = 8
FIRST_NAMES = ["Léa", "Hugo", "Chloé", "Louis", "Emma", "Jules", "Inès", "Noah", "Zoé", "Adam",
               "Jade", "Gabriel", "Louise", "Raphaël", "Alice", "Arthur", "Lina", "Maël",
               "Rose", "Paul", "Anna", "Sacha", "Mia", "Nathan", "Éléonore", "Noé"]
LAST_NAMES = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND",
              "DUBOIS", "MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX",
              "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT",
              "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFÈVRE", "FAURE",
              "ANDRÉ", "MERCIER", "BLANC", "GUÉRIN", "BOYER", "GARNIER", "CHEVALIER"]
CITIES = ["Lille", "Roubaix", "Tourcoing", "Amiens", "Arras", "Calais", "Dunkerque", "Lens"]


class School:
    """The records of one school, built from its own seeded generator."""

    def __init__(self, number: int, seed: int, change: float) -> None:
        self.key = f"S{number:05d}"
        self.change = change
        rng = random.Random(seed * 1_000_003 + number)
        city = CITIES[number % len(CITIES)]
        self.structure = StructureRecord(
            external_id=self.key, uai=f"{590000 + number:07d}K"[-8:],
            name=f"École {rng.choice(LAST_NAMES).title()} {number}", structure_type="ECOLE",
            source=FeedSource.AAF1D, address=f"{number} rue de l'École",
            postal_code="59000", city=city, academy="LILLE", academy_code="09",
            circonscription=f"{city} {number % 7 + 1}",
            circonscription_code=f"0590{number % 97:03d}")
        refs = [ClassRef(self.key, f"{self.key}-{code}", code) for code, _ in CLASSES]
        self.pupils: list[PersonRecord] = []
        self.parents: list[PersonRecord] = []
        family = 0
        while len(self.pupils) < PUPILS_PER_SCHOOL:
            family += 1
            last = rng.choice(LAST_NAMES)
            kids = rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
            adults = rng.choices((1, 2), weights=(5, 95))[0]
            parent_ids = tuple(f"{self.key}R{family:03d}{a}" for a in range(adults))
            for a, parent_id in enumerate(parent_ids):
                first = rng.choice(FIRST_NAMES)
                self.parents.append(PersonRecord(
                    kind=PersonKind.RELATIVE, external_id=parent_id,
                    last_name=last if a == 0 else rng.choice(LAST_NAMES), first_name=first,
                    title=rng.choice(("M", "MME")),
                    email=f"{first.lower()}.{last.lower()}{number}{family}{a}@example.org",
                    mobile=f"06{rng.randrange(10**8):08d}", address=f"{family} rue {last.title()}",
                    postal_code="59000", city=city, country="FRANCE"))
            for k in range(kids):
                c = rng.randrange(len(CLASSES))
                level = rng.choice(CLASSES[c][1])
                born = (datetime.date(BIRTH_YEARS[level], 1, 1)
                        + datetime.timedelta(days=rng.randrange(365)))
                self.pupils.append(PersonRecord(
                    kind=PersonKind.STUDENT, external_id=f"{self.key}E{family:03d}{k}",
                    last_name=last, first_name=rng.choice(FIRST_NAMES), birth_date=born,
                    ine=f"{number:05d}{family:03d}{k}{rng.randrange(100):02d}A", level=level,
                    structures=(self.key,), classes=(refs[c],),
                    relatives=tuple(RelativeRef(p, True) for p in parent_ids)))
        self.staff: list[PersonRecord] = []
        for t in range(TEACHERS_PER_SCHOOL):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            self.staff.append(PersonRecord(
                kind=PersonKind.TEACHER, external_id=f"{self.key}T{t}", last_name=last,
                first_name=first, title=rng.choice(("M", "MME")),
                birth_date=datetime.date(1970 + t * 3, 1 + t, 10),
                academic_email=f"{first.lower()}.{last.lower()}{number}{t}@ac-lille.fr",
                structures=(self.key,), classes=(refs[t],) if t < len(refs) else (),
                functions=(FunctionRef(self.key, "ENS", "ENSEIGNEMENT"),),
                director_of=(self.key,) if t == 0 else (), teacher_category="O"))
        self.refs = refs

    def changed(self, record: PersonRecord) -> PersonRecord:
        """The record, or its changed version for the share `change` of the ids."""
        if not self.change:
            return record
        digest = hashlib.blake2b(record.external_id.encode(), digest_size=8).digest()
        draw = int.from_bytes(digest, "big")
        if draw % 1_000_000 >= self.change * 1_000_000:
            return record
        how = (draw >> 32) % 3
        if record.kind is PersonKind.STUDENT:
            if how == 0:
                return replace(record, last_name=record.last_name + "-MODIFIÉ")
            if how == 1 and record.birth_date is not None:
                return replace(record, birth_date=record.birth_date + datetime.timedelta(1))
            index = self.refs.index(record.classes[0])
            return replace(record, classes=(self.refs[(index + 1) % len(self.refs)],))
        if record.kind is PersonKind.RELATIVE and how == 0:
            return replace(record, email="nouveau." + record.email)
        return replace(record, first_name=record.first_name + "-Marie")


def _people(schools: int, seed: int, change: float,
            pick: Callable[[School], list[PersonRecord]]) -> Iterator[PersonRecord]:
    for number in range(schools):
        school = School(number, seed, change)
        for record in pick(school):
            yield school.changed(record)


def write_academy(out: str | Path, prefix: str, day: datetime.date, *,
                  structures: Iterable[StructureRecord], staff: Iterable[PersonRecord],
                  pupils: Iterable[PersonRecord], relatives: Iterable[PersonRecord],
                  ) -> list[Path]:
    """Writes a complete AAF1D drop into `out` (its old .xml files removed); returns the
    files, named `<prefix>_Complet_<yyyymmdd>_<Type>_<NNNN>.xml` as the importer expects."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xml"):
        old.unlink()
    paths = write_aaf_files(folder, prefix, AafFileKind.STRUCTURES, day, structures)
    for kind, records in ((AafFileKind.STAFF, staff), (AafFileKind.PUPILS, pupils),
                          (AafFileKind.RELATIVES, relatives)):
        paths += write_aaf_files(folder, prefix, kind, day, records)
    return paths


def generate(out: str | Path, *, schools: int, seed: int = 1, prefix: str = "ENT",
             change: float = 0.0, day: datetime.date = DAY) -> list[Path]:
    """Writes a benchmark académie of `schools` schools into `out`; returns the files."""
    return write_academy(
        out, prefix, day,
        structures=(School(n, seed, change).structure for n in range(schools)),
        staff=_people(schools, seed, change, lambda s: s.staff),
        pupils=_people(schools, seed, change, lambda s: s.pupils),
        relatives=_people(schools, seed, change, lambda s: s.parents))
