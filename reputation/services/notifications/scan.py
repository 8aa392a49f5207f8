"""The scan: what the other apps store, read and turned into events (see the package's
docstring)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from reputation import sources
from reputation.models import (
    FeedConnection,
    Kind,
    NotificationCursor,
)
from reputation.services.notifications.events import (
    CHECK_OVERLAP,
    DECISION_BATCH,
    DECISION_KINDS,
    DECISION_LAG,
    DECISION_WORDS,
    FEED_LABELS,
    EventRow,
    events_insert,
    is_stale,
    short_name,
)

# --- the scan ------------------------------------------------------------------------------------


@dataclass
class ScanSummary:
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    new: int = 0

    def sentence(self) -> str:
        seen = ", ".join(f"{n} {kind}" for kind, n in sorted(self.found.items())) or "nothing"
        return f"scanned: {seen}; {self.new} new events"


def _cursor(source: str) -> NotificationCursor:
    cursor, _ = NotificationCursor.objects.get_or_create(source=source)
    return cursor


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _on_day(day: date, now: datetime) -> dict:
    """`occurred_at` and `stale` of an event that belongs to a whole UTC day: it happened at the
    day's start and is stale once the day after it is over (notifications.is_stale)."""
    when = _midnight(day)
    return {"occurred_at": when, "stale": is_stale(when + timedelta(days=1), now=now)}


def _ip_decision_events(now: datetime) -> list[EventRow]:
    mark = _cursor("ips.decisions")
    position, keep = mark.position, mark.position
    rows: list[EventRow] = []
    settled = True
    while True:
        batch = sources.ip_decisions_after(
            position=position, kinds=DECISION_KINDS, limit=DECISION_BATCH
        )
        for d in batch:
            kind = DECISION_KINDS[d["kind"]]
            provider = short_name(d["provider_name"])
            address = d["address"]
            if kind == Kind.IP_WARM:
                title = f"{address} is warm at {provider}"
            else:
                title = f"{address}: {DECISION_WORDS[kind]} at {provider}"
            rows.append(
                EventRow(
                    key=f"ipdecision:{d['id']}",
                    account_id=d["account_id"],
                    kind=kind,
                    title=title,
                    text=d["reason"],
                    data={
                        "ip": address,
                        "provider": d["provider"],
                        "decision": d["kind"],
                        "day": d["day"].isoformat(),
                        "state": d["to_state"],
                        "stage": d["to_stage"],
                        "daily_cap": d["to_cap"],
                    },
                    occurred_at=d["created_at"],
                    stale=is_stale(d["created_at"], now=now),
                )
            )
            # The mark moves over settled rows only; recent ones are read again next time.
            if settled and d["created_at"] <= now - DECISION_LAG:
                keep = d["id"]
            else:
                settled = False
            position = d["id"]
        if len(batch) < DECISION_BATCH:
            break
    if keep != mark.position:
        NotificationCursor.objects.filter(pk=mark.pk).update(position=keep, updated_at=now)
    return rows


def _listing_events(now: datetime) -> list[EventRow]:
    mark = _cursor("ips.blocklists")
    since = (mark.moment or now - timedelta(days=2)) - CHECK_OVERLAP
    rows = []
    for check in sources.blocklist_listings(since=since):
        zone = check["name"].split(":", 1)[-1]
        rows.append(
            EventRow(
                key=f"dnsbl:{check['id']}:{check['changed_at'].isoformat()}",
                account_id=check["account_id"],
                kind=Kind.IP_BLOCKLISTED,
                title=f"{check['address']} is listed on {zone}",
                text=check["detail"] or f"{check['address']} is listed on {zone}.",
                data={"ip": check["address"], "zone": zone},
                occurred_at=check["changed_at"],
                stale=is_stale(check["changed_at"], now=now),
            )
        )
    NotificationCursor.objects.filter(pk=mark.pk).update(moment=now, updated_at=now)
    return rows


