"""Shared pieces of the REST API: the error format and the account-scoped view base."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from warmup_site import outage
from warmup_site.errors import ApplicationError, RateLimited


def first_error(errors, path: str = "") -> tuple[str | None, str]:
    """The first leaf of DRF's nested error structure, as ("events[3].type", "message")."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                return first_error(value, path)
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                sub = f"{path}[{key}]"  # ListField reports items by position
            else:
                sub = f"{path}.{key}" if path else str(key)
            return first_error(value, sub)
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, (dict, list)):
                if value:
                    return first_error(value, f"{path}[{index}]")
            else:
                return (path or None), str(value)
    return (path or None), str(errors)


def exception_handler(exc, context):
    """Every error answers `{"message": ..., "field": ...}` (plus DRF's own keys).

    `message` is one sentence for a person; `field` names the input that caused it, with list
    positions ("events[3].type"), or null. Three failures that are not the view's own also get
    this shape instead of Django's HTML pages: a body over the size limit (413), input nested
    so deeply that Python's recursion limit is hit anywhere on its way (400), and a database
    outage (503 with Retry-After).
    """
    if outage.is_database_outage(exc):
        return Response(outage.PAYLOAD, status=503, headers=outage.HEADERS)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        _discard_body(context["request"])
        return Response(
            {
                "message": f"The request body is larger than the limit of {limit:,} bytes "
                f"({limit / 1048576:g} MiB, WARMUP_MAX_REQUEST_BYTES). Send fewer items per "
                "request.",
                "field": None,
                "limit_bytes": limit,
            },
            status=413,
        )
    if isinstance(exc, RecursionError):
        return Response(
            {"message": "The request body is nested too deeply.", "field": None}, status=400
        )
    if isinstance(exc, ApplicationError):
        response = Response(
            {"message": exc.message, "field": exc.field, **exc.extra}, status=exc.status_code
        )
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message = first_error(response.data)
        message = f"{field}: {message}" if field else message
        response.data = {"message": message, "field": field, "errors": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"message": str(response.data["detail"]), "field": None, **response.data}
    return response


def page_not_found(request, exception):
    """urls.handler404: an API path that matches no route answers in the API's error shape
    (a client reads JSON, whatever went wrong); pages keep Django's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": "There is no such API path (see /api/docs/).", "field": None},
            status=404,
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    """urls.handler500: the API's error shape for an unexpected error; pages keep 500.html."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "message": "Something went wrong on our side; it was logged. Try again in a "
                "minute.",
                "field": None,
            },
            status=500,
        )
    return defaults.server_error(request)


# Read and drop at most this much of a refused body (see _discard_body); beyond it the
# connection is simply closed.
DISCARD_AT_MOST = 64 * 1024 * 1024


def _discard_body(request) -> None:
    """Read the rest of a body we refuse, so that the client gets to read our 413.

    A server that answers and closes while the client is still sending makes the kernel reset
    the connection, and most HTTP clients then report a broken pipe instead of the answer.
    """
    django_request = getattr(request, "_request", request)
    remaining = DISCARD_AT_MOST
    try:
        while remaining > 0:
            chunk = django_request.read(min(65536, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
    except OSError:
        return  # the client went away: nothing to answer


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false, nothing else. DRF's BooleanField also takes 0, 1, "yes", "on" and
    friends (from HTML forms); the API takes JSON, and its schema says boolean."""

    default_error_messages = {"invalid": "Give true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


def text_fields_take_only_strings() -> None:
    """Make DRF's CharField (and EmailField, SlugField, URLField… built on it) refuse JSON
    numbers. DRF turns 0 into "0" for any text field; the API takes JSON and its schema says
    string, so a number where text belongs is a 400 naming the field, like any other wrong type.
    Called once, from WarmupSiteConfig.ready()."""
    if getattr(serializers.CharField.to_internal_value, "strict", False):
        return
    lenient = serializers.CharField.to_internal_value

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return lenient(self, data)

    to_internal_value.strict = True
    serializers.CharField.to_internal_value = to_internal_value


class AccountScopedViewSet(viewsets.GenericViewSet):
    """Base of every API view over customer rows.

    Subclasses return their selector's queryset from `get_base_queryset()`; this class scopes it
    with the tenancy mechanism (accounts.tenancy), so another account's object is a 404.
    """

    def get_base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        return self.get_base_queryset().for_account(self.request.account)
