"""Bulk writes as one statement with one JSON parameter, on PostgreSQL and SQLite alike.

One parameter instead of one per value: the statement text stays the same size whatever the
number of rows (and far below SQLite's parameter limit), and the database parses the rows in
one go. The warm-up controller writes its decisions this way (ips/services/bulk.py), and the
reputation job a day of 220,000 snapshots in one statement per table.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from django.db import connection


def json_rows(columns: list[tuple[str, str]]) -> str:
    """A SELECT turning one JSON parameter (a list of rows, each a list) into typed columns;
    `columns` are (name, PostgreSQL type). Before ON CONFLICT, add `upsert_glue()`."""
    if connection.vendor == "postgresql":
        select = ", ".join(
            f"(v->{i})::jsonb AS {name}" if kind == "jsonb" else f"(v->>{i})::{kind} AS {name}"
            for i, (name, kind) in enumerate(columns)
        )
        return f"SELECT {select} FROM jsonb_array_elements(%s::jsonb) AS e(v)"
    select = ", ".join(
        f"json_extract(value, '$[{i}]') AS {name}" for i, (name, _kind) in enumerate(columns)
    )
    return f"SELECT {select} FROM json_each(%s)"


def upsert_glue() -> str:
    """What goes between `json_rows(…)` and `ON CONFLICT` (SQLite's parser needs a WHERE)."""
    return "" if connection.vendor == "postgresql" else "WHERE true"


def dump(rows: list[list]) -> str:
    return json.dumps(rows, separators=(",", ":"), default=str)


@lru_cache(maxsize=16)  # one moment per run, written on many rows
def stamp(moment: datetime):
    """A datetime as a JSON value the database reads back in the column's own format."""
    if connection.vendor == "postgresql":
        return moment.isoformat()
    return connection.ops.adapt_datetimefield_value(moment)


def upsert(
    cursor,
    *,
    table: str,
    columns: list[tuple[str, str]],
    conflict: list[str],
    rows: list[list],
    update: bool = True,
) -> int:
    """Insert `rows`; on a conflict of `conflict` update every other column (or do nothing)."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name, _ in columns)
    if update:
        sets = ", ".join(
            f"{quote(name)} = excluded.{quote(name)}" for name, _ in columns if name not in conflict
        )
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    cursor.execute(
        f"INSERT INTO {quote(table)} ({names}) {json_rows(columns)} {upsert_glue()} "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) {action}",
        [dump(rows)],
    )
    return cursor.rowcount
