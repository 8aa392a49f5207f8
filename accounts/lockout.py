"""What a locked-out login sees (django-axes' AXES_LOCKOUT_CALLABLE).

Logins (the login page, the admin's and POST /api/v1/auth/token/) are locked after
WARMUP_LOGIN_FAILURE_LIMIT failures for one username, or from one client address, within
WARMUP_LOGIN_COOLOFF_MINUTES; axes keeps the failures in the database, so the count holds
across web workers and hosts. Attempts during a lockout are not counted (the lockout does not
extend itself), so the time we announce is when it really ends.
"""

from __future__ import annotations

import math
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from warmup_site.client_ip import client_ip


def lockout_ends_at(request: HttpRequest, credentials: dict | None) -> datetime:
    """When the newest failure that locked this username or address has cooled off."""
    now = timezone.now()
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials)
    matches = Q(ip_address=client_ip(request))
    if username:
        matches |= Q(username=username)
    latest = AccessAttempt.objects.filter(matches, attempt_time__gte=now - cool_off).aggregate(
        latest=Max("attempt_time")
    )["latest"]
    return (latest or now) + cool_off


def _in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return "a minute"
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


def lockout_message(ends_at: datetime) -> tuple[str, int]:
    seconds = max(1, math.ceil((ends_at - timezone.now()).total_seconds()))
    message = (
        "Too many failed logins for this username or from your address. Try again in "
        f"{_in_words(seconds)} (after {ends_at:%H:%M} UTC); until then even the right password "
        "is refused. An operator can lift the lock earlier."
    )
    return message, seconds


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None,  # noqa: ARG001 - django-axes passes it
    credentials: dict | None,
) -> HttpResponse:
    message, seconds = lockout_message(lockout_ends_at(request, credentials))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"message": message, "field": None, "retry_after": seconds}, status=429
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "retry_after": seconds},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
