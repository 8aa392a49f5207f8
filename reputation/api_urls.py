"""The reputation app's API paths, included under /api/v1/ by warmup_site/urls.py (which names
this module by its dotted path: nothing imports `reputation`)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from reputation import api

router = SimpleRouter(trailing_slash=True)
router.register("reputation/feeds", api.FeedConnectionViewSet, basename="reputation-feed")
router.register("reputation/webhooks", api.WebhookEndpointViewSet, basename="reputation-webhook")
router.register("reputation/events", api.NotificationEventViewSet, basename="reputation-event")

urlpatterns = [
    path("reputation/", api.OverviewView.as_view(), name="reputation-overview"),
    path(
        "reputation/notifications/",
        api.NotificationPreferenceView.as_view(),
        name="reputation-notifications",
    ),
    path(
        "domains/<int:pk>/reputation/",
        api.DomainReputationView.as_view(),
        name="domain-reputation",
    ),
    # An IP as the ips API writes it (IPv6 with colons); the view normalises it.
    re_path(
        r"^ips/(?P<address>[0-9A-Fa-f:.]+)/reputation/$",
        api.IpReputationView.as_view(),
        name="ip-reputation",
    ),
    *router.urls,
]
