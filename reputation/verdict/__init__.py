"""The reputation verdict: one pure rule over one subject's figures at one provider.

No ORM, no I/O, no clock: plain values in, a `Verdict` out. The snapshot job (services/
snapshots.py) loads the figures, calls `decide()` and writes the result in bulk; docs/
reputation.md shows the same table in words.

The vocabulary is the product's own (DESIGN.md → Reputation):

* each **factor** is a fact about the figures with an effect — positive, neutral (worth saying,
  counts neither way) or negative — and a scope: *reputation* (what the provider thinks of the
  sender: complaints, spam placement, listings, the provider's own feeds) or *delivery* (how
  the mail gets there: throttling, authentication, reverse DNS);
* the subject's **reputation** at the provider (its domain reputation, or its IP reputation)
  is negative with any negative reputation factor, positive with at least one positive
  reputation factor and no negative one, neutral otherwise;
* its **deliverability** there is high only with at least one positive factor and no negative
  one (any scope), low with any negative factor, medium otherwise;
* the **score** (0–100, for charts) is 50 plus the weights of the factors, clamped.

Each factor is one function `(figures, thresholds) -> Factor | None`, listed in `FACTORS`.
Rates need volume to mean anything: delivery rates count from `min_volume` messages offered in
the window, seed rates from `min_placements` placements.
"""

from reputation.verdict.factors import FACTORS
from reputation.verdict.rule import decide, deliverability_of, reputation_of
from reputation.verdict.types import (
    DELIVERY,
    DOMAIN,
    EFFECTS,
    HIGH,
    IP,
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
    pct,
)

__all__ = [
    "DELIVERY",
    "DOMAIN",
    "EFFECTS",
    "FACTORS",
    "HIGH",
    "IP",
    "LOW",
    "MEDIUM",
    "NEGATIVE",
    "NEUTRAL",
    "POSITIVE",
    "REPUTATION",
    "Factor",
    "Figures",
    "Thresholds",
    "Verdict",
    "decide",
    "deliverability_of",
    "pct",
    "reputation_of",
]
