"""The snapshot job: one snapshot per (domain or IP, provider, UTC day), every day.

`snapshots_run()` (scheduled hourly) makes sure every day since the last run has a
`SnapshotDay`, then computes each day that is not final, oldest first, and today:

1. claim the day: lock its `SnapshotDay` row (`FOR UPDATE SKIP LOCKED` on PostgreSQL). A day
   another worker holds is left to it, and so are the days after it (their window and their
   verdict changes depend on it);
2. read the day's figures from the other apps (reputation/sources.py) and the feeds' tables —
   one query per source, whatever the number of subjects;
3. for every subject × provider, sum the verdict's window (the day plus the stored snapshots of
   the days before it), call the pure rule (reputation/verdict/) and build the row;
4. write each table with one upsert (reputation/services/sql.py) — idempotent per (subject,
   provider, day);
5. once the day is over (plus WARMUP_REPUTATION_FINALIZE_MINUTES), mark it final and record a
   notification event for every verdict that changed since the day before.

So a day costs the same ~20 statements for ten subjects or ten thousand (bench/reputation.py).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ips.models import utc_day
from reputation import sources, verdict
from reputation.feeds.snds import BlockedRange
from reputation.models import (
    DomainSnapshot,
    IpSnapshot,
    Kind,
    PostmasterDomain,
    PostmasterDomainDay,
    SnapshotDay,
    SndsBlockedRange,
    SndsIpDay,
)
from reputation.services import sql
from reputation.services.notifications import EventRow, events_insert, is_stale, short_name
from reputation.verdict import Figures, Thresholds

logger = logging.getLogger(__name__)

COUNTS = (
    "offered",
    "delivered",
    "deferred",
    "bounced",
    "hard_bounced",
    "throttled",
    "blocked",
    "blocklisted",
    "complaints",
)
SEEDS = ("sent", "inbox", "spam", "missing")
ACTIONS = ("rescued", "read", "flagged", "replied")
PM_RATES = ("spam_rate", "spf_rate", "dkim_rate", "dmarc_rate", "delivery_error_rate", "tls_rate")
GOOGLE, MICROSOFT = "google", "microsoft"

_COMMON = [
    ("provider_id", "bigint"),
    ("day", "date"),
    *[(name, "integer") for name in COUNTS],
    ("warmup_state", "text"),
    ("reputation", "text"),
    ("deliverability", "text"),
    ("score", "integer"),
    ("factors", "jsonb"),
    ("sentence", "text"),
    ("computed_at", "timestamptz"),
]
DOMAIN_COLUMNS = [
    ("domain_id", "bigint"),
    *_COMMON,
    *[(name, "integer") for name in SEEDS + ACTIONS],
    ("domain_status", "text"),
    *[(f"pm_{name}", "double precision") for name in PM_RATES],
    ("pm_compliance", "text"),
]
IP_COLUMNS = [
    ("ip_id", "bigint"),
    *_COMMON,
    ("warmup_stage", "integer"),
    ("cap", "integer"),
    ("used", "integer"),
    ("suspended", "boolean"),
    ("dnsbl_listings", "jsonb"),
    ("ptr", "text"),
    ("fcrdns", "text"),
    ("snds_filter", "text"),
    ("snds_complaint_rate", "double precision"),
    ("snds_trap_hits", "integer"),
    ("snds_rcpt", "integer"),
    ("snds_data", "integer"),
    ("snds_blocked", "boolean"),
]


@dataclass
class RunSummary:
    days: list[date] = field(default_factory=list)
    final: list[date] = field(default_factory=list)
    domains: int = 0
    ips: int = 0
    events: int = 0
    busy: date | None = None

    def sentence(self) -> str:
        if not self.days:
            text = "no day to compute"
        else:
            text = (
                f"computed {len(self.days)} days ({self.days[0]} to {self.days[-1]}, "
                f"{len(self.final)} final): {self.domains} domain and {self.ips} IP snapshots, "
                f"{self.events} verdict changes"
            )
        if self.busy:
            text += f"; {self.busy} is being computed by another worker"
        return text


def period_words(first: date, last: date) -> str:
    """The verdict's window in words: "on 12 Mar", "on 11–12 Mar", "on 31 Mar–1 Apr"."""
    if first == last:
        return f"on {last.day} {last:%b}"
    if first.month == last.month:
        return f"on {first.day}–{last.day} {last:%b}"
    return f"on {first.day} {first:%b}–{last.day} {last:%b}"


