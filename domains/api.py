from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import MANAGE_ROLES, Role
from domains import selectors, services
from domains.models import Domain, DomainRecord
from warmup_site.api import AccountScopedViewSet, StrictBooleanField
from warmup_site.openapi import DomainNameField


class DomainRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = DomainRecord
        fields = ["kind", "type", "host", "value", "status", "found", "detail", "required"]


class ProviderProgressSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="Provider slug (google, microsoft, …).")
    day = serializers.IntegerField(help_text="Warm-up day at this provider (1 = first day).")
    today_volume = serializers.IntegerField(help_text="Messages planned for today.")
    sent_today = serializers.IntegerField()
    inbox_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share of placements in the inbox over the last 3 days and today (0–1); "
        "null before the first placement.",
    )
    placements = serializers.IntegerField(help_text="Placements the inbox rate is based on.")
    state = serializers.ChoiceField(
        choices=["warming", "warm", "needs_attention", "not_covered", "paused"],
        help_text="not_covered: no active seed mailbox at this provider yet, so the warm-up "
        "cannot reach it (the operators are alerted); needs_attention: the plan stopped by "
        "itself (the reason says why); paused: Domain Warmup is off, nothing is sent to this "
        "provider.",
    )
    reason = serializers.CharField(help_text="Why the provider is in its state, with figures.")
    progress = serializers.JSONField(
        allow_null=True,
        help_text="{label, day, expected_days, days_left, percent}: 'day 4 of ~7'. days_left is "
        "null when there is no estimate (paused, needs attention, or the ramp is done and the "
        "inbox rate decides).",
    )
    estimated_finish = serializers.DateField(
        allow_null=True, help_text="The day this provider should be warm (UTC), if known."
    )


class WarmupSerializer(serializers.Serializer):
    """Read-only view of `selectors.warmup_summary()` (a dict from `as_json()`)."""

    enabled = serializers.BooleanField()
    keep_warm = serializers.BooleanField(
        help_text="After graduation a few maintenance messages per provider keep the domain "
        "warm, and a provider whose placement drops goes back to warm-up."
    )
    state = serializers.ChoiceField(choices=["off", "warming", "warm", "needs_attention"])
    started_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.JSONField(
        allow_null=True,
        help_text="The least advanced provider's progress, plus `providers_warm` (how many are).",
    )
    estimated_finish = serializers.DateField(
        allow_null=True,
        help_text="The day every provider should be warm (UTC): null while any has no estimate.",
    )
    providers = ProviderProgressSerializer(many=True)


class WarmupSwitchSerializer(serializers.Serializer):
    enabled = StrictBooleanField(help_text="true switches Domain Warmup on, false off.")
    keep_warm = StrictBooleanField(
        required=False,
        help_text="Optional: false stops the maintenance mail after graduation (and the "
        "automatic return to warm-up); the history stays.",
    )


class DomainSerializer(serializers.ModelSerializer):
    records = DomainRecordSerializer(many=True, read_only=True)
    warmup = serializers.SerializerMethodField()
    unicode_name = serializers.CharField(
        read_only=True, help_text="The name for display (U-label)."
    )

    class Meta:
        model = Domain
        fields = [
            "id",
            "name",
            "unicode_name",
            "status",
            "verified_at",
            "last_checked_at",
            "problem",
            "created_at",
            "warmup",
            "records",
        ]
        extra_kwargs = {"name": {"help_text": "The domain as an A-label, lower case."}}

    @extend_schema_field(WarmupSerializer)
    def get_warmup(self, domain) -> dict:
        # Translation only: the selector prefetched the warm-up, its plans and their days.
        return selectors.warmup_summary(domain).as_json()


class DomainCreateSerializer(serializers.Serializer):
    name = DomainNameField(
        max_length=300,
        help_text="The sending domain, e.g. example.com or mail.example.com (IDN accepted). "
        "Also refused with a 400 naming `name`: a public suffix (co.uk), a name longer than "
        "the longest whose records fit in DNS (223 characters), one of your domains already.",
    )


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="Your sending domains, with the DNS records to publish"),
    retrieve=extend_schema(summary="One domain and the status of each record"),
    destroy=extend_schema(summary="Remove a domain (owners and admins)"),
)
class DomainViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    AccountScopedViewSet,
):
    """Sending domains: add one, publish the records shown, verify."""

    serializer_class = DomainSerializer
    lookup_value_regex = r"\d+"

    @property
    def write_roles(self):
        # Every member may ask for a check; changing the list takes an owner or admin.
        return frozenset(Role.values) if self.action == "verify" else MANAGE_ROLES

    def get_base_queryset(self):
        return selectors.domain_list()

    def get_serializer_class(self):
        # OPTIONS on …/warmup/ (DRF's "metadata" action) describes what PUT takes
        # ({enabled}), not the domain.
        match = getattr(self.request, "resolver_match", None)
        if self.action == "warmup" or (match and match.url_name == "domain-warmup"):
            return WarmupSwitchSerializer
        return super().get_serializer_class()

    def _answer(self, domain_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        domain = self.get_queryset().get(pk=domain_id)
        return Response(DomainSerializer(domain).data, status=status_code)

    @extend_schema(
        summary="Add a domain (owners and admins)",
        request=DomainCreateSerializer,
        responses={201: DomainSerializer, 400: ErrorSerializer},
    )
    def create(self, request):
        data = DomainCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = services.domain_create(account=request.account, name=data.validated_data["name"])
        return self._answer(domain.pk, status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.domain_delete(domain=instance)

    @extend_schema(
        summary="Check the domain's DNS records now",
        description="Answers the updated domain. Rate-limited per domain: 429 with Retry-After "
        "(seconds) when it was checked on demand too recently.",
        request=None,
        responses={
            200: DomainSerializer,
            429: OpenApiResponse(ErrorSerializer, description="Checked too recently."),
        },
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        domain = self.get_object()
        services.domain_verify(domain=domain)
        return self._answer(domain.pk)

    @extend_schema(
        summary="Start a DKIM key rotation (owners and admins)",
        description="Adds a new key under a new selector; publish its record. The current key "
        "keeps signing until the new one verifies, then the new one takes over.",
        request=None,
        responses={200: DomainSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="dkim/rotate", url_name="dkim-rotate")
    def dkim_rotate(self, request, pk=None):
        domain = self.get_object()
        services.domain_dkim_rotate(domain=domain)
        return self._answer(domain.pk)

    @extend_schema(
        methods=["GET"],
        summary="The domain's warm-up: the switch and the progress per provider",
        responses={200: WarmupSerializer},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Switch Domain Warmup on or off (owners and admins)",
        description="Only verified domains can be switched on (400 naming `enabled` otherwise). "
        "Switching off stops sending at once and keeps the history. `keep_warm` (optional) "
        "switches the maintenance after graduation on or off.",
        request=WarmupSwitchSerializer,
        responses={200: WarmupSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["get", "put"], url_path="warmup", url_name="warmup")
    def warmup(self, request, pk=None):
        domain = self.get_object()
        if request.method == "PUT":
            data = WarmupSwitchSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.domain_warmup_set(
                domain=domain,
                enabled=data.validated_data["enabled"],
                actor=request.user.get_username(),
            )
            if "keep_warm" in data.validated_data:
                services.domain_warmup_keep_warm_set(
                    domain=domain, keep_warm=data.validated_data["keep_warm"]
                )
            domain = self.get_queryset().get(pk=domain.pk)
        return Response(selectors.warmup_summary(domain).as_json())
