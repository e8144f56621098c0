"""Benchmark of the year change's transition on a synthetic académie (a plain script).

    .venv/bin/python bench/bench_yearchange.py [--schools 500] [--shares 1000000]
        [--database postgres://postgres@127.0.0.1:5432/preau_bench_yearchange]
        [--classes 9] [--template NAME] [--profile FILE]

Builds, in its own PostgreSQL database (dropped and created), an académie written with
COPY: --schools schools, --classes classes (9) each of 25 pupils, 1.4 parents per pupil,
10 teachers per school, their school and class profile groups and memberships (the shape
the feeds write), and --shares shares of documents made by the schools' teachers, a third
of them to class groups of the teacher's school, the rest to named users (half) and to
school groups. The shares of one school are spread over the whole table (made in turn by
every school), as a year of sharing leaves them. Then, in the same run:

- the floor: the same writes as plain SQL, set-based for the whole académie (archive and
  delete the ending year's class-group memberships, delete the shares to those groups,
  archive the classes, end the head-teacher flags), in one transaction, committed, on a
  copy of the académie (`CREATE DATABASE … TEMPLATE`) so that the transition then starts
  from the same data; then the same writes one school at a time on another copy (one
  prepared statement per school, committed alone and asynchronously, as the transition
  does, but without its audit, its counts and its report): what doing it per school costs;
- the transition: `preau.yearchange.transition.run_transition`, per school, each in its
  own transaction, with its audit log (one row per group whose shares were purged, per
  group closed, per class archived, per head-teacher flag ended);
- a second run (idempotence: zero changes) and the peak memory of the process during the
  transition (VmHWM, reset before it).

All start from the built académie after a `VACUUM ANALYZE` (autovacuum is off on the
development server), each right after a `CHECKPOINT` (the server is shared: the count of
checkpoints during each measure is printed; after one, the first change of each page
writes it whole to the WAL). Prints wall and CPU seconds (this process's and its PostgreSQL
backend's, which vary less on a shared machine) and the ratio transition ÷ floor.
docs/benchmarks.md records them.

`--template NAME` keeps the built académie as the PostgreSQL database NAME and, when NAME
already exists, starts from a copy of it instead of building again (`CREATE DATABASE …
TEMPLATE`): the build of 5,000 schools takes minutes, and is not part of the measure. The
template does not record `--schools`/`--shares`/`--classes`: give a new NAME for another
size.
`--profile FILE` runs the transition under cProfile and writes its statistics to FILE.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_feeds import cpu_seconds, recreate_database, setup_django  # the same setup

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/preau_bench_yearchange"
CLASSES = ["CP", "CE1", "CE2", "CM1", "CM2", "PS", "MS", "GS", "CP2"]


def vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def copy_rows(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def next_ids(table: str, count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                       f"FROM generate_series(1, %s)", [count])
        return [row[0] for row in cursor.fetchall()]


def build(schools: int, shares: int, per_school_classes: int = 9) -> dict[str, int]:
    """The académie, written with COPY (ids taken from the sequences)."""
    from django.db import transaction
    from django.utils import timezone

    from preau.directory.models import Academy, SchoolYear

    rng = random.Random(2023)
    now = timezone.now()
    year = SchoolYear.objects.create(name="2022-2023", start=datetime.date(2022, 9, 1),
                                     end=datetime.date(2023, 7, 6), is_current=True)
    academy = Academy.objects.create(code="20", name="Académie de synthèse",
                                     feed_prefix="synthese")
    counts = dict.fromkeys(("users", "classes", "groups", "memberships", "shares"), 0)
    with transaction.atomic():
        school_ids = next_ids("directory_structure", schools)
        copy_rows("directory_structure", [
            "id", "uai", "name", "academy_id", "circonscription", "address", "postal_code",
            "city", "external_id", "has_feed"], [
            (sid, f"{9700000 + n:07d}Z", f"École {n}", academy.pk, "", "", "", "", f"S{n}",
             True) for n, sid in enumerate(school_ids)])
        users: list[tuple[Any, ...]] = []
        attachments: list[tuple[Any, ...]] = []
        classes: list[tuple[Any, ...]] = []
        groups: list[tuple[Any, ...]] = []
        memberships: list[tuple[Any, ...]] = []
        per_school = per_school_classes * 25 + int(per_school_classes * 25 * 1.4) + 10
        user_ids = iter(next_ids("accounts_user", schools * per_school))
        class_ids = iter(next_ids("directory_schoolclass", schools * per_school_classes))
        group_ids = iter(next_ids("directory_group", schools * (5 + per_school_classes * 4)))
        teachers_of: dict[int, list[int]] = {}
        all_users: list[int] = []
        class_groups: dict[int, list[int]] = {}  # school id → its class groups' ids
        school_groups: list[int] = []

        def user(profile: str, sid: int, director: bool = False) -> int:
            uid = next(user_ids)
            login = f"u{uid}"
            users.append((uid, login, "Prénom", f"Nom{uid}", f"Prénom Nom{uid}",
                          f"nom{uid} prenom {login}", profile, "", "", "", "AAF1D", "synthese",
                          f"X{uid}", "", "active", "", "!", now, False, False, False))
            attachments.append((uid, sid, "AAF1D", director, "[]", now))
            all_users.append(uid)
            return uid

        for sid in school_ids:
            sgroups = {}
            for profile in ("Teacher", "Personnel", "Student", "Relative", "Guest"):
                gid = next(group_ids)
                sgroups[profile] = gid
                school_groups.append(gid)
                groups.append((gid, "structure", f"{profile} {sid}", sid, None, None, profile,
                               None, "", f"{profile.lower()} {sid}", now))
            teachers = [user("Teacher", sid, director=t == 0) for t in range(10)]
            teachers_of[sid] = teachers
            for t in teachers:
                memberships.append((sgroups["Teacher"], t, "feed", now))
            for c, level in enumerate(CLASSES[:per_school_classes]):
                cid = next(class_ids)
                classes.append((cid, sid, year.pk, f"{level}-{c}", f"{level} A", f'["{level}"]',
                                None, now))
                cgroups = {}
                for profile in ("Student", "Relative", "Teacher", "Personnel"):
                    gid = next(group_ids)
                    cgroups[profile] = gid
                    class_groups.setdefault(sid, []).append(gid)
                    groups.append((gid, "class", f"{profile} {level} {sid}", sid, cid, year.pk,
                                   profile, None, "", f"{profile.lower()} {level}", now))
                memberships.append((cgroups["Teacher"], teachers[c], "manual", now))
                for _p in range(25):
                    pupil = user("Student", sid)
                    memberships += [(cgroups["Student"], pupil, "feed", now),
                                    (sgroups["Student"], pupil, "feed", now)]
                for _r in range(int(25 * 1.4)):
                    parent = user("Relative", sid)
                    memberships += [(cgroups["Relative"], parent, "feed", now),
                                    (sgroups["Relative"], parent, "feed", now)]
        copy_rows("accounts_user", [
            "id", "login", "first_name", "last_name", "display_name", "name_key", "profile",
            "email", "academic_email", "ine", "source", "external_prefix", "external_id",
            "feed_checksum", "state", "activation_code", "password", "created_at", "federated",
            "is_ent_admin", "is_superuser"], users)
        copy_rows("directory_structureattachment", [
            "user_id", "structure_id", "source", "is_director", "functions", "created_at"],
            attachments)
        copy_rows("directory_schoolclass", [
            "id", "structure_id", "school_year_id", "code", "name", "levels", "closed_at",
            "created_at"], classes)
        copy_rows("directory_group", [
            "id", "kind", "name", "structure_id", "school_class_id", "school_year_id",
            "profile", "owner_id", "external_id", "name_key", "created_at"], groups)
        copy_rows("directory_membership", ["group_id", "user_id", "source", "created_at"],
                  memberships)
        share_rows = []
        for n in range(shares):
            sid = school_ids[n % schools]
            author = rng.choice(teachers_of[sid])
            kind = n % 6
            user_id = group_id = None
            if kind < 2:
                # A teacher shares with the class groups of her own school.
                group_id = rng.choice(class_groups[sid])
            elif kind < 4:
                group_id = school_groups[(n * 7) % len(school_groups)]
            else:
                user_id = all_users[(n * 13) % len(all_users)]
            share_rows.append(("documents.node", n + 1, user_id, group_id, True, False, False,
                               False, "direct", None, "", author, now, now))
        # One share per (resource, grantee): resource ids are distinct, so no collision.
        copy_rows("sharing_share", [
            "resource_type", "resource_id", "user_id", "group_id", "can_read", "can_contrib",
            "can_manage", "can_comment", "via", "bookmark_id", "bookmark_name",
            "created_by_id", "created_at", "updated_at"], share_rows)
        counts.update(users=len(users), classes=len(classes), groups=len(groups),
                      memberships=len(memberships), shares=len(share_rows))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


FLOOR_SQL = [
    # The ending year's groupes de scolarité.
    """CREATE TEMP TABLE ending_groups AS SELECT id FROM directory_group
       WHERE kind IN ('class', 'functional') AND school_year_id = %(year)s""",
    # The same statement as the transition's archive (ON CONFLICT: idempotent).
    """INSERT INTO directory_archivedmembership (group_id, user_id, source, created_at, ended_at)
       SELECT group_id, user_id, source, created_at, now() FROM directory_membership
       WHERE group_id IN (SELECT id FROM ending_groups) ON CONFLICT DO NOTHING""",
    "DELETE FROM directory_membership WHERE group_id IN (SELECT id FROM ending_groups)",
    "DELETE FROM sharing_share WHERE group_id IN (SELECT id FROM ending_groups)",
    """UPDATE directory_schoolclass SET closed_at = now()
       WHERE school_year_id = %(year)s AND closed_at IS NULL""",
    "UPDATE directory_structureattachment SET is_director = false WHERE is_director",
]


def floor(url: str, year_id: int) -> tuple[float, float]:
    """The floor's statements in one transaction, committed, on a copy of the académie
    (`url`): (wall seconds, CPU seconds of this process and its PostgreSQL backend)."""
    import psycopg

    with psycopg.connect(url) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

        def cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return time.process_time() + (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK")

        cpu_before = cpu()
        started = time.perf_counter()
        with conn.transaction():
            for statement in FLOOR_SQL:
                conn.execute(statement, {"year": year_id})
        return time.perf_counter() - started, cpu() - cpu_before


# The same writes, one school at a time: one statement per school, committed alone and
# asynchronously, prepared — as the transition runs, without its audit and its counts.
SCHOOL_FLOOR_SQL = """WITH ending_groups AS (SELECT id FROM directory_group
      WHERE structure_id = %(school)s AND school_year_id = %(year)s
      AND kind IN ('class', 'functional')),
    shares AS (DELETE FROM sharing_share WHERE group_id IN (SELECT id FROM ending_groups)),
    ended AS (DELETE FROM directory_membership
      WHERE group_id IN (SELECT id FROM ending_groups)
      RETURNING group_id, user_id, source, created_at),
    archived AS (INSERT INTO directory_archivedmembership
      (group_id, user_id, source, created_at, ended_at)
      SELECT group_id, user_id, source, created_at, now() FROM ended ON CONFLICT DO NOTHING),
    classes AS (UPDATE directory_schoolclass SET closed_at = now()
      WHERE structure_id = %(school)s AND school_year_id = %(year)s AND closed_at IS NULL)
    UPDATE directory_structureattachment SET is_director = false
      WHERE structure_id = %(school)s AND is_director"""


def school_floor(url: str, year_id: int) -> tuple[float, float]:
    """SCHOOL_FLOOR_SQL for each school, on a copy of the académie (`url`)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

        def cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return time.process_time() + (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK")

        schools = [row[0] for row in conn.execute(
            "SELECT id FROM directory_structure ORDER BY uai")]
        cpu_before = cpu()
        started = time.perf_counter()
        conn.execute("SET synchronous_commit TO off")
        for school in schools:
            conn.execute(SCHOOL_FLOOR_SQL, {"school": school, "year": year_id}, prepare=True)
        conn.execute("RESET synchronous_commit")
        # A write committed normally flushes every school's commit, as the run's record.
        conn.execute("UPDATE directory_schoolyear SET name = name WHERE id = %s", [year_id])
        return time.perf_counter() - started, cpu() - cpu_before


def database_exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(url: str, source: str, target: str) -> None:
    """CREATE DATABASE target TEMPLATE source (nobody may be connected to source)."""
    import psycopg

    with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        # FILE_COPY: copies the files (with a checkpoint) instead of writing the whole
        # database to the WAL, which would set off checkpoints during the measures.
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY')


def table_counts() -> dict[str, int]:
    from django.db import connection

    tables = {"schools": "directory_structure", "users": "accounts_user",
              "classes": "directory_schoolclass", "groups": "directory_group",
              "memberships": "directory_membership",
              "shares": "sharing_share"}
    with connection.cursor() as cursor:
        counts = {}
        for key, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[key] = cursor.fetchone()[0]
    return counts


def checkpoint(url: str) -> None:
    """CHECKPOINT before each measure: each starts with no checkpoint under way, and the
    first change of each page after it writes the whole page to the WAL, for all alike."""
    import psycopg

    with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def checkpoints(url: str) -> int:
    """Checkpoints the server made so far (any database: the server is shared). After
    one, the first change of each page writes the whole page to the WAL, so a checkpoint
    during a measure makes it slower."""
    import psycopg

    with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT checkpoints_timed + checkpoints_req "
                           "FROM pg_stat_bgwriter").fetchone()
        return int(row[0]) if row else 0


