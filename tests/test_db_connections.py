"""Database connections: kept between requests, checked before use, outliving a restart.

On PostgreSQL each thread of a server process keeps its connection for
PREAU_DB_CONN_MAX_AGE seconds and Django checks it at the start of each request
(CONN_HEALTH_CHECKS); SQLite keeps its defaults. The settings are checked in a fresh
process, as a server starts.

The rest runs a real stack against a **private PostgreSQL cluster** (tests/pgcluster.py:
the suite's shared server is never restarted): gunicorn with gthread workers (1 worker,
4 threads) and `preau db_worker`, each naming its sessions (`application_name`) so that
`pg_stat_activity` tells their connections apart. It checks that requests reuse their
thread's connection, that concurrent requests each get a working one and never more than
the threads, that the worker runs its jobs on one kept connection, and that after
`pg_ctl restart -m fast` (and after `pg_terminate_backend`) every request and job succeeds
with new connections. Skipped, with the reason, where no private cluster can be made.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import pgcluster

REPO = Path(__file__).resolve().parent.parent
THREADS = 4
WEB_NAME = "preau-test-web"
WORKER_NAME = "preau-test-worker"


def _settings_of(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The default database's settings as a fresh process reads them (the settings module
    alone: what a server reads first when it starts)."""
    code = ("import json, preau.settings as s; d = s.DATABASES['default']; "
            "print(json.dumps({k: d.get(k) for k in "
            "('ENGINE', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', 'OPTIONS')}))")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=False)


def _database(env: dict[str, str]) -> dict[str, Any]:
    result = _settings_of(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PREAU_DB_CONN_MAX_AGE")}
    return {**env, "PREAU_DATA_DIR": str(tmp_path), **values}


def test_postgresql_connections_are_kept_and_checked(tmp_path):
    url = "postgres://preau@db.example.org:5432/preau"
    kept = _database(_env(tmp_path, DATABASE_URL=url))
    assert kept["CONN_MAX_AGE"] == 300 and kept["CONN_HEALTH_CHECKS"] is True
    assert kept["OPTIONS"]["application_name"] == "preau"
    named = _database(_env(tmp_path, DATABASE_URL=url + "?application_name=preau-worker",
                           PREAU_DB_CONN_MAX_AGE="0"))
    assert named["CONN_MAX_AGE"] == 0 and named["CONN_HEALTH_CHECKS"] is True
    assert named["OPTIONS"]["application_name"] == "preau-worker"
    # SQLite keeps its defaults: a new connection per request, no check.
    embedded = _database(_env(tmp_path, PREAU_DB_CONN_MAX_AGE="600"))
    assert embedded["ENGINE"].endswith("sqlite3")
    assert embedded["CONN_MAX_AGE"] == 0 and embedded["CONN_HEALTH_CHECKS"] is False
    assert "application_name" not in embedded["OPTIONS"]


def test_a_negative_connection_age_stops_the_start(tmp_path):
    result = _settings_of(_env(tmp_path, DATABASE_URL="postgres://preau@db.example.org/preau",
                               PREAU_DB_CONN_MAX_AGE="-1"))
    assert result.returncode != 0
    assert "PREAU_DB_CONN_MAX_AGE must be 0 or more seconds" in result.stderr


# -- A real stack on a private cluster -----------------------------------------------------

# A small world in the private database, with sessions of a logged-in teacher and ENT admin.
SETUP = """
import json, django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from preau.directory.models import Structure
from tests.personas import build_personas
p = build_personas()
school = Structure.objects.create(uai="0610001A", name="École Alençon", academy=p.academy,
                                  has_feed=False)
def session_of(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "preau.accounts.backends.LocalPasswordBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
print(json.dumps({"teacher": session_of(p.teacher), "admin": session_of(p.ent_admin),
                  "school": school.pk}))
"""
UPLOAD = "/administration/alimentation/importer/"
ONDE_FILES = sorted((REPO / "tests" / "feeds" / "data" / "onde-csv").glob("*.csv"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _multipart(fields: list[tuple[str, str]], files: list[Path]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    for path in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"feed_files\"; "
                 f"filename=\"{path.name}\"\r\nContent-Type: text/csv\r\n\r\n").encode()
        body += path.read_bytes() + b"\r\n"
    return f"multipart/form-data; boundary={boundary}", body + f"--{boundary}--\r\n".encode()


@dataclass
class Stack:
    cluster: pgcluster.PrivateCluster
    port: int
    world: dict[str, Any]
    web: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    logs: Path

    def request(self, method: str, path: str, session: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage,
                                                                str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body,
                         headers={"Cookie": f"sessionid={session}", **(headers or {})})
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            conn.close()

    def get(self) -> int:
        """The teacher's home page; the HTTP status, or 0 when the server did not answer."""
        try:
            return self.request("GET", "/", self.world["teacher"])[0]
        except OSError:
            return 0

    def burst(self, count: int, at_once: int) -> list[int]:
        with ThreadPoolExecutor(at_once) as pool:
            return list(pool.map(lambda _n: self.get(), range(count)))

    def sessions(self, name: str) -> set[tuple[int, str]]:
        """(pid, backend_start) of the sessions named `name` (web or worker)."""
        with self.cluster.connect("preau") as conn:
            rows = conn.execute("SELECT pid, backend_start::text FROM pg_stat_activity "
                                "WHERE application_name = %s", [name]).fetchall()
        return {(pid, start) for pid, start in rows}

    def upload(self) -> int:
        """An ENT admin uploads the ONDE test files in the console: the run is queued for
        the worker. Returns its id."""
        admin = self.world["admin"]
        status, headers, page = self.request("GET", UPLOAD, admin)
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
        assert token and cookie, headers
        content_type, body = _multipart(
            [("csrfmiddlewaretoken", token[1]), ("format", "onde-csv"),
             ("school", str(self.world["school"]))], ONDE_FILES)
        status, headers, page = self.request(
            "POST", UPLOAD, f"{admin}; csrftoken={cookie[1]}", body,
            {"Content-Type": content_type, "Referer": f"http://127.0.0.1:{self.port}{UPLOAD}"})
        assert status == 302, page
        return int(headers["Location"].rstrip("/").rsplit("/", 1)[1])

    def wait_for_run(self, run_id: int, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        status = "?"
        while time.monotonic() < deadline:
            with self.cluster.connect("preau") as conn:
                status = conn.execute("SELECT status FROM feeds_feedrun WHERE id = %s",
                                      [run_id]).fetchone()[0]
            if status not in ("queued", "running"):
                return str(status)
            assert self.worker.poll() is None, self.tail("worker.log")
            time.sleep(0.2)
        return status

    def tail(self, name: str) -> str:
        return (self.logs / name).read_text(errors="replace")[-4000:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture
def stack(db, tmp_path) -> Iterator[Stack]:
    cluster = pgcluster.PrivateCluster.create()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # The migrated test database, as committed: its tables and the migrations' rows.
        cluster.copy_database(dict(connection.settings_dict), "preau")
        # The ENT admin's session uploads with its password alone: connections are tested
        # here, not the second factor (tests/accounts/test_second_factor.py).
        env = {**_env(tmp_path / "data"), "PREAU_TASKS_BACKEND": "database",
               "PREAU_ADMIN_SECOND_FACTOR": "false",
               "DATABASE_URL": cluster.url("preau", application_name=WEB_NAME)}
        setup = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=REPO,
                               capture_output=True, text=True, timeout=300, check=False)
        assert setup.returncode == 0, setup.stderr
        world = json.loads(setup.stdout.strip().splitlines()[-1])
        port = _free_port()
        with (tmp_path / "web.log").open("wb") as web_log, \
                (tmp_path / "worker.log").open("wb") as worker_log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "preau.wsgi", "-k", "gthread",
                 "--workers", "1", "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}",
                 "--graceful-timeout", "5"],
                env=env, cwd=REPO, stdout=web_log, stderr=subprocess.STDOUT))
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "preau", "db_worker", "--interval", "0.2",
                 "--no-startup-delay"],
                env={**env, "DATABASE_URL": cluster.url("preau", application_name=WORKER_NAME)},
                cwd=REPO, stdout=worker_log, stderr=subprocess.STDOUT))
        running = Stack(cluster, port, world, processes[0], processes[1], tmp_path)
        deadline = time.monotonic() + 120
        while running.get() != 200:
            assert processes[0].poll() is None, running.tail("web.log")
            assert time.monotonic() < deadline, running.tail("web.log")
            time.sleep(0.3)
        yield running
    finally:
        for process in processes:
            _stop(process)
        cluster.destroy()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL's connections (the PostgreSQL run of the suite)")
