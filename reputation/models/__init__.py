"""The reputation app's models, by topic (re-exported here):

- snapshots.py     — daily snapshots per (domain or IP, provider, day), the job's day ledger
- feeds.py         — feed connections, Postmaster Tools and SNDS data
- notifications.py — events, preferences, webhook endpoints and deliveries, scan cursors
- fleet.py         — the admin's fleet view (a proxy model)
"""

from reputation.models.feeds import (
    FeedConnection,
    PostmasterDomain,
    PostmasterDomainDay,
    SndsBlockedRange,
    SndsIpDay,
)
from reputation.models.fleet import WarmupFleet
from reputation.models.notifications import (
    DEFAULT_KINDS,
    Kind,
    NotificationCursor,
    NotificationEvent,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from reputation.models.snapshots import (
    Deliverability,
    DomainSnapshot,
    IpSnapshot,
    Reputation,
    Snapshot,
    SnapshotDay,
)

__all__ = [
    "DEFAULT_KINDS",
    "Deliverability",
    "DomainSnapshot",
    "FeedConnection",
    "IpSnapshot",
    "Kind",
    "NotificationCursor",
    "NotificationEvent",
    "NotificationPreference",
    "PostmasterDomain",
    "PostmasterDomainDay",
    "Reputation",
    "Snapshot",
    "SnapshotDay",
    "SndsBlockedRange",
    "SndsIpDay",
    "WarmupFleet",
    "WebhookDelivery",
    "WebhookEndpoint",
]
