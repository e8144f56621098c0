"""The demo académie: a deterministic, fictitious directory to try Préau on a laptop.

Everything is generated from fixed seeds (`Faker("fr_FR")` and `random.Random`), so two
fresh loads give the same people, logins, schools and classes; only the activation codes
(credentials) come from `secrets`, like real ones. No real personal data: names are drawn
by Faker, e-mails use the reserved `example.org` domain, UAIs and the académie code (99)
do not exist.

Small populations (teachers, staff, the guest, the foster family, the five personas) go
through the ordinary actions (`do_create_user`, `do_attach_to_structure`, `do_add_to_class`,
`check_attach_teacher_to_class`, `do_link_relative`). Pupils and parents, some six hundred
accounts, are written with `bulk_create`, producing exactly the rows those actions would
(see `_bulk_feed_users`): the user with its `name_key` and `display_name`, a `created`
event, the school attachment (source AAF1D), the school and class group memberships
(source feed), an `attached` event and the parent links. tests/demo checks the equivalence.
"""

from __future__ import annotations

import csv
import datetime
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from preau.accounts.actions import (
    do_create_user,
    generate_login,
    hashed_demo_password,
    new_activation_code,
    record_event,
)
from preau.accounts.models import PasswordHistory, Profile, Source, State, User, UserEvent
from preau.directory.actions import (
    check_attach_teacher_to_class,
    check_create_bookmark,
    do_add_to_class,
    do_attach_to_structure,
    do_create_class,
    do_link_relative,
    ensure_class_groups,
    ensure_structure_groups,
)
from preau.directory.models import (
    Academy,
    Group,
    Membership,
    MembershipSource,
    RelativeLink,
    SchoolAdmin,
    SchoolClass,
    SchoolYear,
    Structure,
    StructureAttachment,
)
from preau.lib.text import search_key

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
    family: int = -1
    login: str = ""


@dataclass
class ParentPlan:
    first_name: str
    last_name: str
    children: list[int]  # pupil indices
    login: str = ""


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


@dataclass
class LoadReport:
    loaded: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    logins_file: Path | None = None


def demo_loaded() -> bool:
    """The demo académie is recognised by its feed prefix, whatever else the base holds."""
    return Academy.objects.filter(feed_prefix=DEMO_PREFIX).exists()


