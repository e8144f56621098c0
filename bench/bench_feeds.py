"""Benchmark of the AAF1D feed import on PostgreSQL (a plain script).

    .venv/bin/python bench/bench_feeds.py [--schools 100] [--keep]
        [--database postgres://postgres@127.0.0.1:5432/preau_bench_feeds]

Drops and creates the database, migrates it (its own PREAU_DATA_DIR in a temporary folder),
creates the current school year, writes a synthetic académie with bench/generate_aaf1d.py
(about 308 accounts per school) and a copy with 5 % of the person records changed, then
times, in this order:

- first import of the académie (`do_import`, as `preau feed import` does);
- re-import of the unchanged files, as a daily feed sends them: recognised as the files of
  the last applied run (`_identical_run`), recorded as unchanged without reading a record;
- the same files again with `full=True` (`preau feed import --full`): every record parsed,
  its checksum compared, nothing written;
- re-import of the files with 5 % changes;
- the floor, in the same run: parsing the same files only (`parse_aaf` over every file),
  and COPYing one row per account, with the columns the importer writes, into a temporary
  copy of accounts_user (same indexes and constraints) through psycopg's `cursor.copy`.

The importer parses AAF files of 8 MiB or more in a second process while it writes
(`PREAU_FEED_PARSE_AHEAD_MIB`, `preau/feeds/parsers/ahead.py`): CPU times below include that
process's, and its peak resident memory is printed at the end.

Each import is printed in accounts per second (accounts = the académie's persons), with its
ratio to the floor (parse + COPY) and, for the re-imports, the speed-up over the first one.
Each step's CPU time (this process's and its PostgreSQL backend's) is printed too, with its
ratio to the floor's CPU time: on a machine shared with other work, wall times swing with the
load, CPU times much less.
Memory: the process's peak RSS after each step (`ru_maxrss`, never goes down) and, with
--tracemalloc, the peak of Python allocations during each import (slows the import about
twice); with --profile, each import runs under cProfile and its top functions are
printed; with --analyze, the whole database is ANALYZEd after each import (a real base gets
that from autovacuum between daily runs; a fresh one has no statistics). Each applied run
ANALYZEs by itself, once committed, the tables it changed enough (preau/feeds/statistics.py,
included in its time): the seconds that took and the number of tables are printed for
each import ("ANALYZE s"). Results and the machine are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import os
import platform
import pstats
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/preau_bench_feeds"
USER_COLUMNS = ["login", "first_name", "last_name", "display_name", "name_key", "profile",
                "birth_date", "email", "academic_email", "ine", "source", "external_prefix",
                "external_id", "feed_checksum", "state", "activation_code", "password",
                "created_at", "federated", "is_ent_admin", "is_superuser", "session_salt",
                "api_tokens_allowed"]


def recreate_database(url: str) -> None:
    """Drops and creates the benchmark database (connecting to the `postgres` one)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(data_dir: Path, url: str) -> None:
    """Point Préau at the benchmark database before Django reads its settings."""
    os.environ["PREAU_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PREAU_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "preau.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """The process's resident memory now (VmRSS of /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Samples the resident memory every 10 ms in a thread while a step runs: its peak
    above the resident memory at the start of the step is what the step itself needed
    (`ru_maxrss` never goes down, so it hides a step that needs less than an earlier one)."""

    def __init__(self) -> None:
        import threading

        self.start = current_rss_mib()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, current_rss_mib())

    def stop(self) -> float:
        """Stops sampling; returns the peak above the start, in MiB."""
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss_mib())
        return self.peak - self.start


