"""A shared pool's capacity: operators set it (admin, API), routing never refuses for it, and the
watch tells operators — once a day, through the notifications — when a day nears it."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Role
from accounts.tests.factories import AccountFactory, MembershipFactory
from conftest import _api_client
from ips import tasks
from ips.models import DedicatedIp, IpPool, IpWarmupDay
from ips.services.capacity import shared_pools_watch
from ips.services.routing import routes_decide
from ips.tests import factories as f
from ips.types import Recipient
from reputation.models import Kind, NotificationEvent
from reputation.services.notifications import notifications_dispatch, notifications_scan
from warmup_site.schedules import JOBS

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def shared(db):
    pool = f.shared_pool()
    f.warm_ip(pool=pool, address="192.0.2.10")
    f.warm_ip(pool=pool, address="192.0.2.11")
    IpPool.objects.filter(pk=pool.pk).update(capacity=1000)
    return IpPool.objects.get(pk=pool.pk)


def routed_today(address: str, provider: str, routed: int, on=None):
    IpWarmupDay.objects.update_or_create(
        warmup=f.warmup(DedicatedIp.objects.get(address=address), provider),
        day=on or NOON.date(),
        defaults={"cap": None, "routed": routed},
    )


@pytest.fixture
def operator_api(operator):
    MembershipFactory(user=operator, account=AccountFactory(name="Ops"), role=Role.OWNER)
    return _api_client(operator)


def test_a_pool_near_its_capacity_is_flagged_once_a_day_and_logged(shared, caplog):
    routed_today("192.0.2.10", "google", 500)
    routed_today("192.0.2.11", "microsoft", 420)  # 920 of 1,000 over the pool: 92%

    with caplog.at_level(logging.WARNING, logger="ips.services.capacity"):
        first = shared_pools_watch()
        again = shared_pools_watch()

    assert first.alerted == again.alerted
    assert "routed 920 of its 1,000 a day (92%)" in first.alerted[0]
    assert "add IPs to it or raise its capacity" in first.alerted[0]
    assert [r.getMessage() for r in caplog.records].count(
        "Shared pool near capacity: " + first.alerted[0] + "."
    ) == 1
    shared.refresh_from_db()
    assert shared.capacity_alerted_on == NOON.date()

    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        assert shared_pools_watch().alerted == []  # a new day starts from nothing
        routed_today("192.0.2.10", "google", 950, on=(NOON + timedelta(days=1)).date())
        assert shared_pools_watch().alerted
    shared.refresh_from_db()
    assert shared.capacity_alerted_on == (NOON + timedelta(days=1)).date()


def test_a_day_on_course_to_pass_the_capacity_is_flagged_early(shared):
    with time_machine.travel(NOON.replace(hour=6), tick=False):
        routed_today("192.0.2.10", "google", 300)  # 30% by 06:00: 1,200 by midnight

        summary = shared_pools_watch()

    assert "on course for 1,200 today" in summary.alerted[0]


def test_a_quiet_pool_or_one_without_capacity_is_left_alone(shared):
    routed_today("192.0.2.10", "google", 100)
    other = f.shared_pool(name="other")
    f.warm_ip(pool=other, address="192.0.2.20")
    routed_today("192.0.2.20", "google", 10**6)  # no capacity set: nothing to compare with

    summary = shared_pools_watch()

    assert (summary.pools, summary.alerted) == (1, [])
    assert summary.sentence() == "1 shared pools with a capacity, none near it"


def test_routing_never_refuses_for_the_capacity(shared, account):
    routes = routes_decide(
        account=account,
        sender_domain="acme.example",
        recipients=[Recipient(f"u{n}@gmail.com") for n in range(1500)],
    )

    assert {r.reason for r in routes} == {"shared"}
    assert len([r for r in routes if r.ip]) == 1500  # over the pool's 1,000: still routed
    assert "near" in tasks.watch_shared_pools()


def test_operators_are_notified_once(shared, operator, mailoutbox):
    operator.email = "opal@example.com"
    operator.save()
    routed_today("192.0.2.10", "google", 990)
    shared_pools_watch()

    notifications_scan()
    notifications_scan()
    notifications_dispatch()

    (event,) = NotificationEvent.objects.filter(kind=Kind.POOL_NEAR_CAPACITY)
    assert event.account_id is None
    assert event.title == "Shared pool shared is near its capacity"
    assert event.data == {"pool": "shared", "capacity": 1000, "routed_today": 990}
    (sent,) = mailoutbox
    assert sent.to == ["opal@example.com"]
    assert "Shared pool shared is near its capacity" in sent.subject


def test_operators_set_the_capacity_in_the_api_and_customers_cannot(
    operator_api, owner_api, account
):
    created = operator_api.post(
        "/api/v1/ip-pools/", {"name": "big", "shared": True, "capacity": 250000}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["capacity"] == 250000

    own = operator_api.post(
        "/api/v1/ip-pools/", {"name": "x", "account": account.slug, "capacity": 10}
    )
    assert own.status_code == 400, own.json()
    assert own.json()["field"] == "capacity"
    assert "Only a shared pool has a capacity" in own.json()["message"]

    assert (
        owner_api.post(
            "/api/v1/ip-pools/", {"name": "mine", "shared": True, "capacity": 5}
        ).status_code
        == 403
    )


def test_operators_set_the_capacity_in_the_admin_and_see_the_load(operator_client, shared):
    routed_today("192.0.2.10", "google", 250)

    page = operator_client.get("/admin/ips/ippool/").content.decode()
    assert "250 of 1,000 (25%)" in page

    response = operator_client.post(
        f"/admin/ips/ippool/{shared.pk}/change/",
        {"name": "shared", "is_default": "on", "capacity": "5000", "description": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shared.refresh_from_db()
    assert shared.capacity == 5000


def test_the_watch_is_scheduled():
    assert any(job.func == "ips.tasks.watch_shared_pools" for job in JOBS)