def _domain_events(now: datetime) -> list[EventRow]:
    rows = []
    limit = sources.failures_to_fail()
    for d in sources.domains_failing():
        if d["status"] == "failed" and d["failed_at"]:
            rows.append(
                EventRow(
                    key=f"domain-unverified:{d['id']}:{d['failed_at'].isoformat()}",
                    account_id=d["account_id"],
                    kind=Kind.DOMAIN_UNVERIFIED,
                    title=f"{d['name']} is no longer verified",
                    text=f"Its DNS records were wrong on {limit} days in a row. {d['problem']}",
                    data={"domain": d["name"], "domain_id": d["id"], "problem": d["problem"]},
                    occurred_at=d["failed_at"],
                    stale=is_stale(d["failed_at"], now=now),
                )
            )
        elif d["status"] == "verified" and d["last_failure_on"]:
            rows.append(
                EventRow(
                    key=f"domain-warning:{d['id']}:{d['last_failure_on'].isoformat()}",
                    account_id=d["account_id"],
                    kind=Kind.DOMAIN_UNVERIFY_WARNING,
                    title=f"{d['name']} will be unverified if its records stay wrong tomorrow",
                    text=(
                        f"Its DNS records were wrong on {d['consecutive_failures']} days in a row; "
                        f"on {limit} it is unverified. {d['problem']}"
                    ),
                    data={
                        "domain": d["name"],
                        "domain_id": d["id"],
                        "days_wrong": d["consecutive_failures"],
                        "problem": d["problem"],
                    },
                    **_on_day(d["last_failure_on"], now),
                )
            )
    return rows


def _plan_events(now: datetime) -> list[EventRow]:
    rows = []
    today = now.astimezone(UTC).date()
    for p in sources.plans_changed(since=today - timedelta(days=7)):
        provider = short_name(p["provider_name"])
        data = {"domain": p["domain"], "domain_id": p["domain_id"], "provider": p["provider_slug"]}
        if p["state"] == "warm":
            key = f"plan-warm:{p['id']}:{p['graduated_on'].isoformat()}"
            kind, title = Kind.DOMAIN_GRADUATED, f"{p['domain']} graduated at {provider}"
            day = p["graduated_on"]
        else:
            key = f"plan-attention:{p['id']}:{p['started_on'].isoformat()}"
            kind = Kind.DOMAIN_ATTENTION
            title = f"{p['domain']}: the warm-up at {provider} needs attention"
            day = p["last_step_on"] or p["started_on"]
        rows.append(
            EventRow(
                key=key,
                account_id=p["account_id"],
                kind=kind,
                title=title,
                text=p["reason"],
                data=data,
                **_on_day(day, now),
            )
        )
    return rows


def _rewarm_events(now: datetime) -> list[EventRow]:
    rows = []
    today = now.astimezone(UTC).date()
    for d in sources.plans_rewarmed(since=today - timedelta(days=7)):
        provider = short_name(d["provider_name"])
        rows.append(
            EventRow(
                key=f"plan-rewarm:{d['plan_key']}:{d['date'].isoformat()}",
                account_id=d["account_id"],
                kind=Kind.DOMAIN_REWARM,
                title=f"{d['domain']} is back in warm-up at {provider}",
                text=d["reason"],
                data={
                    "domain": d["domain"],
                    "domain_id": d["domain_id"],
                    "provider": d["provider_slug"],
                },
                **_on_day(d["date"], now),
            )
        )
    return rows


