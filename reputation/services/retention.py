"""Retention: snapshots and the feeds' raw rows are kept WARMUP_REPUTATION_RETENTION_DAYS (400),
notification events and webhook logs as long as they are useful. (Raw delivery events belong to
ips, which prunes them: ips/services/retention.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ips.models import utc_day
from reputation.models import (
    DomainSnapshot,
    IpSnapshot,
    NotificationEvent,
    PostmasterDomainDay,
    SnapshotDay,
    SndsIpDay,
    WebhookDelivery,
)

NOTIFICATION_DAYS = 90
WEBHOOK_LOG_DAYS = 30


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
    return counts
