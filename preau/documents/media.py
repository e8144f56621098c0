"""What a file really is (sniffed from its bytes, never from its name) and its thumbnail.

Préau never decodes an image in a web request, nor in the worker itself: the thumbnail job
(`documents.tasks.make_thumbnail`) runs `thumbnailer.py` in a child process that reads the
dimensions from the header first, refuses above `PREAU_IMAGE_MAX_PIXELS` without decoding,
and decodes within a memory cap (`PREAU_THUMBNAIL_MEMORY_MIB`) and a time limit
(`PREAU_THUMBNAIL_SECONDS`). Nothing here imports Pillow.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import magic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from preau.documents.models import ThumbnailState

log = logging.getLogger(__name__)
SNIFF_BYTES = 8192
# Shown inline on Préau's origin: only types that cannot carry script. Everything else
# (HTML, SVG, XML, text, office files…) is downloaded as an attachment.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                          "application/pdf"})
# The sniffed types that get a thumbnail, and the one Pillow format each may be opened as.
THUMBNAIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF",
                     "image/webp": "WEBP"}
THUMBNAIL_TYPES = frozenset(THUMBNAIL_FORMATS)
# Heavier files get no thumbnail (a WebP is read whole by its decoder).
THUMBNAIL_MAX_SOURCE = 40 * 1024 * 1024
THUMBNAILER = Path(__file__).with_name("thumbnailer.py")
# Beyond its own limits, the child gets this long (wall clock) before it is killed.
WALL_CLOCK_MARGIN = 5


def sniff_type(content: IO[bytes] | UploadedFile) -> str:
    position = content.tell()
    head = content.read(SNIFF_BYTES)
    content.seek(position)
    if not head:
        return "application/octet-stream"
    return magic.from_buffer(head, mime=True) or "application/octet-stream"


def first_thumbnail_state(content_type: str, size: int) -> str:
    """What a new version's thumbnail starts as: made later by the job, or never."""
    if content_type not in THUMBNAIL_TYPES:
        return ThumbnailState.NONE
    if size > THUMBNAIL_MAX_SOURCE:
        return ThumbnailState.TOO_LARGE
    return ThumbnailState.PENDING


@dataclass(frozen=True)
class Decoded:
    """What the child process made of an image. `thumbnail` is the output file's path when
    `state` is ready; `peak_kib` the child's peak resident memory (None if it was killed)."""

    state: str
    width: int | None = None
    height: int | None = None
    reason: str = ""
    peak_kib: int | None = None
    thumbnail: Path | None = None


def thumbnailer_command(source: Path, image_format: str, output: Path) -> list[str]:
    return [sys.executable, "-I", str(THUMBNAILER), str(source), image_format, str(output),
            str(settings.PREAU_IMAGE_MAX_PIXELS), str(settings.PREAU_THUMBNAIL_MEMORY_MIB),
            str(settings.PREAU_THUMBNAIL_SECONDS)]


def run_thumbnailer(source: Path, content_type: str, output: Path) -> Decoded:
    """Decode `source` in a child process under the memory and time limits; the thumbnail,
    if any, is written to `output`. Never raises for a bad image, a limit or a crash."""
    image_format = THUMBNAIL_FORMATS[content_type]
    seconds = settings.PREAU_THUMBNAIL_SECONDS
    try:
        # An empty environment: the child needs none, and must not see the database URL or
        # storage keys of the worker.
        done = subprocess.run(thumbnailer_command(source, image_format, output),  # noqa: S603
                              stdin=subprocess.DEVNULL, capture_output=True, env={},
                              timeout=seconds + WALL_CLOCK_MARGIN, check=False)
    except subprocess.TimeoutExpired:  # run() has killed it
        return Decoded(ThumbnailState.FAILED, reason=f"time limit ({seconds} s) reached")
    if done.returncode == -signal.SIGXCPU:
        return Decoded(ThumbnailState.FAILED, reason=f"time limit ({seconds} s) reached")
    if done.returncode < 0:
        return Decoded(ThumbnailState.FAILED, reason=f"killed by signal {-done.returncode}")
    try:
        found = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError, UnicodeDecodeError):
        error = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return Decoded(ThumbnailState.FAILED,
                       reason=f"exit {done.returncode}: {' '.join(error) or 'no answer'}")
    state = found.get("state")
    if state not in (ThumbnailState.READY, ThumbnailState.TOO_LARGE, ThumbnailState.FAILED):
        return Decoded(ThumbnailState.FAILED, reason=f"unexpected answer {found!r}")
    ready = state == ThumbnailState.READY and output.is_file() and output.stat().st_size > 0
    if state == ThumbnailState.READY and not ready:
        state, found["reason"] = ThumbnailState.FAILED, "no thumbnail written"
    return Decoded(state, width=found.get("width"), height=found.get("height"),
                   reason=str(found.get("reason", "")), peak_kib=found.get("peak_kib"),
                   thumbnail=output if ready else None)


def thumbnail_type(data_head: bytes) -> str:
    return "image/png" if data_head.startswith(b"\x89PNG") else "image/jpeg"