def logins_file() -> Path:
    return Path(settings.DATA_DIR) / LOGINS_FILE_NAME


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
            pupils.append(PupilPlan(class_index, first, born))

    # Families: the persona pupil and a younger sibling first, then random pairs of pupils
    # of different classes, then one family per remaining pupil.
    persona_pupil = _first_pupil_of(pupils, PERSONA_CLASS)
    families: list[list[int]] = [[persona_pupil, _first_pupil_of(pupils,
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


def _first_pupil_of(pupils: list[PupilPlan], class_index: int) -> int:
    return next(i for i, p in enumerate(pupils) if p.class_index == class_index)


def _email(login: str) -> str:
    return f"{login}@{EMAIL_DOMAIN}"


def _class_label(levels: list[str], school_short: str) -> tuple[str, str]:
    code = "-".join(levels)
    return code, f"{code} — {school_short}"


@transaction.atomic
def load_demo(seed: int = SEED) -> LoadReport:
    """Loads the demo académie once; a second call changes nothing and says so."""
    if demo_loaded():
        return LoadReport(loaded=False)
    started = time.monotonic()
    plan = make_plan(seed)
    password_hash = hashed_demo_password(settings.PREAU_DEMO_PASSWORD)
    taken = set(User.objects.values_list("login", flat=True))
    taken.update(PERSONA_LOGINS)

    year = _school_years()
    academy = Academy.objects.create(code=ACADEMY_CODE, name=ACADEMY_NAME,
                                     feed_prefix=DEMO_PREFIX)
    schools: list[Structure] = []
    for index, (uai, name, _short, circonscription) in enumerate(SCHOOLS):
        school = Structure.objects.create(
            uai=uai, name=name, academy=academy,
            circonscription=f"Circonscription de {plan.city} {circonscription}",
            address=plan.addresses[index], postal_code=plan.postal_code, city=plan.city,
            external_id=f"{DEMO_PREFIX}-{uai}")
        ensure_structure_groups(school)
        schools.append(school)
    classes: list[SchoolClass] = []
    for school_index, levels, _size in CLASSES:
        code, name = _class_label(levels, SCHOOLS[school_index][2])
        classes.append(do_create_class(schools[school_index], code, name, levels, year))
    _previous_year_classes(schools)

    groups = GroupCache()
    pupils = _load_pupils(plan, classes, groups, taken, password_hash)
    _load_parents(plan, classes, groups, pupils, taken, password_hash)
    _load_staff(plan, schools, classes, taken, password_hash)
    _load_bookmarks(schools, classes, groups)
    write_logins_file()
    return LoadReport(loaded=True, seconds=time.monotonic() - started,
                      counts=demo_counts(), logins_file=logins_file())


def _school_years() -> SchoolYear:
    """2023-2024 is current unless the base already has a current year; 2022-2023 is not."""
    name, start, end = PREVIOUS_YEAR
    SchoolYear.objects.get_or_create(name=name, defaults={"start": start, "end": end})
    name, start, end = CURRENT_YEAR
    year, _created = SchoolYear.objects.get_or_create(
        name=name, defaults={"start": start, "end": end,
                             "is_current": not SchoolYear.objects.filter(is_current=True)
                             .exists()})
    return year


def _previous_year_classes(schools: list[Structure]) -> None:
    previous = SchoolYear.objects.get(name=PREVIOUS_YEAR[0])
    SchoolClass.objects.bulk_create([
        SchoolClass(structure=schools[school_index], school_year=previous,
                    code=_class_label(levels, SCHOOLS[school_index][2])[0],
                    name=_class_label(levels, SCHOOLS[school_index][2])[1],
                    levels=levels, closed_at=PREVIOUS_YEAR_CLOSED_AT)
        for school_index, levels, _size in CLASSES
    ])


def _activate_persona(user: User, password_hash: str) -> None:
    """What `do_activate` does, with the one precomputed hash (hashing is slow by design)."""
    now = timezone.now()
    user.password = password_hash
    user.password_changed_at = now
    user.activation_code = ""
    user.activated_at = now
    user.charter_accepted_at = now
    user.state = State.ACTIVE
    user.save()
    PasswordHistory.objects.create(user=user, password=password_hash)
    record_event(user, UserEvent.Kind.ACTIVATED, user)


def _persona(login: str, first: str, last: str, profile: str, password_hash: str,
             source: str = Source.AAF1D, external_id: str = "", **fields: Any) -> User:
    user = do_create_user(first_name=first, last_name=last, profile=profile, source=source,
                          login=login, external_prefix=DEMO_PREFIX if external_id else "",
                          external_id=external_id, **fields)
    _activate_persona(user, password_hash)
    return user


def _new_feed_user(login: str, first: str, last: str, profile: str, external_id: str,
                   **fields: Any) -> User:
    """A pending account exactly as `do_create_user` leaves it, not yet saved."""
    user = User(login=login, first_name=first.strip(), last_name=last.strip(), profile=profile,
                source=Source.AAF1D, external_prefix=DEMO_PREFIX, external_id=external_id,
                state=State.PENDING, activation_code=new_activation_code(), **fields)
    user.password = make_password(None)  # unusable, as set_unusable_password()
    user.name_key = search_key(f"{user.last_name} {user.first_name} {user.login}")
    user.display_name = f"{user.first_name} {user.last_name}".strip()
    return user


def _bulk_feed_users(users: list[User], placements: list[list[SchoolClass]],
                     groups: GroupCache) -> None:
    """Creates fed accounts and their class places: the rows of `do_create_user` then
    `do_add_to_class(user, school_class, MembershipSource.FEED)` for each class, in bulk."""
    User.objects.bulk_create(users, batch_size=500)
    events = [UserEvent(user=u, kind=UserEvent.Kind.CREATED, details={"source": u.source})
              for u in users]
    attachments: list[StructureAttachment] = []
    memberships: list[Membership] = []
    for user, user_classes in zip(users, placements, strict=True):
        seen: set[int] = set()
        for school_class in user_classes:
            school = school_class.structure
            if school.pk not in seen:
                seen.add(school.pk)
                attachments.append(StructureAttachment(user=user, structure=school,
                                                       source=Source.AAF1D))
                memberships.append(Membership(group=groups.of_school(school)[user.profile],
                                              user=user, source=MembershipSource.FEED))
                events.append(UserEvent(user=user, kind=UserEvent.Kind.ATTACHED,
                                        message=school.name, details={"uai": school.uai}))
            memberships.append(Membership(group=groups.of_class(school_class)[user.profile],
                                          user=user, source=MembershipSource.FEED))
    StructureAttachment.objects.bulk_create(attachments, batch_size=500)
    Membership.objects.bulk_create(memberships, batch_size=500)
    UserEvent.objects.bulk_create(events, batch_size=500)


class GroupCache:
    """`ensure_structure_groups` / `ensure_class_groups`, asked once per school or class."""

    def __init__(self) -> None:
        self._schools: dict[int, dict[str, Group]] = {}
        self._classes: dict[int, dict[str, Group]] = {}

    def of_school(self, school: Structure) -> dict[str, Group]:
        if school.pk not in self._schools:
            self._schools[school.pk] = ensure_structure_groups(school)
        return self._schools[school.pk]

    def of_class(self, school_class: SchoolClass) -> dict[str, Group]:
        if school_class.pk not in self._classes:
            self._classes[school_class.pk] = ensure_class_groups(school_class)
        return self._classes[school_class.pk]


def _load_pupils(plan: Plan, classes: list[SchoolClass], groups: GroupCache,
                 taken: set[str], password_hash: str) -> list[User]:
    persona_index = _first_pupil_of(plan.pupils, PERSONA_CLASS)
    users: list[User] = []
    placements: list[list[SchoolClass]] = []
    persona: User | None = None
    for index, pupil in enumerate(plan.pupils):
        last = plan.family_names[pupil.family]
        external_id = f"{DEMO_PREFIX}-ele-{index + 1:04d}"
        if index == persona_index:
            persona = _persona("demo.eleve", pupil.first_name, last, Profile.STUDENT,
                               password_hash, external_id=external_id,
                               birth_date=pupil.birth_date)
            do_add_to_class(persona, classes[pupil.class_index], MembershipSource.FEED)
            users.append(persona)
            continue
        login = generate_login(pupil.first_name, last, taken)
        users.append(_new_feed_user(login, pupil.first_name, last, Profile.STUDENT, external_id,
                                    birth_date=pupil.birth_date))
        placements.append([classes[pupil.class_index]])
    _bulk_feed_users([u for u in users if u is not persona], placements, groups)
    return users


def _load_parents(plan: Plan, classes: list[SchoolClass], groups: GroupCache,
                  pupils: list[User], taken: set[str], password_hash: str) -> None:
    persona_pupil = _first_pupil_of(plan.pupils, PERSONA_CLASS)
    users: list[User] = []
    placements: list[list[SchoolClass]] = []
    links: list[tuple[int, list[int]]] = []
    persona_done = False
    for index, parent in enumerate(plan.parents):
        external_id = f"{DEMO_PREFIX}-res-{index + 1:04d}"
        child_classes = sorted({classes[plan.pupils[c].class_index] for c in parent.children},
                               key=lambda c: c.pk)
        if persona_pupil in parent.children and not persona_done:
            persona_done = True
            user = _persona("demo.parent", parent.first_name, parent.last_name,
                            Profile.RELATIVE, password_hash, external_id=external_id,
                            email=_email("demo.parent"))
            for school_class in child_classes:
                do_add_to_class(user, school_class, MembershipSource.FEED)
            for child in parent.children:
                do_link_relative(user, pupils[child], Source.AAF1D)
            continue
        login = generate_login(parent.first_name, parent.last_name, taken)
        users.append(_new_feed_user(login, parent.first_name, parent.last_name,
                                    Profile.RELATIVE, external_id, email=_email(login)))
        placements.append(child_classes)
        links.append((len(users) - 1, parent.children))
    _bulk_feed_users(users, placements, groups)
    RelativeLink.objects.bulk_create(
        [RelativeLink(relative=users[u], student=pupils[c], source=Source.AAF1D)
         for u, children in links for c in children], batch_size=500)


def _load_staff(plan: Plan, schools: list[Structure], classes: list[SchoolClass],
                taken: set[str], password_hash: str) -> None:
    """Teachers, ATSEM, the guest, the foster family and the ENT admin, through the actions."""
    for number, ((login, school_indices, class_indices, director),
                 (first, last)) in enumerate(zip(TEACHERS, plan.teacher_names, strict=True)):
        external_id = f"{DEMO_PREFIX}-ens-{number + 1:02d}"
        if login:
            teacher = _persona(login, first, last, Profile.TEACHER, password_hash,
                               external_id=external_id,
                               academic_email=f"{login}@ac-demo.{EMAIL_DOMAIN}")
        else:
            login = generate_login(first, last, taken)
            teacher = do_create_user(first_name=first, last_name=last, profile=Profile.TEACHER,
                                     source=Source.AAF1D, login=login,
                                     external_prefix=DEMO_PREFIX, external_id=external_id,
                                     academic_email=f"{login}@ac-demo.{EMAIL_DOMAIN}")
        for school_index in school_indices:
            do_attach_to_structure(teacher, schools[school_index], Source.AAF1D,
                                   is_director=director)
            if director:
                SchoolAdmin.objects.create(user=teacher, structure=schools[school_index])
        for class_index in class_indices:
            # The guide's way: the teacher attaches to the class once its pupils are here.
            check_attach_teacher_to_class(teacher, classes[class_index], actor=teacher)

    for number, ((school_index, class_index), (first, last)) in enumerate(
            zip(STAFF, plan.staff_names, strict=True)):
        staff = do_create_user(first_name=first, last_name=last, profile=Profile.PERSONNEL,
                               source=Source.AAF1D, login=generate_login(first, last, taken),
                               external_prefix=DEMO_PREFIX,
                               external_id=f"{DEMO_PREFIX}-per-{number + 1:02d}")
        do_attach_to_structure(staff, schools[school_index], Source.AAF1D)
        do_add_to_class(staff, classes[class_index], MembershipSource.MANUAL)

    first, last = plan.guest_name
    guest = do_create_user(first_name=first, last_name=last, profile=Profile.GUEST,
                           login=generate_login(first, last, taken))
    do_attach_to_structure(guest, schools[0], Source.MANUAL)

    # A foster family (famille d'accueil): a manual Relative account, not a legal parent.
    first, last = plan.foster_name
    foster = do_create_user(first_name=first, last_name=last, profile=Profile.RELATIVE,
                            login=generate_login(first, last, taken))
    child = User.objects.get(external_prefix=DEMO_PREFIX,
                             external_id=f"{DEMO_PREFIX}-ele-{plan.foster_child + 1:04d}")
    do_link_relative(foster, child, Source.MANUAL)
    RelativeLink.objects.filter(relative=foster, student=child).update(legal=False)
    do_add_to_class(foster, classes[FOSTER_CLASS], MembershipSource.MANUAL)

    first, last = plan.admin_name
    _persona("demo.admin", first, last, Profile.PERSONNEL, password_hash, source=Source.MANUAL,
             is_ent_admin=True, email=_email("demo.admin"))


def _load_bookmarks(schools: list[Structure], classes: list[SchoolClass],
                    groups: GroupCache) -> None:
    """Two share bookmarks of demo.enseignant: one of people (kept at the year change), one
    holding a class group (a groupe de scolarité, which the year change would purge)."""
    teacher = User.objects.get(login="demo.enseignant")
    colleagues = list(User.objects.filter(profile=Profile.TEACHER,
                                          attachments__structure=schools[0])
                      .exclude(pk=teacher.pk).order_by("last_name", "first_name"))
    check_create_bookmark(teacher, "Équipe des Tilleuls", users=colleagues)
    school_class = classes[PERSONA_CLASS]
    check_create_bookmark(teacher, f"Parents du {school_class.code}",
                          groups=[groups.of_class(school_class)[Profile.RELATIVE]])


def demo_users() -> list[User]:
    """Accounts of the demo: those attached to its schools, plus the ENT admin persona."""
    schools = Structure.objects.filter(academy__feed_prefix=DEMO_PREFIX)
    attached = StructureAttachment.objects.filter(structure__in=schools).values("user")
    users = User.objects.filter(Q(id__in=attached) | Q(login__in=PERSONA_LOGINS))
    return sorted(users, key=lambda u: (u.login not in PERSONA_LOGINS,
                                        PERSONA_LOGINS.index(u.login)
                                        if u.login in PERSONA_LOGINS else 0,
                                        u.profile, u.last_name, u.first_name, u.login))


def demo_counts() -> dict[str, int]:
    """Schools, current classes and accounts of the demo académie, by profile."""
    schools = Structure.objects.filter(academy__feed_prefix=DEMO_PREFIX)
    counts: dict[str, int] = {
        "schools": schools.count(),
        "classes": SchoolClass.objects.active().filter(structure__in=schools).count(),
    }
    by_profile = Counter(u.profile for u in demo_users())
    for profile in Profile.values:
        counts[profile] = by_profile.get(profile, 0)
    return counts


def write_logins_file() -> Path:
    """Every demo login with its activation code (or the demo password for the personas),
    rewritten from the base at each `preau demo`.

    The file holds credentials: it is readable by its owner only.
    """
    path = logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    schools: dict[int, list[str]] = {}
    for user_id, uai in (StructureAttachment.objects
                         .filter(structure__academy__feed_prefix=DEMO_PREFIX)
                         .order_by("structure__uai").values_list("user_id", "structure__uai")):
        schools.setdefault(user_id, []).append(uai)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["login", "profile", "first_name", "last_name", "schools", "state",
                         "activation_code", "password"])
        for user in demo_users():
            writer.writerow([
                user.login, user.profile, user.first_name, user.last_name,
                " ".join(schools.get(user.pk, [])), user.state, user.activation_code,
                settings.PREAU_DEMO_PASSWORD if user.login in PERSONA_LOGINS else "",
            ])
    path.chmod(0o600)
    return path

