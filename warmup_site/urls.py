from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import AuthTokenView, CurrentAccountView
from domains.api import DomainViewSet
from engagement.api import PlacementTestViewSet
from ips.api import (
    AccountIpWarmupView,
    DedicatedIpViewSet,
    EventsView,
    IpPoolViewSet,
    ProviderScheduleView,
    RoutesView,
)
from providers.api import ClassifyView, ProviderViewSet

admin.site.site_header = "Warmup operations"
admin.site.site_title = "Warmup admin"
admin.site.index_title = "Operate domains, IPs, seeds and providers"
# Without the collapsible menu beside every list, wide lists (decision reasons, the task
# queue's next runs) fit a 1,366-pixel screen; the index and breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False

# The API router for /api/v1/. Paths and JSON field names are contracts (DESIGN.md).
router = DefaultRouter(trailing_slash=True)
router.register("providers", ProviderViewSet, basename="provider")
router.register("domains", DomainViewSet, basename="domain")
router.register("ip-pools", IpPoolViewSet, basename="ip-pool")
router.register("ips", DedicatedIpViewSet, basename="ip")
router.register("placement-tests", PlacementTestViewSet, basename="placement-test")

api_v1 = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("account/", CurrentAccountView.as_view(), name="current-account"),
    path("account/ip-warmup/", AccountIpWarmupView.as_view(), name="account-ip-warmup"),
    path("providers/classify/", ClassifyView.as_view(), name="provider-classify"),
    path(
        "providers/<slug:slug>/schedule/",
        ProviderScheduleView.as_view(),
        name="provider-schedule",
    ),
    path("routes/", RoutesView.as_view(), name="routes"),
    path("events/", EventsView.as_view(), name="events"),
    # Reputation (per domain, per IP, the account's overview, feeds, notifications), routed
    # by the reputation app itself and named by dotted path: nothing imports `reputation`.
    path("", include("reputation.api_urls")),
    *router.urls,
]

# API paths that match no route, and unexpected errors on the API, answer JSON
# (warmup_site/api.py); pages keep their HTML.
handler404 = "warmup_site.api.page_not_found"
handler500 = "warmup_site.api.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (?script=), so the
    # page needs no inline script under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("domains/", include("domains.urls")),
    path("ips/", include("ips.urls")),
    path("placement-tests/", include("engagement.urls")),
    path("", include("accounts.urls")),
]
