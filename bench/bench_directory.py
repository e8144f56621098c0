"""Benchmark of the directory's hot reads on an académie-sized base (a plain script).

    .venv/bin/python bench/bench_directory.py [--pupils 20000] [--runs 15] [--keep]

Builds, in a temporary SQLite database (its own PREAU_DATA_DIR; DATABASE_URL is ignored),
a directory the size of a small académie: by default 100 schools, 900 classes, 20,000
pupils, 28,000 parents, 1,000 teachers, with their school and class group memberships and
parent links, written in bulk. Then it times, as the median of --runs runs after a warm-up:

- the Annuaire search of a teacher (`reachable_users(teacher)` + a name filter, first 50);
- everyone a parent may reach (`reachable_users(parent)`);
- the groups a teacher may see (`visible_groups(teacher)`);
- `preau directory stats --json`.

Each figure is printed with its ratio to a floor measured in the same run on the same
database: a hand-written SQL query returning the same rows through `connection.cursor()`
(for the stats, the same seven aggregate queries in raw SQL). The ratio says what the ORM,
the rule rows and the Python around them cost over the database's own work. The "its SQL"
column runs the ORM's own compiled SQL through the cursor: the database's share of the
ORM figure (the rest is building the query and the model instances). Results and the
machine are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LEVELS = ["TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
SEARCH_TEXT = "mar"


def setup_django(data_dir: Path) -> None:
    """Point Préau at a throw-away SQLite database before Django reads its settings."""
    os.environ["PREAU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("PREAU_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "preau.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


@dataclass
class Person:
    """A user to insert: its login, profile and the columns that differ from the defaults."""

    login: str
    profile: str
    columns: dict[str, Any]
    pk: int = 0


def build(pupils: int, seed: int = 2023) -> dict[str, Any]:
    """Writes the directory in bulk; returns the people the measures act as."""
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from faker import Faker

    from preau.accounts.models import Profile, Source, State, User
    from preau.directory.actions import CLASS_GROUP_PROFILES, PROFILE_GROUP_LABELS_FR
    from preau.directory.models import (
        Academy,
        Group,
        GroupKind,
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

    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    last_names = sorted({fake.last_name() for _ in range(3000)})
    first_names = sorted({fake.first_name() for _ in range(3000)})

    schools_count = max(1, pupils // 200)
    per_school = pupils // schools_count
    class_size = 22
    classes_per_school = max(1, round(per_school / class_size))

    counter = iter(range(10**9))
    # Every user column as a pending fed account has it: the rows below change a few.
    template = User(login="", first_name="", last_name="", profile=Profile.STUDENT,
                    source=Source.AAF1D, state=State.PENDING, password=make_password(None))
    user_fields = [f for f in User._meta.concrete_fields if not f.primary_key]
    defaults = {f.column: f.get_db_prep_save(getattr(template, f.attname), connection)
                for f in user_fields}

    def person(profile: str) -> Person:
        first, last = rng.choice(first_names), rng.choice(last_names)
        login = f"{profile.lower()}{next(counter)}"
        return Person(login=login, profile=str(profile), columns={
            "login": login, "first_name": first, "last_name": last, "profile": str(profile),
            "display_name": f"{first} {last}", "name_key": search_key(f"{last} {first} {login}"),
        })

    def insert_people(people: list[Person]) -> None:
        columns = [f.column for f in user_fields]
        insert_rows(User, columns, [tuple(p.columns.get(c, defaults[c]) for c in columns)
                                    for p in people])
        ids = dict(User.objects.values_list("login", "id"))
        for p in people:
            p.pk = ids[p.login]

    with transaction.atomic():
        year = SchoolYear.objects.create(name="2023-2024", start=datetime.date(2023, 9, 4),
                                         end=datetime.date(2024, 7, 6), is_current=True)
        previous = SchoolYear.objects.create(name="2022-2023", start=datetime.date(2022, 9, 1),
                                             end=datetime.date(2023, 7, 7))
        academy = Academy.objects.create(code="98", name="Académie de mesure",
                                         feed_prefix="bench")
        schools = Structure.objects.bulk_create([
            Structure(uai=f"0980{n:03d}X", name=f"École {rng.choice(last_names)} {n}",
                      academy=academy) for n in range(schools_count)])
        classes = SchoolClass.objects.bulk_create([
            SchoolClass(structure=school, school_year=y, code=f"C{k}",
                        name=f"{LEVELS[k % len(LEVELS)]} {k}", levels=[LEVELS[k % len(LEVELS)]],
                        closed_at=None if y == year else datetime.datetime(
                            2023, 8, 24, tzinfo=datetime.UTC))
            for school in schools for y in (year, previous) for k in range(classes_per_school)])
        current = [c for c in classes if c.school_year_id == year.pk]

        def group(**fields: Any) -> Group:
            name = fields.pop("name")
            return Group(name=name, name_key=search_key(name), **fields)

        school_groups = Group.objects.bulk_create([
            group(kind=GroupKind.STRUCTURE, structure=s, profile=p,
                  name=f"{PROFILE_GROUP_LABELS_FR[p]} — {s.name}")
            for s in schools for p in Profile.values])
        class_groups = Group.objects.bulk_create([
            group(kind=GroupKind.CLASS, structure=c.structure, school_class=c, school_year=year,
                  profile=p, name=f"{PROFILE_GROUP_LABELS_FR[p]} — {c.name}")
            for c in current for p in CLASS_GROUP_PROFILES])
        by_school = {(g.structure_id, g.profile): g for g in school_groups}
        by_class = {(g.school_class_id, g.profile): g for g in class_groups}
        classes_of = {s.pk: [c for c in current if c.structure_id == s.pk] for s in schools}

        pupil_rows = [person(Profile.STUDENT) for _ in range(schools_count * per_school)]
        parent_rows = [person(Profile.RELATIVE) for _ in range(int(len(pupil_rows) * 1.4))]
        teacher_rows = [person(Profile.TEACHER) for _ in range(schools_count * 10)]
        insert_people(pupil_rows + parent_rows + teacher_rows)

        now = connection.ops.adapt_datetimefield_value(timezone.now())
        attachments: list[tuple[Any, ...]] = []
        memberships: list[tuple[Any, ...]] = []

        def place(user: Person, school: Structure, school_class: SchoolClass | None,
                  source: str = MembershipSource.FEED, director: bool = False) -> None:
            attachments.append((user.pk, school.pk, Source.AAF1D, director, "[]", now))
            memberships.append((by_school[school.pk, user.profile].pk, user.pk,
                                MembershipSource.FEED, now))
            if school_class is not None:
                memberships.append((by_class[school_class.pk, user.profile].pk, user.pk,
                                    source, now))

        class_of: dict[int, SchoolClass] = {}
        for n, pupil in enumerate(pupil_rows):
            school = schools[n // per_school]
            school_class = classes_of[school.pk][n % classes_per_school]
            class_of[pupil.pk] = school_class
            place(pupil, school, school_class)
        links: list[tuple[Any, ...]] = []
        # One parent per pupil, then the remaining 40 % as second parents of random pupils.
        for n, parent in enumerate(parent_rows):
            child = pupil_rows[n] if n < len(pupil_rows) else rng.choice(pupil_rows)
            links.append((parent.pk, child.pk, Source.AAF1D, True, now))
            place(parent, class_of[child.pk].structure, class_of[child.pk])
        admins: list[SchoolAdmin] = []
        for n, teacher in enumerate(teacher_rows):
            school = schools[n // 10]
            school_classes = classes_of[school.pk]
            director = n % 10 == 0
            place(teacher, school, school_classes[n % 10] if n % 10 < len(school_classes)
                  else None, MembershipSource.MANUAL, director)
            if director:
                admins.append(SchoolAdmin(user_id=teacher.pk, structure=school))
        insert_rows(StructureAttachment, ["user_id", "structure_id", "source", "is_director",
                                          "functions", "created_at"], attachments)
        insert_rows(Membership, ["group_id", "user_id", "source", "created_at"], memberships)
        insert_rows(RelativeLink, ["relative_id", "student_id", "source", "legal",
                                   "created_at"], links)
        SchoolAdmin.objects.bulk_create(admins)

    teacher_user = User.objects.get(pk=teacher_rows[len(teacher_rows) // 2 + 1].pk)
    # a second parent (linked to one child)
    parent_user = User.objects.get(pk=parent_rows[len(pupil_rows) + 5].pk)
    return {"teacher": teacher_user, "parent": parent_user, "schools": schools_count,
            "classes": len(current), "pupils": len(pupil_rows), "parents": len(parent_rows),
            "teachers": len(teacher_rows), "attachments": len(attachments),
            "memberships": len(memberships), "links": len(links)}


def insert_rows(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT plain tuples into a model's table (the columns not named must be nullable):
    several times faster than model instances through bulk_create."""
    from django.db import connection

    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start:start + 10_000])


