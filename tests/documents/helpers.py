from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from preau.accounts.models import User
from preau.documents.actions import check_upload
from preau.documents.models import Node


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PNG_1PX = png_bytes((1, 1))


def upload(user: User, name: str = "notes.txt", data: bytes = b"hello world\n",
           folder: Node | None = None) -> Node:
    return check_upload(user, SimpleUploadedFile(name, data), folder)
