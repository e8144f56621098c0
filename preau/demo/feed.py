"""The demo académie as its académie would send it: the files of a complete AAF1D drop.

`write_demo_feed` turns the plan (preau.demo.plan) into AAF1D records — the schools
(EtabEducNat), the teachers and ATSEM (PersEducNat), the pupils with their class and their
legal parents (Eleve), the parents (PersRelEleve) — and writes them with the same writer as
the benchmark (`preau.feeds.synthetic.write_academy`) into `$PREAU_DATA_DIR/demo-feed/`.
`preau demo` then imports that folder with the real importer, as
`preau feed import --format aaf1d --academy demo` would.

As in a real 1D feed, staff records carry no class (teachers attach to their class by hand
once its pupils are there) and parent links come from the pupils' side
(`ENTEleveAutoriteParentale`). External ids: `demo-ele-0001`, `demo-res-0001`,
`demo-ens-01`, `demo-per-01`, schools `demo-<UAI>`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from preau.accounts.actions import generate_login
from preau.demo.plan import (
    ACADEMY_CODE,
    CHOIR,
    CLASSES,
    CURRENT_YEAR,
    DEMO_PREFIX,
    EMAIL_DOMAIN,
    PERSONA_CLASS,
    SCHOOLS,
    STAFF,
    TEACHERS,
    Plan,
    class_label,
    first_pupil_of,
)
from preau.feeds.parsers import (
    ClassRef,
    FunctionRef,
    GroupRef,
    PersonKind,
    PersonRecord,
    RelativeRef,
    StructureRecord,
)
from preau.feeds.synthetic import write_academy

FEED_DIR_NAME = "demo-feed"
FEED_DAY = CURRENT_YEAR[1]
"""The date in the files' names: the rentrée of the demo's school year."""


def feed_dir() -> Path:
    return Path(settings.DATA_DIR) / FEED_DIR_NAME


def school_key(school_index: int) -> str:
    """The school's join key in the feed (ENTStructureJointure)."""
    return f"{DEMO_PREFIX}-{SCHOOLS[school_index][0]}"


def pupil_id(index: int) -> str:
    return f"{DEMO_PREFIX}-ele-{index + 1:04d}"


def parent_id(index: int) -> str:
    return f"{DEMO_PREFIX}-res-{index + 1:04d}"


def teacher_id(index: int) -> str:
    return f"{DEMO_PREFIX}-ens-{index + 1:02d}"


def staff_id(index: int) -> str:
    return f"{DEMO_PREFIX}-per-{index + 1:02d}"


def persona_parent(plan: Plan) -> int:
    """demo.parent: the first parent of the persona pupil (who has a child in GS too)."""
    pupil = first_pupil_of(plan.pupils, PERSONA_CLASS)
    return next(i for i, parent in enumerate(plan.parents) if pupil in parent.children)


def structure_records(plan: Plan) -> Iterator[StructureRecord]:
    for index, (uai, name, _short, circonscription) in enumerate(SCHOOLS):
        yield StructureRecord(
            external_id=school_key(index), uai=uai, name=name, structure_type="ECOLE",
            academy="DEMONSTRATION", academy_code=ACADEMY_CODE,
            circonscription=f"Circonscription de {plan.city} {circonscription}",
            address=plan.addresses[index], postal_code=plan.postal_code, city=plan.city)


def staff_records(plan: Plan) -> Iterator[PersonRecord]:
    """Teachers (a teaching function in each school, the directors' DIR function) and ATSEM.
    Their académie e-mail is made from their names, as an académie does."""
    taken: set[str] = set()
    for number, ((login, school_indices, _classes, director), (first, last)) in enumerate(
            zip(TEACHERS, plan.teacher_names, strict=True)):
        keys = tuple(school_key(i) for i in school_indices)
        functions = [FunctionRef(key, "ENS", "ENSEIGNEMENT") for key in keys]
        if director:
            functions += [FunctionRef(key, "DIR", "DIRECTION") for key in keys]
        mail = login or generate_login(first, last, taken)
        yield PersonRecord(
            kind=PersonKind.TEACHER, external_id=teacher_id(number), last_name=last,
            first_name=first, academic_email=f"{mail}@ac-demo.{EMAIL_DOMAIN}",
            structures=keys, functions=tuple(functions),
            director_of=keys if director else (), teacher_category="O")
    for number, ((school_index, _class), (first, last)) in enumerate(
            zip(STAFF, plan.staff_names, strict=True)):
        key = school_key(school_index)
        yield PersonRecord(
            kind=PersonKind.PERSONNEL, external_id=staff_id(number), last_name=last,
            first_name=first, structures=(key,),
            functions=(FunctionRef(key, "ATSEM", "AGENT TERRITORIAL SPECIALISE DES ECOLES "
                                   "MATERNELLES"),),
            teacher_category="N")


def choir_members(plan: Plan) -> set[int]:
    """The pupils of the choir (`plan.CHOIR`): every other pupil of its classes."""
    _school, _code, _name, classes = CHOIR
    members: set[int] = set()
    for class_index in classes:
        in_class = [i for i, p in enumerate(plan.pupils) if p.class_index == class_index]
        members.update(in_class[::2])
    return members


def pupil_records(plan: Plan) -> Iterator[PersonRecord]:
    """Each pupil in their class, naming their legal parents (ENTEleveAutoriteParentale);
    the choir's pupils also carry its functional group (ENTPersonGroupes)."""
    parents_of: dict[int, list[str]] = defaultdict(list)
    for index, parent in enumerate(plan.parents):
        for child in parent.children:
            parents_of[child].append(parent_id(index))
    choir_school, choir_code, choir_name, _classes = CHOIR
    choir = choir_members(plan)
    for index, pupil in enumerate(plan.pupils):
        school_index, levels, _size = CLASSES[pupil.class_index]
        key = school_key(school_index)
        code, name = class_label(levels, SCHOOLS[school_index][2])
        groups = ((GroupRef(school_key(choir_school), choir_code, choir_name),)
                  if index in choir else ())
        yield PersonRecord(
            kind=PersonKind.STUDENT, external_id=pupil_id(index),
            last_name=plan.family_names[pupil.family], first_name=pupil.first_name,
            birth_date=pupil.birth_date, level=pupil.level, structures=(key,),
            classes=(ClassRef(key, code, name),), groups=groups,
            relatives=tuple(RelativeRef(ref, True) for ref in parents_of[index]))


def parent_records(plan: Plan) -> Iterator[PersonRecord]:
    """The parents with their own e-mail (made from their names; demo.parent's is fixed)."""
    persona = persona_parent(plan)
    taken = {"demo.parent"}
    for index, parent in enumerate(plan.parents):
        local = ("demo.parent" if index == persona
                 else generate_login(parent.first_name, parent.last_name, taken))
        yield PersonRecord(
            kind=PersonKind.RELATIVE, external_id=parent_id(index),
            last_name=parent.last_name, first_name=parent.first_name,
            email=f"{local}@{EMAIL_DOMAIN}")


def write_demo_feed(plan: Plan, folder: Path | None = None) -> list[Path]:
    """Writes the demo académie's AAF1D files (the same bytes for the same plan)."""
    return write_academy(folder or feed_dir(), DEMO_PREFIX, FEED_DAY,
                         structures=structure_records(plan), staff=staff_records(plan),
                         pupils=pupil_records(plan), relatives=parent_records(plan))
