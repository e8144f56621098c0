"""Template helpers of the Espace documentaire."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from preau.documents.media import THUMBNAIL_MAX_SOURCE
from preau.documents.models import FileVersion, Node, ThumbnailState
from preau.documents.sizes import size_label

register = template.Library()
# A listing asks again for the icon of an image whose thumbnail is being made, every 3 s,
# this many times (a minute); a page loaded later shows the thumbnail anyway.
ICON_POLLS = 20

_FAMILIES = (
    ("image/", gettext_lazy("Image")),
    ("application/pdf", gettext_lazy("PDF")),
    ("audio/", gettext_lazy("Sound")),
    ("video/", gettext_lazy("Video")),
    ("text/", gettext_lazy("Text")),
    ("application/zip", gettext_lazy("Archive")),
)


@register.filter
def type_label(node: Node) -> str:
    """What a node is, in a word, from its sniffed type (never from its name)."""
    if node.is_folder:
        return _("Folder")
    for prefix, label in _FAMILIES:
        if node.content_type.startswith(prefix):
            return str(label)
    return _("Document")


@register.filter
def icon_kind(node: Node) -> str:
    """Which icon a row shows: folder, image, pdf or file."""
    if node.is_folder:
        return "folder"
    if node.content_type.startswith("image/"):
        return "image"
    if node.content_type == "application/pdf":
        return "pdf"
    return "file"


@register.filter
def size(value: int | None) -> str:
    """A size in bytes as users read it: "10 Go", "1,5 Go", "250 Mo", "1 octet"."""
    return size_label(int(value or 0))


@register.simple_tag(takes_context=True)
def thumbnail_poll(context: template.Context, node: Node) -> int:
    """The attempt number with which an icon asks again for itself while the file's
    thumbnail is being made (`documents:icon`, which sets `poll`), or 0: no need, or asked
    long enough."""
    version = node.current
    if node.is_folder or version is None or version.thumbnail_state != ThumbnailState.PENDING:
        return 0
    attempt = int(context.get("poll") or 1)
    return attempt if attempt <= ICON_POLLS else 0


@register.filter
def dimensions(version: FileVersion | None) -> str:
    """An image's size in pixels, as the header gave it to the thumbnail job."""
    if version is None or not version.width or not version.height:
        return ""
    return _("%(width)s × %(height)s pixels") % {  # noqa: RUF001 - French typography
        "width": number_format(version.width, 0, force_grouping=True),
        "height": number_format(version.height, 0, force_grouping=True)}


@register.filter
def image_note(version: FileVersion | None) -> str:
    """Why a file's page shows no preview of an image (and its listings no thumbnail)."""
    if version is None:
        return ""
    state = version.thumbnail_state
    keep = _("The file is kept as it is: download it to open it.")
    if state == ThumbnailState.PENDING:
        return _("The preview is being prepared: reload the page in a moment.")
    if state == ThumbnailState.TOO_LARGE and version.width and version.height:
        limit = round(settings.PREAU_IMAGE_MAX_PIXELS / 1_000_000, 1)
        return " ".join([ngettext(
            "No preview or thumbnail: this image is too large (%(dimensions)s, more than "
            "%(limit)s million pixels).",
            "No preview or thumbnail: this image is too large (%(dimensions)s, more than "
            "%(limit)s million pixels).", int(limit)) % {
                "dimensions": dimensions(version),
                "limit": number_format(limit, 0 if limit == int(limit) else 1)}, keep])
    if state == ThumbnailState.TOO_LARGE:
        return " ".join([_("No preview or thumbnail: this image file is too large (more than "
                           "%(size)s).") % {"size": size_label(THUMBNAIL_MAX_SOURCE)}, keep])
    if state == ThumbnailState.FAILED:
        return " ".join([_("No preview or thumbnail: this image could not be read (a "
                           "damaged file, or one too heavy to open)."), keep])
    return ""
