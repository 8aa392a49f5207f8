"""The account's IP warm-up settings (Amazon SES's AutoWarmupEnabled) and its floor report."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ips import selectors, services
from warmup_site.api import StrictBooleanField

# --- the account's IP warm-up settings (Amazon SES's AutoWarmupEnabled) ------------------------

AUTO_WARMUP_OFF_WARNING = (
    "Automatic warm-up is off: new dedicated IPs take full traffic as soon as their checks "
    "pass. Mailbox providers throttle and block cold IPs that send a lot at once."
)


class FloorLineSerializer(serializers.Serializer):
    provider = serializers.CharField()
    floor = serializers.IntegerField(help_text="Messages a day that keep a warm IP warm here.")
    warm_ips = serializers.IntegerField()
    daily_volume = serializers.IntegerField(help_text="Routed a day there, last 7 days.")
    supported = serializers.IntegerField(help_text="How many IPs that volume keeps warm.")
    shortfall = serializers.IntegerField(help_text="Warm IPs the volume cannot keep warm.")
    sentence = serializers.CharField()


class AccountIpWarmupSerializer(serializers.Serializer):
    auto_warmup_enabled = StrictBooleanField(
        help_text="New dedicated IPs warm up provider by provider (on by default)."
    )
    warning = serializers.CharField(read_only=True, allow_null=True)
    floor = FloorLineSerializer(many=True, read_only=True)


class AccountIpWarmupView(APIView):
    """The account's automatic warm-up switch, and whether its volume keeps its warm IPs over
    each provider's floor."""

    @extend_schema(responses=AccountIpWarmupSerializer, summary="Automatic IP warm-up setting")
    def get(self, request):
        return Response(self._body(request.account))

    @extend_schema(
        request=AccountIpWarmupSerializer,
        responses=AccountIpWarmupSerializer,
        summary="Switch automatic IP warm-up on or off (owners and admins)",
    )
    def put(self, request):
        data = AccountIpWarmupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_ip_warmup_set(
            account=request.account,
            enabled=data.validated_data["auto_warmup_enabled"],
            actor=request.user.get_username(),
        )
        return Response(self._body(request.account))

    @staticmethod
    def _body(account) -> dict:
        enabled = selectors.auto_warmup_enabled(account_id=account.pk)
        return AccountIpWarmupSerializer(
            {
                "auto_warmup_enabled": enabled,
                "warning": None if enabled else AUTO_WARMUP_OFF_WARNING,
                "floor": selectors.floor_report(account=account),
            }
        ).data
