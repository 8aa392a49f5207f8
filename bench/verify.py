#!/usr/bin/env python
"""Daily re-verification: 1,000 domains × five records against a DNS server with 20 ms latency.

    .venv/bin/python bench/verify.py [--domains 1000] [--latency 0.02] [--sequential-sample 200]

Runs the scheduled job's service (`domains.services.domains_reverify_due`: claim batches, look
up every record, evaluate SPF/DKIM/DMARC, write the results in bulk) in-process against the
database named by DATABASE_URL (default: a throw-away SQLite file). The DNS server is the test
suite's real one (warmup_site/testing/dns_server.py), run in a child process so that it does
not share the benchmark's interpreter, answering every query after `--latency` seconds.

The floor, measured in the same run: the very same job with WARMUP_DNS_CONCURRENCY=1, i.e. the
same lookups issued one after another. It is measured on a sample of the domains (the rate is
per domain; all 1,000 would take about two minutes); `--sequential-sample 0` uses them all.
Goal (issue #3): the concurrent job checks at least 10× as many domains per second.
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "true")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account  # noqa: E402
from domains import dkim, services, verification  # noqa: E402
from domains.models import DkimKey, Domain, DomainRecord, new_ownership_token  # noqa: E402
from warmup_site import crypto  # noqa: E402
from warmup_site.testing.dns_server import DnsTestServer  # noqa: E402

SELECTOR = "bench"
GOAL = 10.0


def zone(names: list[str], tokens: list[str], key: dkim.KeyPair) -> list[tuple[str, str, str]]:
    target = settings.WARMUP_RETURN_PATH_TARGET
    records = [(settings.WARMUP_SPF_INCLUDE, "TXT", "v=spf1 ip4:192.0.2.0/24 -all")]
    for name, token in zip(names, tokens, strict=True):
        records += [
            (verification.ownership_host(name), "TXT", verification.ownership_value(token)),
            (name, "TXT", f"v=spf1 mx include:{settings.WARMUP_SPF_INCLUDE} ~all"),
            (dkim.record_host(SELECTOR, name), "TXT", f"v=DKIM1; k=rsa; p={key.public_b64}"),
            (f"_dmarc.{name}", "TXT", "v=DMARC1; p=quarantine"),
            (verification.return_path_host(name), "CNAME", target),
        ]
    return records


def serve(records, latency: float, conn) -> None:
    """The DNS server process: answers until told to stop; reports (queries, max in flight)."""
    server = DnsTestServer(latency=latency).start()
    for name, rtype, value in records:
        server.add(name, rtype, value)
    conn.send(server.address)
    while True:
        command = conn.recv()
        if command == "stats":
            conn.send((len(server.queries), server.max_in_flight))
            server.queries.clear()
            server.max_in_flight = 0
        else:
            server.stop()
            return


def setup(names: list[str], tokens: list[str], key: dkim.KeyPair) -> list[int]:
    call_command("migrate", verbosity=0)
    Domain.objects.all().delete()
    account, _ = Account.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    domains = Domain.objects.bulk_create(
        [
            Domain(account=account, name=n, ownership_token=t)
            for n, t in zip(names, tokens, strict=True)
        ],
        batch_size=500,
    )
    private = crypto.encrypt(key.private_pem)
    keys = DkimKey.objects.bulk_create(
        [
            DkimKey(domain=d, selector=SELECTOR, public_key=key.public_b64, private_key=private)
            for d in domains
        ],
        batch_size=500,
    )
    DomainRecord.objects.bulk_create(
        [r for d, k in zip(domains, keys, strict=True) for r in verification.initial_records(d, k)],
        batch_size=1000,
    )
    return [d.pk for d in domains]


def make_due(ids: list[int]) -> None:
    """Pending again and due now: both runs do the same lookups and the same writes."""
    past = timezone.now() - timezone.timedelta(minutes=1)
    Domain.objects.update(next_check_at=past + timezone.timedelta(days=30))
    Domain.objects.filter(pk__in=ids).update(
        status=Domain.Status.PENDING, verified_at=None, next_check_at=past
    )


def timed_run(ids: list[int], dns_conn) -> tuple[float, int, int]:
    make_due(ids)
    start = time.perf_counter()
    summary = services.domains_reverify_due()
    elapsed = time.perf_counter() - start
    dns_conn.send("stats")
    queries, in_flight = dns_conn.recv()
    assert summary.checked == len(ids), summary
    assert summary.newly_verified == len(ids), summary.sentence()
    return elapsed, queries, in_flight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--sequential-sample", type=int, default=200)
    args = parser.parse_args()

    names = [f"sender{n}.bench.example" for n in range(args.domains)]
    tokens = [new_ownership_token() for _ in names]
    key = dkim.generate_key_pair()

    # The DNS server is forked before this process opens any database connection.
    parent, child = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(zone(names, tokens, key), args.latency, child), daemon=True
    )
    server.start()
    settings.WARMUP_DNS_NAMESERVERS = [parent.recv()]
    settings.WARMUP_DNS_TIMEOUT = 10.0
    try:
        ids = setup(names, tokens, key)
        concurrency = settings.WARMUP_DNS_CONCURRENCY
        concurrent_time, concurrent_queries, in_flight = timed_run(ids, parent)

        sample = ids[: args.sequential_sample] if args.sequential_sample else ids
        settings.WARMUP_DNS_CONCURRENCY = 1
        sequential_time, sequential_queries, _ = timed_run(sample, parent)
    finally:
        parent.send("stop")
        server.join(5)

    concurrent_rate = len(ids) / concurrent_time
    sequential_rate = len(sample) / sequential_time
    ratio = concurrent_rate / sequential_rate
    print(f"database: {connection.vendor}")
    print(
        f"{len(ids):,} domains × 5 records, DNS answering in {args.latency * 1000:.0f} ms "
        f"({concurrent_queries / len(ids):.1f} lookups per domain)"
    )
    print(
        f"floor (same job, no concurrency, {len(sample):,} domains): "
        f"{sequential_rate:>8,.1f} domains/s"
    )
    print(
        f"domains_reverify_due() (WARMUP_DNS_CONCURRENCY={concurrency}): "
        f"{concurrent_rate:>8,.1f} domains/s ({concurrent_time:.1f} s for all, "
        f"up to {in_flight} lookups in flight)"
    )
    print(f"ratio: {ratio:.1f}x the sequential rate (goal: at least {GOAL:.0f}x)")
    assert sequential_queries / len(sample) == concurrent_queries / len(ids)
    if ratio < GOAL:
        sys.exit("below the goal")


if __name__ == "__main__":
    main()
