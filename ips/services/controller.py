"""The nightly warm-up controller: one decision per controlled (IP, provider) for each day that
ended and was not decided yet.

The rule itself is `ips.warmup_rule.decide` (pure; the numbered rules are written out there); the
simulator runs the same function. This module loads what the rule reads and writes what it
decided, a chunk of pairs (CHUNK, in pair id order) per transaction:

1. load the profiles as rules (once);
2. claim the next chunk of controlled pairs not decided through yesterday — `SELECT … FOR NO KEY
   UPDATE SKIP LOCKED` on PostgreSQL, so several workers split the pairs (index
   `ipwarmup_state_decided_idx`), and routing may still insert a day row for a claimed pair (the
   row's foreign key takes a KEY SHARE lock, which NO KEY UPDATE does not block);
3. read the chunk's day counters since its oldest missed day (1 query);
4. walk each pair's missed days in order, oldest first, through the rule (in memory);
5. write with one statement each (ips/services/bulk.py): the pairs, their decisions
   (`INSERT … ON CONFLICT DO NOTHING`; unique per (warm-up, day) for daily decisions) and
   today's open caps; commit.

After the last chunk, one short transaction moves the IPs whose providers are all warm (or warming
again) and prunes the fast back-off's hour rows.

Why chunks: routing's claims and event upserts write today's day rows, and a day row the run
changed stays locked until the run commits. One transaction over 100,000 pairs held them for
seconds; a chunk holds them for milliseconds (`bench/controller.py` measures the claims' wait).
A fixed number of statements per chunk whatever its size. Idempotent: each pair remembers the
last day decided for (`decided_through`), committed with its decisions, so running twice, late,
after days of downtime, or stopping half-way decides each (pair, day) exactly once; a claimed
pair leaves the claim's filter when its `decided_through` moves. Warm pairs store a decision only
when something changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ips.models import IpWarmup, IpWarmupDay, IpWarmupHour, utc_day
from ips.routing_cache import routing_cache_clear
from ips.selectors import profiles_by_provider
from ips.services import bulk
from ips.types import CONTROLLED_STATES, WARM_STATES, WARMING_STATES, DecisionKind
from ips.warmup_rule import DayFigures, PairState, Rules, decide

logger = logging.getLogger(__name__)

Kind = DecisionKind

# How far back a run walks missed days; older days are skipped (the figures are stale anyway).
MAX_CATCH_UP_DAYS = 31
# The hour counters of the fast back-off only matter for the last hour; a day of them is plenty.
HOUR_ROWS_KEPT = timedelta(days=1)
# Pairs decided per transaction: big enough that the statements' fixed cost is small, small
# enough that a chunk's locks on today's day rows last milliseconds (bench/controller.py).
CHUNK = 1000

_CLAIMED = (
    "id",
    "provider_id",
    "state",
    "stage",
    "daily_cap",
    "sending_days",
    "stage_days",
    "idle_days",
    "target_days",
    "trouble_cap",
    "started_on",
    "warm_since",
    "decided_through",
)


@dataclass
class ControllerSummary:
    """What one nightly run decided (the task's one-line summary)."""

    pairs: int = 0
    days: int = 0
    decisions: int = 0
    ips_changed: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Kind.values, 0))

    def sentence(self) -> str:
        if not self.pairs:
            return "nothing to decide: every warm-up is decided through yesterday"
        k = self.kinds
        return (
            f"decided {self.days} days of {self.pairs} (IP, provider) pairs: "
            f"{k['advance']} advanced, {k['hold']} held, {k['alert']} alerts, "
            f"{k['backoff']} backed off, {k['step_back']} stepped back, {k['warm']} "
            f"warm, {k['cooling']} cooling, {k['recovered']} back over the floor; "
            f"{self.ips_changed} IPs changed state"
        )


@dataclass
class _Writes:
    """What the run will write, one list per bulk statement."""

    pairs: list[list] = field(default_factory=list)
    decisions: list[list] = field(default_factory=list)
    caps: list[list] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    days: int = 0  # (pair, day)s decided


def controller_run(*, now: datetime | None = None, chunk: int = CHUNK) -> ControllerSummary:
    """Decide every controlled (IP, provider) for every day it has not been decided for, up
    to yesterday (UTC), `chunk` pairs per transaction. Safe to run twice, late, and on several
    workers at once."""
    now = now or timezone.now()
    today = utc_day(now)
    last = today - timedelta(days=1)
    rules = {pid: Rules.from_profile(p) for pid, p in profiles_by_provider().items()}
    summary = ControllerSummary()
    alerts: list[str] = []
    after = 0
    while True:
        with transaction.atomic():
            pairs = _claim(last, after=after, limit=chunk)
            if not pairs:
                break
            after = max(pairs)
            writes = _decide(pairs, last=last, rules=rules, now=now)
            _count(writes, summary, pairs)
            with connection.cursor() as cursor:
                bulk.pairs_update(cursor, writes.pairs, now=now)
                bulk.decisions_insert(cursor, writes.decisions)
                bulk.day_caps_follow(cursor, caps=writes.caps, today=today)
        alerts += writes.alerts
    if summary.pairs:
        with transaction.atomic(), connection.cursor() as cursor:
            summary.ips_changed = bulk.ips_state_follow(cursor, now=now)
            IpWarmupHour.objects.filter(hour__lt=now - HOUR_ROWS_KEPT).delete()
        routing_cache_clear()  # new caps and states: this process re-reads at once
    _log_alerts(alerts)
    return summary


