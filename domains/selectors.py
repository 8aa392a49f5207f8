"""Reads of domains, one queryset per output shape. Callers scope them to an account
(AccountScopedViewSet, or `.for_account()` in pages). Also what a customer sees of a domain's
warm-up (`warmup_summary`), read from prefetched rows without further queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from accounts.tenancy import TenantQuerySet
from domains.models import (
    DkimKey,
    Domain,
    DomainRecord,
    DomainWarmup,
    DomainWarmupDay,
    DomainWarmupPlan,
    WarmupState,
)
from warmup_site.hostnames import domain_and_parents

# The inbox rate shown covers this many days before today, plus today.
RATE_WINDOW_DAYS = 3


def _records() -> Prefetch:
    return Prefetch("records", queryset=DomainRecord.objects.order_by("position", "pk"))


def domain_list() -> TenantQuerySet:
    """Domains with their records and warm-up (API list and detail): four queries for any
    number of rows — domains joined with their warm-up, records, warm-up plans with their
    provider, the plans' recent days."""
    return (
        Domain.objects.select_related("warmup")
        .prefetch_related(_records(), *warmup_prefetch())
        .order_by("name", "pk")
    )


def domain_list_for_page(*, account) -> TenantQuerySet:
    """The Verified Domains list: one query, with how many required records are ok."""
    return (
        Domain.objects.for_account(account)
        .annotate(
            required_total=Count("records", filter=Q(records__required=True)),
            required_ok=Count(
                "records",
                filter=Q(records__required=True, records__status=DomainRecord.Status.OK),
            ),
        )
        .order_by("name", "pk")
    )


def domain_detail() -> TenantQuerySet:
    """One domain with its records, DKIM keys (never their private halves) and warm-up."""
    return Domain.objects.select_related("warmup").prefetch_related(
        _records(),
        *warmup_prefetch(),
        Prefetch(
            "dkim_keys",
            queryset=DkimKey.objects.defer("private_key").order_by("created_at", "pk"),
        ),
    )


# --- whose sending domain is it? ---------------------------------------------------------------


def verified_domain_owners(*, names: Iterable[str]) -> dict[str, int | None]:
    """For each sender domain, the account that verified it or the domain it lies under (the
    longest match wins: `news.acme.example` belongs to whoever verified `acme.example`), None
    when nobody did. Only verified domains count: anyone may *add* a domain, but only its owner
    can verify it, and one account at a time. One query for any number of names."""
    candidates = {name: domain_and_parents(name) for name in names}
    owners = dict(
        Domain.objects.filter(
            status=Domain.Status.VERIFIED,
            name__in={c for names_ in candidates.values() for c in names_},
        ).values_list("name", "account_id")
    )
    return {
        name: next((owners[c] for c in options if c in owners), None)
        for name, options in candidates.items()
    }


# --- the warm-up, as the customer sees it ----------------------------------------------------


def warmup_prefetch(*, today: date | None = None) -> list:
    """Prefetches that let `warmup_summary` read a domain without further queries:
    the warm-up (joined), its plans with their provider, and the plans' recent days."""
    today = today or timezone.now().date()
    recent = DomainWarmupDay.objects.filter(date__gte=today - timedelta(days=RATE_WINDOW_DAYS))
    return [
        Prefetch(
            "warmup__plans",
            queryset=DomainWarmupPlan.objects.select_related("provider")
            .prefetch_related(Prefetch("days", queryset=recent.order_by("date"), to_attr="recent"))
            .order_by("provider__position", "provider__name"),
        )
    ]


@dataclass(frozen=True)
class ProviderProgress:
    provider: str  # slug
    provider_name: str
    day: int
    today_volume: int
    sent_today: int
    inbox_rate: float | None  # 0..1 over the recent days' placements; None before any
    placements: int
    state: str
    state_label: str
    reason: str

    def as_json(self) -> dict:
        return {
            "provider": self.provider,
            "day": self.day,
            "today_volume": self.today_volume,
            "sent_today": self.sent_today,
            "inbox_rate": self.inbox_rate,
            "placements": self.placements,
            "state": self.state,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WarmupSummary:
    enabled: bool
    state: str
    state_label: str
    started_at: object
    providers: list[ProviderProgress]
    keep_warm: bool = True

    @property
    def not_covered(self) -> list[ProviderProgress]:
        return [p for p in self.providers if p.state == DomainWarmupPlan.State.NOT_COVERED]

    def as_json(self) -> dict:
        return {
            "enabled": self.enabled,
            "keep_warm": self.keep_warm,
            "state": self.state,
            "started_at": self.started_at.isoformat().replace("+00:00", "Z")
            if self.started_at
            else None,
            "providers": [p.as_json() for p in self.providers],
        }


def _progress(plan: DomainWarmupPlan, today: date) -> ProviderProgress:
    days = getattr(plan, "recent", None)
    if days is None:  # not prefetched: one query (the page and API always prefetch)
        days = list(plan.days.filter(date__gte=today - timedelta(days=RATE_WINDOW_DAYS)))
    current = next((d for d in days if d.date == today), None)
    inbox = sum(d.inbox for d in days)
    placed = sum(d.placed for d in days)
    return ProviderProgress(
        provider=plan.provider.slug,
        provider_name=plan.provider.name,
        day=plan.day,
        today_volume=current.volume if current else 0,
        sent_today=current.sent if current else 0,
        inbox_rate=round(inbox / placed, 3) if placed else None,
        placements=placed,
        state=plan.state,
        state_label=plan.get_state_display(),
        reason=plan.reason,
    )


def warmup_summary(domain: Domain, *, today: date | None = None) -> WarmupSummary:
    """The warm-up of a domain fetched with `warmup_prefetch()` (no queries)."""
    today = today or timezone.now().date()
    try:
        warmup = domain.warmup
    except DomainWarmup.DoesNotExist:
        return WarmupSummary(False, WarmupState.OFF, WarmupState.OFF.label, None, [])
    return WarmupSummary(
        enabled=warmup.enabled,
        state=warmup.state,
        state_label=warmup.get_state_display(),
        started_at=warmup.started_at,
        providers=[_progress(plan, today) for plan in warmup.plans.all()],
        keep_warm=warmup.keep_warm,
    )
