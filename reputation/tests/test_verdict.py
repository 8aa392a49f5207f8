"""The verdict rule table: each factor, its threshold and volume guard, and how factors make
a reputation, a deliverability and a score. Pure: no database."""

import pytest

from reputation import verdict
from reputation.verdict import Figures, Thresholds, decide

T = Thresholds()


def figures(**values) -> Figures:
    values.setdefault("kind", verdict.DOMAIN)
    return Figures(provider="Google", period="on 22–23 Nov", **values)


def codes(result) -> dict[str, str]:
    return {f.code: f.effect for f in result.factors}


# (figures that trip the factor, the factor's code, its effect, figures just under the threshold)
RULE_TABLE = [
    (
        dict(offered=1000, delivered=1000, complaints=4),
        "complaints",
        "negative",
        dict(offered=1000, delivered=1000, complaints=3),
    ),
    (
        dict(offered=1000, delivered=900, bounced=100, hard_bounced=60),
        "hard_bounces",
        "negative",
        dict(offered=1000, delivered=950, bounced=50, hard_bounced=50),
    ),
    (
        dict(offered=1000, delivered=970, bounced=30, blocked=21),
        "blocked",
        "negative",
        dict(offered=1000, delivered=980, bounced=20, blocked=20),
    ),
    (
        dict(offered=1000, delivered=940, deferred=60, throttled=51),
        "throttled",
        "negative",
        dict(offered=1000, delivered=950, deferred=50, throttled=50),
    ),
    (
        dict(offered=1000, delivered=980, deferred=20),
        "delivered",
        "positive",
        dict(offered=1000, delivered=979, deferred=21),
    ),
    (dict(inbox=9, spam=1), "seed_inbox", "positive", dict(inbox=8, spam=2)),
    (dict(inbox=6, spam=4), "seed_spam", "negative", dict(inbox=7, spam=3)),
    (dict(inbox=7, missing=3), "seed_missing", "negative", dict(inbox=8, missing=2)),
    (dict(warmup_state="warm"), "warm", "positive", dict(warmup_state="warming")),
    (dict(warmup_state="backoff"), "backoff", "negative", dict(warmup_state="warming")),
    (
        dict(warmup_state="needs_attention"),
        "warmup_attention",
        "negative",
        dict(warmup_state="warming"),
    ),
    (dict(suspended=True), "suspended", "negative", dict(suspended=False)),
    (dict(dnsbl_listings=("zen.spamhaus.org",)), "dnsbl", "negative", dict(dnsbl_listings=())),
    (dict(ptr="fail"), "reverse_dns", "negative", dict(ptr="pass")),
    (dict(fcrdns="fail"), "reverse_dns", "negative", dict(fcrdns="pass")),
    (dict(domain_status="failed"), "domain_unverified", "negative", dict(domain_status="verified")),
    (dict(snds_filter="GREEN"), "snds_filter", "positive", dict(snds_filter="")),
    (dict(snds_filter="YELLOW"), "snds_filter", "neutral", dict(snds_filter="")),
    (dict(snds_filter="RED"), "snds_filter", "negative", dict(snds_filter="")),
    (
        dict(snds_complaint_rate=0.004),
        "snds_complaints",
        "negative",
        dict(snds_complaint_rate=0.003),
    ),
    (dict(snds_trap_hits=3), "snds_traps", "negative", dict(snds_trap_hits=0)),
    (dict(snds_blocked=True), "snds_blocked", "negative", dict(snds_blocked=False)),
    (dict(pm_spam_rate=0.003), "postmaster_spam", "negative", dict(pm_spam_rate=None)),
    (dict(pm_spam_rate=0.0015), "postmaster_spam", "neutral", dict(pm_spam_rate=None)),
    (dict(pm_spam_rate=0.0004), "postmaster_spam", "positive", dict(pm_spam_rate=None)),
    (dict(pm_dkim_rate=0.94), "postmaster_auth", "negative", dict(pm_dkim_rate=0.95)),
    (
        dict(pm_compliance="needs_work", pm_compliance_failing=("DMARC policy",)),
        "postmaster_compliance",
        "negative",
        dict(pm_compliance="compliant"),
    ),
]


