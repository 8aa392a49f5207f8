"""Reads of domains, one queryset per output shape. Callers scope them to an account
(AccountScopedViewSet, or `.for_account()` in pages). Also what a customer sees of a domain's
warm-up (`warmup_summary`), read from prefetched rows without further queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q
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
from domains.warmup_progress import PAUSED, PlanProgress, plan_progress
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


# The Verified Domains list's state filter: the domain's status or its warm-up's state.
LIST_STATUSES = ("verified", "pending", "failed")
LIST_WARMUP_STATES = ("warming", "warm", "needs_attention", "off")


def domain_list_for_page(*, account, q: str = "", state: str = "") -> TenantQuerySet:
    """The Verified Domains list, with its warm-up (joined) and how many required records are
    ok: one query per page (and one to count), searched by name and filtered by status or
    warm-up state. The page prefetches the warm-up plans of its rows (`warmup_prefetch`)."""
    domains = Domain.objects.for_account(account).select_related("warmup")
    if q:
        domains = domains.filter(name__icontains=q.lower().strip("."))
    if state in LIST_STATUSES:
        domains = domains.filter(status=state)
    elif state == "off":
        domains = domains.filter(Q(warmup__isnull=True) | Q(warmup__state=WarmupState.OFF))
    elif state in LIST_WARMUP_STATES:
        domains = domains.filter(warmup__state=state)
    return domains.annotate(
        required_total=Count("records", filter=Q(records__required=True)),
        required_ok=Count(
            "records",
            filter=Q(records__required=True, records__status=DomainRecord.Status.OK),
        ),
    ).order_by("name", "pk")


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
    # "day 4 of ~7" and the day the provider should be warm (domains/warmup_progress.py).
    progress: PlanProgress | None = None

    @property
    def estimated_finish(self) -> date | None:
        return self.progress.estimated_finish if self.progress else None

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
            "progress": self.progress.as_json() if self.progress else None,
            "estimated_finish": _iso(self.estimated_finish),
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


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

    @property
    def covered(self) -> list[ProviderProgress]:
        """The providers the warm-up reaches (an active seed there)."""
        return [p for p in self.providers if p.state != DomainWarmupPlan.State.NOT_COVERED]

    @property
    def estimated_finish(self) -> date | None:
        """When every provider should be warm: the latest provider's finish (None while any
        provider has no estimate, or nothing runs)."""
        finishes = [p.estimated_finish for p in self.providers if p.progress is not None]
        if not finishes or any(f is None for f in finishes):
            return None
        return max(finishes)

    @property
    def progress(self) -> dict | None:
        """The least advanced provider's progress: the domain is warm when it is."""
        shown = [p.progress for p in self.providers if p.progress]
        if not shown:
            return None
        slowest = min(shown, key=lambda p: (p.percent, -(p.days_left or 0)))
        return {**slowest.as_json(), "providers_warm": sum(1 for p in shown if p.percent == 100)}

    def as_json(self) -> dict:
        return {
            "enabled": self.enabled,
            "keep_warm": self.keep_warm,
            "state": self.state,
            "started_at": self.started_at.isoformat().replace("+00:00", "Z")
            if self.started_at
            else None,
            "progress": self.progress,
            "estimated_finish": _iso(self.estimated_finish),
            "providers": [p.as_json() for p in self.providers],
        }


def _plan_progress(
    plan: DomainWarmupPlan, days: list[DomainWarmupDay], today: date, *, enabled: bool
) -> PlanProgress:
    last_volume = settings.WARMUP_DOMAIN_RAMP[-1]
    ramp_done = any(
        d.volume >= last_volume for d in days if plan.last_step_on and d.date < plan.last_step_on
    )
    return plan_progress_of(plan, today=today, enabled=enabled, ramp_done=ramp_done)


def plan_progress_of(
    plan: DomainWarmupPlan, *, today: date, enabled: bool, ramp_done: bool
) -> PlanProgress:
    """A provider plan's progress and estimate (domains.warmup_progress) with the settings'
    ramp; `ramp_done`: a day before the last step sent the ramp's last volume (see
    `plans_ramp_done` to read it for many plans)."""
    return plan_progress(
        state=plan.state if enabled else PAUSED,
        day=plan.day,
        step=plan.step,
        ramp_length=len(settings.WARMUP_DOMAIN_RAMP),
        hold_until=plan.hold_until,
        graduated_on=plan.graduated_on,
        last_step_on=plan.last_step_on,
        today=today,
        inbox_rate_needed=settings.WARMUP_GRADUATE_INBOX_RATE,
        ramp_done=ramp_done,
    )


def plans_ramp_done(*, plan_ids: list[int]) -> set[int]:
    """The plans of which a day before their last step sent the ramp's last volume (one
    query)."""
    return set(
        DomainWarmupDay.objects.filter(
            plan_id__in=plan_ids,
            volume__gte=settings.WARMUP_DOMAIN_RAMP[-1],
            date__lt=F("plan__last_step_on"),
        )
        .values_list("plan_id", flat=True)
        .distinct()
    )


def _paused_reason(plan: DomainWarmupPlan) -> str:
    if plan.state == DomainWarmupPlan.State.WARM:
        return (
            "Domain Warmup is off: nothing is sent to the seeds. The reputation earned stays "
            "with your domain as long as you keep sending real mail."
        )
    return (
        f"Domain Warmup is off: nothing is sent. Switched on again, this provider continues "
        f"from day {plan.day}."
    )


def _progress(plan: DomainWarmupPlan, today: date, *, enabled: bool = True) -> ProviderProgress:
    days = getattr(plan, "recent", None)
    if days is None:  # not prefetched: one query (the page and API always prefetch)
        days = list(plan.days.filter(date__gte=today - timedelta(days=RATE_WINDOW_DAYS)))
    current = next((d for d in days if d.date == today), None)
    inbox = sum(d.inbox for d in days)
    placed = sum(d.placed for d in days)
    # Switched off, every provider row says so (the API too): nothing is sent. A provider the
    # warm-up cannot reach stays "not covered", on or off, and has no progress to show.
    uncovered = plan.state == DomainWarmupPlan.State.NOT_COVERED
    state, state_label = (
        (plan.state, plan.get_state_display()) if enabled or uncovered else (PAUSED, "Paused")
    )
    return ProviderProgress(
        provider=plan.provider.slug,
        provider_name=plan.provider.name,
        day=plan.day,
        today_volume=current.volume if current else 0,
        sent_today=current.sent if current else 0,
        inbox_rate=round(inbox / placed, 3) if placed else None,
        placements=placed,
        state=state,
        state_label=state_label,
        reason=plan.reason if enabled or uncovered else _paused_reason(plan),
        progress=None if uncovered else _plan_progress(plan, days, today, enabled=enabled),
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
        providers=[_progress(plan, today, enabled=warmup.enabled) for plan in warmup.plans.all()],
        keep_warm=warmup.keep_warm,
    )
