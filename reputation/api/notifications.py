"""Notification preferences, webhook endpoints and their deliveries, the events."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from reputation import selectors
from reputation.models import (
    DEFAULT_KINDS,
    NotificationEvent,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from reputation.services import notifications, webhooks
from warmup_site.api import AccountScopedViewSet, StrictBooleanField

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
