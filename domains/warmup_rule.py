"""The domain warm-up plan's daily rule, per (domain, provider) — pure (no ORM, no I/O).

Each morning a provider's plan gets one decision for today. `plan_step` tries, in order:

1. **start** — the first day: the ramp's first volume.
2. A **warm** provider is kept warm: **maintain** (a few messages every few days), or back to
   warm-up (**rewarm**) when the maintenance mail's inbox rate fell below the provider's
   threshold; nothing at all when the customer switched keep-warm off.
3. A plan that **needs attention** has stopped and stays stopped (the switch restarts it).
4. **hold** for the customer's own mail: their complaint, block or throttle rate at this
   provider over the last days is above its limit.
5. **warm** (graduate): ≥ `graduate_inbox_rate` inbox on ≥ `graduate_min_placements`
   placements over the `GRADUATION_WINDOW_DAYS` days before today, each of them with
   placements.
6. **needs attention** (stop): the seeds engaged with none of the mail of the last
   `stall_days` days (warm-up mail nobody engages with builds no reputation), or not warm
   after `attention_after_days` days.
7. **hold** after a spam spike: yesterday's spam share is above `spam_hold_threshold` and
   rose by more than `SPIKE_RISE` over the day before (a fresh domain's spam is not a spike).
8. **advance** along the ramp: one step, or — when yesterday's inbox rate was at least
   `fast_inbox_rate` and most of it was engaged with — to the largest volume that at most
   multiplies yesterday's by `max_growth`.

What each means for people, with the defaults, is in docs/operations.md ("Domain warm-up");
domains.services.warmup loads the figures and stores the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

# The window the graduation rule looks at: the days before today.
GRADUATION_WINDOW_DAYS = 3
HOLD_DAYS = 2
# A spam spike: the spam share rose by more than this over the day before.
SPIKE_RISE = 0.2
# After a rewarm the ramp restarts from this step (a domain that was warm starts above day 1).
REWARM_STEP = 1

START, ADVANCE, HOLD, WARM, NEEDS_ATTENTION, MAINTAIN, REWARM = (
    "start",
    "advance",
    "hold",
    "warm",
    "needs_attention",
    "maintain",
    "rewarm",
)
WARMING, NOT_COVERED = "warming", "not_covered"


@dataclass(frozen=True)
class Thresholds:
    """The plan's global settings (WARMUP_DOMAIN_* and WARMUP_GRADUATE_* …)."""

    ramp: tuple[int, ...]
    spam_hold_threshold: float
    graduate_inbox_rate: float
    graduate_min_placements: int
    attention_after_days: int
    fast_inbox_rate: float = 0.8
    max_growth: float = 2.0
    stall_days: int = 4


@dataclass(frozen=True)
class ProviderRules:
    """What differs per provider (domains/warmup_plan.toml)."""

    maintenance_messages: int = 3
    maintenance_every_days: int = 2
    rewarm_below: float = 0.75
    rewarm_min_placements: int = 6
    rewarm_window_days: int = 7
    complaint_rate_limit: float = 0.003
    block_rate_limit: float = 0.05
    throttle_rate_limit: float = 0.2
    real_mail_min_messages: int = 100


@dataclass(frozen=True)
class PlanState:
    """What the rule reads and moves of a plan (DomainWarmupPlan)."""

    step: int
    state: str
    reason: str = ""
    hold_until: date | None = None
    graduated_on: date | None = None


@dataclass(frozen=True)
class Day:
    """One stepped day of the plan, with what the seeds found and did."""

    date: date
    volume: int
    placed: int = 0
    inbox: int = 0
    spam: int = 0
    engaged: int = 0
    decision: str = ADVANCE


@dataclass(frozen=True)
class RealMail:
    """The customer's own mail from the domain to this provider over the last days (the
    sending pipeline's delivery events): attempts, delivered, complaints, blocked, throttled."""

    days: int
    attempts: int = 0
    delivered: int = 0
    complaints: int = 0
    blocked: int = 0
    throttled: int = 0


@dataclass(frozen=True)
class PlanStep:
    decision: str
    volume: int
    reason: str
    plan: PlanState  # the plan after the decision


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _rate(inbox: int, placed: int) -> float:
    return inbox / placed if placed else 0.0


