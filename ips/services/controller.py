"""The daily warm-up controller: one decision per warming (IP, provider) for each day that ended.

`decide()` is the rule, a pure function of a pair's state, one day's figures and the provider's
profile; the scheduled job (`controller_run`) and the simulator (`simulate_ip_warmup`) both call
it. For a warming pair (in this order; the first that applies wins):

1. **back off** — throttling + blocking + blocklist replies reached `backoff_rate` of what was
   routed and at least `backoff_min_replies`: step back to the highest stage whose cap is at most
   `backoff_cut` of the current cap (at stage 1: cut the cap itself), state `backoff`;
2. **hold and alert** — complaints ≥ `complaint_limit` (0.3%) or hard bounces ≥
   `hard_bounce_limit` (5%) of delivered: a list-quality problem; sending more would hurt;
3. **idle** — nothing routed: hold, and after `idle_days_step_back` such days in a row step back
   one stage (reputation cools);
4. **too little traffic** — under SENDING_SHARE (50%) of the cap routed: hold; the day is not a
   *sending day*, so a weekend or a quiet week does not count as warm-up;
5. **warm** — at the final stage (target cap), after `warm_after_days` clean sending days;
6. **advance** — ≥ ADVANCE_SHARE (90%) of the cap routed, clean, and the stage's minimum
   sending days (the profile's stage table) done: one stage up;
7. otherwise hold.

A warm pair is watched against the provider's floor: under it, it is flagged `cooling` (routing
prefers it); back over it, `warm` again. Those two are stored only when the state changes.

Idempotency and catch-up: every controlled pair remembers the last day decided for
(`decided_through`); a run decides every day after it up to yesterday, oldest first, and the
decisions are unique per (warm-up, day) in the database as well. Several workers may run at
once: each claims its pairs with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL) in one
transaction, and a claimed pair leaves the claim's filter when its `decided_through` moves.

Database work is a fixed number of statements whatever the number of pairs: the profiles (2),
the claim (1), the day counters (1), then one statement each to update the pairs, insert the
decisions, follow today's open caps, move IPs whose providers are all warm, and prune the fast
back-off's hour counters. The bulk writes pass their rows as one JSON parameter (see
`json_rows`), so their text does not grow with the rows.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ips.models import DedicatedIp, IpWarmup, IpWarmupDay, IpWarmupDecision, IpWarmupHour, utc_day
from ips.services.warmup import profiles_by_provider

logger = logging.getLogger(__name__)

Kind = IpWarmupDecision.Kind
State = IpWarmup.State

# A day "really sent" when it routed at least this share of its cap (the sending-day clock).
SENDING_SHARE = 0.5
# A stage is passed when a clean day routed at least this share of its cap.
ADVANCE_SHARE = 0.9
# How far back a run walks missed days; older days are skipped (the figures are stale anyway).
MAX_CATCH_UP_DAYS = 31
# The states the daily controller decides for.
WARMING_STATES = (State.WARMING, State.BACKOFF)
WARM_STATES = (State.WARM, State.COOLING)
CONTROLLED_STATES = WARMING_STATES + WARM_STATES


# --- the rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A provider's warm-up profile as the rule reads it."""

    provider: str
    caps: tuple[int, ...]
    stage_days: tuple[int, ...]  # minimum sending days per stage
    floor: int
    backoff_rate: float
    backoff_min_replies: int
    backoff_cut: float
    complaint_limit: float
    hard_bounce_limit: float
    idle_days_step_back: int
    warm_after_days: int

    @classmethod
    def from_profile(cls, profile) -> Rules:
        stages = profile.stages()
        return cls(
            provider=profile.provider.name if profile.provider_id else "",
            caps=tuple(s.daily_cap for s in stages),
            stage_days=tuple(s.days for s in stages),
            floor=profile.floor,
            backoff_rate=float(profile.backoff_rate),
            backoff_min_replies=profile.backoff_min_replies,
            backoff_cut=float(profile.backoff_cut),
            complaint_limit=float(profile.complaint_limit),
            hard_bounce_limit=float(profile.hard_bounce_limit),
            idle_days_step_back=max(profile.idle_days_step_back, 1),
            warm_after_days=max(profile.warm_after_days, 1),
        )

    def cap(self, stage: int) -> int:
        return self.caps[min(max(stage, 1), len(self.caps)) - 1]

    @property
    def final(self) -> int:
        return len(self.caps)


