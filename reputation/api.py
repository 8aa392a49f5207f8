"""API: reputation per domain, per IP and for the account; feed connections; notification
preferences and webhook endpoints. Thin: parse, call a selector or a service, answer."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import RegexValidator
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import is_operator
from ips.addresses import normalise_ip
from ips.models import utc_day
from reputation import selectors
from reputation.models import (
    DEFAULT_KINDS,
    DomainSnapshot,
    FeedConnection,
    IpSnapshot,
    NotificationEvent,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from reputation.services import feeds, notifications, webhooks
from warmup_site.api import AccountScopedViewSet, StrictBooleanField
from warmup_site.errors import RateLimited

DAYS = OpenApiParameter(
    "days",
    {"type": "integer", "minimum": 1, "maximum": selectors.MAX_DAYS, "default": 30},
    OpenApiParameter.QUERY,
    description=f"How many days of series, ending today (1–{selectors.MAX_DAYS}; default 30).",
)
FETCH_MIN_INTERVAL = 60  # seconds between two "fetch now" of one connection


class DaysSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=selectors.MAX_DAYS, default=30)


# --- reputation --------------------------------------------------------------------------------


class FactorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="complaints, seed_inbox, snds_filter, dnsbl, …")
    effect = serializers.CharField(help_text="positive, neutral or negative.")
    scope = serializers.ChoiceField(choices=["reputation", "delivery"])
    weight = serializers.IntegerField(help_text="What it adds to the score.")
    value = serializers.JSONField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    sentence = serializers.CharField()


class VerdictSerializer(serializers.Serializer):
    day = serializers.DateField()
    reputation = serializers.ChoiceField(choices=["positive", "neutral", "negative"])
    deliverability = serializers.ChoiceField(choices=["high", "medium", "low"])
    score = serializers.IntegerField(help_text="0–100, for charts.")
    sentence = serializers.CharField(help_text="The verdict in one sentence.")
    factors = FactorSerializer(many=True)
    computed_at = serializers.DateTimeField()


class ProviderSeriesSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="Provider slug.")
    name = serializers.CharField()
    today = VerdictSerializer(
        allow_null=True, help_text="The newest day's verdict (today's, updated every hour)."
    )
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True)),
        help_text="One list per figure, one value per day (`day` gives the dates): the "
        "verdict (`score`, `reputation`, `deliverability`), delivery events and their rates, "
        "and per subject kind the seeds and Postmaster Tools (domains) or the warm-up, "
        "readiness and SNDS (IPs).",
    )


class SubjectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["domain", "ip"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class SubjectReputationSerializer(serializers.Serializer):
    subject = SubjectSerializer()
    days = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    providers = ProviderSeriesSerializer(many=True)


_EXAMPLE = {
    "subject": {"kind": "domain", "id": 7, "name": "news.example.com"},
    "days": 2,
    "start": "2026-11-22",
    "end": "2026-11-23",
    "providers": [
        {
            "provider": "google",
            "name": "Google (Gmail, Workspace)",
            "today": {
                "day": "2026-11-23",
                "reputation": "negative",
                "deliverability": "low",
                "score": 20,
                "sentence": "negative: 0.4% complaints at Google on 22–23 Nov, over 0.3%",
                "factors": [
                    {
                        "code": "complaints",
                        "effect": "negative",
                        "scope": "reputation",
                        "weight": -30,
                        "value": 0.004,
                        "threshold": 0.003,
                        "sentence": "negative: 0.4% complaints at Google on 22–23 Nov, over 0.3%",
                    }
                ],
                "computed_at": "2026-11-23T14:05:00+00:00",
            },
            "series": {
                "day": ["2026-11-22", "2026-11-23"],
                "score": [65, 20],
                "reputation": ["positive", "negative"],
                "delivered": [2480, 1210],
                "complaints": [6, 6],
                "complaint_rate": [0.002419, 0.004959],
                "inbox_rate": [0.92, 0.88],
                "pm_spam_rate": [0.0012, None],
            },
        }
    ],
}


_IP_EXAMPLE = {
    "subject": {"kind": "ip", "id": 3, "name": "198.51.100.20"},
    "days": 2,
    "start": "2026-11-22",
    "end": "2026-11-23",
    "providers": [
        {
            "provider": "microsoft",
            "name": "Microsoft (Outlook.com, Microsoft 365)",
            "today": {
                "day": "2026-11-23",
                "reputation": "positive",
                "deliverability": "high",
                "score": 65,
                "sentence": "positive: Microsoft SNDS filter result GREEN on 22–23 Nov (under "
                "10% spam)",
                "factors": [
                    {
                        "code": "snds_filter",
                        "effect": "positive",
                        "scope": "reputation",
                        "weight": 15,
                        "value": "GREEN",
                        "threshold": None,
                        "sentence": "positive: Microsoft SNDS filter result GREEN on 22–23 Nov "
                        "(under 10% spam)",
                    }
                ],
                "computed_at": "2026-11-23T14:05:00+00:00",
            },
            "series": {
                "day": ["2026-11-22", "2026-11-23"],
                "score": [65, 65],
                "warmup_state": ["warming", "warming"],
                "warmup_stage": [4, 5],
                "cap": [400, 640],
                "used": [400, 212],
                "delivered": [396, 210],
                "throttled": [0, 0],
                "snds_filter": ["GREEN", ""],
                "dnsbl_listings": [[], []],
            },
        }
    ],
}


def _days(request) -> int:
    data = DaysSerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data["days"]


def _answer(*, kind: str, subject_id: int, name: str, model, days: int) -> Response:
    today = utc_day(timezone.now())
    providers = selectors.subject_reputation(
        model=model, subject_id=subject_id, days=days, today=today
    )
    return Response(
        {
            "subject": {"kind": kind, "id": subject_id, "name": name},
            "days": days,
            "start": (today - timedelta(days=days - 1)).isoformat(),
            "end": today.isoformat(),
            "providers": [
                {"provider": p.provider, "name": p.name, "today": p.today, "series": p.series}
                for p in providers
            ],
        }
    )


class DomainReputationView(APIView):
    """A domain's reputation at every provider: daily series and today's verdict."""

    @extend_schema(
        summary="A domain's reputation at every provider: daily series and today's verdict",
        parameters=[DAYS],
        responses=SubjectReputationSerializer,
        examples=[OpenApiExample("A domain at Gmail", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        days = _days(request)
        domain = selectors.domain_for(account=request.account, pk=pk)
        if domain is None:
            raise Http404
        return _answer(
            kind="domain", subject_id=domain.pk, name=domain.name, model=DomainSnapshot, days=days
        )


class IpReputationView(APIView):
    """An IP's reputation at every provider: daily series and today's verdict. Operators may
    ask about any IP, shared ones included."""

    @extend_schema(
        summary="An IP's reputation at every provider: daily series and today's verdict",
        parameters=[DAYS],
        responses=SubjectReputationSerializer,
        examples=[OpenApiExample("An IP at Microsoft", value=_IP_EXAMPLE, response_only=True)],
    )
    def get(self, request, address: str):
        days = _days(request)
        try:
            address = normalise_ip(address)
        except ValueError:
            raise Http404 from None
        ip = selectors.ip_for(
            account=request.account, address=address, operator=is_operator(request.user)
        )
        if ip is None:
            raise Http404
        return _answer(kind="ip", subject_id=ip.pk, name=ip.address, model=IpSnapshot, days=days)


class OverviewVerdictSerializer(serializers.Serializer):
    provider = serializers.CharField()
    day = serializers.DateField()
    reputation = serializers.CharField()
    deliverability = serializers.CharField()
    score = serializers.IntegerField()
    sentence = serializers.CharField()


class OverviewSerializer(serializers.Serializer):
    day = serializers.DateField()
    providers = inline_serializer(
        "OverviewProvider",
        {
            "provider": serializers.CharField(),
            "name": serializers.CharField(),
            "deliverability": serializers.CharField(
                help_text="The account's at this provider: high only when some subject has a "
                "positive factor there and none a negative one."
            ),
        },
        many=True,
    )
    domains = inline_serializer(
        "OverviewDomain",
        {
            "id": serializers.IntegerField(),
            "name": serializers.CharField(),
            "providers": OverviewVerdictSerializer(many=True),
        },
        many=True,
    )
    ips = inline_serializer(
        "OverviewIp",
        {
            "id": serializers.IntegerField(),
            "address": serializers.CharField(),
            "providers": OverviewVerdictSerializer(many=True),
        },
        many=True,
    )


class OverviewView(APIView):
    """The account's reputation today: per domain and per dedicated IP, per provider."""

    @extend_schema(
        summary="Today's verdicts for every domain and IP of the account, per provider",
        responses=OverviewSerializer,
    )
    def get(self, request):
        today = utc_day(timezone.now())
        return Response(selectors.account_overview(account=request.account, today=today))


