"""Webhooks: endpoints an account registers, signed POSTs, retries with backoff, a log.

Signature (Stripe's scheme): every POST carries

    Warmup-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

The receiver recomputes the HMAC over the raw body with the endpoint's secret, compares in
constant time and refuses timestamps older than a few minutes (replays). `signature_verify()`
is that check; docs/reputation.md shows it standalone.

Delivery: the dispatcher creates a `WebhookDelivery` per (endpoint, event) and enqueues
`reputation.tasks.deliver_webhook` after its commit. An attempt is claimed with a conditional
UPDATE (two workers never send one attempt twice). 2xx: delivered. 5xx, 429, a timeout or a
refused connection: retried after 1 min, 5 min, 30 min, 2 h, 8 h … up to
WARMUP_WEBHOOK_MAX_ATTEMPTS; another 4xx: failed at once (the receiver rejected it). The
`webhook retries` job re-enqueues deliveries whose next attempt is due, which also catches an
enqueue lost with a crashed worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Account
from reputation.models import (
    DEFAULT_KINDS,
    Kind,
    NotificationEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from warmup_site import crypto
from warmup_site.errors import ApplicationError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Warmup-Signature"
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
]
# A first attempt is the enqueued task's; the retry job leaves a new delivery alone this long.
FIRST_ATTEMPT_GRACE = timedelta(minutes=2)
# While an attempt runs, the retry job leaves it alone this long.
ATTEMPT_LEASE = timedelta(minutes=5)
TOLERANCE_SECONDS = 300


# --- signing -------------------------------------------------------------------------------------


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: True when `header` signs `body` with `secret`, recently."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- endpoints -----------------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _validate_kinds(kinds: list[str] | None) -> list[str]:
    kinds = kinds or []
    unknown = sorted(set(kinds) - set(DEFAULT_KINDS))
    if unknown:
        raise ApplicationError(
            f"Unknown event kinds: {', '.join(unknown)} (known: {', '.join(DEFAULT_KINDS)}).",
            field="kinds",
        )
    return [k for k in DEFAULT_KINDS if k in kinds]


def _validate_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ApplicationError(f"{url!r} is not an http(s) URL.", field="url") from None
    return url


def webhook_endpoint_create(
    *, account: Account | None, url: str, kinds: list[str] | None = None, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret — the only time the secret is shown."""
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        account=account,
        url=_validate_url(url),
        kinds=_validate_kinds(kinds),
        description=description.strip()[:200],
        secret=crypto.encrypt(secret),
        secret_prefix=secret[:12],
    )
    return endpoint, secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    kinds: list[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    if url is not None:
        endpoint.url = _validate_url(url)
    if kinds is not None:
        endpoint.kinds = _validate_kinds(kinds)
    if active is not None:
        endpoint.active = active
    if description is not None:
        endpoint.description = description.strip()[:200]
    endpoint.save()
    return endpoint


def webhook_secret_rotate(*, endpoint: WebhookEndpoint) -> str:
    secret = _new_secret()
    endpoint.secret = crypto.encrypt(secret)
    endpoint.secret_prefix = secret[:12]
    endpoint.save(update_fields=["secret", "secret_prefix"])
    return secret


# --- deliveries ----------------------------------------------------------------------------------


def event_body(event: NotificationEvent | None, *, kind: str, account: Account | None) -> str:
    """The JSON posted for an event (or a test): what happened, never a secret."""
    if event is None:
        payload = {
            "id": "evt_test_" + secrets.token_hex(8),
            "type": kind,
            "created": timezone.now().isoformat(),
            "account": account.slug if account else None,
            "title": "Test event from Warmup",
            "text": "Your endpoint received and can verify Warmup's webhooks.",
            "data": {},
        }
    else:
        payload = {
            "id": "evt_" + hashlib.sha256(event.key.encode()).hexdigest()[:24],
            "type": event.kind,
            "created": event.occurred_at.isoformat(),
            "account": account.slug if account else None,
            "title": event.title,
            "text": event.text,
            "data": event.data,
        }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def delivery_for(*, endpoint: WebhookEndpoint, event: NotificationEvent, now: datetime):
    return WebhookDelivery(
        endpoint=endpoint,
        event=event,
        kind=event.kind,
        body=event_body(event, kind=event.kind, account=event.account),
        next_attempt_at=now + FIRST_ATTEMPT_GRACE,
    )


def deliveries_enqueue(ids) -> None:
    for pk in ids:
        async_task(
            "reputation.tasks.deliver_webhook", pk, task_name=f"webhook {pk}", group="webhooks"
        )


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the next attempt: the first one whenever it runs, a retry once it is due."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            endpoint__active=True,
        )
        .filter(Q(attempts=0) | Q(next_attempt_at__lte=now))
        .update(
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=now + ATTEMPT_LEASE,
        )
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status code, start of the answer, error) of one POST."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.WARMUP_WEBHOOK_TIMEOUT) as answer:
            return answer.status, answer.read(500).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(500).decode("utf-8", "replace") if exc.fp is not None else ""
        return exc.code, excerpt, ""
    except TimeoutError:
        return None, "", f"no answer within {settings.WARMUP_WEBHOOK_TIMEOUT:g} s"
    except urllib.error.URLError as exc:
        return None, "", f"cannot connect: {exc.reason}"
    except OSError as exc:
        return None, "", f"cannot connect: {exc}"


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """One attempt of one delivery (the task). Returns what happened, in words."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return f"delivery {delivery_id}: nothing to do (delivered, failed, not due or taken)"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Warmup-Webhooks/1",
        SIGNATURE_HEADER: signature(crypto.decrypt(endpoint.secret), body, int(time.time())),
        "Warmup-Event-Type": delivery.kind,
        "Warmup-Delivery": str(delivery.pk),
    }
    status, excerpt, error = _post(endpoint.url, body, headers)
    delivery.status_code = status
    delivery.response_excerpt = excerpt[:500]
    delivery.error = error[:500]
    retryable = status is None or status >= 500 or status == 429
    if status is not None and 200 <= status < 300:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif retryable and delivery.attempts < settings.WARMUP_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.RETRYING
        wait = BACKOFF[min(delivery.attempts - 1, len(BACKOFF) - 1)]
        delivery.next_attempt_at = now + wait
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    delivery.save(
        update_fields=[
            "status",
            "status_code",
            "response_excerpt",
            "error",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    outcome = f"HTTP {status}" if status is not None else error
    return f"delivery {delivery.pk} to {endpoint.url}: {outcome} → {delivery.get_status_display()}"


def webhook_deliveries_due(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Deliveries whose next attempt is due (retries, and first attempts whose task was
    lost), enqueued again. Returns their ids."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            next_attempt_at__lte=now,
            endpoint__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    deliveries_enqueue(ids)
    return ids


def webhook_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a test event now (the admin's and the API's "send test event") and log it."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        kind=Kind.TEST,
        body=event_body(None, kind=Kind.TEST, account=endpoint.account),
    )
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery
