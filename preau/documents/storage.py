"""Where file bytes live: one interface, two backends (local disk, S3).

Blobs are stored under random keys ("ab/cd/<32 hex>"): a user's file name never reaches
the storage, so no path trick can escape it and no URL can be guessed. Bytes are always
served by Préau's views after an access check, never by the storage itself.

The backend is Django's storage alias "documents" (settings.STORAGES): FileSystemStorage
under PREAU_DATA_DIR/documents by default (an upload already spooled to disk by Django is
moved there, not copied), django-storages' S3Storage when PREAU_STORAGE=s3.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, storages

CHUNK = 1024 * 1024


def backend() -> Storage:
    return storages["documents"]


def new_key(prefix: str = "") -> str:
    token = uuid.uuid4().hex
    return f"{prefix}{token[:2]}/{token[2:4]}/{token}"


def save(key: str, content: IO[bytes] | File) -> None:
    wrapped = content if isinstance(content, File) else File(content)
    stored = backend().save(key, wrapped)
    if stored != key:  # a random key never collides; if it did, say so loudly
        backend().delete(stored)
        raise RuntimeError(f"storage renamed blob {key} to {stored}")


def _is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket") and hasattr(storage, "_normalize_name")


def stream(key: str, chunk: int = CHUNK) -> Iterator[bytes]:
    """The blob's bytes, chunk by chunk, whatever its size (memory stays flat)."""
    storage = backend()
    if _is_s3(storage):
        s3: Any = storage
        body = s3.bucket.Object(s3._normalize_name(key)).get()["Body"]
        try:
            yield from body.iter_chunks(chunk)
        finally:
            body.close()
        return
    with storage.open(key, "rb") as handle:
        while data := handle.read(chunk):
            yield data


def open_local_path(key: str) -> str | None:
    """The blob's path on disk when the backend is local (for a zero-copy FileResponse)."""
    storage = backend()
    try:
        return storage.path(key)
    except NotImplementedError:
        return None


def copy(source_key: str, target_key: str) -> None:
    storage = backend()
    if _is_s3(storage):
        s3: Any = storage
        s3.bucket.Object(s3._normalize_name(target_key)).copy(
            {"Bucket": s3.bucket.name, "Key": s3._normalize_name(source_key)})
        return
    with storage.open(source_key, "rb") as handle:
        save(target_key, handle)


def delete(keys: list[str]) -> None:
    storage = backend()
    for key in keys:
        if key:
            storage.delete(key)


def exists(key: str) -> bool:
    return backend().exists(key)
