"""The daily plan step of domain warm-up, per (domain, provider).

Once a day (early UTC, after the night's placements are in) each enabled warm-up of a verified
domain gets, for every *targeted* provider — one with at least one active seed — a decision for
today, stored as a DomainWarmupDay keyed by (plan, date), and today's messages, spread over the
waking hours with jitter. Running the step twice, late, or after days of downtime creates nothing
twice: a plan already stepped today is skipped; days the step did not run are recorded as
skipped and do not advance the ramp (volume must grow with sending, not with the calendar).

The rules (thresholds in settings, see docs/operations.md):

* start: day 1 sends WARMUP_DOMAIN_RAMP[0];
* hold: when the last day's spam share of placements is above WARMUP_SPAM_HOLD_THRESHOLD, the
  volume stays as it is today and tomorrow instead of increasing;
* advance: otherwise the next volume of the ramp (the last one repeats);
* warm: once the ramp has been completed, the inbox rate over the 3 days before today is at least
  WARMUP_GRADUATE_INBOX_RATE on at least WARMUP_GRADUATE_MIN_PLACEMENTS placements; a warm
  provider gets no more warm-up mail;
* needs attention: after WARMUP_ATTENTION_AFTER_DAYS days without graduating, with the figures;
  sending (and engagement) continues, and the provider can still graduate.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan, WarmupState
from engagement.compose import new_message_id
from engagement.models import SeedMailbox, WarmupMessage

Decision = DomainWarmupDay.Decision
PlanState = DomainWarmupPlan.State

# The window the graduation rule looks at: the 3 days before today.
GRADUATION_WINDOW_DAYS = 3
HOLD_DAYS = 2
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
    scheduled: int = 0

    def sentence(self) -> str:
        return (
            f"stepped {self.plans_stepped} provider plans of {self.warmups} warm-ups "
            f"({self.plans_started} started, {self.held} held, {self.graduated} graduated, "
            f"{self.needs_attention} need attention); {self.scheduled} messages scheduled"
        )


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


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
        # One worker steps a warm-up at a time; a second one waits and then finds it done.
        warmup = (
            DomainWarmup.objects.select_for_update()
            .select_related("domain")
            .filter(pk=warmup_id, enabled=True, domain__status=Domain.Status.VERIFIED)
            .first()
        )
        if warmup is None:
            return summary
        summary.warmups += 1
        plans = {p.provider_id: p for p in warmup.plans.all()}
        for provider_id in seeds:
            if provider_id not in plans:
                plans[provider_id] = DomainWarmupPlan.objects.create(
                    warmup=warmup, provider_id=provider_id, started_on=today
                )
        for provider_id, plan in plans.items():
            if provider_id not in seeds or plan.last_step_on == today:
                continue
            day = _plan_step(plan=plan, today=today, summary=summary)
            if day is not None and day.volume:
                summary.scheduled += _schedule(
                    warmup=warmup,
                    plan=plan,
                    day=day,
                    seed_ids=seeds[provider_id],
                    now=now,
                    rng=rng,
                )
        _warmup_state_update(warmup=warmup, plans=list(plans.values()), seeds=seeds)
    return summary


def _figures(plan: DomainWarmupPlan, start: date, end: date) -> tuple[int, int, int]:
    """(inbox, spam, placed) over the plan's days start..end inclusive."""
    totals = DomainWarmupDay.objects.filter(plan=plan, date__gte=start, date__lte=end).aggregate(
        inbox=Sum("inbox"), spam=Sum("spam"), missing=Sum("missing")
    )
    inbox, spam, missing = (totals[k] or 0 for k in ("inbox", "spam", "missing"))
    return inbox, spam, inbox + spam + missing


def _plan_step(
    *, plan: DomainWarmupPlan, today: date, summary: StepSummary
) -> DomainWarmupDay | None:
    ramp = list(settings.WARMUP_DOMAIN_RAMP)
    last = len(ramp) - 1
    day_number = (today - plan.started_on).days + 1
    previous = plan.days.filter(date__lt=today).order_by("-date").first()
    skipped = []
    if previous is not None:
        # Catch up: the days between the last step and today had no step and no mail.
        missed = previous.date + timedelta(days=1)
        while missed < today:
            skipped.append(
                DomainWarmupDay(
                    plan=plan,
                    date=missed,
                    day=(missed - plan.started_on).days + 1,
                    volume=0,
                    decision=Decision.SKIPPED,
                    reason="The plan step did not run that day (scheduler down): nothing was "
                    "sent and the ramp did not move.",
                )
            )
            missed += timedelta(days=1)

    decision, volume, reason = _decide(
        plan=plan, today=today, previous=previous, ramp=ramp, last=last, day_number=day_number
    )
    try:
        with transaction.atomic():
            DomainWarmupDay.objects.bulk_create(skipped)
            day = DomainWarmupDay.objects.create(
                plan=plan,
                date=today,
                day=day_number,
                volume=volume,
                decision=decision,
                reason=reason,
            )
    except IntegrityError:
        return None  # another worker stepped this plan today
    plan.day = day_number
    plan.volume = volume
    plan.last_step_on = today
    plan.reason = reason
    plan.save(
        update_fields=[
            "day",
            "step",
            "volume",
            "state",
            "reason",
            "hold_until",
            "last_step_on",
            "graduated_on",
        ]
    )
    summary.plans_stepped += 1
    if decision == Decision.START:
        summary.plans_started += 1
    elif decision == Decision.HOLD:
        summary.held += 1
    elif decision == Decision.WARM and plan.graduated_on == today:
        summary.graduated += 1
    elif decision == Decision.NEEDS_ATTENTION:
        summary.needs_attention += 1
    return day


