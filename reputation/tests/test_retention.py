"""Retention: snapshots past WARMUP_REPUTATION_RETENTION_DAYS are deleted."""

from datetime import UTC, datetime, timedelta

import time_machine

from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.models import DomainSnapshot
from reputation.services.retention import retention_prune

NOW = datetime(2026, 11, 23, 2, 40, tzinfo=UTC)


def test_it_deletes_old_snapshots(account, settings):
    settings.WARMUP_REPUTATION_RETENTION_DAYS = 400
    domain = f.DomainFactory(account=account, name="news.acme.example")
    google = MailboxProvider.objects.get(slug="google")
    for age in (399, 400):
        DomainSnapshot.objects.create(
            domain=domain, provider=google, day=NOW.date() - timedelta(days=age), computed_at=NOW
        )

    with time_machine.travel(NOW, tick=False):
        counts = retention_prune()

    assert counts["domain_snapshots"] == 1
    assert list(DomainSnapshot.objects.values_list("day", flat=True)) == [
        NOW.date() - timedelta(days=399)
    ]
