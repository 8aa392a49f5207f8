"""The sandbox's simulated sending pipeline: routing, the provider model, events with the
providers' real replies — over the HTTP API with a pipeline credential (make run) and through
the services at past moments (the demo's history)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.demo import DEMO_ACCOUNT
from accounts.services import pipeline_credential_create
from accounts.tests.factories import AccountFactory
from domains.models import Domain
from ips import sandbox
from ips.models import DeliveryEvent, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.tests import factories as f
from warmup_site.demo import start_sandbox_services
from warmup_site.testing import load_reference_data

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Defers:
    """A provider that defers everything (Gmail's 4.7.28 reply comes from reply_for)."""

    def offer(self, *, day, hour, messages):
        return {"delivered": 0, "deferred": messages, "blocked": 0, "hard_bounced": 0}


class TakesHalf:
    def offer(self, *, day, hour, messages):
        half = messages // 2
        return {
            "delivered": half,
            "deferred": 0,
            "blocked": 0,
            "hard_bounced": messages - half,
            "complaints": 1 if half else 0,
        }


@pytest.fixture
def sender_account(account):
    f.DomainFactory(account=account, name="news.acme.example")  # verified
    pool = f.pool(account=account)
    f.warming_ip(pool=pool, address="203.0.113.1", caps={"google": 1000})
    return account


def test_it_routes_lets_the_model_answer_and_reports_each_outcome(sender_account):
    sender = sandbox.SandboxSender(
        transport=sandbox.ServiceTransport(),
        sender_domain="news.acme.example",
        epoch=NOON.date(),
        model_factory=lambda provider, seed: TakesHalf(),
    )
    recipients = [f"r{n}@gmail.com" for n in range(10)]

    with time_machine.travel(NOON, tick=False):
        result = sender.send(now=NOON, recipients=recipients)

    assert result.routed == 10
    assert dict(result.outcomes) == {
        "delivered": 5,
        "deferred": 0,
        "blocked": 0,
        "hard_bounced": 5,
        "complaints": 1,
    }
    events = DeliveryEvent.objects.filter(account=sender_account)
    assert events.filter(type="delivered").count() == 5
    bounced = events.filter(type="bounced")
    assert bounced.count() == 5
    assert {e.category for e in bounced} == {"hard_bounce"}  # the SMTP-response rules ran
    assert events.filter(type="complaint").count() == 1
    day = IpWarmupDay.objects.get(
        warmup__ip__address="203.0.113.1", warmup__provider__slug="google"
    )
    assert (day.routed, day.delivered, day.hard_bounced, day.complaints) == (10, 5, 5, 1)


def test_deferred_mail_is_retried_until_the_mta_gives_up(sender_account):
    sender = sandbox.SandboxSender(
        transport=sandbox.ServiceTransport(),
        sender_domain="news.acme.example",
        epoch=NOON.date(),
        model_factory=lambda provider, seed: Defers(),
    )

    routed = []
    for minute in range(sandbox.MAX_ATTEMPTS + 1):
        moment = NOON + timedelta(minutes=minute)
        with time_machine.travel(moment, tick=False):
            fresh = ["once@gmail.com"] if minute == 0 else []
            routed.append(sender.send(now=moment, recipients=fresh).routed)

    assert routed == [1] * sandbox.MAX_ATTEMPTS + [0]
    deferred = DeliveryEvent.objects.filter(type="deferred")
    assert deferred.count() == sandbox.MAX_ATTEMPTS
    assert {e.category for e in deferred} == {"throttled"}  # Gmail's 421 4.7.28
    assert "4.7.28" in deferred.first().response


def test_a_warm_pair_starts_with_a_warm_reputation(account):
    f.warm_ip(pool=f.pool(account=account), address="203.0.113.9")
    sender = sandbox.SandboxSender(
        transport=sandbox.ServiceTransport(), sender_domain="x.example", epoch=NOON.date()
    )

    warm = sender._model("203.0.113.9", "google")
    new = sender._model("203.0.113.200", "google")  # not ours: a new IP's model

    assert warm.reputation > 0.85 > new.reputation
    assert (
        warm.history
        == [IpWarmup.objects.get(ip__address="203.0.113.9", provider__slug="google").daily_cap] * 7
    )


def test_the_history_runs_past_days_through_the_controller(sender_account):
    end = date(2026, 11, 23)
    IpWarmup.objects.filter(ip__address="203.0.113.1").update(
        started_on=end - timedelta(days=3), decided_through=end - timedelta(days=4)
    )

    with time_machine.travel(datetime(2026, 11, 23, 0, 30, tzinfo=UTC), tick=False):
        sandbox.history(
            account=sender_account, days=3, end=end, daily_volume={"google": 2400, "yahoo": 800}
        )

    days = IpWarmupDay.objects.filter(
        warmup__ip__address="203.0.113.1", warmup__provider__slug="google"
    )
    assert sorted(days.values_list("day", flat=True)) == [
        end - timedelta(days=n) for n in (3, 2, 1)
    ]
    decisions = IpWarmupDecision.objects.filter(
        warmup__ip__address="203.0.113.1", warmup__provider__slug="google", daily=True
    )
    assert decisions.count() == 3  # the nightly controller decided each day
    first = decisions.order_by("day").first()
    assert first.kind == "advance"  # a clean, full first day
    assert DeliveryEvent.objects.filter(recipient__endswith="@yahoo.com").exists()


@pytest.mark.django_db(transaction=True)
def test_the_live_pipeline_posts_to_the_api_with_a_pipeline_credential(live_server):
    load_reference_data()
    demo = AccountFactory(name=DEMO_ACCOUNT, slug="demo")
    f.DomainFactory(account=demo, name="news.demo.example")
    f.warming_ip(pool=f.pool(account=demo), address="203.0.113.1", caps={"google": 1000})
    _credential, key = pipeline_credential_create(name="test pipeline")
    pipeline = sandbox.LivePipeline(api_url=live_server.url, key=key)

    result = pipeline.tick(seconds=86400 * 100 / sum(sandbox.DAILY_VOLUME.values()))

    assert result is not None and result.routed >= 90
    assert DeliveryEvent.objects.filter(account=demo).count() == result.events
    assert IpWarmupDay.objects.filter(warmup__ip__address="203.0.113.1", routed__gt=0).exists()
    assert "Sandbox sending pipeline" in pipeline.describe()


def test_without_the_demo_data_the_live_pipeline_waits(db):
    pipeline = sandbox.LivePipeline(api_url="http://127.0.0.1:9", key="unused")

    assert pipeline.tick(seconds=60) is None
    assert not Domain.objects.exists()


def test_serve_starts_the_pipeline_with_the_servers_url(db, settings):
    settings.WARMUP_SANDBOX_FEEDS_PORT = 0
    services = start_sandbox_services(api_url="http://127.0.0.1:8123")
    try:
        (pipeline,) = [s for s in services if isinstance(s, sandbox.LivePipeline)]
        assert pipeline.api_url == "http://127.0.0.1:8123"
    finally:
        for service in services:
            service.stop()
