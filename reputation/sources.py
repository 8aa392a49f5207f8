"""Every read of what the other apps store (ips, domains, engagement, providers), for the
snapshot job and the notification scan.

Nothing imports `reputation`, so it learns of warm-up decisions, checks, placements and events
only by reading their tables; keeping those reads here means a change in another app's models
is adapted in one file. Each function is one query (two for the profiles) and returns plain
tuples or dicts; none of them grows in queries with the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Count, F, Max, Q

from domains.models import FAILURES_TO_FAIL, Domain, DomainWarmupDay, DomainWarmupPlan
from engagement.models import SeedAction, SeedMailbox
from ips.models import DedicatedIp, DeliveryEvent, IpCheck, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.services.capacity import shared_pool_loads
from ips.services.events import CATEGORY_COUNTER, TYPE_COUNTER
from ips.services.warmup import profiles_by_provider
from providers.models import MailboxProvider

IP_COUNTERS = IpWarmupDay.COUNTERS  # delivered, deferred, bounced, hard_bounced, …, complaints


# --- subjects and providers ----------------------------------------------------------------------


def providers() -> list[tuple[int, str, str]]:
    """(id, slug, name) of every provider, in display order."""
    return list(
        MailboxProvider.objects.order_by("position", "name").values_list("id", "slug", "name")
    )


def provider_limits() -> dict[int, tuple[float, float]]:
    """Per provider id: (complaint limit, hard-bounce limit) of its IP warm-up profile — the
    thresholds the warm-up controller already holds the provider to."""
    return {
        pid: (float(p.complaint_limit), float(p.hard_bounce_limit))
        for pid, p in profiles_by_provider().items()
    }


def domains() -> list[tuple[int, int, str, str]]:
    """(id, account id, name, status) of every domain. A catch-up of past days includes
    domains added since (their figures there are zero): history imported with a domain, as the
    demo's, still gets its snapshots."""
    return list(Domain.objects.order_by("pk").values_list("id", "account_id", "name", "status"))


def ips() -> list[tuple[int, str, int | None]]:
    """(id, address, account id or None for shared IPs) of every IP not retired."""
    return list(
        DedicatedIp.objects.exclude(state=DedicatedIp.State.RETIRED)
        .order_by("pk")
        .values_list("id", "address", "pool__account_id")
    )


# --- IPs -----------------------------------------------------------------------------------------


def ip_days(*, day: date) -> Iterable[tuple]:
    """(ip id, provider id, cap, routed, *IP_COUNTERS) of one day's counters."""
    return (
        IpWarmupDay.objects.filter(day=day)
        .values_list("warmup__ip_id", "warmup__provider_id", "cap", "routed", *IP_COUNTERS)
        .iterator(chunk_size=5000)
    )


def ip_warmups() -> Iterable[tuple]:
    """(ip id, provider id, state, stage, daily cap, suspended until) of every warm-up now."""
    return (
        IpWarmup.objects.values_list(
            "ip_id", "provider_id", "state", "stage", "daily_cap", "suspended_until"
        )
        .order_by()
        .iterator(chunk_size=5000)
    )


def ip_decisions_of_day(*, day: date) -> list[tuple]:
    """(ip id, provider id, kind, daily, from state, from stage) of one day's decisions: the
    daily decision about a day starts from the state the IP was in during that day."""
    return list(
        IpWarmupDecision.objects.filter(day=day)
        .order_by("created_at", "pk")
        .values_list(
            "warmup__ip_id", "warmup__provider_id", "kind", "daily", "from_state", "from_stage"
        )
    )


def ip_checks() -> list[tuple]:
    """(ip id, kind, name, status, changed at) of every readiness check."""
    return list(IpCheck.objects.values_list("ip_id", "kind", "name", "status", "changed_at"))


# --- domains -------------------------------------------------------------------------------------


