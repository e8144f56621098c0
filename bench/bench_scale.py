"""The scale test: the busiest pages cost what the user's own scope costs (a plain script).

    .venv/bin/python bench/bench_scale.py [--schools 100 1000] [--rebuild] [--max-ratio 2]

For each size it builds (once; kept for the next run unless --rebuild) a PostgreSQL
database `preau_scale_<N>` on 127.0.0.1:5432 with an académie of N schools made by the
feeds' generator and imported by the real importer, then, in every school, what a school
has on a rentrée morning: a teacher's class folder shared with the class's pupils and
parents groups, her message to the class's parents, a parent's answer, the director as
school admin. The generator is seeded per school, so school 1 is the same at every size:
the same people open the same pages.

For each page of a teacher, a parent, a pupil and the head teacher of school 1 it records
every SQL statement the page runs (Django's test client, logged in) and runs each SELECT
again under `EXPLAIN (ANALYZE, BUFFERS)`: the figure is the shared buffers read (hit or
read) by the page's statements, and their execution time. A page whose statements read
more than --max-ratio times the buffers at the largest size as at the smallest fails the
run (exit 1), as does a page whose query count differs between sizes. Figures and the
command are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
SCHOOL = "S00001"  # school 1 of the generator: the same at every size


def database_url(schools: int) -> str:
    return f"{SERVER}/preau_scale_{schools}"


def database_exists(url: str) -> bool:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (name,)).fetchone() is not None


def recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, data_dir: Path) -> None:
    os.environ["PREAU_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["PREAU_LOG_LEVEL"] = "WARNING"
    os.environ["PREAU_TASKS_BACKEND"] = "immediate"
    os.environ["DJANGO_SETTINGS_MODULE"] = "preau.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


# Building a size ---------------------------------------------------------------------------


def build(schools: int, work: Path) -> None:
    """Migrate, import the académie, then give every school its rentrée-morning content."""
    from django.core.management import call_command
    from django.db import connection

    from preau.directory.models import SchoolYear
    from preau.feeds.actions import do_import
    from preau.feeds.synthetic import generate

    call_command("migrate", verbosity=0)
    SchoolYear.objects.create(name="2025-2026", start=datetime.date(2025, 9, 1),
                              end=datetime.date(2026, 7, 4), is_current=True)
    paths = generate(work / "feed", schools=schools)
    run = do_import(paths, format="aaf1d", academy="lille", today=datetime.date(2025, 9, 2))
    assert run.status == "applied", (run.status, run.message)
    for number in range(schools):
        school_content(f"S{number:05d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def school_people(key: str) -> dict[str, Any]:
    """A school's teacher of its second class, a pupil of that class and her parent, the
    director, and that class (the generator's fixed roles)."""
    from preau.accounts.models import Profile, User
    from preau.directory.models import GroupKind, Membership, RelativeLink, SchoolClass

    teacher = User.objects.get(external_id=f"{key}T1")
    director = User.objects.get(external_id=f"{key}T0")
    school_class = SchoolClass.objects.filter(
        groups__kind=GroupKind.CLASS, groups__memberships__user=teacher).first()
    assert school_class is not None, f"{key}: the teacher has no class"
    pupil_ids = Membership.objects.filter(
        group__school_class=school_class, group__profile=Profile.STUDENT).values("user")
    link = RelativeLink.objects.filter(student__in=pupil_ids).order_by("student_id",
                                                                       "relative_id").first()
    assert link is not None
    return {"teacher": teacher, "director": director, "pupil": link.student,
            "parent": link.relative, "class": school_class}


def school_content(key: str) -> None:
    from preau.accounts.models import Profile
    from preau.directory.models import SchoolAdmin, StructureAttachment
    from preau.documents.actions import check_create_folder, do_upload
    from preau.messaging.actions import check_compose_and_send, check_reply, check_send
    from preau.messaging.models import MessageCopy
    from preau.sharing.actions import check_share
    from preau.sharing.models import Right

    people = school_people(key)
    teacher, parent, school_class = people["teacher"], people["parent"], people["class"]
    school = StructureAttachment.objects.get(user=teacher).structure
    SchoolAdmin.objects.get_or_create(user=people["director"], structure=school)
    groups = {g.profile: g for g in school_class.groups.all()}
    folder = check_create_folder(teacher, f"Cahier mémo {school_class.name}")
    poem = "Poésie de la rentrée\n".encode()
    do_upload(teacher, io.BytesIO(poem), name="poesie.txt", size=len(poem), folder=folder)
    check_share(teacher, folder, groups=[groups[Profile.STUDENT], groups[Profile.RELATIVE]],
                rights=[Right.READ])
    message = check_compose_and_send(
        teacher, to=[f"group:{groups[Profile.RELATIVE].pk}"], subject="Réunion de rentrée",
        body="Bonjour, la réunion de rentrée aura lieu jeudi à 18 h.")
    copy = MessageCopy.objects.get(message=message, user=parent)
    check_send(parent, check_reply(parent, copy).draft)


# Measuring a size --------------------------------------------------------------------------


def pages(people: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(label, URL, user) of the pages measured."""
    from django.urls import reverse

    from preau.accounts.models import Profile
    from preau.documents.models import Node
    from preau.messaging.models import Message

    teacher, parent, pupil, director = (people["teacher"], people["parent"], people["pupil"],
                                        people["director"])
    school_class = people["class"]
    groups = {g.profile: g for g in school_class.groups.all()}
    message = Message.objects.filter(sender=teacher).first()
    answer = Message.objects.filter(sender=parent).first()
    folder = Node.objects.filter(owner=teacher, kind="folder").first()
    assert message and answer and folder
    klass = reverse("directory:class", args=[school_class.pk])
    dialog = reverse("sharing:dialog", args=[Node.share_type, folder.pk])
    return [
        ("teacher: home", reverse("home"), teacher),
        ("teacher: Annuaire search", reverse("directory:search") + "?q=mar", teacher),
        ("teacher: class page", klass, teacher),
        ("teacher: pupil's card", reverse("directory:person", args=[pupil.pk]), teacher),
        ("teacher: parents group", reverse("directory:group",
                                           args=[groups[Profile.RELATIVE].pk]), teacher),
        ("teacher: documents", reverse("documents:index"), teacher),
        ("teacher: share dialog search", dialog + "?q=mar", teacher),
        ("teacher: inbox", reverse("messaging:index"), teacher),
        ("teacher: sent message", reverse("messaging:message", args=[message.pk]), teacher),
        ("teacher: recipients search", reverse("messaging:recipients") + "?q=mar", teacher),
        ("teacher: bookmarks", reverse("directory:bookmarks"), teacher),
        ("parent: home", reverse("home"), parent),
        ("parent: Annuaire search", reverse("directory:search") + "?q=mar", parent),
        ("parent: class page", klass, parent),
        ("parent: shared with me", reverse("documents:shared"), parent),
        ("parent: inbox", reverse("messaging:index"), parent),
        ("parent: received message", reverse("messaging:message", args=[message.pk]), parent),
        ("parent: recipients search", reverse("messaging:recipients") + "?q=mar", parent),
        ("pupil: home", reverse("home"), pupil),
        ("pupil: Annuaire search", reverse("directory:search") + "?q=mar", pupil),
        ("pupil: class page", klass, pupil),
        ("pupil: shared with me", reverse("documents:shared"), pupil),
        ("director: home", reverse("home"), director),
        ("director: Annuaire search", reverse("directory:search") + "?q=mar", director),
        ("API: parent's class", f"/api/v1/classes/{school_class.pk}/", parent),
        ("API: teacher's search", "/api/v1/directory/search/?q=mar", teacher),
    ]


def explain(sql: str) -> tuple[int, float]:
    """(shared buffers hit or read, execution ms) of one statement, run again."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    top = plan[0]
    node = top["Plan"]
    return (node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0),
            top.get("Execution Time", 0.0))


def measure(schools: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from preau.accounts.models import User

    people = school_people(SCHOOL)
    results: dict[str, Any] = {"schools": schools, "accounts": User.objects.count(),
                               "pages": {}}
    for label, url, user in pages(people):
        client = Client()
        client.force_login(user, backend="preau.accounts.backends.LocalPasswordBackend")
        for _ in range(2):  # warm: the session, the caches
            response = client.get(url)
            assert response.status_code == 200, (label, url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        buffers, ms, statements = 0, 0.0, []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            hit, took = explain(sql)
            buffers += hit
            ms += took
            statements.append({"buffers": hit, "ms": round(took, 3), "sql": sql[:4000]})
        results["pages"][label] = {"queries": len(captured.captured_queries),
                                   "buffers": buffers, "sql_ms": round(ms, 3),
                                   "statements": statements}
    return results


def child(schools: int, rebuild: bool, out: Path) -> None:
    url = database_url(schools)
    fresh = rebuild or not database_exists(url)
    if fresh:
        recreate_database(url)
    with tempfile.TemporaryDirectory(prefix="preau-scale-") as work:
        setup_django(url, Path(work) / "data")
        if not fresh:  # a kept database: bring its schema up to this checkout's
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        if fresh:
            print(f"building {schools} schools…", flush=True)
            build(schools, Path(work))
        out.write_text(json.dumps(measure(schools)), encoding="utf-8")


# The comparison ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--schools", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the databases even if they exist")
    parser.add_argument("--max-ratio", type=float, default=2.0)
    parser.add_argument("--json", help="write every figure (and each statement) there")
    parser.add_argument("--show", type=int, default=0,
                        help="print the N costliest statements of each page")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.rebuild, Path(args.out))
        return 0

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="preau-scale-") as work:
        for schools in args.schools:
            out = Path(work) / f"{schools}.json"
            command = [sys.executable, __file__, "--child", str(schools), "--out", str(out)]
            if args.rebuild:
                command.append("--rebuild")
            subprocess.run(command, check=True)
            runs.append(json.loads(out.read_text(encoding="utf-8")))
    small, large = runs[0], runs[-1]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("sizes: " + ", ".join(f"{r['schools']} schools ({r['accounts']:,} accounts)"
                                for r in runs))
    print("buffers: shared buffers (hit or read) of the page's SELECTs under EXPLAIN "
          "(ANALYZE, BUFFERS); ms: their execution time")
    header = f"{'page':<30}{'queries':>8}"
    for r in runs:
        header += f"{'buffers@' + str(r['schools']):>15}{'ms@' + str(r['schools']):>10}"
    print(header + f"{'ratio':>8}")
    failed = []
    for label in small["pages"]:
        row = f"{label:<30}{small['pages'][label]['queries']:>8}"
        for r in runs:
            page = r["pages"][label]
            row += f"{page['buffers']:>15,}{page['sql_ms']:>10.1f}"
        ratio = large["pages"][label]["buffers"] / max(small["pages"][label]["buffers"], 1)
        counts = {r["pages"][label]["queries"] for r in runs}
        mark = ""
        if ratio > args.max_ratio:
            mark = "  <- grows with the académie"
            failed.append(label)
        if len(counts) > 1:
            mark += f"  <- query count {sorted(counts)}"
            failed.append(label)
        print(row + f"{ratio:>7.2f}x{mark}")
        if args.show:
            for r in (small, large):
                costly = sorted(r["pages"][label]["statements"], key=lambda s: -s["buffers"])
                for statement in costly[:args.show]:
                    print(f"    @{r['schools']}: {statement['buffers']:,} buffers, "
                          f"{statement['ms']} ms: {statement['sql'][:600]}")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1), encoding="utf-8")
    if failed:
        print(f"FAILED: {len(set(failed))} page(s) above {args.max_ratio}x or with a "
              f"different query count")
        return 1
    print(f"every page within {args.max_ratio}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
