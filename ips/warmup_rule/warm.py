"""The rules for a warm (IP, provider), tried in order; the first that applies decides. A warm
pair keeps its reputation by sending: it grows when its days are full and clean, backs off when
the provider pushes back, is flagged under the floor, and loses allowance when it goes quiet —
back into warm-up when quiet long enough. docs/operations.md says what each does, for people."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from ips.warmup_rule.decision import QUIET_SHARE, Day, Decision, Kind, State, n, pct


def block_back_off(d: Day) -> Decision | None:
    """1. Blocks: back off hard — into warm-up again, at the cut cap."""
    if not d.blocked_hard:
        return None
    after = d.cut(d.rules.block_cut)
    return d.decision(
        Kind.BACKOFF,
        after,
        f"{n(d.day.blocks)} blocked replies on {n(d.base)} routed "
        f"({pct(d.day.blocks, d.base)}) at a warm IP: back to warm-up at "
        f"{100 * d.rules.block_cut:.0f}% of the cap, {n(after.daily_cap)} a day.",
    )


def back_off(d: Day) -> Decision | None:
    """2. Throttling past the back-off threshold: back off, into warm-up at the cut cap."""
    if not d.throttled_hard:
        return None
    rules = d.rules
    after = d.cut(d.backoff_factor)
    return d.decision(
        Kind.BACKOFF,
        after,
        f"{n(d.day.rejections)} throttling or blocking replies on {n(d.base)} routed "
        f"({pct(d.day.rejections, d.base)}; back-off at {100 * rules.backoff_rate:.1f}%) at a "
        f"warm IP: back to warm-up at {n(after.daily_cap)} a day.",
    )


def quiet(d: Day) -> Decision | None:
    """3. A quiet day (under a tenth of the floor): after `idle_days_step_back` of them in a
    row the allowance decays by `idle_decay` a day (never under the floor); after
    `rewarm_after_days` the pair warms up again from the stage its allowance fits."""
    pair, rules, day = d.pair, d.rules, d.day
    if day.routed >= QUIET_SHARE * rules.floor:
        return None
    days = pair.idle_days + 1
    if days >= rules.rewarm_after_days:
        stage = rules.stage_at_most(pair.daily_cap)
        after = replace(
            pair,
            state=State.WARMING,
            stage=stage,
            daily_cap=rules.cap(stage),
            stage_days=0,
            idle_days=0,
            target_days=0,
            trouble_cap=0,
        )
        return d.decision(
            Kind.REWARM,
            after,
            f"Quiet for {days} days (under {n(QUIET_SHARE * rules.floor)} a day): the provider "
            f"has forgotten this IP — warming up again from stage {stage} "
            f"({n(after.daily_cap)} a day), the stage its allowance had decayed to.",
        )
    decayed = pair.daily_cap
    if days >= rules.idle_days_step_back:
        decayed = max(rules.floor, math.floor(pair.daily_cap * rules.idle_decay))
    state = State.COOLING
    after = replace(pair, state=state, daily_cap=decayed, idle_days=days)
    if after == pair:
        return None
    change = (
        f"its allowance decays to {n(decayed)} a day"
        if decayed != pair.daily_cap
        else f"its allowance decays after {rules.idle_days_step_back} quiet days in a row"
    )
    return d.decision(
        Kind.COOLING if decayed == pair.daily_cap else Kind.DECAY,
        after,
        f"Routed {n(day.routed)}: quiet day {days} (under {n(QUIET_SHARE * rules.floor)}; "
        f"warm-up again after {rules.rewarm_after_days}) — {change}; flagged cooling, routing "
        "prefers this IP here.",
    )


def grow(d: Day) -> Decision | None:
    """4. A full, clean day: the allowance grows by `fast_growth` (`cautious_growth` near
    where the provider last pushed back)."""
    pair = d.pair
    if not d.full or d.pushback or not d.list_clean:
        return None
    factor, why = d.growth()
    grown = max(pair.daily_cap, math.ceil(d.cap * factor))
    trouble = d.trouble_after_clean_day
    after = replace(pair, state=State.WARM, daily_cap=grown, idle_days=0, trouble_cap=trouble)
    if after == pair:
        return None
    return d.decision(
        Kind.GROW,
        after,
        f"{d.summary}: a clean, full day — the allowance grows {why}: {n(pair.daily_cap)} → "
        f"{n(grown)} a day.",
    )


def watch_floor(d: Day) -> Decision | None:
    """5. Under the floor a warm pair is flagged cooling (routing prefers it); back over it,
    warm again."""
    pair, rules, day = d.pair, d.rules, d.day
    if day.routed < rules.floor and pair.state == State.WARM:
        return d.decision(
            Kind.COOLING,
            replace(pair, state=State.COOLING, idle_days=0),
            f"Routed {n(day.routed)}, under the floor of {n(rules.floor)} a day that keeps a "
            "reputation warm: flagged cooling, routing prefers this IP here until it is back "
            "over the floor.",
        )
    if day.routed >= rules.floor and pair.state == State.COOLING:
        return d.decision(
            Kind.RECOVERED,
            replace(pair, state=State.WARM, idle_days=0),
            f"Routed {n(day.routed)}, over the floor of {n(rules.floor)}: warm again.",
        )
    if pair.idle_days:
        return d.decision(
            Kind.HOLD,
            replace(pair, idle_days=0),
            f"Routed {n(day.routed)}: the quiet run of {pair.idle_days} days is over; the "
            f"allowance stays at {n(pair.daily_cap)} a day.",
        )
    return None


WARM_RULES: tuple[Callable[[Day], Decision | None], ...] = (
    block_back_off,
    back_off,
    quiet,
    grow,
    watch_floor,
)
