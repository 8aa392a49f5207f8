#!/usr/bin/env python
"""Classification throughput: 1,000,000 recipient addresses over 10,000 cached domains.

    .venv/bin/python bench/classify.py [--addresses 1000000] [--domains 10000]

Runs in-process against the database named by DATABASE_URL (default: a throw-away SQLite file).
The floor, measured in the same run, is the least work any classifier must do per address: a
plain loop that extracts the domain, folds its case and looks it up in a dict that already
holds the answer. Our figure includes everything the routing hot path does: registry snapshot,
normalising each distinct domain, reading the MX cache from the database, mapping addresses.
Goal (issue #2): at least 25% of the floor.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "true")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from providers import registry, services  # noqa: E402
from providers.models import RecipientDomain  # noqa: E402

MX = [
    ["aspmx.l.google.com", "alt1.aspmx.l.google.com"],
    ["acme.mail.protection.outlook.com"],
    ["mta5.am0.yahoodns.net"],
    ["mx.zoho.eu"],
    ["mx1.self-hosted.example"],
]


def setup(domains: list[str]) -> None:
    call_command("migrate", verbosity=0)
    RecipientDomain.objects.all().delete()
    now = timezone.now()
    RecipientDomain.objects.bulk_create(
        [
            RecipientDomain(
                domain=d,
                source="mx",
                mx_hosts=MX[i % len(MX)],
                checked_at=now,
                expires_at=now + timezone.timedelta(days=1),
            )
            for i, d in enumerate(domains)
        ],
        batch_size=2000,
    )


def floor(addresses: list[str], table: dict[str, str]) -> list[str]:
    return [table[address.rpartition("@")[2].lower()] for address in addresses]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(7)
    domains = [f"company{n}.example" for n in range(args.domains)]
    addresses = [f"user{n}@{rng.choice(domains)}" for n in range(args.addresses)]
    setup(domains)
    expected = {d: services.domains_classify(domains=[d])[d].provider for d in domains[:50]}
    table = {
        d: registry.get_registry().provider_for_mx(MX[i % len(MX)]) for i, d in enumerate(domains)
    }

    floor_times, our_times = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        floor(addresses, table)
        floor_times.append(time.perf_counter() - start)

        registry.invalidate()  # include loading the registry snapshot, as a fresh process would
        start = time.perf_counter()
        result = services.addresses_provider(addresses=addresses)
        our_times.append(time.perf_counter() - start)
    assert len(result) == len(addresses)
    for address, provider in zip(addresses[:1000], result[:1000], strict=True):
        domain = address.rpartition("@")[2]
        assert provider == table[domain], (address, provider)
        if domain in expected:
            assert provider == expected[domain]

    floor_rate = args.addresses / statistics.median(floor_times)
    our_rate = args.addresses / statistics.median(our_times)
    print(f"database: {connection.vendor}")
    print(
        f"{args.addresses:,} addresses over {args.domains:,} cached domains, median of "
        f"{args.repeat} runs"
    )
    print(f"floor (dict lookup loop):   {floor_rate:>12,.0f} addresses/s")
    print(f"addresses_provider():       {our_rate:>12,.0f} addresses/s")
    print(f"ratio: {our_rate / floor_rate:.0%} of the floor (goal: at least 25%)")
    if our_rate / floor_rate < 0.25:
        sys.exit("below the goal")


if __name__ == "__main__":
    main()
