"""A private PostgreSQL server for the tests that must restart one.

The suite's PostgreSQL (127.0.0.1:5432) is shared with other test runs: a test never
restarts it. `PrivateCluster.create()` makes a throw-away cluster instead, with Debian's
binaries (`/usr/lib/postgresql/<version>/bin`, the newest): `initdb` into a temporary
folder, a server listening only on a Unix socket in that folder (so no port is taken from
anyone), trust authentication, `fsync` off. `initdb` refuses to run as root: as root the
binaries run as the `postgres` system user (`runuser -u postgres --`), otherwise as the
current user. `unavailable()` says why a cluster cannot be made here (no binaries, no
`postgres` user), for a clean skip.

`copy_database` fills a database of the cluster from one of the shared server (the test
database, migrated once per session) with `pg_dump | psql`: a second or two, where
migrating takes twenty.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PORT = 5432  # only names the socket file, in the cluster's own folder
DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def binaries() -> Path | None:
    """The newest Debian PostgreSQL binaries folder that has initdb and pg_ctl."""
    if not DEBIAN_BINARIES.is_dir():
        return None
    found = []
    for folder in DEBIAN_BINARIES.iterdir():
        bin_dir = folder / "bin"
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists() \
                and folder.name.isdigit():
            found.append((int(folder.name), bin_dir))
    return max(found)[1] if found else None


def _is_root() -> bool:
    return os.geteuid() == 0


def unavailable() -> str | None:
    """Why no private cluster can be made here, or None."""
    if binaries() is None:
        return f"no PostgreSQL server binaries under {DEBIAN_BINARIES}/*/bin"
    if _is_root():
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' system user (initdb refuses root)"
        if shutil.which("runuser") is None:
            return "running as root without runuser (initdb refuses root)"
    return None


@dataclass
class PrivateCluster:
    bin_dir: Path
    folder: Path  # holds data/, the socket and server.log

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder

    @classmethod
    def create(cls) -> PrivateCluster:
        bin_dir = binaries()
        assert bin_dir is not None, unavailable()
        # /tmp, not pytest's tmp_path: the postgres user must reach the folder, and a
        # Unix socket's path must stay short.
        folder = Path(tempfile.mkdtemp(prefix="preau-pg-", dir="/tmp" if _is_root() else None))
        cluster = cls(bin_dir, folder)
        if _is_root():
            entry = pwd.getpwnam("postgres")
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
                     "--no-sync", "-E", "UTF8", "--locale=C")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{folder}' "
                   f"-p {PORT} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=40")
        cluster._run("pg_ctl", "start", "-D", str(cluster.data), "-w", "-t", "60",
                     "-l", str(folder / "server.log"), "-o", options)
        return cluster

    def _run(self, program: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if _is_root():
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True,
                              timeout=120, **kwargs)

    def restart(self) -> float:
        """`pg_ctl restart -m fast` (every session is ended, as at a real restart);
        returns the seconds it took."""
        started = time.monotonic()
        # With its log file: the new server must not inherit (and hold open) a pipe of ours.
        self._run("pg_ctl", "restart", "-D", str(self.data), "-m", "fast", "-w", "-t", "60",
                  "-l", str(self.folder / "server.log"))
        return time.monotonic() - started

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def url(self, database: str, **options: str) -> str:
        """A DATABASE_URL for Préau (the socket folder as the host, percent-encoded)."""
        host = str(self.socket_dir).replace("/", "%2F")
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"postgres://postgres@{host}:{PORT}/{database}" + (f"?{query}" if query else "")

    def connect(self, database: str = "postgres") -> Any:
        """A plain psycopg connection (autocommit), for the test's own checks."""
        import psycopg

        return psycopg.connect(host=str(self.socket_dir), port=PORT, user="postgres",
                               dbname=database, autocommit=True)

    def copy_database(self, source: dict[str, Any], database: str) -> None:
        """Creates `database` here as a copy (schema and rows) of Django's `source`
        database settings (the shared server's)."""
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
        dump = subprocess.run(
            [str(self.bin_dir / "pg_dump"), "--no-owner", "--no-privileges",
             "-h", source.get("HOST") or "127.0.0.1", "-p", str(source.get("PORT") or 5432),
             "-U", source.get("USER") or "postgres", source["NAME"]],
            check=True, capture_output=True, env=env, timeout=120)
        subprocess.run(
            [str(self.bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h",
             str(self.socket_dir), "-p", str(PORT), "-U", "postgres", "-d", database],
            input=dump.stdout, check=True, capture_output=True, timeout=120)
