"""IP pools: operators create (shared pools too, with their capacity); customers read their own."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from accounts.models import Account
from ips import selectors, services
from ips.api.common import OperatorsSeeAllViewSet
from ips.models import IpPool
from warmup_site.api import StrictBooleanField
from warmup_site.errors import ApplicationError

# --- pools ---------------------------------------------------------------------------------------


class IpPoolSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    shared = serializers.BooleanField(source="is_shared", read_only=True)
    overflow_pool = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = IpPool
        fields = [
            "id",
            "name",
            "account",
            "shared",
            "is_default",
            "overflow_pool",
            "capacity",
            "description",
            "created_at",
        ]


class IpPoolCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    account = serializers.SlugField(
        required=False, help_text="The customer account's slug; leave out for a shared pool."
    )
    shared = StrictBooleanField(
        default=False, help_text="True for an operators' shared pool (no account)."
    )
    is_default = StrictBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Make it the account's (or the shared) default pool; the first one is.",
    )
    overflow_pool = serializers.IntegerField(required=False, allow_null=True)
    capacity = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Shared pools: messages a day the whole pool can carry; operators are alerted "
        "when a day nears it (routing never refuses for it).",
    )
    description = serializers.CharField(max_length=200, required=False, default="")

    def validate(self, attrs):
        if attrs.get("shared") == bool(attrs.get("account")):
            raise serializers.ValidationError(
                {"account": ["Give the account's slug, or shared: true for a shared pool."]}
            )
        return attrs


@extend_schema_view(
    list=extend_schema(summary="IP pools: your account's, or every pool for operators"),
    retrieve=extend_schema(summary="One IP pool"),
)
class IpPoolViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    OperatorsSeeAllViewSet,
):
    """IP pools. Customers read their own; operators read all and create."""

    serializer_class = IpPoolSerializer
    lookup_value_regex = r"\d+"  # also tells the OpenAPI schema that the id is an integer

    def get_base_queryset(self) -> QuerySet[IpPool]:
        return selectors.ip_pool_list()

    @extend_schema(
        summary="Add an IP pool (operators)",
        request=IpPoolCreateSerializer,
        responses={201: IpPoolSerializer},
    )
    def create(self, request, *args, **kwargs):
        self.check_create_allowed()
        data = IpPoolCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = None
        if values.get("account"):
            account = Account.objects.filter(slug=values["account"]).first()
            if account is None:
                raise ApplicationError(
                    f"There is no account {values['account']!r}.", field="account"
                )
        overflow = None
        if values.get("overflow_pool") is not None:
            overflow = IpPool.objects.filter(pk=values["overflow_pool"]).first()
            if overflow is None:
                raise ApplicationError("There is no such pool.", field="overflow_pool")
        pool = services.ip_pool_create(
            name=values["name"],
            account=account,
            is_default=values.get("is_default"),
            overflow_pool=overflow,
            description=values.get("description", ""),
            capacity=values.get("capacity"),
        )
        pool = self.get_base_queryset().get(pk=pool.pk)
        return Response(IpPoolSerializer(pool).data, status=status.HTTP_201_CREATED)