def plan_step(
    *,
    plan: PlanState,
    today: date,
    day_number: int,
    days: tuple[Day, ...],
    t: Thresholds,
    rules: ProviderRules = ProviderRules(),
    provider: str = "this provider",
    real_mail: RealMail | None = None,
    keep_warm: bool = True,
) -> PlanStep:
    """Today's decision for one provider's plan. `days` are the plan's stepped days before
    today, oldest first (a week or more of them: the rules look back that far)."""
    ramp = t.ramp
    if not days:
        return PlanStep(
            START, ramp[0], f"Day 1: {ramp[0]} messages to start the ramp.", replace(plan, step=0)
        )
    if plan.state == WARM:
        return _keep_warm(plan, today, days, rules, provider, keep_warm, t)
    if plan.state == NEEDS_ATTENTION:
        return PlanStep(NEEDS_ATTENTION, 0, plan.reason, plan)
    window = [d for d in days if d.date >= today - timedelta(days=GRADUATION_WINDOW_DAYS)]
    inbox, placed = sum(d.inbox for d in window), sum(d.placed for d in window)
    rate = _rate(inbox, placed)
    figures = (
        f"inbox rate over the last {GRADUATION_WINDOW_DAYS} days {_pct(rate)} on {placed} "
        f"placements (warm needs ≥ {_pct(t.graduate_inbox_rate)} on "
        f"≥ {t.graduate_min_placements} over {GRADUATION_WINDOW_DAYS} days)"
    )
    held = _real_mail_problem(real_mail, rules, provider)
    if held:
        volume = ramp[plan.step]
        return PlanStep(
            HOLD,
            volume,
            f"Day {day_number}: holding at {volume}/day and not graduating: {held}; {figures}.",
            replace(plan, hold_until=None),
        )
    days_placed = sum(1 for d in window if d.placed)
    if (
        days_placed >= GRADUATION_WINDOW_DAYS
        and placed >= t.graduate_min_placements
        and rate >= t.graduate_inbox_rate
    ):
        after = replace(plan, state=WARM, graduated_on=today, hold_until=None)
        return PlanStep(WARM, 0, f"Warm since {today:%d %b %Y}: {figures}.", after)
    stopped = _stop(day_number, days, today, t, provider, figures)
    if stopped:
        return PlanStep(NEEDS_ATTENTION, 0, stopped, replace(plan, state=NEEDS_ATTENTION))
    decision, plan, volume_reason = _volume(plan, today, days, t)
    volume = ramp[plan.step]
    sentence = volume_reason[0].upper() + volume_reason[1:]
    return PlanStep(decision, volume, f"Day {day_number}: {sentence}; {figures}.", plan)


def _real_mail_problem(real: RealMail | None, rules: ProviderRules, provider: str) -> str:
    """Why the customer's own mail holds the plan ("" when it does not)."""
    if real is None:
        return ""
    problems = []
    if real.delivered >= rules.real_mail_min_messages and real.delivered:
        complaint_rate = real.complaints / real.delivered
        if complaint_rate > rules.complaint_rate_limit:
            problems.append(
                f"{real.complaints} complaints on {real.delivered} delivered "
                f"({complaint_rate * 100:.2f}%, limit {rules.complaint_rate_limit * 100:.2f}%)"
            )
    if real.attempts >= rules.real_mail_min_messages and real.attempts:
        for count, limit, words in (
            (real.blocked, rules.block_rate_limit, "blocked"),
            (real.throttled, rules.throttle_rate_limit, "throttled"),
        ):
            if count / real.attempts > limit:
                problems.append(
                    f"{count} of {real.attempts} attempts {words} "
                    f"({_pct(count / real.attempts)}, limit {_pct(limit)})"
                )
    if not problems:
        return ""
    return (
        f"your own mail to {provider} over the last {real.days} days had "
        + " and ".join(problems)
        + " — warming the domain up while its real mail is refused or reported would teach "
        f"{provider} the wrong thing"
    )


def _stop(day_number, days, today, t: Thresholds, provider: str, figures: str) -> str:
    """Why the plan stops by itself ("" when it goes on)."""
    recent = [d for d in days if d.date >= today - timedelta(days=t.stall_days)]
    placed = sum(d.placed for d in recent)
    if (
        len([d for d in recent if d.placed]) >= t.stall_days
        and placed
        and not any(d.engaged for d in recent)
    ):
        return (
            f"Stopped on day {day_number}: the seeds at {provider} engaged with none of the "
            f"{placed} messages placed over the last {t.stall_days} days ({figures}). Warm-up "
            "mail that nobody opens, rescues or answers builds no reputation, so sending more "
            "would not help. The seed network needs checking (operators); switch Domain Warmup "
            "off and on again to restart."
        )
    if day_number > t.attention_after_days:
        return (
            f"Stopped: not warm after {day_number - 1} days ({figures}). Sending more would not "
            "help; check the domain's authentication (SPF, DKIM, DMARC) and content, then "
            "switch Domain Warmup off and on again to restart."
        )
    return ""


