"""A view with the permission the sending pipeline's endpoints use (/routes/, /events/), for
accounts/tests/test_credentials.py: it answers what the request acts as."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsPipelineOrAccountMember
from warmup_site.urls import urlpatterns as production


class WhoView(APIView):
    permission_classes = [IsPipelineOrAccountMember]
    write_roles = frozenset(Role.values)

    def post(self, request):
        return Response(
            {
                "pipeline": request.pipeline.name if request.pipeline else None,
                "account": request.account.slug if request.account else None,
                "role": request.membership.role if request.membership else None,
                "user": str(request.user),
                "authenticated": request.user.is_authenticated,
            }
        )


urlpatterns = [
    path("test/who/", WhoView.as_view()),
    *production,
]
