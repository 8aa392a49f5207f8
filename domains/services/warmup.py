"""Domain Warmup's writes: the switch, the daily plan step of each provider, the day counters.

domains owns the warm-up's tables (DomainWarmup, DomainWarmupPlan, DomainWarmupDay) and its
rule (domains/warmup_rule.py); the engagement app sends the mail and drives the seeds, and
writes here only through these functions. It learns of the switch through `switch_hooks`:
domains must not import engagement, so engagement appends its callable in its
``AppConfig.ready()``. Hooks run inside the switch's transaction, so "disabled" and "nothing
left to send" become true together.

The plan step is keyed by (plan, date): running it twice, late, or after days of downtime
creates nothing twice; days the step did not run are recorded as skipped and do not advance
the ramp (volume must grow with sending, not with the calendar).

Every provider of the registry with consumer mailboxes gets a plan; one without an active
seed is *not covered* (shown so on the page; the reputation app alerts the operators). The
customer's own mail counts through `real_mail_sources`: domains must not import ips, which
holds the delivery events, so ips appends a reader in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from domains import warmup_rule
from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan, WarmupState
from domains.warmup_plan import rules_for
from providers.models import MailboxProvider
from warmup_site.errors import ApplicationError

Decision = DomainWarmupDay.Decision
PlanState = DomainWarmupPlan.State

# Callables `(warmup: DomainWarmup) -> None`, called after the switch changed (same transaction).
switch_hooks: list[Callable[[DomainWarmup], None]] = []

# Callables `(domain: Domain, start: date, end: date) -> {provider id: RealMail}`: the
# customer's own mail from the domain per provider in [start, end) (ips registers one).
real_mail_sources: list[Callable[[Domain, date, date], dict[int, warmup_rule.RealMail]]] = []
# How many days of the customer's own mail the plan looks at.
REAL_MAIL_DAYS = 3
# How many past days the rule reads (the re-warm window is the longest look back).
HISTORY_DAYS = 14

COUNTERS = frozenset({"sent", "inbox", "spam", "missing", "engaged"})


def domain_warmup_set(*, domain: Domain, enabled: bool, actor: str = "") -> DomainWarmup:
    """Switch Domain Warmup on or off. Only verified domains can be switched on; switching off
    stops sending at once (the hooks cancel what was scheduled) and keeps the history."""
    if enabled and domain.status != Domain.Status.VERIFIED:
        raise ApplicationError(
            f"{domain.unicode_name} is not verified yet: publish its DNS records and verify it "
            "before switching Domain Warmup on.",
            field="enabled",
        )
    now = timezone.now()
    with transaction.atomic():
        warmup, _ = DomainWarmup.objects.get_or_create(domain=domain)
        # Lock the row: two clicks at once must not both run the hooks.
        warmup = DomainWarmup.objects.select_for_update().get(pk=warmup.pk)
        if warmup.enabled == enabled:
            return warmup
        warmup.enabled = enabled
        warmup.changed_at = now
        warmup.changed_by = actor[:150]
        if enabled:
            warmup.started_at = warmup.started_at or now
            if warmup.state == WarmupState.OFF:
                warmup.state = WarmupState.WARMING
            # A plan that stopped by itself starts again from day 1 (its history stays).
            warmup.plans.filter(state=PlanState.NEEDS_ATTENTION).update(
                state=PlanState.WARMING, step=0, hold_until=None, started_on=now.date()
            )
        else:
            warmup.state = WarmupState.OFF
        warmup.save(update_fields=["enabled", "changed_at", "changed_by", "started_at", "state"])
        for hook in switch_hooks:
            hook(warmup)
    return warmup


def domain_warmup_keep_warm_set(*, domain: Domain, keep_warm: bool) -> DomainWarmup:
    """Keep-warm on or off: after graduation, maintenance mail and the automatic return to
    warm-up. Off stops both from the next plan step; the history stays."""
    warmup, _ = DomainWarmup.objects.get_or_create(domain=domain)
    if warmup.keep_warm != keep_warm:
        warmup.keep_warm = keep_warm
        warmup.save(update_fields=["keep_warm"])
    return warmup


@dataclass
class PlansStep:
    """What one domain's step decided: the warm-up (None if it is no longer enabled and
    verified) and today's new day rows that have mail to send."""

    warmup: DomainWarmup | None
    days: list[tuple[DomainWarmupPlan, DomainWarmupDay]] = field(default_factory=list)
    stepped: int = 0
    started: int = 0
    held: int = 0
    graduated: int = 0
    needs_attention: int = 0
    maintained: int = 0
    rewarmed: int = 0
    not_covered: int = 0


