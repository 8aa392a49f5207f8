"""How far one (IP, provider) warm-up has come and when it should be warm — pure.

"stage X of Y · ~N days left". The stage table gives X and Y; N comes from the controller's
**recent pace** when there is one, else from the **profile's stage table**:

* *pace*: over the sending days of the last week (days that routed anything), the cap grew by a
  factor g per sending day, g = (cap now / cap a week ago)^(1 / sending days). At that pace the
  cap needs ⌈log(target / cap now) / log g⌉ more sending days to reach the target cap. The pace
  is used when the week had at least two sending days and the cap grew; it folds in everything
  the controller did (the fast lane's ×fast_growth days, cautious days, holds and back-offs);
* *profile*: otherwise (a new warm-up, a week of holding or backing off, a quiet week) the stage
  table's minimum days: what is left of the current stage's days plus every later stage's;

then the `warm_after_days` clean days at the target cap that make the IP warm. Sending days
become calendar days at the week's rate of sending days (a sender that sends five days a week
needs 7/5 as long). docs/dashboards.md explains it for operators; the pages, the API
(`progress`, `estimated_finish`) and the admin show it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from ips.types import WARM_STATES, WarmupState

# The pace looks at this many days before today.
PACE_WINDOW_DAYS = 7
# A pace needs at least this many sending days in the window, and some growth.
PACE_MIN_SENDING_DAYS = 2
PACE_MIN_GROWTH = 1.005


@dataclass(frozen=True)
class RecentDay:
    """One day of the window: the cap routing used that day and what it routed."""

    day: date
    cap: int | None
    routed: int


@dataclass(frozen=True)
class Estimate:
    stage: int
    stages: int
    days_left: int | None  # calendar days until warm; None when there is no estimate
    estimated_finish: date | None
    percent: int
    basis: str  # "pace", "profile", "warm", "paused", "not_started"
    growth: float | None  # the pace: the cap's growth factor per sending day
    label: str

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "stage": self.stage,
            "stages": self.stages,
            "percent": self.percent,
            "days_left": self.days_left,
            "basis": self.basis,
            "growth_per_sending_day": None if self.growth is None else round(self.growth, 3),
        }


def _pace(daily_cap: int, recent: list[RecentDay]) -> tuple[float | None, int]:
    """(growth per sending day, sending days) over the window; growth None without a pace."""
    opened = [d for d in sorted(recent, key=lambda d: d.day) if d.cap]
    sending = sum(1 for d in opened if d.routed > 0)
    if not opened or sending < PACE_MIN_SENDING_DAYS or daily_cap <= opened[0].cap:
        return None, sending
    growth = (daily_cap / opened[0].cap) ** (1 / sending)
    return (growth if growth >= PACE_MIN_GROWTH else None), sending


def _profile_days(*, stage: int, stage_days_done: int, stage_days: list[int]) -> int:
    """Sending days the stage table still asks for: the rest of this stage, then the others."""
    if not stage_days:
        return 0
    index = min(max(stage, 1), len(stage_days)) - 1
    return max(stage_days[index] - stage_days_done, 1) + sum(stage_days[index + 1 :])


def warmup_estimate(
    *,
    state: str,
    stage: int,
    daily_cap: int,
    caps: list[int],
    stage_days: list[int],
    stage_days_done: int,
    target_days: int,
    warm_after_days: int,
    percent: int,
    recent: list[RecentDay],
    started_on: date | None,
    today: date,
) -> Estimate:
    """The estimate for one pair (see the module docstring)."""
    stages = len(caps)
    shown = min(max(stage, 1), stages) if stages else stage
    if state in WARM_STATES:
        return Estimate(shown, stages, 0, None, 100, "warm", None, "warm")
    if state == WarmupState.PENDING:
        return Estimate(0, stages, None, None, 0, "not_started", None, "not started")
    if state == WarmupState.PAUSED:
        label = f"paused at stage {shown} of {stages}"
        return Estimate(shown, stages, None, None, percent, "paused", None, label)
    target = caps[-1] if caps else daily_cap
    growth, sending = _pace(daily_cap, recent)
    at_target = max(warm_after_days - target_days, 1)
    if daily_cap >= target:
        sending_left, basis = at_target, "pace" if growth else "profile"
    elif growth is not None:
        sending_left = math.ceil(math.log(target / daily_cap) / math.log(growth)) + at_target
        basis = "pace"
    else:
        sending_left = (
            _profile_days(stage=stage, stage_days_done=stage_days_done, stage_days=stage_days)
            + at_target
        )
        basis = "profile"
    # Sending days → calendar days, at the week's rate of sending days (daily until the
    # warm-up is a week old).
    week_old = started_on is not None and (today - started_on).days >= PACE_WINDOW_DAYS
    rate = sending / PACE_WINDOW_DAYS if week_old and sending else 1.0
    days_left = max(1, math.ceil(sending_left / rate))
    label = f"stage {shown} of {stages} · ~{days_left} day{'s' if days_left != 1 else ''} left"
    return Estimate(
        shown,
        stages,
        days_left,
        today + timedelta(days=days_left),
        percent,
        basis,
        growth,
        label,
    )
