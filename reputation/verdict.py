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

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
HIGH, MEDIUM, LOW = "high", "medium", "low"
REPUTATION, DELIVERY = "reputation", "delivery"
DOMAIN, IP = "domain", "ip"
EFFECTS = (POSITIVE, NEUTRAL, NEGATIVE)
BASE_SCORE = 50


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of the rule. Defaults come from the providers' sender guidelines (Google
    and Yahoo ask for a spam-complaint rate below 0.3% and recommend below 0.1%) and from the
    warm-up profiles; operators override them with WARMUP_REPUTATION_THRESHOLDS, and the
    snapshot job takes `complaint_rate` and `hard_bounce_rate` from each provider's warm-up
    profile."""

    min_volume: int = 100  # messages offered in the window before delivery rates count
    min_placements: int = 5  # seed placements in the window before seed rates count
    complaint_rate: float = 0.003  # complaints / delivered above this: negative
    hard_bounce_rate: float = 0.05  # hard bounces / offered above this: negative
    blocked_rate: float = 0.02  # blocking and blocklist replies / offered above this: negative
    throttled_rate: float = 0.05  # throttling replies / offered above this: negative
    delivered_rate: float = 0.98  # delivered / offered at least this, nothing pushed back: positive
    seed_inbox_rate: float = 0.9  # seed placements in the inbox at least this: positive
    seed_spam_rate: float = 0.3  # seed placements in spam above this: negative
    seed_missing_rate: float = 0.2  # seed messages never found above this: negative
    postmaster_spam_rate: float = 0.003  # Postmaster spam rate at least this: negative
    postmaster_spam_low: float = 0.001  # below this (with data): positive; between: neutral
    auth_rate: float = 0.95  # Postmaster SPF/DKIM/DMARC success below this: negative

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Thresholds:
        """Thresholds with `values` over the defaults; a ValueError names a bad key or value."""
        known = {f.name: f.type for f in fields(cls)}
        parsed: dict[str, float | int] = {}
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"unknown reputation threshold {key!r} (known: {sorted(known)})")
            try:
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValueError(
                    f"reputation threshold {key} must be a number, not {raw!r}"
                ) from None
            if number < 0:
                raise ValueError(f"reputation threshold {key} cannot be negative ({number})")
            parsed[key] = int(number) if key.startswith("min_") else number
        return cls(**parsed)

    def with_values(self, **values: float) -> Thresholds:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: v for k, v in values.items() if v is not None})
        return Thresholds(**current)


@dataclass(frozen=True)
class Figures:
    """What is known about one subject at one provider over the verdict's window."""

    kind: str  # DOMAIN or IP
    provider: str  # the provider's name, for sentences ("Gmail")
    period: str  # the window in words, for sentences ("on 11–12 Mar")
    # Delivery events (offered = delivered + deferred + bounced).
    offered: int = 0
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    throttled: int = 0
    blocked: int = 0
    blocklisted: int = 0
    complaints: int = 0
    # Seed placements (domains).
    inbox: int = 0
    spam: int = 0
    missing: int = 0
    # Warm-up: an IP's state at the provider (ips.IpWarmup.State), a domain plan's state.
    warmup_state: str = ""
    suspended: bool = False
    # Readiness checks (IPs): the blocklist zones that list it, PTR and forward confirmation.
    dnsbl_listings: tuple[str, ...] = ()
    ptr: str = ""  # pass, fail or "" (not checked)
    fcrdns: str = ""
    # The domain's own verification status (pending, verified, failed).
    domain_status: str = ""
    # Microsoft SNDS (IPs).
    snds_filter: str = ""  # GREEN, YELLOW, RED or ""
    snds_complaint_rate: float | None = None
    snds_trap_hits: int | None = None
    snds_blocked: bool = False
    # Google Postmaster Tools v2 (domains).
    pm_spam_rate: float | None = None
    pm_spf_rate: float | None = None
    pm_dkim_rate: float | None = None
    pm_dmarc_rate: float | None = None
    pm_compliance: str = ""  # compliant, needs_work or ""
    pm_compliance_failing: tuple[str, ...] = ()

    @property
    def placed(self) -> int:
        return self.inbox + self.spam + self.missing


