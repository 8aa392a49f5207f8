from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import MANAGE_ROLES, Role
from domains import selectors, services
from domains.models import Domain, DomainRecord
from warmup_site.api import AccountScopedViewSet


class DomainRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = DomainRecord
        fields = ["kind", "type", "host", "value", "status", "found", "detail", "required"]


class DomainSerializer(serializers.ModelSerializer):
    records = DomainRecordSerializer(many=True, read_only=True)
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
            "records",
        ]
        extra_kwargs = {"name": {"help_text": "The domain as an A-label, lower case."}}


class DomainCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=300,
        help_text="The sending domain, e.g. example.com or mail.example.com (IDN accepted).",
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
