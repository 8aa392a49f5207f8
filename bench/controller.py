#!/usr/bin/env python
"""The daily warm-up controller over 10,000 and 100,000 (IP, provider) pairs, on PostgreSQL.

    .venv/bin/python bench/controller.py [--scales 10000,100000] [--providers 10]

Uses the PostgreSQL database named by BENCH_DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/wt_controller_bench; create it with
`createdb -h 127.0.0.1 -U postgres wt_controller_bench`) and EMPTIES ITS IP AND EVENT TABLES.

For each scale it builds IPS = scale / providers warming IPs (one account, one pool), each with
a warm-up per provider at stages spread over the profile, and a day of counters for yesterday
that sends the pairs down every branch of the rule: most days are clean and full (advance or
hold for the stage's days), some are throttled (back off), some have complaints (alert), some
are quiet (too little traffic) and some idle (no day row at all); a tenth of the pairs are
warm, some of them under the floor (cooling). It then runs `controller_run` once, as the
scheduled job does, and prints the seconds and the number of SQL statements it sent, then runs
it again (nothing left to decide) and checks that every pair was decided exactly once.

Goal: at most 20 s for 100,000 pairs, and the same number of statements at every scale.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wt_controller_bench"
)
from bench.support.server import configure_environment, require_database
from bench.support.tables import empty_ip_tables

configure_environment()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account  # noqa: E402
from ips.models import (  # noqa: E402
    DedicatedIp,
    IpPool,
    IpWarmup,
    IpWarmupDay,
    IpWarmupDecision,
    utc_day,
)
from ips.selectors import profiles_by_provider  # noqa: E402
from ips.services.controller import controller_run  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402


def build(pairs: int, providers: int) -> int:
    """The IPs, their warm-ups and yesterday's counters; returns the number of pairs."""
    empty_ip_tables()
    account = Account.objects.create(name="Bench controller", slug="bench-controller")
    pool = IpPool.objects.create(account=account, name="main", is_default=True)
    chosen = list(MailboxProvider.objects.order_by("position", "pk")[:providers])
    profiles = profiles_by_provider()
    now = timezone.now()
    yesterday = utc_day(now) - timedelta(days=1)
    count = pairs // len(chosen)
    ips = DedicatedIp.objects.bulk_create(
        (
            DedicatedIp(
                address=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                pool=pool,
                state=DedicatedIp.State.WARMING,
                readiness=DedicatedIp.Readiness.PASSED,
            )
            for n in range(count)
        ),
        batch_size=5000,
    )
    warmups = []
    for n, ip in enumerate(ips):
        for k, provider in enumerate(chosen):
            profile = profiles[provider.pk]
            case = (n * len(chosen) + k) % 20
            if case < 2:  # a tenth warm
                state, stage = IpWarmup.State.WARM, profile.stage_count
            else:
                state, stage = IpWarmup.State.WARMING, 1 + (n + k) % (profile.stage_count - 1)
            warmups.append(
                IpWarmup(
                    ip=ip,
                    provider=provider,
                    state=state,
                    stage=stage,
                    daily_cap=profile.cap_for_stage(stage),
                    sending_days=stage * 2,
                    stage_days=(n + k) % 4,
                    started_on=yesterday - timedelta(days=30),
                    warm_since=yesterday - timedelta(days=60) if state == "warm" else None,
                    decided_through=yesterday - timedelta(days=1),
                )
            )
    warmups = IpWarmup.objects.bulk_create(warmups, batch_size=5000)
    days = []
    for index, w in enumerate(warmups):
        case = index % 20
        cap = w.daily_cap
        if case == 19:
            continue  # idle: no day row at all
        counters = {"routed": cap, "delivered": cap}
        if case == 0:
            counters = {"routed": 400, "delivered": 400}  # warm, under the floor: cooling
        elif case == 1:
            counters = {"routed": 5000, "delivered": 5000}  # warm, over the floor
        elif case in (2, 3):
            counters["throttled"] = max(10, cap // 10)  # back off
        elif case == 4:
            counters["complaints"] = max(1, cap // 100)  # alert
        elif case == 5:
            counters = {"routed": cap // 4, "delivered": cap // 4}  # too little traffic
        days.append(IpWarmupDay(warmup_id=w.pk, day=yesterday, cap=cap, **counters))
    IpWarmupDay.objects.bulk_create(days, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(warmups)


def measure(pairs: int, providers: int) -> tuple[float, int, dict]:
    built = build(pairs, providers)
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        counts = controller_run()
        seconds = time.perf_counter() - started
    again = controller_run()
    per_day = (
        IpWarmupDecision.objects.filter(daily=True).values("warmup", "day").annotate(n=Count("id"))
    )
    assert again.pairs == 0, "a second run found pairs to decide"
    assert counts.pairs == built, (counts.pairs, built)
    assert all(row["n"] == 1 for row in per_day), "a pair was decided twice for a day"
    return seconds, statements, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="10000,100000")
    parser.add_argument("--providers", type=int, default=10)
    args = parser.parse_args()
    require_database()
    call_command("migrate", verbosity=0)
    print(f"PostgreSQL {connection.pg_version // 10000}; {args.providers} providers per IP")
    print(f"{'pairs':>8}  {'seconds':>8}  {'SQL':>4}  decisions by kind")
    for scale in (int(s) for s in args.scales.split(",")):
        seconds, statements, counts = measure(scale, args.providers)
        kinds = ", ".join(
            f"{k} {counts.kinds[k]:,}"
            for k in ("advance", "hold", "backoff", "alert", "step_back", "warm", "cooling")
            if counts.kinds[k]
        )
        print(f"{counts.pairs:>8,}  {seconds:>8.2f}  {statements:>4}  {kinds}")
    empty_ip_tables()


if __name__ == "__main__":
    main()
