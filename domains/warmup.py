"""The Domain Warmup switch, and what a customer sees of a warm-up (page and API).

The engagement app does the work (plan steps, sending, seeds). It learns of the switch through
`switch_hooks`: domains must not import engagement, so engagement appends its callable in its
``AppConfig.ready()``. Hooks run inside the switch's transaction, so "disabled" and "nothing
left to send" become true together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan, WarmupState
from warmup_site.errors import ApplicationError

# Callables `(warmup: DomainWarmup) -> None`, called after the switch changed (same transaction).
switch_hooks: list[Callable[[DomainWarmup], None]] = []

# The inbox rate shown (and used to graduate) covers this many days before today, plus today.
RATE_WINDOW_DAYS = 3


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
        else:
            warmup.state = WarmupState.OFF
        warmup.save(update_fields=["enabled", "changed_at", "changed_by", "started_at", "state"])
        for hook in switch_hooks:
            hook(warmup)
    return warmup


# --- what the customer sees -----------------------------------------------------------------------


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

    def as_json(self) -> dict:
        return {
            "enabled": self.enabled,
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
    )
