"""The factors: one function each, `(figures, thresholds) -> Factor | None`, listed in
`FACTORS` (the order of the sentences)."""

from __future__ import annotations

from collections.abc import Callable

from reputation.verdict.types import (
    DELIVERY,
    IP,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    REPUTATION,
    Factor,
    Figures,
    Thresholds,
    factor_of,
    pct,
    rate_of,
)

# --- the factors: one function each --------------------------------------------------------------


def complaints(f: Figures, t: Thresholds) -> Factor | None:
    if f.delivered < t.min_volume:
        return None
    rate = rate_of(f.complaints, f.delivered)
    if rate <= t.complaint_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.hard_bounced, f.offered)
    if rate <= t.hard_bounce_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.blocked + f.blocklisted, f.offered)
    if rate <= t.blocked_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.throttled, f.offered)
    if rate <= t.throttled_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.delivered, f.offered)
    if rate < t.delivered_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.inbox, f.placed)
    if rate < t.seed_inbox_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.spam, f.placed)
    if rate <= t.seed_spam_rate:
        return None
    return factor_of(
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
    rate = rate_of(f.missing, f.placed)
    if rate <= t.seed_missing_rate:
        return None
    return factor_of(
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
        return factor_of(
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
        return factor_of(
            "backoff",
            NEGATIVE,
            REPUTATION,
            -10,
            state,
            None,
            f"the warm-up at {f.provider} backed off {f.period}: the provider pushed back",
        )
    if state == "needs_attention":
        return factor_of(
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
        return factor_of(
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
    return factor_of(
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
    return factor_of(
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
    return factor_of(
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
        return factor_of(
            "snds_filter",
            POSITIVE,
            REPUTATION,
            15,
            result,
            None,
            f"Microsoft SNDS filter result GREEN {f.period} (under 10% spam)",
        )
    if result == "YELLOW":
        return factor_of(
            "snds_filter",
            NEUTRAL,
            REPUTATION,
            -5,
            result,
            None,
            f"Microsoft SNDS filter result YELLOW {f.period} (10% to 90% spam)",
        )
    if result == "RED":
        return factor_of(
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
    return factor_of(
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
    return factor_of(
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
    return factor_of(
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
        return factor_of(
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
        return factor_of(
            "postmaster_spam",
            NEUTRAL,
            REPUTATION,
            -5,
            rate,
            t.postmaster_spam_low,
            f"Google Postmaster spam rate {pct(rate)} {f.period}: keep it under "
            f"{pct(t.postmaster_spam_low)}",
        )
    return factor_of(
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
    return factor_of(
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
    return factor_of(
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
