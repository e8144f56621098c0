"""The demo académie's plan: every name, class, family and link, computed from fixed seeds.

`make_plan` draws names with `Faker("fr_FR")` and choices with `random.Random`, both seeded,
so two plans of the same seed are equal. Nothing here touches the database: `preau.demo.feed`
turns the plan into the académie's AAF1D files, `preau.demo.loader` imports them and adds
what a feed does not carry (personas, admins, guest, foster family, bookmarks).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from faker import Faker

SEED = 2023
DEMO_PREFIX = "demo"
ACADEMY_CODE = "99"
ACADEMY_NAME = "Académie de démonstration"
EMAIL_DOMAIN = "example.org"
LOGINS_FILE_NAME = "demo-logins.csv"

CURRENT_YEAR = ("2023-2024", datetime.date(2023, 9, 4), datetime.date(2024, 7, 6))
PREVIOUS_YEAR = ("2022-2023", datetime.date(2022, 9, 1), datetime.date(2023, 7, 7))
# Last year's classes, as the year change leaves them: closed, their groups purged.
PREVIOUS_YEAR_CLOSED_AT = datetime.datetime(2023, 8, 24, 6, 0, tzinfo=datetime.UTC)

# (UAI, name, short name used in class names, circonscription number)
SCHOOLS: list[tuple[str, str, str, int]] = [
    ("0599001A", "École primaire Les Tilleuls", "Les Tilleuls", 1),
    ("0599002B", "École maternelle Les Coquelicots", "Les Coquelicots", 1),
    ("0599003C", "École élémentaire Les Hirondelles", "Les Hirondelles", 2),
]
# (school index, levels, number of pupils): 12 classes, TPS to CM2, 250 pupils.
CLASSES: list[tuple[int, list[str], int]] = [
    (0, ["TPS", "PS"], 20), (0, ["MS", "GS"], 22), (0, ["CP"], 21), (0, ["CE1"], 23),
    (0, ["CE2", "CM1"], 20), (0, ["CM2"], 24),
    (1, ["TPS", "PS"], 18), (1, ["MS"], 20), (1, ["GS"], 21),
    (2, ["CP", "CE1"], 22), (2, ["CE2"], 19), (2, ["CM1", "CM2"], 20),
]
PERSONA_CLASS = 5  # CM2 — Les Tilleuls: demo.enseignant's class, demo.eleve's class
PERSONA_SIBLING_CLASS = 8  # GS — Les Coquelicots: demo.parent's younger child
FOSTER_CLASS = 3  # CE1 — Les Tilleuls
# Teachers: (fixed login or "", school indices, class indices, director).
TEACHERS: list[tuple[str, list[int], list[int], bool]] = [
    ("demo.directeur", [0], [4], True),
    ("", [0], [4], False),  # completes the director's class (décharge de direction)
    ("", [0], [0], False),
    ("", [0], [1], False),
    ("", [0], [2], False),
    ("", [0], [3], False),
    ("demo.enseignant", [0], [5], False),
    ("", [0], [2], False),  # part-time in CP
    ("", [1], [6], True),
    ("", [1], [7], False),
    ("", [1], [8], False),
    ("", [2], [9], True),
    ("", [2], [10], False),
    ("", [2, 1], [11, 7], False),  # two classes in two schools
    ("", [2], [], False),  # arrived late: attached to the school, no class yet
]
# A functional group (groupe) of the feed, as an académie sends it on pupils' records: the
# choir of Les Tilleuls, every other pupil of its CE2-CM1 and CM2 (the persona pupil first).
CHOIR = (0, "CHORALE", "Chorale — Les Tilleuls", [4, 5])
# Staff (ATSEM): (school index, class index)
STAFF: list[tuple[int, int]] = [(0, 0), (1, 6)]
SIBLING_PAIRS = 30  # families with two children
TWO_PARENT_FAMILIES = 130  # of 220 families: 130 * 2 + 90 = 350 legal parents
SEPARATED_FAMILIES = 15  # two parents with different surnames (separate households)

# Birth year by level, for the school year 2023-2024.
BIRTH_YEAR = {"TPS": 2021, "PS": 2020, "MS": 2019, "GS": 2018, "CP": 2017, "CE1": 2016,
              "CE2": 2015, "CM1": 2014, "CM2": 2013}

PERSONA_LOGINS = ("demo.admin", "demo.directeur", "demo.enseignant", "demo.eleve",
                  "demo.parent")


@dataclass
class PupilPlan:
    class_index: int
    first_name: str
    birth_date: datetime.date
    level: str
    family: int = -1


@dataclass
class ParentPlan:
    first_name: str
    last_name: str
    children: list[int]  # pupil indices


@dataclass
class Plan:
    """Every name and link of the demo, computed from the seeds before any write."""

    city: str
    postal_code: str
    addresses: list[str]
    pupils: list[PupilPlan]
    family_names: list[str]
    parents: list[ParentPlan]
    teacher_names: list[tuple[str, str]]
    staff_names: list[tuple[str, str]]
    guest_name: tuple[str, str]
    foster_name: tuple[str, str]
    admin_name: tuple[str, str]
    foster_child: int


def make_plan(seed: int = SEED) -> Plan:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = random.Random(seed)

    pupils: list[PupilPlan] = []
    for class_index, (_school, levels, size) in enumerate(CLASSES):
        for _ in range(size):
            level = rng.choice(levels)
            first = fake.first_name_female() if rng.random() < 0.5 else fake.first_name_male()
            born = datetime.date(BIRTH_YEAR[level], 1, 1) + datetime.timedelta(
                days=rng.randrange(365))
            pupils.append(PupilPlan(class_index, first, born, level))

    # Families: the persona pupil and a younger sibling first, then random pairs of pupils
    # of different classes, then one family per remaining pupil.
    persona_pupil = first_pupil_of(pupils, PERSONA_CLASS)
    families: list[list[int]] = [[persona_pupil, first_pupil_of(pupils,
                                                                 PERSONA_SIBLING_CLASS)]]
    free = [i for i in range(len(pupils)) if i not in families[0]]
    rng.shuffle(free)
    while len(families) < SIBLING_PAIRS:
        elder = free.pop()
        partner = next(j for j in free if pupils[j].class_index != pupils[elder].class_index)
        free.remove(partner)
        families.append(sorted([elder, partner]))
    families += [[i] for i in sorted(free)]
    family_names = [fake.last_name() for _ in families]
    for number, members in enumerate(families):
        for pupil_index in members:
            pupils[pupil_index].family = number

    two_parents = {0} | set(rng.sample(range(1, len(families)), TWO_PARENT_FAMILIES - 1))
    separated = set(rng.sample(sorted(two_parents - {0}), SEPARATED_FAMILIES))
    parents: list[ParentPlan] = []
    for number, members in enumerate(families):
        name = family_names[number]
        if number in two_parents:
            mother_name = fake.last_name() if number in separated else name
            parents.append(ParentPlan(fake.first_name_female(), mother_name, members))
            parents.append(ParentPlan(fake.first_name_male(), name, members))
        else:
            first = fake.first_name_female() if rng.random() < 0.6 else fake.first_name_male()
            parents.append(ParentPlan(first, name, members))

    def person() -> tuple[str, str]:
        first = fake.first_name_female() if rng.random() < 0.7 else fake.first_name_male()
        return first, fake.last_name()

    foster_candidates = [i for i in range(len(pupils))
                         if pupils[i].class_index == FOSTER_CLASS]
    return Plan(
        city=fake.city(), postal_code=f"99{rng.randrange(1000):03d}",
        addresses=[fake.street_address() for _ in SCHOOLS],
        pupils=pupils, family_names=family_names, parents=parents,
        teacher_names=[person() for _ in TEACHERS], staff_names=[person() for _ in STAFF],
        guest_name=person(), foster_name=person(), admin_name=person(),
        foster_child=rng.choice(foster_candidates),
    )


def first_pupil_of(pupils: list[PupilPlan], class_index: int) -> int:
    """The first pupil of a class: the persona pupil (CM2) and its younger sibling (GS)."""
    return next(i for i, p in enumerate(pupils) if p.class_index == class_index)


def class_label(levels: list[str], school_short: str) -> tuple[str, str]:
    code = "-".join(levels)
    return code, f"{code} — {school_short}"


