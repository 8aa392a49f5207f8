"""The numbered rules for a warming (IP, provider), tried in order; the first that applies
decides. docs/operations.md ("IP warm-up: the controller") says what each does, for people."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from ips.warmup_rule.decision import (
    ADVANCE_SHARE,
    MIN_COMPLAINTS,
    MIN_HARD_BOUNCES,
    SENDING_SHARE,
    Day,
    Decision,
    Kind,
    State,
    n,
    pct,
    stage_change,
)


def block_back_off(d: Day) -> Decision | None:
    """1. Blocks: the provider refuses the mail outright — back off hard, whatever else."""
    if not d.blocked_hard:
        return None
    after = d.cut(d.rules.block_cut)
    day = d.day
    return d.decision(
        Kind.BACKOFF,
        after,
        f"{n(day.blocks)} blocked ({n(day.blocked)} blocked, {n(day.blocklisted)} blocklist) on "
        f"{n(d.base)} routed ({pct(day.blocks, d.base)}): blocks always back off hard, to "
        f"{100 * d.rules.block_cut:.0f}% of the cap — {stage_change(d.pair, after)}.",
    )


def back_off(d: Day) -> Decision | None:
    """2. Throttling past the back-off threshold: the provider says "slow down"."""
    if not d.throttled_hard:
        return None
    rules, day = d.rules, d.day
    after = d.cut(d.backoff_factor)
    return d.decision(
        Kind.BACKOFF,
        after,
        f"{n(day.rejections)} throttling or blocking replies ({n(day.throttled)} "
        f"throttled, {n(day.blocked)} blocked, {n(day.blocklisted)} blocklist) on "
        f"{n(d.base)} routed ({pct(day.rejections, d.base)}; back-off at "
        f"{100 * rules.backoff_rate:.1f}% and {n(rules.backoff_min_replies)} replies): "
        f"to what the provider took ({n(d.accepted)}) ×{rules.cautious_growth:g}, at least "
        f"{100 * rules.backoff_cut:.0f}% of the cap and never more — "
        f"{stage_change(d.pair, after)}.",
    )


def list_quality_alert(d: Day) -> Decision | None:
    """3. Hold and alert: complaints or hard bounces over their limits."""
    day, rules = d.day, d.rules
    problems = []
    if day.complaints >= MIN_COMPLAINTS and (
        not day.delivered or day.complaints >= rules.complaint_limit * day.delivered
    ):
        problems.append(
            f"complaints {n(day.complaints)} = {pct(day.complaints, day.delivered)} of "
            f"{n(day.delivered)} delivered (limit {100 * rules.complaint_limit:.1f}%)"
        )
    if day.hard_bounced >= MIN_HARD_BOUNCES and (
        not day.delivered or day.hard_bounced >= rules.hard_bounce_limit * day.delivered
    ):
        problems.append(
            f"hard bounces {n(day.hard_bounced)} = {pct(day.hard_bounced, day.delivered)} "
            f"of {n(day.delivered)} delivered (limit {100 * rules.hard_bounce_limit:.1f}%)"
        )
    if not problems:
        return None
    after = replace(d.pair, sending_days=d.sending_days, idle_days=0)
    return d.decision(
        Kind.ALERT,
        after,
        f"List-quality alert: {'; '.join(problems)}. Holding at stage {d.pair.stage} (cap "
        f"{n(d.pair.daily_cap)}): sending more would hurt the reputation; clean the list.",
    )


def idle(d: Day) -> Decision | None:
    """4. Nothing sent: hold, and step back after a few such days in a row."""
    pair, rules = d.pair, d.rules
    if d.day.routed:
        return None
    days = pair.idle_days + 1
    if days >= rules.idle_days_step_back and pair.stage > 1:
        stage = pair.stage - 1
        after = replace(
            pair, stage=stage, daily_cap=rules.cap(stage), stage_days=0, idle_days=0, target_days=0
        )
        return d.decision(
            Kind.STEP_BACK,
            after,
            f"Nothing sent for {days} days in a row (step back after "
            f"{rules.idle_days_step_back}): reputation cools, {stage_change(pair, after)}.",
        )
    after = replace(pair, idle_days=min(days, rules.idle_days_step_back))
    return d.decision(
        Kind.HOLD,
        after,
        f"Nothing sent (idle day {days}; a stage back after "
        f"{rules.idle_days_step_back} in a row): not a sending day, "
        f"{stage_change(pair, after)}.",
    )


def too_little_traffic(d: Day) -> Decision | None:
    """6. Under SENDING_SHARE of the cap: nothing to learn from, not a sending day."""
    if d.sent:
        return None
    day = d.day
    after = replace(d.pair, idle_days=0)
    return d.decision(
        Kind.HOLD,
        after,
        f"Only {n(day.routed)} of {n(day.cap)} routed ({pct(day.routed, day.cap)}; a "
        f"sending day needs {100 * SENDING_SHARE:.0f}%): too little traffic to learn from, "
        f"not a sending day; {stage_change(d.pair, after)}.",
    )


def hold_on_pushback(d: Day) -> Decision | None:
    """7. Some push-back, under the back-off threshold: the IP is at the provider's limit —
    hold, and remember the level."""
    if not d.pushback:
        return None
    pair, rules = d.pair, d.rules
    after = replace(
        pair,
        sending_days=d.sending_days,
        idle_days=0,
        target_days=0,
        trouble_cap=max(pair.trouble_cap, d.cap),
    )
    return d.decision(
        Kind.HOLD,
        after,
        f"{d.summary}: the provider pushed back a little ({pct(d.day.rejections, d.base)}, "
        f"under the back-off threshold of {100 * rules.backoff_rate:.1f}%): the IP is at its "
        f"limit there — holding, {stage_change(pair, after)}.",
    )


def warm(d: Day) -> Decision | None:
    """5. At the target cap: warm after `warm_after_days` clean sending days that routed the
    target (the cap may have grown past it, the sender's volume need not follow). A full day
    there keeps growing the cap past the table meanwhile, as a warm pair's would."""
    pair, rules = d.pair, d.rules
    target = rules.cap(rules.final)
    if pair.stage < rules.final or pair.daily_cap < target:
        return None
    if d.day.routed < ADVANCE_SHARE * target or d.pushback:
        return None  # not a day at the target (too little traffic, push-back: the rules below)
    target_days = pair.target_days + 1
    is_warm = target_days >= rules.warm_after_days
    grown, why = pair.daily_cap, ""
    if d.full and d.list_clean:
        factor, why = d.growth()
        grown = max(pair.daily_cap, math.ceil(d.cap * factor))
    after = replace(
        pair,
        state=State.WARM if is_warm else State.WARMING,
        daily_cap=grown,
        sending_days=d.sending_days,
        stage_days=pair.stage_days + 1,
        idle_days=0,
        target_days=target_days,
        trouble_cap=d.trouble_after_clean_day,
    )
    growing = f"; the cap grows {why}: {n(pair.daily_cap)} → {n(grown)}" if why else ""
    if is_warm:
        return d.decision(
            Kind.WARM,
            after,
            f"{d.summary}: the target cap of {n(rules.cap(rules.final))} held clean for "
            f"{target_days} sending days — warm at this provider after {d.sending_days} sending "
            f"days{growing}.",
        )
    return d.decision(
        Kind.ADVANCE if why else Kind.HOLD,
        after,
        f"{d.summary}: clean day {target_days} of {rules.warm_after_days} at the target cap "
        f"before the IP counts as warm here{growing}.",
    )


def advance(d: Day) -> Decision | None:
    """8. A clean, full day: grow. The fast lane (complaints, bounces and the spam folder well
    under their limits) grows the cap by up to `fast_growth` — several stages, whatever the
    stage table's days — or `cautious_growth` near where the provider last pushed back; the
    cautious lane takes one stage once the stage's minimum sending days are done. A cap cut
    below its stage's grows back towards the stage's cap first."""
    pair, rules = d.pair, d.rules
    if not d.full:
        return None
    stage_days = pair.stage_days + 1
    if d.list_clean:
        factor, why = d.growth()
    else:
        needed = rules.stage_days[min(pair.stage, rules.final) - 1]
        if stage_days < needed and pair.daily_cap >= rules.cap(pair.stage):
            return None  # the cautious lane waits for the stage's days (`hold` says so)
        factor, why = 1.0, "one stage: complaints or bounces are not far enough under their limits"
    if pair.daily_cap < rules.cap(pair.stage):  # cut below its stage: grow back towards it
        stage = pair.stage
        cap = (
            rules.cap(stage) if factor == 1.0 else min(rules.cap(stage), math.ceil(d.cap * factor))
        )
    else:
        stage = max(rules.stage_at_most(d.cap * factor), min(pair.stage + 1, rules.final))
        cap = rules.cap(stage)
        if stage == rules.final and factor > 1.0:
            # The table ends at the target cap; the growth it earned does not.
            cap = max(cap, math.ceil(d.cap * factor))
    after = replace(
        pair,
        state=State.WARMING,
        stage=stage,
        daily_cap=cap,
        sending_days=d.sending_days,
        stage_days=0 if stage != pair.stage else stage_days,
        idle_days=0,
        target_days=0,
        # A clean full day above where the provider pushed back proves the trouble is over.
        trouble_cap=d.trouble_after_clean_day,
    )
    return d.decision(
        Kind.ADVANCE,
        after,
        f"{d.summary}: a clean, full day — {why}: {stage_change(pair, after)}.",
    )


def hold(d: Day) -> Decision:
    """9. A sending day that does not move the stage."""
    pair, rules = d.pair, d.rules
    stage_days = pair.stage_days + 1
    needed = rules.stage_days[min(pair.stage, rules.final) - 1]
    after = replace(pair, sending_days=d.sending_days, stage_days=stage_days, idle_days=0)
    if not d.full:
        why = f"growing needs {100 * ADVANCE_SHARE:.0f}% of the cap routed"
    else:
        why = (
            f"stage {pair.stage} asks for {needed} sending days (this was day {stage_days} of them)"
        )
    return d.decision(
        Kind.HOLD, after, f"{d.summary}: a sending day, but {why}; {stage_change(pair, after)}."
    )


WARMING_RULES: tuple[Callable[[Day], Decision | None], ...] = (
    block_back_off,
    back_off,
    list_quality_alert,
    idle,
    warm,
    too_little_traffic,
    hold_on_pushback,
    advance,
    hold,
)
