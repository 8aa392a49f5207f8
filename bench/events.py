#!/usr/bin/env python
"""Delivery-event ingestion: POST /api/v1/events/ under gunicorn + PostgreSQL, 1,000 a batch.

    .venv/bin/python bench/events.py [--batches 200] [--clients 4] [--workers 4]

Uses the PostgreSQL database named by BENCH_DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/wt_ips_bench; created when missing)
and EMPTIES ITS EVENT AND IP TABLES. Serves the app with gunicorn on a free port
in 18000-18099 (DEBUG=false, fresh SECRET_KEY and encryption key) and posts pre-built batches
from CLIENTS processes over keep-alive connections: every batch holds 1,000 events (delivered,
deferred with Gmail's and Yahoo's real throttling replies, bounced with 5.1.1, complaints) for
the account's IPs and one address that is not ours, each event with its own timestamp (one
every 15 ms over the hour before the run) and its own reply text (a queue id in it, as real
replies have); one batch in five is sent a second time and must be ignored.

Figure: events received per second, duplicates included, and new events stored per second.
Goal: at least 20,000 new events stored per second. For scale, the floor measured in the same
run: the same batches posted to a bare DRF endpoint (default authentication, parses the JSON,
answers a constant). Afterwards it asserts that every distinct event was stored exactly once
and that the day counters count each stored event of our IPs exactly once.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.support.server import Gunicorn, configure_environment, require_database
from bench.support.tables import empty_ip_tables

configure_environment()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import Account  # noqa: E402
from domains import services as domain_services  # noqa: E402
from ips import services  # noqa: E402
from ips.models import (  # noqa: E402
    DeliveryEvent,
    IpWarmupDay,
)

IPS = ["203.0.113.3", "2001:db8::3"]
NOT_OURS = "198.51.100.250"
RECIPIENT_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "gmx.de"]
# (type, SMTP code, enhanced status, reply, recipient domain: None for any); the throttling
# replies go to the provider whose rule they match. Each reply ends with a per-message part
# ({q}: a queue id), as real replies do, so that no two events of a batch share a reply text.
KINDS = [
    ("delivered", 250, "2.0.0", "250 2.0.0 OK  1700000000 {q}.12 - gsmtp", None),
    ("delivered", 250, "2.0.0", "250 2.0.0 OK: queued as {q}", None),
    ("delivered", 250, "", "250 OK id=1rAbCd-{q}-XY", None),
    (
        "deferred",
        421,
        "4.7.28",
        "421-4.7.28 [203.0.113.3      15] Our system has detected an unusual rate of "
        "unsolicited mail originating from your IP address. {q} - gsmtp",
        "gmail.com",
    ),
    (
        "deferred",
        421,
        "4.7.0",
        "421 4.7.0 [TSS04] Messages from 203.0.113.3 temporarily deferred due to unexpected "
        "volume or user complaints - 4.16.55.1; {q}",
        "yahoo.com",
    ),
    (
        "bounced",
        550,
        "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist. {q} - gsmtp",
        None,
    ),
    ("complaint", None, "", "", None),
    ("delivered", 250, "2.0.0", "250 2.0.0 Ok: queued as {q}", None),
]
# Events spread over the hour before the run, one every 15 ms: each has its own timestamp.
SPACING = timedelta(milliseconds=15)


def setup() -> str:
    call_command("migrate", verbosity=0)
    empty_ip_tables()
    _account, _membership, token = account_services.account_create(
        name="Bench Sender", owner_username="bench", password="bench-password-1"
    )
    account = Account.objects.get(slug="bench-sender")
    # The sender domain is the account's own, as a customer token requires.
    domain_services.domain_create(account=account, name="bench.example")
    pool = services.ip_pool_create(name="bench", account=account)
    for address in IPS:
        services.ip_create(pool=pool, address=address, warm=True, check=False)
    return token


def batch(number: int, start: datetime) -> bytes:
    events = []
    for n in range(1000):
        kind, code, status, reply, domain = KINDS[n % len(KINDS)]
        domain = domain or RECIPIENT_DOMAINS[n % len(RECIPIENT_DOMAINS)]
        sequence = number * 1000 + n
        events.append(
            {
                "id": f"msg-{number}-{n}",
                "type": kind,
                "ip": NOT_OURS if n % 50 == 0 else IPS[n % len(IPS)],
                "sender_domain": "bench.example",
                "recipient": f"user{number}.{n}@{domain}",
                "smtp_code": code,
                "enhanced_status": status,
                "response": reply.format(q=f"a{sequence:08x}si{n:04d}qkb"),
                "timestamp": (start + sequence * SPACING).isoformat(),
            }
        )
    return json.dumps({"events": events}).encode()


def client(port: int, token: str, path: str, bodies: list[bytes], start, results) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    stored = duplicates = 0
    start.wait()
    for body in bodies:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}: {data[:300]!r}")
        answer = json.loads(data)
        stored += answer.get("stored", 0)
        duplicates += answer.get("duplicates", 0)
    conn.close()
    results.put((stored, duplicates))


def run(port: int, token: str, path: str, plan: list[bytes], clients: int) -> tuple:
    start = multiprocessing.Barrier(clients + 1)
    results = multiprocessing.Queue()
    shares = [plan[i::clients] for i in range(clients)]
    processes = [
        multiprocessing.Process(target=client, args=(port, token, path, share, start, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    answers = [results.get() for _ in processes]
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
        if process.exitcode:
            sys.exit(f"a client failed on {path}")
    return elapsed, sum(a[0] for a in answers), sum(a[1] for a in answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="distinct batches of 1,000")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    require_database()
    token = setup()
    # Spread over the hour before now (the API refuses timestamps in the future).
    start = timezone.now() - (args.batches + 8) * 1000 * SPACING
    bodies = [batch(n, start) for n in range(args.batches)]
    resent = bodies[::5]  # one batch in five, sent again after its first copy
    plan = bodies[: len(bodies) // 2] + resent + bodies[len(bodies) // 2 :]
    warmup = [batch(n, start) for n in range(args.batches, args.batches + 8)]
    with Gunicorn(workers=args.workers) as server:
        run(server.port, token, "/bench/bare-auth/", warmup, args.clients)
        floor_time, _, _ = run(server.port, token, "/bench/bare-auth/", plan, args.clients)
        run(server.port, token, "/api/v1/events/", warmup, args.clients)  # warm the workers
        elapsed, stored, duplicates = run(server.port, token, "/api/v1/events/", plan, args.clients)

    # Correctness: each distinct event once, counters once per stored event of our IPs.
    connection.close()
    account = Account.objects.get(slug="bench-sender")
    distinct = (args.batches + len(warmup)) * 1000
    assert stored == args.batches * 1000, (stored, args.batches * 1000)
    assert duplicates == len(resent) * 1000, (duplicates, len(resent) * 1000)
    assert DeliveryEvent.objects.filter(account=account).count() == distinct
    ours = DeliveryEvent.objects.filter(account=account, ip__isnull=False).count()
    totals = IpWarmupDay.objects.aggregate(
        delivered=Sum("delivered"),
        deferred=Sum("deferred"),
        bounced=Sum("bounced"),
        complaints=Sum("complaints"),
        throttled=Sum("throttled"),
        hard=Sum("hard_bounced"),
    )
    counted = totals["delivered"] + totals["deferred"] + totals["bounced"] + totals["complaints"]
    assert counted == ours, (counted, ours)
    assert totals["throttled"] == totals["deferred"], totals  # both replies are throttling
    assert totals["hard"] == totals["bounced"], totals

    sent = len(plan) * 1000
    print(
        f"database: {connection.vendor}; gunicorn --workers {args.workers}; {args.clients} clients"
    )
    print(
        f"{len(plan)} batches of 1,000 events ({len(resent)} of them sent twice), "
        f"{sent:,} events posted"
    )
    print(f"floor (bare DRF POST, same bodies):  {sent / floor_time:>10,.0f} events/s")
    print(f"POST /api/v1/events/ received:       {sent / elapsed:>10,.0f} events/s")
    print(
        f"  new events stored and counted:     {stored / elapsed:>10,.0f} events/s (goal: 20,000)"
    )
    print(f"  duplicates ignored:                {duplicates:>10,}")
    print(f"  ratio to the floor: {floor_time / elapsed:.2f}")
    print(
        f"checked: {distinct:,} distinct events stored once; day counters hold {counted:,} "
        f"events of our IPs, {totals['throttled']:,} throttled, {totals['hard']:,} hard bounces"
    )
    if stored / elapsed < 20_000:
        sys.exit("below the goal")


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    main()
