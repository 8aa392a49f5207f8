from django.contrib.auth import authenticate
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import Membership
from warmup_site.errors import ApplicationError
from warmup_site.throttling import AnonRateThrottle


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    account = serializers.SlugField(
        required=False, help_text="Slug of the account the token acts for (default: your first)."
    )
    name = serializers.CharField(
        required=False,
        max_length=services.TOKEN_NAME_MAX,
        help_text="A name for the new token (default: 'API token').",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key; shown only in this answer.")
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters of the key, as lists show it.")
    account = serializers.CharField()
    role = serializers.CharField()


class AuthTokenThrottle(AnonRateThrottle):
    scope = "auth"
    rate = "30/min"


class AuthTokenView(APIView):
    """Exchange a username and password for a new API token of one of the user's accounts.

    Every call makes a new named token (the key is shown once, in the answer, and only its
    SHA-256 is kept); list and revoke them on the Members & API page. Failed logins count
    towards the login lockout (django-axes) like the login pages: once locked, the answer is
    429 with Retry-After (accounts/lockout.py).
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AuthTokenThrottle]

    @extend_schema(
        summary="A new API token for a username and password",
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            429: OpenApiResponse(
                description="Too many attempts from this address (30 a minute), or the login "
                "is locked after failures (Retry-After says when it ends)."
            ),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request, not DRF's: django-axes marks it when the login is locked out and
        # its middleware answers 429 for it (accounts.lockout.lockout_response).
        user = authenticate(
            request._request,
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
        token, key = services.api_token_create(
            membership=membership, name=data.validated_data.get("name") or "API token"
        )
        response = Response(
            {
                "token": key,
                "name": token.name,
                "prefix": token.prefix,
                "account": membership.account.slug,
                "role": membership.role,
            }
        )
        add_never_cache_headers(response)  # the key must not stay in any cache
        return response


class CurrentAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account.id")
    name = serializers.CharField(source="account.name")
    slug = serializers.CharField(source="account.slug")
    role = serializers.CharField()
    username = serializers.CharField(source="user.username")


class CurrentAccountView(APIView):
    """The account and role this request acts as."""

    @extend_schema(
        summary="The account, role and user this request acts as",
        responses=CurrentAccountSerializer,
    )
    def get(self, request):
        return Response(CurrentAccountSerializer(request.membership).data)
