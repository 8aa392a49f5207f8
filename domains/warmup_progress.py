"""How far one provider's domain warm-up has come and when it should be warm — pure.

"day N of ~T". The plan advances one step of the ramp (WARMUP_DOMAIN_RAMP) on each day that is
not held; the morning after the first day sent at the ramp's last volume it graduates if the
seeds' inbox rate is good enough (domains/warmup_rule.py). So from the plan's last step — day N
at step s — the earliest graduation is on day

    G = N + (days still held after that step) + (last step − s) + 1

and the warm-up is expected to take T = G − 1 sending days, finishing on the morning of day G.
The recent pace is in the holds: a spammy day holds the volume for two days (`hold_until`),
which pushes G back. When the ramp is done but the inbox rate is not yet good enough, or the
plan needs attention, or Domain Warmup is off, there is no finish date (`days_left` None).
docs/dashboards.md explains it for users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WARMING, WARM, NEEDS_ATTENTION, PAUSED = "warming", "warm", "needs_attention", "paused"


@dataclass(frozen=True)
class PlanProgress:
    day: int
    expected_days: int  # T: the sending days the warm-up is expected to take
    days_left: int | None  # calendar days until the expected finish; None: no estimate
    estimated_finish: date | None
    percent: int
    label: str

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "day": self.day,
            "expected_days": self.expected_days,
            "days_left": self.days_left,
            "percent": self.percent,
        }


def plan_progress(
    *,
    state: str,
    day: int,
    step: int,
    ramp_length: int,
    hold_until: date | None,
    graduated_on: date | None,
    last_step_on: date | None,
    today: date,
    inbox_rate_needed: float,
    ramp_done: bool = False,
) -> PlanProgress:
    """The progress of one provider's plan (see the module docstring). `state` is the plan's,
    or PAUSED while Domain Warmup is switched off; `ramp_done` says that a day before the last
    step already sent the ramp's last volume (so the morning's graduation check has had its
    chance, and only the inbox rate holds it back)."""
    last = max(ramp_length - 1, 0)
    # A provider that graduated stays warm while Domain Warmup is off: the reputation is the
    # domain's, whatever we send.
    if state == WARM or (state == PAUSED and graduated_on is not None):
        label = f"warm since {graduated_on:%-d %b}" if graduated_on else "warm"
        return PlanProgress(day, day, 0, graduated_on, 100, label)
    if day <= 0 or last_step_on is None:
        return PlanProgress(
            0, ramp_length, None, None, 0, f"starts with the next daily step (~{ramp_length} days)"
        )
    held = max((hold_until - last_step_on).days, 0) if hold_until else 0
    graduation_day = day + held + max(last - step, 0) + 1
    expected = max(graduation_day - 1, day)
    percent = min(99, round(100 * day / expected)) if expected else 0
    if state == PAUSED:
        label = f"paused at day {day} of ~{expected}"
        return PlanProgress(day, expected, None, None, percent, label)
    if state == NEEDS_ATTENTION:
        return PlanProgress(day, expected, None, None, percent, f"day {day} · needs attention")
    if ramp_done and step >= last:
        return PlanProgress(
            day,
            expected,
            None,
            None,
            percent,
            f"day {day} · warm once the inbox rate reaches {inbox_rate_needed * 100:.0f}%",
        )
    finish = max(last_step_on + timedelta(days=graduation_day - day), today)
    return PlanProgress(
        day, expected, (finish - today).days, finish, percent, f"day {day} of ~{expected}"
    )
