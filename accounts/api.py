from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, throttling
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import Membership
from warmup_site.errors import ApplicationError


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    account = serializers.SlugField(
        required=False, help_text="Slug of the account the token acts for (default: your first)."
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    account = serializers.CharField()
    role = serializers.CharField()


class AuthTokenThrottle(throttling.AnonRateThrottle):
    scope = "auth"
    rate = "30/min"


class AuthTokenView(APIView):
    """Exchange a username and password for the API token of one of the user's accounts."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AuthTokenThrottle]

    @extend_schema(request=TokenRequestSerializer, responses=TokenResponseSerializer)
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise ApplicationError("Unable to log in with the username and password given.")
        memberships = Membership.objects.filter(user=user).select_related("account")
        if "account" in data.validated_data:
            memberships = memberships.filter(account__slug=data.validated_data["account"])
        membership = memberships.order_by("created_at", "pk").first()
        if membership is None:
            raise ApplicationError(
                "This user is not a member of that account."
                if "account" in data.validated_data
                else "This user is not a member of any account.",
                field="account" if "account" in data.validated_data else None,
            )
        key = services.api_token_issue(membership=membership)
        return Response({"token": key, "account": membership.account.slug, "role": membership.role})


class CurrentAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account.id")
    name = serializers.CharField(source="account.name")
    slug = serializers.CharField(source="account.slug")
    role = serializers.CharField()
    username = serializers.CharField(source="user.username")


class CurrentAccountView(APIView):
    """The account and role this request acts as."""

    @extend_schema(responses=CurrentAccountSerializer)
    def get(self, request):
        return Response(CurrentAccountSerializer(request.membership).data)
