"""The rentrée morning under load: locust against gunicorn and PostgreSQL (a plain script).

    .venv/bin/python bench/bench_rentree.py [--schools 100] [--users 50] [--teachers 15]
        [--duration 60s] [--wait 1-3] [--page-seconds 8] [--page-users 8] [--reuse]
        [--json out.json] [--compare other.json] [--workers 2] [--threads 4]
        [--env NAME=VALUE ...] [--gunicorn-args="..."] [--keep]
        [--database postgres://postgres@127.0.0.1:5432/preau_bench_rentree]

Needs locust, in the `load` dependency group: when it is missing the script installs that
group first (`uv sync --frozen --group load`, which keeps the default groups).

1. The académie. In its own PostgreSQL database (the name of `--database`, suffixed with the
   size, the sample, the seed and a fingerprint of the migrations), migrated, the feeds'
   generator (`preau.feeds.synthetic.generate`) writes `--schools` schools (about 310
   accounts each) and the real importer (`do_import`) imports them. Then, through Préau's
   actions, a sample of `--teachers` teachers (spread over the académie, one class each) and
   `--users` minus that many parents (of pupils of those classes) gets something to browse:
   each teacher attaches to her class, shares a folder of three files with the class's
   parents and writes to them three times; every sampled account gets four files of its own;
   each parent and two other parents of each class write to the teacher. The sample is made
   active with its charter accepted. `ANALYZE` after the import and `VACUUM ANALYZE` at the
   end give the planner what autovacuum gives a live base (it is off on this machine's
   PostgreSQL). With `--reuse` this database and its documents are kept as a template and
   later runs of the same size, sample and seed start from a copy of it.
2. The run's database: `CREATE DATABASE … TEMPLATE` of that one, so every run starts from
   the same state, with the planner settings docs/configuration.md asks for
   (`random_page_cost = 1.1`, `jit = off`; `--planner-defaults` leaves PostgreSQL's); the
   sample gets one password, hashed once with Préau's configured hasher.
3. The Argon2 floor: `verify` of that hash with Préau's hasher, in `--workers` processes at
   once for `--verify-seconds`, before the server starts (nothing else of ours running).
4. gunicorn as the README's production section runs it (`preau.wsgi -k gthread --workers 2
   --threads 4 --reuse-port`, loopback, `PREAU_DEBUG=false`, a secret key, allowed hosts; no control
   socket, which would be the machine's one), with
   `DJANGO_SETTINGS_MODULE=bench.rentree_site`: Préau's settings and URLs plus the bare
   one-query view `/bench/bare/`. The environment reaches it as is (connection settings
   such as a pool's, `PREAU_*`), plus `--env` values. A few GETs of the login page warm it.
5. The rentrée morning (`bench/rentree_locustfile.py`, mode `mix`): every user logs in at
   once (the storm) and browses as soon as it is in, with `--wait` seconds between actions,
   until `--duration` after the last login.
6. The floors (mode `pages`): each read page alone, per profile, `--page-seconds` each in a
   closed loop of `--page-users` users, and the bare view the same way, first and last.

Printed (and written with `--json`): the machine; the académie; requests/s and p50, p95,
p99 per page of the morning; errors; logins/s against the Argon2 verify rate; each read
page's throughput alone against the bare view's; the CPU seconds of gunicorn's and
PostgreSQL's process trees (and of locust, which shares the cores) during each run, and
how many backends of other databases were busy meanwhile (their CPU is in PostgreSQL's).
`--compare other.json` sets this run's figures beside another's (100 against 1,000 schools,
before against after). Exits non-zero when any request failed.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import math
import multiprocessing
import os
import platform
import resource
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/preau_bench_rentree"
PASSWORD = "Rentree-2025-bench!"
# The server settings docs/configuration.md asks for (set on the run's database).
PLANNER_SETTINGS = {"random_page_cost": "1.1", "jit": "off"}
# Bump when the seeded data change: templates made by an older version are not reused.
SEED_VERSION = 1
FILES_PER_ACCOUNT = 4
CLASS_FILES = 3
TEACHER_MESSAGES = 3
OTHER_PARENTS_WRITING = 2
SCHOOL_YEAR = ("2025-2026", datetime.date(2025, 9, 1), datetime.date(2026, 7, 4))
FEED_DAY = datetime.date(2025, 9, 2)
WARM_UP_REQUESTS = 20
WRITE_ACTIONS = ("upload", "send")


# -- set-up of the tools ------------------------------------------------------------------------


def ensure_locust() -> None:
    """locust lives in the `load` dependency group, which `./run` does not install."""
    if (VENV_BIN / "locust").exists():
        return
    uv = shutil.which("uv")
    command = ["uv", "sync", "--frozen", "--group", "load"]
    if uv is None:
        sys.exit(f"locust is missing: install the load group with `{' '.join(command)}`")
    print(f"locust is missing: {' '.join(command)}", flush=True)
    subprocess.run(command, cwd=REPO, check=True)


def parse_duration(text: str) -> float:
    """'90', '90s', '2m' -> seconds."""
    text = text.strip().lower()
    if text.endswith("m"):
        return float(text[:-1]) * 60
    return float(text.removesuffix("s"))


def with_database(url: str, name: str) -> str:
    """The same server URL (and options), another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_connection(url: str) -> Any:
    import psycopg

    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


