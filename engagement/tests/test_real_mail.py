"""The customer's own mail counts: delivery events from the warming domain (posted to the
events API as the sending pipeline would) with a complaint or throttle rate over the provider's
limit hold the plan at that provider, and the reason says so; the other providers go on."""

from datetime import timedelta

import pytest
import time_machine

from domains.models import DomainWarmupPlan
from domains.services import domain_warmup_set
from engagement.tests.conftest import make_seed
from engagement.tests.test_plan import DAY1, at, place, step

MICROSOFT_THROTTLE = (
    "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP "
    "reputation. For e-mail delivery information, see https://aka.ms/postmaster (S3140)"
)


@pytest.fixture
def plans(db, dovecot, verified_domain):
    for slug in ("google", "microsoft", "yahoo"):
        make_seed(dovecot, slug, "Junk")
    with time_machine.travel(at(DAY1, 6), tick=False):
        domain_warmup_set(domain=verified_domain, enabled=True)
    return {
        p.provider.slug: p
        for p in DomainWarmupPlan.objects.filter(warmup__domain=verified_domain).select_related(
            "provider"
        )
    }


def events(domain, provider_domain: str, *, delivered: int, prefix: str, **extra) -> list[dict]:
    when = f"{DAY1.isoformat()}T15:00:00Z"
    base = {
        "ip": "203.0.113.9",
        "sender_domain": domain.name,
        "smtp_code": 250,
        "enhanced_status": "2.0.0",
        "response": "250 OK",
        "timestamp": when,
    }
    batch = [
        {
            **base,
            "id": f"{prefix}-d{n}",
            "type": "delivered",
            "recipient": f"u{n}@{provider_domain}",
        }
        for n in range(delivered)
    ]
    for n, kind in enumerate(extra.get("kinds", [])):
        item = {**base, "id": f"{prefix}-x{n}", "recipient": f"x{n}@{provider_domain}", **kind}
        batch.append(item)
    return batch


def test_complaints_and_throttling_on_the_customers_own_mail_hold_that_provider(
    owner_api, verified_domain, plans
):
    complaint = {"type": "complaint", "smtp_code": None, "enhanced_status": "", "response": ""}
    throttled = {
        "type": "deferred",
        "smtp_code": 451,
        "enhanced_status": "4.7.650",
        "response": MICROSOFT_THROTTLE,
    }
    batch = [
        # Gmail: 2 complaints on 200 delivered = 1% (limit 0.3%).
        *events(verified_domain, "gmail.com", delivered=200, prefix="g", kinds=[complaint] * 2),
        # Outlook.com: 60 of 160 attempts throttled = 38% (Microsoft's limit 15%).
        *events(verified_domain, "outlook.com", delivered=100, prefix="m", kinds=[throttled] * 60),
        # Yahoo: clean.
        *events(verified_domain, "yahoo.com", delivered=150, prefix="y"),
    ]
    with time_machine.travel(at(DAY1, 18), tick=False):
        response = owner_api.post("/api/v1/events/", {"events": batch}, format="json")
    assert response.status_code == 200, response.json()
    for plan in plans.values():
        place(plan, DAY1, inbox=4, spam=1)

    step(DAY1 + timedelta(days=1))

    after = {
        p.provider.slug: p
        for p in DomainWarmupPlan.objects.filter(pk__in=[p.pk for p in plans.values()])
    }
    google, microsoft, yahoo = after["google"], after["microsoft"], after["yahoo"]
    assert (google.volume, microsoft.volume, yahoo.volume) == (5, 5, 8)
    assert google.days.get(date=DAY1 + timedelta(days=1)).decision == "hold"
    assert google.reason.startswith(
        "Day 2: holding at 5/day and not graduating: your own mail to Google over the last "
        "3 days had 2 complaints on 200 delivered (1.00%, limit 0.30%)"
    )
    assert "60 of 160 attempts throttled (38%, limit 15%)" in microsoft.reason
    assert yahoo.days.get(date=DAY1 + timedelta(days=1)).decision == "advance"


def test_a_little_real_mail_does_not_hold_the_plan(owner_api, verified_domain, plans):
    complaint = {"type": "complaint", "smtp_code": None, "enhanced_status": "", "response": ""}
    batch = events(verified_domain, "gmail.com", delivered=20, prefix="g", kinds=[complaint])
    with time_machine.travel(at(DAY1, 18), tick=False):
        response = owner_api.post("/api/v1/events/", {"events": batch}, format="json")
    assert response.status_code == 200
    place(plans["google"], DAY1, inbox=4, spam=1)

    result = step(DAY1 + timedelta(days=1))

    # One complaint in 20 is 5%, but 20 messages are too few to judge by (minimum 100).
    assert result.volume == 8
