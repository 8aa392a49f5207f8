"""Answer a database outage like a service: 503 with Retry-After, JSON on the API.

When PostgreSQL is down or restarting, every request that needs it fails with OperationalError
or InterfaceError. That is not the client's fault and not a bug: the answer says so, and when
to try again, so that the sending pipeline retries instead of treating it as a broken request.
Broken connections are dropped at the end of the request (Django closes a connection that
raised), and CONN_HEALTH_CHECKS makes the next request check a kept connection before using it.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

# Seconds a client should wait: a PostgreSQL restart or fail-over takes a few seconds.
RETRY_AFTER = 5
MESSAGE = (
    "The database is unavailable for a moment (restarting or unreachable); nothing was "
    f"changed by this request. Try again in {RETRY_AFTER} seconds."
)
DATABASE_ERRORS = (OperationalError, InterfaceError)
PAYLOAD = {"message": MESSAGE, "field": None, "retry_after": RETRY_AFTER}
HEADERS = {"Retry-After": str(RETRY_AFTER)}


def is_database_outage(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def api_response() -> JsonResponse:
    return JsonResponse(PAYLOAD, status=503, headers=HEADERS)


class DatabaseOutageMiddleware:
    """Pages and any API view outside DRF's exception handler: 503 instead of a 500.

    DRF views answer through warmup_site.api.exception_handler, which uses the same answer.
    "Nothing was changed" holds because each request's writes are one transaction (or one
    statement) that the failure rolled back; the API's batches are all or nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_database_outage(exc):
            return None
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        if request.path.startswith("/api/"):
            return api_response()
        return HttpResponse(
            render_to_string("503.html", {"message": MESSAGE}), status=503, headers=HEADERS
        )
