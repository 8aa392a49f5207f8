"""The domain warm-up plan's daily rule, per (domain, provider) — pure (no ORM, no I/O).

Each morning a provider's plan gets one decision for today: start, warm (graduate, or stay
warm), hold after a spammy day, advance along the ramp, needs attention — `plan_step` tries
them in that order. What each means and its thresholds (settings WARMUP_DOMAIN_RAMP,
WARMUP_SPAM_HOLD_THRESHOLD, WARMUP_GRADUATE_*, WARMUP_ATTENTION_AFTER_DAYS) are written for
operators in docs/operations.md ("Domain warm-up"); domains.services.warmup stores the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

# The window the graduation rule looks at: the days before today.
GRADUATION_WINDOW_DAYS = 3
HOLD_DAYS = 2

START, ADVANCE, HOLD, WARM, NEEDS_ATTENTION = (
    "start",
    "advance",
    "hold",
    "warm",
    "needs_attention",
)
WARMING = "warming"


@dataclass(frozen=True)
class Thresholds:
    ramp: tuple[int, ...]
    spam_hold_threshold: float
    graduate_inbox_rate: float
    graduate_min_placements: int
    attention_after_days: int


@dataclass(frozen=True)
class PlanState:
    """What the rule reads and moves of a plan (DomainWarmupPlan)."""

    step: int
    state: str
    reason: str = ""
    hold_until: date | None = None
    graduated_on: date | None = None


@dataclass(frozen=True)
class PreviousDay:
    """The plan's last stepped day."""

    date: date
    volume: int
    spam: int
    placed: int


@dataclass(frozen=True)
class PlanStep:
    decision: str
    volume: int
    reason: str
    plan: PlanState  # the plan after the decision


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def plan_step(
    *,
    plan: PlanState,
    today: date,
    day_number: int,
    previous: PreviousDay | None,
    window: tuple[int, int],
    t: Thresholds,
) -> PlanStep:
    """Today's decision for one provider's plan. `window` is (inbox, placed) over the
    GRADUATION_WINDOW_DAYS days before today."""
    ramp, last = t.ramp, len(t.ramp) - 1
    if previous is None:
        return PlanStep(
            START, ramp[0], f"Day 1: {ramp[0]} messages to start the ramp.", replace(plan, step=0)
        )
    if plan.state == WARM:
        return PlanStep(WARM, 0, plan.reason, plan)
    inbox, placed = window
    rate = inbox / placed if placed else 0.0
    figures = (
        f"inbox rate over the last {GRADUATION_WINDOW_DAYS} days {_pct(rate)} on {placed} "
        f"placements (warm needs ≥ {_pct(t.graduate_inbox_rate)} on "
        f"≥ {t.graduate_min_placements})"
    )
    ramp_done = plan.step >= last and previous.volume >= ramp[last]
    if ramp_done and placed >= t.graduate_min_placements and rate >= t.graduate_inbox_rate:
        after = replace(plan, state=WARM, graduated_on=today, hold_until=None)
        return PlanStep(WARM, 0, f"Warm since {today:%d %b %Y}: {figures}.", after)
    decision, plan, volume_reason = _volume(plan, today, previous, t)
    volume = ramp[plan.step]
    if day_number > t.attention_after_days:
        return PlanStep(
            NEEDS_ATTENTION,
            volume,
            f"Not warm after {day_number - 1} days: {figures}. Sending continues at "
            f"{volume}/day; check the domain's authentication and content reputation.",
            replace(plan, state=NEEDS_ATTENTION),
        )
    sentence = volume_reason[0].upper() + volume_reason[1:]
    return PlanStep(decision, volume, f"Day {day_number}: {sentence}; {figures}.", plan)


def _volume(
    plan: PlanState, today: date, previous: PreviousDay, t: Thresholds
) -> tuple[str, PlanState, str]:
    """Hold after a spammy day (and until the hold ends), else the next step of the ramp."""
    ramp, last = t.ramp, len(t.ramp) - 1
    spam_share = previous.spam / previous.placed if previous.placed else 0.0
    if previous.placed and spam_share > t.spam_hold_threshold:
        hold_until = today + timedelta(days=HOLD_DAYS - 1)
        return (
            HOLD,
            replace(plan, hold_until=hold_until),
            f"holding at {ramp[plan.step]}/day until {hold_until:%d %b}: on "
            f"{previous.date:%d %b} {previous.spam} of {previous.placed} placements "
            f"({_pct(spam_share)}) were in spam (threshold {_pct(t.spam_hold_threshold)})",
        )
    if plan.hold_until and today <= plan.hold_until:
        return HOLD, plan, f"holding at {ramp[plan.step]}/day until {plan.hold_until:%d %b}"
    step = min(plan.step + 1, last)
    return (
        ADVANCE,
        replace(plan, hold_until=None, step=step),
        f"{ramp[step]}/day (step {step + 1} of {len(ramp)})",
    )
