"""Benchmark of a large file's upload and download through the running server (a plain script).

    .venv/bin/python bench/bench_documents.py [--size-mib 1024] [--workers 1] [--threads 4]
                                              [--dir DIR] [--in-process-only] [--keep]

In a temporary directory (under --dir, default the system's temporary directory: the
source file, the copies and the server's PREAU_DATA_DIR all live on that one disk), it
migrates a fresh SQLite database (DATABASE_URL is ignored), creates a teacher and a
personal API token (`preau token create`), writes a file of random bytes of --size-mib
MiB, then measures, each once:

- **cp**: `cp` of the file to a new file on the same disk: the floor;
- **in-process upload**: the multipart body streamed from disk through Django's own
  request parsing with Préau's upload handlers (spooled to FILE_UPLOAD_TEMP_DIR), then
  `check_upload` (sniffing, quota, move into the document store). No HTTP: this line
  does not need the API;
- **in-process download**: `responses.file_response` iterated into a file on the disk;
- **HTTP upload**: `POST /api/v1/documents/` (multipart field `file`, `Authorization: Token
  <key>`) to gunicorn (gthread) serving `preau.wsgi`, the request body streamed from disk
  with a known Content-Length (never the whole file in memory);
- **HTTP download**: `GET /api/v1/documents/{id}/content` written to a file on the disk,
  then checked byte for byte (SHA-256) against the source outside the timing;
- **gunicorn body read alone**: the same streamed request body sent to a second gunicorn
  (same worker class and threads) whose WSGI app (`sink_application` below) only reads
  `wsgi.input` 1 MiB at a time and drops it: the HTTP server's own ceiling for an upload,
  without Django.

Each line gives MiB/s and the ratio to cp (the aim: at least 50 %), and the peak resident
memory above idle: of this process for the in-process lines, of the gunicorn worker(s)
for the HTTP lines (VmRSS from /proc/<pid>/status every 20 ms; the aim: flat, under
100 MiB whatever the size). Results and the machine are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
CHUNK = MIB
LOGIN = "bench.documents"


def setup_django(data_dir: Path, max_bytes: int) -> None:
    """Point Préau at a throw-away SQLite database before Django reads its settings."""
    os.environ["PREAU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["PREAU_STORAGE"] = "local"
    os.environ["PREAU_UPLOAD_MAX_BYTES"] = str(max_bytes)
    os.environ.setdefault("PREAU_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "preau.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def make_user_and_token(quota: int) -> tuple[Any, str]:
    from django.core.management import call_command

    from preau.accounts.actions import do_create_user
    from preau.accounts.models import Profile, Source, State
    from preau.documents.actions import do_set_user_quota

    call_command("migrate", verbosity=0)
    user = do_create_user(first_name="Banc", last_name="Essai", profile=Profile.TEACHER,
                          source=Source.MANUAL, login=LOGIN)
    user.state = State.ACTIVE
    user.save(update_fields=["state"])
    do_set_user_quota(user, quota)
    out = io.StringIO()
    call_command("token", "create", user.login, stdout=out)
    return user, out.getvalue().strip()


def sink_application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A WSGI app that reads the request body and drops it (the upload ceiling line)."""
    stream, received = environ["wsgi.input"], 0
    while data := stream.read(CHUNK):
        received += len(data)
    start_response("201 Created", [("Content-Type", "application/json")])
    return [json.dumps({"id": 0, "size": received}).encode()]


# -- memory -------------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class PeakRss:
    """Samples the summed VmRSS of `pids` until stopped; `peak` is the highest seen."""

    def __init__(self, pids: list[int], every: float = 0.02) -> None:
        self.pids, self.every = pids, every
        self.idle = sum(rss_bytes(p) for p in pids)
        self.peak = self.idle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(rss_bytes(p) for p in self.pids))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, sum(rss_bytes(p) for p in self.pids))

    @property
    def above_idle(self) -> int:
        return self.peak - self.idle


# -- the file and the multipart body --------------------------------------------------------


