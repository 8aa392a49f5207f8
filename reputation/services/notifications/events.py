"""The notification events' shape and how they are stored, each once (shared with the
snapshot job, which records verdict changes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from reputation.models import (
    Kind,
    NotificationEvent,
)
from warmup_site import bulk_sql

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
    now = bulk_sql.stamp(timezone.now())
    return bulk_sql.upsert(
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
                bulk_sql.stamp(r.occurred_at),
                now,
                r.stale,
            ]
            for r in rows
        ],
    )
