"""Notifications: find what changed, record each event once, tell the people who asked.

Nothing calls us when something happens elsewhere (nothing imports `reputation`), so
`notifications_scan()` *reads* what the other apps store (reputation/sources.py) and turns it
into `NotificationEvent` rows with a key that makes each one unique:

* IP warm-up backed off / suspended / resumed / warm — new `IpWarmupDecision` rows since a
  high-water mark; key: the decision's id;
* a blocklist listing — DNS-blocklist `IpCheck`s that fail and changed since the last scan;
  key: the check and when it changed;
* a domain about to be unverified, or unverified — `Domain.consecutive_failures`, `status`,
  `failed_at`; key: the domain and the failure's day or time;
* domain warm-up graduated or needing attention — `DomainWarmupPlan.state`; key: the plan and
  its graduation day or start;
* a warm provider back in warm-up — `DomainWarmupDay` rows decided `rewarm`; key: the plan and
  the day;
* a seed mailbox failing (operators) — `SeedMailbox.state`; key: seed, state, error time;
* a provider that warm-ups cannot reach (operators) — plans *not covered* for want of an active
  seed; key: the provider and when its seeds last changed;
* a feed failing — our `FeedConnection.status`; key: the connection and when it started;
* a shared pool near its capacity (operators) — `IpPool.capacity_alerted_on`, set by the ips
  capacity watch; key: the pool and the day;
* a verdict changed — written by the snapshot job; key: subject, provider and day.

Scanning twice records nothing twice (INSERT … ON CONFLICT (key) DO NOTHING). The IP-decision
mark stays an hour behind the newest rows, so a decision committed late by a long transaction is
still read (and the key drops the ones read twice).

`notifications_dispatch()` then sends each new event: mail now (or in the daily digest,
`notifications_digest()`) and a signed POST to every webhook endpoint that wants it
(reputation/services/webhooks.py). Events found too late to be news (a catch-up after days of
downtime) are stored as *stale* and not sent. No secret ever goes into an event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import MANAGE_ROLES, Account, Membership
from reputation import sources
from reputation.models import (
    DEFAULT_KINDS,
    FeedConnection,
    Kind,
    NotificationCursor,
    NotificationEvent,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from reputation.services import sql, webhooks
from warmup_site.errors import ApplicationError

logger = logging.getLogger(__name__)

# The decision mark stays this far behind the newest decisions (see the module docstring).
DECISION_LAG = timedelta(hours=1)
DECISION_BATCH = 5000
DECISION_KINDS = {
    "backoff": Kind.IP_BACKED_OFF,
    "suspend": Kind.IP_SUSPENDED,
    "resume": Kind.IP_RESUMED,
    "unsuspend": Kind.IP_RESUMED,
    "warm": Kind.IP_WARM,
}
DECISION_WORDS = {
    Kind.IP_BACKED_OFF: "warm-up backed off",
    Kind.IP_SUSPENDED: "warm-up suspended",
    Kind.IP_RESUMED: "warm-up resumed",
    Kind.IP_WARM: "is warm",
}
# Blocklist checks that changed within this long before the last scan are read again.
CHECK_OVERLAP = timedelta(hours=1)
FEED_LABELS = {"postmaster": "Google Postmaster Tools", "snds": "Microsoft SNDS"}


@dataclass(frozen=True)
class EventRow:
    key: str
    account_id: int | None
    kind: str
    title: str
    text: str
    data: dict
    occurred_at: datetime
    stale: bool = False


EVENT_COLUMNS = [
    ("account_id", "bigint"),
    ("key", "text"),
    ("kind", "text"),
    ("title", "text"),
    ("text", "text"),
    ("data", "jsonb"),
    ("occurred_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("stale", "boolean"),
]


def short_name(name: str) -> str:
    """ "Google (Gmail, Workspace)" → "Google": sentences name the provider briefly."""
    return name.split(" (", 1)[0]


def is_stale(moment: datetime, *, now: datetime) -> bool:
    """Older than WARMUP_NOTIFY_MAX_AGE_HOURS: no longer news."""
    return moment < now - timedelta(hours=settings.WARMUP_NOTIFY_MAX_AGE_HOURS)


def events_insert(cursor, rows: list[EventRow]) -> int:
    """Record events in one statement; an event whose key is known is left alone. Returns how
    many were new."""
    if not rows:
        return 0
    now = sql.stamp(timezone.now())
    return sql.upsert(
        cursor,
        table=NotificationEvent._meta.db_table,
        columns=EVENT_COLUMNS,
        conflict=["key"],
        update=False,
        rows=[
            [
                r.account_id,
                r.key[:200],
                r.kind,
                r.title[:300],
                r.text,
                r.data,
                sql.stamp(r.occurred_at),
                now,
                r.stale,
            ]
            for r in rows
        ],
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
            when = _midnight(d["last_failure_on"])
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
                    occurred_at=when,
                    stale=is_stale(when + timedelta(days=1), now=now),
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
            when = _midnight(p["graduated_on"])
            rows.append(
                EventRow(
                    key=f"plan-warm:{p['id']}:{p['graduated_on'].isoformat()}",
                    account_id=p["account_id"],
                    kind=Kind.DOMAIN_GRADUATED,
                    title=f"{p['domain']} graduated at {provider}",
                    text=p["reason"],
                    data=data,
                    occurred_at=when,
                    stale=is_stale(when + timedelta(days=1), now=now),
                )
            )
        else:
            when = _midnight(p["last_step_on"] or p["started_on"])
            rows.append(
                EventRow(
                    key=f"plan-attention:{p['id']}:{p['started_on'].isoformat()}",
                    account_id=p["account_id"],
                    kind=Kind.DOMAIN_ATTENTION,
                    title=f"{p['domain']}: the warm-up at {provider} needs attention",
                    text=p["reason"],
                    data=data,
                    occurred_at=when,
                    stale=is_stale(when + timedelta(days=1), now=now),
                )
            )
    return rows


def _rewarm_events(now: datetime) -> list[EventRow]:
    rows = []
    today = now.astimezone(UTC).date()
    for d in sources.plans_rewarmed(since=today - timedelta(days=7)):
        provider = short_name(d["provider_name"])
        when = _midnight(d["date"])
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
                occurred_at=when,
                stale=is_stale(when + timedelta(days=1), now=now),
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


# --- preferences and recipients ------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    kinds: frozenset[str]
    email: bool
    digest: bool
    extra: tuple[str, ...]

    @classmethod
    def of(cls, row: NotificationPreference | None) -> Preference:
        if row is None:
            return cls(frozenset(DEFAULT_KINDS), True, False, ())
        return cls(frozenset(row.kinds), row.email, row.digest, tuple(row.extra_recipients))


def notification_preference_set(
    *,
    account: Account,
    kinds: list[str] | None = None,
    email: bool | None = None,
    digest: bool | None = None,
    extra_recipients: list[str] | None = None,
) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.get_or_create(
        account=account, defaults={"kinds": list(DEFAULT_KINDS)}
    )
    if kinds is not None:
        unknown = sorted(set(kinds) - set(DEFAULT_KINDS))
        if unknown:
            raise ApplicationError(
                f"Unknown event kinds: {', '.join(unknown)} (known: {', '.join(DEFAULT_KINDS)}).",
                field="kinds",
            )
        pref.kinds = [k for k in DEFAULT_KINDS if k in kinds]
    if email is not None:
        pref.email = email
    if digest is not None:
        pref.digest = digest
    if extra_recipients is not None:
        cleaned = []
        for index, address in enumerate(extra_recipients):
            try:
                validate_email(address)
            except Exception:
                raise ApplicationError(
                    f"{address!r} is not an e-mail address.", field=f"extra_recipients[{index}]"
                ) from None
            cleaned.append(address.strip().lower())
        pref.extra_recipients = cleaned
    pref.save()
    return pref


def operator_emails() -> list[str]:
    """Where operator events are mailed: WARMUP_OPERATOR_EMAILS, else every active operator's
    address."""
    if settings.WARMUP_OPERATOR_EMAILS:
        return list(settings.WARMUP_OPERATOR_EMAILS)

    operate = Permission.objects.filter(content_type__app_label="accounts", codename="operate")
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(is_staff=True, groups__permissions__in=operate)
            | Q(is_staff=True, user_permissions__in=operate)
        )
    )
    return sorted(set(users.values_list("email", flat=True)))


def _account_emails(account_ids) -> dict[int, list[str]]:
    emails: dict[int, set[str]] = defaultdict(set)
    for account_id, email in (
        Membership.objects.filter(account_id__in=list(account_ids), role__in=list(MANAGE_ROLES))
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("account_id", "user__email")
    ):
        emails[account_id].add(email)
    return {k: sorted(v) for k, v in emails.items()}


# --- mail ----------------------------------------------------------------------------------------


def _footer(account_name: str | None) -> str:
    where = f"{settings.WARMUP_SITE_URL}/admin/reputation/notificationpreference/"
    who = f"the {account_name} account" if account_name else "the operators"
    return (
        f"\n\n-- \nWarmup sent this to {who}. Choose which events you receive, and a daily "
        f"digest instead, in the notification settings ({where}) or with "
        f"PUT /api/v1/reputation/notifications/."
    )


def _event_mail(event: NotificationEvent, recipients: list[str], account_name) -> EmailMessage:
    return EmailMessage(
        subject=f"[Warmup] {event.title}",
        body=f"{event.title}\n\n{event.text}\n\n{event.occurred_at:%Y-%m-%d %H:%M} UTC"
        + _footer(account_name),
        to=recipients,
    )


# --- dispatch ------------------------------------------------------------------------------------


@dataclass
class DispatchSummary:
    events: int = 0
    emails: int = 0
    webhooks: int = 0
    stale: int = 0

    def sentence(self) -> str:
        return (
            f"dispatched {self.events} events: {self.emails} e-mails, {self.webhooks} webhook "
            f"deliveries queued, {self.stale} stale events not sent"
        )


def notifications_dispatch(*, now: datetime | None = None, limit: int = 500) -> DispatchSummary:
    """Send the events not dispatched yet: mail now (unless the account wants a digest) and a
    webhook delivery per endpoint that wants the kind. Each event is claimed with a
    conditional UPDATE, so two workers never send one twice."""
    now = now or timezone.now()
    summary = DispatchSummary()
    with transaction.atomic():
        queue = NotificationEvent.objects.filter(dispatched_at__isnull=True).order_by("created_at")
        if connection.features.has_select_for_update_skip_locked:
            # Only the events' rows: the account is an outer join (operators' events).
            queue = queue.select_for_update(skip_locked=True, of=("self",))
        events = list(queue.select_related("account")[:limit])
        if not events:
            return summary
        NotificationEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
        account_ids = {e.account_id for e in events if e.account_id}
        prefs = {
            p.account_id: Preference.of(p)
            for p in NotificationPreference.objects.filter(account_id__in=account_ids)
        }
        endpoints: dict[int | None, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(active=True).filter(
            Q(account_id__in=account_ids) | Q(account__isnull=True)
        ):
            endpoints[endpoint.account_id].append(endpoint)
        emails = _account_emails(account_ids)
        operators = operator_emails() if any(e.account_id is None for e in events) else []
        mails: list[EmailMessage] = []
        emailed: list[int] = []
        deliveries: list[WebhookDelivery] = []
        for event in events:
            summary.events += 1
            if event.stale:
                summary.stale += 1
                continue
            if event.account_id is None:
                pref = Preference(frozenset(Kind.values), True, False, ())
                recipients = operators
            else:
                pref = prefs.get(event.account_id) or Preference.of(None)
                recipients = sorted({*emails.get(event.account_id, ()), *pref.extra})
            if event.kind not in pref.kinds:
                continue
            if pref.email and not pref.digest and recipients:
                mails.append(
                    _event_mail(event, recipients, event.account.name if event.account else None)
                )
                emailed.append(event.pk)
            for endpoint in endpoints.get(event.account_id, ()):
                if endpoint.wants(event.kind):
                    deliveries.append(
                        webhooks.delivery_for(endpoint=endpoint, event=event, now=now)
                    )
        if emailed:
            NotificationEvent.objects.filter(pk__in=emailed).update(emailed_at=now)
        created = WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        summary.webhooks = len(created)
        ids = list(
            WebhookDelivery.objects.filter(
                event_id__in=[e.pk for e in events], attempts=0
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: webhooks.deliveries_enqueue(ids))
    summary.emails = _send(mails)
    return summary


def _send(mails: list[EmailMessage]) -> int:
    if not mails:
        return 0
    try:
        with get_connection() as mail:
            return mail.send_messages(mails) or 0
    except Exception:
        # The events stay recorded (and are in the admin); a mail server outage must not make
        # the dispatcher send the webhooks twice.
        logger.exception("could not send %d notification e-mails", len(mails))
        return 0


def notifications_digest(*, now: datetime | None = None) -> int:
    """One mail per account that chose the digest, with the events of the last day it has not
    been mailed yet. Returns the number of mails sent."""
    now = now or timezone.now()
    prefs = list(
        NotificationPreference.objects.filter(email=True, digest=True).select_related("account")
    )
    if not prefs:
        return 0
    emails = _account_emails([p.account_id for p in prefs])
    mails, sent_ids = [], []
    pending = defaultdict(list)
    for event in NotificationEvent.objects.filter(
        account_id__in=[p.account_id for p in prefs],
        dispatched_at__isnull=False,
        emailed_at__isnull=True,
        stale=False,
        occurred_at__gte=now - timedelta(days=2),
    ).order_by("occurred_at"):
        pending[event.account_id].append(event)
    for pref_row in prefs:
        pref = Preference.of(pref_row)
        events = [e for e in pending.get(pref_row.account_id, ()) if e.kind in pref.kinds]
        recipients = sorted({*emails.get(pref_row.account_id, ()), *pref.extra})
        if not events or not recipients:
            continue
        lines = [f"- {e.occurred_at:%d %b %H:%M} UTC — {e.title}\n  {e.text}" for e in events]
        mails.append(
            EmailMessage(
                subject=f"[Warmup] Daily digest: {len(events)} events for {pref_row.account.name}",
                body="\n\n".join(lines) + _footer(pref_row.account.name),
                to=recipients,
            )
        )
        sent_ids.extend(e.pk for e in events)
    sent = _send(mails)
    if sent:
        NotificationEvent.objects.filter(pk__in=sent_ids).update(emailed_at=now)
    return sent