@dataclass(frozen=True)
class PairState:
    state: str
    stage: int
    daily_cap: int
    sending_days: int = 0
    stage_days: int = 0
    idle_days: int = 0
    target_days: int = 0


@dataclass(frozen=True)
class DayFigures:
    cap: int  # the cap routing enforced that day
    routed: int = 0
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    throttled: int = 0
    blocked: int = 0
    blocklisted: int = 0
    complaints: int = 0

    @property
    def rejections(self) -> int:
        return self.throttled + self.blocked + self.blocklisted

    def as_dict(self) -> dict[str, int]:
        # Not dataclasses.asdict: it deep-copies, a third of the controller's time at 100k pairs.
        return {name: getattr(self, name) for name in _FIGURES}


_FIGURES = tuple(DayFigures.__dataclass_fields__)


@dataclass(frozen=True)
class Decision:
    kind: str
    before: PairState
    after: PairState
    reason: str
    figures: dict = field(default_factory=dict)


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _stage_change(before: PairState, after: PairState) -> str:
    if after.stage != before.stage:
        return (
            f"stage {before.stage} → {after.stage}, cap {_n(before.daily_cap)} → "
            f"{_n(after.daily_cap)}"
        )
    if after.daily_cap != before.daily_cap:
        return f"stage {after.stage}, cap {_n(before.daily_cap)} → {_n(after.daily_cap)}"
    return f"holding at stage {after.stage} (cap {_n(after.daily_cap)})"


