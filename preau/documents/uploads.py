"""Stop reading an upload as soon as one file passes the per-file limit.

Django spools uploads to FILE_UPLOAD_TEMP_DIR chunk by chunk (memory stays flat); this
handler, first in FILE_UPLOAD_HANDLERS, counts the bytes of each file and aborts the
request's parsing once PREAU_UPLOAD_MAX_BYTES is passed, so a 50 GiB upload never fills
the disk. The view then finds `request.preau_upload_too_large` and answers 413.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)

# Django parses a multipart body in chunks of the smallest handler chunk size (64 KiB by
# default); 1 MiB chunks cut the per-chunk Python work of a large upload by 16.
CHUNK = 1024 * 1024


class SizeLimitUploadHandler(FileUploadHandler):
    chunk_size = CHUNK
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.PREAU_UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.preau_upload_too_large = self.file_name  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class MemoryUploadHandler(MemoryFileUploadHandler):
    chunk_size = CHUNK


class DiskUploadHandler(TemporaryFileUploadHandler):
    chunk_size = CHUNK
