"""The rule: reputation and deliverability from the factors, the score and the sentence."""

from __future__ import annotations

from reputation.verdict.factors import FACTORS
from reputation.verdict.types import (
    BASE_SCORE,
    HIGH,
    LOW,
    MEDIUM,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    REPUTATION,
    Factor,
    Figures,
    Thresholds,
    Verdict,
)

# --- the rule ------------------------------------------------------------------------------------


def reputation_of(factors: tuple[Factor, ...] | list[Factor]) -> str:
    """Negative with any negative reputation factor; positive with a positive one and no
    negative one; neutral otherwise. Delivery factors do not move a reputation."""
    effects = {x.effect for x in factors if x.scope == REPUTATION}
    if NEGATIVE in effects:
        return NEGATIVE
    return POSITIVE if POSITIVE in effects else NEUTRAL


def deliverability_of(factors) -> str:
    """High only with at least one positive factor and no negative one; low with any negative
    factor. Also used over several subjects' factors (the account overview per provider)."""
    effects = {x.effect if isinstance(x, Factor) else x["effect"] for x in factors}
    if NEGATIVE in effects:
        return LOW
    return HIGH if POSITIVE in effects else MEDIUM


def _summary(reputation: str, factors: tuple[Factor, ...], f: Figures) -> str:
    """The one sentence that explains the verdict: the heaviest factor of the verdict's own
    effect (negative, positive), else the strongest of any, else "no signal"."""
    if not factors:
        return f"neutral: no signal at {f.provider} {f.period}"
    ranked = sorted(factors, key=lambda x: -abs(x.weight))
    for factor in ranked:
        if factor.effect == reputation:
            return factor.sentence
    return f"{reputation}: " + ranked[0].sentence.split(": ", 1)[1]


def decide(figures: Figures, thresholds: Thresholds) -> Verdict:
    """The verdict for one subject at one provider (see the module's docstring)."""
    found = tuple(x for rule in FACTORS if (x := rule(figures, thresholds)) is not None)
    reputation = reputation_of(found)
    score = max(0, min(100, BASE_SCORE + sum(x.weight for x in found)))
    return Verdict(
        reputation=reputation,
        deliverability=deliverability_of(found),
        score=score,
        factors=found,
        sentence=_summary(reputation, found, figures),
    )
