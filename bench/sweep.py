#!/usr/bin/env python
"""The seeds' sweep on a local Dovecot: IMAP round trips per seed and per message found, at 2,
10 and 200 messages per seed.

    .venv/bin/python bench/sweep.py [--seeds 50] [--sizes 2,10,200]

Starts a throw-away Dovecot (warmup_site/testing/dovecot.py) and runs the scheduled job's
service (`engagement.services.sweep.seeds_sweep`) in-process, against the database named by
BENCH_DATABASE_URL (default: a throw-away SQLite file). For each size, on fresh seeds:

1. the messages are recorded as sent (not delivered yet) and a first sweep runs: it finds
   nothing, records each seed's folder state, does the day's purge and keeps its connection;
2. a second sweep, nothing having arrived: the cost of an **unchanged seed**;
3. the messages are delivered straight into the seeds' maildirs (half in INBOX, half in Junk)
   and the **measured sweep** runs: it locates every message and, actions following without
   delay (WARMUP_ACTION_DELAY_MINUTES=0,0), rescues, marks read and flags in the same sweep
   (replies off: no SMTP here) — round trips per message found;
4. the same again with every kept connection closed before steps 2 and 3 (a worker that just
   started): those sweeps then log in too.

Goal (issue #15): an unchanged seed costs at most 2 round trips; at most 3 per message found at
2 messages per seed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "true")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account  # noqa: E402
from domains.models import Domain  # noqa: E402
from engagement.models import SeedAction, SeedMailbox, WarmupMessage  # noqa: E402
from engagement.seedclient import pool  # noqa: E402
from engagement.services import sweep  # noqa: E402
from engagement.services.seeds import seed_create  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402
from warmup_site.testing.dovecot import DovecotServer  # noqa: E402

UNCHANGED_GOAL = 2
PER_MESSAGE_GOAL = 3.0
PASSWORD = "bench"


def message(message_id: str, to: str) -> bytes:
    return (
        f"From: hello@bench.example\r\nTo: {to}\r\nSubject: Notes from this morning\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hi,\r\n\r\nThe numbers look better than we expected.\r\n\r\nBest,\r\nSam\r\n"
    ).encode()


def prepare(dovecot, domain, seeds: int, size: int) -> dict[str, list[tuple[str, int]]]:
    """Fresh seeds, and `size` messages each recorded as sent; returns address → [(id, n)]."""
    for model in (SeedAction, WarmupMessage, SeedMailbox):
        model.objects.all().delete()
    google = MailboxProvider.objects.get(slug="google")
    sent_at = timezone.now()
    rows, pending = [], {}
    for n in range(seeds):
        address = f"seed{n}@bench-{uuid.uuid4().hex[:6]}.test"
        dovecot.add_user(address, PASSWORD)
        seed = seed_create(
            provider=google,
            address=address,
            secret=PASSWORD,
            imap_host=dovecot.host,
            imap_port=dovecot.port,
            imap_tls="none",
        )
        pending[address] = []
        for i in range(size):
            message_id = f"<{uuid.uuid4().hex}@bench.example>"
            pending[address].append((message_id, i))
            rows.append(
                WarmupMessage(
                    domain=domain,
                    provider=google,
                    seed=seed,
                    message_id=message_id,
                    sender="hello@bench.example",
                    scheduled_at=sent_at,
                    sent_at=sent_at,
                    status=WarmupMessage.Status.SENT,
                )
            )
    WarmupMessage.objects.bulk_create(rows, batch_size=2000)
    return pending


def deliver(dovecot, pending: dict[str, list[tuple[str, int]]]) -> None:
    for address, items in pending.items():
        home = dovecot.dir / "mail" / address
        for message_id, i in items:
            folder = home / ("Junk" if i % 2 else "") / "new"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{time.time_ns()}.{i}.bench").write_bytes(message(message_id, address))
    subprocess.run(["chown", "-R", "dovecot:dovecot", str(dovecot.dir / "mail")], check=True)


def run_size(dovecot, domain, seeds: int, size: int, *, fresh: bool) -> dict:
    pending = prepare(dovecot, domain, seeds, size)
    first = sweep.seeds_sweep()
    if fresh:
        pool.close_all()
    unchanged = sweep.seeds_sweep()
    deliver(dovecot, pending)
    if fresh:
        pool.close_all()
    started = time.perf_counter()
    measured = sweep.seeds_sweep()
    seconds = time.perf_counter() - started
    pool.close_all()
    return {
        "size": size,
        "fresh": fresh,
        "first": first.round_trips / max(first.seeds, 1),
        "unchanged": unchanged.round_trips / max(unchanged.seeds, 1),
        "found": measured.found,
        "round_trips": measured.round_trips,
        "per_seed": measured.round_trips / max(measured.seeds, 1),
        "per_found": measured.round_trips_per_found,
        "actions": measured.actions,
        "errors": measured.seed_errors + first.seed_errors + unchanged.seed_errors,
        "seconds": seconds,
        "expected": seeds * size,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--sizes", default="2,10,200")
    parser.add_argument(
        "--slots",
        type=int,
        default=0,
        help="WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST (default: one per seed, so that every seed's "
        "connection can be kept between sweeps)",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    Domain.objects.filter(name="bench.example").delete()
    settings.WARMUP_ACTION_DELAY_MINUTES = [0, 0]
    settings.WARMUP_REPLY_PROBABILITY = 0.0
    settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST = args.slots or args.seeds
    settings.WARMUP_IMAP_SLOT_DIR = Path(tempfile.mkdtemp(prefix="bench-slots-"))

    dovecot = DovecotServer(max_connections=200).start()
    results = []
    try:
        account, _ = Account.objects.get_or_create(name="Bench", defaults={"slug": "bench"})
        domain = Domain.objects.create(
            account=account, name="bench.example", status=Domain.Status.VERIFIED
        )
        for size in [int(s) for s in args.sizes.split(",")]:
            for fresh in (False, True):
                results.append(run_size(dovecot, domain, args.seeds, size, fresh=fresh))
    finally:
        pool.close_all()
        dovecot.stop()

    slots = settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST
    print(
        f"database: {django.db.connection.vendor}; {args.seeds} seeds per run at one host, "
        f"{slots} connection slots for it"
    )
    print(
        "messages/seed | connection | first sweep RT/seed | unchanged RT/seed | measured: found, "
        "RT/seed, RT per message found, actions, seconds"
    )
    ok = True
    for r in results:
        connection = "new (login)" if r["fresh"] else "kept"
        print(
            f"{r['size']:>13} | {connection:<11} | {r['first']:>18.2f} | {r['unchanged']:>17.2f} | "
            f"{r['found']}/{r['expected']}, {r['per_seed']:.2f}, {r['per_found']:.3f}, "
            f"{r['actions']}, {r['seconds']:.2f} s"
            + (f"  ERRORS: {r['errors']}" if r["errors"] else "")
        )
        ok &= r["unchanged"] <= UNCHANGED_GOAL and r["per_found"] <= PER_MESSAGE_GOAL
        ok &= r["found"] == r["expected"] and not r["errors"]
    print(
        f"goal (unchanged seed ≤ {UNCHANGED_GOAL} round trips; ≤ {PER_MESSAGE_GOAL:g} per message "
        f"found): {'met' if ok else 'NOT met'}"
    )
    if os.environ["DATABASE_URL"].startswith("sqlite:///"):
        shutil.rmtree(
            Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).parent, ignore_errors=True
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