def _coverage_events(now: datetime) -> list[EventRow]:
    rows = []
    wanted = settings.WARMUP_SEEDS_PER_PROVIDER
    for gap in sources.coverage_gaps():
        provider = short_name(gap["name"])
        changed = gap["seeds_changed_at"]
        needed = max(wanted - gap["active_seeds"], 1)
        warmups = gap["warmups"]
        rows.append(
            EventRow(
                key=f"coverage:{gap['slug']}:{changed.isoformat() if changed else 'never'}",
                account_id=None,
                kind=Kind.SEED_COVERAGE,
                title=f"{provider} has no active seed mailbox: add {needed}",
                text=(
                    f"{warmups} domain warm-up{'s' if warmups != 1 else ''} cannot reach "
                    f"{provider}: there is no active seed mailbox there, so its plans show as "
                    f"not covered. Add at least {needed} seed mailbox{'es' if needed != 1 else ''} "
                    f"at {provider} (admin → Domain warm-up (seed network) → Seed mailboxes); "
                    "the warm-ups start there at the next plan step."
                ),
                data={"provider": gap["slug"], "seeds_needed": needed, "warmups": warmups},
                occurred_at=now,
            )
        )
    return rows


def _seed_events(now: datetime) -> list[EventRow]:
    rows = []
    for s in sources.seeds_failing():
        when = s["last_error_at"] or now
        provider = short_name(s["provider_name"])
        rows.append(
            EventRow(
                key=f"seed:{s['id']}:{s['state']}:{when.isoformat()}",
                account_id=None,
                kind=Kind.SEED_FAILING,
                title=f"Seed mailbox {s['address']} ({provider}) is out of rotation",
                text=s["state_reason"] or s["state"].replace("_", " "),
                data={"seed": s["address"], "state": s["state"]},
                occurred_at=when,
                stale=is_stale(when, now=now),
            )
        )
    return rows


def _feed_events(now: datetime) -> list[EventRow]:
    rows = []
    for feed in FeedConnection.objects.filter(
        status=FeedConnection.Status.FAILING, error_since__isnull=False
    ).values("id", "account_id", "kind", "last_error", "error_since"):
        label = FEED_LABELS.get(feed["kind"], feed["kind"])
        rows.append(
            EventRow(
                key=f"feed:{feed['id']}:{feed['error_since'].isoformat()}",
                account_id=feed["account_id"],
                kind=Kind.FEED_FAILING,
                title=f"The {label} feed is failing",
                text=feed["last_error"],
                data={"feed": feed["kind"], "error": feed["last_error"]},
                occurred_at=feed["error_since"],
                stale=is_stale(feed["error_since"], now=now),
            )
        )
    return rows


def _pool_events(now: datetime) -> list[EventRow]:
    rows = []
    for pool in sources.pools_near_capacity(since=now.date() - timedelta(days=1)):
        # Flagged today: the scan runs minutes after the watch. An earlier day: its start.
        today = pool["alerted_on"] >= now.date()
        when = now if today else _midnight(pool["alerted_on"])
        rows.append(
            EventRow(
                key=f"pool:{pool['id']}:{pool['alerted_on'].isoformat()}",
                account_id=None,
                kind=Kind.POOL_NEAR_CAPACITY,
                title=f"Shared pool {pool['name']} is near its capacity",
                text=pool["sentence"][0].upper() + pool["sentence"][1:] + ".",
                data={
                    "pool": pool["name"],
                    "capacity": pool["capacity"],
                    "routed_today": pool["routed"],
                },
                occurred_at=when,
                stale=is_stale(when, now=now),
            )
        )
    return rows


def notifications_scan(*, now: datetime | None = None) -> ScanSummary:
    """Record every new event of every source (see the module docstring)."""
    now = now or timezone.now()
    summary = ScanSummary()
    rows: list[EventRow] = []
    for source in (
        _ip_decision_events,
        _listing_events,
        _domain_events,
        _plan_events,
        _rewarm_events,
        _seed_events,
        _coverage_events,
        _feed_events,
        _pool_events,
    ):
        found = source(now)
        for row in found:
            summary.found[row.kind] += 1
        rows.extend(found)
    with connection.cursor() as cursor:
        summary.new = events_insert(cursor, rows)
    return summary
