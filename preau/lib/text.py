"""Text helpers: one line of text as Préau keeps it, login slugs, French-friendly search."""

import re
import unicodedata
from functools import lru_cache

_NON_LOGIN = re.compile(r"[^a-z0-9]+")


def strip_accents(value: str) -> str:
    if value.isascii():  # nothing to decompose: the common case, made cheap for the feeds
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=2**14)
def login_part(value: str) -> str:
    """'Jean-Noël ' -> 'jeannoel': accents and punctuation stripped, lower case. Cached:
    a feed import calls it for every first and last name, and names repeat."""
    ascii_value = strip_accents(value).lower().replace("æ", "ae").replace("œ", "oe")
    return _NON_LOGIN.sub("", ascii_value)


def search_key(value: str) -> str:
    """Lower-case, accent-free form used for searching names."""
    return " ".join(strip_accents(value).lower().split())


# Whitespace that breaks a line (or tabs): a space in a one-line text.
_LINE_BREAKS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def clean_line(value: str) -> str:
    """One line of text as Préau keeps it — a person's name, a subject, a file, folder,
    bookmark, class or group name — whoever typed it or whichever feed sent it.

    NFC; every character of Unicode's "Other" categories removed: controls (Cc) and the
    invisible format characters (Cf: the bidi embeddings, overrides, isolates and marks
    that can make "gpj.exe" read "exe.jpg" or turn a name around, zero-width spaces and
    joiners, the soft hyphen, the BOM), surrogates, private-use and unassigned code points;
    tabs and line breaks become spaces; outer spaces trimmed. Visible spaces (no-break and
    narrow no-break spaces of French typography) are kept.

    Limit: a zero-width joiner is removed too, so an emoji sequence (👩‍👧) falls apart into
    its emojis, and unassigned code points are the ones this Python does not know yet.
    """
    if value.isascii():
        if value.isprintable():  # the common case, made cheap for the feeds
            return value.strip()
    elif value.isprintable() and unicodedata.is_normalized("NFC", value):
        return value.strip()
    value = unicodedata.normalize("NFC", value)
    return "".join(" " if ch in _LINE_BREAKS else ch for ch in value
                   if ch in _LINE_BREAKS or unicodedata.category(ch)[0] != "C").strip()
