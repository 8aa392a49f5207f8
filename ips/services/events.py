"""Delivery-event ingestion: store a batch once, count only what is new, all or nothing.

**Who counts for which IP.** A customer's own token reports for its account: the events are
stored for the account's figures, and they count (day counters, the fast back-off, hence the
nightly controller) only for the account's own dedicated IPs — never for a shared-pool IP, which
every account sends through. The operators' sending pipeline (a pipeline credential) reports for
every account: each event's account is the one that verified its sender domain; its events
count for that account's own IPs and for the shared IPs, aggregated across accounts. An event
whose sender domain no account verified is stored without an account and counts for shared IPs
only. Another account's IP is stored as an address and counts for nobody.

A batch (validated beforehand by ips.inputs.events_parse) is written in one transaction:

1. the events, with `INSERT … ON CONFLICT (account_id, event_id) DO NOTHING RETURNING event_id`
   (events without an account: `ON CONFLICT (event_id) WHERE account_id IS NULL`)
   in chunks — the database says which events are new, so a re-sent batch, or two copies of
   one batch arriving at once, are stored and counted exactly once;
2. the per-(IP, provider, day) counters, with one upsert per chunk of day rows that adds this
   batch's new events to what is there (`delivered = delivered + excluded.delivered`).

Rows are written in a fixed order (events by id, day rows by key) so that concurrent batches
lock in the same order and cannot deadlock. The response is sent after the commit: an accepted
batch is durable.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from domains.selectors import verified_domain_owners
from ips.models import DedicatedIp, DeliveryEvent, IpWarmup, IpWarmupDay, utc_day
from ips.services import suspensions
from ips.types import EventInput
from providers import responses
from providers.models import MailboxProvider, SmtpResponseRule
from providers.services import addresses_provider

# Events per statement (one JSON parameter each) and day rows per counter statement (10
# parameters each, far below SQLite's 32,766 and PostgreSQL's 65,535).
CHUNK = 1000

# Which day counter a rule's category adds to (soft bounces are only "deferred"/"bounced").
CATEGORY_COUNTER = {
    SmtpResponseRule.Category.THROTTLED: "throttled",
    SmtpResponseRule.Category.BLOCKED: "blocked",
    SmtpResponseRule.Category.BLOCKLISTED: "blocklisted",
    SmtpResponseRule.Category.HARD_BOUNCE: "hard_bounced",
}
TYPE_COUNTER = {
    DeliveryEvent.Type.DELIVERED: "delivered",
    DeliveryEvent.Type.DEFERRED: "deferred",
    DeliveryEvent.Type.BOUNCED: "bounced",
    DeliveryEvent.Type.COMPLAINT: "complaints",
}
CLASSIFIED_TYPES = frozenset({DeliveryEvent.Type.DEFERRED, DeliveryEvent.Type.BOUNCED})
# The replies the fast back-off counts per hour (ips.services.suspensions).
PUSHBACK = {
    SmtpResponseRule.Category.THROTTLED: 0,
    SmtpResponseRule.Category.BLOCKED: 1,
    SmtpResponseRule.Category.BLOCKLISTED: 2,
}

_COLUMNS = (
    "account_id",
    "event_id",
    "type",
    "ip_address",
    "ip_id",
    "provider_id",
    "sender_domain",
    "recipient",
    "smtp_code",
    "enhanced_status",
    "response",
    "category",
    "rule_id",
    "timestamp",
    "received_at",
)


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    duplicates: int


def _our_ips(*, addresses: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """address → (IP id, the account of its pool — None for a shared pool), for our IPs."""
    rows = DedicatedIp.objects.filter(address__in=list(addresses)).values_list(
        "address", "id", "pool__account_id"
    )
    return {address: (ip_id, account_id) for address, ip_id, account_id in rows}


def _ip_for(ip, account_id: int | None, *, pipeline: bool) -> tuple[int | None, bool]:
    """(the IP id to store, whether the event counts for the IP) — see the module docstring."""
    if ip is None:
        return None, False
    ip_id, owner = ip
    if owner is None:  # a shared-pool IP: the account's figures; counted from the pipeline only
        return ip_id, pipeline
    if owner == account_id:
        return ip_id, True
    return None, False  # another account's IP: reveal nothing, count nothing


@dataclass
class _Prepared:
    """A batch ready to write: its rows, and for each event that counts, where it counts."""

    rows: dict[int | None, list[tuple]]  # account id → its rows, by event id
    # (account id, event id) → (warm-up id, UTC day, type, rule category, clock hour if recent)
    counted: dict[tuple[int | None, str], tuple]
    providers: dict[int, int]  # warm-up id → provider id (for the fast back-off's profiles)


def events_ingest(
    *,
    account,
    events: Sequence[EventInput],
    now: datetime | None = None,
    pipeline: bool = False,
) -> IngestResult:
    """Store and count a batch. `account` is the customer's whose token sent it; with
    `pipeline` (the operators' sending pipeline) it is None and each event's account is found
    from its sender domain."""
    now = now or timezone.now()
    if pipeline:
        owners = verified_domain_owners(names={e.sender_domain for e in events})
        owner_of = owners.__getitem__
    else:
        owner_of = lambda _domain: account.pk  # noqa: E731 - one account for the whole batch
    unique: dict[tuple[int | None, str], tuple[int | None, EventInput]] = {}
    for event in events:
        key = (owner_of(event.sender_domain), event.event_id)
        unique.setdefault(key, (key[0], event))  # the first copy in a batch wins
    ordered = [unique[key] for key in sorted(unique, key=lambda k: (k[0] or 0, k[1]))]
    batch = _prepare(batch=ordered, now=now, pipeline=pipeline)
    received_at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            new_ids: set[tuple[int | None, str]] = set()
            for account_id, rows in batch.rows.items():
                for start in range(0, len(rows), CHUNK):
                    chunk = rows[start : start + CHUNK]
                    new_ids.update(
                        (account_id, event_id)
                        for event_id in _insert(
                            cursor, account_id=account_id, received_at=received_at, rows=chunk
                        )
                    )
            hour_rows = _count(cursor, batch, new_ids)
        if hour_rows:
            suspensions.warmups_suspend_busy(rows=hour_rows, providers=batch.providers, now=now)
    stored = len(new_ids)
    return IngestResult(received=len(events), stored=stored, duplicates=len(events) - stored)


def _prepare(
    *, batch: list[tuple[int | None, EventInput]], now: datetime, pipeline: bool
) -> _Prepared:
    """Look up what the events refer to (IPs, providers, warm-ups, reply rules) once per
    batch, and build the rows, grouped by account."""
    ips = _our_ips(addresses={e.ip for _a, e in batch})
    slugs = addresses_provider(addresses=[e.recipient for _a, e in batch])
    provider_ids = dict(MailboxProvider.objects.values_list("slug", "id"))
    warmups = (
        {
            (ip_id, provider_id): warmup_id
            for warmup_id, ip_id, provider_id in IpWarmup.objects.filter(
                ip_id__in=[ip_id for ip_id, _owner in ips.values()]
            ).values_list("id", "ip_id", "provider_id")
        }
        if ips
        else {}
    )
    classify = _Classifier(any(e.type in CLASSIFIED_TYPES for _a, e in batch))
    # A batch repeats timestamps (an MTA logs by the second): convert each distinct one once.
    moments = _Moments({e.timestamp for _a, e in batch}, now=now)
    rows: dict[int | None, list[tuple]] = defaultdict(list)
    counted = {}
    for (account_id, event), slug in zip(batch, slugs, strict=True):
        ip_id, counts = _ip_for(ips.get(event.ip), account_id, pipeline=pipeline)
        provider_id = provider_ids.get(slug)
        category, rule_id = classify(event, slug)
        rows[account_id].append(
            (
                event.event_id,
                event.type,
                event.ip,
                ip_id,
                provider_id,
                event.sender_domain,
                event.recipient,
                event.smtp_code,
                event.enhanced_status,
                event.response,
                category,
                rule_id,
                moments.stamps[event.timestamp],
            )
        )
        warmup_id = warmups.get((ip_id, provider_id)) if counts else None
        if warmup_id is not None:
            day, hour = moments.days[event.timestamp], moments.hours.get(event.timestamp)
            counted[(account_id, event.event_id)] = (warmup_id, day, event.type, category, hour)
    providers = {warmup_id: provider_id for (_ip, provider_id), warmup_id in warmups.items()}
    return _Prepared(rows=rows, counted=counted, providers=providers)


class _Classifier:
    """The SMTP-response rule of each deferral or bounce reply, each distinct reply once."""

    def __init__(self, needed: bool):
        self.rules = responses.rules_load() if needed else []
        self.seen: dict[tuple, tuple[str, int | None]] = {}

    def __call__(self, event: EventInput, slug: str) -> tuple[str, int | None]:
        if event.type not in CLASSIFIED_TYPES or not (event.response or event.enhanced_status):
            return "", None
        key = (slug, event.smtp_code, event.enhanced_status, event.response)
        if key not in self.seen:  # a batch repeats the same replies many times
            rule = responses.response_classify(
                rules=self.rules,
                provider=slug,
                smtp_code=event.smtp_code,
                enhanced_status=event.enhanced_status,
                response=event.response,
            )
            self.seen[key] = (rule.category, rule.id) if rule is not None else ("", None)
        return self.seen[key]


class _Moments:
    """Each distinct timestamp of a batch as the database stores it, its UTC day, and — for
    replies of the last hour, which the fast back-off counts — its clock hour."""

    def __init__(self, moments: set[datetime], *, now: datetime):
        if connection.vendor == "postgresql":
            stamp = datetime.isoformat
        else:
            # SQLite keeps DateTimeFields as naive UTC text in Django's own format.
            stamp = connection.ops.adapt_datetimefield_value
        self.stamps = {moment: stamp(moment) for moment in moments}
        self.days = {moment: utc_day(moment) for moment in moments}
        # An hour-old reply is no news the daily controller will not see.
        recent = now - timedelta(hours=1)
        self.hours = {
            moment: moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            for moment in moments
            if moment >= recent
        }


def _count(cursor, batch: _Prepared, new_ids: set[tuple[int | None, str]]) -> list[tuple]:
    """Add the new events to the day counters (one upsert per chunk of day rows) and their
    push-back replies to the hour counters; returns the touched hour rows' totals."""
    totals: dict[tuple[int, object], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(IpWarmupDay.COUNTERS, 0)
    )
    # Per (pair, clock hour) of recent replies: throttled, blocked, blocklisted, delivered.
    pushback: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for new in new_ids:
        key = batch.counted.get(new)
        if key is None:
            continue
        warmup_id, day, kind, category, hour = key
        counters = totals[(warmup_id, day)]
        counters[TYPE_COUNTER[kind]] += 1
        if category in CATEGORY_COUNTER:
            counters[CATEGORY_COUNTER[category]] += 1
        if hour is not None and category in PUSHBACK:
            pushback[(warmup_id, hour)][PUSHBACK[category]] += 1
        elif hour is not None and kind == DeliveryEvent.Type.DELIVERED:
            pushback[(warmup_id, hour)][3] += 1
    keys = sorted(totals)
    for start in range(0, len(keys), CHUNK):
        _add_counters(cursor, [(key, totals[key]) for key in keys[start : start + CHUNK]])
    # One upsert for the batch's recent replies (none when it holds none).
    rows = suspensions.hour_counts_add(cursor, pushback)
    # Only the rows with push-back can trip a suspension.
    return [row for row in rows if row[2] or row[3] or row[4]]


def _insert(cursor, *, account_id: int | None, received_at, rows: list[tuple]) -> list[str]:
    """Insert a chunk of one account's events (None: no account) as one JSON parameter;
    returns the ids that were new.

    One parameter instead of 13 per event: building and parsing a statement with tens of
    thousands of placeholders costs more than the insert itself.
    """
    quote = connection.ops.quote_name
    table = quote(DeliveryEvent._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    if connection.vendor == "postgresql":
        values = (
            "v->>0, v->>1, (v->>2)::inet, (v->>3)::bigint, (v->>4)::bigint, v->>5, v->>6, "
            "(v->>7)::integer, v->>8, v->>9, v->>10, (v->>11)::bigint, (v->>12)::timestamptz"
        )
        source = "jsonb_array_elements(%(rows)s::jsonb) WITH ORDINALITY AS e(v, n)"
        order = "ORDER BY n"  # the rows' order: one lock order for concurrent batches
    else:
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS) - 2))
        source = "json_each(%(rows)s)"
        order = "WHERE true"  # SQLite needs a WHERE before ON CONFLICT; json_each keeps order
    # Events without an account are unique by id alone (a partial unique index): NULLs never
    # conflict in the (account, event) one.
    target = (
        "(account_id, event_id)"
        if account_id is not None
        else "(event_id) WHERE account_id IS NULL"
    )
    cursor.execute(
        f"INSERT INTO {table} ({columns}) "
        f"SELECT %(account)s, {values}, %(received)s FROM {source} {order} "
        f"ON CONFLICT {target} DO NOTHING RETURNING event_id",
        {
            "account": account_id,
            "received": received_at,
            "rows": json.dumps(rows, separators=(",", ":")),
        },
    )
    return [r[0] for r in cursor.fetchall()]


def _add_counters(cursor, items: list[tuple[tuple[int, object], dict[str, int]]]) -> None:
    table = connection.ops.quote_name(IpWarmupDay._meta.db_table)
    counters = IpWarmupDay.COUNTERS
    one = "(%s, %s, NULL, 0, 0, " + ", ".join(["%s"] * len(counters)) + ")"
    params = []
    for (warmup_id, day), values in items:
        params.extend((warmup_id, day, *(values[c] for c in counters)))
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counters)
    cursor.execute(
        f"INSERT INTO {table} (warmup_id, day, cap, routed, last_claim, {', '.join(counters)}) "
        f"VALUES {', '.join([one] * len(items))} "
        f"ON CONFLICT (warmup_id, day) DO UPDATE SET {updates}",
        params,
    )