# --- feed connections --------------------------------------------------------------------------


class PostmasterDomainSerializer(serializers.Serializer):
    domain = serializers.CharField(source="domain.name")
    status = serializers.CharField()
    detail = serializers.CharField()
    compliance = serializers.CharField()
    compliance_failing = serializers.ListField(child=serializers.CharField())


class FeedConnectionSerializer(serializers.ModelSerializer):
    domains = PostmasterDomainSerializer(source="postmaster_domains", many=True, read_only=True)

    class Meta:
        model = FeedConnection
        # The secrets are not fields here: write-only, they never come back.
        fields = [
            "id",
            "kind",
            "auth",
            "identity",
            "client_id",
            "delegated_user",
            "enabled",
            "status",
            "status_detail",
            "last_error",
            "error_since",
            "failures",
            "last_attempt_at",
            "last_success_at",
            "next_fetch_at",
            "fetched_through",
            "created_at",
            "domains",
        ]


class FeedConnectionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedConnection.Kind.values)
    auth = serializers.ChoiceField(
        choices=[FeedConnection.Auth.REFRESH_TOKEN, FeedConnection.Auth.SERVICE_ACCOUNT],
        required=False,
        help_text="Postmaster Tools only: refresh_token (default) or service_account.",
    )
    secret = serializers.CharField(
        write_only=True,
        trim_whitespace=True,
        help_text="The refresh token, the service account's JSON key file, or the SNDS key. "
        "Write-only: it is never shown again.",
    )
    client_id = serializers.CharField(required=False, allow_blank=True, default="")
    client_secret = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True
    )
    delegated_user = serializers.EmailField(required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(summary="Postmaster Tools and SNDS connections"),
    retrieve=extend_schema(summary="One feed connection"),
    destroy=extend_schema(summary="Disconnect a feed (owners and admins)"),
)
class FeedConnectionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, AccountScopedViewSet
):
    """The account's Google Postmaster Tools and Microsoft SNDS connections. Owners and admins
    connect (POST again to replace the secret) and disconnect."""

    serializer_class = FeedConnectionSerializer
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_base_queryset(self):
        return selectors.feed_connection_list().order_by("kind")

    @extend_schema(
        summary="Connect Postmaster Tools or SNDS, or replace its secret (owners and admins)",
        request=FeedConnectionInputSerializer,
        responses={201: FeedConnectionSerializer},
    )
    def create(self, request):
        data = FeedConnectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feed = feeds.feed_connection_set(account=request.account, **data.validated_data)
        feed = self.get_queryset().get(pk=feed.pk)
        return Response(FeedConnectionSerializer(feed).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        feeds.feed_connection_delete(feed=instance)

    @extend_schema(
        summary="Fetch a feed now",
        request=None,
        responses={
            200: FeedConnectionSerializer,
            429: OpenApiResponse(description="Fetched a moment ago; Retry-After says when."),
        },
    )
    @action(detail=True, methods=["post"])
    def fetch(self, request, pk=None):
        """Fetch now (at most once a minute) and answer what it found."""
        feed = self.get_object()
        now = timezone.now()
        if feed.last_attempt_at and (now - feed.last_attempt_at).total_seconds() < (
            FETCH_MIN_INTERVAL
        ):
            wait = FETCH_MIN_INTERVAL - int((now - feed.last_attempt_at).total_seconds())
            raise RateLimited(f"Fetched a moment ago; try again in {wait} s.", retry_after=wait)
        feeds.feed_fetch(feed=feed, now=now)
        return Response(FeedConnectionSerializer(self.get_queryset().get(pk=feed.pk)).data)


# --- notifications -----------------------------------------------------------------------------


class PreferenceSerializer(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=DEFAULT_KINDS),
        help_text="The events you receive (mail and webhooks).",
    )
    email = StrictBooleanField(help_text="Mail the owners and admins.")
    digest = StrictBooleanField(help_text="One mail a day instead of one per event.")
    extra_recipients = serializers.ListField(child=serializers.EmailField(), default=list)