def _claim(last: date, *, after: int, limit: int) -> dict[int, dict]:
    claim = (
        IpWarmup.objects.filter(state__in=CONTROLLED_STATES, pk__gt=after)
        .filter(Q(decided_through__isnull=True) | Q(decided_through__lt=last))
        .order_by("pk")
        .values(*_CLAIMED)
    )
    if connection.features.has_select_for_update_skip_locked:
        claim = claim.select_for_update(skip_locked=True, no_key=True)
    return {row["id"]: row for row in claim[:limit]}


def _decide(pairs: dict[int, dict], *, last: date, rules: dict, now: datetime) -> _Writes:
    """The chunk's decisions, in memory."""
    firsts = {pk: _first_day(row, last) for pk, row in pairs.items()}
    days = _day_counters(pairs, since=min(firsts.values()), last=last)
    writes = _Writes()
    for pk, row in pairs.items():
        _walk(row, firsts[pk], last, rules[row["provider_id"]], days.get(pk, {}), writes, now)
        writes.days += max((last - firsts[pk]).days + 1, 0)
    return writes


def _first_day(row: dict, last: date) -> date:
    if row["decided_through"] is not None:
        first = row["decided_through"] + timedelta(days=1)
    elif row["state"] in WARMING_STATES:
        first = row["started_on"] or last
    else:
        first = row["warm_since"] or last
    return max(first, last - timedelta(days=MAX_CATCH_UP_DAYS - 1))


def _day_counters(pairs: dict[int, dict], *, since: date, last: date) -> dict[int, dict]:
    """The chunk's counters since its oldest missed day, per pair and day. The chunk is a range
    of pair ids: rows of pairs in the range that another worker claimed (or that need no
    decision) are read and ignored, which keeps the statement free of id lists."""
    days: dict[int, dict[date, tuple]] = {}
    for row in IpWarmupDay.objects.filter(
        warmup_id__gte=min(pairs), warmup_id__lte=max(pairs), day__gte=since, day__lte=last
    ).values_list("warmup_id", "day", "cap", "routed", *IpWarmupDay.COUNTERS):
        if row[0] in pairs:
            days.setdefault(row[0], {})[row[1]] = row[2:]
    return days


def _walk(
    row: dict, on: date, last: date, rule: Rules, days: dict, writes: _Writes, now: datetime
) -> None:
    """Decide one pair's missed days in order and queue what changed."""
    pk = row["id"]
    pair = start = PairState(
        **{name: row[name] for name in PairState.__dataclass_fields__},
    )
    warm_since = row["warm_since"]
    first = on
    while on <= last:
        decision = decide(pair=pair, day=_figures(days.get(on), pair), rules=rule)
        if decision is not None:
            writes.decisions.append(
                bulk.decision_row(
                    warmup_id=pk, day=on, daily=True, decision=decision, actor_id=None, now=now
                )
            )
            if decision.kind == Kind.ALERT:
                writes.alerts.append(f"warm-up {pk} on {on}: {decision.reason}")
            if decision.kind == Kind.WARM:
                warm_since = on + timedelta(days=1)
            pair = decision.after
        on += timedelta(days=1)
    writes.pairs.append(
        [
            pk,
            pair.state,
            pair.stage,
            pair.daily_cap,
            pair.sending_days,
            pair.stage_days,
            pair.idle_days,
            pair.target_days,
            pair.trouble_cap,
            warm_since.isoformat() if warm_since else None,
            # A pair that starts after `last` (a run for an earlier day) keeps the day before
            # its start: days before it must never be decided.
            max(last, first - timedelta(days=1)).isoformat(),
        ]
    )
    if pair.state in WARM_STATES:
        # A warm day opens with the growth allowance (warmup_rule.warm_day_cap); a grown
        # allowance raises today's cap at once, a decayed one applies from tomorrow.
        if pair.daily_cap > start.daily_cap:
            writes.caps.append([pk, pair.daily_cap, 1])
    elif pair.daily_cap != start.daily_cap or pair.state != start.state:
        writes.caps.append([pk, pair.daily_cap])


def _figures(counters: tuple | None, pair: PairState) -> DayFigures:
    if counters is None:
        return DayFigures(cap=pair.daily_cap)
    cap, routed, *rest = counters
    values = dict(zip(IpWarmupDay.COUNTERS, rest, strict=True))
    return DayFigures(cap=cap if cap is not None else pair.daily_cap, routed=routed, **values)


def _count(writes: _Writes, summary: ControllerSummary, pairs: dict) -> None:
    summary.pairs += len(pairs)
    summary.days += writes.days
    summary.decisions += len(writes.decisions)
    kind_column = [name for name, _ in bulk.DECISION_COLUMNS].index("kind")
    for row in writes.decisions:
        summary.kinds[row[kind_column]] += 1


def _log_alerts(alerts: list[str]) -> None:
    # One log line per run, not per pair (a bad list can alert on thousands of pairs); every
    # alert is a stored decision, listed in the admin.
    if alerts:
        logger.warning(
            "%d list-quality alerts (held, not advanced); the first: %s",
            len(alerts),
            " | ".join(alerts[:5]),
        )