@dataclass(frozen=True)
class Factor:
    code: str
    effect: str
    scope: str
    weight: int
    value: float | int | str | None
    threshold: float | int | None
    sentence: str

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "effect": self.effect,
            "scope": self.scope,
            "weight": self.weight,
            "value": self.value,
            "threshold": self.threshold,
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class Verdict:
    reputation: str
    deliverability: str
    score: int
    factors: tuple[Factor, ...] = field(default=())
    sentence: str = ""


# --- words ---------------------------------------------------------------------------------------


def pct(rate: float) -> str:
    """0.004 → "0.4%", 0.93 → "93%", 0.0005 → "0.05%": as few digits as say it."""
    value = rate * 100
    if value >= 10:
        text = f"{value:.0f}"
    elif value >= 1:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _factor(code, effect, scope, weight, value, threshold, sentence) -> Factor:
    rounded = round(value, 6) if isinstance(value, float) else value
    return Factor(code, effect, scope, weight, rounded, threshold, f"{effect}: {sentence}")


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# --- the factors: one function each --------------------------------------------------------------


def complaints(f: Figures, t: Thresholds) -> Factor | None:
    if f.delivered < t.min_volume:
        return None
    rate = _rate(f.complaints, f.delivered)
    if rate <= t.complaint_rate:
        return None
    return _factor(
        "complaints",
        NEGATIVE,
        REPUTATION,
        -30,
        rate,
        t.complaint_rate,
        f"{pct(rate)} complaints at {f.provider} {f.period}, over {pct(t.complaint_rate)}",
    )


def hard_bounces(f: Figures, t: Thresholds) -> Factor | None:
    if f.offered < t.min_volume:
        return None
    rate = _rate(f.hard_bounced, f.offered)
    if rate <= t.hard_bounce_rate:
        return None
    return _factor(
        "hard_bounces",
        NEGATIVE,
        REPUTATION,
        -20,
        rate,
        t.hard_bounce_rate,
        f"{pct(rate)} hard bounces at {f.provider} {f.period}, over "
        f"{pct(t.hard_bounce_rate)} (an old or bought list)",
    )


def blocked(f: Figures, t: Thresholds) -> Factor | None:
    if f.offered < t.min_volume:
        return None
    rate = _rate(f.blocked + f.blocklisted, f.offered)
    if rate <= t.blocked_rate:
        return None
    return _factor(
        "blocked",
        NEGATIVE,
        REPUTATION,
        -30,
        rate,
        t.blocked_rate,
        f"{f.provider} blocked {pct(rate)} of the mail {f.period}, over {pct(t.blocked_rate)}",
    )


def throttled(f: Figures, t: Thresholds) -> Factor | None:
    if f.offered < t.min_volume:
        return None
    rate = _rate(f.throttled, f.offered)
    if rate <= t.throttled_rate:
        return None
    return _factor(
        "throttled",
        NEGATIVE,
        DELIVERY,
        -15,
        rate,
        t.throttled_rate,
        f"{f.provider} throttled {pct(rate)} of the mail {f.period}, over {pct(t.throttled_rate)}",
    )


def delivered(f: Figures, t: Thresholds) -> Factor | None:
    if f.offered < t.min_volume or f.throttled or f.blocked or f.blocklisted:
        return None
    rate = _rate(f.delivered, f.offered)
    if rate < t.delivered_rate:
        return None
    return _factor(
        "delivered",
        POSITIVE,
        DELIVERY,
        15,
        rate,
        t.delivered_rate,
        f"{f.provider} accepted {pct(rate)} of {f.offered:,} messages {f.period} without "
        f"pushing back, at least {pct(t.delivered_rate)}",
    )


def seed_inbox(f: Figures, t: Thresholds) -> Factor | None:
    if f.placed < t.min_placements:
        return None
    rate = _rate(f.inbox, f.placed)
    if rate < t.seed_inbox_rate:
        return None
    return _factor(
        "seed_inbox",
        POSITIVE,
        REPUTATION,
        20,
        rate,
        t.seed_inbox_rate,
        f"{pct(rate)} of {f.placed} seed messages at {f.provider} reached the inbox {f.period}, "
        f"at least {pct(t.seed_inbox_rate)}",
    )


