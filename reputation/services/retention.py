"""Retention: snapshots are kept WARMUP_REPUTATION_RETENTION_DAYS (400), raw delivery events
WARMUP_DELIVERY_EVENT_RETENTION_DAYS (90) — the day counters and the snapshots keep their
figures — and the feeds' raw rows, notification events and webhook logs as long as they are
useful. Deletes go in batches through indexes, so the nightly job never holds a long lock."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Account
from ips.models import DeliveryEvent, utc_day
from reputation.models import (
    DomainSnapshot,
    IpSnapshot,
    NotificationEvent,
    PostmasterDomainDay,
    SnapshotDay,
    SndsIpDay,
    WebhookDelivery,
)

EVENT_BATCH = 10_000
NOTIFICATION_DAYS = 90
WEBHOOK_LOG_DAYS = 30


def _delete_events(account_id: int, before: datetime) -> int:
    """Events of one account older than `before`, a batch at a time (the account-timestamp
    index finds them; the table has no dependants, so each batch is one DELETE)."""
    deleted = 0
    while True:
        batch = list(
            DeliveryEvent.objects.filter(account_id=account_id, timestamp__lt=before)
            .order_by("timestamp")
            .values_list("pk", flat=True)[:EVENT_BATCH]
        )
        if not batch:
            return deleted
        deleted += DeliveryEvent.objects.filter(pk__in=batch).delete()[0]


def retention_prune(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    today = utc_day(now)
    keep_from = today - timedelta(days=settings.WARMUP_REPUTATION_RETENTION_DAYS - 1)
    counts = {
        "domain_snapshots": DomainSnapshot.objects.filter(day__lt=keep_from).delete()[0],
        "ip_snapshots": IpSnapshot.objects.filter(day__lt=keep_from).delete()[0],
        "snapshot_days": SnapshotDay.objects.filter(day__lt=keep_from).delete()[0],
        "postmaster_days": PostmasterDomainDay.objects.filter(day__lt=keep_from).delete()[0],
        "snds_days": SndsIpDay.objects.filter(day__lt=keep_from).delete()[0],
        "webhook_deliveries": WebhookDelivery.objects.filter(
            created_at__lt=now - timedelta(days=WEBHOOK_LOG_DAYS)
        ).delete()[0],
        "notification_events": NotificationEvent.objects.filter(
            created_at__lt=now - timedelta(days=NOTIFICATION_DAYS)
        ).delete()[0],
    }
    before = now - timedelta(days=settings.WARMUP_DELIVERY_EVENT_RETENTION_DAYS)
    counts["delivery_events"] = sum(
        _delete_events(account_id, before)
        for account_id in Account.objects.values_list("pk", flat=True)
    )
    return counts