def database_exists(url: str, name: str) -> bool:
    with admin_connection(url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def drop_database(url: str, name: str) -> None:
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrations_fingerprint() -> str:
    """Changes whenever a migration is added or changed: a template from an older schema is
    never reused."""
    digest = hashlib.sha1()
    for path in sorted(REPO.glob("preau/*/migrations/*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def setup_django(data_dir: Path, url: str) -> None:
    """Point Préau at the benchmark's database before Django reads its settings."""
    os.environ["PREAU_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["PREAU_STORAGE"] = "local"
    os.environ["DJANGO_SETTINGS_MODULE"] = "preau.settings"
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    level = os.environ.get("PREAU_LOG_LEVEL")
    os.environ["PREAU_LOG_LEVEL"] = "WARNING"  # this script's own output: no INFO lines
    django.setup()
    if level is None:  # the server logs at Préau's default level, as in production
        del os.environ["PREAU_LOG_LEVEL"]
    else:
        os.environ["PREAU_LOG_LEVEL"] = level


def close_connections() -> None:
    """Close this process's database connections, and its pool when the settings make one
    (a pool keeps connections to the database it was made for)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        if connection.settings_dict.get("OPTIONS", {}).get("pool") and hasattr(
                connection, "close_pool"):
            connection.close_pool()


def use_database(name: str) -> None:
    """Switch Django's connection to another database of the same server."""
    from django.db import connection

    close_connections()
    connection.settings_dict["NAME"] = name


# -- the machine and the processes --------------------------------------------------------------


def machine() -> dict[str, Any]:
    from django.db import connection

    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
        cursor.execute("SHOW max_connections")
        max_connections = cursor.fetchone()[0]
    import django
    import gunicorn

    return {"cores": os.cpu_count(), "cpu": model or platform.processor(),
            "memory_mib": memory, "python": platform.python_version(),
            "django": django.get_version(), "gunicorn": gunicorn.__version__,
            "postgresql": server, "shared_buffers": shared_buffers,
            "max_connections": max_connections, "load_average": os.getloadavg()}


def postmaster_pid() -> int:
    """The PostgreSQL server's main process: the parent of this connection's backend (the
    server runs on this machine: the benchmark talks to it on loopback)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return int(_stat(backend)[1])


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat from the field after the command's name (state, ppid, …)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_cpu(root: int) -> float:
    """CPU seconds of a process tree so far: the root's own and its reaped children's, plus
    every live descendant's (its own and its reaped children's). A backend that lived and
    ended during a run is in its parent's reaped-children time."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = sum(int(f) for f in fields[11:15])
    tree = {root}
    grown = True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grown = True
    return sum(times.get(pid, 0) for pid in tree) / ticks


def busy_other_backends(postmaster: int, ours: str) -> int:
    """PostgreSQL backends busy for another database than ours right now: their CPU is in the
    server's, which the benchmark cannot tell apart (a backend's title is
    `postgres: [cluster: ]user database host(port) state`)."""
    busy = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat(int(entry.name))[1]) != postmaster:
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, IndexError, ValueError, UnicodeDecodeError):
            continue
        parts = title.rsplit(": ", 1)[-1].split()
        if len(parts) >= 4 and "(" in parts[2] and parts[1] != ours \
                and not parts[3].startswith("idle"):
            busy += 1
    return busy


class CpuMeter:
    """CPU seconds used by gunicorn's and PostgreSQL's process trees during a run, sampled
    every second so that a part of the run can be read apart (the browsing after the storm,
    each page's floor run), and the load generator's (locust, a child of this script).

    PostgreSQL's tree is the whole server's: on a shared server it counts other databases'
    work too, so each sample also counts the backends busy for other databases."""

    def __init__(self, gunicorn: int, postgres: int, database: str) -> None:
        self.gunicorn = gunicorn
        self.postgres = postgres
        self.database = database
        self.samples: list[tuple[float, float, float]] = []
        self.others: list[int] = []

    def _sample(self) -> None:
        self.samples.append((time.time(), tree_cpu(self.gunicorn), tree_cpu(self.postgres)))
        self.others.append(busy_other_backends(self.postgres, self.database))

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def start(self) -> None:
        import threading

        self.samples = []
        self.others = []
        self._sample()
        self._children = _children_cpu()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._sample()
        locust = _children_cpu() - self._children
        whole = self.window(self.samples[0][0], self.samples[-1][0])
        seconds = whole["seconds"]
        return {**whole, "locust_s": locust, "locust_cores": locust / seconds,
                "other_databases_busy_mean": sum(self.others) / len(self.others),
                "other_databases_busy_max": max(self.others),
                "machine_share": (whole["gunicorn_s"] + whole["postgres_s"] + locust)
                / seconds / (os.cpu_count() or 1)}

    def window(self, begin: float, end: float) -> dict[str, float]:
        """gunicorn's and PostgreSQL's CPU between the samples nearest to `begin` and to
        `end` (a second apart at most)."""
        first = min(self.samples, key=lambda x: abs(x[0] - begin))
        last = min(self.samples, key=lambda x: abs(x[0] - end))
        if last[0] <= first[0]:
            first, last = self.samples[0], self.samples[-1]
        seconds = max(last[0] - first[0], 1e-9)
        gunicorn, postgres = last[1] - first[1], last[2] - first[2]
        return {"seconds": seconds, "gunicorn_s": gunicorn, "postgres_s": postgres,
                "gunicorn_cores": gunicorn / seconds, "postgres_cores": postgres / seconds,
                "server_share": (gunicorn + postgres) / seconds / (os.cpu_count() or 1)}


def _children_cpu() -> float:
    """CPU of this script's ended children: locust, once its run is over."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- the académie and its sample ----------------------------------------------------------------


def build_academie(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Migrate, generate, import, seed the sample (in the database Django points at)."""
    from django.core.management import call_command
    from django.db import connection

    from preau.directory.models import SchoolYear
    from preau.feeds.actions import do_import
    from preau.feeds.synthetic import generate

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    name, start, end = SCHOOL_YEAR
    SchoolYear.objects.create(name=name, start=start, end=end, is_current=True)
    paths = generate(work / "feed", schools=args.schools, seed=args.seed)
    generated = time.perf_counter()
    run = do_import(paths, format="aaf1d", academy="lille", today=FEED_DAY)
    if run.status != "applied":
        sys.exit(f"the feed run was not applied ({run.status}): {run.message}")
    shutil.rmtree(work / "feed", ignore_errors=True)
    imported = time.perf_counter()
    with connection.cursor() as cursor:  # autovacuum's statistics (it may be off here)
        cursor.execute("ANALYZE")
    analysed = time.perf_counter()
    sample = seed_sample(args.teachers, args.users - args.teachers)
    seeded = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  generated in {generated - started:.1f} s (with the migrations), imported in "
          f"{imported - generated:.1f} s, ANALYZE {analysed - imported:.1f} s, sample seeded "
          f"in {seeded - analysed:.1f} s, VACUUM ANALYZE {time.perf_counter() - seeded:.1f} s",
          flush=True)
    return sample


