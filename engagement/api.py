"""The placement-test API: `POST /api/v1/placement-tests/` starts a test of a verified domain
and answers the seed addresses and the token to put in the campaign; `GET …/{id}/` reports
where each copy landed per provider, with what the seeds' servers recorded of SPF, DKIM and
DMARC. Thin: the service creates, the selector reads."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from accounts.models import Role
from domains.api import ErrorSerializer
from domains.models import Domain
from engagement import selectors
from engagement.models import PlacementTest
from engagement.services.placement import placement_test_create
from warmup_site.api import AccountScopedViewSet
from warmup_site.errors import ApplicationError

INSTRUCTIONS = (
    "Send your campaign, as you normally would and through your own sending infrastructure, to "
    "every address in `seeds`, with the header `{header}: {token}` (or the token anywhere in "
    "the subject). The seeds look for it for 24 hours and take no action on it."
)


class PlacementCopySerializer(serializers.Serializer):
    address = serializers.EmailField(help_text="The seed address.")
    placement = serializers.ChoiceField(
        choices=["pending", "inbox", "spam", "missing"],
        source="shown_placement",
        help_text="pending: not found yet; missing: not found by the time the test expired.",
    )
    folder = serializers.CharField(help_text="The folder it was found in.")
    category = serializers.CharField(help_text="Gmail's inbox category, if any.")
    found_at = serializers.DateTimeField(allow_null=True)
    spf = serializers.CharField(help_text="From the seed server's Authentication-Results.")
    dkim = serializers.CharField()
    dmarc = serializers.CharField()
    authentication_results = serializers.CharField(help_text="The header as the seed received it.")


class ProviderPlacementSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="Provider slug (google, microsoft, …).")
    provider_name = serializers.CharField()
    inbox = serializers.IntegerField(source="counts.inbox")
    spam = serializers.IntegerField(source="counts.spam")
    missing = serializers.IntegerField(source="counts.missing")
    pending = serializers.IntegerField(source="counts.pending")
    copies = PlacementCopySerializer(many=True)


class PlacementTestSerializer(serializers.Serializer):
    """Translation of `selectors.placement_test_summary()`."""

    id = serializers.IntegerField(source="test.pk")
    domain = serializers.IntegerField(source="test.domain_id")
    domain_name = serializers.CharField(source="test.domain.name")
    token = serializers.CharField(source="test.token")
    header = serializers.SerializerMethodField()
    seeds = serializers.SerializerMethodField(help_text="The addresses to send the campaign to.")
    status = serializers.ChoiceField(
        choices=["waiting", "complete"], help_text="waiting while copies are still looked for."
    )
    expired = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="test.created_at")
    expires_at = serializers.DateTimeField(source="test.expires_at")
    inbox = serializers.IntegerField(source="counts.inbox")
    spam = serializers.IntegerField(source="counts.spam")
    missing = serializers.IntegerField(source="counts.missing")
    pending = serializers.IntegerField(source="counts.pending")
    providers = ProviderPlacementSerializer(many=True)
    instructions = serializers.SerializerMethodField()

    def get_header(self, summary) -> str:
        return PlacementTest.HEADER

    def get_seeds(self, summary) -> list[str]:
        # Translation only: the copies were prefetched with the test.
        return [copy.address for row in summary.providers for copy in row.copies]

    def get_instructions(self, summary) -> str:
        return INSTRUCTIONS.format(header=PlacementTest.HEADER, token=summary.test.token)


class PlacementTestCreateSerializer(serializers.Serializer):
    domain = serializers.IntegerField(help_text="The id of one of your verified domains.")


@extend_schema_view(
    list=extend_schema(
        summary="Your placement tests, newest first",
        responses={200: PlacementTestSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Where each copy of the campaign landed, per provider",
        description="Inbox, spam, missing (not found within 24 hours) or pending per provider "
        "and seed, with the SPF, DKIM and DMARC results the seed's server recorded in "
        "Authentication-Results. Another account's test is a 404.",
        responses={200: PlacementTestSerializer, 404: ErrorSerializer},
    ),
)
class PlacementTestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AccountScopedViewSet):
    """Placement tests of your own campaigns (the seeds measure; they never engage)."""

    serializer_class = PlacementTestSerializer
    lookup_value_regex = r"\d+"
    # Every member may run a test: it measures and changes nothing.
    write_roles = frozenset(Role.values)

    def get_base_queryset(self):
        return selectors.placement_test_list()

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        items = page if page is not None else self.get_queryset()
        data = PlacementTestSerializer(
            [selectors.placement_test_summary(t) for t in items], many=True
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, pk=None):
        summary = selectors.placement_test_summary(self.get_object())
        return Response(PlacementTestSerializer(summary).data)

    @extend_schema(
        summary="Start a placement test of a verified domain",
        description="Answers the seed addresses (one at every provider with an active seed) "
        "and the token to put in the campaign, in an `X-Warmup-Test` header or in the subject. "
        "400 naming `domain` when it is not one of your verified domains or no seed is active.",
        request=PlacementTestCreateSerializer,
        responses={
            201: PlacementTestSerializer,
            400: OpenApiResponse(ErrorSerializer, description="No such verified domain."),
        },
    )
    def create(self, request):
        data = PlacementTestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = (
            Domain.objects.for_account(request.account)
            .filter(pk=data.validated_data["domain"])
            .first()
        )
        if domain is None:
            raise ApplicationError("You have no domain with this id.", field="domain")
        test = placement_test_create(domain=domain, actor=request.user.get_username())
        summary = selectors.placement_test_summary(self.get_queryset().get(pk=test.pk))
        return Response(PlacementTestSerializer(summary).data, status=status.HTTP_201_CREATED)
