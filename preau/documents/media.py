"""What a file really is (sniffed from its bytes, never from its name) and its thumbnail."""

from __future__ import annotations

import io
import logging
from typing import IO

import magic
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from preau.documents import storage

log = logging.getLogger(__name__)
SNIFF_BYTES = 8192
# Shown inline on Préau's origin: only types that cannot carry script. Everything else
# (HTML, SVG, XML, text, office files…) is downloaded as an attachment.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                          "application/pdf"})
THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
THUMBNAIL_MAX_SOURCE = 40 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)
Image.MAX_IMAGE_PIXELS = 60_000_000  # beyond: a decompression bomb, no thumbnail


def sniff_type(content: IO[bytes] | UploadedFile) -> str:
    position = content.tell()
    head = content.read(SNIFF_BYTES)
    content.seek(position)
    if not head:
        return "application/octet-stream"
    return magic.from_buffer(head, mime=True) or "application/octet-stream"


def make_thumbnail(key: str, content_type: str, size: int) -> str:
    """A small PNG/JPEG of an image, stored beside it; "" when none can be made."""
    if content_type not in THUMBNAIL_TYPES or size > THUMBNAIL_MAX_SOURCE:
        return ""
    try:
        with storage.backend().open(key, "rb") as handle, Image.open(handle) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            if image.mode in ("RGBA", "LA", "P"):
                image.convert("RGBA").save(out, "PNG", optimize=True)
            else:
                image.convert("RGB").save(out, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError,
            ValueError) as error:
        log.info("no thumbnail for blob %s: %s", key, error)
        return ""
    thumb_key = storage.new_key("thumbs/")
    out.seek(0)
    storage.save(thumb_key, out)
    return thumb_key


def thumbnail_type(data_head: bytes) -> str:
    return "image/png" if data_head.startswith(b"\x89PNG") else "image/jpeg"