def seed_sample(teacher_count: int, parent_count: int) -> dict[str, Any]:
    """The sampled teachers and parents, and what they will browse, through Préau's actions.

    Teachers are spread over the académie (one in every few schools, then a second one per
    school when there are more teachers than schools), each attached to a class of her
    school; parents are taken in turn from those classes' pupils' legal parents."""
    from django.utils import timezone

    from preau.accounts.models import Profile, State, User
    from preau.directory.actions import check_attach_teacher_to_class, ensure_class_groups
    from preau.directory.models import Membership, SchoolClass, Structure
    from preau.documents.actions import check_create_folder, do_upload
    from preau.feeds.synthetic import CLASSES
    from preau.messaging.actions import check_compose_and_send
    from preau.sharing.actions import check_share
    from preau.sharing.models import Right

    schools = list(Structure.objects.order_by("uai"))
    per_school = len(CLASSES)  # classes of a generated school, and at least as many teachers
    if teacher_count > len(schools) * per_school or teacher_count < 1:
        sys.exit(f"--teachers must be between 1 and {len(schools) * per_school} "
                 f"for {len(schools)} schools")
    slots: list[tuple[User, SchoolClass, list[User]]] = []
    for slot in range(teacher_count):
        rank, index = divmod(slot, len(schools))
        school = schools[(index * len(schools)) // min(teacher_count, len(schools))]
        teachers = list(User.objects.filter(profile=Profile.TEACHER,
                                            attachments__structure=school).order_by("login"))
        classes = list(SchoolClass.objects.active().filter(structure=school).order_by("code"))
        teacher, school_class = teachers[rank], classes[rank]
        check_attach_teacher_to_class(teacher, school_class, actor=teacher)
        pupils = Membership.objects.filter(
            group=ensure_class_groups(school_class)[Profile.STUDENT]).values("user")
        parents = list(User.objects.filter(profile=Profile.RELATIVE,
                                           children_links__student__in=pupils)
                       .distinct().order_by("login"))
        slots.append((teacher, school_class, parents))

    chosen: list[tuple[User, int]] = []  # (parent, slot)
    taken: set[int] = set()
    cursor = [0] * len(slots)
    while len(chosen) < parent_count:
        progressed = False
        for slot, (_teacher, _class, parents) in enumerate(slots):
            while cursor[slot] < len(parents) and parents[cursor[slot]].pk in taken:
                cursor[slot] += 1
            if cursor[slot] < len(parents) and len(chosen) < parent_count:
                parent = parents[cursor[slot]]
                taken.add(parent.pk)
                chosen.append((parent, slot))
                progressed = True
        if not progressed:
            sys.exit(f"not enough parents in the sampled classes for {parent_count} parents")

    everyone = [teacher for teacher, _c, _p in slots] + [parent for parent, _s in chosen]
    now = timezone.now()
    User.objects.filter(pk__in=[u.pk for u in everyone]).update(
        state=State.ACTIVE, activation_code="", activated_at=now, charter_accepted_at=now,
        password_changed_at=now)

    def note(owner: User, number: int) -> bytes:
        line = f"Rentrée 2025, note {number} de {owner.first_name} {owner.last_name}.\n"
        return (line * 40).encode()

    own_files: dict[int, list[int]] = {}
    for user in everyone:
        own_files[user.pk] = [
            do_upload(user, io.BytesIO(data := note(user, k)), name=f"Note {k}.txt",
                      size=len(data)).pk
            for k in range(1, FILES_PER_ACCOUNT + 1)]
    class_files: list[list[int]] = []
    for teacher, school_class, parents in slots:
        groups = ensure_class_groups(school_class)
        folder = check_create_folder(teacher, f"Classe {school_class.name}")
        class_files.append([
            do_upload(teacher, io.BytesIO(data := note(teacher, 10 + k)),
                      name=f"Fournitures {k}.txt", folder=folder, size=len(data)).pk
            for k in range(1, CLASS_FILES + 1)])
        check_share(teacher, folder, groups=[groups[Profile.RELATIVE]], rights=[Right.READ])
        for k in range(1, TEACHER_MESSAGES + 1):
            check_compose_and_send(
                teacher, to=[f"group:{groups[Profile.RELATIVE].pk}"],
                subject=f"Rentrée en {school_class.name} ({k})",
                body="<p>Bonjour,</p><p>Voici les informations de la rentrée.</p>")
        others = [p for p in parents if p.pk not in taken][:OTHER_PARENTS_WRITING]
        for parent in others:
            check_compose_and_send(parent, to=[f"user:{teacher.pk}"],
                                   subject="Question sur la rentrée",
                                   body="<p>Bonjour, à quelle heure est la sortie ?</p>")
    for parent, slot in chosen:
        teacher = slots[slot][0]
        check_compose_and_send(parent, to=[f"user:{teacher.pk}"], subject="Bonjour",
                               body="<p>Bonjour, mon enfant sera absent lundi.</p>")

    accounts = []
    for slot, (teacher, school_class, _parents) in enumerate(slots):
        relatives = ensure_class_groups(school_class)[Profile.RELATIVE]
        accounts.append({"id": teacher.pk, "login": teacher.login, "role": "teacher",
                         "class_id": school_class.pk, "send_to": f"group:{relatives.pk}",
                         "files": own_files[teacher.pk] + class_files[slot]})
    for parent, slot in chosen:
        teacher, school_class, _parents = slots[slot]
        accounts.append({"id": parent.pk, "login": parent.login, "role": "parent",
                         "class_id": school_class.pk, "send_to": f"user:{teacher.pk}",
                         "files": own_files[parent.pk] + class_files[slot]})
    return {"accounts": accounts}


def prepare_run(sample: dict[str, Any]) -> dict[str, Any]:
    """The run's copy: the sample's password hashed once with Préau's hasher (the same one a
    login verifies), each account's inbox, the pages' paths."""
    from django.contrib.auth.hashers import make_password
    from django.urls import reverse

    from preau.accounts.models import User
    from preau.messaging.models import MessageCopy, SystemFolder

    encoded = make_password(PASSWORD)
    ids = [a["id"] for a in sample["accounts"]]
    User.objects.filter(pk__in=ids).update(password=encoded)
    inboxes: dict[int, list[int]] = {}
    for user_id, message_id in (MessageCopy.objects
                                .filter(user_id__in=ids, folder=SystemFolder.INBOX,
                                        trashed_at__isnull=True)
                                .order_by("pk").values_list("user_id", "message_id")):
        inboxes.setdefault(user_id, []).append(message_id)
    accounts = [{**a, "messages": inboxes.get(a["id"], [])} for a in sample["accounts"]]
    empty = [a["login"] for a in accounts if not a["messages"] or not a["files"]]
    if empty:
        sys.exit(f"accounts without messages or files to read: {empty}")
    any_id = 999_999_999

    def path(name: str, *args: int) -> str:
        return reverse(name, args=args).replace(str(any_id), "{id}")

    paths = {
        "login": path("accounts:login"), "home": path("home"), "bare": "/bench/bare/",
        "search": path("directory:search"), "class": path("directory:class", any_id),
        "documents": path("documents:index"), "shared": path("documents:shared"),
        "download": path("documents:download", any_id), "upload": path("documents:upload"),
        "inbox": path("messaging:index"), "message": path("messaging:message", any_id),
        "compose": path("messaging:compose"),
        "sent": reverse("messaging:folder", args=["envoyes"]),
    }
    return {"accounts": accounts, "paths": paths, "password": PASSWORD,
            "encoded": encoded}


def academie_counts() -> dict[str, int]:
    from django.db.models import Count

    from preau.accounts.models import User
    from preau.directory.models import Membership, SchoolClass, Structure

    counts = {"schools": Structure.objects.count(),
              "classes": SchoolClass.objects.active().count(),
              "accounts": User.objects.count(), "memberships": Membership.objects.count()}
    for row in User.objects.values("profile").annotate(n=Count("id")).order_by("profile"):
        counts[f"accounts_{row['profile']}"] = row["n"]
    return counts


def connection_settings() -> dict[str, Any]:
    """What the settings make of the database connections (the server reads the same
    environment), for telling runs before and after pooling apart."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    options = database.get("OPTIONS", {})
    pool = options.get("pool")
    return {"conn_max_age": database.get("CONN_MAX_AGE"),
            "conn_health_checks": database.get("CONN_HEALTH_CHECKS"),
            "pool": pool if pool is None or isinstance(pool, dict | bool) else str(pool)}


# -- the Argon2 floor ---------------------------------------------------------------------------


def _verify_loop(encoded: str, seconds: float, start_at: float, out: Any) -> None:
    from django.contrib.auth.hashers import identify_hasher

    hasher = identify_hasher(encoded)
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    count = 0
    while time.perf_counter() - began < seconds:
        if not hasher.verify(PASSWORD, encoded):
            raise AssertionError("the password does not verify")
        count += 1
    out.put(count / (time.perf_counter() - began))


def argon2_floor(encoded: str, processes: int, seconds: float) -> dict[str, Any]:
    """`verify` of the sample's hash by Préau's hasher (for Argon2, argon2-cffi's
    `PasswordHasher.verify` with the parameters the hash carries, which are the configured
    ones), in `processes` processes at once: the most logins/s these cores could do."""
    from django.contrib.auth.hashers import identify_hasher

    hasher = identify_hasher(encoded)
    params: dict[str, Any] = {"hasher": hasher.algorithm}
    if hasattr(hasher, "params"):
        p = hasher.params()
        params.update(time_cost=p.time_cost, memory_cost_kib=p.memory_cost,
                      parallelism=p.parallelism)
    close_connections()  # nothing of the database is carried into the children
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 0.3
    workers = [context.Process(target=_verify_loop, args=(encoded, seconds, start_at, out))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    rates = [out.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    return {**params, "processes": processes, "seconds": seconds,
            "verify_per_s": sum(rates), "verify_ms": 1000 * processes / sum(rates)}


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(args: argparse.Namespace, env: dict[str, str], port: int,
                   log: Path) -> subprocess.Popen[bytes]:
    command = [str(VENV_BIN / "gunicorn"), "preau.wsgi", "-k", "gthread",
               "--workers", str(args.workers), "--threads", str(args.threads),
               "--reuse-port", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
               *shlex.split(args.gunicorn_args)]
    print(f"  {' '.join(command)}", flush=True)
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def wait_ready(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/bench/bare/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer in 90 s:\n{log.read_text()[-3000:]}")


def warm_up(base: str, login_path: str) -> None:
    """Each worker thread's first requests import and compile what later ones reuse."""
    for _ in range(WARM_UP_REQUESTS):
        for path in ("/bench/bare/", login_path):
            with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:
                response.read()


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- locust -------------------------------------------------------------------------------------


def run_locust(mode: str, base: str, users: int, seconds: float, work: Path,
               config_path: Path, extra_env: dict[str, str], meter: CpuMeter
               ) -> tuple[dict[str, Any], dict[str, float]]:
    """One locust run, headless; `seconds` only bounds it (the scenario stops itself)."""
    results = work / f"locust-{mode}.json"
    log = work / f"locust-{mode}.log"
    env = {**os.environ, "RENTREE_CONFIG": str(config_path), "RENTREE_RESULTS": str(results),
           "RENTREE_MODE": mode, **extra_env}
    command = [str(VENV_BIN / "locust"), "-f", str(REPO / "bench" / "rentree_locustfile.py"),
               # Every user started within a few milliseconds: the storm is the server's,
               # not locust's ramp-up (it starts `spawn-rate` users a second).
               "--headless", "--users", str(users), "--spawn-rate", str(users * 50),
               "--run-time", f"{int(seconds)}s", "--host", base, "--stop-timeout", "15",
               "--only-summary", "--loglevel", "WARNING"]
    meter.start()
    with log.open("wb") as out:
        finished = subprocess.run(command, cwd=REPO, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=seconds + 300,
                                  check=False)
    cpu = meter.stop()
    if not results.exists():
        sys.exit(f"locust ({mode}) wrote no results (exit {finished.returncode}):\n"
                 f"{log.read_text()[-3000:]}")
    data: dict[str, Any] = json.loads(results.read_text())
    data["log"] = str(log)
    return data, cpu


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(share * len(values)))
    return values[min(rank, len(values)) - 1]


