"""Text helpers: login slugs and French-friendly normalisation."""

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
