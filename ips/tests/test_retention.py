"""Delivery-event retention: raw events past WARMUP_DELIVERY_EVENT_RETENTION_DAYS are deleted —
an account's and the pipeline's events of unverified sender domains alike — and the day
counters keep their figures."""

from datetime import UTC, datetime, timedelta

import time_machine

from ips import tasks
from ips.models import DeliveryEvent, IpWarmupDay
from ips.services import events_ingest
from ips.tests import factories as f
from ips.types import EventInput
from warmup_site.schedules import JOBS

NOW = datetime(2026, 11, 23, 2, 50, tzinfo=UTC)


def event(age: int, *, sender="news.acme.example") -> EventInput:
    return EventInput(
        event_id=f"e{age}-{sender}",
        type="delivered",
        ip="203.0.113.5",
        sender_domain=sender,
        recipient="someone@gmail.com",
        smtp_code=250,
        enhanced_status="",
        response="",
        timestamp=NOW - timedelta(days=age),
    )


def test_it_deletes_old_delivery_events_and_keeps_the_counters(account, settings):
    settings.WARMUP_DELIVERY_EVENT_RETENTION_DAYS = 90
    f.DomainFactory(account=account, name="news.acme.example")
    f.warm_ip(pool=f.pool(account=account), address="203.0.113.5")
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        events_ingest(account=account, events=[event(200)], now=NOW - timedelta(days=200))
        # The pipeline's event of a domain nobody verified: stored without an account.
        events_ingest(
            account=None,
            events=[event(200, sender="nobody.example")],
            now=NOW - timedelta(days=200),
            pipeline=True,
        )
    events_ingest(account=account, events=[event(89), event(91)], now=NOW)
    assert DeliveryEvent.objects.filter(account__isnull=True).count() == 1

    with time_machine.travel(NOW, tick=False):
        summary = tasks.prune_delivery_events()

    assert summary == "deleted 3 delivery events"
    assert list(DeliveryEvent.objects.values_list("event_id", flat=True)) == [
        "e89-news.acme.example"
    ]
    assert sum(IpWarmupDay.objects.values_list("delivered", flat=True)) == 3


def test_the_retention_is_scheduled_nightly():
    (job,) = [j for j in JOBS if j.func == "ips.tasks.prune_delivery_events"]
    assert job.daily_at is not None
