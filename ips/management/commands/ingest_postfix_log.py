"""manage.py ingest_postfix_log: Postfix's delivery log lines → delivery events.

For operators who send through Postfix (one smtp transport per dedicated IP, docs/integrations.md):
every `status=sent|deferred|bounced` line of a transport that sends from one of our IPs becomes
the event the Haraka plugin would have posted, and is stored exactly as POST /api/v1/events/
stores it for the operators' sending pipeline (the same validation, ips.services.events_ingest
with pipeline=True): each event belongs to the account that verified its sender domain, and
counts for its IP whatever the pool. Event ids come from the lines, so reading a file again — or
a rotated file that overlaps — stores nothing twice.

    manage.py ingest_postfix_log /var/log/mail.log.1 /var/log/mail.log \\
        --transport postfix-ip5=203.0.113.5 --transport postfix-ip6=203.0.113.6 --timezone UTC
    tail -F /var/log/mail.log | manage.py ingest_postfix_log --transport postfix-ip5=203.0.113.5

Reading a stream, it stores what it has every --flush-seconds (5) while lines arrive, so the fast
back-off hears of throttling within seconds.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account
from domains.selectors import verified_domain_owners
from ips import inputs, services
from ips.addresses import normalise_ip
from ips.postfix_log import PostfixLogParser
from warmup_site.errors import ApplicationError


def _lines(paths: list[str]) -> Iterator[str]:
    for path in paths:
        if path == "-":
            yield from sys.stdin
            continue
        opener = gzip.open if path.endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
                yield from handle
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc


class Command(BaseCommand):
    help = (
        "Store Postfix's delivery results (status=sent|deferred|bounced lines of the per-IP smtp "
        "transports) as delivery events, each once. See docs/integrations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="*",
            default=["-"],
            help="Log files, oldest first (.gz is read too); none or '-': standard input.",
        )
        parser.add_argument(
            "--transport",
            action="append",
            default=[],
            metavar="SYSLOG_NAME=IP",
            help="The sending IP of the transport logging under this syslog name "
            "(master.cf: -o syslog_name=SYSLOG_NAME -o smtp_bind_address=IP). Repeat per IP. "
            "A syslog name that holds the IP itself (postfix/203.0.113.5) needs none.",
        )
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="The zone of traditional syslog timestamps (Nov 23 10:15:00), which carry "
            "none: Postfix logs local time. Default UTC.",
        )
        parser.add_argument(
            "--account",
            help="Store every event for this account (slug), as its own API token would: they "
            "count for its dedicated IPs only. Default: as the sending pipeline, each event for "
            "the account that verified its sender domain.",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=1000,
            help="Events stored per transaction (1-10000; default 1000).",
        )
        parser.add_argument(
            "--flush-seconds",
            type=float,
            default=5.0,
            help="Store what was read at least this often (a stream from tail -F); default 5.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the events as JSON lines instead of storing them.",
        )

    def handle(self, *args, **options):
        transports = {}
        for item in options["transport"]:
            name, equals, address = item.partition("=")
            if not equals or not name:
                raise CommandError(f"--transport {item!r}: write SYSLOG_NAME=IP.")
            try:
                transports[name] = normalise_ip(address)
            except ValueError as exc:
                raise CommandError(f"--transport {item!r}: {address!r} {exc}.") from None
        try:
            tz = ZoneInfo(options["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f"--timezone: {options['timezone']!r} is not a time zone (e.g. Europe/Berlin)."
            ) from None
        batch = options["batch"]
        if not 1 <= batch <= inputs.MAX_EVENTS:
            raise CommandError(f"--batch: give a number from 1 to {inputs.MAX_EVENTS}.")
        account = None
        if options["account"]:
            account = Account.objects.filter(slug=options["account"]).first()
            if account is None:
                raise CommandError(f"--account: there is no account {options['account']!r}.")

        parser = PostfixLogParser(transports=transports, tz=tz)
        self.totals: Counter = Counter()
        self.unknown: Counter = Counter()
        pending: list[dict] = []
        since = time.monotonic()
        for line in _lines(options["files"]):
            event = parser.feed(line)
            if event is not None and options["dry_run"]:
                self.stdout.write(json.dumps(event))
            elif event is not None:
                if not pending:
                    since = time.monotonic()
                pending.append(event)
            stale = pending and time.monotonic() - since >= options["flush_seconds"]
            if len(pending) >= batch or stale:
                self._store(pending, account=account, batch=batch)
                pending = []
        if pending:
            self._store(pending, account=account, batch=batch)
        self._summary(parser.stats, dry_run=options["dry_run"])

    def _store(self, events: list[dict], *, account: Account | None, batch: int) -> None:
        if account is None:
            owners = verified_domain_owners(names={e["sender_domain"] for e in events})
            for event in events:
                if owners[event["sender_domain"]] is None:
                    self.unknown[event["sender_domain"]] += 1
        for start in range(0, len(events), batch):
            self._ingest(account, events[start : start + batch])

    def _ingest(self, account: Account | None, events: list[dict]) -> None:
        now = timezone.now()
        while events:
            try:
                parsed = inputs.events_parse({"events": events}, now=now)
            except ApplicationError as exc:
                # The batch is all or nothing; set the one bad line aside and store the rest.
                index = _event_index(exc.field)
                if index is None:
                    raise CommandError(str(exc)) from exc
                self.stderr.write(f"skipped {events[index]['id']}: {exc}")
                self.totals["invalid"] += 1
                events = events[:index] + events[index + 1 :]
                continue
            result = services.events_ingest(
                account=account, events=parsed, now=now, pipeline=account is None
            )
            self.totals["stored"] += result.stored
            self.totals["duplicates"] += result.duplicates
            return

    def _summary(self, stats: Counter, *, dry_run: bool) -> None:
        ours = stats["delivered"] + stats["deferred"] + stats["bounced"]
        self.stdout.write(
            f"read {stats['lines']:,} lines: {ours:,} delivery results from our IPs "
            f"({stats['delivered']:,} delivered, {stats['deferred']:,} deferred, "
            f"{stats['bounced']:,} bounced)"
        )
        if not dry_run:
            self.stdout.write(
                f"stored {self.totals['stored']:,} new events, "
                f"{self.totals['duplicates']:,} already known"
            )
        skipped = []
        if stats["not ours"]:
            skipped.append(f"{stats['not ours']:,} from transports that are not our IPs")
        if stats["sender unknown"]:
            skipped.append(
                f"{stats['sender unknown']:,} whose sender was logged before this input "
                "(read the previous log file first)"
            )
        if self.totals["invalid"]:
            skipped.append(f"{self.totals['invalid']:,} the events API refuses (listed above)")
        if skipped:
            self.stdout.write("skipped: " + "; ".join(skipped))
        if self.unknown:
            names = ", ".join(sorted(self.unknown))
            self.stdout.write(
                f"in no account: {sum(self.unknown.values()):,} events from sender domains no "
                f"account has verified ({names}); stored, they count for shared-pool IPs only"
            )


def _event_index(field: str | None) -> int | None:
    if field and field.startswith("events["):
        return int(field[len("events[") : field.index("]")])
    return None
