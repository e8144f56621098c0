"""Send a file's bytes: the one place the web pages and the API build a download.

Streamed chunk by chunk (memory stays flat whatever the size; a local file goes through
`FileResponse`, which the WSGI server may send with sendfile). The name, accents included,
travels in `Content-Disposition` (RFC 6266 `filename*`). Only images and PDF are shown
inline; everything else, HTML and SVG first, is an attachment served as
`application/octet-stream` under a sandboxing CSP, so an uploaded page can never run on
Préau's origin.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from preau.documents import storage
from preau.documents.media import INLINE_TYPES, thumbnail_type
from preau.documents.models import FileVersion, Node

SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
# Chromium refuses to run its PDF viewer in a sandboxed document (crbug.com/413851), so an
# inline PDF (served as application/pdf with nosniff: never parsed as a page) gets a strict
# policy without `sandbox`; its viewer needs inline styles. Framed only by Préau's own pages.
PDF_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
           "object-src 'self'; frame-ancestors 'self'")


def file_response(node: Node, version: FileVersion | None = None, *,
                  inline: bool = False) -> HttpResponseBase:
    version = version or node.current
    if version is None:
        raise ValueError("a file node always has a current version")
    return blob_response(version.blob_key, size=version.size, content_type=version.content_type,
                         name=node.name, inline=inline)


def blob_response(key: str, *, size: int, content_type: str, name: str,
                  inline: bool = False) -> HttpResponseBase:
    """Any stored blob (a document's version, a message's attachment) under the same policy."""
    inline = inline and content_type in INLINE_TYPES
    content_type = content_type if inline else "application/octet-stream"
    path = storage.open_local_path(key)
    response: HttpResponseBase
    if path is not None:
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115
        # Read 1 MiB at a time, not Django's 4 KiB, where the server cannot use sendfile.
        response.block_size = storage.CHUNK
    else:
        response = StreamingHttpResponse(storage.stream(key), content_type=content_type)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(not inline, name) or ""
    response["X-Content-Type-Options"] = "nosniff"
    pdf = inline and content_type == "application/pdf"
    response["Content-Security-Policy"] = PDF_CSP if pdf else SANDBOX_CSP
    response["Cache-Control"] = "no-store, private"
    return response


def thumbnail_response(version: FileVersion) -> HttpResponse:
    data = b"".join(storage.stream(version.thumbnail_key))
    response = HttpResponse(data, content_type=thumbnail_type(data[:8]))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"  # as every answer to a logged-in user
    return response