def decide(*, pair: PairState, day: DayFigures, rules: Rules) -> Decision | None:
    """The decision for one (IP, provider) and one day that ended (see the module docstring).

    None for a warm pair whose state does not change (nothing worth storing)."""
    if pair.state in WARM_STATES:
        return _watch_floor(pair=pair, day=day, rules=rules)
    figures = {**day.as_dict(), "stage": pair.stage}
    cap = max(day.cap, 1)
    base = day.routed or (day.delivered + day.bounced)
    sent = day.routed >= SENDING_SHARE * cap
    sending_days = pair.sending_days + (1 if sent else 0)

    def decision(kind: str, after: PairState, reason: str) -> Decision:
        return Decision(kind=kind, before=pair, after=after, reason=reason, figures=figures)

    # 1. Back off: the providers are saying "slow down".
    if day.rejections >= rules.backoff_min_replies and day.rejections >= rules.backoff_rate * base:
        target = pair.daily_cap * rules.backoff_cut
        stage = max((s for s in range(1, rules.final + 1) if rules.cap(s) <= target), default=1)
        new_cap = rules.cap(stage)
        if new_cap >= pair.daily_cap:  # stage 1 already: cut the cap itself
            new_cap = max(1, math.floor(target))
        after = replace(
            pair,
            state=State.BACKOFF,
            stage=stage,
            daily_cap=new_cap,
            sending_days=sending_days,
            stage_days=0,
            idle_days=0,
            target_days=0,
        )
        return decision(
            Kind.BACKOFF,
            after,
            f"{_n(day.rejections)} throttling or blocking replies ({_n(day.throttled)} "
            f"throttled, {_n(day.blocked)} blocked, {_n(day.blocklisted)} blocklist) on "
            f"{_n(base)} routed ({_pct(day.rejections, base)}; back-off at "
            f"{100 * rules.backoff_rate:.1f}% and {_n(rules.backoff_min_replies)} replies): "
            f"backing off, {_stage_change(pair, after)}.",
        )
    # 2. Hold and alert: a list-quality problem.
    complaint_bad = day.complaints > 0 and (
        not day.delivered or day.complaints >= rules.complaint_limit * day.delivered
    )
    bounce_bad = day.hard_bounced > 0 and (
        not day.delivered or day.hard_bounced >= rules.hard_bounce_limit * day.delivered
    )
    if complaint_bad or bounce_bad:
        problems = []
        if complaint_bad:
            problems.append(
                f"complaints {_n(day.complaints)} = {_pct(day.complaints, day.delivered)} of "
                f"{_n(day.delivered)} delivered (limit {100 * rules.complaint_limit:.1f}%)"
            )
        if bounce_bad:
            problems.append(
                f"hard bounces {_n(day.hard_bounced)} = {_pct(day.hard_bounced, day.delivered)} "
                f"of {_n(day.delivered)} delivered (limit {100 * rules.hard_bounce_limit:.1f}%)"
            )
        after = replace(pair, sending_days=sending_days, idle_days=0)
        return decision(
            Kind.ALERT,
            after,
            f"List-quality alert: {'; '.join(problems)}. Holding at stage {pair.stage} (cap "
            f"{_n(pair.daily_cap)}): sending more would hurt the reputation; clean the list.",
        )
    # 3. Idle: nothing sent.
    if day.routed == 0:
        idle = pair.idle_days + 1
        if idle >= rules.idle_days_step_back and pair.stage > 1:
            stage = pair.stage - 1
            after = replace(
                pair,
                stage=stage,
                daily_cap=rules.cap(stage),
                stage_days=0,
                idle_days=0,
                target_days=0,
            )
            return decision(
                Kind.STEP_BACK,
                after,
                f"Nothing sent for {idle} days in a row (step back after "
                f"{rules.idle_days_step_back}): reputation cools, {_stage_change(pair, after)}.",
            )
        after = replace(pair, idle_days=min(idle, rules.idle_days_step_back))
        return decision(
            Kind.HOLD,
            after,
            f"Nothing sent (idle day {idle}; a stage back after "
            f"{rules.idle_days_step_back} in a row): not a sending day, "
            f"{_stage_change(pair, after)}.",
        )
    # 4. Too little traffic to learn anything.
    if not sent:
        after = replace(pair, idle_days=0)
        return decision(
            Kind.HOLD,
            after,
            f"Only {_n(day.routed)} of {_n(day.cap)} routed ({_pct(day.routed, day.cap)}; a "
            f"sending day needs {100 * SENDING_SHARE:.0f}%): too little traffic to learn from, "
            f"not a sending day; {_stage_change(pair, after)}.",
        )
    clean = (
        f"{_n(day.routed)} of {_n(day.cap)} routed ({_pct(day.routed, day.cap)}), "
        f"{_n(day.rejections)} throttling/blocking replies, {_n(day.complaints)} complaints, "
        f"{_n(day.hard_bounced)} hard bounces"
    )
    # 5. Warm: the target cap held clean for a few sending days.
    if pair.stage >= rules.final and pair.daily_cap >= rules.cap(rules.final):
        target_days = pair.target_days + 1
        if target_days >= rules.warm_after_days:
            after = replace(
                pair,
                state=State.WARM,
                sending_days=sending_days,
                stage_days=pair.stage_days + 1,
                idle_days=0,
                target_days=target_days,
            )
            return decision(
                Kind.WARM,
                after,
                f"{clean}: the target cap of {_n(pair.daily_cap)} held clean for {target_days} "
                f"sending days — warm at this provider after {sending_days} sending days.",
            )
        after = replace(
            pair,
            state=State.WARMING,
            sending_days=sending_days,
            stage_days=pair.stage_days + 1,
            idle_days=0,
            target_days=target_days,
        )
        return decision(
            Kind.HOLD,
            after,
            f"{clean}: clean day {target_days} of {rules.warm_after_days} at the target cap "
            f"before the IP counts as warm here.",
        )
    stage_days = pair.stage_days + 1
    needed = rules.stage_days[min(pair.stage, rules.final) - 1]
    # 6. Advance one stage (or, after a back-off cut the cap below its stage's, back to the
    # stage's own cap: that needs one clean full day, not the stage's days again).
    restore = pair.daily_cap < rules.cap(pair.stage)
    if day.routed >= ADVANCE_SHARE * cap and (restore or stage_days >= needed):
        stage = pair.stage if restore else min(pair.stage + 1, rules.final)
        after = replace(
            pair,
            state=State.WARMING,
            stage=stage,
            daily_cap=rules.cap(stage),
            sending_days=sending_days,
            stage_days=0 if stage != pair.stage else stage_days,
            idle_days=0,
            target_days=0,
        )
        return decision(
            Kind.ADVANCE,
            after,
            f"{clean}: a clean, full day — {_stage_change(pair, after)}.",
        )
    after = replace(pair, sending_days=sending_days, stage_days=stage_days, idle_days=0)
    if day.routed < ADVANCE_SHARE * cap:
        why = f"advancing needs {100 * ADVANCE_SHARE:.0f}% of the cap routed"
    else:
        why = f"stage {pair.stage} asks for {needed} sending days (this was day {stage_days})"
    return decision(
        Kind.HOLD,
        after,
        f"{clean}: a sending day, but {why}; {_stage_change(pair, after)}.",
    )