class NotificationPreferenceView(APIView):
    """Which events the account hears about, and how."""

    @extend_schema(
        summary="Which reputation events the account receives, and how",
        responses=PreferenceSerializer,
    )
    def get(self, request):
        pref = NotificationPreference.objects.for_account(request.account).first()
        if pref is None:
            return Response(
                {"kinds": DEFAULT_KINDS, "email": True, "digest": False, "extra_recipients": []}
            )
        return Response(PreferenceSerializer(pref).data)

    @extend_schema(
        summary="Choose which reputation events the account receives (owners and admins)",
        request=PreferenceSerializer,
        responses=PreferenceSerializer,
    )
    def put(self, request):
        data = PreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pref = notifications.notification_preference_set(
            account=request.account, **data.validated_data
        )
        return Response(PreferenceSerializer(pref).data)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=DEFAULT_KINDS),
        required=False,
        help_text="The events it receives; leave out or empty for every kind.",
    )
    active = StrictBooleanField(required=False, default=True)
    url = serializers.URLField(
        max_length=500,
        validators=[RegexValidator(r"^https?://", "Give an http or https URL.")],
        help_text="An http(s) URL whose host is a valid DNS name or IP address.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "kinds", "description", "active", "secret_prefix", "created_at"]
        read_only_fields = ["secret_prefix", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret: shown this once. Verify each POST's Warmup-Signature."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "kind",
            "status",
            "attempts",
            "status_code",
            "error",
            "response_excerpt",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]


@extend_schema_view(
    list=extend_schema(summary="The account's webhook endpoints"),
    retrieve=extend_schema(summary="One webhook endpoint"),
    destroy=extend_schema(summary="Remove a webhook endpoint (owners and admins)"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    AccountScopedViewSet,
):
    """URLs that receive the account's events as signed POSTs (docs/reputation.md)."""

    serializer_class = WebhookEndpointSerializer
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_base_queryset(self):
        return selectors.webhook_endpoint_list()

    @extend_schema(
        summary="Add a webhook endpoint; its signing secret is shown this once",
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def create(self, request):
        data = WebhookEndpointSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        endpoint, secret = webhooks.webhook_endpoint_create(
            account=request.account,
            url=values["url"],
            kinds=values.get("kinds"),
            description=values.get("description", ""),
        )
        body = WebhookEndpointSerializer(endpoint).data
        return Response({**body, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook endpoint",
        request=WebhookEndpointSerializer,
        responses=WebhookEndpointSerializer,
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookEndpointSerializer(endpoint, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.webhook_endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Send a test event to the endpoint now",
        request=None,
        responses=WebhookDeliverySerializer,
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test event now; answers the delivery (status code or error)."""
        delivery = webhooks.webhook_send_test(endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data)

    @extend_schema(
        summary="A new signing secret, shown this once",
        request=None,
        responses=inline_serializer("RotatedSecret", {"secret": serializers.CharField()}),
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret, shown this once; the old one stops at once."""
        return Response({"secret": webhooks.webhook_secret_rotate(endpoint=self.get_object())})

    @extend_schema(
        summary="The last 50 deliveries to the endpoint",
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The last 50 deliveries to this endpoint, newest first."""
        rows = selectors.webhook_delivery_list(endpoint=self.get_object())[:50]
        return Response(WebhookDeliverySerializer(rows, many=True).data)


class NotificationEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationEvent
        fields = ["id", "kind", "title", "text", "data", "occurred_at", "emailed_at", "stale"]


@extend_schema_view(list=extend_schema(summary="The account's reputation events, newest first"))
class NotificationEventViewSet(mixins.ListModelMixin, AccountScopedViewSet):
    """The account's notification events, newest first."""

    serializer_class = NotificationEventSerializer

    def get_base_queryset(self):
        return selectors.notification_event_list()
