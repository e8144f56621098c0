"""Ids as the database holds them: positive and at most 2**63 - 1.

PostgreSQL's `bigint` and SQLite's `INTEGER` stop at 2**63 - 1. A larger number compared
with a key makes SQLite's driver raise OverflowError (Django guards an exact lookup on an
integer field, not a foreign key nor an `IN`), so every id that comes from a request is
checked against MAX_ID where it is read: path converters (`preau.lib.converters`), the API's
`IdField`, the forms' `IdChoiceField` family, and `parse_id` for the few values views read
by hand.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """An id from a request (a query or form value), or None when it is not one."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
