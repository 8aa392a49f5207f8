"""Pools, IPs, warm-up state, schedules and routes over the API, for the three people and an
operator."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import AccountFactory, MembershipFactory
from conftest import _api_client
from ips import services
from ips.models import DedicatedIp, IpPool, IpWarmupDay
from ips.tests import factories as f

NOW = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _late():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def operator_api(operator):
    MembershipFactory(user=operator, account=AccountFactory(name="Ops"), role=Role.OWNER)
    return _api_client(operator)


@pytest.fixture
def setup(account, other_account):
    """Account A (sending as acme.example): a pool with a warming and a warm IP (one IPv6).
    B (other.example): a pool with one IP. A shared pool with one IP."""
    f.DomainFactory(account=account, name="acme.example")
    f.DomainFactory(account=other_account, name="other.example")
    mine = f.pool(account=account, name="acme")
    f.warming_ip(pool=mine, address="203.0.113.1", caps={"google": 40})
    f.warm_ip(pool=mine, address="2001:db8::2")
    theirs = f.pool(account=other_account, name="other")
    f.warm_ip(pool=theirs, address="198.51.100.1")
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")
    return mine


# --- pools --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "names"), [("owner", ["acme"]), ("member", ["acme"]), ("outsider", ["other"])]
)
def test_each_person_sees_their_own_pools(db, request, setup, who, names):
    response = request.getfixturevalue(f"{who}_api").get("/api/v1/ip-pools/")

    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == names


def test_another_accounts_pool_is_not_found(outsider_api, setup):
    assert outsider_api.get(f"/api/v1/ip-pools/{setup.pk}/").status_code == 404


def test_it_shows_a_pool(owner_api, setup):
    body = owner_api.get(f"/api/v1/ip-pools/{setup.pk}/").json()

    assert body == {
        "id": setup.pk,
        "name": "acme",
        "account": "acme-mail",
        "shared": False,
        "is_default": True,
        "overflow_pool": None,
        "capacity": None,
        "description": "",
        "created_at": body["created_at"],
    }


def test_operators_see_every_pool_including_shared_ones(operator_api, setup):
    names = [p["name"] for p in operator_api.get("/api/v1/ip-pools/").json()["results"]]

    assert names == ["acme", "other", "shared"]


def test_the_pool_list_takes_a_fixed_number_of_queries(owner_api, setup, django_assert_num_queries):
    owner_api.get("/api/v1/ip-pools/")  # touches the token (once a minute)
    f.pool(account=setup.account, name="second")
    # 1 token with membership, account and user; 2 count; 3 pools with account and overflow
    with django_assert_num_queries(3):
        owner_api.get("/api/v1/ip-pools/")


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_customers_cannot_create_pools(db, request, who):
    response = request.getfixturevalue(f"{who}_api").post(
        "/api/v1/ip-pools/", {"name": "mine", "account": "acme-mail"}
    )

    assert response.status_code == 403
    assert not IpPool.objects.exists()


def test_an_empty_shared_pool_cannot_become_the_default(operator_api, setup):
    response = operator_api.post(
        "/api/v1/ip-pools/", {"name": "empty", "shared": True, "is_default": True}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "is_default"
    assert IpPool.objects.get(account=None, is_default=True).name == "shared"
    assert not IpPool.objects.filter(name="empty").exists()


def test_an_operator_creates_pools(operator_api, account):
    shared = operator_api.post("/api/v1/ip-pools/", {"name": "Shared EU", "shared": True})
    own = operator_api.post(
        "/api/v1/ip-pools/",
        {"name": "acme", "account": "acme-mail", "overflow_pool": shared.json()["id"]},
    )

    assert shared.status_code == 201
    assert shared.json()["name"] == "shared-eu"
    assert (shared.json()["shared"], shared.json()["is_default"]) == (True, True)
    assert own.status_code == 201
    assert own.json()["account"] == "acme-mail"
    assert own.json()["overflow_pool"] == shared.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "account"),
        ({"name": "x", "account": "acme-mail", "shared": True}, "account"),
        ({"name": "x", "account": "nobody"}, "account"),
        ({"name": "!!!", "account": "acme-mail"}, "name"),
    ],
)
def test_it_explains_a_bad_pool(operator_api, account, body, field):
    response = operator_api.post("/api/v1/ip-pools/", body)

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_a_pool_cannot_overflow_into_another_account(operator_api, account, other_account):
    theirs = f.pool(account=other_account)

    response = operator_api.post(
        "/api/v1/ip-pools/", {"name": "acme", "account": "acme-mail", "overflow_pool": theirs.pk}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "overflow_pool"


# --- IPs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "addresses"),
    [
        ("owner", ["2001:db8::2", "203.0.113.1"]),
        ("member", ["2001:db8::2", "203.0.113.1"]),
        ("outsider", ["198.51.100.1"]),
    ],
)
def test_each_person_sees_their_own_ips(db, request, setup, who, addresses):
    response = request.getfixturevalue(f"{who}_api").get("/api/v1/ips/")

    assert response.status_code == 200
    # Ordered by address: PostgreSQL's inet order puts IPv4 first, SQLite orders text.
    assert sorted(ip["address"] for ip in response.json()["results"]) == addresses


def test_it_shows_an_ip_with_its_checks(owner_api, setup):
    body = owner_api.get("/api/v1/ips/203.0.113.1/").json()

    assert body["address"] == "203.0.113.1"
    assert body["version"] == 4
    assert body["pool"] == setup.pk and body["pool_name"] == "acme"
    assert body["state"] == "warming"
    assert body["checks"] == []
    assert body["readiness_override"] is None


def test_it_finds_an_ipv6_address_in_any_spelling(member_api, setup):
    for spelling in ("2001:db8::2", "2001:DB8:0:0:0:0:0:2"):
        response = member_api.get(f"/api/v1/ips/{spelling}/")
        assert response.status_code == 200
        assert response.json()["version"] == 6


@pytest.mark.parametrize("path", ["203.0.113.1/", "203.0.113.1/warmup/"])
def test_another_accounts_ip_is_not_found(outsider_api, setup, path):
    assert outsider_api.get(f"/api/v1/ips/{path}").status_code == 404


def test_an_unknown_or_malformed_address_is_not_found(owner_api, setup):
    assert owner_api.get("/api/v1/ips/203.0.113.99/").status_code == 404
    assert owner_api.get("/api/v1/ips/1.2.3/").status_code == 404


def test_anonymous_requests_are_refused(anon_api, setup):
    assert anon_api.get("/api/v1/ips/").status_code == 401
    assert anon_api.get("/api/v1/ip-pools/").status_code == 401


def test_the_ip_list_takes_a_fixed_number_of_queries(owner_api, setup, django_assert_num_queries):
    owner_api.get("/api/v1/ips/")
    f.warm_ip(pool=setup, address="203.0.113.3")
    # 1 token; 2 count; 3 IPs with pool and account; 4 their checks; 5 their warm-up rows
    # (with each newest decision's id; one more for those decisions when there are any)
    with django_assert_num_queries(5):
        response = owner_api.get("/api/v1/ips/")
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_customers_cannot_add_ips(db, request, setup, who):
    response = request.getfixturevalue(f"{who}_api").post(
        "/api/v1/ips/", {"address": "203.0.113.50", "pool": setup.pk}
    )

    assert response.status_code == 403
    assert not DedicatedIp.objects.filter(address="203.0.113.50").exists()


def test_an_operator_adds_ips(operator_api, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = operator_api.post(
            "/api/v1/ips/",
            {"address": "2001:DB8::50", "pool": setup.pk, "hostname": "MTA50.Acme.example."},
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["address"], body["hostname"], body["state"]) == (
        "2001:db8::50",
        "mta50.acme.example",
        "new",
    )
    # its readiness check is queued once the IP is saved (another callback drops the routing cache)
    assert sum("ip_create" in c.__qualname__ for c in callbacks) == 1
    assert operator_api.get("/api/v1/ips/2001:db8::50/warmup/").json()[0]["state"] == "pending"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"address": "203.0.113.1"}, "address", "already in a pool"),
        ({"address": "not-an-ip"}, "address", "not an IPv4 or IPv6 address"),
        ({"address": "::ffff:203.0.113.9"}, "address", "give 203.0.113.9 instead"),
        ({"address": "203.0.113.60", "pool": 999999}, "pool", "no such pool"),
    ],
)
def test_it_explains_a_bad_ip(operator_api, setup, body, field, words):
    response = operator_api.post("/api/v1/ips/", {"pool": setup.pk, **body})

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["message"]


# --- warm-up state --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_it_shows_the_warm_up_per_provider(db, request, setup, who):
    client = request.getfixturevalue(f"{who}_api")
    client.post(
        "/api/v1/routes/",
        {"sender_domain": "acme.example", "recipients": [f"u{n}@gmail.com" for n in range(45)]},
    )

    response = client.get("/api/v1/ips/203.0.113.1/warmup/")

    assert response.status_code == 200
    rows = {row["provider"]: row for row in response.json()}
    assert len(rows) == 11
    google = rows["google"]
    progress, finish = google.pop("progress"), google.pop("estimated_finish")
    assert google == {
        "provider": "google",
        "state": "warming",
        "stage": 1,
        "daily_cap": 40,
        "used_today": 40,
        "remaining_now": 0,
        "sending_days": 0,
        "suspended_until": None,
        "suspension_reason": "",
        "warmup_percentage": 0,
        "last_decision": None,
        "cause_decision": None,
    }
    # No week of history yet: the estimate comes from the stage table's minimum days.
    stages = len(f.profile("google").stage_caps())
    assert progress["stage"] == 1 and progress["stages"] == stages
    assert progress["basis"] == "profile"
    assert progress["label"] == f"stage 1 of {stages} · ~{progress['days_left']} days left"
    today = timezone.now().date()
    assert finish == (today + timedelta(days=progress["days_left"])).isoformat()
    assert rows["microsoft"]["daily_cap"] == 1000  # the profile's first stage
    assert rows["microsoft"]["used_today"] == 0


def test_a_warm_ip_shows_its_growth_allowance(owner_api, setup):
    rows = {r["provider"]: r for r in owner_api.get("/api/v1/ips/2001:db8::2/warmup/").json()}

    assert rows["google"]["state"] == "warm"
    assert rows["google"]["daily_cap"] == 20000  # the target cap it ended its warm-up at
    assert rows["google"]["stage"] == len(f.profile("google").stage_caps())  # its last stage


def test_the_warm_up_view_takes_a_fixed_number_of_queries(
    owner_api, setup, django_assert_num_queries
):
    owner_api.get("/api/v1/ips/203.0.113.1/warmup/")
    # 1 token; 2 the IP (with pool, account); 3 its checks; 4 per-provider rows with today's
    # day; 5 the last week's day rows (the estimates' pace)
    with django_assert_num_queries(5):
        owner_api.get("/api/v1/ips/203.0.113.1/warmup/")


# --- schedules ------------------------------------------------------------------------------------


def test_it_shows_a_providers_stage_table(member_api):
    body = member_api.get("/api/v1/providers/google/schedule/").json()

    assert body["provider"] == "google"
    assert (body["start_cap"], body["target_cap"], body["min_days"]) == (1000, 20000, 42)
    assert body["floor"] == 1000
    stages = body["stages"]
    assert stages[0] == {
        "stage": 1,
        "daily_cap": 1000,
        "days": 5,
        "first_day": 1,
        "last_day": 5,
        "engaged_days": 30,
    }
    assert stages[1]["daily_cap"] == 1400
    assert stages[-1]["daily_cap"] == 20000
    assert sum(s["days"] for s in stages) == 42
    assert [s["daily_cap"] for s in stages] == sorted({s["daily_cap"] for s in stages})


def test_gmail_and_microsoft_warm_slower_than_the_others(owner_api):
    days = {
        slug: owner_api.get(f"/api/v1/providers/{slug}/schedule/").json()["stages"][-1]["last_day"]
        for slug in ("google", "microsoft", "yahoo", "apple", "other")
    }

    assert days == {"google": 42, "microsoft": 42, "yahoo": 28, "apple": 14, "other": 14}


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_every_account_member_sees_the_schedules(db, request, who):
    response = request.getfixturevalue(f"{who}_api").get("/api/v1/providers/yahoo/schedule/")

    assert response.status_code == 200
    assert response.json()["min_days"] == 28


def test_an_unknown_provider_has_no_schedule(owner_api):
    assert owner_api.get("/api/v1/providers/nope/schedule/").status_code == 404


def test_schedules_need_authentication(anon_api, db):
    assert anon_api.get("/api/v1/providers/google/schedule/").status_code == 401


# --- routes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_every_member_may_ask_for_routes(db, request, setup, who):
    response = request.getfixturevalue(f"{who}_api").post(
        "/api/v1/routes/",
        {
            "sender_domain": "Acme.Example",
            "recipients": ["a@gmail.com", {"address": "b@gmail.com", "engaged_days": 3}],
        },
    )

    assert response.status_code == 200
    assert response.json()["routes"] == [
        {
            "recipient": "a@gmail.com",
            "provider": "google",
            "ip": "203.0.113.1",
            "pool": "acme",
            "reason": "warming",
            "detail": None,
        },
        {
            "recipient": "b@gmail.com",
            "provider": "google",
            "ip": "203.0.113.1",
            "pool": "acme",
            "reason": "warming",
            "detail": None,
        },
    ]


def test_an_outsider_is_routed_through_their_own_pools_only(outsider_api, setup):
    response = outsider_api.post(
        "/api/v1/routes/", {"sender_domain": "other.example", "recipients": ["a@gmail.com"]}
    )

    assert response.json()["routes"][0]["ip"] == "198.51.100.1"


def test_routes_need_authentication(anon_api, db):
    response = anon_api.post(
        "/api/v1/routes/", {"sender_domain": "a.example", "recipients": ["a@gmail.com"]}
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": ["a@gmail.com"]}, "sender_domain"),
        ({"sender_domain": "bad..example", "recipients": ["a@gmail.com"]}, "sender_domain"),
        ({"sender_domain": "acme.example"}, "recipients"),
        ({"sender_domain": "acme.example", "recipients": []}, "recipients"),
        (
            {"sender_domain": "acme.example", "recipients": ["a@gmail.com", "nobody"]},
            "recipients[1]",
        ),
        ({"sender_domain": "acme.example", "recipients": ["a@gmail.com", 7]}, "recipients[1]"),
        (
            {"sender_domain": "acme.example", "recipients": [{"address": "@gmail.com"}]},
            "recipients[0].address",
        ),
        (
            {
                "sender_domain": "acme.example",
                "recipients": ["a@b.example", {"address": "a@gmail.com", "engaged_days": -1}],
            },
            "recipients[1].engaged_days",
        ),
    ],
)
def test_it_explains_a_bad_routes_request(owner_api, setup, body, field):
    response = owner_api.post("/api/v1/routes/", body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["message"].startswith(f"{field}: ")


def test_it_routes_ten_thousand_recipients_and_refuses_more(owner_api, setup):
    recipients = [f"u{n}@gmail.com" for n in range(10_000)]

    ok = owner_api.post(
        "/api/v1/routes/", {"sender_domain": "acme.example", "recipients": recipients}
    )
    too_many = owner_api.post(
        "/api/v1/routes/",
        {"sender_domain": "acme.example", "recipients": [*recipients, "x@gmail.com"]},
    )

    assert len(ok.json()["routes"]) == 10_000
    assert too_many.status_code == 400
    assert too_many.json()["field"] == "recipients"


def test_the_schema_documents_the_new_endpoints(client, db):
    schema = client.get("/api/schema/").content

    for path in (
        b"/api/v1/routes/",
        b"/api/v1/events/",
        b"/api/v1/ip-pools/",
        b"/api/v1/ips/{address}/warmup/",
        b"/api/v1/providers/{slug}/schedule/",
    ):
        assert path in schema


# --- whose sender domain ----------------------------------------------------------------------


def test_a_customer_may_only_route_its_own_domains(owner_api, setup):
    foreign = owner_api.post(
        "/api/v1/routes/", {"sender_domain": "other.example", "recipients": ["a@gmail.com"]}
    )
    unknown = owner_api.post(
        "/api/v1/routes/", {"sender_domain": "nobody.example", "recipients": ["a@gmail.com"]}
    )
    subdomain = owner_api.post(
        "/api/v1/routes/", {"sender_domain": "news.acme.example", "recipients": ["a@gmail.com"]}
    )

    for refused in (foreign, unknown):
        assert refused.status_code == 400
        assert refused.json()["field"] == "sender_domain"
        assert "not one of this account's domains" in refused.json()["message"]
    assert subdomain.json()["routes"][0]["ip"] == "203.0.113.1"
    assert IpWarmupDay.objects.filter(routed__gt=0).count() == 1  # the subdomain's one


def test_the_pipeline_routes_a_verified_domain_through_its_accounts_ips(setup):
    (route,) = services.routes_decide_for_pipeline(
        sender_domain="acme.example", recipients=[services.Recipient("a@gmail.com")]
    )

    assert (route.ip, route.pool, route.reason) == ("203.0.113.1", "acme", "warming")


def test_the_pipeline_routes_a_domain_nobody_verified_through_the_shared_pool_only(setup):
    routes = services.routes_decide_for_pipeline(
        sender_domain="nobody.example",
        recipients=[services.Recipient(f"u{n}@gmail.com") for n in range(3)],
    )

    assert {(r.ip, r.reason) for r in routes} == {("192.0.2.50", "shared")}


# --- automatic warm-up (Amazon SES parity) and the floor ----------------------------------------


def test_the_account_switches_automatic_warm_up_and_sees_what_that_means(
    owner_api, member_api, setup
):
    assert owner_api.get("/api/v1/account/ip-warmup/").json()["auto_warmup_enabled"] is True

    refused = member_api.put("/api/v1/account/ip-warmup/", {"auto_warmup_enabled": False})
    off = owner_api.put("/api/v1/account/ip-warmup/", {"auto_warmup_enabled": False})
    bad = owner_api.put("/api/v1/account/ip-warmup/", {"auto_warmup_enabled": "maybe"})

    assert refused.status_code == 403
    assert off.json()["auto_warmup_enabled"] is False
    assert "take full traffic as soon as their checks pass" in off.json()["warning"]
    assert (bad.status_code, bad.json()["field"]) == (400, "auto_warmup_enabled")


def test_with_automatic_warm_up_off_a_new_ip_takes_full_traffic_and_says_why(
    owner_api, setup, account
):
    owner_api.put("/api/v1/account/ip-warmup/", {"auto_warmup_enabled": False})
    ip = services.ip_create(pool=setup, address="203.0.113.77", check=False)
    DedicatedIp.objects.filter(pk=ip.pk).update(readiness=DedicatedIp.Readiness.PASSED)
    ip.refresh_from_db()

    services.ip_warmup_start(ip=ip)

    body = owner_api.get("/api/v1/ips/203.0.113.77/").json()
    assert (body["state"], body["warmup_percentage"]) == ("warm", 100)
    rows = {
        row["provider"]: row for row in owner_api.get("/api/v1/ips/203.0.113.77/warmup/").json()
    }
    assert rows["google"]["state"] == "warm"
    assert "Automatic warm-up is off for this account" in rows["google"]["last_decision"]["reason"]


def test_the_ip_list_reports_the_warm_up_percentage_per_ip_and_provider(owner_api, setup):
    f.set_caps(DedicatedIp.objects.get(address="203.0.113.1"), {"google": 4_472})

    ips = {ip["address"]: ip for ip in owner_api.get("/api/v1/ips/").json()["results"]}

    warming, warm = ips["203.0.113.1"], ips["2001:db8::2"]
    assert warm["warmup_percentage"] == 100
    # Google: 4,472 a day between 1,000 and 20,000 on a log scale is half way; the others start.
    assert warming["warmup_percentage_by_provider"]["google"] == 50
    assert warming["warmup_percentage_by_provider"]["yahoo"] == 0
    assert warming["warmup_percentage"] == 5  # the mean over eleven providers


def test_the_account_sees_when_its_volume_cannot_keep_its_ips_over_the_floor(
    owner_api, setup, account
):
    second = f.warm_ip(pool=setup, address="203.0.113.8")
    for ip in (DedicatedIp.objects.get(address="2001:db8::2"), second):
        for n in range(1, 8):
            IpWarmupDay.objects.create(
                warmup=f.warmup(ip, "google"),
                day=datetime.now(UTC).date() - timedelta(days=n),
                cap=20_000,
                routed=600,
            )

    floor = owner_api.get("/api/v1/account/ip-warmup/").json()["floor"]

    google = next(line for line in floor if line["provider"] == "google")
    assert (google["warm_ips"], google["daily_volume"], google["supported"]) == (2, 1_200, 1)
    assert google["shortfall"] == 1
    assert (
        "keeps 1 of 2 warm IPs at the floor of 1,000 a day: 1 will cool down" in google["sentence"]
    )