def latency(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"count": len(ordered), "p50_ms": percentile(ordered, 0.50),
            "p95_ms": percentile(ordered, 0.95), "p99_ms": percentile(ordered, 0.99),
            "max_ms": ordered[-1] if ordered else 0.0}


def errors_of(records: list[list[Any]]) -> list[dict[str, Any]]:
    return [{"name": r[0], "role": r[1], "error": r[4]} for r in records if r[4] is not None]


def analyse_mix(data: dict[str, Any], verify_per_s: float) -> dict[str, Any]:
    """The morning: the storm (from the first login page to the last login's answer), every
    page over the whole run, and the reads of the users once the storm is over."""
    records = data["records"]
    requests = [r for r in records if r[0] != "scenario error"]
    logins = [r for r in requests if r[0] == "login"]
    storm_start = min((r[2] for r in requests if r[0] in ("login page", "login")), default=0.0)
    storm_end = max((r[2] + r[3] / 1000 for r in logins), default=storm_start)
    begin = min((r[2] for r in requests), default=0.0)
    end = max((r[2] + r[3] / 1000 for r in requests), default=begin)
    seconds = max(end - begin, 1e-9)
    storm_seconds = max(storm_end - storm_start, 1e-9)
    ok_logins = [r for r in logins if r[4] is None]
    storm = {"logins": len(ok_logins), "seconds": storm_seconds, "end": storm_end,
             "logins_per_s": len(ok_logins) / storm_seconds,
             "ratio_to_verify": len(ok_logins) / storm_seconds / verify_per_s,
             **latency([r[3] for r in logins])}
    after = [r for r in requests if r[2] >= storm_end]
    after_seconds = max(end - storm_end, 1e-9)
    pages: dict[str, Any] = {}
    for name in sorted({r[0] for r in requests}):
        mine = [r for r in requests if r[0] == name]
        pages[name] = {"requests": len(mine), "per_s": len(mine) / seconds,
                       "errors": sum(1 for r in mine if r[4] is not None),
                       "write": name in WRITE_ACTIONS, **latency([r[3] for r in mine])}
        for role in ("teacher", "parent"):
            theirs = [r[3] for r in mine if r[1] == role]
            if theirs:
                pages[name][role] = {"requests": len(theirs), **latency(theirs)}
    reads_after = [r[3] for r in after if r[0] not in WRITE_ACTIONS]
    return {"users": data["users"], "seconds": seconds, "requests": len(requests),
            "per_s": len(requests) / seconds, "after_storm_seconds": after_seconds,
            "after_storm_per_s": len(after) / after_seconds,
            "reads_after_storm": latency(reads_after), "storm": storm, "pages": pages,
            "errors": errors_of(records)}