def domain_events(*, start: datetime, end: datetime) -> list[tuple]:
    """(account id, sender domain, provider id, counter, count) of the delivery events in
    [start, end) — one row per group, counted by the database. Counters are those of the IP
    day rows (delivered, deferred, bounced, complaints, and the reply categories)."""
    base = DeliveryEvent.objects.filter(
        timestamp__gte=start,
        timestamp__lt=end,
        provider__isnull=False,
        # Through the (account, timestamp) index: only accounts that have domains.
        account_id__in=Domain.objects.values("account_id"),
    )
    rows = []
    for account_id, sender, provider_id, kind, category, n in (
        base.values_list("account_id", "sender_domain", "provider_id", "type", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rows.append((account_id, sender, provider_id, TYPE_COUNTER[kind], n))
        if category in CATEGORY_COUNTER:
            rows.append((account_id, sender, provider_id, CATEGORY_COUNTER[category], n))
    return rows


def seed_days(*, day: date) -> list[tuple]:
    """(domain id, provider id, sent, inbox, spam, missing, decision) of the warm-up mail of
    one day."""
    return list(
        DomainWarmupDay.objects.filter(date=day).values_list(
            "plan__warmup__domain_id",
            "plan__provider_id",
            "sent",
            "inbox",
            "spam",
            "missing",
            "decision",
        )
    )


def seed_actions(*, start: datetime, end: datetime) -> list[tuple]:
    """(domain id, provider id, action kind, count) of what seeds did in [start, end)."""
    return list(
        SeedAction.objects.filter(at__gte=start, at__lt=end)
        .values_list("message__domain_id", "message__provider_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )


# --- notifications -------------------------------------------------------------------------------


def ip_decisions_after(*, position: int, kinds: Iterable[str], limit: int) -> list[dict]:
    """Warm-up decisions with an id above `position` (the primary key's index), oldest first."""
    return list(
        IpWarmupDecision.objects.filter(pk__gt=position, kind__in=list(kinds))
        .order_by("pk")
        .values(
            "id",
            "kind",
            "day",
            "reason",
            "created_at",
            "to_state",
            "to_stage",
            "to_cap",
            address=F("warmup__ip__address"),
            account_id=F("warmup__ip__pool__account_id"),
            provider=F("warmup__provider__slug"),
            provider_name=F("warmup__provider__name"),
        )[:limit]
    )


def last_decision_id() -> int:
    return IpWarmupDecision.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def blocklist_listings(*, since: datetime) -> list[dict]:
    """DNS-blocklist checks that fail and changed since `since` (a new listing)."""
    return list(
        IpCheck.objects.filter(
            kind=IpCheck.Kind.DNSBL, status=IpCheck.Status.FAIL, changed_at__gte=since
        ).values(
            "id",
            "name",
            "detail",
            "changed_at",
            address=F("ip__address"),
            account_id=F("ip__pool__account_id"),
        )
    )


def domains_failing() -> list[dict]:
    """Verified domains one failed day from being unverified, and unverified (failed) ones."""
    return list(
        Domain.objects.filter(
            Q(status=Domain.Status.VERIFIED, consecutive_failures__gte=FAILURES_TO_FAIL - 1)
            | Q(status=Domain.Status.FAILED)
        ).values(
            "id",
            "account_id",
            "name",
            "status",
            "problem",
            "consecutive_failures",
            "last_failure_on",
            "failed_at",
        )
    )


def failures_to_fail() -> int:
    return FAILURES_TO_FAIL


def seeds_failing() -> list[dict]:
    """Seed mailboxes out of rotation because something failed (not those an operator
    disabled)."""
    return list(
        SeedMailbox.objects.filter(
            state__in=[SeedMailbox.State.LOGIN_FAILED, SeedMailbox.State.SPAM_FOLDER_UNKNOWN]
        ).values(
            "id",
            "address",
            "state",
            "state_reason",
            "last_error_at",
            provider_name=F("provider__name"),
        )
    )


def pools_near_capacity(*, since: date) -> list[dict]:
    """Shared pools the capacity watch (ips/services/capacity.py) flagged on or after `since`,
    with today's load."""
    flagged = {
        load.pool.pk: load
        for load in shared_pool_loads()
        if load.pool.capacity_alerted_on and load.pool.capacity_alerted_on >= since
    }
    return [
        {
            "id": pk,
            "name": load.pool.name,
            "capacity": load.pool.capacity,
            "alerted_on": load.pool.capacity_alerted_on,
            "routed": load.routed,
            "sentence": load.sentence(),
        }
        for pk, load in flagged.items()
    ]


def plans_changed(*, since: date) -> list[dict]:
    """Domain warm-up plans (one per domain and provider) that graduated since `since`, or
    need attention now."""
    return list(
        DomainWarmupPlan.objects.filter(
            Q(state=DomainWarmupPlan.State.WARM, graduated_on__gte=since)
            | Q(state=DomainWarmupPlan.State.NEEDS_ATTENTION)
        ).values(
            "id",
            "state",
            "reason",
            "started_on",
            "graduated_on",
            "last_step_on",
            domain_id=F("warmup__domain_id"),
            domain=F("warmup__domain__name"),
            account_id=F("warmup__domain__account_id"),
            provider_slug=F("provider__slug"),
            provider_name=F("provider__name"),
        )
    )


def plans_rewarmed(*, since: date) -> list[dict]:
    """Days since `since` on which a warm provider went back to warm-up (one per plan and day)."""
    return list(
        DomainWarmupDay.objects.filter(decision=DomainWarmupDay.Decision.REWARM, date__gte=since)
        .values(
            "id",
            "date",
            "reason",
            plan_key=F("plan_id"),
            domain_id=F("plan__warmup__domain_id"),
            domain=F("plan__warmup__domain__name"),
            account_id=F("plan__warmup__domain__account_id"),
            provider_slug=F("plan__provider__slug"),
            provider_name=F("plan__provider__name"),
        )
        .order_by("date", "id")
    )


def coverage_gaps() -> list[dict]:
    """Providers that enabled domain warm-ups cannot reach (their plans are not covered: no
    active seed there), with how many warm-ups miss them, the provider's active seeds and when
    its seeds last changed (so a new gap is a new event). Two queries."""
    gaps = list(
        DomainWarmupPlan.objects.filter(
            state=DomainWarmupPlan.State.NOT_COVERED, warmup__enabled=True
        )
        .values("provider_id", slug=F("provider__slug"), name=F("provider__name"))
        .annotate(warmups=Count("id"))
        .order_by("provider__position", "provider__name")
    )
    if not gaps:
        return []
    seeds: dict[int, dict] = {}
    for row in (
        SeedMailbox.objects.filter(provider_id__in=[g["provider_id"] for g in gaps])
        .values("provider_id")
        .annotate(
            active=Count("id", filter=Q(state=SeedMailbox.State.ACTIVE)),
            created=Max("created_at"),
            failed=Max("last_error_at"),
        )
        .order_by()
    ):
        seeds[row["provider_id"]] = row
    for gap in gaps:
        row = seeds.get(gap["provider_id"], {})
        gap["active_seeds"] = row.get("active", 0)
        changes = [m for m in (row.get("created"), row.get("failed")) if m]
        gap["seeds_changed_at"] = max(changes) if changes else None
    return gaps


def account_ips(*, account_id: int) -> list[str]:
    return list(
        DedicatedIp.objects.filter(pool__account_id=account_id)
        .exclude(state=DedicatedIp.State.RETIRED)
        .values_list("address", flat=True)
    )


def verified_domains(*, account_id: int) -> list[tuple[int, str]]:
    return list(
        Domain.objects.filter(account_id=account_id, status=Domain.Status.VERIFIED)
        .order_by("name")
        .values_list("id", "name")
    )
