"""Is the process running a feed run still alive? (A killed run must not stay "running".)

A run is one database transaction, so while it runs it cannot write a heartbeat that
others would see: its own writes stay invisible until it commits, and on SQLite the
import holds the only write lock. So instead of a heartbeat, a run records, when it
starts and outside its transaction, who runs it:

- `worker`: the host name, the process id and the process's start time (from
  `/proc/<pid>/stat` on Linux, so that a recycled process id is not taken for the run);
- `db_session`: on PostgreSQL, the id and start time of its database session
  (`pg_backend_pid()`, `pg_stat_activity.backend_start`).

A running run is *interrupted* when:

1. it was started on this host and its process is gone (or a zombie) — certain;
2. else, on PostgreSQL, its database session is gone — certain too: the session ends
   with the process (the server then rolls its transaction back);
3. else (another host without PostgreSQL, or a run recorded before these fields existed)
   when it started more than `STALE_AFTER` ago: no import lasts that long.

A *queued* run (a console upload or approval waiting for `preau db_worker`) has no process
yet: it is **lost** when its background task will never run it — a worker killed between
claiming the task and marking the run running leaves the task claimed and the run queued
for ever. The run records its task's id (`options["task"]`, database task backend only),
and is lost when that task is finished (succeeded or failed) while the run still waits,
when the task row is gone, or when the task was claimed more than `CLAIM_GRACE` ago: the
task marks the run running within a second of its claim.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone

from preau.feeds.models import FeedRun

STALE_AFTER = timedelta(hours=24)
CLAIM_GRACE = timedelta(minutes=10)
DATABASE_TASKS = "django_tasks_db.DatabaseBackend"


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _start_token(pid: int) -> str:
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else ""


def current_worker() -> str:
    """`host pid start` of this process (start empty where /proc does not exist)."""
    pid = os.getpid()
    return f"{socket.gethostname()} {pid} {_start_token(pid)}".strip()


def parse_worker(worker: str) -> tuple[str, int, str] | None:
    parts = worker.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""


def process_alive(pid: int, token: str = "") -> bool:
    """Whether the process of this host with this id (and start time) still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    fields = _proc_stat(pid)
    if fields is None:
        return not Path("/proc/self/stat").exists()  # no /proc: trust kill()
    if fields[0] == "Z":
        return False  # killed, not yet reaped by its parent
    return not token or (len(fields) > 19 and fields[19] == token)


def database_session() -> str:
    """`pid@start` of this connection's PostgreSQL session; empty on other databases."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, backend_start FROM pg_stat_activity "
                       "WHERE pid = pg_backend_pid()")
        row = cursor.fetchone()
    if row is None:
        return ""
    return f"{row[0]}@{row[1].isoformat()}"


def session_alive(session: str) -> bool:
    pid, _sep, started = session.partition("@")
    if not pid.isdigit():
        return True  # unreadable: do not guess
    with connection.cursor() as cursor:
        cursor.execute("SELECT backend_start FROM pg_stat_activity WHERE pid = %s",
                       [int(pid)])
        row = cursor.fetchone()
    return row is not None and row[0].isoformat() == started


def process_gone(worker: str, db_session: str, started_at: datetime,
                 now: datetime | None = None) -> bool:
    """Whether the process recorded as `worker` / `db_session` (a feed run's, a year change
    run's) is gone: the three rules of the module docstring."""
    parsed = parse_worker(worker)
    if parsed is not None and parsed[0] == socket.gethostname():
        return not process_alive(parsed[1], parsed[2])
    if db_session and connection.vendor == "postgresql":
        return not session_alive(db_session)
    return (now or timezone.now()) - started_at > STALE_AFTER


def is_interrupted(run: FeedRun, now: datetime | None = None) -> bool:
    """Whether a run still marked running lost its process (see the module docstring)."""
    if run.status != FeedRun.Status.RUNNING:
        return False
    return process_gone(run.worker, run.db_session, run.started_at, now)


def queued_task_lost(run: FeedRun, now: datetime | None = None) -> bool:
    """Whether a queued run's background task will never run it (see the module
    docstring). A run that recorded no task (another task backend) is never lost."""
    if run.status != FeedRun.Status.QUEUED or not run.options.get("task"):
        return False
    return task_lost(run.options["task"], now)


def task_lost(task_id: str, now: datetime | None = None) -> bool:
    """Whether a task of the database backend will never run: finished, gone, or claimed
    more than CLAIM_GRACE ago by a worker that did not start its run."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.filter(pk=task_id).values("status", "started_at").first()
    if task is None or task["status"] in (TaskResultStatus.SUCCESSFUL,
                                          TaskResultStatus.FAILED):
        return True
    if task["status"] == TaskResultStatus.RUNNING:
        started = task["started_at"]
        return started is None or (now or timezone.now()) - started > CLAIM_GRACE
    return False
