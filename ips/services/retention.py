"""Delivery-event retention: raw events older than WARMUP_DELIVERY_EVENT_RETENTION_DAYS (90) are
deleted every night (ips.tasks.prune_delivery_events); the per-(IP, provider, day) counters and
the reputation snapshots keep their figures.

Deletes go a batch at a time, account by account — the pipeline's events of sender domains
nobody verified (no account) included — through the (account, timestamp) index, so the job
never holds a long lock on the table ingestion writes to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Account
from ips.models import DeliveryEvent

BATCH = 10_000


def _delete(account_id: int | None, before: datetime) -> int:
    """One account's events (or those without an account) older than `before`, a batch at a
    time (the table has no dependants: each batch is one DELETE)."""
    deleted = 0
    while True:
        batch = list(
            DeliveryEvent.objects.filter(account_id=account_id, timestamp__lt=before)
            .order_by("timestamp")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not batch:
            return deleted
        deleted += DeliveryEvent.objects.filter(pk__in=batch).delete()[0]


def delivery_events_prune(*, now: datetime | None = None) -> int:
    """Delete the events past the retention; returns how many."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.WARMUP_DELIVERY_EVENT_RETENTION_DAYS)
    accounts = [None, *Account.objects.values_list("pk", flat=True)]
    return sum(_delete(account_id, before) for account_id in accounts)
