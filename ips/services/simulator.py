"""The warm-up simulator: our own routing arithmetic, fast back-off and nightly controller, hour
by hour, against a model of the mailbox provider — in memory, nothing is written anywhere.

It runs the code production runs, not a copy: the day's cap and its pacing over the hours
(`warmup_rule.day_cap`, `pace`, `allowance` — routing's claim arithmetic), the fast back-off's
suspension rule (`warmup_rule.backoff`), and the nightly decision (`warmup_rule.decide`). The
provider is any model behind the protocol of ips/provider_model.py (docs/provider-model.md):
each simulated hour it is offered what routing would give the IP and answers how much was
delivered, deferred, blocked, bounced and complained about.

Each day the sender has `daily_volume` messages for the provider, arriving evenly over the 24
hours; the IP takes what its paced allowance leaves room for, the rest overflows to other IPs
(outside the simulation). Mail the provider deferred is retried the next hour, as an MTA
would, through routing again (so a retry uses the IP's allowance again). With a fixed
`schedule` (day → daily limit) the controller and the fast back-off are off: the schedule's
limit is spread over the same hours, without any feedback, as the published schedules are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from ips.provider_model import check_outcome
from ips.types import ROUTING_PHASE, WARMING, WarmupState
from ips.warmup_rule import DayFigures, PairState, Rules, backoff, decide
from ips.warmup_rule.caps import allowance, day_cap, pace

# A day counts towards the target once it delivered this share of it: hard bounces and spam
# traps keep "delivered" a little under what was sent.
TARGET_SHARE = 0.95
START = datetime(2026, 1, 5)  # a Monday: the simulation's clock, for weekends and suspensions


@dataclass
class SimulatedDay:
    day: int  # 1-based
    on: date
    provider: str
    state: str  # at the start of the day
    stage: int
    cap: int  # the cap routing enforced (or the schedule's daily limit)
    offered: int = 0  # what the IP was offered, retries included
    delivered: int = 0
    deferred: int = 0
    blocked: int = 0
    hard_bounced: int = 0
    complaints: int = 0
    spam: int | None = None
    suspended_hours: int = 0
    kind: str = "—"  # the night's decision ("—": nothing worth storing)
    reason: str = ""
    next_stage: int = 0
    next_cap: int = 0

    def as_json(self) -> dict:
        return {
            "day": self.day,
            "cap": self.cap,
            "offered": self.offered,
            "delivered": self.delivered,
            "deferred": self.deferred,
            "blocked": self.blocked,
            "state": self.state,
            "stage": self.stage,
        }


@dataclass
class Simulation:
    provider: str
    target: int
    days: list[SimulatedDay] = field(default_factory=list)

    @property
    def days_to_target(self) -> int | None:
        """The first day that delivered at least TARGET_SHARE of the target; None if none."""
        goal = TARGET_SHARE * self.target
        return next((d.day for d in self.days if d.delivered >= goal), None)

    @property
    def blocked_days(self) -> int:
        return sum(1 for d in self.days if d.blocked)

    @property
    def deferred_days(self) -> int:
        return sum(1 for d in self.days if d.deferred)

    def as_json(self) -> dict:
        return {
            "days": [d.as_json() for d in self.days],
            "days_to_target": self.days_to_target,
            "blocked_days": self.blocked_days,
            "deferred_days": self.deferred_days,
        }


def _hourly(volume: int) -> list[int]:
    """A day's volume spread evenly over 24 hours (the remainder in the first hours)."""
    base, extra = divmod(volume, 24)
    return [base + (1 if hour < extra else 0) for hour in range(24)]


