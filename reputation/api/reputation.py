"""Reputation per domain, per IP and for the account: the daily series per provider and today's
verdicts."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import is_operator
from ips.addresses import normalise_ip
from ips.models import utc_day
from reputation import selectors
from reputation.models import (
    DomainSnapshot,
    IpSnapshot,
)

DAYS = OpenApiParameter(
    "days",
    {"type": "integer", "minimum": 1, "maximum": selectors.MAX_DAYS, "default": 30},
    OpenApiParameter.QUERY,
    description=f"How many days of series, ending today (1–{selectors.MAX_DAYS}; default 30).",
)


class DaysSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=selectors.MAX_DAYS, default=30)


# --- reputation --------------------------------------------------------------------------------


class FactorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="complaints, seed_inbox, snds_filter, dnsbl, …")
    effect = serializers.CharField(help_text="positive, neutral or negative.")
    scope = serializers.ChoiceField(choices=["reputation", "delivery"])
    weight = serializers.IntegerField(help_text="What it adds to the score.")
    value = serializers.JSONField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    sentence = serializers.CharField()


class VerdictSerializer(serializers.Serializer):
    day = serializers.DateField()
    reputation = serializers.ChoiceField(choices=["positive", "neutral", "negative"])
    deliverability = serializers.ChoiceField(choices=["high", "medium", "low"])
    score = serializers.IntegerField(help_text="0–100, for charts.")
    sentence = serializers.CharField(help_text="The verdict in one sentence.")
    factors = FactorSerializer(many=True)
    computed_at = serializers.DateTimeField()


class ProviderSeriesSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="Provider slug.")
    name = serializers.CharField()
    today = VerdictSerializer(
        allow_null=True, help_text="The newest day's verdict (today's, updated every hour)."
    )
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True)),
        help_text="One list per figure, one value per day (`day` gives the dates): the "
        "verdict (`score`, `reputation`, `deliverability`), delivery events and their rates, "
        "and per subject kind the seeds and Postmaster Tools (domains) or the warm-up, "
        "readiness and SNDS (IPs).",
    )


class SubjectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["domain", "ip"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class SubjectReputationSerializer(serializers.Serializer):
    subject = SubjectSerializer()
    days = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    providers = ProviderSeriesSerializer(many=True)


_EXAMPLE = {
    "subject": {"kind": "domain", "id": 7, "name": "news.example.com"},
    "days": 2,
    "start": "2026-11-22",
    "end": "2026-11-23",
    "providers": [
        {
            "provider": "google",
            "name": "Google (Gmail, Workspace)",
            "today": {
                "day": "2026-11-23",
                "reputation": "negative",
                "deliverability": "low",
                "score": 20,
                "sentence": "negative: 0.4% complaints at Google on 22–23 Nov, over 0.3%",
                "factors": [
                    {
                        "code": "complaints",
                        "effect": "negative",
                        "scope": "reputation",
                        "weight": -30,
                        "value": 0.004,
                        "threshold": 0.003,
                        "sentence": "negative: 0.4% complaints at Google on 22–23 Nov, over 0.3%",
                    }
                ],
                "computed_at": "2026-11-23T14:05:00+00:00",
            },
            "series": {
                "day": ["2026-11-22", "2026-11-23"],
                "score": [65, 20],
                "reputation": ["positive", "negative"],
                "delivered": [2480, 1210],
                "complaints": [6, 6],
                "complaint_rate": [0.002419, 0.004959],
                "inbox_rate": [0.92, 0.88],
                "pm_spam_rate": [0.0012, None],
            },
        }
    ],
}


_IP_EXAMPLE = {
    "subject": {"kind": "ip", "id": 3, "name": "198.51.100.20"},
    "days": 2,
    "start": "2026-11-22",
    "end": "2026-11-23",
    "providers": [
        {
            "provider": "microsoft",
            "name": "Microsoft (Outlook.com, Microsoft 365)",
            "today": {
                "day": "2026-11-23",
                "reputation": "positive",
                "deliverability": "high",
                "score": 65,
                "sentence": "positive: Microsoft SNDS filter result GREEN on 22–23 Nov (under "
                "10% spam)",
                "factors": [
                    {
                        "code": "snds_filter",
                        "effect": "positive",
                        "scope": "reputation",
                        "weight": 15,
                        "value": "GREEN",
                        "threshold": None,
                        "sentence": "positive: Microsoft SNDS filter result GREEN on 22–23 Nov "
                        "(under 10% spam)",
                    }
                ],
                "computed_at": "2026-11-23T14:05:00+00:00",
            },
            "series": {
                "day": ["2026-11-22", "2026-11-23"],
                "score": [65, 65],
                "warmup_state": ["warming", "warming"],
                "warmup_stage": [4, 5],
                "cap": [400, 640],
                "used": [400, 212],
                "delivered": [396, 210],
                "throttled": [0, 0],
                "snds_filter": ["GREEN", ""],
                "dnsbl_listings": [[], []],
            },
        }
    ],
}


def _days(request) -> int:
    data = DaysSerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data["days"]


def _answer(*, kind: str, subject_id: int, name: str, model, days: int) -> Response:
    today = utc_day(timezone.now())
    providers = selectors.subject_reputation(
        model=model, subject_id=subject_id, days=days, today=today
    )
    return Response(
        {
            "subject": {"kind": kind, "id": subject_id, "name": name},
            "days": days,
            "start": (today - timedelta(days=days - 1)).isoformat(),
            "end": today.isoformat(),
            "providers": [
                {"provider": p.provider, "name": p.name, "today": p.today, "series": p.series}
                for p in providers
            ],
        }
    )


class DomainReputationView(APIView):
    """A domain's reputation at every provider: daily series and today's verdict."""

    @extend_schema(
        summary="A domain's reputation at every provider: daily series and today's verdict",
        parameters=[DAYS],
        responses=SubjectReputationSerializer,
        examples=[OpenApiExample("A domain at Gmail", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        days = _days(request)
        domain = selectors.domain_for(account=request.account, pk=pk)
        if domain is None:
            raise Http404
        return _answer(
            kind="domain", subject_id=domain.pk, name=domain.name, model=DomainSnapshot, days=days
        )


class IpReputationView(APIView):
    """An IP's reputation at every provider: daily series and today's verdict. Operators may
    ask about any IP, shared ones included."""

    @extend_schema(
        summary="An IP's reputation at every provider: daily series and today's verdict",
        parameters=[DAYS],
        responses=SubjectReputationSerializer,
        examples=[OpenApiExample("An IP at Microsoft", value=_IP_EXAMPLE, response_only=True)],
    )
    def get(self, request, address: str):
        days = _days(request)
        try:
            address = normalise_ip(address)
        except ValueError:
            raise Http404 from None
        ip = selectors.ip_for(
            account=request.account, address=address, operator=is_operator(request.user)
        )
        if ip is None:
            raise Http404
        return _answer(kind="ip", subject_id=ip.pk, name=ip.address, model=IpSnapshot, days=days)


class OverviewVerdictSerializer(serializers.Serializer):
    provider = serializers.CharField()
    day = serializers.DateField()
    reputation = serializers.CharField()
    deliverability = serializers.CharField()
    score = serializers.IntegerField()
    sentence = serializers.CharField()


class OverviewSerializer(serializers.Serializer):
    day = serializers.DateField()
    providers = inline_serializer(
        "OverviewProvider",
        {
            "provider": serializers.CharField(),
            "name": serializers.CharField(),
            "deliverability": serializers.CharField(
                help_text="The account's at this provider: high only when some subject has a "
                "positive factor there and none a negative one."
            ),
        },
        many=True,
    )
    domains = inline_serializer(
        "OverviewDomain",
        {
            "id": serializers.IntegerField(),
            "name": serializers.CharField(),
            "providers": OverviewVerdictSerializer(many=True),
        },
        many=True,
    )
    ips = inline_serializer(
        "OverviewIp",
        {
            "id": serializers.IntegerField(),
            "address": serializers.CharField(),
            "providers": OverviewVerdictSerializer(many=True),
        },
        many=True,
    )


class OverviewView(APIView):
    """The account's reputation today: per domain and per dedicated IP, per provider."""

    @extend_schema(
        summary="Today's verdicts for every domain and IP of the account, per provider",
        responses=OverviewSerializer,
    )
    def get(self, request):
        today = utc_day(timezone.now())
        return Response(selectors.account_overview(account=request.account, today=today))
