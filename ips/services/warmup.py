"""Per-provider warm-up rows: creating them, starting a warm-up, changing a cap.

The daily controller (ips/services/controller.py) moves stages; everything else that changes a
cap goes through `ip_warmup_cap_set` so that today's open day row follows at once.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from ips.models import (
    AccountIpSettings,
    DedicatedIp,
    IpWarmup,
    IpWarmupDay,
    IpWarmupDecision,
    WarmupProfile,
    utc_day,
)
from ips.routing_cache import routing_cache_clear
from ips.selectors import auto_warmup_enabled, profiles_by_provider
from warmup_site.errors import ApplicationError


def _initial_values(*, ip: DedicatedIp, profile: WarmupProfile, today: date) -> dict:
    if ip.state == DedicatedIp.State.WARM:
        return {
            "state": IpWarmup.State.WARM,
            "stage": profile.stage_count,
            "daily_cap": profile.target_cap,
            "warm_since": today,
        }
    if ip.state == DedicatedIp.State.WARMING:
        return {
            "state": IpWarmup.State.WARMING,
            "stage": 1,
            "daily_cap": profile.cap_for_stage(1),
            "started_on": today,
        }
    return {"state": IpWarmup.State.PENDING, "stage": 0, "daily_cap": 0}


def ip_warmups_sync(*, ips: list[DedicatedIp]) -> int:
    """Create the missing per-provider rows of these IPs (new IPs; a provider added later).

    A new row follows its IP: warm for a warm IP, stage 1 for a warming one, else not started.
    Returns how many rows were created.
    """
    if not ips:
        return 0
    profiles = profiles_by_provider()
    existing = set(IpWarmup.objects.filter(ip__in=ips).values_list("ip_id", "provider_id"))
    today = utc_day(timezone.now())
    rows = [
        IpWarmup(
            ip=ip, provider_id=provider_id, **_initial_values(ip=ip, profile=profile, today=today)
        )
        for ip in ips
        if ip.state != DedicatedIp.State.RETIRED
        for provider_id, profile in profiles.items()
        if (ip.pk, provider_id) not in existing
    ]
    IpWarmup.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


@transaction.atomic
def ip_warmup_start(*, ip: DedicatedIp) -> DedicatedIp:
    """Start warming an IP whose readiness passed (or was overridden): stage 1 everywhere —
    or, when its account switched automatic warm-up off, warm at once (full traffic, a stored
    decision at every provider saying why)."""
    ip = DedicatedIp.objects.select_for_update().get(pk=ip.pk)
    if ip.state not in (DedicatedIp.State.NEW, DedicatedIp.State.CHECKING, DedicatedIp.State.READY):
        raise ApplicationError(
            f"{ip.address} is {ip.get_state_display().lower()}; only a new IP starts a warm-up."
        )
    if ip.readiness != DedicatedIp.Readiness.PASSED:
        raise ApplicationError(
            f"{ip.address} has not passed its readiness checks ({ip.get_readiness_display()}); "
            "fix them or override them with a reason first."
        )
    ip_warmups_sync(ips=[ip])
    profiles = profiles_by_provider()
    now = timezone.now()
    today = utc_day(now)
    automatic = auto_warmup_enabled(account_id=ip.pool.account_id)
    rows = list(IpWarmup.objects.filter(ip=ip, state=IpWarmup.State.PENDING))
    for row in rows:
        profile = profiles[row.provider_id]
        row.started_on = today
        row.sending_days = 0
        if automatic:
            row.state, row.stage, row.daily_cap = (
                IpWarmup.State.WARMING,
                1,
                profile.cap_for_stage(1),
            )
        else:
            row.state, row.stage = IpWarmup.State.WARM, profile.stage_count
            row.daily_cap, row.warm_since = profile.target_cap, today
    IpWarmup.objects.bulk_update(
        rows, ["state", "stage", "daily_cap", "started_on", "sending_days", "warm_since"]
    )
    # A day row that routing already opened (a pending row is never routed, so only an event
    # could have made one) takes the new cap at once.
    for row in rows:
        _day_cap_follow(warmup_id=row.pk, daily_cap=row.daily_cap, today=today)
    if not automatic:
        IpWarmupDecision.objects.bulk_create(_skipped_warmup(rows, now=now))
    ip.state = DedicatedIp.State.WARMING if automatic else DedicatedIp.State.WARM
    ip.state_changed_at = timezone.now()
    ip.save(update_fields=["state", "state_changed_at"])
    routing_cache_clear()  # this process routes to it at once; others within seconds
    return ip


def _skipped_warmup(rows: list[IpWarmup], *, now) -> list[IpWarmupDecision]:
    return [
        IpWarmupDecision(
            warmup=row,
            day=utc_day(now),
            kind=IpWarmupDecision.Kind.COMPLETE,
            from_state=IpWarmup.State.PENDING,
            to_state=row.state,
            from_stage=0,
            to_stage=row.stage,
            from_cap=0,
            to_cap=row.daily_cap,
            reason="Automatic warm-up is off for this account: the IP takes full traffic as "
            f"soon as its checks pass ({row.daily_cap:,} a day here, growing after clean "
            "days). Providers may throttle or block a cold IP; switch automatic warm-up on to "
            "ramp it up instead.",
            created_at=now,
        )
        for row in rows
    ]


def account_ip_warmup_set(*, account, enabled: bool, actor: str = "") -> AccountIpSettings:
    """Switch automatic warm-up of the account's new dedicated IPs on or off (Amazon SES's
    AutoWarmupEnabled). IPs already warming or warm are not changed: operators' controls do
    that, one IP at a time."""
    settings_row, _ = AccountIpSettings.objects.get_or_create(account=account)
    settings_row.auto_warmup_enabled = enabled
    settings_row.changed_at = timezone.now()
    settings_row.changed_by = actor[:150]
    settings_row.save(update_fields=["auto_warmup_enabled", "changed_at", "changed_by"])
    return settings_row


def _day_cap_follow(*, warmup_id: int, daily_cap: int, today: date) -> None:
    # Never below what was already routed today: the constraint routed <= cap must hold, and
    # what left cannot be unsent.
    IpWarmupDay.objects.filter(warmup_id=warmup_id, day=today, cap__isnull=False).update(
        cap=Case(When(routed__gt=daily_cap, then=F("routed")), default=Value(daily_cap))
    )


@transaction.atomic
def ip_warmup_cap_set(*, warmup: IpWarmup, daily_cap: int) -> IpWarmup:
    """Change the cap of one (IP, provider) from now on, today's open day included.

    This is the one way caps change (the daily controller, a back-off, an operator's set-stage):
    routing enforces the cap stored in today's day row, so both change in one transaction.
    """
    if daily_cap < 0:
        raise ApplicationError("A cap cannot be negative.", field="daily_cap")
    IpWarmup.objects.filter(pk=warmup.pk).update(daily_cap=daily_cap, updated_at=timezone.now())
    warmup.daily_cap = daily_cap
    _day_cap_follow(warmup_id=warmup.pk, daily_cap=daily_cap, today=utc_day(timezone.now()))
    return warmup
