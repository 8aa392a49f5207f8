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

from reputation.services.notifications.dispatch import (
    DispatchSummary,
    Preference,
    notification_preference_set,
    notifications_digest,
    notifications_dispatch,
    operator_emails,
)
from reputation.services.notifications.events import (
    EventRow,
    events_insert,
    is_stale,
    short_name,
)
from reputation.services.notifications.scan import ScanSummary, notifications_scan

__all__ = [
    "DispatchSummary",
    "EventRow",
    "Preference",
    "ScanSummary",
    "events_insert",
    "is_stale",
    "notification_preference_set",
    "notifications_digest",
    "notifications_dispatch",
    "notifications_scan",
    "operator_emails",
    "short_name",
]