def thresholds_by_provider() -> dict[int, Thresholds]:
    """The rule's thresholds per provider: the settings, with each provider's warm-up profile
    for complaints and hard bounces unless the settings name them explicitly."""
    explicit = settings.WARMUP_REPUTATION_THRESHOLDS
    base = Thresholds.from_mapping(explicit)
    result = {}
    for provider_id, (complaint, hard_bounce) in sources.provider_limits().items():
        result[provider_id] = base.with_values(
            complaint_rate=None if "complaint_rate" in explicit else complaint,
            hard_bounce_rate=None if "hard_bounce_rate" in explicit else hard_bounce,
        )
    return result


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- the job -------------------------------------------------------------------------------------


def snapshot_days_ensure(*, today: date) -> None:
    """A SnapshotDay for every day from the last one known (or the backfill) to today."""
    latest = SnapshotDay.objects.aggregate(latest=Max("day"))["latest"]
    if latest is None:
        start = today - timedelta(days=settings.WARMUP_REPUTATION_BACKFILL_DAYS)
    else:
        start = latest + timedelta(days=1)
    oldest = today - timedelta(days=settings.WARMUP_REPUTATION_RETENTION_DAYS - 1)
    start = max(start, oldest)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    if days:
        SnapshotDay.objects.bulk_create([SnapshotDay(day=d) for d in days], ignore_conflicts=True)


def snapshot_days_reopen(*, days) -> int:
    """Feeds brought data for these past days: the next run computes them again."""
    return SnapshotDay.objects.filter(day__in=list(days), final=True).update(final=False)


def snapshots_run(*, now: datetime | None = None) -> RunSummary:
    """Compute every open day up to today (see the module docstring). Safe to run twice, late,
    and on several workers at once."""
    now = now or timezone.now()
    today = utc_day(now)
    snapshot_days_ensure(today=today)
    oldest = today - timedelta(days=settings.WARMUP_REPUTATION_RETENTION_DAYS - 1)
    summary = RunSummary()
    days = SnapshotDay.objects.filter(final=False, day__gte=oldest, day__lte=today).order_by("day")
    for day in list(days.values_list("day", flat=True)):
        result = snapshots_compute_day(day=day, now=now)
        if result is None:
            summary.busy = day
            break
        summary.days.append(day)
        if result["final"]:
            summary.final.append(day)
        summary.domains += result["domains"]
        summary.ips += result["ips"]
        summary.events += result["events"]
    return summary


def snapshots_compute_day(*, day: date, now: datetime) -> dict | None:
    """Compute and write one day's snapshots; None when another worker holds the day."""
    started = time.perf_counter()
    SnapshotDay.objects.bulk_create([SnapshotDay(day=day)], ignore_conflicts=True)
    with transaction.atomic():
        claim = SnapshotDay.objects.filter(day=day)
        if connection.features.has_select_for_update_skip_locked:
            claim = claim.select_for_update(skip_locked=True)
        row = claim.first()
        if row is None:
            return None
        final = now >= _day_start(day) + timedelta(
            days=1, minutes=settings.WARMUP_REPUTATION_FINALIZE_MINUTES
        )
        builder = _DayBuilder(day=day, now=now)
        domain_rows, ip_rows, changes = builder.build()
        with connection.cursor() as cursor:
            sql.upsert(
                cursor,
                table=DomainSnapshot._meta.db_table,
                columns=DOMAIN_COLUMNS,
                conflict=["domain_id", "day", "provider_id"],
                rows=domain_rows,
            )
            sql.upsert(
                cursor,
                table=IpSnapshot._meta.db_table,
                columns=IP_COLUMNS,
                conflict=["ip_id", "day", "provider_id"],
                rows=ip_rows,
            )
            events = events_insert(cursor, changes) if final else 0
        row.final = final
        row.computed_at = now
        row.domains = len(domain_rows)
        row.ips = len(ip_rows)
        row.seconds = round(time.perf_counter() - started, 3)
        row.save(update_fields=["final", "computed_at", "domains", "ips", "seconds"])
    return {"final": final, "domains": len(domain_rows), "ips": len(ip_rows), "events": events}


# --- one day -------------------------------------------------------------------------------------


