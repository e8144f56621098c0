"""Fresh planner statistics after a run that wrote many rows (PostgreSQL).

A feed import, the daily life cycle and the year change's transition write thousands to
millions of rows at once. Autovacuum analyses a table once 50 rows + 10 % of it changed
(`autovacuum_analyze_threshold`, `autovacuum_analyze_scale_factor`), but later: after its
nap (a minute), when one of its few workers is free, never while the run's transaction is
open. Meanwhile every page plans its queries on the old figures: after a large import a
table of 23,855 rows was still planned as 398 rows, tables never analysed had no figures
at all, and « Partagés avec moi » ran 12 times slower until ANALYZE.

So these runs end with ANALYZE of the tables they changed enough, at once:

- which tables: those that autovacuum would analyse for the run's changes alone: never
  analysed (`pg_class.reltuples` < 0), or changed by at least `MIN_ROWS` + `SHARE` of
  their rows. A run in one transaction reads `writes_so_far()` when it starts and
  `stale_since(those)` just before it commits: `pg_stat_xact_user_tables` counts the rows
  inserted, updated and deleted per table (the run's temporary tables left out), and the
  difference is what the run wrote (the counts also hold what the session's previous
  transactions wrote in the last second or so, not yet flushed to the server's
  statistics, which the difference takes out). `stale(changes)` takes the counts from a
  run made of several transactions (the year change's). A daily run changing a few rows
  of a large table leaves it to autovacuum, which counts those changes too; a first
  import, a school's bascule or a deletion wave is analysed before the next page is
  planned;
- `analyze(tables, what)`, after the commit (the statistics then describe committed rows;
  ANALYZE of several tables outside a transaction analyses each in its own, holding
  nothing for long). Inside a caller's transaction (a test, a caller's `atomic`) it runs in
  a savepoint. It never fails the run: an error is logged (`preau.feeds`) and autovacuum
  will analyse later.

SQLite: nothing (a choice). Without `sqlite_stat1` its planner assumes large tables and
selective indexes, which suits Préau's indexed lookups at the embedded default's sizes;
once an ANALYZE has written `sqlite_stat1` the planner trusts it until the next one, and
each ANALYZE reads whole tables and indexes under the only write lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger("preau.feeds")

MIN_ROWS = 50
"""Changed rows that make even an empty table worth analysing (autovacuum's default)."""
SHARE = 0.10
"""Share of a table's rows whose change makes it worth analysing (autovacuum's default)."""


@dataclass(frozen=True)
class Analyzed:
    tables: tuple[str, ...]
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"tables": list(self.tables), "seconds": round(self.seconds, 3)}


def enabled() -> bool:
    return connection.vendor == "postgresql"


def stale(changes: Mapping[str, int]) -> list[str]:
    """The tables of `changes` ({table name: rows changed}) whose statistics these changes
    make stale (see the module docstring), as PostgreSQL quotes their names, sorted. One
    query; none when nothing changed."""
    changes = {table: rows for table, rows in changes.items() if rows > 0}
    if not enabled() or not changes:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT t.name, c.oid::regclass::text, c.reltuples "
                       "FROM unnest(%s::text[]) t(name) JOIN pg_class c "
                       "ON c.oid = t.name::regclass", [sorted(changes)])
        rows = cursor.fetchall()
    return sorted(quoted for name, quoted, reltuples in rows
                  if reltuples < 0 or changes[name] >= MIN_ROWS + SHARE * reltuples)


def _written() -> list[tuple[str, int, float]]:
    """(table, rows written, reltuples) of each permanent table the current transaction's
    counters show written (see the module docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relid::regclass::text, s.n_tup_ins + s.n_tup_upd + s.n_tup_del, "
            "c.reltuples FROM pg_stat_xact_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE c.relpersistence = 'p' AND s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0")
        return [(name, int(rows), float(reltuples)) for name, rows, reltuples
                in cursor.fetchall()]


def writes_so_far() -> dict[str, int]:
    """Rows written per table by the current transaction so far, as PostgreSQL counts them:
    read when a run's transaction starts, for `stale_since`. {} outside PostgreSQL."""
    if not enabled():
        return {}
    return {name: rows for name, rows, _reltuples in _written()}


def stale_since(before: Mapping[str, int]) -> list[str]:
    """The tables the current transaction changed, since `before` (`writes_so_far()` when
    it started), enough to ANALYZE once it commits; sorted. One query."""
    if not enabled():
        return []
    return sorted(name for name, rows, reltuples in _written()
                  if rows > before.get(name, 0) and (
                      reltuples < 0
                      or rows - before.get(name, 0) >= MIN_ROWS + SHARE * reltuples))


def analyze(tables: Sequence[str], what: str) -> Analyzed | None:
    """ANALYZE `tables` (names as `stale` returns them); None when there is nothing to do
    or it failed (logged, never raised: the run that asks is over and stays as it is)."""
    if not enabled() or not tables:
        return None
    started = time.monotonic()
    statement = "ANALYZE " + ", ".join(tables)
    try:
        if connection.in_atomic_block:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint
                cursor.execute(statement)
        else:
            with connection.cursor() as cursor:
                cursor.execute(statement)
    except DatabaseError:
        logger.warning("ANALYZE after %s failed (autovacuum will analyse later): %s",
                       what, ", ".join(tables), exc_info=True)
        return None
    done = Analyzed(tuple(tables), time.monotonic() - started)
    logger.info("ANALYZE after %s: %s tables in %.2f s (%s)", what, len(tables), done.seconds,
                ", ".join(tables))
    return done