def analyse_floors(data: dict[str, Any], meter: CpuMeter) -> dict[str, Any]:
    """Each phase: the answers that arrived in its window (after its warm-up), their
    latency, and the CPU that gunicorn and PostgreSQL used meanwhile."""
    records = data["records"]
    t0, length = data["t0"], data["phase_seconds"]
    warm = min(1.0, length / 4)
    phases = []
    for index, (page, role) in enumerate(data["phases"]):
        start = t0 + index * length + warm
        end = t0 + (index + 1) * length
        # Throughput: the answers that arrived in the window (a closed loop's rate).
        mine = [r for r in records
                if r[0] == page and r[1] == role and start <= r[2] + r[3] / 1000 < end]
        used = meter.window(start, end)
        per_s = len(mine) / (end - start)
        served = per_s * used["seconds"]
        phases.append({"page": page, "role": role, "requests": len(mine), "per_s": per_s,
                       "errors": sum(1 for r in mine if r[4] is not None),
                       **latency([r[3] for r in mine]), "cpu": used,
                       "cpu_ms_per_request": 1000 * (used["gunicorn_s"] + used["postgres_s"])
                       / served if served else 0.0})
    bare = [p for p in phases if p["page"] == "bare"]
    bare_per_s = sum(p["per_s"] for p in bare) / len(bare) if bare else 0.0
    pages = {}
    for phase in phases:
        if phase["page"] == "bare":
            continue
        phase["ratio_to_bare"] = phase["per_s"] / bare_per_s if bare_per_s else 0.0
        pages[f"{phase['page']}/{phase['role']}"] = phase
    empty = [f"{p['page']}/{p['role']}" for p in phases if p["requests"] == 0]
    errors = errors_of(records) + [
        {"name": name, "role": "", "error": f"no answer within its {length - warm:.1f} s "
                                            f"window: lengthen --page-seconds"}
        for name in empty]
    return {"users_per_profile": data["users"] // 2, "phase_seconds": length,
            "warm_up_s": warm, "bare_per_s": bare_per_s,
            "bare_runs": [{k: p[k] for k in ("per_s", "p50_ms", "p95_ms", "cpu_ms_per_request")}
                          for p in bare],
            "pages": pages, "errors": errors}


