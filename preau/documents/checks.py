"""System checks of the Espace documentaire's settings (run by `preau check` and at start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

MIB = 1024 * 1024
# Decoding an image takes up to 4 bytes a pixel, a quarter more while it is reduced, and
# the child process (Python and Pillow) about 30 MiB before it starts.
BYTES_PER_PIXEL = 5
CHILD_BASE = 64 * MIB


def thumbnail_memory_needed(max_pixels: int) -> int:
    """The memory cap (bytes) under which an image of `max_pixels` can still be decoded."""
    return max_pixels * BYTES_PER_PIXEL + CHILD_BASE


@register()
def check_thumbnail_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The memory cap must let the thumbnail job decode the largest image it accepts."""
    needed = thumbnail_memory_needed(settings.PREAU_IMAGE_MAX_PIXELS)
    if needed <= settings.PREAU_THUMBNAIL_MEMORY_MIB * MIB:
        return []
    return [Warning(
        f"PREAU_THUMBNAIL_MEMORY_MIB ({settings.PREAU_THUMBNAIL_MEMORY_MIB}) is too small "
        f"for images of PREAU_IMAGE_MAX_PIXELS ({settings.PREAU_IMAGE_MAX_PIXELS}) pixels: "
        "the largest accepted images will fail to decode and get no thumbnail.",
        hint=f"Set PREAU_THUMBNAIL_MEMORY_MIB to at least {-(-needed // MIB)}, or lower "
             "PREAU_IMAGE_MAX_PIXELS.",
        id="documents.W001",
    )]
