"""The operators' fleet view (admin: Reputation › Warm-up fleet): every IP warm-up and domain
warm-up plan of every account, filterable by state, provider and name, with sparklines and
estimates; the counts per provider and state (a chart and a table); the seed network's health
(per seed: last sweep, errors, inbox rate); and the task queue's last failures.

A page costs a constant number of queries whatever the fleet's size (pinned in tests, measured
by bench/pages.py with 10,000 warming pairs): the counts (one per kind), the page of rows and
its count, the rows' estimates (three) or plans' recent days (one), the sparklines (one), the
seeds (two) and the failures (one).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django_q.models import Failure

from domains.models import DomainWarmupDay, DomainWarmupPlan
from domains.selectors import plan_progress_of, plans_ramp_done
from domains.warmup_progress import PAUSED
from engagement.models import SeedMailbox, WarmupMessage
from ips import selectors as ip_selectors
from ips.models import IpWarmup, IpWarmupDay
from providers.models import MailboxProvider
from reputation.charts import fleet_chart, sparkline
from warmup_site import paging

PAGE_SIZE = 50
SPARK_DAYS = 14
SEED_DAYS = 7
SUSPENDED = "suspended"
ALL_ACTIVE = ""  # the default: everything in progress or needing a look

# IP warm-up states as the fleet shows them (suspended is a flag on top of a state).
IP_STATES = [
    (IpWarmup.State.WARMING, "Warming up"),
    (IpWarmup.State.BACKOFF, "Backing off"),
    (SUSPENDED, "Suspended now"),
    (IpWarmup.State.PAUSED, "Paused"),
    (IpWarmup.State.COOLING, "Cooling (below the floor)"),
    (IpWarmup.State.WARM, "Warm"),
    (IpWarmup.State.PENDING, "Not started"),
]
ACTIVE_IP_STATES = [
    IpWarmup.State.WARMING,
    IpWarmup.State.BACKOFF,
    IpWarmup.State.PAUSED,
    IpWarmup.State.COOLING,
]
PLAN_STATES = [
    (DomainWarmupPlan.State.NEEDS_ATTENTION, "Needs attention"),
    (DomainWarmupPlan.State.WARMING, "Warming"),
    (PAUSED, "Paused (switched off)"),
    (DomainWarmupPlan.State.WARM, "Warm"),
]


def _ip_pairs(*, state: str, provider: str, q: str):
    now = timezone.now()
    pairs = IpWarmup.objects.all()
    if state == SUSPENDED:
        pairs = pairs.filter(suspended_until__gt=now)
    elif state:
        pairs = pairs.filter(state=state)
    else:
        pairs = pairs.filter(Q(state__in=ACTIVE_IP_STATES) | Q(suspended_until__gt=now))
    if provider:
        pairs = pairs.filter(provider__slug=provider)
    if q:
        pairs = pairs.filter(
            Q(ip__address__icontains=q.lower()) | Q(ip__pool__account__name__icontains=q)
        )
    # What needs a look first: suspended, backing off, cooling, paused, then the rest.
    priority = Case(
        When(suspended_until__gt=now, then=Value(0)),
        When(state=IpWarmup.State.BACKOFF, then=Value(1)),
        When(state=IpWarmup.State.COOLING, then=Value(2)),
        When(state=IpWarmup.State.PAUSED, then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )
    return (
        pairs.select_related("ip__pool__account", "provider")
        .annotate(priority=priority)
        .order_by("priority", "ip__address", "provider__position")
    )


def _plans(*, state: str, provider: str, q: str):
    plans = DomainWarmupPlan.objects.all()
    if state == PAUSED:
        plans = plans.filter(warmup__enabled=False)
    elif state:
        plans = plans.filter(state=state, warmup__enabled=True)
    else:
        plans = plans.filter(
            warmup__enabled=True,
            state__in=[DomainWarmupPlan.State.WARMING, DomainWarmupPlan.State.NEEDS_ATTENTION],
        )
    if provider:
        plans = plans.filter(provider__slug=provider)
    if q:
        plans = plans.filter(
            Q(warmup__domain__name__icontains=q) | Q(warmup__domain__account__name__icontains=q)
        )
    # What needs a look first: needing attention, then warming, then warm.
    priority = Case(
        When(state=DomainWarmupPlan.State.NEEDS_ATTENTION, then=Value(0)),
        When(state=DomainWarmupPlan.State.WARMING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        plans.select_related("warmup__domain__account", "provider")
        .annotate(priority=priority)
        .order_by("priority", "warmup__domain__name", "provider__position")
    )


def _ip_counts(now) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for slug, state, total, suspended in (
        IpWarmup.objects.values("provider__slug", "state")
        .annotate(total=Count("pk"), suspended=Count("pk", filter=Q(suspended_until__gt=now)))
        .values_list("provider__slug", "state", "total", "suspended")
    ):
        counts[(slug, state)] += total
        counts[(slug, SUSPENDED)] += suspended
    return counts


def _plan_counts() -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for slug, state, enabled, total in (
        DomainWarmupPlan.objects.values("provider__slug", "state", "warmup__enabled")
        .annotate(total=Count("pk"))
        .values_list("provider__slug", "state", "warmup__enabled", "total")
    ):
        counts[(slug, state if enabled else PAUSED)] += total
    return counts


def _ip_rows(pairs: list[IpWarmup], today) -> list[dict]:
    ip_ids = sorted({p.ip_id for p in pairs})
    rows = ip_selectors.ip_warmup_rows(ip_ids=ip_ids, with_estimates=True)
    by_pair = {(r.ip_id, r.provider): r for found in rows.values() for r in found}
    caps: dict[int, dict] = defaultdict(dict)
    for warmup_id, day, cap in IpWarmupDay.objects.filter(
        warmup_id__in=[p.pk for p in pairs], day__gte=today - timedelta(days=SPARK_DAYS - 1)
    ).values_list("warmup_id", "day", "cap"):
        caps[warmup_id][day] = cap
    days = [today - timedelta(days=n) for n in range(SPARK_DAYS - 1, -1, -1)]
    result = []
    for pair in pairs:
        row = by_pair.get((pair.ip_id, pair.provider.slug))
        values = [caps[pair.pk].get(day) for day in days]
        known = [v for v in values if v is not None]
        result.append(
            {
                "pair": pair,
                "row": row,
                "account": pair.ip.pool.account,
                "spark": sparkline(
                    values,
                    summary=f"daily cap over {SPARK_DAYS} days: "
                    + (f"{known[0]:,} to {known[-1]:,}" if known else "no cap"),
                ),
            }
        )
    return result


def _plan_rows(plans: list[DomainWarmupPlan], today) -> list[dict]:
    rates: dict[int, dict] = defaultdict(dict)
    for plan_id, day, inbox, spam, missing in DomainWarmupDay.objects.filter(
        plan_id__in=[p.pk for p in plans], date__gte=today - timedelta(days=SPARK_DAYS - 1)
    ).values_list("plan_id", "date", "inbox", "spam", "missing"):
        placed = inbox + spam + missing
        rates[plan_id][day] = inbox / placed if placed else None
    days = [today - timedelta(days=n) for n in range(SPARK_DAYS - 1, -1, -1)]
    ramp_done = plans_ramp_done(plan_ids=[p.pk for p in plans])
    result = []
    for plan in plans:
        values = [rates[plan.pk].get(day) for day in days]
        known = [v for v in values if v is not None]
        progress = plan_progress_of(
            plan, today=today, enabled=plan.warmup.enabled, ramp_done=plan.pk in ramp_done
        )
        result.append(
            {
                "plan": plan,
                "progress": progress,
                "spark": sparkline(
                    values,
                    summary=f"inbox rate over {SPARK_DAYS} days: "
                    + (f"{known[0]:.0%} to {known[-1]:.0%}" if known else "no placements"),
                ),
            }
        )
    return result


def seed_health(now) -> list[dict]:
    """Per seed: its state, last sweep, last error and the inbox rate of the mail it received
    over the last week (one query for the seeds with their counts)."""
    since = now - timedelta(days=SEED_DAYS)
    placed = Q(messages__placed_at__gte=since) & ~Q(
        messages__placement=WarmupMessage.Placement.PENDING
    )
    seeds = (
        SeedMailbox.objects.select_related("provider")
        .annotate(
            placed=Count("messages", filter=placed),
            inbox=Count(
                "messages", filter=placed & Q(messages__placement=WarmupMessage.Placement.INBOX)
            ),
        )
        .order_by("provider__position", "address")
    )
    return [
        {
            "seed": seed,
            "inbox_rate": seed.inbox / seed.placed if seed.placed else None,
            "ok": seed.state == SeedMailbox.State.ACTIVE and not seed.last_error,
        }
        for seed in seeds
    ]


def fleet_context(request) -> dict:
    now = timezone.now()
    today = now.date()
    kind = "domains" if request.GET.get("kind") == "domains" else "ips"
    states = PLAN_STATES if kind == "domains" else IP_STATES
    q, state = paging.search_terms(request, states={s for s, _ in states})
    providers = list(
        MailboxProvider.objects.order_by("position", "name").values_list("slug", "name")
    )
    provider = request.GET.get("provider", "")
    provider = provider if provider in {slug for slug, _ in providers} else ""
    if kind == "domains":
        queryset = _plans(state=state, provider=provider, q=q)
    else:
        queryset = _ip_pairs(state=state, provider=provider, q=q)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    params = {"kind": kind, "q": q, "state": state, "provider": provider}
    listing = paging.Listing(
        page=page,
        query=urlencode({k: v for k, v in params.items() if v}),
        q=q,
        state=state,
    )
    ip_counts = _ip_counts(now)
    plan_counts = _plan_counts()
    used = sorted(
        {slug for slug, _ in ip_counts} | {slug for slug, _ in plan_counts},
    )
    shown = [(slug, name) for slug, name in providers if slug in used]
    chart, chart_table = fleet_chart(counts=ip_counts, providers=shown, states=IP_STATES[:-1])
    objects = list(page.object_list)
    return {
        "kind": kind,
        "states": states,
        "providers": providers,
        "provider": provider,
        "listing": listing,
        "rows": _plan_rows(objects, today) if kind == "domains" else _ip_rows(objects, today),
        "chart": chart,
        "chart_table": chart_table,
        "plan_counts": [
            {"name": name, "cells": [plan_counts.get((slug, s), 0) for s, _ in PLAN_STATES]}
            for slug, name in shown
        ],
        "plan_states": PLAN_STATES,
        "seeds": seed_health(now),
        "failures": list(Failure.objects.order_by("-stopped")[:10]),
        "charts": True,
    }
