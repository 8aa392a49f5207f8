"""The daily decision for one (IP, provider) and one day that ended.

For a warming pair the numbered rules are tried in order and the first that applies decides
(`decide`): back off, hold and alert (list quality), idle (step back after a few idle days),
too little traffic, warm, advance, hold — one function each below. What each rule means and
its defaults are written for operators in docs/operations.md ("IP warm-up: the controller");
the thresholds come from the provider's WarmupProfile (`Rules`).

A warm pair is only watched against the provider's floor (`watch_floor`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ips.types import WARM_STATES, DecisionKind, WarmupState
from ips.warmup_rule.caps import cap_for_stage

Kind = DecisionKind
State = WarmupState

# A day "really sent" when it routed at least this share of its cap (the sending-day clock).
SENDING_SHARE = 0.5
# A stage is passed when a clean day routed at least this share of its cap.
ADVANCE_SHARE = 0.9


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
        """From a WarmupProfile (or anything with its fields and `stages()`)."""
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
        return cap_for_stage(self.caps, stage)

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


def stage_change(before: PairState, after: PairState) -> str:
    """How stage and cap moved, in words."""
    if after.stage != before.stage:
        return (
            f"stage {before.stage} → {after.stage}, cap {_n(before.daily_cap)} → "
            f"{_n(after.daily_cap)}"
        )
    if after.daily_cap != before.daily_cap:
        return f"stage {after.stage}, cap {_n(before.daily_cap)} → {_n(after.daily_cap)}"
    return f"holding at stage {after.stage} (cap {_n(after.daily_cap)})"


@dataclass(frozen=True)
class _Day:
    """One warming pair's day as the numbered rules read it."""

    pair: PairState
    day: DayFigures
    rules: Rules
    cap: int  # the day's cap, at least 1
    base: int  # what the rates are shares of: routed, else what reached the provider
    sent: bool  # a sending day
    sending_days: int  # the sending-day clock after this day

    def decision(self, kind: str, after: PairState, reason: str) -> Decision:
        figures = {**self.day.as_dict(), "stage": self.pair.stage}
        return Decision(kind=kind, before=self.pair, after=after, reason=reason, figures=figures)

    @property
    def clean(self) -> str:
        day = self.day
        return (
            f"{_n(day.routed)} of {_n(day.cap)} routed ({_pct(day.routed, day.cap)}), "
            f"{_n(day.rejections)} throttling/blocking replies, {_n(day.complaints)} complaints, "
            f"{_n(day.hard_bounced)} hard bounces"
        )


def _back_off(d: _Day) -> Decision | None:
    """1. The providers are saying "slow down"."""
    day, rules, pair = d.day, d.rules, d.pair
    if day.rejections < rules.backoff_min_replies or day.rejections < rules.backoff_rate * d.base:
        return None
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
        sending_days=d.sending_days,
        stage_days=0,
        idle_days=0,
        target_days=0,
    )
    return d.decision(
        Kind.BACKOFF,
        after,
        f"{_n(day.rejections)} throttling or blocking replies ({_n(day.throttled)} "
        f"throttled, {_n(day.blocked)} blocked, {_n(day.blocklisted)} blocklist) on "
        f"{_n(d.base)} routed ({_pct(day.rejections, d.base)}; back-off at "
        f"{100 * rules.backoff_rate:.1f}% and {_n(rules.backoff_min_replies)} replies): "
        f"backing off, {stage_change(pair, after)}.",
    )


def _list_quality_alert(d: _Day) -> Decision | None:
    """2. Hold and alert: complaints or hard bounces over their limits."""
    day, rules = d.day, d.rules
    problems = []
    if day.complaints > 0 and (
        not day.delivered or day.complaints >= rules.complaint_limit * day.delivered
    ):
        problems.append(
            f"complaints {_n(day.complaints)} = {_pct(day.complaints, day.delivered)} of "
            f"{_n(day.delivered)} delivered (limit {100 * rules.complaint_limit:.1f}%)"
        )
    if day.hard_bounced > 0 and (
        not day.delivered or day.hard_bounced >= rules.hard_bounce_limit * day.delivered
    ):
        problems.append(
            f"hard bounces {_n(day.hard_bounced)} = {_pct(day.hard_bounced, day.delivered)} "
            f"of {_n(day.delivered)} delivered (limit {100 * rules.hard_bounce_limit:.1f}%)"
        )
    if not problems:
        return None
    after = replace(d.pair, sending_days=d.sending_days, idle_days=0)
    return d.decision(
        Kind.ALERT,
        after,
        f"List-quality alert: {'; '.join(problems)}. Holding at stage {d.pair.stage} (cap "
        f"{_n(d.pair.daily_cap)}): sending more would hurt the reputation; clean the list.",
    )


