"""The fast back-off: push-back replies within an hour suspend a pair, routing skips it at once,
blocklist suspensions last until a clean blocklist check, operators cancel."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from ips import services
from ips.addresses import dnsbl_name
from ips.models import DedicatedIp, IpWarmup, IpWarmupDecision
from ips.services.controls import ip_warmup_suspension_cancel
from ips.services.routing import routes_decide
from ips.tests import factories as f
from ips.types import Recipient
from warmup_site import dns

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
GMAIL_THROTTLE = (
    "421-4.7.28 [203.0.113.1      15] Our system has detected an unusual rate of unsolicited "
    "mail originating from your IP address. To protect our users from spam, mail sent from "
    "your IP address has been temporarily rate limited."
)
GMAIL_BLOCK = (
    "550-5.7.1 [203.0.113.1] Our system has detected that this message is likely unsolicited "
    "mail. To reduce the amount of spam sent to Gmail, this message has been blocked. Please "
    "visit https://support.google.com/mail/?p=UnsolicitedMessageError to review our Bulk Email "
    "Senders Guidelines."
)
SPAMHAUS_REPLY = (
    "554 5.7.1 Service unavailable; Client host [203.0.113.1] blocked using zen.spamhaus.org; "
    "https://www.spamhaus.org/query/ip/203.0.113.1"
)


@pytest.fixture(autouse=True)
def _midday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pool(account):
    return f.pool(account=account)


@pytest.fixture
def ips(pool):
    """Two warming IPs at Gmail with room for the day."""
    first = f.warming_ip(pool=pool, address="203.0.113.1", caps={"google": 1000})
    second = f.warming_ip(pool=pool, address="203.0.113.2", caps={"google": 1000})
    return first, second


def events(
    count,
    *,
    start=0,
    ip="203.0.113.1",
    kind="deferred",
    code=421,
    status="4.7.28",
    response=GMAIL_THROTTLE,
    minutes_ago=5,
):
    return [
        {
            "id": f"evt-{start + n}",
            "type": kind,
            "ip": ip,
            "sender_domain": "acme.example",
            "recipient": f"user{start + n}@gmail.com",
            "smtp_code": code,
            "enhanced_status": status,
            "response": response,
            "timestamp": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        }
        for n in range(count)
    ]


def route(account, count=1):
    routes = routes_decide(
        account=account,
        sender_domain="acme.example",
        recipients=[Recipient(f"r{n}@gmail.com") for n in range(count)],
    )
    return {r.ip for r in routes}


def google(address):
    return IpWarmup.objects.get(ip__address=address, provider__slug="google")


def test_throttling_within_the_hour_suspends_the_pair_for_an_hour(owner_api, ips):
    response = owner_api.post("/api/v1/events/", {"events": events(20)})

    assert response.status_code == 200
    w = google("203.0.113.1")
    assert w.suspended_until == NOW + timedelta(hours=1)
    assert w.suspension_kind == "throttled"
    (d,) = IpWarmupDecision.objects.filter(warmup=w)
    assert (d.kind, d.daily, d.actor) == ("suspend", False, None)
    assert (
        "20 throttling/blocking replies from Google (Gmail, Workspace) in the hour from 12:00 UTC"
        in d.reason
    )
    assert "the limit is 20" in d.reason
    assert "for 1 hour, until 2026-11-23 13:30 UTC" in d.reason
    assert d.figures["throttled"] == 20
    # Only Gmail: the IP still sends to the other providers.
    assert not f.warmup(f.warmup(ips[0], "microsoft").ip, "microsoft").suspended_until


def test_throttling_of_less_than_half_the_hours_mail_does_not_suspend(owner_api, ips):
    # 20 replies reach the limit, but 30 of the hour's 50 messages were delivered: the provider
    # is shaping the rate, which the nightly back-off answers, not an hour's silence.
    delivered = events(30, start=500, kind="delivered", code=250, status="2.0.0", response="OK")
    owner_api.post("/api/v1/events/", {"events": delivered + events(20)})

    assert google("203.0.113.1").suspended_until is None
    assert not IpWarmupDecision.objects.filter(kind="suspend").exists()


def test_replies_under_the_threshold_do_not_suspend(owner_api, ips):
    owner_api.post("/api/v1/events/", {"events": events(19)})

    assert google("203.0.113.1").suspended_until is None
    assert not IpWarmupDecision.objects.exists()


def test_batches_add_up_within_the_hour_and_a_burst_suspends_once(owner_api, ips):
    owner_api.post("/api/v1/events/", {"events": events(12)})
    owner_api.post("/api/v1/events/", {"events": events(12, start=100)})
    owner_api.post("/api/v1/events/", {"events": events(12, start=200)})

    assert google("203.0.113.1").suspended_until == NOW + timedelta(hours=1)
    assert IpWarmupDecision.objects.filter(kind="suspend").count() == 1


def test_a_resent_batch_is_not_counted_twice(owner_api, ips):
    batch = events(12)
    owner_api.post("/api/v1/events/", {"events": batch})
    owner_api.post("/api/v1/events/", {"events": batch})

    assert google("203.0.113.1").suspended_until is None


def test_replies_older_than_an_hour_do_not_suspend(owner_api, ips):
    owner_api.post("/api/v1/events/", {"events": events(30, minutes_ago=90)})

    assert google("203.0.113.1").suspended_until is None


def test_blocking_suspends_for_a_day(owner_api, ips):
    owner_api.post(
        "/api/v1/events/",
        {"events": events(20, kind="bounced", code=550, status="5.7.1", response=GMAIL_BLOCK)},
    )

    w = google("203.0.113.1")
    assert (w.suspension_kind, w.suspended_until) == ("blocked", NOW + timedelta(hours=24))


def test_routing_skips_a_suspended_pair_at_once(owner_api, account, ips):
    assert route(account, 10) == {"203.0.113.1"}  # the least used first; the cache is warm now

    owner_api.post("/api/v1/events/", {"events": events(25)})

    assert route(account, 10) == {"203.0.113.2"}


def test_a_suspended_pair_is_skipped_even_by_a_process_with_a_cached_configuration(
    account, ips, settings
):
    # Another process's cache is not cleared by the suspension: the claim itself refuses.
    settings.WARMUP_ROUTING_CACHE_SECONDS = 3600
    route(account, 10)
    IpWarmup.objects.filter(pk=google("203.0.113.1").pk).update(
        suspended_until=NOW + timedelta(hours=1)
    )

    assert route(account, 10) == {"203.0.113.2"}


def test_an_operator_cancels_a_suspension_and_routing_uses_the_pair_again(
    owner_api, account, ips, operator, django_capture_on_commit_callbacks
):
    owner_api.post("/api/v1/events/", {"events": events(25)})
    assert route(account, 4) == {"203.0.113.2"}  # the cached configuration marks .1 as full

    ip = DedicatedIp.objects.get(address="203.0.113.1")
    with django_capture_on_commit_callbacks(execute=True):  # the cache is dropped on commit
        ip_warmup_suspension_cancel(
            ip=ip, provider="gmail", actor=operator, reason="Gmail postmaster confirmed the fix"
        )

    w = google("203.0.113.1")
    assert (w.suspended_until, w.suspension_kind) == (None, "")
    d = IpWarmupDecision.objects.filter(warmup=w).first()
    assert (d.kind, d.actor) == ("unsuspend", operator)
    assert (
        "opal cancelled the suspension at Google (Gmail, Workspace): Gmail postmaster confirmed "
        "the fix" in d.reason
    )
    assert "203.0.113.1" in route(account, 10)


def test_blocklist_replies_suspend_until_a_clean_blocklist_check(
    owner_api, ips, dns_server, settings
):
    settings.WARMUP_DNSBL_ZONES = ["zen.spamhaus.org"]
    owner_api.post(
        "/api/v1/events/",
        {"events": events(20, kind="bounced", code=554, status="5.7.1", response=SPAMHAUS_REPLY)},
    )

    w = google("203.0.113.1")
    assert w.suspension_kind == "blocklisted"
    assert w.suspended_until > NOW + timedelta(days=7)
    assert "until a blocklist check comes back clean" in w.suspension_reason
    ip = DedicatedIp.objects.get(address="203.0.113.1")
    assert ip.next_check_at == NOW  # the check job takes it now

    # The next check: PTR and forward DNS in place, the blocklist has nothing (NXDOMAIN).
    dns_server.add(dns.reverse_name("203.0.113.1"), "PTR", "mta1.acme.example")
    dns_server.add("mta1.acme.example", "A", "203.0.113.1")
    services.ip_readiness_check(ip=ip)

    w.refresh_from_db()
    assert (w.suspended_until, w.suspension_kind) == (None, "")
    assert w.decisions.first().kind == "unsuspend"
    assert "came back clean" in w.decisions.first().reason


def test_a_blocklist_listing_found_by_a_check_suspends_every_provider(ips, dns_server, settings):
    settings.WARMUP_DNSBL_ZONES = ["zen.spamhaus.org"]
    dns_server.add(dns.reverse_name("203.0.113.1"), "PTR", "mta1.acme.example")
    dns_server.add("mta1.acme.example", "A", "203.0.113.1")
    dns_server.add(dnsbl_name("203.0.113.1", "zen.spamhaus.org"), "A", "127.0.0.2")

    services.ip_readiness_check(ip=ips[0])

    pairs = IpWarmup.objects.filter(ip=ips[0])
    assert {w.suspension_kind for w in pairs} == {"blocklisted"}
    assert all(w.suspended_until > timezone.now() for w in pairs)
    assert "is listed on zen.spamhaus.org" in google("203.0.113.1").suspension_reason
    # A second failing check does not store the same decision again.
    services.ip_readiness_check(ip=ips[0])
    assert IpWarmupDecision.objects.filter(warmup__ip=ips[0]).count() == pairs.count()


def test_a_suspension_never_raises_a_cap(owner_api, ips):
    before = google("203.0.113.1").daily_cap

    owner_api.post("/api/v1/events/", {"events": events(25)})

    assert google("203.0.113.1").daily_cap == before
