"""Dedicated IPs (operators add, customers read their own), their per-provider warm-up rows and
the operators' warm-up controls."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.tenancy import is_operator
from ips import selectors, services
from ips.addresses import normalise_ip
from ips.api.common import OperatorsSeeAllViewSet
from ips.models import DedicatedIp, IpPool
from ips.services.controls import ACTIONS, ip_warmup_control
from warmup_site.api import StrictBooleanField
from warmup_site.errors import ApplicationError

# --- IPs ------------------------------------------------------------------------------------------


class IpCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField(help_text="pass, fail or unknown.")
    detail = serializers.CharField()
    found = serializers.ListField(child=serializers.CharField())
    checked_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(help_text="The last temporary DNS failure, if any.")
    overridden = serializers.BooleanField()


class ReadinessOverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(source="readiness_override_reason")
    at = serializers.DateTimeField(source="readiness_override_at")


class DedicatedIpSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(read_only=True)
    pool_name = serializers.CharField(source="pool.name", read_only=True)
    checks = IpCheckSerializer(many=True, read_only=True)
    readiness_override = serializers.SerializerMethodField()
    warmup_percentage = serializers.SerializerMethodField(
        help_text="How far the warm-up has come, 0–100 (as Amazon SES reports it): the mean "
        "over the providers whose warm-up started; 100 when warm everywhere."
    )
    warmup_percentage_by_provider = serializers.SerializerMethodField(
        help_text="The same per provider slug."
    )

    class Meta:
        model = DedicatedIp
        fields = [
            "address",
            "version",
            "hostname",
            "pool",
            "pool_name",
            "state",
            "readiness",
            "readiness_checked_at",
            "readiness_override",
            "checks",
            "warmup_percentage",
            "warmup_percentage_by_provider",
            "created_at",
        ]

    def _rows(self, obj) -> list:
        # Read for the whole page by the view (selectors.ip_warmup_rows): no query per IP.
        return self.context.get("warmup_rows", {}).get(obj.pk, [])

    def get_warmup_percentage(self, obj) -> int:
        return selectors.ip_warmup_percentage(self._rows(obj))

    def get_warmup_percentage_by_provider(self, obj) -> dict[str, int]:
        return {row.provider: row.warmup_percentage for row in self._rows(obj)}

    @extend_schema_field(ReadinessOverrideSerializer(allow_null=True))
    def get_readiness_override(self, obj) -> dict | None:
        if not obj.readiness_override_at:
            return None
        return ReadinessOverrideSerializer(obj).data


class DedicatedIpCreateSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=60, help_text="IPv4 or IPv6.")
    pool = serializers.IntegerField()
    hostname = serializers.CharField(max_length=253, required=False, default="", allow_blank=True)
    warm = StrictBooleanField(
        default=False,
        help_text="The IP already has a good reputation (skip the ramp; growth limits apply).",
    )


class WarmupRowSerializer(serializers.Serializer):
    provider = serializers.CharField()
    state = serializers.CharField()
    stage = serializers.IntegerField()
    daily_cap = serializers.IntegerField(help_text="Today's cap.")
    used_today = serializers.IntegerField(help_text="Recipients routed to it today.")
    remaining_now = serializers.IntegerField(
        help_text="What it could still take this hour (pacing, suspension included)."
    )
    sending_days = serializers.IntegerField()
    suspended_until = serializers.DateTimeField(allow_null=True)
    suspension_reason = serializers.CharField()
    warmup_percentage = serializers.IntegerField(
        help_text="How far the warm-up at this provider has come, 0–100 (100: warm)."
    )
    last_decision = serializers.JSONField(
        allow_null=True,
        help_text="The newest decision: {kind, date, reason, actor, at}; `reason` is a sentence "
        "with the figures it used.",
    )
    cause_decision = serializers.JSONField(
        allow_null=True,
        help_text="The decision that put the warm-up in its current state (a back-off, a "
        "suspension, …) when it is not the newest one; same shape as `last_decision`.",
    )
    progress = serializers.JSONField(
        allow_null=True,
        help_text="{label, stage, stages, percent, days_left, basis, growth_per_sending_day}: "
        "'stage 2 of 10 · ~12 days left'. `basis` says where days_left comes from: `pace` (the "
        "cap's growth per sending day over the last week), `profile` (the stage table's "
        "minimum days), or warm / paused / not_started (no estimate).",
    )
    estimated_finish = serializers.DateField(
        allow_null=True, help_text="The day the warm-up should end at this provider (UTC)."
    )


class WarmupControlSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why: recorded with your name in the decision history."
    )
    provider = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="One provider (slug, or gmail/outlook/hotmail/aol); leave out for all.",
    )
    stage = serializers.IntegerField(
        required=False, min_value=1, help_text="For set-stage: the stage to put it at."
    )


@extend_schema_view(
    list=extend_schema(summary="Dedicated IPs with their readiness and warm-up progress"),
    retrieve=extend_schema(summary="One dedicated IP"),
)
class DedicatedIpViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    OperatorsSeeAllViewSet,
):
    """Dedicated IPs, addressed by their IP (IPv6 in its usual form, e.g. 2001:db8::1)."""

    serializer_class = DedicatedIpSerializer
    lookup_field = "address"
    lookup_value_regex = r"[0-9A-Fa-f:.]+"

    def get_base_queryset(self) -> QuerySet[DedicatedIp]:
        return selectors.dedicated_ip_list()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize([self.get_object()])[0])

    def _serialize(self, ips: list[DedicatedIp]) -> list[dict]:
        rows = selectors.ip_warmup_rows(ip_ids=[ip.pk for ip in ips])
        context = {**self.get_serializer_context(), "warmup_rows": rows}
        return DedicatedIpSerializer(ips, many=True, context=context).data

    def get_object(self):
        try:
            address = normalise_ip(self.kwargs["address"])
        except ValueError:
            raise Http404 from None
        return get_object_or_404(self.get_queryset(), address=address)

    @extend_schema(
        summary="Add a dedicated IP to a pool (operators)",
        request=DedicatedIpCreateSerializer,
        responses={201: DedicatedIpSerializer},
    )
    def create(self, request, *args, **kwargs):
        self.check_create_allowed()
        data = DedicatedIpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pool = IpPool.objects.filter(pk=values["pool"]).first()
        if pool is None:
            raise ApplicationError("There is no such pool.", field="pool")
        ip = services.ip_create(
            pool=pool, address=values["address"], hostname=values["hostname"], warm=values["warm"]
        )
        ip = self.get_base_queryset().get(pk=ip.pk)
        return Response(DedicatedIpSerializer(ip).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The IP's warm-up at every provider, today",
        responses=WarmupRowSerializer(many=True),
    )
    # One row per provider, never paginated.
    @action(detail=True, methods=["get"], url_path="warmup", pagination_class=None)
    def warmup(self, request, address=None):
        """Per provider: state, stage, today's cap and use, sending days, the last decision."""
        ip = self.get_object()
        rows = selectors.ip_warmup_rows(ip_ids=[ip.pk], with_estimates=True)[ip.pk]
        return Response(WarmupRowSerializer(rows, many=True).data)

    @extend_schema(
        summary="Pause, resume, set the stage of, complete or restart a warm-up (operators)",
        request=WarmupControlSerializer,
        responses=WarmupRowSerializer(many=True),
        parameters=[
            OpenApiParameter("control", str, OpenApiParameter.PATH, enum=[*ACTIONS]),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"warmup/(?P<control>{'|'.join(ACTIONS)})",
        url_name="warmup-control",
    )
    def warmup_control(self, request, address=None, control=None):
        """Operators: pause, resume, set-stage, complete, restart or cancel-suspension (one
        provider, or all); answers the per-provider rows after the change."""
        ip = self.get_object()  # another account's IP: 404 before anything else
        if not is_operator(request.user):
            raise PermissionDenied("Only operators change a warm-up; ask your provider.")
        data = WarmupControlSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if control == "set-stage" and values.get("stage") is None:
            raise ApplicationError("Give the stage to set (a whole number from 1).", field="stage")
        ip_warmup_control(
            ip=ip,
            action=control,
            actor=request.user,
            reason=values["reason"],
            provider=values.get("provider") or None,
            stage=values.get("stage"),
        )
        rows = selectors.ip_warmup_rows(ip_ids=[ip.pk], with_estimates=True)[ip.pk]
        return Response(WarmupRowSerializer(rows, many=True).data)
