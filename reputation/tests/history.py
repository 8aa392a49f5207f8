"""A domain's and an IP's history at every provider, written straight into the tables the
dashboards read (snapshots, plan days, decisions): for the dashboards' tests, the browser tests'
screenshots and bench/pages.py. Each provider gets its own course (a steady climb, a hold after
a spammy day, a back-off after throttling, graduation), repeatable from a seed."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from ips.models import DedicatedIp, IpWarmup, IpWarmupDay, IpWarmupDecision
from providers.models import MailboxProvider
from reputation.models import DomainSnapshot, IpSnapshot

RAMP = [5, 8, 12, 18, 25, 35, 50]


def _verdict(rate: float | None) -> tuple[str, str, int]:
    if rate is None:
        return "neutral", "medium", 50
    if rate >= 0.85:
        return "positive", "high", 75
    if rate < 0.45:
        return "negative", "low", 25
    return "neutral", "medium", 50


def domain_history(
    domain: Domain, *, days: int, providers: list[MailboxProvider], today: date, seed: int = 1
) -> DomainWarmup:
    """Domain Warmup on for `days` days at each provider, with its plan days and snapshots: a
    provider's inbox rate climbs at its own pace; some hold after a spammy day, most graduate
    after the ramp."""
    rng = random.Random(seed)
    start = today - timedelta(days=days - 1)
    warmup, _ = DomainWarmup.objects.update_or_create(
        domain=domain,
        defaults={
            "enabled": True,
            "state": "warming",
            "started_at": timezone.make_aware(datetime.combine(start, time(8))),
        },
    )
    plan_days, snapshots = [], []
    now = timezone.now()
    for index, provider in enumerate(providers):
        base = 0.35 + 0.05 * (index % 5)  # where the provider starts
        pace = 0.06 + 0.02 * (index % 3)  # how fast it improves
        hold_day = 3 + index % 4 if index % 3 == 1 else None
        step, state, graduated, days_rows = 0, "warming", None, []
        for n in range(days):
            day = start + timedelta(days=n)
            rate = min(0.98, base + pace * n + rng.uniform(-0.05, 0.05))
            decision = "start" if n == 0 else "advance"
            if hold_day is not None and n in (hold_day, hold_day + 1):
                decision = "hold"
                rate = max(0.2, rate - 0.3)
            elif n:
                step = min(step + 1, len(RAMP) - 1)
            if state == "warm":
                decision = "warm"
            elif step == len(RAMP) - 1 and n >= len(RAMP) and rate >= 0.9:
                state, decision, graduated = "warm", "warm", day
            # A warm plan sends nothing more (domains/warmup_rule.py).
            volume = 0 if state == "warm" else RAMP[step]
            inbox = round(volume * rate)
            spam = round((volume - inbox) * 0.8)
            missing = volume - inbox - spam
            days_rows.append((day, n + 1, volume, decision, inbox, spam, missing))
        plan = DomainWarmupPlan.objects.create(
            warmup=warmup,
            provider=provider,
            started_on=start,
            day=days,
            step=step,
            volume=days_rows[-1][2],
            state=state,
            graduated_on=graduated,
            last_step_on=today,
            reason=f"Day {days}: {days_rows[-1][2]}/day.",
        )
        for day, number, volume, decision, inbox, spam, missing in days_rows:
            plan_days.append(
                DomainWarmupDay(
                    plan=plan,
                    date=day,
                    day=number,
                    volume=volume,
                    decision=decision,
                    reason=f"Day {number}: {decision}.",
                    sent=volume,
                    inbox=inbox,
                    spam=spam,
                    missing=missing,
                )
            )
            placed = inbox + spam + missing
            reputation, deliverability, score = _verdict(inbox / placed if placed else None)
            snapshots.append(
                DomainSnapshot(
                    domain=domain,
                    provider=provider,
                    day=day,
                    sent=volume,
                    inbox=inbox,
                    spam=spam,
                    missing=missing,
                    warmup_state="warm" if decision == "warm" else "warming",
                    reputation=reputation,
                    deliverability=deliverability,
                    score=score,
                    sentence=f"{reputation}: {inbox} of {placed} placements in the inbox",
                    pm_spam_rate=max(0.0004, 0.004 - 0.0002 * (day - start).days)
                    if provider.slug == "google"
                    else None,
                    computed_at=now,
                )
            )
    # As the plan step leaves it: warm once every provider is.
    warmup.state = "warm" if all(p.state == "warm" for p in warmup.plans.all()) else "warming"
    warmup.save(update_fields=["state"])
    DomainWarmupDay.objects.bulk_create(plan_days)
    DomainSnapshot.objects.bulk_create(snapshots)
    return warmup


def ip_history(
    ip: DedicatedIp, *, days: int, providers: list[MailboxProvider], today: date, seed: int = 2
) -> None:
    """An IP warming for `days` days at each provider: the cap grows ×1.6–2.5 on clean full
    days, holds on short days, backs off after throttling; with its decisions and snapshots."""
    rng = random.Random(seed)
    start = today - timedelta(days=days - 1)
    now = timezone.now()
    decisions, snapshots, counters = [], [], []
    for index, provider in enumerate(providers):
        warmup = IpWarmup.objects.get(ip=ip, provider=provider)
        cap, stage, state = 1000, 1, "warming"
        growth = 1.6 + 0.3 * (index % 4)
        throttle_day = 5 + index % 6 if index % 2 == 0 else None
        for n in range(days):
            day = start + timedelta(days=n)
            used = cap if rng.random() > 0.15 else int(cap * 0.5)
            throttled = int(used * 0.08) if n == throttle_day else 0
            deferred = throttled + int(used * 0.01)
            bounced = int(used * 0.004)
            delivered = used - deferred - bounced
            before_cap, before_stage, before_state = cap, stage, state
            counters.append(
                IpWarmupDay(
                    warmup=warmup,
                    day=day,
                    cap=cap,
                    routed=used,
                    delivered=delivered,
                    deferred=deferred,
                    bounced=bounced,
                    throttled=throttled,
                )
            )
            if throttled:
                kind, cap, state = "backoff", max(1000, int(cap * 0.5)), "backoff"
                reason = f"{throttled:,} throttling replies on {used:,} routed: backing off."
            elif used < cap * 0.9:
                kind = "hold"
                reason = f"{used:,} of {cap:,} routed: growing needs 90% of the cap routed."
            else:
                kind, cap, state = "advance", min(int(cap * growth), 40_000), "warming"
                stage = min(stage + 2, 10)
                reason = f"{used:,} of {before_cap:,} routed, clean: ×{growth:g}."
            if day == today:
                # Today's decision is taken after midnight: only the counters so far.
                cap, stage, state = before_cap, before_stage, before_state
            else:
                decisions.append(
                    IpWarmupDecision(
                        warmup=warmup,
                        day=day,
                        daily=True,
                        kind=kind,
                        from_state=before_state,
                        to_state=state,
                        from_stage=before_stage,
                        to_stage=stage,
                        from_cap=before_cap,
                        to_cap=cap,
                        figures={"cap": before_cap, "routed": used, "throttled": throttled},
                        reason=reason,
                        created_at=timezone.make_aware(datetime.combine(day, time(0, 10)))
                        + timedelta(days=1),
                    )
                )
            reputation = "negative" if throttled else ("positive" if n > 6 else "neutral")
            snapshots.append(
                IpSnapshot(
                    ip=ip,
                    provider=provider,
                    day=day,
                    offered=used,
                    delivered=delivered,
                    deferred=deferred,
                    bounced=bounced,
                    throttled=throttled,
                    warmup_state=before_state,
                    warmup_stage=before_stage,
                    cap=before_cap,
                    used=used,
                    reputation=reputation,
                    deliverability="high" if reputation == "positive" else "medium",
                    score=70 if reputation == "positive" else 45,
                    sentence=f"{reputation} at {provider.name}",
                    snds_filter=("GREEN" if n > 3 else "YELLOW")
                    if provider.slug == "microsoft"
                    else "",
                    computed_at=now,
                )
            )
        IpWarmup.objects.filter(pk=warmup.pk).update(
            state=state, stage=stage, daily_cap=cap, sending_days=days, started_on=start
        )
    IpWarmupDay.objects.bulk_create(counters)
    IpWarmupDecision.objects.bulk_create(decisions)
    IpSnapshot.objects.bulk_create(snapshots)