def _idle(d: _Day) -> Decision | None:
    """3. Nothing sent: hold, and step back after a few such days in a row."""
    pair, rules = d.pair, d.rules
    if d.day.routed:
        return None
    idle = pair.idle_days + 1
    if idle >= rules.idle_days_step_back and pair.stage > 1:
        stage = pair.stage - 1
        after = replace(
            pair, stage=stage, daily_cap=rules.cap(stage), stage_days=0, idle_days=0, target_days=0
        )
        return d.decision(
            Kind.STEP_BACK,
            after,
            f"Nothing sent for {idle} days in a row (step back after "
            f"{rules.idle_days_step_back}): reputation cools, {stage_change(pair, after)}.",
        )
    after = replace(pair, idle_days=min(idle, rules.idle_days_step_back))
    return d.decision(
        Kind.HOLD,
        after,
        f"Nothing sent (idle day {idle}; a stage back after "
        f"{rules.idle_days_step_back} in a row): not a sending day, "
        f"{stage_change(pair, after)}.",
    )


def _too_little_traffic(d: _Day) -> Decision | None:
    """4. Under SENDING_SHARE of the cap: nothing to learn from, not a sending day."""
    if d.sent:
        return None
    day = d.day
    after = replace(d.pair, idle_days=0)
    return d.decision(
        Kind.HOLD,
        after,
        f"Only {_n(day.routed)} of {_n(day.cap)} routed ({_pct(day.routed, day.cap)}; a "
        f"sending day needs {100 * SENDING_SHARE:.0f}%): too little traffic to learn from, "
        f"not a sending day; {stage_change(d.pair, after)}.",
    )


def _warm(d: _Day) -> Decision | None:
    """5. At the target cap: warm after a few clean sending days there."""
    pair, rules = d.pair, d.rules
    if pair.stage < rules.final or pair.daily_cap < rules.cap(rules.final):
        return None
    target_days = pair.target_days + 1
    warm = target_days >= rules.warm_after_days
    after = replace(
        pair,
        state=State.WARM if warm else State.WARMING,
        sending_days=d.sending_days,
        stage_days=pair.stage_days + 1,
        idle_days=0,
        target_days=target_days,
    )
    if warm:
        return d.decision(
            Kind.WARM,
            after,
            f"{d.clean}: the target cap of {_n(pair.daily_cap)} held clean for {target_days} "
            f"sending days — warm at this provider after {d.sending_days} sending days.",
        )
    return d.decision(
        Kind.HOLD,
        after,
        f"{d.clean}: clean day {target_days} of {rules.warm_after_days} at the target cap "
        f"before the IP counts as warm here.",
    )


def _advance(d: _Day) -> Decision | None:
    """6. A clean, full day after the stage's minimum sending days: one stage up."""
    pair, rules = d.pair, d.rules
    stage_days = pair.stage_days + 1
    needed = rules.stage_days[min(pair.stage, rules.final) - 1]
    # After a back-off cut the cap below its stage's, one clean full day restores the stage's
    # own cap: that needs a full day, not the stage's days again.
    restore = pair.daily_cap < rules.cap(pair.stage)
    if d.day.routed < ADVANCE_SHARE * d.cap or not (restore or stage_days >= needed):
        return None
    stage = pair.stage if restore else min(pair.stage + 1, rules.final)
    after = replace(
        pair,
        state=State.WARMING,
        stage=stage,
        daily_cap=rules.cap(stage),
        sending_days=d.sending_days,
        stage_days=0 if stage != pair.stage else stage_days,
        idle_days=0,
        target_days=0,
    )
    return d.decision(
        Kind.ADVANCE, after, f"{d.clean}: a clean, full day — {stage_change(pair, after)}."
    )


def _hold(d: _Day) -> Decision:
    """7. A sending day that does not move the stage."""
    pair, rules = d.pair, d.rules
    stage_days = pair.stage_days + 1
    needed = rules.stage_days[min(pair.stage, rules.final) - 1]
    after = replace(pair, sending_days=d.sending_days, stage_days=stage_days, idle_days=0)
    if d.day.routed < ADVANCE_SHARE * d.cap:
        why = f"advancing needs {100 * ADVANCE_SHARE:.0f}% of the cap routed"
    else:
        why = f"stage {pair.stage} asks for {needed} sending days (this was day {stage_days})"
    return d.decision(
        Kind.HOLD,
        after,
        f"{d.clean}: a sending day, but {why}; {stage_change(pair, after)}.",
    )


# The numbered rules, in the order they are tried.
WARMING_RULES: tuple[Callable[[_Day], Decision | None], ...] = (
    _back_off,
    _list_quality_alert,
    _idle,
    _too_little_traffic,
    _warm,
    _advance,
    _hold,
)


def decide(*, pair: PairState, day: DayFigures, rules: Rules) -> Decision | None:
    """The decision for one (IP, provider) and one day that ended (see the module docstring).

    None for a warm pair whose state does not change (nothing worth storing)."""
    if pair.state in WARM_STATES:
        return watch_floor(pair=pair, day=day, rules=rules)
    cap = max(day.cap, 1)
    sent = day.routed >= SENDING_SHARE * cap
    context = _Day(
        pair=pair,
        day=day,
        rules=rules,
        cap=cap,
        base=day.routed or (day.delivered + day.bounced),
        sent=sent,
        sending_days=pair.sending_days + (1 if sent else 0),
    )
    for rule in WARMING_RULES:
        decision = rule(context)
        if decision is not None:
            return decision
    raise AssertionError("the last rule always decides")  # pragma: no cover


def watch_floor(*, pair: PairState, day: DayFigures, rules: Rules) -> Decision | None:
    """A warm pair under the floor is flagged cooling; a cooling one over it is warm again."""
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
