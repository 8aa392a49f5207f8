"""Prepared statements for the few queries every API request of the hot paths runs.

On PostgreSQL, planning a join costs more than running it (here: ~0.7 ms to plan a four-table
lookup by primary keys that runs in ~0.1 ms), and Django sends every query as new SQL text
with its parameters spelled into it. `execute()` runs these statements through psycopg's own
prepared statements instead: prepared once per database session, then sent as a bind of typed
parameters (the extended protocol), which spares the server the parsing and planning and the
client the quoting of every value into the text (measured in docs/benchmarks.md, "Routing").
The statement is logged like any query when Django logs queries (DEBUG, or a test counting
them with CaptureQueriesContext), as `EXECUTE name(parameters)`. On SQLite the plain statement
runs: the sqlite3 module already keeps compiled statements per connection, keyed by their text.

Prepared statements live in one server session; a connection pooler in transaction mode
(PgBouncer `pool_mode = transaction`) hands sessions around, so there set
WARMUP_DB_PREPARED_STATEMENTS=false.
"""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

import psycopg
from django.conf import settings

# One server-side-binding cursor per raw database connection (a reconnect gets a new one).
_cursors: WeakKeyDictionary = WeakKeyDictionary()
# Django turns psycopg's prepared statements off (prepare_threshold None), which also ignores
# `prepare=True`. A threshold no query reaches turns them on for these statements only: the
# ORM's queries are still never prepared.
_ONLY_WHEN_ASKED = 2**31 - 1


def execute(cursor, sql: str, params: dict, *, name: str):
    """Run `sql` (named `%(param)s` placeholders) for the Django cursor's connection, prepared
    on PostgreSQL; returns the cursor to fetch its rows from.

    `name` names the statement in the query log.
    """
    database = cursor.db
    if database.vendor != "postgresql" or not settings.WARMUP_DB_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return cursor
    raw = database.connection
    bound = _cursors.get(raw)
    if bound is None:
        # Django's own cursors bind on the client (ClientCursor); this one binds on the server.
        bound = _cursors[raw] = psycopg.Cursor(raw)
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    database.validate_no_broken_transaction()
    started = time.monotonic()
    try:
        with database.wrap_database_errors:
            bound.execute(sql, params, prepare=True)
    finally:
        if database.queries_logged:
            arguments = ", ".join(repr(value) for value in params.values())
            database.queries_log.append(
                {
                    "sql": f"EXECUTE {name}({arguments})",
                    "time": f"{time.monotonic() - started:.3f}",
                }
            )
    return bound
