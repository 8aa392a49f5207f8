"""API: pools and IPs (operators add, customers read their own), per-provider warm-up state,
provider schedules, the routing decision and delivery events."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
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
from rest_framework.views import APIView

from accounts.models import Account, Role
from accounts.permissions import IsPipelineOrAccountMember
from accounts.tenancy import is_operator
from ips import inputs, selectors, services
from ips.addresses import normalise_ip
from ips.models import DedicatedIp, IpPool
from ips.selectors import profiles_by_provider
from ips.services.controls import ACTIONS, ip_warmup_control
from ips.types import RouteReason
from providers.models import MailboxProvider
from warmup_site.api import AccountScopedViewSet, StrictBooleanField
from warmup_site.errors import ApplicationError
from warmup_site.openapi import EMAIL, DomainNameField

ALL_ROLES = frozenset(Role.values)


class OperatorsSeeAllViewSet(AccountScopedViewSet):
    """Customers see their account's rows; operators (who add pools and IPs for every account)
    see every row, shared pools included, as they do in the admin. Only operators create."""

    def get_queryset(self):
        if is_operator(self.request.user):
            return self.get_base_queryset()
        return super().get_queryset()

    def check_create_allowed(self):
        if not is_operator(self.request.user):
            raise PermissionDenied("Only operators add pools and IPs; ask your provider.")


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


# --- routes and events --------------------------------------------------------------------------


def _from_pipeline(request) -> bool:
    """Did the operators' sending pipeline send this (a pipeline credential), rather than a
    customer's own token? See docs/api.md ("Two kinds of credentials")."""
    return getattr(request, "pipeline", None) is not None


# The payloads of routes and events are validated by ips/inputs.py (fast, for 10,000 items);
# these serializers describe them for the schema only, as exactly as JSON Schema can.
RECIPIENT = {
    "oneOf": [
        EMAIL,
        {
            "type": "object",
            "properties": {
                "address": EMAIL,
                "engaged_days": {
                    "type": "integer",
                    "minimum": 0,
                    "nullable": True,
                    "description": "Days since the recipient last opened or clicked; null: "
                    "unknown.",
                },
            },
            "required": ["address"],
        },
    ]
}


@extend_schema_field(RECIPIENT)
class RecipientField(serializers.JSONField):
    pass


class RoutesRequestSerializer(serializers.Serializer):
    sender_domain = DomainNameField(
        help_text="The domain the mail is from. With a customer's token it must be one of the "
        "account's domains (else a 400 naming sender_domain); a pipeline credential may send "
        "any."
    )
    recipients = serializers.ListField(
        child=RecipientField(),
        min_length=1,
        max_length=inputs.MAX_RECIPIENTS,
        help_text="Addresses, or objects {address, engaged_days}; 1 to 10,000.",
    )


class RouteSerializer(serializers.Serializer):
    recipient = serializers.CharField()
    provider = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    pool = serializers.CharField(allow_null=True)
    reason = serializers.ChoiceField(choices=RouteReason.values)
    detail = serializers.CharField(allow_null=True, help_text="Why, for no_route.")


class RoutesResponseSerializer(serializers.Serializer):
    routes = RouteSerializer(many=True)


class RoutesView(APIView):
    """Which IP each recipient's message should leave from. Answers at once, never waits."""

    permission_classes = [IsPipelineOrAccountMember]
    write_roles = ALL_ROLES  # a self-hosted sender's MTA may hold any member's token

    @extend_schema(
        summary="Which IP each message should leave from (pipeline credentials too)",
        request=RoutesRequestSerializer,
        responses=RoutesResponseSerializer,
    )
    def post(self, request):
        sender_domain, recipients = inputs.routes_parse(request.data)
        if _from_pipeline(request):
            routes = services.routes_decide_for_pipeline(
                sender_domain=sender_domain, recipients=recipients
            )
        else:
            routes = services.routes_decide(
                account=request.account,
                sender_domain=sender_domain,
                recipients=recipients,
                own_domains_only=True,
            )
        return Response(
            {
                "routes": [
                    {
                        "recipient": r.recipient,
                        "provider": r.provider,
                        "ip": r.ip,
                        "pool": r.pool,
                        "reason": r.reason,
                        "detail": r.detail,
                    }
                    for r in routes
                ]
            }
        )


# Text PostgreSQL can store: no NUL; an id needs a character that is not a space.
NO_NUL = "^[^\\x00]*$"


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "string",
                "maxLength": inputs.MAX_EVENT_ID,
                "pattern": "^[^\\x00]*[^\\x00\\s][^\\x00]*$",
            },
            {"type": "integer"},
        ],
        "description": "Unique in the account (a number is taken as its digits).",
    }
)
class EventIdField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 200, "maximum": 599},
            {"type": "string", "pattern": "^[2-5][0-9][0-9]$"},
        ],
        "nullable": True,
        "description": "The SMTP reply code; read from `response` when missing.",
    }
)
class SmtpCodeField(serializers.IntegerField):
    pass


@extend_schema_field({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]})
class IpField(serializers.CharField):
    pass


@extend_schema_field(EMAIL)
class EmailField(serializers.CharField):
    pass


class ReplyField(serializers.JSONField):
    """Optional text: null and "" mean "not given" (the schema says so without DRF's oneOf)."""

    def __init__(self, schema: dict, **kwargs):
        super().__init__(allow_null=True, **kwargs)
        self.schema = {"type": "string", "nullable": True, **schema}


class ReplyFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ReplyField

    def map_serializer_field(self, auto_schema, direction):
        return self.target.schema


class EventSerializer(serializers.Serializer):
    id = EventIdField()
    type = serializers.ChoiceField(choices=sorted(inputs.EVENT_TYPES))
    ip = IpField(help_text="The IP the message left from.")
    sender_domain = DomainNameField()
    recipient = EmailField()
    smtp_code = SmtpCodeField(required=False, allow_null=True)
    enhanced_status = ReplyField(
        {"pattern": r"^\s*([245]\.[0-9]{1,3}\.[0-9]{1,3})?\s*$"},
        required=False,
        help_text="Such as 4.7.28; read from `response` when missing.",
    )
    response = ReplyField(
        {"pattern": NO_NUL, "maxLength": inputs.MAX_RESPONSE},
        required=False,
        help_text="The SMTP reply text.",
    )
    timestamp = serializers.DateTimeField(
        help_text="With a time zone; not more than an hour in the future (a 400 names it)."
    )


class EventsRequestSerializer(serializers.Serializer):
    events = serializers.ListField(
        child=EventSerializer(),
        min_length=1,
        max_length=inputs.MAX_EVENTS,
        help_text="1 to 10,000 events; all are stored or none.",
    )


class EventsResponseSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = serializers.IntegerField(help_text="New events, stored and counted.")
    duplicates = serializers.IntegerField(help_text="Events already received (same id).")


class EventsView(APIView):
    """Delivery events: at most 10,000 per batch, all or nothing, idempotent on the event id."""

    permission_classes = [IsPipelineOrAccountMember]
    write_roles = ALL_ROLES

    @extend_schema(
        summary="Report delivery events, all or nothing per batch (pipeline credentials too)",
        request=EventsRequestSerializer,
        responses=EventsResponseSerializer,
    )
    def post(self, request):
        now = timezone.now()
        events = inputs.events_parse(request.data, now=now)
        if _from_pipeline(request):
            result = services.events_ingest(account=None, events=events, now=now, pipeline=True)
        else:
            result = services.events_ingest(account=request.account, events=events, now=now)
        return Response(
            {"received": result.received, "stored": result.stored, "duplicates": result.duplicates}
        )


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
