"""Parsing ahead: a run's AAF files read in a second process while the importer writes.

A first import of an académie spends about a third of its time parsing XML (Python code
walking lxml's elements: it holds the interpreter) and most of the rest waiting for the
database. Parsing in a child process overlaps the two on a machine with two cores or
more: the child (`python -m preau.feeds.parsers.ahead FLAVOUR FILE…`) parses the files
in the order the importer reads them and writes their records, in batches, to its
standard output; the importer takes them as if it had parsed them itself, with the same
errors at the same place and the same warnings.

- Memory stays flat: a thread of the importer reads the pipe into a queue of at most
  `QUEUE_BATCHES` batches; when it is full, the child waits on the pipe.
- A malformed file still refuses the run where it is found: the child sends the
  FeedError, which `records` raises at that point of the stream, after the same records
  an in-process parse would have yielded.
- The child is a fresh interpreter that imports only the parsers: the Django process,
  its threads and its database connection are never forked. It is stopped when the run
  stops, whatever the reason, and stops by itself when nobody reads its output.
- Records cross the pipe pickled as their fields (`records.py`), which costs the
  importer about a fifth of what parsing them would.

Django-free like the rest of `parsers/`; `preau.feeds.inputs` decides when to use it.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from .aaf import parse_aaf
from .errors import FeedError, ParseIssue
from .records import Record

Flavour = Literal["aaf1d", "aaf"]
BATCH = 1000
"""Records per message: large enough that the pipe's cost per record is small."""
QUEUE_BATCHES = 32
"""How far ahead the child may go, in batches read (about 6 MiB of pickled records)."""
_HEADER = struct.Struct("<I")


def available() -> bool:
    """Whether a child interpreter can be started: `sys.executable` is a Python on a
    POSIX system (not, say, an application server embedding Python)."""
    name = Path(sys.executable or "").name
    return os.name == "posix" and name.startswith("python")


class ParserGone(RuntimeError):
    """The child stopped without finishing its files (killed, out of memory…)."""


class AheadParser:
    """Parses `files` (all of one flavour) in a child process, in this order, as soon as
    it is created.

    `records(path, warnings)` must be called for each file in the same order, each
    iterator consumed to its end (as `RunInput` does); `close()` stops the child."""

    def __init__(self, files: Sequence[Path], flavour: Flavour) -> None:
        self._files = [str(path) for path in files]
        self._next = 0
        package_root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen(  # noqa: S603 - our own module, our own files
            [sys.executable, "-m", __name__, flavour, *self._files],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
        self._queue: queue.Queue[bytes | None] = queue.Queue(QUEUE_BATCHES)
        self._reader = threading.Thread(target=self._read, name="preau-feed-parser-pipe",
                                        daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """The reader thread: frames from the pipe into the queue; None at the end."""
        stream = self._process.stdout
        assert stream is not None
        try:
            while True:
                header = stream.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    break
                (size,) = _HEADER.unpack(header)
                frame = stream.read(size)
                if len(frame) < size:
                    break
                self._queue.put(frame)
        except (OSError, ValueError):  # closed under us by close()
            pass
        self._queue.put(None)

    def records(self, path: Path, warnings: list[ParseIssue] | None = None
                ) -> Iterator[Record]:
        expected = self._files[self._next] if self._next < len(self._files) else None
        if str(path) != expected:
            raise RuntimeError(f"files read out of order: {path} asked, {expected} next")
        self._next += 1
        while True:
            frame = self._queue.get()
            if frame is None:
                self._queue.put(None)  # for a later call
                raise ParserGone("the feed parser process stopped (exit code "
                                 f"{self._process.wait()}) before the end of "
                                 f"{Path(path).name}")
            message = pickle.loads(frame)  # noqa: S301 - written by our own child
            kind = message[0]
            if kind == "records":
                yield from message[1]
            elif kind == "end":
                if warnings is not None:
                    warnings.extend(message[1])
                return
            elif kind == "refused":
                raise message[1]
            else:  # "failed": an unexpected error in the child, with its text
                raise ParserGone(f"the feed parser failed on {Path(path).name}: {message[1]}")

    def close(self) -> None:
        """Stops the child (at once if it is still parsing) and the reader thread."""
        if self._process.poll() is None:
            self._process.terminate()
        while self._reader.is_alive():  # unblock a reader waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._reader.join(timeout=0.05)
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _produce(flavour: Flavour, files: list[str], out: IO[bytes]) -> None:
    """The child: parses each file and sends ("records", batch)…, then ("end", warnings)
    per file, or ("refused", FeedError) and stops."""

    def send(message: tuple[Any, ...]) -> None:
        frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(frame)))
        out.write(frame)

    for path in files:
        warnings: list[ParseIssue] = []
        batch: list[Record] = []
        try:
            for record in parse_aaf(path, flavour, warnings=warnings):
                batch.append(record)
                if len(batch) == BATCH:
                    send(("records", batch))
                    batch = []
        except FeedError as exc:
            send(("records", batch))
            send(("refused", exc))
            return
        except Exception as exc:
            send(("records", batch))
            send(("failed", f"{type(exc).__name__}: {exc}"))
            return
        if batch:
            send(("records", batch))
        send(("end", warnings))


if __name__ == "__main__":
    # Ctrl-C at the terminal reaches the whole process group: the run handles it and
    # stops this process; no second traceback from here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _produce(sys.argv[1], sys.argv[2:], sys.stdout.buffer)  # type: ignore[arg-type]
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the run stopped reading: nothing left to do
        os._exit(0)
