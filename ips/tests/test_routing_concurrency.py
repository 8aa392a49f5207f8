"""Exactness under concurrency: many threads, each with its own database connection, hammer one
(IP, provider) cap at the same moment. The cap is met exactly and everything else overflows."""

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import connection

from accounts.tests.factories import AccountFactory
from ips import services
from ips.models import IpWarmupDay
from ips.tests import factories as f
from ips.types import Recipient
from warmup_site.testing import load_reference_data

LATE = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
THREADS = 10
REQUESTS = 30


def hammer(account, sizes: list[int]) -> tuple[Counter, list[BaseException]]:
    """Every thread sends REQUESTS routing requests of `sizes[thread]` recipients each."""
    barrier = threading.Barrier(len(sizes))
    reasons: Counter = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        try:
            barrier.wait()
            for n in range(REQUESTS):
                recipients = [
                    Recipient(f"t{thread}-r{n}-{k}@gmail.com") for k in range(sizes[thread])
                ]
                routes = services.routes_decide(
                    account=account, sender_domain="acme.example", recipients=recipients, now=LATE
                )
                with lock:
                    reasons.update(r.reason for r in routes)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sizes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reasons, errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sizes", [[1] * THREADS, [1, 2, 3, 5, 7, 1, 2, 3, 5, 7]])
def test_it_meets_a_cap_exactly_under_concurrent_requests(sizes):
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only: the SQLite test database is an in-memory shared-cache database, "
            "whose table locks make concurrent writers fail instead of wait. On SQLite (a file, "
            "in production) writers are serialised by the database lock, so a claim cannot "
            "interleave with another; the sequential tests cover its arithmetic."
        )
    load_reference_data()
    account = AccountFactory()
    own = f.pool(account=account)
    ip = f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 100})
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50", caps={"google": 1_000_000})

    reasons, errors = hammer(account, sizes)

    assert errors == []
    demand = sum(sizes) * REQUESTS
    day = IpWarmupDay.objects.get(warmup=f.warmup(ip, "google"), day=LATE.date())
    assert (day.routed, day.cap) == (100, 100)
    assert reasons == {"warming": 100, "shared": demand - 100}
