"""API of the reputation app, by topic: reputation per domain, IP and account
(`reputation.py`), the providers' feeds (`feeds.py`), notifications and webhooks
(`notifications.py`). Thin: parse, call a selector or a service, answer. reputation/api_urls.py
wires the views below."""

from reputation.api.feeds import FeedConnectionViewSet
from reputation.api.notifications import (
    NotificationEventViewSet,
    NotificationPreferenceView,
    WebhookEndpointViewSet,
)
from reputation.api.reputation import DomainReputationView, IpReputationView, OverviewView

__all__ = [
    "DomainReputationView",
    "FeedConnectionViewSet",
    "IpReputationView",
    "NotificationEventViewSet",
    "NotificationPreferenceView",
    "OverviewView",
    "WebhookEndpointViewSet",
]
