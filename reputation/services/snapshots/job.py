"""The job: which days to compute, claiming them, writing them, and finishing them."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ips.models import utc_day
from reputation.models import (
    DomainSnapshot,
    IpSnapshot,
    SnapshotDay,
)
from reputation.services.notifications import events_insert
from reputation.services.snapshots.columns import (
    DOMAIN_COLUMNS,
    IP_COLUMNS,
    RunSummary,
    day_start,
)
from reputation.services.snapshots.day import DayBuilder
from warmup_site import bulk_sql

# --- the job -------------------------------------------------------------------------------------


def snapshot_days_ensure(*, today: date) -> None:
    """A SnapshotDay for every day from the last one known (or the backfill) to today."""
    latest = SnapshotDay.objects.aggregate(latest=Max("day"))["latest"]
    if latest is None:
        start = today - timedelta(days=settings.WARMUP_REPUTATION_BACKFILL_DAYS)
    else:
        start = latest + timedelta(days=1)
    oldest = today - timedelta(days=settings.WARMUP_REPUTATION_RETENTION_DAYS - 1)
    start = max(start, oldest)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    if days:
        SnapshotDay.objects.bulk_create([SnapshotDay(day=d) for d in days], ignore_conflicts=True)


def snapshot_days_reopen(*, days) -> int:
    """Feeds brought data for these past days: the next run computes them again."""
    return SnapshotDay.objects.filter(day__in=list(days), final=True).update(final=False)


def snapshots_run(*, now: datetime | None = None) -> RunSummary:
    """Compute every open day up to today (see the module docstring). Safe to run twice, late,
    and on several workers at once."""
    now = now or timezone.now()
    today = utc_day(now)
    snapshot_days_ensure(today=today)
    oldest = today - timedelta(days=settings.WARMUP_REPUTATION_RETENTION_DAYS - 1)
    summary = RunSummary()
    days = SnapshotDay.objects.filter(final=False, day__gte=oldest, day__lte=today).order_by("day")
    for day in list(days.values_list("day", flat=True)):
        result = snapshots_compute_day(day=day, now=now)
        if result is None:
            summary.busy = day
            break
        summary.days.append(day)
        if result["final"]:
            summary.final.append(day)
        summary.domains += result["domains"]
        summary.ips += result["ips"]
        summary.events += result["events"]
    return summary


def snapshots_compute_day(*, day: date, now: datetime) -> dict | None:
    """Compute and write one day's snapshots; None when another worker holds the day."""
    started = time.perf_counter()
    SnapshotDay.objects.bulk_create([SnapshotDay(day=day)], ignore_conflicts=True)
    with transaction.atomic():
        claim = SnapshotDay.objects.filter(day=day)
        if connection.features.has_select_for_update_skip_locked:
            claim = claim.select_for_update(skip_locked=True)
        row = claim.first()
        if row is None:
            return None
        final = now >= day_start(day) + timedelta(
            days=1, minutes=settings.WARMUP_REPUTATION_FINALIZE_MINUTES
        )
        builder = DayBuilder(day=day, now=now)
        domain_rows, ip_rows, changes = builder.build()
        with connection.cursor() as cursor:
            bulk_sql.upsert(
                cursor,
                table=DomainSnapshot._meta.db_table,
                columns=DOMAIN_COLUMNS,
                conflict=["domain_id", "day", "provider_id"],
                rows=domain_rows,
            )
            bulk_sql.upsert(
                cursor,
                table=IpSnapshot._meta.db_table,
                columns=IP_COLUMNS,
                conflict=["ip_id", "day", "provider_id"],
                rows=ip_rows,
            )
            events = events_insert(cursor, changes) if final else 0
        row.final = final
        row.computed_at = now
        row.domains = len(domain_rows)
        row.ips = len(ip_rows)
        row.seconds = round(time.perf_counter() - started, 3)
        row.save(update_fields=["final", "computed_at", "domains", "ips", "seconds"])
    return {"final": final, "domains": len(domain_rows), "ips": len(ip_rows), "events": events}