# -- the report ---------------------------------------------------------------------------------


def print_report(report: dict[str, Any]) -> None:
    m, a, srv = report["machine"], report["academie"], report["server"]
    print()
    print("== Préau, the rentrée morning")
    print(f"machine: {m['cores']} cores ({m['cpu']}), {m['memory_mib']:,} MiB, Python "
          f"{m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, PostgreSQL "
          f"{m['postgresql']} (shared_buffers {m['shared_buffers']}, max_connections "
          f"{m['max_connections']}); load average at the start "
          f"{' '.join(f'{x:.1f}' for x in m['load_average'])}, at the end "
          f"{' '.join(f'{x:.1f}' for x in report['load_average_end'])}")
    profiles = ", ".join(f"{k[9:]} {v:,}" for k, v in a.items() if k.startswith("accounts_"))
    print(f"académie: {a['schools']:,} schools, {a['classes']:,} classes, {a['accounts']:,} "
          f"accounts ({profiles}), {a['memberships']:,} memberships; sample: "
          f"{report['sample']['teachers']} "
          f"teachers, {report['sample']['parents']} parents")
    print(f"server: {srv['command']}; connections: {json.dumps(srv['connections'])}")
    v = report["argon2"]
    params = ", ".join(f"{k} {v[k]}" for k in ("time_cost", "memory_cost_kib", "parallelism")
                       if k in v)
    print(f"password hash: {v['hasher']} ({params}); bare verify on {v['processes']} "
          f"processes: {v['verify_per_s']:.1f}/s ({v['verify_ms']:.0f} ms each per process)")

    mix = report.get("mix")
    if mix:
        s = mix["storm"]
        print()
        print(f"-- The morning: {mix['users']} users, {mix['seconds']:.0f} s, "
              f"{mix['requests']:,} requests, {mix['per_s']:.1f} requests/s "
              f"({mix['after_storm_per_s']:.1f}/s after the storm)")
        print(f"login storm: {s['logins']} logins in {s['seconds']:.1f} s = "
              f"{s['logins_per_s']:.2f} logins/s, {s['ratio_to_verify']:.2f}x the bare verify "
              f"rate (aim ≥ 0.8); login p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms")
        print(f"{'page':<12}{'requests':>9}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
        for name, p in mix["pages"].items():
            print(f"{name:<12}{p['requests']:>9,}{p['per_s']:>8.1f}{p['p50_ms']:>9.0f}"
                  f"{p['p95_ms']:>9.0f}{p['p99_ms']:>9.0f}{p['max_ms']:>9.0f}{p['errors']:>8}")
        r = mix["reads_after_storm"]
        c, cs, ca = mix["cpu"], mix["cpu_storm"], mix["cpu_after_storm"]
        if mix["reads_after_storm"]["count"]:
            print(f"reads after the storm: {r['count']:,}, p50 {r['p50_ms']:.0f} ms, p95 "
                  f"{r['p95_ms']:.0f} ms (aim < 300 ms at 70 % CPU), p99 {r['p99_ms']:.0f} ms")
        else:
            print("reads after the storm: none (the storm took the whole run: lengthen "
                  "--duration)")
        print(f"CPU during the run: gunicorn {c['gunicorn_s']:.1f} s ({c['gunicorn_cores']:.2f} "
              f"cores), PostgreSQL {c['postgres_s']:.1f} s ({c['postgres_cores']:.2f} cores), "
              f"locust {c['locust_s']:.1f} s ({c['locust_cores']:.2f} cores); server "
              f"{100 * c['server_share']:.0f} % of the machine, with locust "
              f"{100 * c['machine_share']:.0f} %")
        print(f"  other databases' busy backends (their CPU is in PostgreSQL's): mean "
              f"{c['other_databases_busy_mean']:.1f}, max {c['other_databases_busy_max']}")
        for label, w in (("during the storm", cs), ("after the storm", ca)):
            print(f"  {label}: gunicorn {w['gunicorn_cores']:.2f} cores, PostgreSQL "
                  f"{w['postgres_cores']:.2f} cores: server {100 * w['server_share']:.0f} % "
                  f"of the machine")

    floors = report.get("floors")
    if floors:
        print()
        print(f"-- Each read page alone: {floors['users_per_profile']} users of the profile "
              f"in a closed loop, {floors['phase_seconds']:.0f} s each (the first "
              f"{floors['warm_up_s']:.1f} s not counted)")
        bare_runs = ", ".join(f"{b['per_s']:.0f}" for b in floors["bare_runs"])
        print(f"bare one-query view: {floors['bare_per_s']:.1f} requests/s "
              f"(runs: {bare_runs}; p50 {floors['bare_runs'][0]['p50_ms']:.0f} ms; "
              f"{floors['bare_runs'][0]['cpu_ms_per_request']:.1f} CPU ms a request)")
        print(f"{'page/profile':<20}{'per s':>8}{'x bare':>8}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'gunicorn':>10}{'postgres':>10}{'CPU ms/req':>12}{'errors':>8}")
        for name, p in floors["pages"].items():
            flag = "" if p["ratio_to_bare"] >= 0.4 else "  < 0.4"
            print(f"{name:<20}{p['per_s']:>8.1f}{p['ratio_to_bare']:>7.2f}x"
                  f"{p['p50_ms']:>9.0f}{p['p95_ms']:>9.0f}{p['cpu']['gunicorn_cores']:>10.2f}"
                  f"{p['cpu']['postgres_cores']:>10.2f}{p['cpu_ms_per_request']:>12.1f}"
                  f"{p['errors']:>8}{flag}")
        print("(gunicorn, postgres: cores each used during the page's run; CPU ms/req: their "
              "CPU per answer)")
        c = floors["cpu"]
        print(f"CPU during the floors: gunicorn {c['gunicorn_cores']:.2f} cores, PostgreSQL "
              f"{c['postgres_cores']:.2f} cores, locust {c['locust_cores']:.2f} cores; other "
              f"databases' busy backends: mean {c['other_databases_busy_mean']:.1f}, max "
              f"{c['other_databases_busy_max']}")

    errors = report["errors"]
    print()
    if errors["count"]:
        print(f"ERRORS: {errors['count']} failed requests (logs: {report['logs']})")
        for error in errors["first"]:
            who = f" ({error['role']})" if error["role"] else ""
            print(f"  {error['name']}{who}: {error['error']}")
    else:
        print("errors: 0")


def compare(report: dict[str, Any], other_path: Path) -> list[str]:
    """This run beside another: each page's throughput alone and the morning's p95."""
    other = json.loads(other_path.read_text())
    lines = [f"-- Compared with {other_path} ({other['academie']['schools']:,} schools, "
             f"{other['academie']['accounts']:,} accounts; this run "
             f"{report['academie']['schools']:,}, {report['academie']['accounts']:,})",
             f"{'page/profile':<20}{'alone per s':>13}{'there':>8}{'slower by':>11}"]
    mine, theirs = report.get("floors") or {}, other.get("floors") or {}
    for name, p in (mine.get("pages") or {}).items():
        q = (theirs.get("pages") or {}).get(name)
        if not q or not p["per_s"]:
            continue
        slower = q["per_s"] / p["per_s"] - 1
        flag = "  > 20 %" if slower > 0.2 else ""
        lines.append(f"{name:<20}{p['per_s']:>13.1f}{q['per_s']:>8.1f}{100 * slower:>10.0f}%"
                     f"{flag}")
    mix, other_mix = report.get("mix") or {}, other.get("mix") or {}
    lines.append(f"{'morning page':<20}{'p95 ms':>13}{'there':>8}{'slower by':>11}")
    for name, p in (mix.get("pages") or {}).items():
        q = (other_mix.get("pages") or {}).get(name)
        if not q or not q["p95_ms"]:
            continue
        slower = p["p95_ms"] / q["p95_ms"] - 1
        flag = "  > 20 %" if slower > 0.2 else ""
        lines.append(f"{name:<20}{p['p95_ms']:>13.0f}{q['p95_ms']:>8.0f}{100 * slower:>10.0f}%"
                     f"{flag}")
    return lines


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--users", type=int, default=50,
                        help="locust users, one account each (default 50)")
    parser.add_argument("--teachers", type=int, default=None,
                        help="how many of the users are teachers (default 30 %%)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    parser.add_argument("--duration", default="60s",
                        help="the morning's length, storm included (e.g. 60s, 2m)")
    parser.add_argument("--wait", default="1-3",
                        help="seconds between a user's actions, MIN-MAX, or 0 (default 1-3)")
    parser.add_argument("--page-seconds", type=float, default=8,
                        help="length of each page's floor run; 0: no floors (default 8)")
    parser.add_argument("--page-users", type=int, default=None,
                        help="users of a profile in each floor run (default workers x threads)")
    parser.add_argument("--verify-seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--gunicorn-args", default="", help="more gunicorn options, quoted")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the server (and these settings)")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the built académie as a template and reuse it next time")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir())
                                                   / "preau-bench-rentree"),
                        help="where --reuse keeps the template's documents")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--compare", type=Path, help="a --json file to compare with")
    parser.add_argument("--planner-defaults", action="store_true",
                        help="leave PostgreSQL's defaults (random_page_cost 4, jit on) "
                             "instead of the settings docs/configuration.md asks for")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run's database and working folder")
    args = parser.parse_args(argv)
    if args.teachers is None:
        args.teachers = max(1, round(args.users * 0.3))
    if not 0 < args.teachers < args.users:
        parser.error("--teachers must be at least 1 and fewer than --users")
    page_users = args.page_users or args.workers * args.threads
    wait = args.wait if args.wait == "0" else "-".join(args.wait.split("-")[:2])

    ensure_locust()
    for item in args.env:
        name, _sep, value = item.partition("=")
        os.environ[name] = value
    work = Path(tempfile.mkdtemp(prefix="preau-bench-rentree-"))
    data_dir = work / "data"
    base_name = database_name(args.database)
    run_name = base_name
    template = (f"{base_name}_s{args.schools}_t{args.teachers}p{args.users - args.teachers}"
                f"_r{args.seed}v{SEED_VERSION}_{migrations_fingerprint()}")
    if len(template) > 63:
        parser.error(f"the template's name {template} is too long: shorten --database")
    entry = Path(args.cache_dir) / template if args.reuse else work / "template"
    setup_django(data_dir, with_database(args.database, run_name))
    server = None
    started = time.perf_counter()
    try:
        building = f"{template}_new"
        if args.reuse and database_exists(args.database, template) \
                and (entry / "sample.json").exists():
            print(f"académie: reusing the template {template}", flush=True)
        else:
            print(f"académie: building {args.schools} schools into {template}", flush=True)
            drop_database(args.database, building)
            with admin_connection(args.database) as conn:
                conn.execute(f'CREATE DATABASE "{building}"')
            use_database(building)
            sample = build_academie(args, work)
            use_database(run_name)
            drop_database(args.database, template)
            with admin_connection(args.database) as conn:
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            shutil.rmtree(entry, ignore_errors=True)
            entry.mkdir(parents=True)
            shutil.move(str(data_dir / "documents"), str(entry / "documents"))
            (entry / "sample.json").write_text(json.dumps(sample))
        sample = json.loads((entry / "sample.json").read_text())
        copy_started = time.perf_counter()
        drop_database(args.database, run_name)
        with admin_connection(args.database) as conn:
            conn.execute(f'CREATE DATABASE "{run_name}" TEMPLATE "{template}"')
            if not args.planner_defaults:  # docs/configuration.md, "PostgreSQL"
                for name, value in PLANNER_SETTINGS.items():
                    conn.execute(f'ALTER DATABASE "{run_name}" SET {name} = {value}')
        shutil.rmtree(data_dir / "documents", ignore_errors=True)
        shutil.copytree(entry / "documents", data_dir / "documents")
        print(f"run database {run_name}: copied in {time.perf_counter() - copy_started:.1f} s",
              flush=True)
        use_database(run_name)
        config = prepare_run(sample)
        config_path = work / "accounts.json"
        config_path.write_text(json.dumps(config))
        report: dict[str, Any] = {
            "version": 1, "command": sys.argv, "date": datetime.datetime.now(
                datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine(), "academie": academie_counts(),
            "sample": {"teachers": args.teachers, "parents": args.users - args.teachers},
        }
        pg_pid = postmaster_pid()
        print("Argon2 floor…", flush=True)
        report["argon2"] = argon2_floor(config["encoded"], args.workers, args.verify_seconds)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.rentree_site",
               "DATABASE_URL": with_database(args.database, run_name),
               "PREAU_DATA_DIR": str(data_dir), "PREAU_DEBUG": "false",
               "PREAU_SECRET_KEY": secrets.token_urlsafe(50),
               "PREAU_ALLOWED_HOSTS": "127.0.0.1", "PREAU_STORAGE": "local"}
        log = work / "gunicorn.log"
        server = start_gunicorn(args, env, port, log)
        wait_ready(server, base, log)
        warm_up(base, config["paths"]["login"])
        report["server"] = {
            "command": f"gunicorn preau.wsgi -k gthread --workers {args.workers} --threads "
                       f"{args.threads} --reuse-port {args.gunicorn_args}".strip(),
            "connections": connection_settings(), "env": args.env}
        report["logs"] = str(work)
        meter = CpuMeter(server.pid, pg_pid, run_name)

        seconds = parse_duration(args.duration)
        print(f"the morning: {args.users} users log in, then browse for {seconds:.0f} s…",
              flush=True)
        data, cpu = run_locust("mix", base, args.users, seconds + 1800, work, config_path,
                               {"RENTREE_WAIT": wait, "RENTREE_BROWSE_SECONDS": str(seconds)},
                               meter)
        report["mix"] = analyse_mix(data, report["argon2"]["verify_per_s"])
        report["mix"]["cpu"] = cpu
        storm_end = report["mix"]["storm"]["end"]
        report["mix"]["cpu_storm"] = meter.window(0, storm_end)
        report["mix"]["cpu_after_storm"] = meter.window(storm_end, float("inf"))
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped during the run:\n{log.read_text()[-3000:]}")

        if args.page_seconds > 0:
            phases = ["bare:teacher"]
            for page in data["read_pages"]:
                phases += [f"{page}:teacher", f"{page}:parent"]
            phases.append("bare:teacher")
            length = args.page_seconds * len(phases) + 60
            print(f"each page alone: {len(phases)} runs of {args.page_seconds:.0f} s…",
                  flush=True)
            data, cpu = run_locust(
                "pages", base, 2 * page_users, length, work, config_path,
                {"RENTREE_PHASES": ",".join(phases),
                 "RENTREE_PHASE_SECONDS": str(args.page_seconds),
                 "RENTREE_PAGE_USERS": str(page_users)}, meter)
            report["floors"] = analyse_floors(data, meter)
            report["floors"]["cpu"] = cpu
    finally:
        if server is not None:
            stop(server)
        close_connections()
        if not args.keep:
            drop_database(args.database, run_name)
        drop_database(args.database, f"{template}_new")
        if not args.reuse:
            drop_database(args.database, template)

    report["load_average_end"] = os.getloadavg()
    errors = report["mix"]["errors"] + (report.get("floors") or {}).get("errors", [])
    report["errors"] = {"count": len(errors), "first": errors[:10]}
    report["seconds"] = time.perf_counter() - started
    print_report(report)
    if args.compare:
        print()
        print("\n".join(compare(report, args.compare)))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
        print(f"figures written to {args.json}")
    if args.keep:
        print(f"kept the database {run_name} and {work}")
    elif not errors:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs kept in {work}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
