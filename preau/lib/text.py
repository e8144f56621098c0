"""Text helpers: login slugs and French-friendly normalisation."""

import re
import unicodedata
from functools import lru_cache

_NON_LOGIN = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=2**16)
def strip_accents(value: str) -> str:
    """'Chloé' -> 'Chloe'. Cached: feed imports call it for every name, and names repeat."""
    if value.isascii():  # nothing to decompose
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def login_part(value: str) -> str:
    """'Jean-Noël ' -> 'jeannoel': accents and punctuation stripped, lower case."""
    ascii_value = strip_accents(value).lower().replace("æ", "ae").replace("œ", "oe")
    return _NON_LOGIN.sub("", ascii_value)


def search_key(value: str) -> str:
    """Lower-case, accent-free form used for searching names."""
    return " ".join(strip_accents(value).lower().split())
