"""Small value helpers shared by the parsers: loose keys, dates, generated ids."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import lru_cache

from preau.lib.text import strip_accents

from .records import PersonKind

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@lru_cache(maxsize=2**14)
def loose_key(value: str) -> str:
    """'Prénom de l'élève*' -> 'prenomdeleleve': case, accents, spaces, punctuation and the
    required-column star are ignored, so 'Nom de famille', 'NOM DE FAMILLE ' and
    'nom_de_famille' are the same column, and 'Dupont-Dupuis' the same name as 'DUPONT DUPUIS'.
    Cached: an import calls it for every name, and names repeat.
    """
    ascii_value = strip_accents(value).lower().replace("æ", "ae").replace("œ", "oe")
    return _NON_ALNUM.sub("", ascii_value.replace("ß", "ss"))


class BadDate(ValueError):
    """A date value that cannot be read; `code` and `reason` go into the report."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse_date(value: str, *, french: bool = True, iso: bool = True) -> date:
    """Reads 'dd/mm/yyyy' (AAF, manual CSV) or 'yyyy-mm-dd' (ONDE, manual CSV).

    Raises BadDate: 'bad-date' for a shape we do not know, 'impossible-date' for a day that
    does not exist (31/02/2010).
    """
    text = value.strip()
    match = _FRENCH_DATE.fullmatch(text) if french else None
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO_DATE.fullmatch(text) if iso else None
        if not match:
            raise BadDate("bad-date", f"date illisible « {text} »")
        year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate("impossible-date", f"date impossible « {text} »") from None


_KIND_CODES = {
    PersonKind.STUDENT: "ELV",
    PersonKind.TEACHER: "ENS",
    PersonKind.PERSONNEL: "PER",
    PersonKind.RELATIVE: "REL",
    PersonKind.GUEST: "INV",
}


def generated_id(school_key: str, kind: PersonKind, *parts: str) -> str:
    """A deterministic external id for feeds that carry none (ONDE, manual CSV).

    The id is `gen:<school key>:<kind>:<40 hex>` where the hash covers the school key, the
    kind and the *loose* form of each part (accents, case, spaces and punctuation ignored), so
    a re-export with 'Léa' typed 'LEA' still finds the same account. The importer matches on
    it like on an AAF join key; a change of name (or of birth date for pupils) gives a new id,
    which the importer's duplicate detection must catch.
    """
    payload = "\x1f".join([school_key.strip(), _KIND_CODES[kind], *(loose_key(p) for p in parts)])
    digest = hashlib.sha1(payload.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"gen:{school_key.strip()}:{_KIND_CODES[kind]}:{digest}"

