"""Helpers for the importer tests: a current school year, small generated AAF1D académies
(written with the AAF writer, as the académie sends them), and a wrapper around do_import.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preau.accounts.models import User, UserEvent
from preau.directory.models import (
    Academy,
    Group,
    Membership,
    RelativeLink,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.feeds.actions import do_import
from preau.feeds.models import FeedRun
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

DAY = datetime.date(2023, 9, 4)
FIRST_NAMES = ["Léa", "Hugo", "Chloé", "Louis", "Emma", "Jules", "Inès", "Noah", "Zoé", "Adam"]
LAST_NAMES = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND",
              "DUBOIS", "MOREAU", "LAURENT", "SIMON", "MICHEL"]


def current_year() -> SchoolYear:
    return SchoolYear.objects.create(name="2023-2024", start=datetime.date(2023, 9, 1),
                                     end=datetime.date(2024, 7, 6), is_current=True)


def uai(number: int) -> str:
    return f"{591000 + number:07d}K"


@dataclass
class World:
    """An AAF1D académie: schools, pupils (with classes and parents), parents, staff."""

    schools: list[StructureRecord] = field(default_factory=list)
    pupils: list[PersonRecord] = field(default_factory=list)
    relatives: list[PersonRecord] = field(default_factory=list)
    staff: list[PersonRecord] = field(default_factory=list)

    def write(self, folder: Path, *, kinds: tuple[str, ...] = ("schools", "pupils",
                                                               "relatives", "staff"),
              day: datetime.date = DAY) -> list[Path]:
        """Writes the AAF1D files of `kinds` into `folder` (emptied first)."""
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.xml"):
            old.unlink()
        files = {"schools": AafFileKind.STRUCTURES, "pupils": AafFileKind.PUPILS,
                 "relatives": AafFileKind.RELATIVES, "staff": AafFileKind.STAFF}
        paths: list[Path] = []
        for kind in kinds:
            paths += write_aaf_files(folder, "ENT", files[kind], day, getattr(self, kind))
        return paths

    def without_class(self, code: str) -> World:
        """The same académie, the pupils of class `code` (and their parents) not sent yet."""
        pupils = [p for p in self.pupils if all(c.code != code for c in p.classes)]
        kept = {r.external_id for p in pupils for r in p.relatives}
        return dataclasses.replace(self, pupils=pupils,
                                   relatives=[r for r in self.relatives if r.external_id in kept])


def build_world(*, schools: int = 1, classes: tuple[str, ...] = ("CP", "CE1", "CM1"),
                pupils_per_class: int = 4, teachers: bool = True, first_school: int = 0
                ) -> World:
    world = World()
    number = 0
    for s in range(schools):
        key = f"ST{s}"
        world.schools.append(StructureRecord(
            external_id=key, uai=uai(first_school + s),
            name=f"École {LAST_NAMES[s % 12].title()} {s}",
            source=FeedSource.AAF1D, academy="LILLE", academy_code="09",
            circonscription="Lille 1", circonscription_code="0590001"))
        for c, level in enumerate(classes):
            ref = ClassRef(key, f"{level}-{s}", f"{level} A")
            for _n in range(pupils_per_class):
                number += 1
                first = FIRST_NAMES[number % len(FIRST_NAMES)]
                last = (LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
                        + (f"{first_school}-" if first_school else "") + str(number))
                pupil_id = f"E{number:05d}"
                parent_id = f"R{number:05d}"
                world.pupils.append(PersonRecord(
                    kind=PersonKind.STUDENT, external_id=pupil_id, last_name=last,
                    first_name=first,
                    birth_date=datetime.date(2015, 1, 1) + datetime.timedelta(days=number),
                    ine=f"{first_school:03d}{number:06d}AB", level=level, structures=(key,),
                    classes=(ref,),
                    relatives=(RelativeRef(parent_id, True),)))
                world.relatives.append(PersonRecord(
                    kind=PersonKind.RELATIVE, external_id=parent_id, last_name=last,
                    first_name=f"Parent{number}", email=f"parent{number}@example.org"))
            if teachers:
                world.staff.append(PersonRecord(
                    kind=PersonKind.TEACHER, external_id=f"T{s}{c}",
                    last_name=f"PROF{first_school + s}{c}", first_name="Camille",
                    academic_email=f"camille.prof{s}{c}@ac-lille.fr", structures=(key,),
                    functions=(FunctionRef(key, "ENS", "ENSEIGNEMENT"),),
                    director_of=(key,) if c == 0 else (), teacher_category="O"))
    return world


def run_import(paths: list[Path] | Path, fmt: str = "aaf1d", academy: str = "lille",
               **options: Any) -> FeedRun:
    if isinstance(paths, Path):
        paths = [paths]
    return do_import(paths, format=fmt, academy=academy, **options)


def directory_fingerprint() -> str:
    """A checksum of every directory row a feed writes, to prove a run changed nothing."""
    tables: dict[str, list[Any]] = {
        "users": list(User.objects.order_by("id").values_list(
            "id", "login", "first_name", "last_name", "state", "missing_since",
            "feed_checksum", "source", "external_id", "email", "birth_date", "ine")),
        "events": list(UserEvent.objects.order_by("id").values_list("id", "kind")),
        "schools": list(Structure.objects.order_by("id").values_list("id", "uai", "name")),
        "academies": list(Academy.objects.order_by("id").values_list("id", "name", "code")),
        "classes": list(SchoolClass.objects.order_by("id").values_list(
            "id", "code", "name", "closed_at", "levels")),
        "groups": list(Group.objects.order_by("id").values_list("id", "name", "kind")),
        "members": list(Membership.objects.order_by("id").values_list(
            "id", "group_id", "user_id", "source")),
        "attachments": list(StructureAttachment.objects.order_by("id").values_list(
            "id", "user_id", "structure_id", "source", "is_director", "functions")),
        "links": list(RelativeLink.objects.order_by("id").values_list(
            "id", "relative_id", "student_id", "source", "legal")),
    }
    return hashlib.sha256(json.dumps(tables, default=str).encode()).hexdigest()
