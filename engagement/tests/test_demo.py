from django.utils import timezone

from accounts import demo as account_demo
from domains import demo as domain_demo
from domains.models import DomainWarmupDay, DomainWarmupPlan
from engagement import demo
from engagement.models import SeedMailbox, WarmupMessage
from engagement.sandbox import PROVIDERS


def test_it_loads_sandbox_seeds_at_eight_providers_and_a_warming_domain_idempotently(db):
    account_demo.load()
    domain_demo.load()

    demo.load()
    demo.load()

    covered = len(demo.DEMO_SEED_DOMAINS)
    assert covered == 8  # the issue asks for at least 6
    assert SeedMailbox.objects.count() == covered * demo.SEEDS_PER_PROVIDER
    assert set(SeedMailbox.objects.values_list("sandbox", flat=True)) == {True}
    plans = DomainWarmupPlan.objects.filter(warmup__domain__name=domain_demo.VERIFIED_DOMAIN)
    assert plans.count() == len(PROVIDERS)  # every provider with consumer mailboxes is listed
    warming = plans.exclude(state="not_covered")
    assert {p.day for p in warming} == {demo.HISTORY_DAYS + 1}
    assert set(plans.filter(state="not_covered").values_list("provider__slug", flat=True)) == {
        "yandex",
        "mailru",
    }
    assert DomainWarmupDay.objects.count() == covered * (demo.HISTORY_DAYS + 1)
    assert WarmupMessage.objects.filter(status="scheduled").exists()


def test_each_providers_first_message_of_the_demo_is_due_at_once(db):
    account_demo.load()
    domain_demo.load()
    demo.load()

    due = WarmupMessage.objects.filter(status="scheduled", scheduled_at__lte=timezone.now())
    assert sorted(due.values_list("provider__slug", flat=True)) == sorted(
        PROVIDERS[d].slug for d in demo.DEMO_SEED_DOMAINS
    )