def seed_spam(f: Figures, t: Thresholds) -> Factor | None:
    if f.placed < t.min_placements:
        return None
    rate = _rate(f.spam, f.placed)
    if rate <= t.seed_spam_rate:
        return None
    return _factor(
        "seed_spam",
        NEGATIVE,
        REPUTATION,
        -25,
        rate,
        t.seed_spam_rate,
        f"{pct(rate)} of {f.placed} seed messages at {f.provider} went to spam {f.period}, over "
        f"{pct(t.seed_spam_rate)}",
    )


def seed_missing(f: Figures, t: Thresholds) -> Factor | None:
    if f.placed < t.min_placements:
        return None
    rate = _rate(f.missing, f.placed)
    if rate <= t.seed_missing_rate:
        return None
    return _factor(
        "seed_missing",
        NEGATIVE,
        DELIVERY,
        -15,
        rate,
        t.seed_missing_rate,
        f"{pct(rate)} of {f.placed} seed messages at {f.provider} never arrived {f.period}, "
        f"over {pct(t.seed_missing_rate)}",
    )


def warmup(f: Figures, _t: Thresholds) -> Factor | None:
    state = f.warmup_state
    if f.suspended:
        return _factor(
            "suspended",
            NEGATIVE,
            REPUTATION,
            -20,
            state or None,
            None,
            f"the warm-up at {f.provider} was suspended {f.period} after a burst of "
            "throttling or blocking replies",
        )
    if state == "backoff":
        return _factor(
            "backoff",
            NEGATIVE,
            REPUTATION,
            -10,
            state,
            None,
            f"the warm-up at {f.provider} backed off {f.period}: the provider pushed back",
        )
    if state == "needs_attention":
        return _factor(
            "warmup_attention",
            NEGATIVE,
            REPUTATION,
            -10,
            state,
            None,
            f"the domain warm-up at {f.provider} needs attention {f.period}: it is not warm "
            "after the usual time",
        )
    if state == "warm":
        return _factor(
            "warm",
            POSITIVE,
            REPUTATION,
            10,
            state,
            None,
            f"the {'IP' if f.kind == IP else 'domain'} is warm at {f.provider} {f.period}",
        )
    return None


def dnsbl(f: Figures, _t: Thresholds) -> Factor | None:
    if not f.dnsbl_listings:
        return None
    zones = ", ".join(f.dnsbl_listings)
    return _factor(
        "dnsbl",
        NEGATIVE,
        REPUTATION,
        -40,
        zones,
        None,
        f"listed on {zones} {f.period}",
    )


def reverse_dns(f: Figures, _t: Thresholds) -> Factor | None:
    failing = [
        name
        for name, status in (("PTR", f.ptr), ("forward-confirmed reverse DNS", f.fcrdns))
        if status == "fail"
    ]
    if not failing:
        return None
    what = " and ".join(failing)
    return _factor(
        "reverse_dns",
        NEGATIVE,
        DELIVERY,
        -15,
        what,
        None,
        f"{what} failing {f.period}: {f.provider} distrusts mail from IPs without it",
    )


def domain_status(f: Figures, _t: Thresholds) -> Factor | None:
    if f.domain_status != "failed":
        return None
    return _factor(
        "domain_unverified",
        NEGATIVE,
        DELIVERY,
        -25,
        f.domain_status,
        None,
        f"the domain's DNS records were wrong {f.period} (unverified): mail to {f.provider} "
        "is not authenticated",
    )


def snds_filter(f: Figures, _t: Thresholds) -> Factor | None:
    result = f.snds_filter.upper()
    if result == "GREEN":
        return _factor(
            "snds_filter",
            POSITIVE,
            REPUTATION,
            15,
            result,
            None,
            f"Microsoft SNDS filter result GREEN {f.period} (under 10% spam)",
        )
    if result == "YELLOW":
        return _factor(
            "snds_filter",
            NEUTRAL,
            REPUTATION,
            -5,
            result,
            None,
            f"Microsoft SNDS filter result YELLOW {f.period} (10% to 90% spam)",
        )
    if result == "RED":
        return _factor(
            "snds_filter",
            NEGATIVE,
            REPUTATION,
            -35,
            result,
            None,
            f"Microsoft SNDS filter result RED {f.period} (over 90% spam)",
        )
    return None