@pytest.mark.parametrize(("tripped", "code", "effect", "under"), RULE_TABLE)
def test_it_applies_each_factor_at_its_threshold(tripped, code, effect, under):
    assert codes(decide(figures(**tripped), T)).get(code) == effect
    assert code not in codes(decide(figures(**under), T))


@pytest.mark.parametrize(
    "values",
    [
        dict(offered=99, delivered=90, complaints=9),  # 10% complaints, but 99 messages
        dict(offered=99, delivered=50, bounced=49, hard_bounced=49),
        dict(offered=99, delivered=99),
        dict(inbox=1, spam=3),  # 4 placements
    ],
)
def test_it_ignores_rates_on_too_little_volume(values):
    assert decide(figures(**values), T).factors == ()


def test_it_says_the_verdict_in_a_sentence_with_the_figures():
    result = decide(figures(offered=1000, delivered=1000, complaints=4), T)

    assert result.sentence == "negative: 0.4% complaints at Google on 22–23 Nov, over 0.3%"
    assert result.factors[0].as_json() == {
        "code": "complaints",
        "effect": "negative",
        "scope": "reputation",
        "weight": -30,
        "value": 0.004,
        "threshold": 0.003,
        "sentence": "negative: 0.4% complaints at Google on 22–23 Nov, over 0.3%",
    }


def test_a_subject_without_signals_is_neutral_with_medium_deliverability():
    result = decide(figures(), T)

    assert (result.reputation, result.deliverability, result.score) == ("neutral", "medium", 50)
    assert result.sentence == "neutral: no signal at Google on 22–23 Nov"


def test_deliverability_is_high_only_with_a_positive_factor_and_no_negative_one():
    good = decide(figures(inbox=10, offered=1000, delivered=1000), T)
    mixed = decide(figures(inbox=10, offered=1000, delivered=940, deferred=60, throttled=60), T)

    assert (good.reputation, good.deliverability) == ("positive", "high")
    # Throttling is a delivery factor: the reputation stays positive, deliverability is low.
    assert (mixed.reputation, mixed.deliverability) == ("positive", "low")
    assert mixed.sentence.startswith("positive: 100% of 10 seed messages")


def test_one_negative_reputation_factor_outweighs_any_positive_one():
    result = decide(figures(inbox=10, snds_filter="GREEN", snds_trap_hits=1), T)

    assert result.reputation == "negative"
    assert result.sentence == "negative: Microsoft SNDS counted 1 spam-trap hits on 22–23 Nov"


def test_a_neutral_factor_leaves_the_reputation_neutral():
    result = decide(figures(pm_spam_rate=0.002), T)

    assert (result.reputation, result.deliverability, result.score) == ("neutral", "medium", 45)


def test_the_score_adds_the_weights_and_stays_within_0_and_100():
    worst = decide(
        figures(
            kind=verdict.IP,
            dnsbl_listings=("zen.spamhaus.org",),
            snds_blocked=True,
            snds_filter="RED",
            ptr="fail",
        ),
        T,
    )
    good = decide(figures(inbox=10, snds_filter="GREEN"), T)
    best = decide(
        figures(inbox=10, snds_filter="GREEN", pm_spam_rate=0.0001, warmup_state="warm"), T
    )

    assert worst.score == 0
    assert good.score == 50 + 20 + 15
    assert best.score == 100


def test_thresholds_come_from_a_mapping_and_refuse_unknown_keys():
    custom = Thresholds.from_mapping({"complaint_rate": "0.001", "min_volume": "10"})

    assert (custom.complaint_rate, custom.min_volume) == (0.001, 10)
    assert "complaints" in codes(decide(figures(offered=20, delivered=20, complaints=1), custom))
    with pytest.raises(ValueError, match="unknown reputation threshold 'spam'"):
        Thresholds.from_mapping({"spam": "1"})
    with pytest.raises(ValueError, match="must be a number"):
        Thresholds.from_mapping({"min_volume": "lots"})


@pytest.mark.parametrize(
    ("rate", "text"), [(0.004, "0.4%"), (0.93, "93%"), (0.0005, "0.05%"), (0.015, "1.5%")]
)
def test_rates_are_written_with_as_few_digits_as_say_them(rate, text):
    assert verdict.pct(rate) == text