# The floors: the same rows, in hand-written SQL ----------------------------------------------

ALIVE = "u.state NOT IN ('deleted', 'predeleted')"

TEACHER_SEARCH_SQL = f"""
SELECT u.* FROM accounts_user u
WHERE {ALIVE} AND u.id <> %s AND u.name_key LIKE %s
  AND u.id IN (SELECT a2.user_id FROM directory_structureattachment a2
               WHERE a2.structure_id IN (SELECT a1.structure_id
                                         FROM directory_structureattachment a1
                                         WHERE a1.user_id = %s))
ORDER BY u.last_name, u.first_name, u.id LIMIT 50
"""

CHILDREN = "SELECT student_id FROM directory_relativelink WHERE relative_id = %s"

CLASSES_OF_CHILDREN = f"""
SELECT g1.school_class_id FROM directory_membership m1
JOIN directory_group g1 ON g1.id = m1.group_id
JOIN directory_schoolclass c1 ON c1.id = g1.school_class_id
JOIN directory_schoolyear y1 ON y1.id = c1.school_year_id
WHERE g1.kind = 'class' AND c1.closed_at IS NULL AND y1.is_current = %s
  AND m1.user_id IN ({CHILDREN})
"""

PARENT_REACH_SQL = f"""
SELECT u.* FROM accounts_user u
WHERE {ALIVE} AND u.id <> %s AND (
  (u.profile = 'Teacher' AND u.id IN (
      SELECT m2.user_id FROM directory_membership m2
      JOIN directory_group g2 ON g2.id = m2.group_id
      WHERE g2.kind = 'class' AND g2.school_class_id IN ({CLASSES_OF_CHILDREN})))
  OR u.id IN (SELECT a2.user_id FROM directory_structureattachment a2
              WHERE a2.is_director = %s AND a2.structure_id IN (
                  SELECT a1.structure_id FROM directory_structureattachment a1
                  WHERE a1.user_id IN ({CHILDREN})))
  OR u.id IN ({CHILDREN}))
"""

