#!/usr/bin/env python
"""The nightly warm-up controller over 10,000 and 100,000 (IP, provider) pairs, on PostgreSQL,
with routing running during the run.

    .venv/bin/python bench/controller.py [--scales 10000,100000] [--providers 10] [--chunk N]

Uses the PostgreSQL database named by BENCH_DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/wt_controller_bench; created when missing)
and EMPTIES ITS IP AND EVENT TABLES.

For each scale it builds accounts of 5 warming IPs each (one pool per account), each IP with a
warm-up per provider at stages spread over the profile, and a day of counters for yesterday that
sends the pairs down every branch of the rule: most days are clean and full (advance or hold for
the stage's days), some are throttled (back off), some have complaints (alert), some are quiet
(too little traffic) and some idle (no day row at all); a tenth of the pairs are warm, some of
them under the floor (cooling).

While `controller_run` runs once, as the scheduled job does, a second process routes one Gmail
recipient at a time for random accounts (`routes_decide`, the API's service: it claims today's
day row of the chosen pair) and records how long each claim took. The same routing runs for a
few seconds before the controller, as the floor. The script prints the controller's seconds and
statements, and the claims' p50/p99/max during the run against the floor's p99; then runs the
controller again (nothing left to decide) and checks that every pair was decided exactly once.
`--chunk 0` runs the whole controller in one transaction (how it ran before chunking), for
comparison.

Goals: at most 20 s for 100,000 pairs; a fixed number of statements per chunk; the routing
claims' p99 under 50 ms during the run at 100,000 pairs.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
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
from ips.services.controller import CHUNK, controller_run  # noqa: E402
from ips.services.routing import routes_decide  # noqa: E402
from ips.types import Recipient  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402

IPS_PER_ACCOUNT = 5


def build(pairs: int, providers: int) -> int:
    """The accounts, pools, IPs, their warm-ups and yesterday's counters; returns the number of
    pairs."""
    empty_ip_tables()
    chosen = list(MailboxProvider.objects.order_by("position", "pk")[:providers])
    profiles = profiles_by_provider()
    now = timezone.now()
    yesterday = utc_day(now) - timedelta(days=1)
    count = pairs // len(chosen)
    accounts = Account.objects.bulk_create(
        Account(name=f"Bench controller {n}", slug=f"bench-controller-{n}")
        for n in range(max(1, count // IPS_PER_ACCOUNT))
    )
    pools = IpPool.objects.bulk_create(
        IpPool(account=account, name="main", is_default=True) for account in accounts
    )
    ips = DedicatedIp.objects.bulk_create(
        (
            DedicatedIp(
                address=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                pool=pools[n // IPS_PER_ACCOUNT % len(pools)],
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
        # Routing opened today at midnight: the run changes these rows' caps while routing
        # claims them.
        days.append(IpWarmupDay(warmup_id=w.pk, day=yesterday + timedelta(days=1), cap=cap))
    IpWarmupDay.objects.bulk_create(days, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(warmups)


def route_until(stop_file: str, out_file: str, seconds: float) -> None:
    """The router process: route one Gmail recipient at a time for random bench accounts until
    `stop_file` exists (or `seconds` pass), then write (start time, duration) pairs as JSON."""
    accounts = list(Account.objects.filter(slug__startswith="bench-controller-"))
    rng = random.Random(7)
    samples = []
    deadline = time.monotonic() + seconds
    n = 0
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        n += 1
        started_at, started = time.time(), time.perf_counter()
        routes_decide(
            account=rng.choice(accounts),
            sender_domain="bench.example",
            recipients=[Recipient(f"user{n}@gmail.com")],
        )
        samples.append((started_at, time.perf_counter() - started))
    with open(out_file, "w", encoding="utf-8") as handle:
        json.dump(samples, handle)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(pairs: int, providers: int, chunk: int) -> dict:
    built = build(pairs, providers)
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    work = tempfile.mkdtemp(prefix="bench-controller-")
    stop_file, out_file = os.path.join(work, "stop"), os.path.join(work, "samples.json")
    router = subprocess.Popen(
        [sys.executable, __file__, "--route", stop_file, out_file], env=os.environ.copy()
    )
    time.sleep(5)  # the floor: routing alone
    connection.close()
    with connection.execute_wrapper(count):
        started_at, started = time.time(), time.perf_counter()
        counts = controller_run(chunk=chunk or 10**9)
        seconds = time.perf_counter() - started
        ended_at = time.time()
    time.sleep(1)
    open(stop_file, "w").close()
    router.wait(timeout=60)
    with open(out_file, encoding="utf-8") as handle:
        samples = json.load(handle)
    floor = [d for at, d in samples if at < started_at - 0.5]
    during = [d for at, d in samples if started_at <= at <= ended_at]

    again = controller_run()
    per_day = (
        IpWarmupDecision.objects.filter(daily=True).values("warmup", "day").annotate(n=Count("id"))
    )
    assert again.pairs == 0, "a second run found pairs to decide"
    assert counts.pairs == built, (counts.pairs, built)
    assert all(row["n"] == 1 for row in per_day), "a pair was decided twice for a day"
    return {
        "seconds": seconds,
        "statements": statements,
        "chunks": -(-built // (chunk or 10**9)),
        "counts": counts,
        "floor_p99": percentile(floor, 0.99) * 1000,
        "claims": len(during),
        "p50": statistics.median(during) * 1000 if during else float("nan"),
        "p99": percentile(during, 0.99) * 1000,
        "max": max(during, default=float("nan")) * 1000,
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--route":
        route_until(sys.argv[2], sys.argv[3], seconds=600)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="10000,100000")
    parser.add_argument("--providers", type=int, default=10)
    parser.add_argument(
        "--chunk",
        type=int,
        default=CHUNK,
        help=f"pairs per transaction (default {CHUNK}, as production); 0: one transaction",
    )
    args = parser.parse_args()
    require_database()
    call_command("migrate", verbosity=0)
    chunk = "one transaction" if not args.chunk else f"chunks of {args.chunk:,} pairs"
    version = connection.pg_version // 10000
    print(f"PostgreSQL {version}; {args.providers} providers per IP; {chunk}")
    print(
        f"{'pairs':>8}  {'seconds':>7}  {'SQL':>5}  {'claims':>6}  {'p50 ms':>6}  {'p99 ms':>6}  "
        f"{'max ms':>6}  {'floor p99':>9}  decisions by kind"
    )
    for scale in (int(s) for s in args.scales.split(",")):
        r = measure(scale, args.providers, args.chunk)
        counts = r["counts"]
        kinds = ", ".join(
            f"{k} {counts.kinds[k]:,}"
            for k in ("advance", "hold", "backoff", "alert", "step_back", "warm", "cooling")
            if counts.kinds[k]
        )
        print(
            f"{counts.pairs:>8,}  {r['seconds']:>7.2f}  {r['statements']:>5}  {r['claims']:>6}  "
            f"{r['p50']:>6.1f}  {r['p99']:>6.1f}  {r['max']:>6.1f}  {r['floor_p99']:>9.1f}  "
            f"{kinds}"
        )
    empty_ip_tables()


if __name__ == "__main__":
    main()