def _watch_floor(*, pair: PairState, day: DayFigures, rules: Rules) -> Decision | None:
    figures = {"routed": day.routed, "floor": rules.floor}
    if day.routed < rules.floor and pair.state == State.WARM:
        return Decision(
            kind=Kind.COOLING,
            before=pair,
            after=replace(pair, state=State.COOLING),
            figures=figures,
            reason=f"Routed {_n(day.routed)}, under the floor of {_n(rules.floor)} a day that "
            "keeps a reputation warm: flagged cooling, routing prefers this IP here until it is "
            "back over the floor.",
        )
    if day.routed >= rules.floor and pair.state == State.COOLING:
        return Decision(
            kind=Kind.RECOVERED,
            before=pair,
            after=replace(pair, state=State.WARM),
            figures=figures,
            reason=f"Routed {_n(day.routed)}, over the floor of {_n(rules.floor)}: warm again.",
        )
    return None


# --- bulk SQL helpers ------------------------------------------------------------------------


def json_rows(columns: list[tuple[str, str]]) -> str:
    """A SELECT that turns one JSON parameter (a list of rows, each a list) into typed columns.

    `columns` are (name, PostgreSQL type). One parameter instead of one per value: the statement
    text stays the same size whatever the number of rows (and below SQLite's parameter limit).
    """
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


def _dump(rows: list[list]) -> str:
    return json.dumps(rows, separators=(",", ":"), default=str)


