"""The stage table, a day's cap, its pacing, the engagement window — one copy of each formula.

**The stage table.** A provider's profile ramps from `start_cap` to `target_cap`, each stage's
cap `growth` times the previous one (rounded up, strictly growing, at most MAX_STAGES); the
profile's `min_days` are shared out over the stages, earlier stages taking the remainder.

**A day's cap.** A warming pair opens the day with its cap (the stage's, or less after a
back-off); a warm pair with its allowance, never below the provider's floor — the nightly
controller grows the allowance after full, clean days and cuts it on push-back
(ips/warmup_rule/warm.py), so a warm IP's volume never jumps past what it proved. A day's cap
opens over the profile's `pacing_hours` from 00:00 UTC, warm or warming: by the end of hour h,
`ceil(cap × min(h + 1, N) / N)` — providers limit per hour, not only per day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ips.types import WARM_STATES, WARMING, WarmupState

# A runaway profile (growth 1.01 towards a huge target) must not produce thousands of stages.
MAX_STAGES = 60

# Used for a provider an operator added without giving it a profile (and no `other` profile).
DEFAULT_PROFILE = dict(
    start_cap=1000,
    growth=1.6,
    target_cap=10000,
    min_days=14,
    pacing_hours=12,
    floor=1000,
    engaged_days_start=30,
    engaged_days_step=15,
    # The controller's thresholds (see WarmupProfile and docs/operations.md).
    backoff_rate=0.02,
    backoff_min_replies=10,
    backoff_cut=0.5,
    complaint_limit=0.003,
    hard_bounce_limit=0.05,
    idle_days_step_back=3,
    warm_after_days=3,
    suspend_after=20,
    fast_growth=2.5,
    cautious_growth=1.75,
    block_cut=0.25,
    spam_limit=0.6,
    idle_decay=0.85,
    rewarm_after_days=30,
)


@dataclass(frozen=True)
class Stage:
    stage: int
    daily_cap: int
    days: int
    first_day: int
    last_day: int
    engaged_days: int


def stage_caps(*, start_cap: int, growth: float, target_cap: int) -> list[int]:
    """The daily cap of every stage, from start_cap up to target_cap (strictly growing)."""
    caps: list[int] = []
    value = float(start_cap)
    while len(caps) < MAX_STAGES:
        cap = min(math.ceil(value - 1e-9), target_cap)
        if caps:
            cap = min(max(cap, caps[-1] + 1), target_cap)
        caps.append(cap)
        if cap >= target_cap:
            break
        value *= growth
    if caps[-1] < target_cap:
        caps[-1] = target_cap
    return caps


def cap_for_stage(caps: tuple[int, ...] | list[int], stage: int) -> int:
    """A stage's cap; stages outside the table clamp to its first or last one."""
    return caps[min(max(stage, 1), len(caps)) - 1]


def engaged_days_for_stage(*, start: int, step: int, stage: int) -> int:
    """How recently a recipient must have engaged for a warming IP at this stage to take it."""
    return start + step * max(stage - 1, 0)


def stage_table(
    *, caps: list[int], min_days: int, engaged_days_start: int, engaged_days_step: int
) -> list[Stage]:
    """The stage table: cap, minimum days at the stage, and the engagement window.

    The minimum days are shared out over the stages, earlier stages getting the remainder
    (trust is slowest to build at the start); with more stages than days each stage gets one.
    """
    base, extra = divmod(min_days, len(caps))
    table, day = [], 1
    for number, cap in enumerate(caps, start=1):
        days = max(1, base + (1 if number <= extra else 0))
        engaged = engaged_days_for_stage(
            start=engaged_days_start, step=engaged_days_step, stage=number
        )
        table.append(Stage(number, cap, days, day, day + days - 1, engaged))
        day += days
    return table


# --- a day's cap and its pace ---------------------------------------------------------------------


def warm_day_cap(*, daily_cap: int, floor: int) -> int:
    """A warm IP's cap for a day: its allowance, and always at least the provider's floor."""
    return max(daily_cap, floor)


def day_cap(*, phase: str, daily_cap: int, floor: int) -> int:
    """The cap a day opens with: the cap while warming, the allowance (at least the floor)
    once warm."""
    if phase == WARMING:
        return daily_cap
    return warm_day_cap(daily_cap=daily_cap, floor=floor)


def warmup_percentage(*, state: str, daily_cap: int, caps: tuple[int, ...] | list[int]) -> int:
    """How far a warm-up has come, 0–100, as Amazon SES reports `WarmupPercentage`: 100 once
    warm; while warming, where the cap stands between the first and the last stage of the table
    on a log scale (each doubling counts the same), at most 99; 0 before it starts."""
    if state in WARM_STATES:
        return 100
    if state == WarmupState.PENDING or not caps or daily_cap <= caps[0]:
        return 0
    first, last = caps[0], caps[-1]
    if last <= first or daily_cap >= last:
        return 99
    return min(99, max(0, round(100 * math.log(daily_cap / first) / math.log(last / first))))


def pace(*, phase: str, pacing_hours: int, hour: int) -> tuple[int, int]:
    """(numerator, denominator) of the share of today's cap open at this UTC hour. Warm and
    warming pairs alike: providers limit per hour, and a warm IP that spent its day in the
    first hour would be throttled like a cold one (`phase` is kept for the callers' sake)."""
    del phase  # every phase is paced
    hours = max(pacing_hours, 1)
    return min(hour + 1, hours), hours


def allowance(cap: int, numerator: int, denominator: int) -> int:
    """What may be routed by now: an integer ceiling, the same arithmetic as routing's claim
    statement (ips.services.routing)."""
    return (cap * numerator + denominator - 1) // denominator
