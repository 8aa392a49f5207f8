"""The account's connections to the providers' own feeds (Postmaster Tools, SNDS)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from reputation import selectors
from reputation.models import (
    FeedConnection,
)
from reputation.services import feeds
from warmup_site.api import AccountScopedViewSet
from warmup_site.errors import RateLimited

FETCH_MIN_INTERVAL = 60  # seconds between two "fetch now" of one connection


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
