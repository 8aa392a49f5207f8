"""The per-provider warm-up rows pages and the API show: today's cap and use, the last
decision and the one that caused the state, the warm-up percentage and the finish estimate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import (
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from ips import warmup_rule
from ips.models import (
    ROUTABLE_IP_STATES,
    ROUTING_PHASE,
    DedicatedIp,
    IpWarmup,
    IpWarmupDay,
    IpWarmupDecision,
    utc_day,
)
from ips.warmup_rule.estimate import PACE_WINDOW_DAYS, RecentDay, warmup_estimate

DEFAULT_PROFILE = warmup_rule.DEFAULT_PROFILE

# State labels for the rows (lazy translations stay lazy).
_STATES = dict(IpWarmup.State.choices)

_ROW_FIELDS = (
    "id",
    "ip_id",
    "provider__slug",
    "provider__name",
    "state",
    "stage",
    "daily_cap",
    "sending_days",
    "suspended_until",
    "suspension_reason",
    "today__cap",
    "today__routed",
    "provider__warmup_profile__pacing_hours",
    "provider__warmup_profile__floor",
    "provider__warmup_profile__start_cap",
    "provider__warmup_profile__growth",
    "provider__warmup_profile__target_cap",
    "provider__warmup_profile__min_days",
    "provider__warmup_profile__warm_after_days",
    "ip__state",
    "ip__readiness",
    "started_on",
    "stage_days",
    "target_days",
    "last_decision_id",
    "cause_decision_id",
)


@dataclass(frozen=True)
class WarmupRow:
    """One IP's warm-up at one provider, as the API and the pages show it."""

    ip_id: int
    provider: str
    provider_name: str
    state: str
    state_display: str
    stage: int
    daily_cap: int  # today's cap: the open day's, or the cap the day will open with
    used_today: int
    remaining_now: int  # what routing could still send now (pacing included)
    sending_days: int
    suspended_until: datetime | None
    suspension_reason: str
    suspended: bool  # suspended right now
    warmup_percentage: int = 0  # 0–100, as Amazon SES reports it (warmup_rule.warmup_percentage)
    last_decision: dict | None = None  # {kind, date, reason, actor} of the newest decision
    # The decision that put the pair in its state (None when it is the last decision itself,
    # or none did): a "holding" newest decision does not hide the back-off that caused it.
    cause_decision: dict | None = None
    # "stage X of Y · ~N days left" (warmup_rule/estimate.py), with `with_estimates=True`.
    progress: dict | None = None
    estimated_finish: date | None = None
    stages: int = 0


def _last_decision(decision: IpWarmupDecision | None) -> dict | None:
    if decision is None:
        return None
    return {
        "kind": decision.kind,
        "date": decision.day.isoformat(),
        "reason": decision.reason,
        "actor": decision.actor.username if decision.actor else None,
        "at": decision.created_at.isoformat(),
        "label": decision.get_kind_display(),
        "to_state": decision.to_state,
    }


def _today(r: dict, *, now: datetime, hour: int) -> tuple[int, int]:
    """(today's cap, what routing could still send now) of one row of ip_warmup_rows."""
    phase = ROUTING_PHASE.get(r["state"])
    if phase is None:
        return 0, 0  # not routed: pending or paused
    cap = r["today__cap"]
    if cap is None:  # the day is not open yet: the cap it will open with
        floor = r["provider__warmup_profile__floor"]
        cap = warmup_rule.day_cap(
            phase=phase,
            daily_cap=r["daily_cap"],
            floor=floor if floor is not None else DEFAULT_PROFILE["floor"],
        )
    suspended = r["suspended_until"] is not None and r["suspended_until"] > now
    if (
        suspended
        or r["ip__state"] not in ROUTABLE_IP_STATES
        or r["ip__readiness"] == DedicatedIp.Readiness.FAILED
    ):
        return cap, 0  # routing skips this row right now
    pacing_hours = r["provider__warmup_profile__pacing_hours"] or DEFAULT_PROFILE["pacing_hours"]
    numerator, denominator = warmup_rule.pace(phase=phase, pacing_hours=pacing_hours, hour=hour)
    allowed = warmup_rule.allowance(cap, numerator, denominator)
    return cap, max(allowed - (r["today__routed"] or 0), 0)


def _stage_caps(r: dict) -> list[int]:
    """The provider's stage caps from a row's profile columns (the default profile without)."""
    start = r["provider__warmup_profile__start_cap"]
    if start is None:
        start, growth, target = (
            DEFAULT_PROFILE["start_cap"],
            DEFAULT_PROFILE["growth"],
            DEFAULT_PROFILE["target_cap"],
        )
    else:
        growth = r["provider__warmup_profile__growth"]
        target = r["provider__warmup_profile__target_cap"]
    return warmup_rule.stage_caps(start_cap=start, growth=float(growth), target_cap=target)


def ip_warmup_percentage(rows: list[WarmupRow]) -> int:
    """One IP's overall warm-up percentage: the mean over the providers whose warm-up started
    (Amazon SES reports one figure per IP)."""
    started = [row.warmup_percentage for row in rows if row.state != IpWarmup.State.PENDING]
    return round(sum(started) / len(started)) if started else 0


def _recent_days(warmup_ids: list[int], today: date) -> dict[int, list[RecentDay]]:
    """The last week's day rows of these pairs, for the pace (one query)."""
    recent: dict[int, list[RecentDay]] = {}
    for warmup_id, day, cap, routed in IpWarmupDay.objects.filter(
        warmup_id__in=warmup_ids,
        day__gte=today - timedelta(days=PACE_WINDOW_DAYS),
        day__lt=today,
    ).values_list("warmup_id", "day", "cap", "routed"):
        recent.setdefault(warmup_id, []).append(RecentDay(day, cap, routed))
    return recent