def vacuum() -> None:
    """VACUUM ANALYZE (outside any transaction) after the build, as autovacuum would
    (it is off on this server): both the floor and the transition start from it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--shares", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=9, choices=range(1, len(CLASSES) + 1),
                        metavar="1-9", help="classes per school")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--template", default="",
                        help="keep the built académie as this database and start from it")
    parser.add_argument("--profile", default="", help="cProfile the transition into FILE")
    args = parser.parse_args()
    name = args.database.rsplit("/", 1)[1]
    from_template = bool(args.template) and database_exists(args.database, args.template)
    if from_template:
        copy_database(args.database, args.template, name)
    else:
        recreate_database(args.database)
    with tempfile.TemporaryDirectory(prefix="preau-bench-yc-") as tmp:
        setup_django(Path(tmp), args.database)
        from django.db import connection

        from preau.directory.models import SchoolYear
        from preau.sharing.models import Share
        from preau.yearchange.transition import run_transition

        print(f"Préau year-change benchmark — CPython {platform.python_version()}, "
              f"PostgreSQL {connection.pg_version}, {os.cpu_count()} CPU(s), load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        if from_template:
            counts = table_counts()
            how = f"copied from the template {args.template}"
        else:
            counts = build(args.schools, args.shares, args.classes)
            how = "built"
            if args.template:
                connection.close()
                copy_database(args.database, name, args.template)
        schools = counts.get("schools", args.schools)
        print(f"{how.capitalize()}: {schools} schools, {counts['classes']} classes, "
              f"{counts['users']} accounts, {counts['groups']} groups, {counts['memberships']} "
              f"memberships, {counts['shares']} shares in {time.perf_counter() - started:.1f} s")
        year = SchoolYear.objects.get(name="2022-2023")
        to_purge = Share.objects.filter(group__kind="class").count()
        # Both start from the same vacuumed académie: the floor on a copy, committed.
        vacuum()
        connection.close()
        floor_url = f"{args.database}_floor"
        copy_database(args.database, name, f"{name}_floor")
        checkpoint(args.database)
        floor_checkpoints = checkpoints(args.database)
        floor_s, floor_cpu = floor(floor_url, year.pk)
        floor_checkpoints = checkpoints(args.database) - floor_checkpoints
        copy_database(args.database, name, f"{name}_floor")
        checkpoint(args.database)
        school_floor_checkpoints = checkpoints(args.database)
        school_floor_s, school_floor_cpu = school_floor(floor_url, year.pk)
        school_floor_checkpoints = checkpoints(args.database) - school_floor_checkpoints
        drop_database(args.database, f"{name}_floor")
        reset_peak()
        rss_before = vm_kib("VmRSS")
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        checkpoint(args.database)
        checkpoints_before = checkpoints(args.database)
        cpu, python_cpu = cpu_seconds(), time.process_time()
        started = time.perf_counter()
        report = run_transition(today=datetime.date(2023, 8, 24)).report
        elapsed = time.perf_counter() - started
        cpu, python_cpu = cpu_seconds() - cpu, time.process_time() - python_cpu
        during = checkpoints(args.database) - checkpoints_before
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        peak = vm_kib("VmHWM")
        started = time.perf_counter()
        again = run_transition(today=datetime.date(2023, 8, 24)).report
        second = time.perf_counter() - started
        assert report["shares_purged"]["total"] == to_purge, report["shares_purged"]
        assert report["errors"] == [], report["errors"][:3]
        assert again["changes"] == 0
        print(f"Shares purged {report['shares_purged']['total']}, kept "
              f"{report['shares_kept']['total']}, memberships ended "
              f"{report['memberships_ended']['total']}, classes archived "
              f"{report['classes_archived']}, errors {len(report['errors'])}")
        print(f"{'measure':44} {'seconds':>9} {'CPU s':>7}   (server checkpoints during it)")
        print(f"{'floor: the same writes in raw SQL':44} {floor_s:9.2f} {floor_cpu:7.2f}"
              f"   ({floor_checkpoints})")
        print(f"{'  the same, one statement per school':44} {school_floor_s:9.2f} "
              f"{school_floor_cpu:7.2f}   ratio {school_floor_s / floor_s:.1f}x "
              f"(CPU {school_floor_cpu / floor_cpu:.1f}x) ({school_floor_checkpoints})")
        print(f"{'transition (per school, audit log included)':44} {elapsed:9.2f} {cpu:7.2f}"
              f"   ratio {elapsed / floor_s:.1f}x (CPU {cpu / floor_cpu:.1f}x) ({during})")
        print(f"{'  of which Python (this process)':44} {'':9} {python_cpu:7.2f}")
        print(f"{'second run (nothing to do)':44} {second:9.2f}")
        print(f"per school: {elapsed / schools * 1000:.1f} ms; peak RSS during the "
              f"transition {peak / 1024:.0f} MiB (RSS before {rss_before / 1024:.0f} MiB)")
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 16
    main()
