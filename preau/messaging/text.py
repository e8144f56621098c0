"""Message bodies: rich text kept as sanitised HTML (nh3, an allow-list), never anything else.

The composer is a plain textarea: what it sends is either HTML (the allow-listed tags below,
as a rich-text editor would produce) or plain text. Text without any tag is escaped and its
lines become paragraphs and line breaks; otherwise lines without a tag (text typed above a
quoted reply) become paragraphs and the whole goes through nh3 with the allow-list.
Bodies are cleaned when saved and cleaned again when shown (`clean` is idempotent), so a
row written by any other path still cannot carry a script to a reader.
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_BODY = 200_000  # characters of HTML: a long letter is a few thousand
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def clean(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     clean_content_tags={"script", "style"}, link_rel="noopener noreferrer",
                     strip_comments=True)


def from_input(raw: str) -> str:
    """What the composer sent, as the HTML we store."""
    raw = (raw or "").replace("\r\n", "\n").strip()
    if not raw:
        return ""
    if _TAG.search(raw):
        # Text typed around HTML (above a quoted reply, say): its lines become paragraphs.
        lines = [line if _TAG.search(line) else f"<p>{escape(line)}</p>"
                 for line in raw.split("\n") if line.strip()]
        return clean("".join(lines))
    paragraphs = [p for p in re.split(r"\n\s*\n", raw) if p.strip()]
    return "".join("<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>"
                   for p in paragraphs)


def safe_html(body: str) -> SafeString:
    """For templates: the body, cleaned again (cheap), marked safe."""
    return mark_safe(clean(body))  # noqa: S308 - nh3's output with our allow-list


def plain_text(body: str) -> str:
    """The body as text (API excerpts, the start of a message in a list)."""
    text = strip_tags(body.replace("<br>", " ").replace("</p>", " ").replace("</li>", " "))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()