def _estimate(r: dict, *, caps: list[int], percent: int, recent, today: date):
    profile_days = r["provider__warmup_profile__min_days"]
    warm_after = r["provider__warmup_profile__warm_after_days"]
    stages = warmup_rule.stage_table(
        caps=caps,
        min_days=profile_days or DEFAULT_PROFILE["min_days"],
        engaged_days_start=0,
        engaged_days_step=0,
    )
    return warmup_estimate(
        state=r["state"],
        stage=r["stage"],
        daily_cap=r["daily_cap"],
        caps=caps,
        stage_days=[s.days for s in stages],
        stage_days_done=r["stage_days"],
        target_days=r["target_days"],
        warm_after_days=warm_after or DEFAULT_PROFILE["warm_after_days"],
        percent=percent,
        recent=recent,
        started_on=r["started_on"],
        today=today,
    )


def ip_warmup_overall(rows: list[WarmupRow]) -> dict:
    """One IP's warm-up in a line, from its rows with estimates: the mean percentage, the
    longest estimate (when the last provider should be warm) and whether it is warm
    everywhere."""
    left = [r.progress["days_left"] for r in rows if r.progress and r.progress["days_left"]]
    finishes = [r.estimated_finish for r in rows if r.estimated_finish]
    return {
        "percent": ip_warmup_percentage(rows),
        "days_left": max(left) if left else None,
        "finish": max(finishes) if finishes else None,
        "warm": bool(rows) and all(r.warmup_percentage == 100 for r in rows),
    }


def ip_warmup_rows(
    *, ip_ids: list[int], now: datetime | None = None, with_estimates: bool = False
) -> dict[int, list[WarmupRow]]:
    """Per IP, one row per provider with today's cap and use, the last decision and the one
    that caused the state: two queries (the rows with both decisions' ids; those decisions),
    and with `with_estimates` a third (the last week's day rows, for the pace)."""
    now = now or timezone.now()
    today, hour = utc_day(now), now.astimezone(UTC).hour
    newest = IpWarmupDecision.objects.filter(warmup=OuterRef("pk")).order_by("-created_at", "-pk")
    # The newest decision that moved the pair into the state it is in now.
    cause = newest.filter(to_state=OuterRef("state")).exclude(from_state=F("to_state"))
    rows = list(
        IpWarmup.objects.filter(ip_id__in=ip_ids)
        .annotate(today=FilteredRelation("days", condition=Q(days__day=today)))
        .annotate(last_decision_id=Subquery(newest.values("pk")[:1]))
        .annotate(cause_decision_id=Subquery(cause.values("pk")[:1]))
        .order_by("ip_id", "provider__position", "provider__name")
        .values(*_ROW_FIELDS)
    )
    decision_ids = {
        r[key] for r in rows for key in ("last_decision_id", "cause_decision_id") if r[key]
    }
    recent = _recent_days([r["id"] for r in rows], today) if with_estimates else {}
    decisions = (
        IpWarmupDecision.objects.select_related("actor").in_bulk(decision_ids)
        if decision_ids
        else {}
    )
    result: dict[int, list[WarmupRow]] = {ip_id: [] for ip_id in ip_ids}
    caps: dict[str, list[int]] = {}
    for r in rows:
        slug = r["provider__slug"]
        if slug not in caps:
            caps[slug] = _stage_caps(r)
        result.setdefault(r["ip_id"], []).append(
            _warmup_row(
                r,
                now=now,
                hour=hour,
                caps=caps[slug],
                decisions=decisions,
                recent=recent.get(r["id"], []) if with_estimates else None,
            )
        )
    return result


def _warmup_row(
    r: dict, *, now: datetime, hour: int, caps: list[int], decisions: dict, recent: list | None
) -> WarmupRow:
    """One provider's row of `ip_warmup_rows` from its values() dict; `recent` is None when the
    caller did not ask for estimates."""
    cap, remaining = _today(r, now=now, hour=hour)
    until = r["suspended_until"]
    percentage = warmup_rule.warmup_percentage(
        state=r["state"], daily_cap=r["daily_cap"], caps=caps
    )
    estimate = (
        _estimate(r, caps=caps, percent=percentage, recent=recent, today=utc_day(now))
        if recent is not None
        else None
    )
    cause_id = r["cause_decision_id"]
    return WarmupRow(
        ip_id=r["ip_id"],
        provider=r["provider__slug"],
        provider_name=r["provider__name"],
        state=r["state"],
        state_display=_STATES.get(r["state"], r["state"]),
        stage=r["stage"],
        daily_cap=cap,
        used_today=r["today__routed"] or 0,
        remaining_now=remaining,
        sending_days=r["sending_days"],
        suspended_until=until,
        suspension_reason=r["suspension_reason"],
        suspended=until is not None and until > now,
        warmup_percentage=percentage,
        last_decision=_last_decision(decisions.get(r["last_decision_id"])),
        cause_decision=_last_decision(decisions.get(cause_id))
        if cause_id and cause_id != r["last_decision_id"]
        else None,
        progress=estimate.as_json() if estimate else None,
        estimated_finish=estimate.estimated_finish if estimate else None,
        stages=len(caps),
    )


def ip_warmup_decision_list(*, ip_id: int, limit: int = 100) -> QuerySet[IpWarmupDecision]:
    """An IP's decisions at every provider, newest first (one query; index
    ipwarmupdecision_history_idx serves each warm-up's part)."""
    return (
        IpWarmupDecision.objects.filter(warmup__ip_id=ip_id)
        .select_related("warmup__provider", "actor")
        .order_by("-created_at", "-pk")[:limit]
    )