TEACHER_GROUPS_SQL = """
SELECT g.* FROM directory_group g
LEFT JOIN directory_schoolclass c ON c.id = g.school_class_id
LEFT JOIN directory_schoolyear y ON y.id = c.school_year_id
WHERE g.id IN (SELECT group_id FROM directory_membership WHERE user_id = %s)
   OR g.owner_id = %s
   OR (g.structure_id IN (SELECT structure_id FROM directory_structureattachment
                          WHERE user_id = %s)
       AND g.kind <> 'manual'
       AND (g.school_class_id IS NULL OR (y.is_current = %s AND c.closed_at IS NULL)))
   OR g.structure_id IN (SELECT structure_id FROM directory_schooladmin WHERE user_id = %s)
"""

STATS_SQL = [
    ("SELECT name FROM directory_schoolyear WHERE is_current = %s LIMIT 1", [True]),
    ("SELECT COUNT(*) FROM directory_structure", []),
    ("SELECT COUNT(*), SUM(CASE WHEN y.is_current = %s AND c.closed_at IS NULL THEN 1 ELSE 0 END)"
     " FROM directory_schoolclass c JOIN directory_schoolyear y ON y.id = c.school_year_id",
     [True]),
    ("SELECT profile, state, COUNT(*) FROM accounts_user GROUP BY profile, state", []),
    ("SELECT kind, COUNT(*) FROM directory_group GROUP BY kind", []),
    ("SELECT source, COUNT(*) FROM directory_membership GROUP BY source", []),
    ("SELECT COUNT(*), SUM(CASE WHEN legal = %s THEN 1 ELSE 0 END) FROM directory_relativelink",
     [True]),
]


def raw(sql: str, params: list[Any]) -> Callable[[], int]:
    from django.db import connection

    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    return run


