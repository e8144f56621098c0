"""Path converters for ids: a number too large for the database is a 404, not a 500.

Django's `int` converter takes any run of digits; an id past 2**63 - 1 then reaches the
database, where SQLite's driver raises OverflowError and a foreign-key lookup is not
guarded by Django. `<id:…>` matches the same digits and refuses (404) what no row of a
PostgreSQL `bigint` or SQLite `INTEGER` column can hold. Every URL conf uses it for ids, and
the API's viewsets through `lookup_value_converter = "id"`; query and body values go through
`preau.api.serializers.IdField` and `preau.lib.ids.parse_id` with the same limit.

Registered when this module is imported, which the first app's `ready()` does
(`preau.accounts.apps`), so every URL conf can use them, whatever imports it first.
"""

from __future__ import annotations

from django.urls import register_converter

from preau.lib.ids import MAX_ID


class IdConverter:
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")  # the pattern does not match: 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


class MailboxConverter:
    """A mail folder: a system folder's key, or the id of one of the user's own."""

    regex = "inbox|sent|drafts|trash|[0-9]+"

    def to_python(self, value: str) -> str:
        if value.isdigit():
            IdConverter().to_python(value)
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(IdConverter, "id")
register_converter(MailboxConverter, "mailbox")