@pytest.mark.skipif(pgcluster.unavailable() is not None,
                    reason=f"no private PostgreSQL cluster: {pgcluster.unavailable()}")
@pytest.mark.django_db  # so that the migrated test database exists, to be copied
def test_connections_are_kept_checked_and_outlive_a_restart(stack):
    # 1. Under gunicorn's threads, concurrent requests (twice as many as threads) each get
    #    a working connection; then the same sessions serve every later request.
    assert stack.burst(40, at_once=2 * THREADS) == [200] * 40
    web = stack.sessions(WEB_NAME)
    assert 1 <= len(web) <= THREADS, web
    peak = [0]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            peak[0] = max(peak[0], len(stack.sessions(WEB_NAME)))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        assert stack.burst(64, at_once=2 * THREADS) == [200] * 64
    finally:
        sampling.set()
        sampler.join()
    assert peak[0] <= THREADS, peak
    assert stack.sessions(WEB_NAME) == web, "requests opened new connections"

    # 2. The worker runs its jobs (feed imports uploaded in the console) on one connection.
    assert stack.wait_for_run(stack.upload()) == "applied", stack.tail("worker.log")
    worker = stack.sessions(WORKER_NAME)
    assert len(worker) == 1, worker
    assert stack.wait_for_run(stack.upload()) == "applied", stack.tail("worker.log")
    assert stack.sessions(WORKER_NAME) == worker, "the worker opened a new connection"

    # 3. PostgreSQL restarts: every session is ended. The next requests find their
    #    connection dead before using it and open a new one: none fails. The worker, which
    #    polls every 0.2 s, finds the server down for a moment, waits and polls again.
    web = stack.sessions(WEB_NAME)
    stack.cluster.restart()
    assert stack.burst(40, at_once=2 * THREADS) == [200] * 40, stack.tail("web.log")
    after = stack.sessions(WEB_NAME)
    assert after and not after & web and len(after) <= THREADS, (web, after)
    assert stack.wait_for_run(stack.upload()) == "applied", stack.tail("worker.log")
    assert stack.worker.poll() is None, stack.tail("worker.log")
    assert stack.sessions(WORKER_NAME) and not stack.sessions(WORKER_NAME) & worker

    # 4. The same when an administrator ends the sessions (pg_terminate_backend).
    with stack.cluster.connect("preau") as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name IN (%s, %s)", [WEB_NAME, WORKER_NAME])
    assert stack.burst(24, at_once=2 * THREADS) == [200] * 24, stack.tail("web.log")
    assert not stack.sessions(WEB_NAME) & after
    assert stack.wait_for_run(stack.upload()) == "applied", stack.tail("worker.log")
    assert stack.worker.poll() is None, stack.tail("worker.log")
