"""The fast back-off: suspend an (IP, provider) within minutes when the provider pushes back.

Event ingestion counts each (IP, provider)'s throttling, blocking and blocklist replies per clock
hour (UTC) in `IpWarmupHour`, with one upsert per batch that returns the hour's totals. When
does a pair get suspended, and for how long, is the rule in ips/warmup_rule/backoff.py; this
module applies it: routing's claim statement refuses a suspended pair at once, in every
process. A blocklist suspension brings the IP's next readiness check forward to now, and a check
with every blocklist clean lifts it. A readiness check that finds the IP on a blocklist suspends
every provider the same way. Every suspension and lifting is a stored, explained decision; an
operator can cancel one (ips.services.controls). Cutting is fast; only the daily controller
raises caps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.utils import timezone

from ips.models import (
    ROUTING_PHASE,
    DedicatedIp,
    IpWarmup,
    IpWarmupDecision,
    IpWarmupHour,
    utc_day,
)
from ips.routing_cache import routing_cache_clear
from ips.selectors import profiles_by_provider
from ips.warmup_rule import backoff

LABELS = {"throttled": "throttling", "blocked": "blocking", "blocklisted": "blocklist"}

Kind = IpWarmupDecision.Kind


def hour_counts_add(
    cursor, totals: dict[tuple[int, datetime], list[int]]
) -> list[tuple[int, datetime, int, int, int, int]]:
    """Add this batch's recent replies to the hour counters (throttled, blocked, blocklisted,
    delivered); returns each touched row's new totals (warm-up id, hour, throttled, blocked,
    blocklisted, delivered). One statement, rows in key order so that concurrent batches lock
    alike."""
    if not totals:
        return []
    table = connection.ops.quote_name(IpWarmupHour._meta.db_table)
    keys = sorted(totals)
    params = []
    for warmup_id, hour in keys:
        params.extend(
            (warmup_id, connection.ops.adapt_datetimefield_value(hour), *totals[(warmup_id, hour)])
        )
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(keys))
    cursor.execute(
        f"INSERT INTO {table} (warmup_id, hour, throttled, blocked, blocklisted, delivered) "
        f"VALUES {values} ON CONFLICT (warmup_id, hour) DO UPDATE SET "
        f"throttled = {table}.throttled + excluded.throttled, "
        f"blocked = {table}.blocked + excluded.blocked, "
        f"blocklisted = {table}.blocklisted + excluded.blocklisted, "
        f"delivered = {table}.delivered + excluded.delivered "
        "RETURNING warmup_id, hour, throttled, blocked, blocklisted, delivered",
        params,
    )
    return list(cursor.fetchall())


def _suspend_decision(
    warmup: IpWarmup, *, reason: str, figures: dict, now: datetime, kind: str = Kind.SUSPEND
):
    """A suspension or its lifting: stored like any decision, though stage and cap stay."""
    return IpWarmupDecision(
        warmup=warmup,
        day=utc_day(now),
        daily=False,
        kind=kind,
        from_state=warmup.state,
        to_state=warmup.state,
        from_stage=warmup.stage,
        to_stage=warmup.stage,
        from_cap=warmup.daily_cap,
        to_cap=warmup.daily_cap,
        figures=figures,
        reason=reason,
        created_at=now,
    )


def _clear_routing_caches(account_ids: Iterable[int | None]) -> None:
    ids = set(account_ids)
    if None in ids:  # a shared pool's IP: every account routes through it
        routing_cache_clear()
        return
    for account_id in ids:
        routing_cache_clear(account_id=account_id)


def warmups_suspend_busy(
    *, rows: list[tuple[int, datetime, int, int, int]], providers: dict[int, int], now: datetime
) -> int:
    """Suspend the pairs whose hour totals (from hour_counts_add) reached their threshold.
    `providers` maps warm-up id → provider id. Returns how many pairs were suspended."""
    tripped = _tripped(rows, providers)
    if not tripped:
        return 0
    warmups = list(
        IpWarmup.objects.select_for_update()
        .filter(pk__in=list(tripped), state__in=list(ROUTING_PHASE))
        .select_related("ip__pool", "provider")
        .order_by("pk")
    )
    changed, decisions, recheck = [], [], []
    for warmup in warmups:
        hour, counts, limit = tripped[warmup.pk]
        kind = backoff.suspension_kind(counts)
        until = backoff.suspended_until(kind, now)
        if warmup.is_suspended(now) and warmup.suspended_until >= until:
            continue  # already suspended at least as long (an earlier batch of this burst)
        decisions.append(_suspend(warmup, kind, until, hour, counts, limit, now))
        changed.append(warmup)
        if kind == "blocklisted":
            recheck.append(warmup.ip_id)
    if not changed:
        return 0
    IpWarmup.objects.bulk_update(
        changed, ["suspended_until", "suspension_kind", "suspension_reason", "updated_at"]
    )
    IpWarmupDecision.objects.bulk_create(decisions)
    if recheck:
        # The check job (every 15 minutes) picks the IP up: a clean check lifts the suspension.
        DedicatedIp.objects.filter(pk__in=recheck).update(next_check_at=now)
    _clear_routing_caches(w.ip.pool.account_id for w in changed)
    return len(changed)


def _tripped(rows, providers: dict[int, int]) -> dict[int, tuple[datetime, dict[str, int], int]]:
    """The pairs whose hour total reached their profile's `suspend_after`: (hour, counts,
    limit) per warm-up id."""
    if not rows:
        return {}
    profiles = profiles_by_provider()
    tripped = {}
    for warmup_id, hour, throttled, blocked, blocklisted, delivered in rows:
        limit = profiles[providers[warmup_id]].suspend_after
        counts = {"throttled": throttled, "blocked": blocked, "blocklisted": blocklisted}
        if backoff.trips(counts, limit=limit, delivered=delivered):
            if isinstance(hour, str):  # SQLite returns the text it stores
                hour = datetime.fromisoformat(hour)
            tripped[warmup_id] = (hour, counts, limit)
    return tripped


def _suspend(warmup: IpWarmup, kind: str, until: datetime, hour, counts, limit, now):
    """Suspend one pair (in memory) and return the decision that explains it."""
    hours = int((until - now).total_seconds() // 3600)
    when = (
        "until a blocklist check comes back clean (checking now)"
        if kind == "blocklisted"
        else f"for {hours} hour{'s' if hours != 1 else ''}, until {until:%Y-%m-%d %H:%M} UTC"
    )
    detail = ", ".join(f"{counts[k]} {LABELS[k]}" for k in backoff.KINDS if counts[k])
    reason = (
        f"{sum(counts.values())} throttling/blocking replies from {warmup.provider.name} in the "
        f"hour from {hour:%H:%M} UTC ({detail}; the limit is {limit}): suspended here {when}."
    )
    warmup.suspended_until = until
    warmup.suspension_kind = kind
    warmup.suspension_reason = reason[:300]
    warmup.updated_at = now
    figures = {**counts, "hour": hour.isoformat(), "limit": limit, "until": until.isoformat()}
    return _suspend_decision(warmup, reason=reason, figures=figures, now=now)


def warmups_blocklist_follow(
    *, listed: dict[int, list[str]], clean: list[int], now: datetime | None = None
) -> dict[str, int]:
    """After readiness checks: suspend every provider of an IP found on a blocklist (`listed`:
    IP id → zones), lift blocklist suspensions of IPs whose every blocklist check is clean."""
    now = now or timezone.now()
    counts = {"suspended": 0, "lifted": 0}
    decisions, changed = [], []
    if clean:
        for warmup in (
            IpWarmup.objects.select_for_update()
            .filter(ip_id__in=clean, suspension_kind="blocklisted", suspended_until__isnull=False)
            .select_related("ip__pool", "provider")
            .order_by("pk")
        ):
            decisions.append(
                _suspend_decision(
                    warmup,
                    kind=Kind.UNSUSPEND,
                    figures={"was": warmup.suspension_reason},
                    reason=f"Every blocklist check of {warmup.ip.address} came back clean: the "
                    f"blocklist suspension at {warmup.provider.name} is lifted.",
                    now=now,
                )
            )
            warmup.suspended_until, warmup.suspension_kind, warmup.suspension_reason = None, "", ""
            changed.append(warmup)
            counts["lifted"] += 1
    if listed:
        for warmup in (
            IpWarmup.objects.select_for_update()
            .filter(ip_id__in=list(listed), state__in=list(ROUTING_PHASE))
            .select_related("ip__pool", "provider")
            .order_by("pk")
        ):
            if warmup.suspension_kind == "blocklisted" and warmup.is_suspended(now):
                continue
            zones = ", ".join(listed[warmup.ip_id])
            reason = (
                f"{warmup.ip.address} is listed on {zones}: suspended at {warmup.provider.name} "
                "until a blocklist check comes back clean."
            )
            decisions.append(
                _suspend_decision(
                    warmup, reason=reason, figures={"zones": listed[warmup.ip_id]}, now=now
                )
            )
            warmup.suspended_until = backoff.suspended_until("blocklisted", now)
            warmup.suspension_kind = "blocklisted"
            warmup.suspension_reason = reason[:300]
            changed.append(warmup)
            counts["suspended"] += 1
    if changed:
        IpWarmup.objects.bulk_update(
            changed, ["suspended_until", "suspension_kind", "suspension_reason"]
        )
        IpWarmupDecision.objects.bulk_create(decisions)
        _clear_routing_caches(w.ip.pool.account_id for w in changed)
    return counts
