#!/usr/bin/env python
"""One seed sweep over 50 seed mailboxes on a local Dovecot holding 200 warm-up messages each.

    .venv/bin/python bench/sweep.py [--seeds 50] [--messages 200]

Starts a throw-away Dovecot (warmup_site/testing/dovecot.py), writes the messages straight into
the seeds' maildirs (half in INBOX, half in Junk), records them as sent warm-up messages, and
runs the scheduled job's service (`engagement.services.sweep.seeds_sweep`) once, in-process,
against the database named by BENCH_DATABASE_URL (default: a throw-away SQLite file). Actions
follow without delay (WARMUP_ACTION_DELAY_MINUTES=0,0) so the one sweep locates, rescues,
marks read and flags; replies are off (no SMTP here). Prints seconds per sweep and IMAP round
trips per message found. Goal (issue #6): ≤ 3 round trips per message found.
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

from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account  # noqa: E402
from domains.models import Domain  # noqa: E402
from engagement.models import SeedAction, SeedMailbox, WarmupMessage  # noqa: E402
from engagement.services import sweep  # noqa: E402
from engagement.services.seeds import seed_create  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402
from warmup_site.testing.dovecot import DovecotServer  # noqa: E402

GOAL = 3.0
PASSWORD = "bench"


def message(message_id: str, to: str) -> bytes:
    return (
        f"From: hello@bench.example\r\nTo: {to}\r\nSubject: Notes from this morning\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hi,\r\n\r\nThe numbers look better than we expected.\r\n\r\nBest,\r\nSam\r\n"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    for model in (SeedAction, WarmupMessage, SeedMailbox):
        model.objects.all().delete()
    Domain.objects.filter(name="bench.example").delete()
    settings.WARMUP_ACTION_DELAY_MINUTES = [0, 0]
    settings.WARMUP_REPLY_PROBABILITY = 0.0

    dovecot = DovecotServer(max_connections=200).start()
    try:
        account, _ = Account.objects.get_or_create(name="Bench", defaults={"slug": "bench"})
        domain = Domain.objects.create(
            account=account, name="bench.example", status=Domain.Status.VERIFIED
        )
        google = MailboxProvider.objects.get(slug="google")
        sent_at = timezone.now() - timedelta(hours=1)
        rows = []
        for n in range(args.seeds):
            address = f"seed{n}@bench-{uuid.uuid4().hex[:4]}.test"
            dovecot.add_user(address, PASSWORD)
            seed = seed_create(
                provider=google,
                address=address,
                secret=PASSWORD,
                imap_host=dovecot.host,
                imap_port=dovecot.port,
                imap_tls="none",
            )
            home = dovecot.dir / "mail" / address
            for i in range(args.messages):
                message_id = f"<{uuid.uuid4().hex}@bench.example>"
                folder = home / ("Junk" if i % 2 else "") / "new"
                (folder / f"{time.time_ns()}.{n}.{i}.bench").write_bytes(
                    message(message_id, address)
                )
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
        subprocess.run(["chown", "-R", "dovecot:dovecot", str(dovecot.dir / "mail")], check=True)
        WarmupMessage.objects.bulk_create(rows, batch_size=2000)

        started = time.perf_counter()
        summary = sweep.seeds_sweep()
        seconds = time.perf_counter() - started
    finally:
        dovecot.stop()

    per_found = summary.round_trips_per_found
    print(f"database: {django.db.connection.vendor}")
    print(f"seeds: {summary.seeds}, messages: {args.seeds * args.messages}")
    print(f"found: {summary.found}, missing: {summary.missing}, actions: {summary.actions}")
    print(f"errors: {summary.seed_errors} {summary.errors[:3]}")
    print(f"one sweep: {seconds:.2f} s ({seconds / max(summary.seeds, 1) * 1000:.0f} ms per seed)")
    print(f"IMAP round trips: {summary.round_trips} = {per_found:.3f} per message found")
    print(f"goal ≤ {GOAL:.0f} per message found: {'met' if per_found <= GOAL else 'NOT met'}")
    if os.environ["DATABASE_URL"].startswith("sqlite:///"):
        shutil.rmtree(
            Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).parent, ignore_errors=True
        )


if __name__ == "__main__":
    main()