def consumer_provider_ids() -> list[int]:
    """Providers of the registry with consumer mailboxes (every one a warm-up should cover),
    in display order: one query."""
    return [
        pk
        for pk, domains in MailboxProvider.objects.order_by("position", "name").values_list(
            "pk", "consumer_domains"
        )
        if domains
    ]


def warmup_plans_step(*, warmup_id: int, provider_ids: Iterable[int], today: date) -> PlansStep:
    """Step one domain's warm-up for today at the providers it targets (those with seeds):
    create missing plans (also for the providers it cannot cover yet, shown as not covered),
    decide each plan's day once, update the warm-up's overall state.

    Locks the warm-up row: one worker steps a warm-up at a time; a second one waits and then
    finds it done. Call it inside the transaction that also schedules the day's mail.
    """
    targeted = list(dict.fromkeys(provider_ids))
    warmup = (
        DomainWarmup.objects.select_for_update()
        .select_related("domain")
        .filter(pk=warmup_id, enabled=True, domain__status=Domain.Status.VERIFIED)
        .first()
    )
    result = PlansStep(warmup=warmup)
    if warmup is None:
        return result
    plans = {p.provider_id: p for p in warmup.plans.select_related("provider")}
    wanted = list(dict.fromkeys([*targeted, *consumer_provider_ids()]))
    for provider_id in [p for p in wanted if p not in plans]:
        plan = DomainWarmupPlan.objects.create(
            warmup=warmup,
            provider_id=provider_id,
            started_on=today,
            state=PlanState.WARMING if provider_id in targeted else PlanState.NOT_COVERED,
        )
        plans[provider_id] = DomainWarmupPlan.objects.select_related("provider").get(pk=plan.pk)
    real_mail = _real_mail(warmup.domain, today)
    for provider_id, plan in plans.items():
        if provider_id not in targeted:
            result.not_covered += _uncover(plan)
            continue
        if plan.last_step_on == today:
            continue
        if plan.state == PlanState.NOT_COVERED:
            _restart(plan, today)
        day = _plan_step(
            plan=plan,
            today=today,
            result=result,
            real_mail=real_mail.get(provider_id),
            keep_warm=warmup.keep_warm,
        )
        if day is not None and day.volume:
            result.days.append((plan, day))
    _warmup_state_update(warmup=warmup, plans=[p for k, p in plans.items() if k in targeted])
    return result


def _real_mail(domain: Domain, today: date) -> dict[int, warmup_rule.RealMail]:
    """The customer's own mail per provider over the REAL_MAIL_DAYS days before today."""
    start = today - timedelta(days=REAL_MAIL_DAYS)
    found: dict[int, warmup_rule.RealMail] = {}
    for source in real_mail_sources:
        found.update(source(domain, start, today))
    return found


def _uncover(plan: DomainWarmupPlan) -> int:
    """A provider without an active seed: its plan is not covered (a warm one stays warm —
    it only misses its maintenance mail until seeds return)."""
    if plan.state == PlanState.WARM:
        return 0
    reason = (
        f"Not covered: there is no active seed mailbox at {plan.provider.name} yet, so the "
        "warm-up cannot reach it. The operators have been asked to add "
        f"{settings.WARMUP_SEEDS_PER_PROVIDER}; this provider starts as soon as one is active."
    )
    if plan.state != PlanState.NOT_COVERED or plan.reason != reason:
        plan.state, plan.reason, plan.volume = PlanState.NOT_COVERED, reason, 0
        plan.save(update_fields=["state", "reason", "volume"])
    return 1


def _restart(plan: DomainWarmupPlan, today: date) -> None:
    """Day 1 again: a provider that just got covered, or a plan restarted by the switch."""
    plan.started_on, plan.state, plan.step, plan.hold_until = today, PlanState.WARMING, 0, None
    plan.save(update_fields=["started_on", "state", "step", "hold_until"])


def _thresholds() -> warmup_rule.Thresholds:
    return warmup_rule.Thresholds(
        ramp=tuple(settings.WARMUP_DOMAIN_RAMP),
        spam_hold_threshold=settings.WARMUP_SPAM_HOLD_THRESHOLD,
        graduate_inbox_rate=settings.WARMUP_GRADUATE_INBOX_RATE,
        graduate_min_placements=settings.WARMUP_GRADUATE_MIN_PLACEMENTS,
        attention_after_days=settings.WARMUP_ATTENTION_AFTER_DAYS,
        fast_inbox_rate=settings.WARMUP_DOMAIN_FAST_INBOX_RATE,
        max_growth=settings.WARMUP_DOMAIN_MAX_GROWTH,
        stall_days=settings.WARMUP_DOMAIN_STALL_DAYS,
    )


