from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from providers import services
from providers.models import MailboxProvider
from warmup_site.hostnames import normalise_domain, to_unicode
from warmup_site.openapi import DomainNameField

MAX_CLASSIFY = 10_000


class ProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = MailboxProvider
        fields = ["slug", "name", "consumer_domains", "mx_suffixes"]


@extend_schema_view(
    list=extend_schema(summary="The mailbox providers, in the order pages show them"),
    retrieve=extend_schema(summary="One mailbox provider"),
)
class ProviderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The mailbox providers Warmup warms separately. Operators edit them in the admin."""

    queryset = MailboxProvider.objects.order_by("position", "name")
    serializer_class = ProviderSerializer
    lookup_field = "slug"
    pagination_class = None


class ClassifyRequestSerializer(serializers.Serializer):
    domains = serializers.ListField(
        child=DomainNameField(max_length=300, trim_whitespace=True),
        min_length=1,
        max_length=MAX_CLASSIFY,
        help_text=f"Recipient domains, at most {MAX_CLASSIFY:,}; IDN accepted, case and "
        "duplicates folded.",
    )

    def validate_domains(self, values):
        errors = {}
        normalised = []
        for index, value in enumerate(values):
            try:
                normalised.append(normalise_domain(value))
            except ValueError as exc:
                errors[index] = [f"{value!r} {exc}."]
        if errors:
            raise serializers.ValidationError(errors)
        return list(dict.fromkeys(normalised))


class ClassificationSerializer(serializers.Serializer):
    domain = serializers.CharField(help_text="The domain as an A-label, lower case.")
    unicode = serializers.SerializerMethodField(help_text="The domain for display (U-label).")
    provider = serializers.CharField(help_text="Provider slug, e.g. google, microsoft, other.")
    source = serializers.CharField(
        help_text="known_domain, mx, no_mx (cached briefly) or dns_error (not cached)."
    )
    mx_hosts = serializers.ListField(child=serializers.CharField())

    def get_unicode(self, obj) -> str:
        return to_unicode(obj.domain)


class ClassifyResponseSerializer(serializers.Serializer):
    results = ClassificationSerializer(many=True)


class ClassifyView(APIView):
    """Which mailbox provider each recipient domain belongs to."""

    reads_only = True  # a POST that only reads: every member may classify

    @extend_schema(
        summary="Which mailbox provider each recipient domain belongs to",
        request=ClassifyRequestSerializer,
        responses=ClassifyResponseSerializer,
    )
    def post(self, request):
        data = ClassifyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domains = data.validated_data["domains"]
        classified = services.domains_classify(domains=domains)
        results = [classified[domain] for domain in domains]
        return Response({"results": ClassificationSerializer(results, many=True).data})