def write_random_file(path: Path, size: int) -> None:
    """Random bytes (incompressible), written 1 MiB at a time."""
    block = os.urandom(16 * MIB)
    with path.open("wb") as out:
        left = size
        while left:
            piece = block[: min(left, len(block))]
            # Vary each block so no two MiB of the file are equal.
            out.write(hashlib.sha256(left.to_bytes(8, "big")).digest() + piece[32:])
            left -= len(piece)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while data := handle.read(CHUNK):
            digest.update(data)
    return digest.hexdigest()


@dataclass
class Multipart:
    """A multipart/form-data body with one file part, streamed from disk."""

    path: Path
    name: str
    boundary: str = ""

    def __post_init__(self) -> None:
        self.boundary = self.boundary or f"preau-bench-{uuid.uuid4().hex}"
        self.head = (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                     f"filename=\"{self.name}\"\r\nContent-Type: application/octet-stream\r\n"
                     f"\r\n").encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as handle:
            while data := handle.read(CHUNK):
                yield data
        yield self.tail


class IterReader(io.RawIOBase):
    """A read()-able stream over an iterator of bytes (Django's wsgi.input)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.rest:
            try:
                self.rest = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.rest))
        buffer[:size] = self.rest[:size]
        self.rest = self.rest[size:]
        return size


# -- measures --------------------------------------------------------------------------------


@dataclass
class Measure:
    label: str
    seconds: float
    size: int
    memory: int | None = None  # bytes above idle

    @property
    def mib_s(self) -> float:
        return self.size / MIB / self.seconds


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def measure_cp(source: Path, target: Path) -> Measure:
    seconds, _ = timed(lambda: subprocess.run(["cp", str(source), str(target)], check=True))
    target.unlink()
    return Measure("cp (floor)", seconds, source.stat().st_size)


def in_process_upload(user: Any, source: Path, name: str) -> tuple[Measure, Any]:
    from django.core.handlers.wsgi import WSGIRequest

    from preau.documents.actions import check_upload

    body = Multipart(source, name)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SCRIPT_NAME": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
               "CONTENT_TYPE": body.content_type, "CONTENT_LENGTH": str(body.length),
               "wsgi.input": io.BufferedReader(IterReader(body.chunks()), CHUNK)}

    def run() -> Any:
        request = WSGIRequest(environ)
        upload: Any = request.FILES["file"]
        try:
            return check_upload(user, upload)
        finally:
            upload.close()

    with PeakRss([os.getpid()]) as memory:
        seconds, node = timed(run)
    return Measure("in-process upload (Django parsing + check_upload)", seconds,
                   source.stat().st_size, memory.above_idle), node


def in_process_download(node: Any, target: Path) -> Measure:
    from preau.documents.responses import file_response

    def run() -> None:
        response: Any = file_response(node)
        with target.open("wb") as out:
            for data in response.streaming_content:
                out.write(data)
        response.close()

    with PeakRss([os.getpid()]) as memory:
        seconds, _ = timed(run)
    size = target.stat().st_size
    target.unlink()
    return Measure("in-process download (file_response)", seconds, size, memory.above_idle)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def workers(self) -> list[int]:
        return children_of(self.process.pid)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)


def start_gunicorn(workers: int, threads: int, log: Path, app: str = "preau.wsgi") -> Server:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), app, "--worker-class", "gthread", "--workers", str(workers),
         "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "900"],
        cwd=REPO, env=os.environ.copy(), stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}): see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            if len(server.workers()) >= workers:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s: see {log}")


def api_request(server: Server, method: str, path: str, key: str,
                body: Multipart | None = None) -> tuple[int, bytes]:
    connection = server.connection()
    connection.putrequest(method, path)
    connection.putheader("Authorization", f"Token {key}")
    if body is not None:
        connection.putheader("Content-Type", body.content_type)
        connection.putheader("Content-Length", str(body.length))
    connection.endheaders()
    if body is not None:
        for data in body.chunks():
            connection.send(data)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, content


def http_upload(server: Server, key: str, source: Path, name: str,
                label: str = "HTTP upload (POST /api/v1/documents/)") -> tuple[Measure, int]:
    body = Multipart(source, name)
    with PeakRss(server.workers()) as memory:
        seconds, (status, content) = timed(
            lambda: api_request(server, "POST", "/api/v1/documents/", key, body))
    if status != 201:
        raise RuntimeError(f"upload answered {status}: {content[:500]!r}")
    return Measure(label, seconds, source.stat().st_size,
                   memory.above_idle), int(json.loads(content)["id"])


def http_download(server: Server, key: str, node_id: int, target: Path) -> Measure:
    def run() -> int:
        connection = server.connection()
        connection.request("GET", f"/api/v1/documents/{node_id}/content",
                           headers={"Authorization": f"Token {key}"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"download answered {response.status}: {response.read(500)!r}")
        with target.open("wb") as out:
            while data := response.read(CHUNK):
                out.write(data)
        connection.close()
        return target.stat().st_size

    with PeakRss(server.workers()) as memory:
        seconds, size = timed(run)
    return Measure("HTTP download (GET …/content)", seconds, size, memory.above_idle)


def report(measures: list[Measure], floor: Measure) -> None:
    print(f"\n{'measure':52} {'seconds':>8} {'MiB/s':>8} {'vs cp':>6} {'peak RSS':>12}")
    for m in measures:
        memory = "" if m.memory is None else f"+{m.memory / MIB:.1f} MiB"
        print(f"{m.label:52} {m.seconds:8.2f} {m.mib_s:8.0f} {m.mib_s / floor.mib_s:6.0%} "
              f"{memory:>12}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--dir", default=None, help="where to work (one disk)")
    parser.add_argument("--in-process-only", action="store_true",
                        help="skip the HTTP lines (no server, no API needed)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()
    size = args.size_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="preau-bench-documents-", dir=args.dir))
    started = time.perf_counter()
    server: Server | None = None
    try:
        setup_django(work / "data", max_bytes=size + MIB)
        import django
        from django.db import connection

        user, key = make_user_and_token(quota=4 * size + 100 * MIB)
        source = work / "source.bin"
        seconds, _ = timed(lambda: write_random_file(source, size))
        print(f"Préau documents benchmark — CPython {platform.python_version()}, Django "
              f"{django.get_version()}, SQLite {sqlite3.sqlite_version}, "
              f"{os.cpu_count()} CPU(s), {platform.machine()}")
        print(f"Working in {work} ({shutil.disk_usage(work).free // MIB} MiB free); "
              f"wrote a {args.size_mib} MiB random file in {seconds:.1f} s.")
        floor = measure_cp(source, work / "cp.bin")
        measures = [floor]
        upload_measure, node = in_process_upload(user, source, "en-processus.bin")
        measures.append(upload_measure)
        measures.append(in_process_download(node, work / "in-process.bin"))
        if not args.in_process_only:
            # Release the SQLite connection: the server writes to the same database.
            connection.close()
            server = start_gunicorn(args.workers, args.threads, work / "gunicorn.log")
            status, content = api_request(server, "GET", "/api/v1/me/", key)  # warm-up
            if status != 200:
                raise RuntimeError(f"/api/v1/me/ answered {status}: {content[:300]!r}")
            upload_measure, node_id = http_upload(server, key, source, "Été 2026 — vidéo.bin")
            measures.append(upload_measure)
            target = work / "downloaded.bin"
            measures.append(http_download(server, key, node_id, target))
            if target.stat().st_size != size or sha256_of(target) != sha256_of(source):
                raise RuntimeError("the downloaded file differs from the source")
            target.unlink()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=30)
            server = start_gunicorn(args.workers, args.threads, work / "sink.log",
                                    app="bench.bench_documents:sink_application")
            measures.append(http_upload(server, key, source, "sink.bin",
                                        "gunicorn body read alone (no Django)")[0])
            print(f"gunicorn gthread: {args.workers} worker(s), {args.threads} threads; "
                  "the download matched the source (SHA-256).")
        report(measures, floor)
        print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    finally:
        if server is not None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
