"""The sending pipeline's two calls: the routing decision and delivery events."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPipelineOrAccountMember
from ips import inputs, services
from ips.api.common import ALL_ROLES, from_pipeline
from ips.types import RouteReason
from warmup_site.openapi import EMAIL, DomainNameField

# --- routes and events --------------------------------------------------------------------------


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
        if from_pipeline(request):
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
        if from_pipeline(request):
            result = services.events_ingest(account=None, events=events, now=now, pipeline=True)
        else:
            result = services.events_ingest(account=request.account, events=events, now=now)
        return Response(
            {"received": result.received, "stored": result.stored, "duplicates": result.duplicates}
        )
