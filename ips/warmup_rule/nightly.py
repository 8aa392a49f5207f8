"""The entry point of the daily decision: which list of rules a pair goes through."""

from __future__ import annotations

from ips.types import WARM_STATES
from ips.warmup_rule import warm, warming
from ips.warmup_rule.decision import Day, DayFigures, Decision, PairState, Rules


def decide(*, pair: PairState, day: DayFigures, rules: Rules) -> Decision | None:
    """The decision for one (IP, provider) and one day that ended: the first rule of the pair's
    list (warming.WARMING_RULES or warm.WARM_RULES) that applies. None for a warm pair that
    keeps its state and cap (nothing worth storing)."""
    context = Day.of(pair, day, rules)
    chain = warm.WARM_RULES if pair.state in WARM_STATES else warming.WARMING_RULES
    for rule in chain:
        decision = rule(context)
        if decision is not None:
            return decision
    return None
