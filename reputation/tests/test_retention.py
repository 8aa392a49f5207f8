"""Retention: snapshots past WARMUP_REPUTATION_RETENTION_DAYS and delivery events past
WARMUP_DELIVERY_EVENT_RETENTION_DAYS are deleted; the day counters keep their figures."""

from datetime import UTC, datetime, timedelta

import time_machine

from ips.inputs import EventInput
from ips.models import DeliveryEvent, IpWarmupDay
from ips.services import events_ingest
from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.models import DomainSnapshot
from reputation.services.retention import retention_prune

NOW = datetime(2026, 11, 23, 2, 40, tzinfo=UTC)


def test_it_deletes_old_snapshots_and_old_delivery_events(account, settings):
    settings.WARMUP_REPUTATION_RETENTION_DAYS = 400
    settings.WARMUP_DELIVERY_EVENT_RETENTION_DAYS = 90
    domain = f.DomainFactory(account=account, name="news.acme.example")
    f.warm_ip(pool=f.pool(account=account), address="203.0.113.5")
    google = MailboxProvider.objects.get(slug="google")
    for age in (399, 400):
        DomainSnapshot.objects.create(
            domain=domain, provider=google, day=NOW.date() - timedelta(days=age), computed_at=NOW
        )
    events = [
        EventInput(
            event_id=f"e{age}",
            type="delivered",
            ip="203.0.113.5",
            sender_domain=domain.name,
            recipient="someone@gmail.com",
            smtp_code=250,
            enhanced_status="",
            response="",
            timestamp=NOW - timedelta(days=age),
        )
        for age in (89, 91, 200)
    ]
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        events_ingest(account=account, events=events[2:], now=NOW - timedelta(days=200))
    events_ingest(account=account, events=events[:2], now=NOW)

    with time_machine.travel(NOW, tick=False):
        counts = retention_prune()

    assert (counts["domain_snapshots"], counts["delivery_events"]) == (1, 2)
    assert list(DomainSnapshot.objects.values_list("day", flat=True)) == [
        NOW.date() - timedelta(days=399)
    ]
    assert list(DeliveryEvent.objects.values_list("event_id", flat=True)) == ["e89"]
    assert sum(IpWarmupDay.objects.values_list("delivered", flat=True)) == 3