def raw_many(queries: list[tuple[str, list[Any]]]) -> Callable[[], int]:
    runs = [raw(sql, params) for sql, params in queries]
    return lambda: sum(run() for run in runs)


def median_ms(func: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = func()  # warm-up (and the result, to check the floor returns the same rows)
    func()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def compiled(queryset_factory: Callable[[], Any]) -> Callable[[], int]:
    """The ORM's own SQL, compiled once and run through the cursor: the database's share."""
    sql, params = queryset_factory().query.sql_with_params()
    return raw(sql, list(params))


Measure = tuple[str, Callable[[], Any], Callable[[], int] | None, Callable[[], int]]


def measures(people: dict[str, Any]) -> list[Measure]:
    """(name, the ORM call, its compiled SQL alone or None, the floor)."""
    from django.core.management import call_command

    from preau.directory.communication import reachable_users, visible_groups

    teacher, parent = people["teacher"], people["parent"]

    def teacher_search() -> Any:
        return (reachable_users(teacher).filter(name_key__contains=SEARCH_TEXT)
                .order_by("last_name", "first_name", "id")[:50])

    def stats() -> int:
        out = io.StringIO()
        call_command("directory", "stats", "--json", stdout=out)
        return len(out.getvalue())

    return [
        ("Annuaire search, teacher (reachable_users + name, 50 first)",
         lambda: len(list(teacher_search())), compiled(teacher_search),
         raw(TEACHER_SEARCH_SQL, [teacher.pk, f"%{SEARCH_TEXT}%", teacher.pk])),
        ("reachable_users(parent), all", lambda: len(list(reachable_users(parent))),
         compiled(lambda: reachable_users(parent)),
         raw(PARENT_REACH_SQL, [parent.pk, True, parent.pk, True, parent.pk, parent.pk])),
        ("visible_groups(teacher), all", lambda: len(list(visible_groups(teacher))),
         compiled(lambda: visible_groups(teacher)),
         raw(TEACHER_GROUPS_SQL, [teacher.pk, teacher.pk, teacher.pk, True, teacher.pk])),
        ("preau directory stats --json", stats, None, raw_many(STATS_SQL)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=20_000,
                        help="pupils in the académie (schools = pupils / 200; default 20000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="preau-bench-"))
    try:
        setup_django(data_dir)
        from django.core.management import call_command
        from django.db import connection

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrated = time.perf_counter()
        people = build(args.pupils)
        built = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        size_mb = (data_dir / "preau.sqlite3").stat().st_size / 2**20
        print(f"Préau directory benchmark — {platform.python_implementation()} "
              f"{platform.python_version()}, {connection.vendor} "
              f"{sqlite3.sqlite_version}, {os.cpu_count()} CPU(s), "
              f"{platform.machine()}")
        print(f"Built {people['schools']} schools, {people['classes']} current classes, "
              f"{people['pupils']} pupils, {people['parents']} parents, "
              f"{people['teachers']} teachers, {people['memberships']} memberships, "
              f"{people['links']} parent links in {built - migrated:.1f} s "
              f"(migrate {migrated - started:.1f} s; {size_mb:.0f} MiB).")
        print(f"Median of {args.runs} runs after 2 warm-up runs; floor = the same rows in "
              "raw SQL through connection.cursor().\n")
        print(f"{'measure':<62} {'rows':>5} {'ORM':>9} {'its SQL':>9} {'floor':>9} "
              f"{'ratio':>6}")
        for name, func, its_sql, floor in measures(people):
            took, result = median_ms(func, args.runs)
            floor_took, floor_rows = median_ms(floor, args.runs)
            sql_column = f"{median_ms(its_sql, args.runs)[0]:>7.2f}ms" if its_sql else \
                f"{'-':>9}"
            if its_sql is not None and result != floor_rows:
                raise SystemExit(f"{name}: the floor returned {floor_rows} rows, "
                                 f"the ORM {result}")
            rows = result if its_sql is not None else 1
            print(f"{name:<62} {rows:>5} {took:>7.2f}ms {sql_column} {floor_took:>7.2f}ms "
                  f"{took / floor_took:>5.1f}x")
        print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    finally:
        if args.keep:
            print(f"Database kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