def cpu_seconds() -> float:
    """CPU time used so far by this process, its ended child processes (the importer's
    parser process, `preau/feeds/parsers/ahead.py`) and its PostgreSQL backend (same host).

    Unlike wall time, it does not grow when other programs share the machine's cores, so
    it compares runs made under different loads."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parser process, once ended
    return (time.process_time() + children.ru_utime + children.ru_stime
            + (int(fields[11]) + int(fields[12])) / ticks)


def timed(step: Callable[[], Any], trace: bool
          ) -> tuple[float, Any, float | None, float, float]:
    """Runs `step`; returns its duration, its result, its tracemalloc peak (MiB), the
    CPU seconds it used (Python and PostgreSQL) and its peak resident memory above the
    resident memory at its start (MiB)."""
    if trace:
        tracemalloc.start()
    cpu = cpu_seconds()
    sampler = RssSampler()
    started = time.perf_counter()
    result = step()
    duration = time.perf_counter() - started
    above = sampler.stop()
    cpu = cpu_seconds() - cpu
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return duration, result, peak, cpu, above


def parse_all(paths: list[Path]) -> int:
    """The parse floor: every record of every file, nothing else."""
    from preau.feeds.parsers import parse_aaf

    count = 0
    for path in paths:
        for _record in parse_aaf(path, "aaf1d"):
            count += 1
    return count


def parser_process_memory(paths: list[Path]) -> tuple[float, int]:
    """The parser process's peak resident memory (MiB, VmRSS sampled every 10 ms) while
    every record of `paths` is read through it, and the number of records read."""
    import threading

    from preau.feeds.parsers.ahead import AheadParser

    parser = AheadParser(sorted(paths, key=_aaf_order), "aaf1d")
    status = Path(f"/proc/{parser._process.pid}/status")
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            try:
                text = status.read_text()
            except OSError:
                return
            for line in text.splitlines():
                if line.startswith("VmRSS:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    count = 0
    try:
        for path in sorted(paths, key=_aaf_order):
            for _record in parser.records(path):
                count += 1
    finally:
        done.set()
        sampler.join()
        parser.close()
    return peak[0], count


def _aaf_order(path: Path) -> tuple[int, str]:
    order = ("EtabEducNat", "Eleve", "PersRelEleve", "PersEducNat")
    kind = path.name.rsplit("_", 2)[-2]
    return (order.index(kind) if kind in order else len(order), path.name)


def user_rows(paths: list[Path], prefix: str) -> list[tuple[Any, ...]]:
    """One accounts_user row per person, with the columns the importer writes."""
    from preau.feeds.parsers import PersonRecord, parse_aaf

    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for path in paths:
        for r in parse_aaf(path, "aaf1d"):
            if not isinstance(r, PersonRecord):
                continue
            rows.append((
                f"{r.first_name}.{r.last_name}.{r.external_id}".lower()[:150], r.first_name,
                r.last_name, f"{r.first_name} {r.last_name}",
                f"{r.last_name} {r.first_name}".lower(), r.kind.value, r.birth_date, r.email,
                r.academic_email, r.ine, "AAF1D", prefix, r.external_id, "0" * 40, "pending",
                "ABCDEFGH", "!unusable", now, False, False, False, "", False))
    return rows


def copy_floor(rows: list[tuple[Any, ...]]) -> tuple[float, float]:
    """COPYs the rows into a temporary copy of accounts_user; returns the seconds taken
    and the CPU seconds used."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE floor_user (LIKE accounts_user INCLUDING ALL) "
                       "ON COMMIT DROP")
        raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        cpu = cpu_seconds()
        started = time.perf_counter()
        with raw.copy(f"COPY floor_user ({', '.join(USER_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("SELECT count(*) FROM floor_user")
        duration = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        assert cursor.fetchone()[0] == len(rows)
    return duration, cpu


# The tables a first import fills, in an order their foreign keys allow: (table, foreign
# keys as column -> referenced table). Schools and groups are loaded untimed (a few
# thousand rows); the others are the floor's rows.
FLOOR_TABLES: list[tuple[str, dict[str, str]]] = [
    ("directory_structure", {}),
    ("directory_group", {}),
    ("accounts_user", {}),
    ("accounts_userevent", {"user_id": "accounts_user", "actor_id": "accounts_user"}),
    ("directory_structureattachment", {"user_id": "accounts_user",
                                       "structure_id": "directory_structure"}),
    ("directory_membership", {"user_id": "accounts_user", "group_id": "directory_group",
                              "added_by_id": "accounts_user"}),
    ("directory_relativelink", {"relative_id": "accounts_user",
                                "student_id": "accounts_user"}),
]
UNTIMED = ("directory_structure", "directory_group")


def copy_all_floor() -> tuple[float, float, int]:
    """The floor with every row a first import writes: the accounts, their history lines,
    school attachments, group memberships and parent links as they are in the database,
    COPYed from Python tuples into temporary copies of their tables (same indexes), with
    the same deferred foreign keys between the copies, checked at the commit. Returns the
    seconds (COPYs and commit), the CPU seconds and the number of rows."""
    from django.db import connection, transaction

    def clone(table: str) -> str:
        return f"floor_{table}"

    with connection.cursor() as cursor:
        raw = cursor.cursor
        data: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table, _keys in FLOOR_TABLES:
            raw.execute("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = %s ORDER BY ordinal_position", [table])
            columns = raw.fetchall()
            select = ", ".join(f"{name}::text" if kind in ("json", "jsonb") else name
                               for name, kind in columns)
            raw.execute(f"SELECT {select} FROM {table} ORDER BY id")
            data[table] = ([name for name, _kind in columns], raw.fetchall())
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for table, keys in FLOOR_TABLES:
            raw.execute(f"CREATE TEMP TABLE {clone(table)} (LIKE {table} INCLUDING ALL)")
            for column, target in keys.items():
                raw.execute(f"ALTER TABLE {clone(table)} ADD FOREIGN KEY ({column}) "
                            f"REFERENCES {clone(target)} (id) DEFERRABLE INITIALLY DEFERRED")
        for table in UNTIMED:
            names, values = data[table]
            with raw.copy(f"COPY {clone(table)} ({', '.join(names)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        cpu = cpu_seconds()
        started = time.perf_counter()
        for table, _keys in FLOOR_TABLES:
            if table in UNTIMED:
                continue
            names, values = data[table]
            rows += len(values)
            with raw.copy(f"COPY {clone(table)} ({', '.join(names)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
    duration = time.perf_counter() - started  # the commit (foreign keys) included
    cpu = cpu_seconds() - cpu
    with connection.cursor() as cursor:
        for table, _keys in reversed(FLOOR_TABLES):
            cursor.execute(f"DROP TABLE {clone(table)}")
    return duration, cpu, rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also measure the Python allocation peak of each import")
    parser.add_argument("--profile", action="store_true",
                        help="run each import under cProfile and print where its time goes")
    parser.add_argument("--analyze", action="store_true",
                        help="ANALYZE the database after each import, as autovacuum would "
                             "between two daily runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="preau-bench-feeds-"))
    try:
        recreate_database(args.database)
        setup_django(work / "data", args.database)
        sys.path.insert(0, str(REPO / "bench"))
        from django.db import connection
        from generate_aaf1d import generate

        from preau.directory.models import SchoolYear
        from preau.feeds.actions import do_import

        SchoolYear.objects.create(name="2025-2026", start=datetime.date(2025, 9, 1),
                                  end=datetime.date(2026, 7, 4), is_current=True)
        started = time.perf_counter()
        plain = generate(work / "plain", schools=args.schools)
        changed = generate(work / "changed", schools=args.schools, change=0.05)
        print(f"generated {len(plain)} + {len(changed)} files in "
              f"{time.perf_counter() - started:.1f} s; peak RSS {rss_mib():.0f} MiB")

        results: list[tuple[str, float, Any, float | None, float, float, float, float]] = []

        def run(label: str, paths: list[Path], full: bool = False) -> None:
            def step() -> Any:
                return do_import(paths, format="aaf1d", academy="lille",
                                 today=datetime.date(2025, 9, 2), full=full)

            profiler = cProfile.Profile() if args.profile else None
            if profiler is not None:
                profiler.enable()
            duration, feed_run, peak, cpu, above = timed(step, args.tracemalloc)
            if profiler is not None:
                profiler.disable()
                print(f"--- {label}: profile (tottime, then cumulative)")
                stats = pstats.Stats(profiler).strip_dirs()
                stats.sort_stats("tottime").print_stats(15)
                stats.sort_stats("cumulative").print_stats(40)
            assert feed_run.status == "applied", (feed_run.status, feed_run.message)
            if args.analyze:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            analyze_s = (feed_run.report.get("analyze") or {}).get("seconds", 0.0)
            results.append((label, duration, feed_run.counts, peak, rss_mib(), cpu, above,
                            analyze_s))
            same = feed_run.options.get("identical_to")
            note = f"identical to run {same}, " if same else ""
            analyzed = feed_run.report.get("analyze")  # absent before statistics.py
            if analyzed:
                note += (f"ANALYZE of {len(analyzed['tables'])} tables "
                         f"{analyzed['seconds']:.2f} s, ")
            print(f"{label}: {duration:.2f} s ({cpu:.2f} s CPU), {note}"
                  f"{feed_run.report.get('issues_total', 0)} issues (warnings included), "
                  f"counts {feed_run.counts}; "
                  f"peak RSS {rss_mib():.0f} MiB, {above:.0f} MiB above the step's start",
                  flush=True)

        run("first import", plain)
        run("unchanged, same files", plain)
        run("unchanged, --full", plain, full=True)
        run("5 % changes re-import", changed)

        parse_s, records, _, parse_cpu, _ = timed(lambda: parse_all(plain), False)
        rows = user_rows(plain, "lille")
        copy_s, copy_cpu = copy_floor(rows)
        accounts = len(rows)
        floor = parse_s + copy_s
        floor_cpu = parse_cpu + copy_cpu
        all_s, all_cpu, all_rows = copy_all_floor()
        floor_all = parse_s + all_s
        print()
        print(f"machine: {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"académie: {args.schools} schools, {records} records, {accounts} accounts, "
              f"{sum(p.stat().st_size for p in plain) / 2**20:.0f} MiB of XML")
        print(f"floor: parse {parse_s:.2f} s ({records / parse_s:,.0f} records/s), "
              f"COPY {copy_s:.2f} s ({accounts / copy_s:,.0f} rows/s), "
              f"together {floor:.2f} s ({accounts / floor:,.0f} accounts/s); "
              f"CPU {parse_cpu:.2f} + {copy_cpu:.2f} = {floor_cpu:.2f} s")
        print(f"floor with every row written: parse {parse_s:.2f} s + COPY of {all_rows:,} "
              f"rows (accounts, history lines, attachments, memberships, parent links) and "
              f"the commit's foreign-key checks {all_s:.2f} s = {floor_all:.2f} s "
              f"(CPU {parse_cpu + all_cpu:.2f} s)")
        print()
        print("x floor = seconds / floor seconds (parse + COPY of the accounts); x all = "
              "seconds / floor with every row written; CPU s = CPU seconds of Python, its "
              "parser process and its PostgreSQL backend, which the machine's other load "
              "inflates much less; ANALYZE s = the run's own ANALYZE once committed, "
              "included in its seconds")
        print(f"{'step':<24}{'seconds':>9}{'accounts/s':>12}{'x floor':>9}{'x all':>7}"
              f"{'speed-up':>10}"
              f"{'CPU s':>8}{'CPU x floor':>13}{'peak RSS':>10}{'RSS +step':>11}"
              f"{'tracemalloc':>13}{'ANALYZE s':>11}")
        first = results[0][1]
        for label, duration, _counts, peak, rss, cpu, above, analyze_s in results:
            speedup = "" if label == "first import" else f"{first / duration:.1f}x"
            traced = f"{peak:.0f} MiB" if peak is not None else "-"
            print(f"{label:<24}{duration:>9.2f}{accounts / duration:>12,.0f}"
                  f"{duration / floor:>8.1f}x{duration / floor_all:>6.1f}x{speedup:>10}"
                  f"{cpu:>8.2f}{cpu / floor_cpu:>12.1f}x"
                  f"{rss:>6.0f} MiB{above:>7.0f} MiB{traced:>13}{analyze_s:>11.2f}")
        print(f"{'floor (parse + COPY)':<24}{floor:>9.2f}{accounts / floor:>12,.0f}"
              f"{'':>26}{floor_cpu:>8.2f}")
        print(f"{'floor, every row':<24}{floor_all:>9.2f}{accounts / floor_all:>12,.0f}"
              f"{'':>26}{parse_cpu + all_cpu:>8.2f}")
        try:
            child_peak, child_records = parser_process_memory(plain)
        except ImportError:  # an importer from before parsers/ahead.py (a "before" run)
            print("parser process: none (this importer parses in its own process)")
        else:
            print(f"parser process alone (as imports of 8 MiB or more use it): "
                  f"{child_records} records, peak RSS {child_peak:.0f} MiB")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
