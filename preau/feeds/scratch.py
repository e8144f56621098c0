"""What a run remembers about the académie's accounts, kept in the database.

An import goes through the académie's records by chunks; what it must remember from one
chunk to the next — which accounts it listed, which parents the pupils designate, which
accounts to look at again at the end — is as large as the académie (1.5 million accounts
for Hauts-de-France). Kept in Python sets and maps it made a run's memory grow by about a
kibibyte per account; kept here, in temporary tables of the run's database session, it
costs the run no memory, and the end of the run reads it back chunk by chunk or uses it in
one statement (the accounts not listed are one anti-join).

Tables (`scratch_*`, temporary: the session's own, created at the start of a run, dropped
at its end or with its rolled-back transaction):

- `scratch_seen (id)`: the accounts the run listed (matched, adopted or created);
- `scratch_ref (external_id)`: AAF parent ids designated by the run's pupils (a parent
  record is imported only if one of them names it);
- `scratch_link (pupil_id, n, external_id, legal, file, line)`: the parents each written
  pupil designates, in order (`external_id` NULL for a pupil who designates none), for
  the parent links made once every parent is in;
- `scratch_mark (mark, id, profile)`: sets of accounts, one letter each (`MARKS`);
- `scratch_login (base, next)` (PostgreSQL): the next free number of each login base
  (`prenom.nom`) the run has handed out, so that a later chunk resumes there instead of
  reading back every numbered login of a common name.

Rows are appended with `bulk.insert_rows` (COPY on PostgreSQL); no table but
`scratch_login` (upserted) has a unique constraint (a COPY cannot skip a duplicate):
readers use EXISTS or DISTINCT.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection

from preau.feeds import bulk

MARKS = {
    "p": "pupil written by the run (their parents' groups are worked out again)",
    "r": "parent written by the run",
    "a": "parent whose links to a child changed",
    "n": "parent created by the run",
    "k": "pupil created by the run (no parent link to compare: inserted set-based)",
    "c": "account created with a birth date (possible duplicates)",
    "q": "account written with no visible change, counted unchanged (profile kept)",
    "i": "account with an unresolved reference: its checksum is cleared at the end",
    "s": "parent whose schools and groups are worked out again",
    "m": "account of the scope that the run did not list (goes missing)",
}

TABLES = {
    "scratch_seen": "id bigint NOT NULL",
    "scratch_ref": "external_id text NOT NULL",
    "scratch_link": ("pupil_id bigint NOT NULL, n integer NOT NULL, external_id text, "
                     "legal boolean NOT NULL, file text NOT NULL, line integer"),
    "scratch_mark": "mark varchar(1) NOT NULL, id bigint NOT NULL, profile varchar(16)",
    "scratch_login": "base text PRIMARY KEY, next bigint NOT NULL",
}
INDEXES = {
    "scratch_seen": "id",
    "scratch_ref": "external_id",
    "scratch_link": "pupil_id",
    "scratch_mark": "mark, id",
}
PAGE = 10_000
"""Ids per page when a table is read back."""


class Scratch:
    """The run's temporary tables, and buffers flushed into them once per chunk."""

    def __init__(self) -> None:
        self.seen: list[tuple[int]] = []
        self.refs: list[tuple[str]] = []
        self.links: list[tuple[Any, ...]] = []
        self.marks: list[tuple[str, int, str | None]] = []

    def create(self) -> None:
        with connection.cursor() as cursor:
            for table, columns in TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")
                if table in INDEXES:
                    cursor.execute(f"CREATE INDEX {table}_idx ON {table} ({INDEXES[table]})")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def analyze(self) -> None:
        """Planner statistics of the scratch tables (PostgreSQL; autovacuum never looks
        at temporary tables), before the statements that join them to the directory."""
        if bulk.is_postgresql():
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(TABLES))

    # -- writing ---------------------------------------------------------------------

    def mark(self, mark: str, uid: int, profile: str | None = None) -> None:
        self.marks.append((mark, uid, profile))

    def flush(self) -> None:
        """Writes the buffered rows (once per chunk of records)."""
        bulk.insert_rows("scratch_seen", ["id"], self.seen)
        bulk.insert_rows("scratch_ref", ["external_id"], self.refs)
        bulk.insert_rows("scratch_link", ["pupil_id", "n", "external_id", "legal", "file",
                                          "line"], self.links)
        bulk.insert_rows("scratch_mark", ["mark", "id", "profile"], self.marks)
        self.seen, self.refs, self.links, self.marks = [], [], [], []

    def mark_from(self, mark: str, select: str, params: Sequence[Any]) -> None:
        """Marks the ids an SQL query selects (one column)."""
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO scratch_mark (mark, id) SELECT %s, q.id "  # noqa: S608
                           f"FROM ({select}) q", [mark, *params])

    # -- reading ---------------------------------------------------------------------

    def referenced(self, external_ids: Sequence[str]) -> set[str]:
        """Which of these AAF parent ids a pupil of the run designates."""
        where, params = bulk.any_of("external_id", external_ids)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT external_id FROM scratch_ref WHERE {where}",  # noqa: S608
                           params)
            return {row[0] for row in cursor.fetchall()}

    def seen_among(self, ids: Sequence[int]) -> set[int]:
        """Which of these accounts the run listed already."""
        where, params = bulk.any_of("id", ids)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT id FROM scratch_seen WHERE {where}", params)  # noqa: S608
            return {row[0] for row in cursor.fetchall()}

    def marked(self, mark: str, ids: Sequence[int]) -> dict[int, str | None]:
        """Which of these ids carry `mark` (with the profile kept with the mark)."""
        where, params = bulk.any_of("id", ids)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, profile FROM scratch_mark WHERE mark = %s "  # noqa: S608
                           f"AND {where}", [mark, *params])
            return dict(cursor.fetchall())

    def unmark(self, mark: str, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        where, params = bulk.any_of("id", ids)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM scratch_mark WHERE mark = %s AND {where}",  # noqa: S608
                           [mark, *params])

    def pages(self, table: str, column: str, where: str = "", params: Sequence[Any] = (),
              size: int = PAGE) -> Iterator[list[int]]:
        """The distinct values of an id column, ascending, a page at a time (keyset: each
        page is one query, whatever the table's size)."""
        last = 0
        condition = f" AND {where}" if where else ""
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT DISTINCT {column} FROM {table} WHERE {column} > %s{condition} "  # noqa: S608
                    f"ORDER BY {column} LIMIT %s", [last, *params, size])
                page = [row[0] for row in cursor.fetchall()]
            if not page:
                return
            yield page
            last = page[-1]

    def marks_of(self, mark: str, size: int = PAGE) -> Iterator[list[int]]:
        return self.pages("scratch_mark", "id", "mark = %s", [mark], size)
