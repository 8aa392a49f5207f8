"""The daily plan step of domain warm-up: decide each provider's day, then send its mail.

Once a day (early UTC, after the night's placements are in) each enabled warm-up of a verified
domain is stepped at every *targeted* provider — one with at least one active seed; the others
are recorded as not covered. The decision and its rule belong to domains
(domains/warmup_rule.py, written by domains.services.warmup_plans_step); this module picks the
providers and schedules the day's messages to their seeds (warm-up and maintenance mail alike),
spread over the waking hours with jitter, in the same transaction as the decision, so a day is
decided and scheduled together or not at all.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from domains.models import Domain, DomainWarmup
from domains.services import warmup_plans_step
from engagement.compose import new_message_id
from engagement.models import SeedMailbox, WarmupMessage

# When the step runs after the day's waking hours (warm-up switched on at night), today's
# messages are spread over this long from now rather than squeezed into nothing.
LATE_SPREAD = timedelta(hours=2)


@dataclass
class StepSummary:
    warmups: int = 0
    plans_stepped: int = 0
    plans_started: int = 0
    held: int = 0
    graduated: int = 0
    needs_attention: int = 0
    maintained: int = 0
    rewarmed: int = 0
    not_covered: int = 0
    scheduled: int = 0

    def sentence(self) -> str:
        return (
            f"stepped {self.plans_stepped} provider plans of {self.warmups} warm-ups "
            f"({self.plans_started} started, {self.held} held, {self.graduated} graduated, "
            f"{self.needs_attention} need attention, {self.maintained} kept warm, "
            f"{self.rewarmed} back in warm-up; {self.not_covered} not covered); "
            f"{self.scheduled} messages scheduled"
        )


def targeted_seeds() -> dict[int, list[int]]:
    """Active seeds per provider id: the providers a warm-up targets (one query)."""
    seeds: dict[int, list[int]] = defaultdict(list)
    for provider_id, seed_id in SeedMailbox.objects.filter(
        state=SeedMailbox.State.ACTIVE
    ).values_list("provider_id", "pk"):
        seeds[provider_id].append(seed_id)
    return dict(seeds)


def warmups_step(*, today: date | None = None, rng: random.Random | None = None) -> StepSummary:
    """The daily step for every enabled warm-up of a verified domain."""
    now = timezone.now()
    today = today or now.date()
    summary = StepSummary()
    seeds = targeted_seeds()
    ids = list(
        DomainWarmup.objects.filter(
            enabled=True, domain__status=Domain.Status.VERIFIED
        ).values_list("pk", flat=True)
    )
    for warmup_id in ids:
        warmup_step(warmup_id=warmup_id, today=today, seeds=seeds, rng=rng, summary=summary)
    return summary


def warmup_step(
    *,
    warmup_id: int,
    today: date | None = None,
    seeds: dict[int, list[int]] | None = None,
    rng: random.Random | None = None,
    summary: StepSummary | None = None,
) -> StepSummary:
    """Step one domain's warm-up for today (also run at once when it is switched on)."""
    now = timezone.now()
    today = today or now.date()
    seeds = targeted_seeds() if seeds is None else seeds
    rng = rng or random.Random()
    summary = summary or StepSummary()
    with transaction.atomic():
        step = warmup_plans_step(warmup_id=warmup_id, provider_ids=seeds, today=today)
        if step.warmup is None:
            return summary
        summary.warmups += 1
        summary.plans_stepped += step.stepped
        summary.plans_started += step.started
        summary.held += step.held
        summary.graduated += step.graduated
        summary.needs_attention += step.needs_attention
        summary.maintained += step.maintained
        summary.rewarmed += step.rewarmed
        summary.not_covered += step.not_covered
        for plan, day in step.days:
            summary.scheduled += _schedule(
                warmup=step.warmup,
                plan=plan,
                day=day,
                seed_ids=seeds[plan.provider_id],
                now=now,
                rng=rng,
            )
    return summary


def _window(today: date, now: datetime) -> tuple[datetime, datetime]:
    start_hour, end_hour = settings.WARMUP_WAKING_HOURS
    start = datetime.combine(today, time(start_hour), tzinfo=UTC)
    end = datetime.combine(today, time(0), tzinfo=UTC) + timedelta(hours=end_hour)
    start = max(start, now)
    if end - start < timedelta(minutes=30):
        start, end = now, now + LATE_SPREAD
    return start, end


def _schedule(*, warmup, plan, day, seed_ids: list[int], now: datetime, rng: random.Random) -> int:
    """Create today's messages: one per slot of the waking window, at a random point inside
    its slot (never a burst), to the provider's active seeds in turn."""
    start, end = _window(day.date, now)
    slot = (end - start) / day.volume
    seeds = list(seed_ids)
    rng.shuffle(seeds)
    domain = warmup.domain
    sender = f"{settings.WARMUP_SENDER_LOCALPART}@{domain.name}"
    # Seeds that replied recently: some of today's messages continue those threads.
    parents: dict[int, list[WarmupMessage]] = defaultdict(list)
    for parent in (
        WarmupMessage.objects.filter(
            domain=domain,
            provider_id=plan.provider_id,
            follow_ups__isnull=True,
            sent_at__gte=now - timedelta(days=7),
        )
        .exclude(reply_message_id="")
        .order_by("sent_at")
    ):
        parents[parent.seed_id].append(parent)
    messages = []
    for index in range(day.volume):
        seed_id = seeds[index % len(seeds)]
        parent = None
        if parents.get(seed_id) and rng.random() < settings.WARMUP_THREAD_PROBABILITY:
            parent = parents[seed_id].pop(0)
        messages.append(
            WarmupMessage(
                domain=domain,
                day=day,
                provider_id=plan.provider_id,
                seed_id=seed_id,
                message_id=new_message_id(domain.name),
                sender=sender,
                parent=parent,
                scheduled_at=start + slot * index + slot * rng.uniform(0.1, 0.9),
            )
        )
    WarmupMessage.objects.bulk_create(messages)
    return len(messages)


def warmup_cancel_pending(*, warmup: DomainWarmup) -> int:
    """Switched off: nothing scheduled is sent any more (sent mail and its history stay)."""
    return WarmupMessage.objects.filter(
        Q(status=WarmupMessage.Status.SCHEDULED), domain_id=warmup.domain_id
    ).update(status=WarmupMessage.Status.CANCELLED, error="Domain Warmup was switched off.")
