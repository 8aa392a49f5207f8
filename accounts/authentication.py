from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import selectors, services
from accounts.models import PipelineCredential


class PipelineUser(AnonymousUser):
    """`request.user` of a request made with a pipeline credential.

    A pipeline credential is not a person: it has no account, no role and no permissions, and
    anything that asks `is_authenticated` or `is_staff` treats it as nobody. Only the views that
    accept pipelines (accounts.permissions.IsPipelineOrAccountMember) let it in.
    """

    def __init__(self, credential: PipelineCredential):
        self.credential = credential
        self.username = f"pipeline:{credential.name}"

    def __str__(self) -> str:
        return self.username

    def get_username(self) -> str:
        return self.username


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, for both kinds of credential.

    A customer token (`wua_…`) acts as its user, in its account: `request.user` is the user and
    `request.auth` the `ApiToken`. A pipeline credential (`wup_…`) acts for no account:
    `request.user` is a `PipelineUser` and `request.auth` the `PipelineCredential`. The caller
    does not need to know which kind it holds.
    """

    def authenticate_credentials(self, key):
        credential = selectors.credential_get(key=key)
        if credential is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if isinstance(credential, PipelineCredential):
            services.pipeline_credential_touch(credential=credential)
            return PipelineUser(credential), credential
        user = credential.membership.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        services.api_token_touch(token=credential)
        return user, credential


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):  # noqa: ARG002 - drf-spectacular's hook
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: a customer API token (from POST /api/v1/auth/token/ "
            "or the Members & API page) or, for /routes/ and /events/, a pipeline credential "
            "(operators: `manage.py create_pipeline_token NAME`).",
        }
