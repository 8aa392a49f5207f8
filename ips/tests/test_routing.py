"""The routing decision: order and reasons, pacing, engaged-first, pins, IPv6, exact caps."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ips import routing_cache, services
from ips.models import DedicatedIp, IpWarmup, IpWarmupDay
from ips.tests import factories as f
from ips.types import Recipient
from providers import registry

LATE = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # every pacing window is fully open


@pytest.fixture(autouse=True)
def _late_in_the_day(db):
    with time_machine.travel(LATE, tick=False) as traveller:
        yield traveller


def route(account, *recipients, domain="sender.example"):
    return services.routes_decide(
        account=account,
        sender_domain=domain,
        recipients=[r if isinstance(r, Recipient) else Recipient(r) for r in recipients],
    )


def gmail(count, start=0):
    return [f"user{n}@gmail.com" for n in range(start, start + count)]


def summary(routes):
    return Counter((r.ip, r.reason) for r in routes)


def routed_today(ip, provider="google"):
    return IpWarmupDay.objects.get(warmup=f.warmup(ip, provider), day=LATE.date()).routed


def test_it_overflows_an_accounts_first_ips_to_the_shared_pool(account):
    # Seed case 1: the account's first dedicated IPs share the load with the shared pool.
    own = f.pool(account=account)
    new = f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 10})
    shared = f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    routes = route(account, *gmail(15))

    assert summary(routes) == {("203.0.113.1", "warming"): 10, ("192.0.2.50", "shared"): 5}
    assert {r.pool for r in routes} == {"main", "shared"}
    assert {r.provider for r in routes} == {"google"}
    assert routed_today(new) == 10
    assert routed_today(shared) == 5


def test_it_overflows_to_the_accounts_warm_ips_when_it_has_some(account):
    # Seed case 2: existing warm IPs take what the new IPs may not send yet.
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 10})
    f.warm_ip(pool=own, address="203.0.113.2")
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    routes = route(account, *gmail(15))

    assert summary(routes) == {("203.0.113.1", "warming"): 10, ("203.0.113.2", "warm"): 5}


def test_it_tries_the_pools_overflow_pool_before_the_shared_pool(account):
    spare = f.pool(account=account, name="spare", is_default=False)
    f.warm_ip(pool=spare, address="203.0.113.9", caps={"google": 1000})
    f.profile("google").__class__.objects.filter(provider__slug="google").update(floor=0)
    own = f.pool(account=account, overflow_pool=spare, is_default=True)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 2})
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    routes = route(account, *gmail(1002))

    assert summary(routes) == {
        ("203.0.113.1", "warming"): 2,
        ("203.0.113.9", "overflow"): 1000,
    }
    routes = route(account, *gmail(3, start=2000))
    assert summary(routes) == {("192.0.2.50", "shared"): 3}


def test_it_answers_no_route_with_a_reason_instead_of_waiting(account):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 2})

    routes = route(account, *gmail(3), "someone@yahoo.com")

    assert [r.reason for r in routes] == ["warming", "warming", "no_route", "warming"]
    assert routes[2].ip is None and routes[2].pool is None
    assert "has reached its cap for today" in routes[2].detail
    assert "Google" in routes[2].detail


def test_it_explains_no_route_for_an_account_without_pools(account):
    (result,) = route(account, "someone@gmail.com")

    assert result.reason == "no_route"
    assert "no IP pool and there is no shared pool" in result.detail


def test_it_never_exceeds_a_cap_over_many_requests(account):
    own = f.pool(account=account)
    ip = f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 25})

    reasons = Counter()
    for n in range(12):
        reasons.update(r.reason for r in route(account, *gmail(3, start=n * 3)))

    assert reasons == {"warming": 25, "no_route": 11}
    day = IpWarmupDay.objects.get(warmup=f.warmup(ip, "google"))
    assert (day.routed, day.cap) == (25, 25)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("2026-11-23 00:10:00+00:00", 10),  # 1/16 of 160 in the first hour
        ("2026-11-23 07:59:00+00:00", 80),  # 8/16 by the eighth hour
        ("2026-11-23 15:00:00+00:00", 160),  # the whole cap after the pacing hours
        ("2026-11-23 22:00:00+00:00", 160),
    ],
)
def test_it_paces_a_warming_ip_over_the_day(account, _late_in_the_day, moment, allowed):
    assert f.profile("google").pacing_hours == 16
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 160})
    f.warm_ip(pool=own, address="203.0.113.2")
    _late_in_the_day.move_to(moment)

    routes = route(account, *gmail(200))

    assert summary(routes) == {
        ("203.0.113.1", "warming"): allowed,
        ("203.0.113.2", "warm"): 200 - allowed,
    }


def test_it_opens_more_of_the_cap_as_the_hours_pass(account, _late_in_the_day):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 160})
    _late_in_the_day.move_to("2026-11-23 00:10:00+00:00")
    first = route(account, *gmail(50))
    _late_in_the_day.move_to("2026-11-23 01:10:00+00:00")
    second = route(account, *gmail(50, start=50))

    assert Counter(r.reason for r in first) == {"warming": 10, "no_route": 40}
    assert Counter(r.reason for r in second) == {"warming": 10, "no_route": 40}
    assert "allowance until 02:00 UTC" in second[-1].detail


def test_it_sends_the_most_engaged_recipients_through_warming_ips(account):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 3})
    f.warm_ip(pool=own, address="203.0.113.2")
    recipients = [
        Recipient("stale@gmail.com", 45),  # beyond stage 1's 30-day window
        Recipient("unknown@gmail.com", None),
        Recipient("recent@gmail.com", 2),
        Recipient("today@gmail.com", 0),
        Recipient("lastweek@gmail.com", 7),
    ]

    routes = route(account, *recipients)

    by_address = {r.recipient: r.reason for r in routes}
    assert by_address == {
        "today@gmail.com": "warming",
        "recent@gmail.com": "warming",
        "lastweek@gmail.com": "warming",
        "unknown@gmail.com": "warm",
        "stale@gmail.com": "warm",
    }
    assert [r.recipient for r in routes] == [r.address for r in recipients]  # request order


def test_it_never_sends_long_inactive_recipients_through_a_warming_ip(account):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 100})

    routes = route(account, Recipient("stale@gmail.com", 31), Recipient("fresh@gmail.com", 30))

    assert [r.reason for r in routes] == ["no_route", "warming"]


def test_it_widens_the_engagement_window_as_stages_advance(account):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 100}, stage=3)

    routes = route(account, Recipient("a@gmail.com", 60), Recipient("b@gmail.com", 61))

    # Stage 3: 30 days + 2 × 15.
    assert [r.reason for r in routes] == ["warming", "no_route"]


def test_it_routes_a_pinned_domain_through_its_pool(account):
    default = f.pool(account=account, name="default")
    f.warm_ip(pool=default, address="203.0.113.1")
    marketing = f.pool(account=account, name="marketing", is_default=False)
    f.warm_ip(pool=marketing, address="203.0.113.7")
    domain = f.DomainFactory(account=account, name="news.acme.example")
    services.domain_pool_pin_set(domain=domain, pool=marketing)

    pinned = route(account, "a@gmail.com", domain="news.acme.example")
    other = route(account, "a@gmail.com", domain="acme.example")

    assert (pinned[0].ip, pinned[0].pool, pinned[0].reason) == ("203.0.113.7", "marketing", "warm")
    assert (other[0].ip, other[0].pool) == ("203.0.113.1", "default")


def test_it_ignores_another_accounts_domain_pin(account, other_account):
    mine = f.pool(account=account)
    f.warm_ip(pool=mine, address="203.0.113.1")
    theirs = f.pool(account=other_account)
    f.warm_ip(pool=theirs, address="198.51.100.1")
    services.domain_pool_pin_set(
        domain=f.DomainFactory(account=other_account, name="shared-name.example"), pool=theirs
    )

    (result,) = route(account, "a@gmail.com", domain="shared-name.example")

    assert result.ip == "203.0.113.1"


def test_it_routes_from_ipv6_addresses(account):
    own = f.pool(account=account)
    ip = f.warming_ip(pool=own, address="2001:DB8:0:0::25", caps={"google": 1})
    f.warm_ip(pool=f.shared_pool(), address="2001:db8:ffff::1")

    routes = route(account, *gmail(2))

    assert ip.address == "2001:db8::25"
    assert summary(routes) == {("2001:db8::25", "warming"): 1, ("2001:db8:ffff::1", "shared"): 1}


def test_it_skips_suspended_paused_and_failing_ips(account):
    own = f.pool(account=account)
    suspended = f.warming_ip(pool=own, address="203.0.113.1")
    IpWarmup.objects.filter(ip=suspended, provider__slug="google").update(
        suspended_until=timezone.now() + timedelta(hours=2), suspension_reason="421 4.7.28"
    )
    failing = f.warm_ip(pool=own, address="203.0.113.2")
    DedicatedIp.objects.filter(pk=failing.pk).update(readiness=DedicatedIp.Readiness.FAILED)
    paused = f.warm_ip(pool=own, address="203.0.113.3")
    DedicatedIp.objects.filter(pk=paused.pk).update(state=DedicatedIp.State.PAUSED)
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    routes = route(account, *gmail(2), "a@outlook.com")

    assert [(r.ip, r.reason) for r in routes] == [
        ("192.0.2.50", "shared"),
        ("192.0.2.50", "shared"),
        ("203.0.113.1", "warming"),  # the suspension is Gmail's only
    ]


def test_it_routes_again_once_a_suspension_ends(account, _late_in_the_day):
    own = f.pool(account=account)
    ip = f.warming_ip(pool=own, address="203.0.113.1")
    IpWarmup.objects.filter(ip=ip).update(suspended_until=LATE + timedelta(minutes=10))

    assert route(account, "a@gmail.com")[0].reason == "no_route"
    _late_in_the_day.move_to(LATE + timedelta(minutes=11))
    assert route(account, "a@gmail.com")[0].reason == "warming"


def test_it_limits_a_warm_ip_to_the_allowance_it_proved(account, _late_in_the_day):
    google = f.profile("google")
    google.floor = 50
    google.save()
    own = f.pool(account=account)
    ip = f.warm_ip(pool=own, address="203.0.113.2", caps={"google": 100})
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")
    IpWarmupDay.objects.create(
        warmup=f.warmup(ip, "google"), day=LATE.date() - timedelta(days=2), cap=200, routed=200
    )

    routes = route(account, *gmail(300))

    # A busier day last week proves nothing today: the allowance (100) is what the nightly
    # controller grew it to; the rest overflows to the shared pool, which never refuses.
    assert summary(routes) == {("203.0.113.2", "warm"): 100, ("192.0.2.50", "shared"): 200}


def test_it_always_allows_a_warm_ip_its_floor(account):
    own = f.pool(account=account)
    f.warm_ip(pool=own, address="203.0.113.2", caps={"google": 10})

    routes = route(account, *gmail(1001))

    assert Counter(r.reason for r in routes) == {"warm": 1000, "no_route": 1}


def test_it_gives_a_day_that_events_opened_first_its_cap(account):
    own = f.pool(account=account)
    ip = f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 5})
    IpWarmupDay.objects.create(warmup=f.warmup(ip, "google"), day=LATE.date(), delivered=3)

    routes = route(account, *gmail(6))

    assert Counter(r.reason for r in routes) == {"warming": 5, "no_route": 1}
    day = IpWarmupDay.objects.get(warmup=f.warmup(ip, "google"), day=LATE.date())
    assert (day.cap, day.routed, day.delivered) == (5, 5, 3)


def test_it_keeps_a_cap_an_operator_cut_today(account):
    own = f.pool(account=account)
    ip = f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 10})
    route(account, *gmail(4))

    services.ip_warmup_cap_set(warmup=f.warmup(ip, "google"), daily_cap=6)
    routes = route(account, *gmail(5, start=10))

    assert Counter(r.reason for r in routes) == {"warming": 2, "no_route": 3}
    services.ip_warmup_cap_set(warmup=f.warmup(ip, "google"), daily_cap=1)
    day = IpWarmupDay.objects.get(warmup=f.warmup(ip, "google"), day=LATE.date())
    assert (day.cap, day.routed) == (6, 6)  # never below what already left


def test_it_spreads_recipients_over_several_warming_ips(account):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 10})
    f.warming_ip(pool=own, address="203.0.113.2", caps={"google": 10})

    first = route(account, *gmail(4))
    second = route(account, *gmail(4, start=4))

    assert {r.ip for r in first} != {r.ip for r in second}
    assert summary(route(account, *gmail(20, start=8))) == {
        ("203.0.113.1", "warming"): 6,
        ("203.0.113.2", "warming"): 6,
        (None, "no_route"): 8,
    }


def test_its_database_work_grows_with_groups_not_recipients(account, django_assert_num_queries):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1", caps={"google": 100_000})
    route(account, "open@gmail.com")  # reads the configuration, opens the day

    # 1 the claim on the warming IP's Gmail row (the configuration is cached)
    with django_assert_num_queries(1):
        route(account, "one@gmail.com")
    with django_assert_num_queries(1):
        route(account, *gmail(5000))
    # A cold cache: 1 the configuration with today's rows, 2 the sender domain's pin, 3 claim
    routing_cache.forget()
    with django_assert_num_queries(3):
        route(account, *gmail(5000, start=5000))


def test_a_cached_configuration_is_safe_and_short_lived(account, _late_in_the_day, settings):
    settings.WARMUP_ROUTING_CACHE_SECONDS = 5
    own = f.pool(account=account)
    f.warm_ip(pool=own, address="203.0.113.1")
    f.warm_ip(pool=own, address="203.0.113.2")
    gmail_rows = IpWarmup.objects.filter(provider__slug="google")
    gmail_rows.filter(ip__address="203.0.113.2").update(state=IpWarmup.State.PENDING)
    assert route(account, "a@gmail.com")[0].ip == "203.0.113.1"

    # Another process changes things without telling this one.
    gmail_rows.filter(ip__address="203.0.113.1").update(state=IpWarmup.State.PAUSED)
    gmail_rows.filter(ip__address="203.0.113.2").update(state=IpWarmup.State.WARM)
    stale = route(account, "b@gmail.com")
    _late_in_the_day.move_to(LATE + timedelta(seconds=6))
    fresh = route(account, "c@gmail.com")

    # The paused row is refused by the claim itself at once; the new one is used once the
    # cached configuration expires.
    assert stale[0].reason == "no_route"
    assert fresh[0].ip == "203.0.113.2"


def kind(sql: str) -> str:
    """A statement's verb; the prepared hot-path statements (PostgreSQL) by their name."""
    words = sql.split()
    if words[0].upper() == "EXECUTE":
        return words[1].split("(")[0].removeprefix("warmup_route_")
    if words[0].upper() == "UPDATE":
        return "claim"
    if "ips_ippool" in sql and words[0].upper() == "SELECT":
        return "read"
    if "ips_domainpoolpin" in sql:
        return "pin"
    return words[0].upper()


