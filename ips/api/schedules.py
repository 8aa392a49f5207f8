"""A provider's warm-up profile and its stage table."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ips.selectors import profiles_by_provider
from providers.models import MailboxProvider

# --- provider schedules -------------------------------------------------------------------------


class StageSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    daily_cap = serializers.IntegerField()
    days = serializers.IntegerField(help_text="Minimum sending days at this stage.")
    first_day = serializers.IntegerField()
    last_day = serializers.IntegerField()
    engaged_days = serializers.IntegerField(
        help_text="Warming IPs take recipients engaged within this many days."
    )


class ScheduleSerializer(serializers.Serializer):
    provider = serializers.CharField(source="provider.slug")
    name = serializers.CharField(source="provider.name")
    start_cap = serializers.IntegerField()
    growth = serializers.DecimalField(max_digits=4, decimal_places=2)
    target_cap = serializers.IntegerField()
    min_days = serializers.IntegerField()
    pacing_hours = serializers.IntegerField()
    floor = serializers.IntegerField()
    fast_growth = serializers.DecimalField(max_digits=4, decimal_places=2)
    cautious_growth = serializers.DecimalField(max_digits=4, decimal_places=2)
    block_cut = serializers.DecimalField(max_digits=3, decimal_places=2)
    idle_decay = serializers.DecimalField(max_digits=3, decimal_places=2)
    rewarm_after_days = serializers.IntegerField()
    engaged_days_start = serializers.IntegerField()
    engaged_days_step = serializers.IntegerField()
    stages = StageSerializer(many=True)


class ProviderScheduleView(APIView):
    """A provider's warm-up profile and its stage table (GET /api/v1/providers/{slug}/schedule/)."""

    @extend_schema(
        summary="A provider's warm-up profile and stage table", responses=ScheduleSerializer
    )
    def get(self, request, slug: str):
        provider = get_object_or_404(MailboxProvider, slug=slug)
        profile = profiles_by_provider()[provider.pk]
        return Response(ScheduleSerializer(profile).data)
