"""Demo data for `make run`: the demo account's Postmaster Tools and SNDS connections (to the
sandbox's feed server), and DEMO_DAYS days of snapshots made by the real job (idempotent).

The snapshots come from the real code paths only: the feeds are fetched from the sandbox's
feed server (reputation/feeds/sandbox.py, started by `manage.py serve` before the loaders),
and the snapshot job runs once per past day, as the scheduler would have, over what the other
demos left (the IPs' warm-up days and decisions, the domain's warm-up days). Days before that
history have zero counts: their verdicts rest on the feeds.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNT
from accounts.models import Account
from ips.models import utc_day
from reputation.feeds.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
)
from reputation.models import (
    DomainSnapshot,
    FeedConnection,
    IpSnapshot,
    NotificationPreference,
    SnapshotDay,
)
from reputation.services import feeds, notifications, snapshots

DEMO_DAYS = 31
DEMO_SNDS_KEY = "sandbox-snds-key-demo"
# The demo users have no e-mail address; make run's console backend prints what goes here.
DEMO_ALERTS = "alerts@demo-sender.example"


def _connect(account: Account) -> list[FeedConnection]:
    existing = {f.kind: f for f in FeedConnection.objects.filter(account=account)}
    if FeedConnection.Kind.POSTMASTER not in existing:
        existing["postmaster"] = feeds.feed_connection_set(
            account=account,
            kind=FeedConnection.Kind.POSTMASTER,
            auth=FeedConnection.Auth.REFRESH_TOKEN,
            secret=SANDBOX_REFRESH_TOKEN,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        )
    if FeedConnection.Kind.SNDS not in existing:
        existing["snds"] = feeds.feed_connection_set(
            account=account, kind=FeedConnection.Kind.SNDS, secret=DEMO_SNDS_KEY
        )
    return list(existing.values())


def load() -> list[str]:
    account = Account.objects.filter(name=DEMO_ACCOUNT).first()
    if account is None:
        return []
    connections = _connect(account)
    if not NotificationPreference.objects.filter(account=account).exists():
        notifications.notification_preference_set(account=account, extra_recipients=[DEMO_ALERTS])
    lines = []
    if settings.WARMUP_SANDBOX:
        for feed in connections:
            if feed.last_success_at is None:
                feed = feeds.feed_fetch(feed=feed)
            said = feed.last_error or feed.status_detail
            lines.append(f"reputation: {feed.get_kind_display()} — {said}")
    now = timezone.now()
    today = utc_day(now)
    first = today - timedelta(days=DEMO_DAYS)
    if not SnapshotDay.objects.filter(day__lte=first, final=True).exists():
        # The job as the scheduler would have run it: once a night, each run finishing the day
        # before and starting the day it runs in. The days are opened first, in case the
        # scheduler already ran on this database (it would only have started from today).
        start = first - timedelta(days=settings.WARMUP_REPUTATION_BACKFILL_DAYS)
        SnapshotDay.objects.bulk_create(
            [SnapshotDay(day=start + timedelta(days=n)) for n in range((today - start).days + 1)],
            ignore_conflicts=True,
        )
        for offset in range(DEMO_DAYS, 0, -1):
            night = datetime.combine(today - timedelta(days=offset - 1), time(1, 30), tzinfo=UTC)
            snapshots.snapshots_run(now=night)
    snapshots.snapshots_run(now=now)
    notifications.notifications_scan(now=now)
    days = SnapshotDay.objects.filter(day__gte=first).count()
    lines.append(
        f"reputation: {days} days of snapshots ({DomainSnapshot.objects.count()} domain, "
        f"{IpSnapshot.objects.count()} IP) — GET /api/v1/reputation/ as the demo customer; "
        f"notifications to {DEMO_ALERTS} (printed on the console)"
    )
    return lines