def _decide(*, plan, today, previous, ramp, last, day_number) -> tuple[str, int, str]:
    """Today's decision for `plan` (mutates its step/state/hold_until/graduated_on)."""
    if previous is None:
        plan.step = 0
        return Decision.START, ramp[0], f"Day 1: {ramp[0]} messages to start the ramp."
    if plan.state == PlanState.WARM:
        return Decision.WARM, 0, plan.reason

    inbox, _, placed = _figures(
        plan, today - timedelta(days=GRADUATION_WINDOW_DAYS), today - timedelta(days=1)
    )
    rate = inbox / placed if placed else 0.0
    ramp_done = plan.step >= last and previous.volume >= ramp[last]
    need_rate = settings.WARMUP_GRADUATE_INBOX_RATE
    need_placed = settings.WARMUP_GRADUATE_MIN_PLACEMENTS
    figures = (
        f"inbox rate over the last {GRADUATION_WINDOW_DAYS} days {_pct(rate)} on {placed} "
        f"placements (warm needs ≥ {_pct(need_rate)} on ≥ {need_placed})"
    )
    if ramp_done and placed >= need_placed and rate >= need_rate:
        plan.state = PlanState.WARM
        plan.graduated_on = today
        plan.hold_until = None
        return Decision.WARM, 0, f"Warm since {today:%d %b %Y}: {figures}."

    # Volume for today: hold after a spammy day, else the next step of the ramp.
    spam_share = previous.spam / previous.placed if previous.placed else 0.0
    threshold = settings.WARMUP_SPAM_HOLD_THRESHOLD
    if previous.placed and spam_share > threshold:
        plan.hold_until = today + timedelta(days=HOLD_DAYS - 1)
        volume_reason = (
            f"holding at {ramp[plan.step]}/day until {plan.hold_until:%d %b}: on "
            f"{previous.date:%d %b} {previous.spam} of {previous.placed} placements "
            f"({_pct(spam_share)}) were in spam (threshold {_pct(threshold)})"
        )
        decision = Decision.HOLD
    elif plan.hold_until and today <= plan.hold_until:
        volume_reason = f"holding at {ramp[plan.step]}/day until {plan.hold_until:%d %b}"
        decision = Decision.HOLD
    else:
        plan.hold_until = None
        if plan.step < last:
            plan.step += 1
        volume_reason = f"{ramp[plan.step]}/day (step {plan.step + 1} of {len(ramp)})"
        decision = Decision.ADVANCE
    volume = ramp[plan.step]

    if day_number > settings.WARMUP_ATTENTION_AFTER_DAYS:
        plan.state = PlanState.NEEDS_ATTENTION
        return (
            Decision.NEEDS_ATTENTION,
            volume,
            f"Not warm after {day_number - 1} days: {figures}. Sending continues at "
            f"{volume}/day; check the domain's authentication and content reputation.",
        )
    sentence = volume_reason[0].upper() + volume_reason[1:]
    return decision, volume, f"Day {day_number}: {sentence}; {figures}."


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


def _warmup_state_update(*, warmup: DomainWarmup, plans, seeds) -> None:
    targeted = [p for p in plans if p.provider_id in seeds]
    if targeted and all(p.state == PlanState.WARM for p in targeted):
        state = WarmupState.WARM
    elif any(p.state == PlanState.NEEDS_ATTENTION for p in targeted):
        state = WarmupState.NEEDS_ATTENTION
    else:
        state = WarmupState.WARMING
    if warmup.state != state:
        warmup.state = state
        warmup.save(update_fields=["state"])


def warmup_cancel_pending(*, warmup: DomainWarmup) -> int:
    """Switched off: nothing scheduled is sent any more (sent mail and its history stay)."""
    return WarmupMessage.objects.filter(
        Q(status=WarmupMessage.Status.SCHEDULED), domain_id=warmup.domain_id
    ).update(status=WarmupMessage.Status.CANCELLED, error="Domain Warmup was switched off.")
