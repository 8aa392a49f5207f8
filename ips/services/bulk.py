"""Bulk writers of warm-up state, shared by the nightly controller (controller.py), the
operators' controls (controls.py) and the fast back-off (suspensions.py).

Each writes any number of rows with one statement whose rows travel as one JSON parameter
(`warmup_site.bulk_sql.json_rows`), so the statement text — and its cost to build and parse —
does not grow with the rows, and stays below SQLite's parameter limit. Callers pass rows in
key order so that concurrent writers lock alike.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

from ips.models import DedicatedIp, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.types import WARM_STATES, WarmupState
from ips.warmup_rule import Decision
from warmup_site.bulk_sql import dump, json_rows, stamp, upsert_glue

State = WarmupState


DECISION_COLUMNS = [
    ("warmup_id", "bigint"),
    ("day", "date"),
    ("daily", "boolean"),
    ("kind", "text"),
    ("from_state", "text"),
    ("to_state", "text"),
    ("from_stage", "integer"),
    ("to_stage", "integer"),
    ("from_cap", "integer"),
    ("to_cap", "integer"),
    ("figures", "jsonb"),
    ("reason", "text"),
    ("actor_id", "bigint"),
    ("created_at", "timestamptz"),
]


def decisions_insert(cursor, rows: list[list]) -> None:
    """Insert decisions (rows in DECISION_COLUMNS order) in one statement; a daily decision
    already stored for its (warm-up, day) is left as it is."""
    if not rows:
        return
    table = connection.ops.quote_name(IpWarmupDecision._meta.db_table)
    names = ", ".join(name for name, _ in DECISION_COLUMNS)
    cursor.execute(
        f"INSERT INTO {table} ({names}) {json_rows(DECISION_COLUMNS)} {upsert_glue()} "
        "ON CONFLICT DO NOTHING",
        [dump(rows)],
    )


def decision_row(
    *, warmup_id: int, day: date, daily: bool, decision: Decision, actor_id, now: datetime
) -> list:
    b, a = decision.before, decision.after
    return [
        warmup_id,
        day.isoformat(),
        daily,
        decision.kind,
        b.state,
        a.state,
        b.stage,
        a.stage,
        b.daily_cap,
        a.daily_cap,
        decision.figures,
        decision.reason,
        actor_id,
        stamp(now),
    ]


def day_caps_follow(cursor, *, caps: list[list], today: date) -> None:
    """Today's open day rows take these caps ([warm-up id, cap] or [warm-up id, cap, 1] to
    only raise a cap), never below what was routed already (the constraint routed <= cap holds;
    what left cannot be unsent)."""
    if not caps:
        return
    rows = [[row[0], row[1], row[2] if len(row) > 2 else 0] for row in caps]
    table = connection.ops.quote_name(IpWarmupDay._meta.db_table)
    columns = [("id", "bigint"), ("cap", "integer"), ("raise_only", "integer")]
    cursor.execute(
        f"UPDATE {table} SET cap = CASE WHEN v.raise_only = 1 AND {table}.cap >= v.cap "
        f"THEN {table}.cap WHEN routed > v.cap THEN routed ELSE v.cap END "
        f"FROM ({json_rows(columns)}) AS v "
        f"WHERE {table}.warmup_id = v.id AND {table}.day = %s AND {table}.cap IS NOT NULL",
        [dump(rows), today],
    )


def ips_state_follow(cursor, *, now: datetime) -> int:
    """Warming IPs whose every started provider is warm become warm, and warm IPs with a
    provider warming again (restart, set stage) become warming. Returns rows changed."""
    ip = connection.ops.quote_name(DedicatedIp._meta.db_table)
    warmup = connection.ops.quote_name(IpWarmup._meta.db_table)
    not_warm = "', '".join(
        (State.WARMING, State.BACKOFF, State.PAUSED)
    )  # constant enum values only
    warm = "', '".join(WARM_STATES)
    changed = 0
    for old, new, condition in (
        (
            DedicatedIp.State.WARMING,
            DedicatedIp.State.WARM,
            f"EXISTS (SELECT 1 FROM {warmup} w WHERE w.ip_id = {ip}.id AND w.state IN ('{warm}'))"
            f" AND NOT EXISTS (SELECT 1 FROM {warmup} w WHERE w.ip_id = {ip}.id "
            f"AND w.state IN ('{not_warm}'))",
        ),
        (
            DedicatedIp.State.WARM,
            DedicatedIp.State.WARMING,
            f"EXISTS (SELECT 1 FROM {warmup} w WHERE w.ip_id = {ip}.id "
            f"AND w.state IN ('{State.WARMING}', '{State.BACKOFF}'))",
        ),
    ):
        cursor.execute(
            f"UPDATE {ip} SET state = %s, state_changed_at = %s WHERE state = %s AND {condition}",
            [new, connection.ops.adapt_datetimefield_value(now), old],
        )
        changed += cursor.rowcount
    return changed


PAIR_COLUMNS = [
    ("id", "bigint"),
    ("state", "text"),
    ("stage", "integer"),
    ("daily_cap", "integer"),
    ("sending_days", "integer"),
    ("stage_days", "integer"),
    ("idle_days", "integer"),
    ("target_days", "integer"),
    ("trouble_cap", "integer"),
    ("warm_since", "date"),
    ("decided_through", "date"),
]


def pairs_update(cursor, rows: list[list], *, now: datetime) -> None:
    """Write the controller's new pair states (rows in PAIR_COLUMNS order)."""
    table = connection.ops.quote_name(IpWarmup._meta.db_table)
    sets = ", ".join(f"{name} = v.{name}" for name, _ in PAIR_COLUMNS[1:])
    cursor.execute(
        f"UPDATE {table} SET {sets}, updated_at = %s FROM ({json_rows(PAIR_COLUMNS)}) AS v "
        f"WHERE {table}.id = v.id",
        [connection.ops.adapt_datetimefield_value(now), dump(rows)],
    )
