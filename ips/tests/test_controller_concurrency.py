"""Two daily controller runs at once (two workers, two connections, small chunks) on PostgreSQL:
every (IP, provider) is decided exactly once per day, and no stage moves twice."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Sum

from accounts.tests.factories import AccountFactory
from ips.models import IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.services.controller import controller_run
from ips.tests import factories as f
from warmup_site.testing import load_reference_data

RUN_AT = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)
YESTERDAY = RUN_AT.date() - timedelta(days=1)
IPS = 40
MISSED = 3


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_decide_each_pair_and_day_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only: the claim relies on SELECT … FOR UPDATE SKIP LOCKED, and the "
            "SQLite test database (in-memory, shared cache) makes concurrent writers fail "
            "instead of wait; on SQLite one writer runs at a time anyway."
        )
    load_reference_data()
    pool = f.pool(account=AccountFactory())
    for n in range(IPS):
        f.warming_ip(pool=pool, address=f"203.0.113.{n + 1}")
    first_missed = YESTERDAY - timedelta(days=MISSED - 1)
    IpWarmup.objects.update(decided_through=first_missed - timedelta(days=1), stage_days=5)
    IpWarmupDay.objects.bulk_create(
        IpWarmupDay(
            warmup=w, day=first_missed + timedelta(days=d), cap=w.daily_cap, routed=w.daily_cap
        )
        for w in IpWarmup.objects.all()
        for d in range(MISSED)
    )
    pairs = IpWarmup.objects.count()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            # Small chunks: the two workers interleave chunk by chunk.
            results.append(controller_run(now=RUN_AT, chunk=50))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.pairs for r in results) == pairs
    per_day = (
        IpWarmupDecision.objects.filter(daily=True).values("warmup", "day").annotate(n=Count("id"))
    )
    assert len(per_day) == pairs * MISSED
    assert {row["n"] for row in per_day} == {1}
    # Every stage a pair moved has a decision behind it (nothing advanced twice: the stage is
    # where its advances' moves took it), and the first clean full day advanced every pair.
    advances = dict(
        IpWarmupDecision.objects.filter(kind="advance")
        .values("warmup")
        .annotate(n=Sum(F("to_stage") - F("from_stage")))
        .values_list("warmup", "n")
    )
    stages = dict(IpWarmup.objects.values_list("id", "stage"))
    assert {pk: stage - 1 for pk, stage in stages.items()} == advances
    assert min(stages.values()) >= 2
    assert set(IpWarmup.objects.values_list("decided_through", flat=True)) == {YESTERDAY}
