"""Demo data for `make run`: sandbox seeds at eight providers and the demo's verified domain
warming up, with a few days of history so the page has something to show (idempotent).

The seeds live in the sandbox world (engagement.sandbox): `make run` serves it, so the scheduler
really sends today's messages to them and really sweeps them. Yandex and Mail.ru get no seeds on
purpose: the page shows them as not covered and the operators get the alert that says how many
seeds they need.
"""

from datetime import timedelta

from django.utils import timezone

from domains.demo import VERIFIED_DOMAIN
from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan, WarmupState
from engagement.models import SeedMailbox, WarmupMessage
from engagement.sandbox import PROVIDERS, seed_endpoint_defaults
from engagement.services.plan import warmup_step
from engagement.services.seeds import seed_create
from providers.models import MailboxProvider

SEEDS_PER_PROVIDER = 2
# Sandbox mail domains that get demo seeds (every sandbox provider but two).
DEMO_SEED_DOMAINS = [d for d, p in PROVIDERS.items() if p.slug not in ("yandex", "mailru")]
HISTORY_DAYS = 3
# (volume, inbox share) of the history days: a domain whose placement improves as it warms.
HISTORY = [(5, 0.4), (8, 0.62), (12, 0.83)]


def load() -> list[str]:
    providers = {p.slug: p for p in MailboxProvider.objects.all()}
    for mail_domain in DEMO_SEED_DOMAINS:
        sandbox_provider = PROVIDERS[mail_domain]
        for n in range(1, SEEDS_PER_PROVIDER + 1):
            address = f"seed{n}@{mail_domain}"
            if not SeedMailbox.objects.filter(address=address).exists():
                seed_create(
                    provider=providers[sandbox_provider.slug],
                    address=address,
                    secret="sandbox",
                    **seed_endpoint_defaults(),
                )
    domain = Domain.objects.filter(name=VERIFIED_DOMAIN).first()
    if domain is None:
        return []
    lines = [
        f"engagement: {SeedMailbox.objects.count()} sandbox seeds at "
        f"{len(DEMO_SEED_DOMAINS)} providers"
    ]
    if DomainWarmup.objects.filter(domain=domain).exists():
        return lines
    today = timezone.now().date()
    start = today - timedelta(days=HISTORY_DAYS)
    warmup = DomainWarmup.objects.create(
        domain=domain,
        enabled=True,
        state=WarmupState.WARMING,
        started_at=timezone.now() - timedelta(days=HISTORY_DAYS),
        changed_at=timezone.now() - timedelta(days=HISTORY_DAYS),
        changed_by="demo",
    )
    for mail_domain in DEMO_SEED_DOMAINS:
        sandbox_provider = PROVIDERS[mail_domain]
        plan = DomainWarmupPlan.objects.create(
            warmup=warmup,
            provider=providers[sandbox_provider.slug],
            started_on=start,
            day=HISTORY_DAYS,
            step=HISTORY_DAYS - 1,
            volume=HISTORY[-1][0],
            last_step_on=today - timedelta(days=1),
            reason="Demo history: the plan step continues from here today.",
        )
        DomainWarmupDay.objects.bulk_create(
            DomainWarmupDay(
                plan=plan,
                date=start + timedelta(days=offset),
                day=offset + 1,
                volume=volume,
                decision="start" if offset == 0 else "advance",
                reason="Demo history (make run).",
                sent=volume,
                inbox=round(volume * share),
                spam=volume - round(volume * share),
                engaged=volume,
            )
            for offset, (volume, share) in enumerate(HISTORY)
        )
    # Today's step and messages, as the scheduler would make them this morning.
    warmup_step(warmup_id=warmup.pk)
    # Someone trying `make run` should see mail land within minutes, not at the first slot of
    # the day: each provider's first message is due now (the next send job takes it).
    now = timezone.now()
    for plan in warmup.plans.all():
        first = (
            WarmupMessage.objects.filter(domain=domain, provider=plan.provider, status="scheduled")
            .order_by("scheduled_at")
            .first()
        )
        if first is not None and first.scheduled_at > now:
            first.scheduled_at = now
            first.save(update_fields=["scheduled_at"])
    lines.append(f"engagement: {VERIFIED_DOMAIN} is warming up (day {HISTORY_DAYS + 1})")
    return lines
