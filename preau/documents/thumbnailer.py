"""Make one thumbnail, in a process of its own: the only place Préau decodes an image.

Run by the thumbnail job (`preau.documents.media.run_thumbnailer`) as
`python -I thumbnailer.py SOURCE FORMAT OUTPUT MAX_PIXELS MEMORY_MIB SECONDS`, never
imported by the web or the worker. It imports the standard library and Pillow only (no
Django, no settings, no database), limits itself before importing Pillow, then:

1. reads the image's dimensions from its header (Pillow's lazy `open` decodes nothing);
2. refuses above MAX_PIXELS without decoding (`too_large`);
3. decodes under Pillow's own decompression-bomb guard set to the same MAX_PIXELS (its
   warning band, between once and twice the limit, turned into an error), within an
   address-space cap of MEMORY_MIB (`RLIMIT_AS`: an allocation past it fails with
   MemoryError) and SECONDS of CPU (`RLIMIT_CPU`: the kernel stops the process);
4. writes a PNG (transparency) or JPEG of at most 320 x 320 pixels to OUTPUT.

It prints one JSON line: `state` (`ready`, `too_large`, `failed`), `width` and `height`
when the header could be read, `reason` when it failed, and `peak_kib`, its own peak
resident memory. A child killed by a limit prints nothing; the job says why from its exit.
"""

from __future__ import annotations

import json
import resource
import sys
import warnings
from typing import Any

THUMBNAIL_SIZE = (320, 320)
OUTPUT_MAX_BYTES = 16 * 1024 * 1024  # a 320 x 320 thumbnail is a few dozen KiB
FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})


def limit_self(memory_mib: int, seconds: int) -> None:
    """Caps this process before it touches the image (and before Pillow is imported)."""
    memory = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_MAX_BYTES, OUTPUT_MAX_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def peak_kib() -> int:
    """This program's peak resident memory. Linux's `ru_maxrss` would count the parent's
    before `exec`; the high-water mark of /proc starts with this program."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])  # kB
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def header_size(source: str, image_format: str) -> tuple[int, int]:
    """The dimensions the header announces. Pillow's own guard is off for this read only:
    a lazy `open` decodes nothing, and our refusal below names the dimensions."""
    from PIL import Image

    guard = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with Image.open(source, formats=[image_format]) as image:
            return image.size
    finally:
        Image.MAX_IMAGE_PIXELS = guard


def make(source: str, image_format: str, output: str, max_pixels: int) -> dict[str, Any]:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        width, height = header_size(source, image_format)
    except Exception as error:  # a damaged file raises anything from any plugin
        return {"state": "failed", "reason": f"unreadable header: {error!r}"}
    found: dict[str, Any] = {"width": width, "height": height}
    if width * height > max_pixels:
        return {"state": "too_large", **found}
    try:
        with Image.open(source, formats=[image_format]) as image:
            image.thumbnail(THUMBNAIL_SIZE)  # the decode (JPEG: at a reduced scale)
            if image.mode in ("RGBA", "LA", "P", "PA"):
                image.convert("RGBA").save(output, "PNG", optimize=True)
            else:
                image.convert("RGB").save(output, "JPEG", quality=80)
    except MemoryError:
        return {"state": "failed", "reason": "memory cap reached", **found}
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        return {"state": "too_large", "reason": str(error), **found}
    except Exception as error:
        return {"state": "failed", "reason": f"undecodable: {error!r}", **found}
    return {"state": "ready", **found}


def main(argv: list[str]) -> int:
    source, image_format, output, max_pixels, memory_mib, seconds = argv
    if image_format not in FORMATS:
        raise SystemExit(f"unexpected format {image_format!r}")
    limit_self(int(memory_mib), int(seconds))
    try:
        result = make(source, image_format, output, int(max_pixels))
    except MemoryError:  # importing Pillow or reading the header already past the cap
        result = {"state": "failed", "reason": "memory cap reached"}
    result["peak_kib"] = peak_kib()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
