"""Template helpers of the Espace documentaire."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.documents.models import Node
from preau.documents.sizes import size_label

register = template.Library()

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
