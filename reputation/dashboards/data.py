"""The dashboards' reads besides the snapshots (reputation.selectors): each one query, whatever
the number of days, providers or rows it covers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Case, Count, F, Q, Sum, When
from django.utils import timezone

from domains.models import Domain, DomainWarmupDay, DomainWarmupPlan, WarmupState
from ips.models import DedicatedIp, IpWarmup, IpWarmupDecision
from ips.types import DecisionKind
from reputation.charts import DecisionMark, PlanDay
from reputation.models import DomainSnapshot, FeedConnection

KIND_LABELS = dict(DecisionKind.choices)


def domain_plan_days(*, domain_id: int, start: date, end: date) -> dict[str, dict[str, PlanDay]]:
    """Per provider slug, per ISO day: the plan's volume and decision that day (one query)."""
    found: dict[str, dict[str, PlanDay]] = defaultdict(dict)
    for slug, day, volume, decision in DomainWarmupDay.objects.filter(
        plan__warmup__domain_id=domain_id, date__gte=start, date__lte=end
    ).values_list("plan__provider__slug", "date", "volume", "decision"):
        found[slug][day.isoformat()] = PlanDay(volume, decision)
    return dict(found)


def ip_decision_marks(*, ip_id: int, start: date, end: date) -> dict[str, list[DecisionMark]]:
    """Per provider slug, the IP's decisions of the window, newest first (one query; index
    ipwarmupdecision_history_idx serves each warm-up's part)."""
    found: dict[str, list[DecisionMark]] = defaultdict(list)
    for slug, day, kind, reason, cap, stage, actor in (
        IpWarmupDecision.objects.filter(warmup__ip_id=ip_id, day__gte=start, day__lte=end)
        .order_by("-created_at", "-pk")
        .values_list(
            "warmup__provider__slug",
            "day",
            "kind",
            "reason",
            "to_cap",
            "to_stage",
            "actor__username",
        )
    ):
        found[slug].append(
            DecisionMark(
                day.isoformat(), kind, KIND_LABELS.get(kind, kind), reason, cap, stage, actor
            )
        )
    return dict(found)


def account_inbox_rows(*, account, start: date, end: date) -> list[tuple]:
    """(provider slug, name, ISO day, inbox, placed) over all the account's domains (one
    aggregate query)."""
    return [
        (slug, name, day.isoformat(), inbox or 0, placed or 0)
        for slug, name, day, inbox, placed in DomainSnapshot.objects.for_account(account)
        .filter(day__gte=start, day__lte=end)
        .values("provider__slug", "provider__name", "provider__position", "day")
        .annotate(total_inbox=Sum("inbox"), total_placed=Sum(F("inbox") + F("spam") + F("missing")))
        .order_by("provider__position", "provider__name", "day")
        .values_list("provider__slug", "provider__name", "day", "total_inbox", "total_placed")
    ]


# --- the overview's "needs your attention" ---------------------------------------------------


def domain_counts(*, account) -> dict[str, int]:
    """How many of the account's domains are in each status and warm-up state (one query)."""
    return Domain.objects.for_account(account).aggregate(
        total=Count("pk"),
        verified=Count("pk", filter=Q(status=Domain.Status.VERIFIED)),
        pending=Count("pk", filter=Q(status=Domain.Status.PENDING)),
        failed=Count("pk", filter=Q(status=Domain.Status.FAILED)),
        warming=Count("pk", filter=Q(warmup__enabled=True)),
        warm=Count("pk", filter=Q(warmup__state=WarmupState.WARM)),
        verified_off=Count(
            "pk",
            filter=Q(status=Domain.Status.VERIFIED)
            & (Q(warmup__isnull=True) | Q(warmup__enabled=False)),
        ),
    )


def domains_needing_a_step(*, account, limit: int = 3) -> list[Domain]:
    """Domains the customer should act on: failed, pending, or verified with warm-up off
    (failed first), at most `limit` (one query)."""
    return list(
        Domain.objects.for_account(account)
        .filter(
            Q(status__in=[Domain.Status.FAILED, Domain.Status.PENDING])
            | Q(status=Domain.Status.VERIFIED) & (Q(warmup__isnull=True) | Q(warmup__enabled=False))
        )
        .select_related("warmup")
        .order_by("status", "name")[:limit]  # failed, then pending, then verified
    )


def plans_needing_attention(*, account, limit: int = 5) -> list[DomainWarmupPlan]:
    return list(
        DomainWarmupPlan.objects.for_account(account)
        .filter(state=DomainWarmupPlan.State.NEEDS_ATTENTION, warmup__enabled=True)
        .select_related("warmup__domain", "provider")
        .order_by("warmup__domain__name", "provider__position")[:limit]
    )


def ip_pairs_needing_a_look(*, account, limit: int = 5) -> list[IpWarmup]:
    """The account's IP warm-ups backing off, suspended, paused or cooling (one query)."""
    now = timezone.now()
    return list(
        IpWarmup.objects.for_account(account)
        .filter(
            Q(state__in=[IpWarmup.State.BACKOFF, IpWarmup.State.COOLING, IpWarmup.State.PAUSED])
            | Q(suspended_until__gt=now)
        )
        .exclude(ip__state=DedicatedIp.State.RETIRED)
        .select_related("ip", "provider")
        .order_by("ip__address", "provider__position")[:limit]
    )


def feeds_failing(*, account) -> list[FeedConnection]:
    return list(
        FeedConnection.objects.filter(account=account, status=FeedConnection.Status.FAILING)
    )


def warming_domains(*, account, limit: int = 5) -> list[Domain]:
    """The account's domains with warm-up on, not yet warm first (one query; the caller
    prefetches their plans)."""
    return list(
        Domain.objects.for_account(account)
        .filter(warmup__enabled=True)
        .select_related("warmup")
        .annotate(
            rank=Case(
                When(warmup__state=WarmupState.NEEDS_ATTENTION, then=0),
                When(warmup__state=WarmupState.WARMING, then=1),
                default=2,
            )
        )
        .order_by("rank", "name")[:limit]
    )


def warming_ips(*, account, limit: int = 5) -> list[DedicatedIp]:
    return list(
        DedicatedIp.objects.for_account(account)
        .exclude(state=DedicatedIp.State.RETIRED)
        .order_by("-state", "address")[:limit]
    )


def window(days: int, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.now().date()
    return today - timedelta(days=days - 1), today
