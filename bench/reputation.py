#!/usr/bin/env python
"""The reputation snapshot job for 10,000 domains and 10,000 IPs × every provider, and the
reputation API over 400 days, on PostgreSQL.

    .venv/bin/python bench/reputation.py [--domains 10000] [--ips 10000]

Uses the PostgreSQL database named by BENCH_DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/wt_reputation_bench; created when missing)
and EMPTIES ITS DOMAIN, IP, EVENT AND
REPUTATION TABLES.

It builds the subjects (domains spread over 100 accounts, dedicated IPs with a warm-up per
provider) and one day of figures for every source the job reads: the IPs' day counters, 20
delivery events per domain, the domain warm-up's seed placements and actions at four
providers, a Postmaster Tools day per domain and an SNDS day per IP. It computes the day before
(untimed: the verdict's window reads it), then times `snapshots_compute_day` for the day — as
the scheduled job runs it — counting its SQL statements, and measures the floor: one raw
`INSERT … SELECT` per table writing the same number of rows (constants, no reads, no verdict).

Then the API: a domain and an IP with 400 days of snapshots at every provider; the median
server time (in-process test client: middleware, authentication, view, JSON) of
GET …/reputation/?days=400, and its number of queries.

Goals: the job ≤ 60 s with the same number of statements at every scale; the API ≤ 100 ms.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wt_reputation_bench"
)
from bench.support.server import configure_environment, require_database
from bench.support.tables import empty_ip_tables

configure_environment()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Account  # noqa: E402
from accounts.services import account_create  # noqa: E402
from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan  # noqa: E402
from ips.models import DedicatedIp, DeliveryEvent, IpPool, IpWarmup, IpWarmupDay  # noqa: E402
from ips.services.warmup import profiles_by_provider  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402
from reputation.models import (  # noqa: E402
    DomainSnapshot,
    FeedConnection,
    IpSnapshot,
    PostmasterDomainDay,
    SnapshotDay,
    SndsIpDay,
)
from reputation.services.snapshots import snapshots_compute_day  # noqa: E402

ACCOUNTS = 100
DAY = datetime.now(UTC).date() - timedelta(days=1)
NIGHT = datetime.combine(DAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(
    hours=1, minutes=30
)


def q(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def empty() -> None:
    empty_ip_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE "
            + ", ".join(
                q(m)
                for m in (
                    DomainSnapshot,
                    IpSnapshot,
                    SnapshotDay,
                    PostmasterDomainDay,
                    SndsIpDay,
                    DomainWarmupDay,
                    DomainWarmupPlan,
                    DomainWarmup,
                )
            )
            + " RESTART IDENTITY CASCADE"
        )
    FeedConnection.objects.all().delete()
    Domain.objects.filter(account__slug__startswith="bench-").delete()
    Account.objects.filter(slug__startswith="bench-").delete()


def build(domains: int, ips: int) -> None:
    empty()
    accounts = Account.objects.bulk_create(
        Account(name=f"Bench reputation {n}", slug=f"bench-rep-{n}") for n in range(ACCOUNTS)
    )
    pools = IpPool.objects.bulk_create(
        IpPool(account=a, name="main", is_default=True) for a in accounts
    )
    Domain.objects.bulk_create(
        (
            Domain(account=accounts[n % ACCOUNTS], name=f"d{n}.bench.example", status="verified")
            for n in range(domains)
        ),
        batch_size=5000,
    )
    DedicatedIp.objects.bulk_create(
        (
            DedicatedIp(
                address=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                pool=pools[n % ACCOUNTS],
                state="warm",
                readiness="passed",
            )
            for n in range(ips)
        ),
        batch_size=5000,
    )
    providers = list(MailboxProvider.objects.order_by("position").values_list("pk", "slug"))
    profiles = profiles_by_provider()
    IpWarmup.objects.bulk_create(
        (
            IpWarmup(
                ip_id=ip_id,
                provider_id=pid,
                state="warm",
                stage=profiles[pid].stage_count,
                daily_cap=profiles[pid].target_cap,
            )
            for ip_id in DedicatedIp.objects.values_list("pk", flat=True)
            for pid, _slug in providers
        ),
        batch_size=10000,
    )
    google_id = next(pid for pid, slug in providers if slug == "google")
    seeded = [pid for pid, slug in providers if slug in ("google", "microsoft", "yahoo", "apple")]
    day = DAY.isoformat()
    with connection.cursor() as cursor:
        # The IPs' day counters: every pair sent that day (a few pushed back).
        cursor.execute(
            f"INSERT INTO {q(IpWarmupDay)} (warmup_id, day, cap, routed, last_claim, delivered, "
            "deferred, bounced, hard_bounced, throttled, blocked, blocklisted, complaints) "
            f"SELECT id, %s, 2000, 1000, 0, 990 - (id %% 7), 10, id %% 7, id %% 3, "
            f"CASE WHEN id %% 50 = 0 THEN 80 ELSE 0 END, 0, 0, id %% 4 FROM {q(IpWarmup)}",
            [day],
        )
        # 20 delivery events per domain, by sender domain, through the accounts' IPs.
        cursor.execute(
            f"INSERT INTO {q(DeliveryEvent)} (account_id, event_id, type, ip_address, ip_id, "
            "provider_id, sender_domain, recipient, smtp_code, enhanced_status, response, "
            "category, rule_id, timestamp, received_at) "
            "SELECT d.account_id, 'b' || d.id || '-' || g, "
            "CASE WHEN g = 0 THEN 'complaint' WHEN g = 1 THEN 'deferred' ELSE 'delivered' END, "
            "'10.0.0.1', NULL, %s, d.name, 'u' || g || '@gmail.com', 250, '', '', '', NULL, "
            "%s::timestamptz + make_interval(mins => g), now() "
            f"FROM {q(Domain)} d CROSS JOIN generate_series(0, 19) g",
            [google_id, f"{day}T12:00:00+00:00"],
        )
        cursor.execute(
            f"INSERT INTO {q(DomainWarmup)} (domain_id, enabled, state, changed_by, "
            "keep_warm) "
            f"SELECT id, true, 'warming', 'bench', true FROM {q(Domain)}"
        )
        cursor.execute(
            f"INSERT INTO {q(DomainWarmupPlan)} (warmup_id, provider_id, started_on, day, step, "
            "volume, state, reason) "
            f"SELECT w.id, p, %s, 5, 4, 25, 'warming', '' FROM {q(DomainWarmup)} w "
            "CROSS JOIN unnest(%s::bigint[]) p",
            [(DAY - timedelta(days=5)).isoformat(), seeded],
        )
        cursor.execute(
            f"INSERT INTO {q(DomainWarmupDay)} (plan_id, date, day, volume, decision, reason, "
            "sent, inbox, spam, missing, engaged) "
            f"SELECT id, %s, 5, 25, 'advance', '', 25, 22 - (id %% 5), 3, id %% 5, 20 - (id %% 5) "
            f"FROM {q(DomainWarmupPlan)}",
            [day],
        )
        cursor.execute(
            f"INSERT INTO {q(PostmasterDomainDay)} (domain_id, day, spam_rate, spf_rate, "
            "dkim_rate, dmarc_rate, delivery_error_rate, tls_rate, fetched_at) "
            f"SELECT id, %s, (id %% 40) / 10000.0, 1, 0.99, 0.98, 0.01, 1, now() "
            f"FROM {q(Domain)}",
            [day],
        )
    FeedConnection.objects.bulk_create(
        FeedConnection(account=a, kind="snds", auth="key", secret="x") for a in accounts
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(SndsIpDay)} (connection_id, address, day, rcpt, data, recipients, "
            "filter_result, complaint_rate, complaint_text, trap_hits, sample_helo, "
            "sample_mail_from, comments, fetched_at) "
            "SELECT c.id, ip.address, %s, 1000, 1000, 990, "
            "CASE WHEN ip.id %% 20 = 0 THEN 'YELLOW' ELSE 'GREEN' END, 0, '< 0.1%%', 0, '', '', "
            f"'', now() FROM {q(DedicatedIp)} ip JOIN {q(IpPool)} pool ON pool.id = ip.pool_id "
            f"JOIN {q(FeedConnection)} c ON c.account_id = pool.account_id",
            [day],
        )
        cursor.execute("ANALYZE")


def floor() -> float:
    """The same number of rows written by one INSERT … SELECT per table (constants)."""
    target = (DAY + timedelta(days=2)).isoformat()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model, subject, table in (
            (DomainSnapshot, "domain_id", q(Domain)),
            (IpSnapshot, "ip_id", q(DedicatedIp)),
        ):
            cursor.execute(
                f"INSERT INTO {q(model)} ({subject}, provider_id, day, offered, delivered, "
                "deferred, bounced, hard_bounced, throttled, blocked, blocklisted, complaints, "
                "warmup_state, reputation, deliverability, score, factors, sentence, computed_at"
                + (
                    ", sent, inbox, spam, missing, rescued, read, flagged, replied, domain_status, "
                    "pm_compliance"
                    if model is DomainSnapshot
                    else ", used, suspended, dnsbl_listings, ptr, fcrdns, snds_filter, snds_blocked"
                )
                + ") SELECT s.id, p.id, %s, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', 'neutral', 'medium', "
                "50, '[]'::jsonb, '', now()"
                + (
                    ", 0, 0, 0, 0, 0, 0, 0, 0, '', ''"
                    if model is DomainSnapshot
                    else ", 0, false, '[]'::jsonb, '', '', '', false"
                )
                + f" FROM {table} s CROSS JOIN {q(MailboxProvider)} p",
                [target],
            )
    seconds = time.perf_counter() - started
    DomainSnapshot.objects.filter(day=target).delete()
    IpSnapshot.objects.filter(day=target).delete()
    return seconds


def measure_job(domains: int, ips: int) -> dict:
    build(domains, ips)
    snapshots_compute_day(day=DAY - timedelta(days=1), now=NIGHT)  # the window's earlier day
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = snapshots_compute_day(day=DAY, now=NIGHT)
        seconds = time.perf_counter() - started
    again = time.perf_counter()
    snapshots_compute_day(day=DAY, now=NIGHT)  # idempotent: the same rows, updated in place
    rerun = time.perf_counter() - again
    written = (
        DomainSnapshot.objects.filter(day=DAY).count() + IpSnapshot.objects.filter(day=DAY).count()
    )
    assert written == result["domains"] + result["ips"], (written, result)
    return {
        "rows": written,
        "seconds": seconds,
        "statements": len(queries),
        "floor": floor(),
        "rerun": rerun,
        "negative": DomainSnapshot.objects.filter(day=DAY, reputation="negative").count()
        + IpSnapshot.objects.filter(day=DAY, reputation="negative").count(),
    }


def measure_api() -> dict:
    account, _membership, key = account_create(
        name="Bench reputation API", owner_username="bench-rep-api", password="bench-pass-1234"
    )
    Account.objects.filter(pk=account.pk).update(slug="bench-rep-api")
    domain = Domain.objects.create(account=account, name="api.bench.example", status="verified")
    pool = IpPool.objects.create(account=account, name="api", is_default=True)
    ip = DedicatedIp.objects.create(address="10.250.0.1", pool=pool, state="warm")
    providers = list(MailboxProvider.objects.values_list("pk", flat=True))
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    factors = [
        {
            "code": "seed_inbox",
            "effect": "positive",
            "scope": "reputation",
            "weight": 20,
            "value": 0.95,
            "threshold": 0.9,
            "sentence": "positive: 95% of 40 seed messages at Google reached the inbox",
        }
    ]
    DomainSnapshot.objects.bulk_create(
        (
            DomainSnapshot(
                domain=domain,
                provider_id=p,
                day=today - timedelta(days=n),
                delivered=1000 + n,
                offered=1010 + n,
                complaints=n % 3,
                inbox=20,
                spam=2,
                pm_spam_rate=0.0008,
                reputation="positive",
                deliverability="high",
                score=70,
                factors=factors,
                sentence=factors[0]["sentence"],
                computed_at=now,
            )
            for n in range(400)
            for p in providers
        ),
        batch_size=5000,
    )
    IpSnapshot.objects.bulk_create(
        (
            IpSnapshot(
                ip=ip,
                provider_id=p,
                day=today - timedelta(days=n),
                delivered=900,
                offered=910,
                warmup_state="warm",
                cap=2000,
                used=910,
                snds_filter="GREEN",
                computed_at=now,
            )
            for n in range(400)
            for p in providers
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="127.0.0.1")
    results = {}
    for label, url in (
        ("domain", f"/api/v1/domains/{domain.pk}/reputation/?days=400"),
        ("ip", f"/api/v1/ips/{ip.address}/reputation/?days=400"),
        ("overview", "/api/v1/reputation/"),
    ):
        client.get(url)  # warm: token cache, prepared statements, connection
        times = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:200]
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[label] = (statistics.median(times) * 1000, len(queries), len(response.content))
    reset_queries()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=10000)
    parser.add_argument("--ips", type=int, default=10000)
    parser.add_argument("--scales", default="0.1,1", help="fractions of the sizes, in order")
    args = parser.parse_args()
    require_database()
    call_command("migrate", verbosity=0)
    providers = MailboxProvider.objects.count()
    print(f"PostgreSQL {connection.pg_version // 10000}; {providers} providers")
    print(
        f"{'domains':>8} {'IPs':>7} {'snapshots':>10} {'seconds':>8} {'SQL':>4} "
        f"{'floor s':>8} {'ratio':>6} {'rerun s':>8}"
    )
    for scale in (float(s) for s in args.scales.split(",")):
        domains, ips = int(args.domains * scale), int(args.ips * scale)
        r = measure_job(domains, ips)
        print(
            f"{domains:>8,} {ips:>7,} {r['rows']:>10,} {r['seconds']:>8.2f} "
            f"{r['statements']:>4} {r['floor']:>8.2f} {r['seconds'] / r['floor']:>6.1f} "
            f"{r['rerun']:>8.2f}   ({r['negative']:,} negative verdicts)"
        )
    print()
    print("API, median of 20 (server time in-process), queries, bytes:")
    for label, (ms, queries, size) in measure_api().items():
        print(f"  {label:<9} {ms:7.1f} ms  {queries} queries  {size:,} bytes")
    empty()


if __name__ == "__main__":
    main()