def _volume(
    plan: PlanState, today: date, days: tuple[Day, ...], t: Thresholds
) -> tuple[str, PlanState, str]:
    """Hold after a spam spike (and until the hold ends), else the next step of the ramp — or
    further when the placement is already good."""
    ramp, last = t.ramp, len(t.ramp) - 1
    previous = days[-1]
    spam_share = previous.spam / previous.placed if previous.placed else 0.0
    before = days[-2] if len(days) > 1 else None
    spam_before = before.spam / before.placed if before and before.placed else 0.0
    if (
        previous.placed
        and before is not None
        and spam_share > t.spam_hold_threshold
        and spam_share - spam_before > SPIKE_RISE
    ):
        hold_until = today + timedelta(days=HOLD_DAYS - 1)
        return (
            HOLD,
            replace(plan, hold_until=hold_until),
            f"holding at {ramp[plan.step]}/day until {hold_until:%d %b}: on "
            f"{previous.date:%d %b} {previous.spam} of {previous.placed} placements "
            f"({_pct(spam_share)}) were in spam, up from {_pct(spam_before)} the day before "
            f"(a spike: over {_pct(t.spam_hold_threshold)} and {_pct(SPIKE_RISE)} worse)",
        )
    if plan.hold_until and today <= plan.hold_until:
        return HOLD, plan, f"holding at {ramp[plan.step]}/day until {plan.hold_until:%d %b}"
    rate = _rate(previous.inbox, previous.placed)
    engaged = previous.engaged / previous.placed if previous.placed else 0.0
    step = min(plan.step + 1, last)
    how = ""
    if previous.placed and rate >= t.fast_inbox_rate and engaged >= 0.5:
        ceiling = t.max_growth * previous.volume
        fastest = max((i for i, v in enumerate(ramp) if v <= ceiling), default=step)
        if fastest > step:
            step = fastest
            how = f", faster: {_pct(rate)} of yesterday's mail reached the inbox"
    return (
        ADVANCE,
        replace(plan, hold_until=None, step=step),
        f"{ramp[step]}/day (step {step + 1} of {len(ramp)}{how})",
    )


def _keep_warm(
    plan: PlanState,
    today: date,
    days: tuple[Day, ...],
    rules: ProviderRules,
    provider: str,
    keep_warm: bool,
    t: Thresholds,
) -> PlanStep:
    since = f"Warm since {plan.graduated_on:%d %b %Y}" if plan.graduated_on else "Warm"
    if not keep_warm:
        return PlanStep(WARM, 0, f"{since}. Keep-warm is off: no maintenance mail.", plan)
    start = today - timedelta(days=rules.rewarm_window_days)
    kept = [
        d
        for d in days
        if d.date >= start
        and d.decision == MAINTAIN
        and (not plan.graduated_on or d.date > plan.graduated_on)
    ]
    inbox, placed = sum(d.inbox for d in kept), sum(d.placed for d in kept)
    rate = _rate(inbox, placed)
    if placed >= rules.rewarm_min_placements and rate < rules.rewarm_below:
        step = min(REWARM_STEP, len(t.ramp) - 1)
        after = replace(plan, state=WARMING, step=step, hold_until=None)
        return PlanStep(
            REWARM,
            t.ramp[step],
            f"Back in warm-up at {provider}: only {_pct(rate)} of the {placed} maintenance "
            f"messages of the last {rules.rewarm_window_days} days reached the inbox (below "
            f"{_pct(rules.rewarm_below)}); {t.ramp[step]}/day to rebuild.",
            after,
        )
    maintenance = (
        f"keeping warm with {rules.maintenance_messages} messages every "
        f"{rules.maintenance_every_days} days"
    )
    if placed:
        maintenance += (
            f" ({_pct(rate)} of {placed} in the inbox over the last "
            f"{rules.rewarm_window_days} days)"
        )
    elapsed = (today - plan.graduated_on).days if plan.graduated_on else 0
    if elapsed > 0 and elapsed % rules.maintenance_every_days == 0:
        return PlanStep(MAINTAIN, rules.maintenance_messages, f"{since}; {maintenance}.", plan)
    return PlanStep(WARM, 0, f"{since}; {maintenance}.", plan)