@lru_cache(maxsize=16)  # one moment per run, written on every decision row
def stamp(moment: datetime):
    """A datetime as a JSON value the database reads back as the column's own format."""
    if connection.vendor == "postgresql":
        return moment.isoformat()
    return connection.ops.adapt_datetimefield_value(moment)


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
    where = "" if connection.vendor == "postgresql" else "WHERE true "  # SQLite's upsert parser
    cursor.execute(
        f"INSERT INTO {table} ({names}) {json_rows(DECISION_COLUMNS)} {where}"
        "ON CONFLICT DO NOTHING",
        [_dump(rows)],
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
    """Today's open day rows take these caps ([warm-up id, cap], …), never below what was
    routed already (the constraint routed <= cap holds; what left cannot be unsent)."""
    if not caps:
        return
    table = connection.ops.quote_name(IpWarmupDay._meta.db_table)
    cursor.execute(
        f"UPDATE {table} SET cap = CASE WHEN routed > v.cap THEN routed ELSE v.cap END "
        f"FROM ({json_rows([('id', 'bigint'), ('cap', 'integer')])}) AS v "
        f"WHERE {table}.warmup_id = v.id AND {table}.day = %s AND {table}.cap IS NOT NULL",
        [_dump(caps), today],
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


# --- the daily job ---------------------------------------------------------------------------

_PAIR_COLUMNS = [
    ("id", "bigint"),
    ("state", "text"),
    ("stage", "integer"),
    ("daily_cap", "integer"),
    ("sending_days", "integer"),
    ("stage_days", "integer"),
    ("idle_days", "integer"),
    ("target_days", "integer"),
    ("warm_since", "date"),
    ("decided_through", "date"),
]


def _first_day(row: dict, last: date) -> date:
    if row["decided_through"] is not None:
        first = row["decided_through"] + timedelta(days=1)
    elif row["state"] in WARMING_STATES:
        first = row["started_on"] or last
    else:
        first = row["warm_since"] or last
    return max(first, last - timedelta(days=MAX_CATCH_UP_DAYS - 1))


def controller_run(*, now: datetime | None = None) -> dict[str, int]:
    """Decide every controlled (IP, provider) for every day it has not been decided for, up
    to yesterday (UTC). Safe to run twice, late, and on several workers at once."""
    now = now or timezone.now()
    today = utc_day(now)
    last = today - timedelta(days=1)
    rules = {pid: Rules.from_profile(p) for pid, p in profiles_by_provider().items()}
    counts = dict.fromkeys(["pairs", "days", "decisions", *Kind.values, "ips_changed"], 0)
    with transaction.atomic():
        claim = (
            IpWarmup.objects.filter(state__in=CONTROLLED_STATES)
            .filter(Q(decided_through__isnull=True) | Q(decided_through__lt=last))
            .order_by("pk")
            .values(
                "id",
                "provider_id",
                "state",
                "stage",
                "daily_cap",
                "sending_days",
                "stage_days",
                "idle_days",
                "target_days",
                "started_on",
                "warm_since",
                "decided_through",
            )
        )
        if connection.features.has_select_for_update_skip_locked:
            claim = claim.select_for_update(skip_locked=True)
        pairs = {row["id"]: row for row in claim}
        if not pairs:
            return counts
        firsts = {pk: _first_day(row, last) for pk, row in pairs.items()}
        since = min(firsts.values())
        # Every controlled pair's counters since the oldest missed day; rows of pairs another
        # worker claimed are read and ignored (a join keeps the statement free of id lists).
        days: dict[int, dict[date, tuple]] = {}
        for row in IpWarmupDay.objects.filter(
            day__gte=since, day__lte=last, warmup__state__in=CONTROLLED_STATES
        ).values_list("warmup_id", "day", "cap", "routed", *IpWarmupDay.COUNTERS):
            if row[0] in pairs:
                days.setdefault(row[0], {})[row[1]] = row[2:]
        updates, decisions, caps, alerts = [], [], [], []
        for pk, row in pairs.items():
            rule = rules[row["provider_id"]]
            pair = PairState(
                state=row["state"],
                stage=row["stage"],
                daily_cap=row["daily_cap"],
                sending_days=row["sending_days"],
                stage_days=row["stage_days"],
                idle_days=row["idle_days"],
                target_days=row["target_days"],
            )
            start = pair
            warm_since = row["warm_since"]
            on = firsts[pk]
            counts["pairs"] += 1
            while on <= last:
                counters = days.get(pk, {}).get(on)
                figures = _figures(counters, pair)
                decision = decide(pair=pair, day=figures, rules=rule)
                counts["days"] += 1
                if decision is not None:
                    decisions.append(
                        decision_row(
                            warmup_id=pk,
                            day=on,
                            daily=True,
                            decision=decision,
                            actor_id=None,
                            now=now,
                        )
                    )
                    counts["decisions"] += 1
                    counts[decision.kind] += 1
                    if decision.kind == Kind.ALERT:
                        alerts.append(f"warm-up {pk} on {on}: {decision.reason}")
                    if decision.kind == Kind.WARM:
                        warm_since = on + timedelta(days=1)
                    pair = decision.after
                on += timedelta(days=1)
            updates.append(
                [
                    pk,
                    pair.state,
                    pair.stage,
                    pair.daily_cap,
                    pair.sending_days,
                    pair.stage_days,
                    pair.idle_days,
                    pair.target_days,
                    warm_since.isoformat() if warm_since else None,
                    # A pair that starts after `last` (a run for an earlier day) keeps the day
                    # before its start: days before it must never be decided.
                    max(last, firsts[pk] - timedelta(days=1)).isoformat(),
                ]
            )
            if pair.daily_cap != start.daily_cap or pair.state != start.state:
                caps.append([pk, pair.daily_cap])
        with connection.cursor() as cursor:
            _pairs_update(cursor, updates, now=now)
            decisions_insert(cursor, decisions)
            day_caps_follow(cursor, caps=caps, today=today)
            counts["ips_changed"] = ips_state_follow(cursor, now=now)
        # The fast back-off only looks at the last hour; a day of hour rows is plenty.
        IpWarmupHour.objects.filter(hour__lt=now - timedelta(days=1)).delete()
    if alerts:
        # One log line per run, not per pair (a bad list can alert on thousands of pairs);
        # every alert is a stored decision, listed in the admin.
        logger.warning(
            "%d list-quality alerts (held, not advanced); the first: %s",
            len(alerts),
            " | ".join(alerts[:5]),
        )
    from ips.services.routing import routing_cache_clear

    routing_cache_clear()  # new caps and states: this process re-reads at once
    return counts


def _figures(counters: tuple | None, pair: PairState) -> DayFigures:
    if counters is None:
        return DayFigures(cap=pair.daily_cap)
    cap, routed, *rest = counters
    values = dict(zip(IpWarmupDay.COUNTERS, rest, strict=True))
    return DayFigures(cap=cap if cap is not None else pair.daily_cap, routed=routed, **values)


def _pairs_update(cursor, rows: list[list], *, now: datetime) -> None:
    table = connection.ops.quote_name(IpWarmup._meta.db_table)
    sets = ", ".join(f"{name} = v.{name}" for name, _ in _PAIR_COLUMNS[1:])
    cursor.execute(
        f"UPDATE {table} SET {sets}, updated_at = %s FROM ({json_rows(_PAIR_COLUMNS)}) AS v "
        f"WHERE {table}.id = v.id",
        [connection.ops.adapt_datetimefield_value(now), _dump(rows)],
    )
