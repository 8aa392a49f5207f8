#!/usr/bin/env python
"""The dashboards' pages on PostgreSQL: server time (median), queries and size of

* /domains/ of an account with 2,000 domains (each with its records, half warming up), and a
  searched later page; /ips/ of an account with 100 dedicated IPs × 11 providers;
* the domain page and the IP page with 90 days × 11 providers of snapshots (plus the plan's
  days, the decisions), at the default 30-day window and at 90 days;
* the overview of that account;
* the operators' fleet view (admin) with 10,000 warming (IP, provider) pairs, a later page,
  a filter, and the domain plans' tab.

    .venv/bin/python bench/pages.py [--runs 15]

Uses the PostgreSQL database named by BENCH_DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/wt_pages_bench; created when missing)
and EMPTIES ITS DOMAIN, IP AND REPUTATION TABLES.

Server time is the in-process test client's (middleware, session, view, templates), production
settings. Goals (issue 14): lists under 100 ms; the domain and IP pages ≤ 150 ms with a
constant number of queries; the fleet view ≤ 300 ms.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wt_pages_bench")
from bench.support.server import configure_environment, require_database
from bench.support.tables import empty_ip_tables

configure_environment()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Account  # noqa: E402
from accounts.services import account_create, user_make_operator  # noqa: E402
from domains.models import (  # noqa: E402
    Domain,
    DomainRecord,
    DomainWarmup,
    DomainWarmupDay,
    DomainWarmupPlan,
)
from ips.models import DedicatedIp, IpPool, IpWarmup, IpWarmupDay, IpWarmupDecision  # noqa: E402
from ips.services import ip_create  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402
from reputation.models import DomainSnapshot, IpSnapshot  # noqa: E402
from reputation.tests.history import domain_history, ip_history  # noqa: E402

TODAY = datetime.now(UTC).date()
PASSWORD = "bench-pages-pass-1234"


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
                    IpWarmupDecision,
                    DomainWarmupDay,
                    DomainWarmupPlan,
                    DomainWarmup,
                    DomainRecord,
                )
            )
            + " RESTART IDENTITY CASCADE"
        )
    Domain.objects.filter(account__slug__startswith="bench-").delete()
    Account.objects.filter(slug__startswith="bench-").delete()
    get_user_model().objects.filter(username__startswith="bench-pages").delete()


def build_account() -> tuple[Account, Domain, DedicatedIp]:
    """The customer: 2,000 domains (records; half warming at 4 providers), 100 IPs warming at
    every provider, and one domain and one IP with 90 days × 11 providers of history."""
    account, _membership, _key = account_create(
        name="Bench pages", owner_username="bench-pages", password=PASSWORD
    )
    Account.objects.filter(pk=account.pk).update(slug="bench-pages")
    providers = list(MailboxProvider.objects.order_by("position"))
    Domain.objects.bulk_create(
        (
            Domain(
                account=account,
                name=f"d{n:04}.bench.example",
                status="verified" if n % 3 else "pending",
            )
            for n in range(2000)
        ),
        batch_size=2000,
    )
    seeded = [p.pk for p in providers[:4]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(DomainRecord)} (domain_id, kind, type, host, value, required, "
            "position, status, found, detail) "
            "SELECT d.id, k.kind, 'TXT', k.kind || '.' || d.name, 'v=bench', true, k.pos, "
            "CASE WHEN d.status = 'verified' THEN 'ok' ELSE 'pending' END, '', '' "
            f"FROM {q(Domain)} d CROSS JOIN (VALUES ('ownership', 0), ('spf', 1), ('dkim', 2), "
            "('dmarc', 3), ('return_path', 4)) AS k(kind, pos) WHERE d.account_id = %s",
            [account.pk],
        )
        cursor.execute(
            f"INSERT INTO {q(DomainWarmup)} (domain_id, enabled, state, changed_by, "
            "keep_warm) "
            f"SELECT id, true, 'warming', 'bench', true FROM {q(Domain)} "
            "WHERE account_id = %s AND status = 'verified' AND id %% 2 = 0",
            [account.pk],
        )
        cursor.execute(
            f"INSERT INTO {q(DomainWarmupPlan)} (warmup_id, provider_id, started_on, day, step, "
            "volume, state, reason, last_step_on) "
            f"SELECT w.id, p, %s, 4, 3, 18, 'warming', '', %s FROM {q(DomainWarmup)} w "
            "CROSS JOIN unnest(%s::bigint[]) p",
            [(TODAY - timedelta(days=3)).isoformat(), TODAY.isoformat(), seeded],
        )
        cursor.execute(
            f"INSERT INTO {q(DomainWarmupDay)} (plan_id, date, day, volume, decision, reason, "
            "sent, inbox, spam, missing, engaged) "
            f"SELECT id, %s::date - g, 4 - g, 18, 'advance', '', 18, 14, 3, 1, 12 "
            f"FROM {q(DomainWarmupPlan)} CROSS JOIN generate_series(0, 3) g",
            [TODAY.isoformat()],
        )
    pool = IpPool.objects.create(account=account, name="main", is_default=True)
    for n in range(100):
        ip = ip_create(pool=pool, address=f"10.9.0.{n + 1}", check=False)
        DedicatedIp.objects.filter(pk=ip.pk).update(state="warming", readiness="passed")
    IpWarmup.objects.filter(ip__pool=pool).update(state="warming", stage=2, daily_cap=1600)
    big = Domain.objects.create(account=account, name="big.bench.example", status="verified")
    domain_history(big, days=90, providers=providers, today=TODAY)
    ip = DedicatedIp.objects.get(address="10.9.0.1")
    ip_history(ip, days=90, providers=providers, today=TODAY)
    return account, big, ip


def build_fleet() -> None:
    """10,010 warming (IP, provider) pairs in 10 other accounts: 910 IPs × 11 providers, some
    backing off, suspended or cooling, each with 14 days of counters."""
    accounts = Account.objects.bulk_create(
        Account(name=f"Bench fleet {n}", slug=f"bench-fleet-{n}") for n in range(10)
    )
    pools = IpPool.objects.bulk_create(
        IpPool(account=a, name="main", is_default=True) for a in accounts
    )
    DedicatedIp.objects.bulk_create(
        (
            DedicatedIp(
                address=f"10.8.{n // 256}.{n % 256}",
                pool=pools[n % 10],
                state="warming",
                readiness="passed",
            )
            for n in range(910)
        ),
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(IpWarmup)} (ip_id, provider_id, state, stage, daily_cap, "
            "sending_days, stage_days, idle_days, target_days, trouble_cap, suspension_reason, "
            "suspension_kind, resume_state, suspended_until, started_on, updated_at) "
            "SELECT ip.id, p.id, CASE WHEN ip.id %% 17 = 0 THEN 'backoff' WHEN ip.id %% 23 = 0 "
            "THEN 'cooling' ELSE 'warming' END, 1 + ip.id %% 8, 1000 + (ip.id %% 8) * 900, 9, "
            "1, 0, 0, 0, '', '', '', CASE WHEN ip.id %% 31 = 0 THEN now() + interval '1 hour' "
            "END, %s, now() "
            f"FROM {q(DedicatedIp)} ip CROSS JOIN {q(MailboxProvider)} p "
            "WHERE host(ip.address) LIKE '10.8.%%'",
            [(TODAY - timedelta(days=9)).isoformat()],
        )
        cursor.execute(
            f"INSERT INTO {q(IpWarmupDay)} (warmup_id, day, cap, routed, last_claim, delivered, "
            "deferred, bounced, hard_bounced, throttled, blocked, blocklisted, complaints) "
            "SELECT w.id, %s::date - g, w.daily_cap - g * 50, w.daily_cap - g * 50, 0, "
            "w.daily_cap - g * 50, 0, 0, 0, 0, 0, 0, 0 "
            f"FROM {q(IpWarmup)} w JOIN {q(DedicatedIp)} ip ON ip.id = w.ip_id "
            "CROSS JOIN generate_series(1, 14) g WHERE host(ip.address) LIKE '10.8.%%'",
            [TODAY.isoformat()],
        )
        cursor.execute("ANALYZE")


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int, int]:
    """(median ms, 90th percentile ms, queries, KiB) of a page."""
    response = client.get(url)  # warm: the session, prepared statements, templates
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    return statistics.median(times), p90, len(queries), len(response.content) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    require_database()
    call_command("migrate", verbosity=0)
    # Production settings hash static files' names from the manifest (staticfiles/, ignored).
    call_command("collectstatic", "--noinput", verbosity=0)
    empty()
    started = time.perf_counter()
    _account, big, ip = build_account()
    build_fleet()
    built = time.perf_counter() - started
    print(f"PostgreSQL {connection.pg_version // 10000}; data built in {built:.0f} s")
    customer = Client(HTTP_HOST="127.0.0.1")
    # force_login: django-axes wants the request of a real login form.
    customer.force_login(get_user_model().objects.get(username="bench-pages"))
    operator = get_user_model().objects.create_user(username="bench-pages-op", password=PASSWORD)
    user_make_operator(user=operator)
    admin = Client(HTTP_HOST="127.0.0.1")
    admin.force_login(operator)
    pages = [
        ("customer", "/domains/ (2,000 domains, page 1)", "/domains/", 100),
        ("customer", "/domains/?q=bench&page=30", "/domains/?q=bench&page=30", 100),
        ("customer", "/ips/ (100 IPs × 11 providers)", "/ips/", 100),
        ("customer", "domain page, 30 days × 11", f"/domains/{big.pk}/", 150),
        ("customer", "domain page, 90 days × 11", f"/domains/{big.pk}/?days=90", 150),
        ("customer", "IP page, 30 days × 11", f"/ips/{ip.address}/", 150),
        ("customer", "IP page, 90 days × 11", f"/ips/{ip.address}/?days=90", 150),
        ("customer", "overview", "/", 150),
        ("operator", "fleet, 10,010 pairs, page 1", "/admin/reputation/warmupfleet/", 300),
        ("operator", "fleet, page 100", "/admin/reputation/warmupfleet/?page=100", 300),
        ("operator", "fleet, backing off", "/admin/reputation/warmupfleet/?state=backoff", 300),
        ("operator", "fleet, domain plans", "/admin/reputation/warmupfleet/?kind=domains", 300),
        ("operator", "admin domain page, 30 × 11", f"/admin/domains/domain/{big.pk}/change/", 300),
    ]
    print(f"median and p90 of {args.runs} requests, server time in-process")
    print(f"{'page':<38} {'median':>8} {'p90':>8} {'queries':>8} {'KiB':>6} {'goal':>7}")
    for who, label, url, goal in pages:
        median, p90, queries, size = measure(
            customer if who == "customer" else admin, url, args.runs
        )
        mark = "ok" if median <= goal else "OVER"
        print(
            f"{label:<38} {median:>6.1f}ms {p90:>6.1f}ms {queries:>8} {size:>6} {goal:>4} ms {mark}"
        )
    empty()


if __name__ == "__main__":
    main()