def test_it_opens_every_day_row_it_needs_in_one_statement(account):
    own = f.pool(account=account)
    f.warming_ip(pool=own, address="203.0.113.1")
    f.warm_ip(pool=own, address="203.0.113.2")
    registry.get_registry()  # the provider registry is cached per process for a minute

    with CaptureQueriesContext(connection) as queries:
        route(account, "a@gmail.com", "b@outlook.com", "c@yahoo.com")

    statements = [kind(q["sql"]) for q in queries.captured_queries]
    # the configuration, one INSERT opening the day rows of both IPs at every provider, the
    # sender domain's pin, and one claim per provider (each provider's first warming IP has room)
    assert statements == ["read", "INSERT", "pin", "claim", "claim", "claim"]
    assert IpWarmupDay.objects.filter(day=LATE.date()).count() == 22


# --- the shared pool never refuses -----------------------------------------------------------


def test_a_first_time_account_sending_100k_to_gmail_is_never_refused(account):
    # Midnight: the hour a paced cap is tightest.
    with time_machine.travel(datetime(2026, 11, 23, 0, 5, tzinfo=UTC), tick=False):
        shared = f.shared_pool()
        f.warm_ip(pool=shared, address="192.0.2.10")
        f.warm_ip(pool=shared, address="192.0.2.11")

        routes = [r for n in range(10) for r in route(account, *gmail(10_000, start=n * 10_000))]

    assert Counter(r.reason for r in routes) == {"shared": 100_000}
    per_ip = Counter(r.ip for r in routes)
    assert per_ip["192.0.2.10"] + per_ip["192.0.2.11"] == 100_000
    assert abs(per_ip["192.0.2.10"] - per_ip["192.0.2.11"]) <= 10_000  # spread, least used first
    rows = IpWarmupDay.objects.filter(warmup__ip__pool=shared, warmup__provider__slug="google")
    assert sum(rows.values_list("routed", flat=True)) == 100_000
    assert set(rows.values_list("cap", flat=True)) == {None}  # uncapped: counted only


def test_a_suspended_shared_ip_is_not_used(account, _late_in_the_day):
    shared = f.shared_pool()
    ip = f.warm_ip(pool=shared, address="192.0.2.10")
    IpWarmup.objects.filter(ip=ip, provider__slug="google").update(
        suspended_until=LATE + timedelta(hours=2)
    )

    (only,) = route(account, "a@gmail.com")

    assert only.reason == "no_route"
