"""The production URLs plus the floor for the API's throughput, served by the same server,
middleware and JSON parsing:

* /bench/bare/ — a DRF POST endpoint with no authentication that parses the body and answers a
  constant: the least any DRF endpoint does; the floor bench/routes.py compares with;
* /bench/bare-auth/ — the same with the project's default DRF authentication and permission
  (the API token, from the per-process cache or the database, and the account membership):
  what authentication costs, printed for reference, and the events bench's scale.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from warmup_site.urls import urlpatterns as production


class BareView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        request.data  # noqa: B018 - parse the body, as every real endpoint does
        return Response({"ok": True})


class BareAuthenticatedView(APIView):
    """The project's default authentication and permission classes (settings.REST_FRAMEWORK)."""

    def post(self, request):
        request.data  # noqa: B018
        return Response({"ok": True})


urlpatterns = [
    path("bench/bare/", BareView.as_view()),
    path("bench/bare-auth/", BareAuthenticatedView.as_view()),
    *production,
]