class _DayBuilder:
    """Reads one day's sources and turns them into snapshot rows. Everything is read once,
    into dicts keyed by subject and provider; the loop over subjects issues no query."""

    def __init__(self, *, day: date, now: datetime):
        self.day = day
        self.now = now
        self.start = _day_start(day)
        self.end = self.start + timedelta(days=1)
        self.window = settings.WARMUP_REPUTATION_WINDOW_DAYS
        self.first = day - timedelta(days=self.window - 1)
        self.period = period_words(self.first, day)
        self.stamp = sql.stamp(now)
        self.stale = is_stale(self.end, now=now)

    def build(self) -> tuple[list[list], list[list], list[EventRow]]:
        self.providers = sources.providers()
        self.thresholds = thresholds_by_provider()
        changes: list[EventRow] = []
        domain_rows = self._domains(changes)
        ip_rows = self._ips(changes)
        return domain_rows, ip_rows, changes

    # --- shared ----------------------------------------------------------------------------------

    def _previous(self, model, subject: str, fields: tuple[str, ...]) -> dict[tuple, list]:
        """The stored snapshots of the window's earlier days: (subject, provider) → rows."""
        previous: dict[tuple, list] = defaultdict(list)
        # From the day before at least: verdict changes compare with it.
        since = min(self.first, self.day - timedelta(days=1))
        for row in model.objects.filter(day__gte=since, day__lt=self.day).values_list(
            subject, "provider_id", "day", "reputation", *fields
        ):
            previous[(row[0], row[1])].append(row[2:])
        return previous

    def _verdict(self, figures: Figures, provider_id: int):
        return verdict.decide(figures, self.thresholds[provider_id])

    def _row_common(self, provider_id: int, counts: dict, warmup_state: str, result) -> list:
        return [
            provider_id,
            self.day.isoformat(),
            *(counts.get(name, 0) for name in COUNTS),
            warmup_state,
            result.reputation,
            result.deliverability,
            result.score,
            [f.as_json() for f in result.factors],
            result.sentence,
            self.stamp,
        ]

    def _change(self, *, previous_rows, kind: str, subject_id, name, account_id, provider, result):
        yesterday = self.day - timedelta(days=1)
        before = next((r[1] for r in previous_rows if r[0] == yesterday), None)
        if before is None or before == result.reputation:
            return None
        _provider_id, slug, pname = provider
        what = "domain" if kind == "domain" else "IP"
        return EventRow(
            key=f"verdict:{kind}:{subject_id}:{slug}:{self.day.isoformat()}",
            account_id=account_id,
            kind=Kind.VERDICT_CHANGED,
            title=f"{name}: {what} reputation at {short_name(pname)} is now {result.reputation}",
            text=f"{result.sentence} (it was {before} on {yesterday:%d %b}).",
            data={
                "subject": {"kind": kind, "id": subject_id, "name": name},
                "provider": slug,
                "day": self.day.isoformat(),
                "reputation": result.reputation,
                "previous": before,
                "deliverability": result.deliverability,
                "score": result.score,
                "sentence": result.sentence,
                "factors": [f.as_json() for f in result.factors],
            },
            occurred_at=self.now,
            stale=self.stale,
        )

    # --- domains ---------------------------------------------------------------------------------

    def _domains(self, changes: list[EventRow]) -> list[list]:
        day, start, end = self.day, self.start, self.end
        domains = sources.domains()
        if not domains:
            return []
        by_name = {(account_id, name): pk for pk, account_id, name, _status in domains}
        events: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        for account_id, sender, provider_id, counter, n in sources.domain_events(
            start=start, end=end
        ):
            domain_id = by_name.get((account_id, sender.lower()))
            if domain_id is not None:
                events[(domain_id, provider_id)][counter] += n
        seeds = {
            (d, p): (s, i, sp, m, dec) for d, p, s, i, sp, m, dec in sources.seed_days(day=day)
        }
        actions: dict[tuple, dict] = defaultdict(dict)
        for domain_id, provider_id, kind, n in sources.seed_actions(start=start, end=end):
            actions[(domain_id, provider_id)][kind] = n
        pm_days: dict[int, dict[date, tuple]] = defaultdict(dict)
        for row in PostmasterDomainDay.objects.filter(
            day__gte=self.first, day__lte=day
        ).values_list("domain_id", "day", *PM_RATES):
            pm_days[row[0]][row[1]] = row[2:]
        compliance, failing = {}, {}
        for domain_id, status, requirements in PostmasterDomain.objects.exclude(
            compliance=""
        ).values_list("domain_id", "compliance", "compliance_failing"):
            compliance[domain_id] = status
            failing[domain_id] = requirements
        fields = (*COUNTS, "inbox", "spam", "missing")
        previous = self._previous(DomainSnapshot, "domain_id", fields)

        rows = []
        for domain_id, account_id, name, status in domains:
            for provider in self.providers:
                provider_id, slug, pname = provider
                key = (domain_id, provider_id)
                counts = dict(events.get(key, {}))
                counts["offered"] = (
                    counts.get("delivered", 0)
                    + counts.get("deferred", 0)
                    + counts.get("bounced", 0)
                )
                sent, inbox, spam, missing, decision = seeds.get(key, (0, 0, 0, 0, ""))
                plan_state = (
                    decision
                    if decision in ("warm", "needs_attention")
                    else ("warming" if decision else "")
                )
                pm = pm_days.get(domain_id, {}) if slug == GOOGLE else {}
                today_pm = pm.get(day, (None,) * len(PM_RATES))
                latest_pm = pm[max(pm)] if pm else (None,) * len(PM_RATES)
                # The window: this day's figures plus the stored ones of the days before.
                window = dict(counts)
                placed = [inbox, spam, missing]
                earlier = previous.get(key, ())
                for row in earlier:
                    if row[0] < self.first:
                        continue
                    values = row[2:]
                    for i, counter in enumerate(COUNTS):
                        window[counter] = window.get(counter, 0) + values[i]
                    for i in range(3):
                        placed[i] += values[len(COUNTS) + i]
                pm_compliance = compliance.get(domain_id, "") if slug == GOOGLE else ""
                figures = Figures(
                    kind=verdict.DOMAIN,
                    provider=short_name(pname),
                    period=self.period,
                    offered=window.get("offered", 0),
                    delivered=window.get("delivered", 0),
                    deferred=window.get("deferred", 0),
                    bounced=window.get("bounced", 0),
                    hard_bounced=window.get("hard_bounced", 0),
                    throttled=window.get("throttled", 0),
                    blocked=window.get("blocked", 0),
                    blocklisted=window.get("blocklisted", 0),
                    complaints=window.get("complaints", 0),
                    inbox=placed[0],
                    spam=placed[1],
                    missing=placed[2],
                    warmup_state=plan_state,
                    domain_status=status,
                    pm_spam_rate=latest_pm[0],
                    pm_spf_rate=latest_pm[1],
                    pm_dkim_rate=latest_pm[2],
                    pm_dmarc_rate=latest_pm[3],
                    pm_compliance=pm_compliance,
                    pm_compliance_failing=tuple(failing.get(domain_id) or ()),
                )
                result = self._verdict(figures, provider_id)
                act = actions.get(key, {})
                rows.append(
                    [
                        domain_id,
                        *self._row_common(provider_id, counts, plan_state, result),
                        sent,
                        inbox,
                        spam,
                        missing,
                        *(act.get(kind, 0) for kind in ACTIONS),
                        status,
                        *today_pm,
                        pm_compliance,
                    ]
                )
                change = self._change(
                    previous_rows=earlier,
                    kind="domain",
                    subject_id=domain_id,
                    name=name,
                    account_id=account_id,
                    provider=provider,
                    result=result,
                )
                if change is not None:
                    changes.append(change)
        return rows

    # --- IPs -------------------------------------------------------------------------------------

    def _ips(self, changes: list[EventRow]) -> list[list]:
        day, now = self.day, self.now
        ips = sources.ips()
        if not ips:
            return []
        day_rows = {(r[0], r[1]): r[2:] for r in sources.ip_days(day=day)}
        current = {(r[0], r[1]): r[2:] for r in sources.ip_warmups()}
        during, suspended = self._ip_decisions()
        listings, reverse = self._ip_checks()
        snds, blocked = self._snds(ips)
        fields = COUNTS
        previous = self._previous(IpSnapshot, "ip_id", fields)
        routed_counters = sources.IP_COUNTERS
        is_today = day == utc_day(now)

        rows = []
        for ip_id, address, account_id in ips:
            zones = sorted(listings.get(ip_id, ()))
            checks = reverse.get(ip_id, {})
            for provider in self.providers:
                provider_id, slug, pname = provider
                key = (ip_id, provider_id)
                counters = day_rows.get(key)
                if counters is not None:
                    cap, used, *values = counters
                    counts = dict(zip(routed_counters, values, strict=True))
                else:
                    cap, used, counts = None, 0, {}
                counts["offered"] = (
                    counts.get("delivered", 0)
                    + counts.get("deferred", 0)
                    + counts.get("bounced", 0)
                )
                state_now = current.get(key)
                if key in during:
                    state, stage = during[key]
                elif state_now is not None:
                    state, stage = state_now[0], state_now[1]
                else:
                    state, stage = "", None
                if cap is None and is_today and state_now is not None:
                    cap = state_now[2]
                is_suspended = key in suspended or (
                    is_today
                    and state_now is not None
                    and state_now[3] is not None
                    and state_now[3] > now
                )
                window = dict(counts)
                earlier = previous.get(key, ())
                for row in earlier:
                    if row[0] < self.first:
                        continue
                    for i, counter in enumerate(COUNTS):
                        window[counter] = window.get(counter, 0) + row[2 + i]
                feed = snds.get(address, {}) if slug == MICROSOFT else {}
                own = feed.get(day)
                latest = feed[max(feed)] if feed else None
                is_blocked = slug == MICROSOFT and address in blocked.get(account_id, ())
                figures = Figures(
                    kind=verdict.IP,
                    provider=short_name(pname),
                    period=self.period,
                    offered=window.get("offered", 0),
                    delivered=window.get("delivered", 0),
                    deferred=window.get("deferred", 0),
                    bounced=window.get("bounced", 0),
                    hard_bounced=window.get("hard_bounced", 0),
                    throttled=window.get("throttled", 0),
                    blocked=window.get("blocked", 0),
                    blocklisted=window.get("blocklisted", 0),
                    complaints=window.get("complaints", 0),
                    warmup_state=state,
                    suspended=is_suspended,
                    dnsbl_listings=tuple(zones),
                    ptr=checks.get("ptr", ""),
                    fcrdns=checks.get("fcrdns", ""),
                    snds_filter=latest[0] if latest else "",
                    snds_complaint_rate=latest[1] if latest else None,
                    snds_trap_hits=latest[2] if latest else None,
                    snds_blocked=is_blocked,
                )
                result = self._verdict(figures, provider_id)
                rows.append(
                    [
                        ip_id,
                        *self._row_common(provider_id, counts, state, result),
                        stage,
                        cap,
                        used,
                        is_suspended,
                        zones,
                        checks.get("ptr", ""),
                        checks.get("fcrdns", ""),
                        own[0] if own else "",
                        own[1] if own else None,
                        own[2] if own else None,
                        own[3] if own else None,
                        own[4] if own else None,
                        is_blocked,
                    ]
                )
                change = self._change(
                    previous_rows=earlier,
                    kind="ip",
                    subject_id=ip_id,
                    name=address,
                    account_id=account_id,
                    provider=provider,
                    result=result,
                )
                if change is not None:
                    changes.append(change)
        return rows

    def _ip_decisions(self) -> tuple[dict[tuple, tuple], set[tuple]]:
        """The day's decisions by (IP, provider): the state and stage the daily decision started
        from, and the pairs suspended that day."""
        during: dict[tuple, tuple] = {}
        suspended: set[tuple] = set()
        for ip_id, provider_id, kind, daily, from_state, from_stage in sources.ip_decisions_of_day(
            day=self.day
        ):
            if daily:
                during[(ip_id, provider_id)] = (from_state, from_stage)
            if kind == "suspend":
                suspended.add((ip_id, provider_id))
        return during, suspended

    def _ip_checks(self) -> tuple[dict[int, list[str]], dict[int, dict[str, str]]]:
        """Blocklist zones listing each IP, and its reverse-DNS checks' pass/fail by kind."""
        listings: dict[int, list[str]] = defaultdict(list)
        reverse: dict[int, dict[str, str]] = defaultdict(dict)
        for ip_id, kind, name, status, changed_at in sources.ip_checks():
            if kind == "dnsbl":
                # A listing counts from the day it was seen (a catch-up does not date it back).
                if status == "fail" and (changed_at is None or changed_at < self.end):
                    listings[ip_id].append(name.split(":", 1)[-1])
            elif status in ("pass", "fail"):
                reverse[ip_id][kind] = status
        return listings, reverse

    def _snds(self, ips) -> tuple[dict[str, dict[date, tuple]], dict[int | None, set[str]]]:
        """SNDS rows of the window by address, and blocked addresses by account — only what
        a connection of the IP's own account (or the operators', for shared IPs) reported."""
        owner = {address: account_id for _pk, address, account_id in ips}
        rows: dict[str, dict[date, tuple]] = defaultdict(dict)
        for account_id, address, day, *values in SndsIpDay.objects.filter(
            day__gte=self.first, day__lte=self.day
        ).values_list(
            "connection__account_id",
            "address",
            "day",
            "filter_result",
            "complaint_rate",
            "trap_hits",
            "rcpt",
            "data",
        ):
            if address in owner and owner[address] == account_id:
                rows[address][day] = tuple(values)
        blocked: dict[int | None, set[str]] = defaultdict(set)
        ranges = list(
            SndsBlockedRange.objects.filter(blocked=True, connection__enabled=True).values_list(
                "connection__account_id", "first", "last"
            )
        )
        if ranges:
            by_account: dict[int | None, list] = defaultdict(list)
            for account_id, first, last in ranges:
                by_account[account_id].append(BlockedRange(first, last, True, ""))
            for address, account_id in owner.items():
                if any(r.covers(address) for r in by_account.get(account_id, ())):
                    blocked[account_id].add(address)
        return rows, blocked