def snds_complaints(f: Figures, t: Thresholds) -> Factor | None:
    rate = f.snds_complaint_rate
    if rate is None or rate <= t.complaint_rate:
        return None
    return _factor(
        "snds_complaints",
        NEGATIVE,
        REPUTATION,
        -25,
        rate,
        t.complaint_rate,
        f"Microsoft SNDS reports {pct(rate)} complaints {f.period}, over {pct(t.complaint_rate)}",
    )


def snds_traps(f: Figures, _t: Thresholds) -> Factor | None:
    if not f.snds_trap_hits:
        return None
    return _factor(
        "snds_traps",
        NEGATIVE,
        REPUTATION,
        -20,
        f.snds_trap_hits,
        0,
        f"Microsoft SNDS counted {f.snds_trap_hits} spam-trap hits {f.period}",
    )


def snds_blocked(f: Figures, _t: Thresholds) -> Factor | None:
    if not f.snds_blocked:
        return None
    return _factor(
        "snds_blocked",
        NEGATIVE,
        REPUTATION,
        -40,
        True,
        None,
        f"Microsoft SNDS lists the IP as blocked {f.period}",
    )


def postmaster_spam(f: Figures, t: Thresholds) -> Factor | None:
    rate = f.pm_spam_rate
    if rate is None:
        return None
    if rate >= t.postmaster_spam_rate:
        return _factor(
            "postmaster_spam",
            NEGATIVE,
            REPUTATION,
            -30,
            rate,
            t.postmaster_spam_rate,
            f"Google Postmaster spam rate {pct(rate)} {f.period}, at or over "
            f"{pct(t.postmaster_spam_rate)}",
        )
    if rate >= t.postmaster_spam_low:
        return _factor(
            "postmaster_spam",
            NEUTRAL,
            REPUTATION,
            -5,
            rate,
            t.postmaster_spam_low,
            f"Google Postmaster spam rate {pct(rate)} {f.period}: keep it under "
            f"{pct(t.postmaster_spam_low)}",
        )
    return _factor(
        "postmaster_spam",
        POSITIVE,
        REPUTATION,
        15,
        rate,
        t.postmaster_spam_low,
        f"Google Postmaster spam rate {pct(rate)} {f.period}, under {pct(t.postmaster_spam_low)}",
    )


def postmaster_auth(f: Figures, t: Thresholds) -> Factor | None:
    checked = (("SPF", f.pm_spf_rate), ("DKIM", f.pm_dkim_rate), ("DMARC", f.pm_dmarc_rate))
    rates = [(name, rate) for name, rate in checked if rate is not None and rate < t.auth_rate]
    if not rates:
        return None
    name, rate = min(rates, key=lambda item: item[1])
    return _factor(
        "postmaster_auth",
        NEGATIVE,
        DELIVERY,
        -15,
        rate,
        t.auth_rate,
        f"Google Postmaster: {name} passed for {pct(rate)} of the mail {f.period}, under "
        f"{pct(t.auth_rate)}",
    )


def postmaster_compliance(f: Figures, _t: Thresholds) -> Factor | None:
    if f.pm_compliance != "needs_work":
        return None
    failing = ", ".join(f.pm_compliance_failing) or "a sender requirement"
    return _factor(
        "postmaster_compliance",
        NEGATIVE,
        DELIVERY,
        -15,
        failing,
        None,
        f"Google Postmaster compliance needs work {f.period}: {failing}",
    )


FACTORS: tuple[Callable[[Figures, Thresholds], Factor | None], ...] = (
    complaints,
    hard_bounces,
    blocked,
    throttled,
    delivered,
    seed_inbox,
    seed_spam,
    seed_missing,
    warmup,
    dnsbl,
    reverse_dns,
    domain_status,
    snds_filter,
    snds_complaints,
    snds_traps,
    snds_blocked,
    postmaster_spam,
    postmaster_auth,
    postmaster_compliance,
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