def _history(plan: DomainWarmupPlan, today: date) -> list[DomainWarmupDay]:
    """The plan's days of the current attempt before today, oldest first (two weeks at most)."""
    start = max(plan.started_on, today - timedelta(days=HISTORY_DAYS))
    return list(
        plan.days.filter(date__gte=start, date__lt=today)
        .exclude(decision=Decision.SKIPPED)
        .order_by("date")
    )


def _skipped_days(plan: DomainWarmupPlan, previous, today: date) -> list[DomainWarmupDay]:
    """Catch up: the days between the last step and today had no step and no mail."""
    if previous is None:
        return []
    days, missed = [], previous.date + timedelta(days=1)
    while missed < today:
        days.append(
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
    return days


def _plan_step(
    *,
    plan: DomainWarmupPlan,
    today: date,
    result: PlansStep,
    real_mail: warmup_rule.RealMail | None,
    keep_warm: bool,
) -> DomainWarmupDay | None:
    day_number = (today - plan.started_on).days + 1
    history = _history(plan, today)
    previous = history[-1] if history else None
    step = warmup_rule.plan_step(
        plan=warmup_rule.PlanState(
            step=plan.step,
            state=plan.state,
            reason=plan.reason,
            hold_until=plan.hold_until,
            graduated_on=plan.graduated_on,
        ),
        today=today,
        day_number=day_number,
        days=tuple(
            warmup_rule.Day(
                date=d.date,
                volume=d.volume,
                placed=d.placed,
                inbox=d.inbox,
                spam=d.spam,
                engaged=d.engaged,
                decision=d.decision,
            )
            for d in history
        ),
        t=_thresholds(),
        rules=rules_for(settings.WARMUP_DOMAIN_PLAN_FILE, plan.provider.slug),
        provider=plan.provider.name.split(" (", 1)[0],
        real_mail=real_mail,
        keep_warm=keep_warm,
    )
    try:
        with transaction.atomic():
            DomainWarmupDay.objects.bulk_create(_skipped_days(plan, previous, today))
            day = DomainWarmupDay.objects.create(
                plan=plan,
                date=today,
                day=day_number,
                volume=step.volume,
                decision=step.decision,
                reason=step.reason,
            )
    except IntegrityError:
        return None  # another worker stepped this plan today
    _plan_save(plan, step, day_number=day_number, today=today)
    _count(result, step, today)
    return day


def _plan_save(plan: DomainWarmupPlan, step, *, day_number: int, today: date) -> None:
    after = step.plan
    plan.step, plan.state, plan.hold_until = after.step, after.state, after.hold_until
    plan.graduated_on = after.graduated_on
    plan.day, plan.volume, plan.last_step_on, plan.reason = (
        day_number,
        step.volume,
        today,
        step.reason,
    )
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


def _count(result: PlansStep, step, today: date) -> None:
    result.stepped += 1
    if step.decision == Decision.START:
        result.started += 1
    elif step.decision == Decision.HOLD:
        result.held += 1
    elif step.decision == Decision.WARM and step.plan.graduated_on == today:
        result.graduated += 1
    elif step.decision == Decision.NEEDS_ATTENTION:
        result.needs_attention += 1
    elif step.decision == Decision.MAINTAIN:
        result.maintained += 1
    elif step.decision == Decision.REWARM:
        result.rewarmed += 1


def _warmup_state_update(*, warmup: DomainWarmup, plans: list[DomainWarmupPlan]) -> None:
    """The domain is warm when every covered provider is."""
    if plans and all(p.state == PlanState.WARM for p in plans):
        state = WarmupState.WARM
    elif any(p.state == PlanState.NEEDS_ATTENTION for p in plans):
        state = WarmupState.NEEDS_ATTENTION
    else:
        state = WarmupState.WARMING
    if warmup.state != state:
        warmup.state = state
        warmup.save(update_fields=["state"])


def warmup_day_add(*, day_id: int, **counts: int) -> None:
    """Add to one plan day's counters (sent, inbox, spam, missing) with a conditional UPDATE:
    the sender and the seeds' sweep report here as mail goes out and placements are found."""
    unknown = set(counts) - COUNTERS
    if unknown:
        raise ValueError(f"unknown warm-up day counters: {', '.join(sorted(unknown))}")
    DomainWarmupDay.objects.filter(pk=day_id).update(
        **{name: F(name) + value for name, value in counts.items()}
    )
