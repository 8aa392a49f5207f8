from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import selectors, services


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: the request acts as the token's user, in its account."""

    def authenticate_credentials(self, key):
        token = selectors.api_token_get(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user = token.membership.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        services.api_token_touch(token=token)
        return user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; get a key from POST /api/v1/auth/token/.",
        }