class _Run:
    """One provider's simulated IP: its pair state, the day in progress, the suspension."""

    def __init__(self, *, profile, model, schedule: dict[int, int] | None):
        self.rules = Rules.from_profile(profile)
        self.profile = profile
        self.model = model
        self.schedule = schedule
        self.model_name = getattr(model, "name", type(model).__name__)
        self.pair = PairState(state=WarmupState.WARMING, stage=1, daily_cap=self.rules.cap(1))
        self.history: list[int] = []  # routed per day, for the warm growth allowance
        self.suspended_until: datetime | None = None
        self.backlog = 0  # deferred mail the MTA retries next hour

    def day_cap(self, number: int) -> tuple[str | None, int]:
        """(routing phase, the day's cap)."""
        if self.schedule is not None:
            last = max(day for day in self.schedule if day <= number) if self.schedule else 0
            return WARMING, self.schedule.get(last, 0)
        phase = ROUTING_PHASE.get(self.pair.state)
        if phase is None:
            return None, 0  # paused or pending: not routed
        return phase, day_cap(phase=phase, daily_cap=self.pair.daily_cap, floor=self.profile.floor)

    def hour(self, row: SimulatedDay, *, phase, hour: int, now: datetime, demand: int) -> None:
        """One hour: offer what the paced allowance leaves room for, record the answer, apply
        the fast back-off."""
        wanted = demand + self.backlog
        room = 0
        if phase is not None and not (self.suspended_until and now < self.suspended_until):
            numerator, denominator = pace(
                phase=phase, pacing_hours=self.profile.pacing_hours, hour=hour
            )
            room = max(allowance(row.cap, numerator, denominator) - row.offered, 0)
        elif phase is not None:
            row.suspended_hours += 1
        offered = min(wanted, room)
        answer = self.model.offer(day=row.day, hour=hour, messages=offered)
        check_outcome(offered, answer, model=self.model_name, day=row.day, hour=hour)
        row.offered += offered
        row.delivered += answer["delivered"]
        row.deferred += answer["deferred"]
        row.blocked += answer["blocked"]
        row.hard_bounced += answer["hard_bounced"]
        row.complaints += answer["complaints"]
        if "spam" in answer:
            row.spam = (row.spam or 0) + answer["spam"]
        self.backlog = answer["deferred"]  # retried next hour; the rest overflowed elsewhere
        if self.schedule is None:
            counts = {"throttled": answer["deferred"], "blocked": answer["blocked"]}
            found = backoff.suspension(
                {**counts, "blocklisted": 0},
                limit=self.profile.suspend_after,
                now=now + timedelta(hours=1),  # counted at the hour's end
                delivered=answer["delivered"] + answer["hard_bounced"],
            )
            if found is not None:
                self.suspended_until = max(self.suspended_until or now, found[1])

    def night(self, row: SimulatedDay) -> None:
        """The nightly controller decides the day that ended."""
        self.history.append(row.offered)
        row.next_stage, row.next_cap = self.pair.stage, self.pair.daily_cap
        if self.schedule is not None:
            return
        figures = DayFigures(
            cap=row.cap,
            routed=row.offered,
            delivered=row.delivered,
            deferred=row.deferred,
            bounced=row.hard_bounced + row.blocked,
            hard_bounced=row.hard_bounced,
            throttled=row.deferred,
            blocked=row.blocked,
            complaints=row.complaints,
            spam=row.spam,
        )
        decision = decide(pair=self.pair, day=figures, rules=self.rules)
        if decision is not None:
            self.pair = decision.after
            row.kind, row.reason = decision.kind, decision.reason
        row.next_stage, row.next_cap = self.pair.stage, self.pair.daily_cap


def simulate(
    *,
    profile,
    model,
    days: int,
    daily_volume: int | Callable[[int, date], int],
    target: int | None = None,
    schedule: dict[int, int] | None = None,
    start_state: PairState | None = None,
) -> Simulation:
    """One provider's IP, hour by hour from stage 1 (or `start_state`), against `model`.

    `daily_volume` is the sender's volume for the provider each day (or a function of the day
    number and date). `schedule` replaces the controller by fixed daily limits."""
    run = _Run(profile=profile, model=model, schedule=schedule)
    if start_state is not None:
        run.pair = replace(start_state)
    volume = daily_volume if callable(daily_volume) else (lambda _n, _on: daily_volume)
    result = Simulation(
        provider=profile.provider.slug, target=target if target is not None else volume(1, START)
    )
    for number in range(1, days + 1):
        moment = START + timedelta(days=number - 1)
        phase, cap = run.day_cap(number)
        row = SimulatedDay(
            day=number,
            on=moment.date(),
            provider=profile.provider.slug,
            state=run.pair.state if schedule is None else "schedule",
            stage=run.pair.stage if schedule is None else number,
            cap=cap,
        )
        for hour, demand in enumerate(_hourly(volume(number, moment.date()))):
            run.hour(row, phase=phase, hour=hour, now=moment + timedelta(hours=hour), demand=demand)
        run.night(row)
        result.days.append(row)
    return result


class Forced:
    """A model with the operator's what-ifs on top: on `throttle_days` (`block_days`) a tenth of
    what was offered is deferred (blocked) whatever the model said, and `complaint_rate`
    replaces the model's complaints."""

    def __init__(
        self, model, *, throttle_days=frozenset(), block_days=frozenset(), complaint_rate=None
    ):
        self.model = model
        self.throttle_days, self.block_days = throttle_days, block_days
        self.complaint_rate = complaint_rate

    def offer(self, *, day: int, hour: int, messages: int) -> dict:
        answer = dict(self.model.offer(day=day, hour=hour, messages=messages))
        kind = (
            "deferred" if day in self.throttle_days else "blocked" if day in self.block_days else ""
        )
        if kind:
            moved = min(answer["delivered"], math.ceil(messages * 0.1))
            answer["delivered"] -= moved
            answer[kind] += moved
            answer["complaints"] = min(answer["complaints"], answer["delivered"])
            if "spam" in answer:
                answer["spam"] = min(answer["spam"], answer["delivered"])
        if self.complaint_rate is not None:
            answer["complaints"] = math.floor(answer["delivered"] * self.complaint_rate)
        return answer


def load_schedule(path: str) -> dict[int, int]:
    """A fixed schedule from a CSV file of `day,daily_limit` lines (blank lines and `#`
    comments allowed); ValueError naming the line that is wrong."""
    schedule: dict[int, int] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.split("#", 1)[0].strip()
            if not text or text.lower().replace(" ", "") == "day,daily_limit":
                continue
            parts = [part.strip() for part in text.split(",")]
            if len(parts) != 2 or not all(part.isdigit() for part in parts):
                raise ValueError(f"{path}, line {number}: expected 'day,daily_limit', got {text!r}")
            day, limit = int(parts[0]), int(parts[1])
            if day < 1 or day in schedule:
                raise ValueError(f"{path}, line {number}: day {day} is not a new day from 1")
            schedule[day] = limit
    if not schedule:
        raise ValueError(f"{path}: no 'day,daily_limit' lines")
    return schedule
