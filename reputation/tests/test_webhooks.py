"""Webhooks: a receiving test server checks the signature as a customer would, failures are
retried with backoff (5xx, timeouts), rejections are not, and the test event works from the
API and the admin."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ips.models import IpWarmup, IpWarmupDecision
from ips.tests import factories as f
from reputation import tasks
from reputation.models import Kind, WebhookDelivery, WebhookEndpoint
from reputation.services import webhooks
from reputation.services.notifications import notifications_dispatch, notifications_scan
from warmup_site.errors import ApplicationError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def endpoint(account, receiver):
    endpoint, secret = webhooks.webhook_endpoint_create(account=account, url=receiver.url)
    endpoint.plain_secret = secret
    return endpoint


@pytest.fixture
def delivery(account, endpoint) -> WebhookDelivery:
    """A backed-off IP, scanned and dispatched: one delivery waiting for its first attempt."""
    ip = f.warming_ip(pool=f.pool(account=account), address="203.0.113.5")
    IpWarmupDecision.objects.create(
        warmup=IpWarmup.objects.get(ip=ip, provider__slug="google"),
        day=NOW.date(),
        kind="backoff",
        from_state="warming",
        to_state="backoff",
        from_stage=3,
        to_stage=2,
        from_cap=300,
        to_cap=150,
        reason="Backed off: 40 throttling replies.",
        created_at=NOW - timedelta(hours=2),
    )
    notifications_scan(now=NOW)
    notifications_dispatch(now=NOW)
    return WebhookDelivery.objects.get()


def test_the_receiver_verifies_the_signature_of_what_it_got(delivery, endpoint, receiver):
    receiver.secret = endpoint.plain_secret  # it answers 401 to what does not verify

    result = tasks.deliver_webhook(delivery.pk)

    (got,) = receiver.received
    assert receiver.verified == [True]
    assert webhooks.signature_verify(
        endpoint.plain_secret, got.body, got.headers["Warmup-Signature"]
    )
    assert not webhooks.signature_verify(
        endpoint.plain_secret, got.body + b" ", got.headers["Warmup-Signature"]
    )
    assert not webhooks.signature_verify(
        endpoint.plain_secret, got.body, got.headers["Warmup-Signature"], now=time.time() + 600
    )
    body = json.loads(got.body)
    assert body["type"] == "ip.warmup_backed_off"
    assert body["title"] == "203.0.113.5: warm-up backed off at Google"
    assert body["account"] == "acme-mail"
    assert body["id"].startswith("evt_")
    assert got.headers["Warmup-Event-Type"] == "ip.warmup_backed_off"
    assert endpoint.plain_secret not in got.body.decode()  # the secret signs, never travels
    delivery.refresh_from_db()
    assert (delivery.status, delivery.status_code, delivery.attempts) == ("succeeded", 200, 1)
    assert result.endswith("HTTP 200 → Delivered")


def test_a_server_error_is_retried_with_backoff_until_delivered(delivery, receiver):
    receiver.answers = [500, 503]

    tasks.deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.status_code) == ("retrying", 500)
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1)
    assert delivery.response_excerpt == "receiver error"
    # Not due yet: the retry job leaves it, and a stray task does nothing.
    assert webhooks.webhook_deliveries_due(now=NOW + timedelta(seconds=30)) == []
    assert "nothing to do" in tasks.deliver_webhook(delivery.pk)

    later = NOW + timedelta(minutes=2)
    assert webhooks.webhook_deliveries_due(now=later) == [delivery.pk]
    webhooks.webhook_deliver(delivery_id=delivery.pk, now=later)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == later + timedelta(minutes=5)

    webhooks.webhook_deliver(delivery_id=delivery.pk, now=later + timedelta(minutes=6))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.received)) == ("succeeded", 3, 3)


def test_a_receiver_that_does_not_answer_in_time_is_retried(delivery, receiver, settings):
    settings.WARMUP_WEBHOOK_TIMEOUT = 1
    receiver.answers = ["stall"]
    receiver.stall_seconds = 2

    tasks.deliver_webhook(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.status_code) == ("retrying", None)
    assert delivery.error == "no answer within 1 s"


def test_nobody_listening_is_retried(delivery, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/hook")

    tasks.deliver_webhook(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert delivery.error.startswith("cannot connect:")


def test_a_rejection_is_not_retried(delivery, receiver):
    receiver.answers = [410]

    tasks.deliver_webhook(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.status_code, delivery.next_attempt_at) == (
        "failed",
        410,
        None,
    )


def test_it_gives_up_after_the_last_attempt(delivery, receiver, settings):
    settings.WARMUP_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [500, 500]

    webhooks.webhook_deliver(delivery_id=delivery.pk, now=NOW)
    webhooks.webhook_deliver(delivery_id=delivery.pk, now=NOW + timedelta(minutes=2))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_a_lost_first_attempt_is_picked_up_by_the_retry_job(delivery):
    assert webhooks.webhook_deliveries_due(now=NOW) == []
    assert webhooks.webhook_deliveries_due(now=NOW + timedelta(minutes=3)) == [delivery.pk]


def test_the_test_event_is_sent_and_logged(endpoint, receiver):
    sent = webhooks.webhook_send_test(endpoint=endpoint)

    assert (sent.kind, sent.status, sent.status_code) == (Kind.TEST, "succeeded", 200)
    assert json.loads(receiver.received[0].body)["type"] == "test"


def test_a_receiver_still_using_the_old_secret_after_a_rotation_refuses_it(endpoint, receiver):
    receiver.secret = endpoint.plain_secret
    new = webhooks.webhook_secret_rotate(endpoint=endpoint)

    refused = webhooks.webhook_send_test(endpoint=endpoint)
    receiver.secret = new
    accepted = webhooks.webhook_send_test(endpoint=endpoint)

    assert receiver.verified == [False, True]
    assert (refused.status, refused.status_code) == ("failed", 401)
    assert (accepted.status, accepted.status_code) == ("succeeded", 200)


def test_the_admin_action_sends_a_test_event(operator_client, endpoint, receiver):
    response = operator_client.post(
        "/admin/reputation/webhookendpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == [f"{receiver.url}: HTTP 200 (Delivered)"]
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_the_admin_shows_the_delivery_log_with_status_codes(operator_client, delivery, receiver):
    receiver.answers = [502]
    tasks.deliver_webhook(delivery.pk)

    page = operator_client.get("/admin/reputation/webhookdelivery/").content.decode()

    assert "502" in page and "Retrying" in page


def test_an_endpoint_url_must_be_http(account):
    with pytest.raises(ApplicationError, match="is not an http\\(s\\) URL") as error:
        webhooks.webhook_endpoint_create(account=account, url="ftp://example.com/x")
    assert error.value.field == "url"
