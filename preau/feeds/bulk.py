"""Bulk writes of plain rows: COPY on PostgreSQL, Django's bulk operations elsewhere.

The importer writes tens of thousands of rows per run. On PostgreSQL they go through
psycopg's `COPY … FROM STDIN` as tuples: no model instance, no per-value preparation by
Django, one statement per table and chunk. On SQLite (development, small schools) the same
rows become model instances for `bulk_create` / `bulk_update`. Both paths write the same
values, so the importer's logic is shared; the tests run on both databases.

Rows are tuples of the given columns' values (field names, `user_id` for a foreign key).
A column left out gets its field's default, as `bulk_create` gives it. JSON values are
plain Python values on both paths. The SQL built here holds only quoted table and column
names from the models' metadata (hence the `noqa: S608`); values travel through COPY.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

BATCH = 1000
"""Rows per statement on SQLite (the PostgreSQL COPY takes each call's rows at once)."""


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]],
           *, ids: bool = False, ignore_conflicts: bool = False) -> list[int]:
    """Inserts `rows`; returns the new rows' ids, in order, when `ids` (else [])."""
    if not rows:
        return []
    if not is_postgresql():
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=BATCH,
                                           ignore_conflicts=ignore_conflicts)
        return [obj.pk for obj in objects] if ids else []
    fields = _fields(model, columns)
    defaults = [f for f in model._meta.concrete_fields
                if f not in fields and not f.primary_key]
    tail = tuple(_db_value(f, f.get_default()) for f in defaults)
    table = connection.ops.quote_name(model._meta.db_table)
    new_ids: list[int] = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [model._meta.db_table, len(rows)])
            new_ids = [row[0] for row in cursor.fetchall()]
            fields = _fields(model, ["id"]) + fields
            rows = [(uid, *row) for uid, row in zip(new_ids, rows, strict=True)]
        names = ", ".join(connection.ops.quote_name(f.column) for f in [*fields, *defaults])
        if ignore_conflicts:
            cursor.execute(f"CREATE TEMP TABLE bulk_insert AS SELECT {names} FROM {table} "  # noqa: S608
                           "WITH NO DATA")
            _copy(cursor, "bulk_insert", names, fields, rows, tail)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM bulk_insert "  # noqa: S608
                           "ON CONFLICT DO NOTHING")
            cursor.execute("DROP TABLE bulk_insert")
        else:
            _copy(cursor, table, names, fields, rows, tail)
    return new_ids


def update(model: type[models.Model], columns: Sequence[str],
           rows: Sequence[tuple[Any, ...]]) -> None:
    """Sets `columns` of the rows whose id is each row's first value to its other values."""
    if not rows:
        return
    if not is_postgresql():
        objects = [model(pk=row[0], **dict(zip(columns, row[1:], strict=True)))
                   for row in rows]
        model._default_manager.bulk_update(objects, list(columns), batch_size=BATCH // 2)
        return
    fields = _fields(model, ["id", *columns])
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(f.column)} = bulk_update.{quote(f.column)}"
                            for f in fields[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bulk_update AS SELECT {names} FROM {table} "  # noqa: S608
                       "WITH NO DATA")
        _copy(cursor, "bulk_update", names, fields, rows)
        cursor.execute("ANALYZE bulk_update")
        cursor.execute(f"UPDATE {table} SET {assignments} FROM bulk_update "  # noqa: S608
                       f"WHERE {table}.id = bulk_update.id")
        cursor.execute("DROP TABLE bulk_update")


def _fields(model: type[models.Model], names: Iterable[str]) -> list[models.Field[Any, Any]]:
    found = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field), name
        found.append(field)
    return found


def _db_value(field: models.Field[Any, Any], value: Any) -> Any:
    """What COPY's text format takes for a value: JSON as text, anything else as is."""
    return json.dumps(value) if isinstance(field, models.JSONField) else value


def _copy(cursor: Any, table: str, names: str, fields: Sequence[models.Field[Any, Any]],
          rows: Iterable[tuple[Any, ...]], tail: tuple[Any, ...] = ()) -> None:
    """COPYs the rows of `fields`' values, each followed by `tail`, through psycopg's own
    cursor (under Django's wrapper)."""
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    # JSON texts by id(value) (every row is alive meanwhile, so ids are not reused): rows
    # often share one value, e.g. the same details for every new account's history line.
    texts: dict[int, str] = {}
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            if json_at:
                values = list(row)
                for i in json_at:
                    text = texts.get(id(values[i]))
                    if text is None:
                        text = texts[id(values[i])] = json.dumps(values[i])
                    values[i] = text
                row = tuple(values)
            copy.write_row((*row, *tail) if tail else row)


def analyze(*tables: type[models.Model]) -> None:
    """Refreshes PostgreSQL's planner statistics of these tables (no-op elsewhere).

    A run that writes many rows changes the tables' sizes and value spreads; without fresh
    statistics (a first import, a server without autovacuum) PostgreSQL can choose nested
    loops whose cost grows with the square of the académie. ANALYZE inside the transaction
    sees the run's own rows."""
    if is_postgresql() and tables:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t._meta.db_table)
                                                  for t in tables))


def any_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column` among `values`, as SQL and parameters: `= ANY(%s)` with one array on
    PostgreSQL (no statement of thousands of placeholders to build and parse), `IN (…)`
    on SQLite (at most 32,766 parameters per statement)."""
    if not values:
        return "1 = 0", []
    if is_postgresql():
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Appends plain rows to a table that no model describes (the run's temporary tables):
    COPY on PostgreSQL, one `executemany` elsewhere."""
    if not rows:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if is_postgresql():
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                               rows)
