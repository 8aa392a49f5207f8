"""The background re-verification: due domains only, concurrent lookups, batches, idempotent,
and rows another worker holds are skipped (PostgreSQL)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from domains import services, tasks
from domains.models import Domain
from domains.tests.factories import DomainFactory, publish


def due(*domains):
    Domain.objects.filter(pk__in=[d.pk for d in domains]).update(
        next_check_at=timezone.now() - timedelta(minutes=1)
    )


def test_it_checks_due_domains_and_says_what_it_did(dns_server, account):
    good = DomainFactory.create_batch(3, account=account)
    bad = DomainFactory(account=account)
    for domain in good:
        publish(dns_server, domain)
    due(*good, bad)

    summary = tasks.reverify_domains()

    assert summary == (
        "checked 4 domains: 3 ok, 1 with problems, 0 undecided after DNS errors (retried in "
        "60 min); 3 newly verified, 0 newly failed, 0 DKIM keys rotated"
    )
    assert Domain.objects.filter(status="verified").count() == 3


def test_it_is_safe_to_run_twice(dns_server, account):
    domain = DomainFactory(account=account)
    publish(dns_server, domain)
    due(domain)

    tasks.reverify_domains()
    second = tasks.reverify_domains()

    assert second.startswith("checked 0 domains")
    domain.refresh_from_db()
    assert domain.next_check_at - domain.last_checked_at == timedelta(days=1)


def test_it_leaves_domains_that_are_not_due_alone(account):
    domain = DomainFactory(account=account, next_check_at=timezone.now() + timedelta(hours=3))

    assert tasks.reverify_domains().startswith("checked 0 domains")
    domain.refresh_from_db()
    assert domain.last_checked_at is None


def test_it_works_through_every_batch(dns_server, account):
    domains = DomainFactory.create_batch(5, account=account)
    due(*domains)

    summary = services.domains_reverify_due(batch_size=2)

    assert summary.checked == 5
    assert not Domain.objects.filter(last_checked_at__isnull=True).exists()


def test_it_looks_up_many_domains_at_once(dns_server, account, settings):
    settings.WARMUP_DNS_CONCURRENCY = 32
    dns_server.latency = 0.05
    domains = DomainFactory.create_batch(20, account=account)
    for domain in domains:
        publish(dns_server, domain)
    due(*domains)

    started = time.monotonic()
    summary = services.domains_reverify_due()
    elapsed = time.monotonic() - started

    assert summary.newly_verified == 20
    # 20 domains × 5 records = 100 lookups of 50 ms: 5 s one after another
    assert dns_server.max_in_flight >= 16
    assert elapsed < 2.0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no SELECT … FOR UPDATE (its writers are serialised)",
)
@pytest.mark.django_db(transaction=True)
def test_it_skips_domains_another_worker_holds(dns_server, account):
    held, free = DomainFactory(account=account), DomainFactory(account=account)
    due(held, free)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Domain.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(10)
        summary = services.domains_reverify_due()
    finally:
        release.set()
        worker.join()

    assert summary.checked == 1
    held.refresh_from_db()
    free.refresh_from_db()
    assert held.last_checked_at is None and free.last_checked_at is not None
