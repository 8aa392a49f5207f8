"""The reputation API for the three people and an operator: series and verdicts per domain and
per IP, the account's overview, feed connections, notification preferences, webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Role
from accounts.tests.factories import AccountFactory, MembershipFactory
from conftest import _api_client
from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.models import DomainSnapshot, FeedConnection, NotificationEvent
from reputation.services.snapshots import snapshots_compute_day
from reputation.tests.conftest import CLIENT_ID, CLIENT_SECRET

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def operator_api(operator):
    MembershipFactory(user=operator, account=AccountFactory(name="Ops"), role=Role.OWNER)
    return _api_client(operator)


@pytest.fixture
def setup(account, other_account):
    """A's domain and warm IP with two days of snapshots; B's domain; a shared IP."""
    domain = f.DomainFactory(account=account, name="news.acme.example")
    ip = f.warm_ip(pool=f.pool(account=account), address="203.0.113.5")
    theirs = f.DomainFactory(account=other_account, name="other.example")
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")
    for day in (TODAY - timedelta(days=1), TODAY):
        snapshots_compute_day(day=day, now=NOW)
    return domain, ip, theirs


def providers() -> int:
    return MailboxProvider.objects.count()


# --- per domain and per IP -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_see_their_domains_series_and_verdicts(db, request, setup, who):
    domain = setup[0]

    response = request.getfixturevalue(f"{who}_api").get(
        f"/api/v1/domains/{domain.pk}/reputation/?days=2"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == {"kind": "domain", "id": domain.pk, "name": "news.acme.example"}
    assert (body["days"], body["start"], body["end"]) == (2, "2026-11-22", "2026-11-23")
    assert len(body["providers"]) == providers()
    google = body["providers"][0]
    assert (google["provider"], google["name"]) == ("google", "Google (Gmail, Workspace)")
    assert google["series"]["day"] == ["2026-11-22", "2026-11-23"]
    assert google["series"]["score"] == [50, 50]
    assert google["series"]["complaint_rate"] == [None, None]
    assert {"inbox_rate", "pm_spam_rate", "delivered", "reputation"} <= set(google["series"])
    assert google["today"] == {
        "day": "2026-11-23",
        "reputation": "neutral",
        "deliverability": "medium",
        "score": 50,
        "sentence": "neutral: no signal at Google on 22–23 Nov",
        "factors": [],
        "computed_at": "2026-11-23T09:00:00+00:00",
    }


def test_another_accounts_domain_is_not_found(outsider_api, setup):
    assert outsider_api.get(f"/api/v1/domains/{setup[0].pk}/reputation/").status_code == 404


def test_anonymous_requests_are_refused(anon_api, setup):
    assert anon_api.get(f"/api/v1/domains/{setup[0].pk}/reputation/").status_code in (401, 403)


@pytest.mark.parametrize("days", ["0", "401", "many"])
def test_days_must_be_between_1_and_400(owner_api, setup, days):
    response = owner_api.get(f"/api/v1/domains/{setup[0].pk}/reputation/?days={days}")

    assert response.status_code == 400
    assert response.json()["field"] == "days"


def test_an_ip_series_has_the_warm_up_and_the_feeds(owner_api, setup):
    body = owner_api.get("/api/v1/ips/203.0.113.5/reputation/?days=1").json()

    assert body["subject"]["kind"] == "ip" and body["subject"]["name"] == "203.0.113.5"
    microsoft = next(p for p in body["providers"] if p["provider"] == "microsoft")
    assert microsoft["series"]["warmup_state"] == ["warm"]
    assert microsoft["today"]["reputation"] == "positive"
    assert {"cap", "used", "snds_filter", "dnsbl_listings"} <= set(microsoft["series"])


@pytest.mark.parametrize(
    ("who", "address", "status"),
    [
        ("outsider", "203.0.113.5", 404),
        ("owner", "192.0.2.50", 404),  # shared IPs are the operators'
        ("operator", "192.0.2.50", 200),
        ("operator", "203.0.113.5", 200),
        ("owner", "not-an-ip", 404),
    ],
)
def test_ips_are_found_for_their_account_and_the_operators(
    db, request, setup, who, address, status
):
    response = request.getfixturevalue(f"{who}_api").get(f"/api/v1/ips/{address}/reputation/")

    assert response.status_code == status


def test_400_days_at_11_providers_cost_a_constant_number_of_queries(
    owner_api, account, django_assert_num_queries
):
    domain = f.DomainFactory(account=account, name="big.example")
    ids = list(MailboxProvider.objects.values_list("pk", flat=True))
    DomainSnapshot.objects.bulk_create(
        DomainSnapshot(
            domain=domain,
            provider_id=p,
            day=TODAY - timedelta(days=n),
            delivered=n,
            computed_at=NOW,
        )
        for n in range(400)
        for p in ids
    )
    owner_api.get(f"/api/v1/domains/{domain.pk}/reputation/?days=1")  # token issued, warm caches

    # 1 the token (with its membership, user and account), 2 the domain, 3 the series of every
    # provider, 4 the newest day's verdicts.
    with django_assert_num_queries(4):
        response = owner_api.get(f"/api/v1/domains/{domain.pk}/reputation/?days=400")

    assert response.status_code == 200
    series = response.json()["providers"][0]["series"]
    assert len(series["day"]) == 400 and series["delivered"][-1] == 0


# --- the overview --------------------------------------------------------------------------------


def test_the_overview_lists_todays_verdicts_per_subject_and_provider(owner_api, setup):
    body = owner_api.get("/api/v1/reputation/").json()

    assert body["day"] == "2026-11-23"
    assert [d["name"] for d in body["domains"]] == ["news.acme.example"]
    assert [i["address"] for i in body["ips"]] == ["203.0.113.5"]  # not B's, not the shared one
    assert len(body["ips"][0]["providers"]) == providers()
    assert body["ips"][0]["providers"][0]["day"] == "2026-11-23"
    # The warm IP is positive everywhere: high deliverability at every provider.
    assert {p["deliverability"] for p in body["providers"]} == {"high"}


def test_the_overview_costs_a_constant_number_of_queries(
    owner_api, setup, account, django_assert_num_queries
):
    owner_api.get("/api/v1/reputation/")
    for n in range(3):
        f.DomainFactory(account=account, name=f"more{n}.example")
    snapshots_compute_day(day=TODAY, now=NOW)

    # 1 the token, 2 today's domain snapshots, 3 today's IP snapshots.
    with django_assert_num_queries(3):
        assert len(owner_api.get("/api/v1/reputation/").json()["domains"]) == 4


# --- feed connections ----------------------------------------------------------------------------


def test_an_owner_connects_postmaster_and_the_secret_never_comes_back(owner_api, account):
    response = owner_api.post(
        "/api/v1/reputation/feeds/",
        {
            "kind": "postmaster",
            "secret": "1//secret-refresh-token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["auth"], body["status"]) == ("postmaster", "refresh_token", "new")
    text = response.content.decode() + owner_api.get("/api/v1/reputation/feeds/").content.decode()
    assert "secret-refresh-token" not in text and CLIENT_SECRET not in text
    assert "secret" not in body and "client_secret" not in body


def test_a_member_cannot_connect_a_feed(member_api):
    response = member_api.post("/api/v1/reputation/feeds/", {"kind": "snds", "secret": "k" * 20})

    assert response.status_code == 403


def test_a_bad_connection_names_the_field(owner_api):
    response = owner_api.post("/api/v1/reputation/feeds/", {"kind": "postmaster", "secret": "x"})

    assert response.status_code == 400
    assert response.json()["field"] == "client_id"


def test_fetch_now_reports_what_the_feed_said_and_is_rate_limited(owner_api, account, feed_server):
    key = "snds-key-0123456789"
    f.warm_ip(pool=f.pool(account=account), address="198.51.100.21")
    feed_server.data.snds[key] = {}
    feed_id = owner_api.post("/api/v1/reputation/feeds/", {"kind": "snds", "secret": key}).json()[
        "id"
    ]

    first = owner_api.post(f"/api/v1/reputation/feeds/{feed_id}/fetch/")
    second = owner_api.post(f"/api/v1/reputation/feeds/{feed_id}/fetch/")

    assert first.status_code == 200
    assert first.json()["status"] == "no_data"
    assert first.json()["status_detail"].startswith("no data yet — SNDS reports an IP only")
    assert second.status_code == 429 and second["Retry-After"] == "60"


def test_another_accounts_feed_is_not_found(outsider_api, account):
    feed = FeedConnection.objects.create(account=account, kind="snds", auth="key", secret="x")

    assert outsider_api.get(f"/api/v1/reputation/feeds/{feed.pk}/").status_code == 404
    assert outsider_api.delete(f"/api/v1/reputation/feeds/{feed.pk}/").status_code == 404
    assert FeedConnection.objects.filter(pk=feed.pk).exists()


# --- notifications and webhooks ------------------------------------------------------------------


def test_preferences_default_to_everything_by_mail_and_can_be_changed(owner_api, member_api):
    assert owner_api.get("/api/v1/reputation/notifications/").json()["digest"] is False

    response = owner_api.put(
        "/api/v1/reputation/notifications/",
        {"kinds": ["ip.warmup_warm"], "email": True, "digest": True, "extra_recipients": []},
    )

    assert response.status_code == 200
    assert response.json()["kinds"] == ["ip.warmup_warm"]
    assert member_api.get("/api/v1/reputation/notifications/").json()["digest"] is True
    refused = member_api.put("/api/v1/reputation/notifications/", response.json())
    assert refused.status_code == 403


def test_a_webhook_secret_is_shown_once(owner_api, receiver):
    created = owner_api.post(
        "/api/v1/reputation/webhooks/", {"url": receiver.url, "kinds": ["ip.warmup_warm"]}
    )

    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and created.json()["secret_prefix"] == secret[:12]
    listed = owner_api.get("/api/v1/reputation/webhooks/")
    assert secret not in listed.content.decode()

    tested = owner_api.post(f"/api/v1/reputation/webhooks/{created.json()['id']}/test/")

    assert (tested.json()["status"], tested.json()["status_code"]) == ("succeeded", 200)
    log = owner_api.get(f"/api/v1/reputation/webhooks/{created.json()['id']}/deliveries/")
    assert [d["kind"] for d in log.json()] == ["test"]


def test_another_accounts_webhook_is_not_found(owner_api, outsider_api, receiver):
    pk = owner_api.post("/api/v1/reputation/webhooks/", {"url": receiver.url}).json()["id"]

    assert outsider_api.post(f"/api/v1/reputation/webhooks/{pk}/test/").status_code == 404
    assert (
        outsider_api.patch(f"/api/v1/reputation/webhooks/{pk}/", {"active": False}).status_code
        == 404
    )
    assert receiver.received == []


def test_the_events_list_is_the_accounts_own(owner_api, account, other_account):
    NotificationEvent.objects.create(
        account=account, key="a", kind="ip.warmup_warm", title="mine", text="", occurred_at=NOW
    )
    NotificationEvent.objects.create(
        account=other_account,
        key="b",
        kind="ip.warmup_warm",
        title="theirs",
        text="",
        occurred_at=NOW,
    )

    titles = [e["title"] for e in owner_api.get("/api/v1/reputation/events/").json()["results"]]

    assert titles == ["mine"]


def test_the_schema_documents_the_reputation_paths(owner_api):
    schema = owner_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in (
        "/api/v1/domains/{id}/reputation/",
        "/api/v1/ips/{address}/reputation/",
        "/api/v1/reputation/",
        "/api/v1/reputation/feeds/",
        "/api/v1/reputation/webhooks/",
        "/api/v1/reputation/notifications/",
    ):
        assert path in schema["paths"], path
    get = schema["paths"]["/api/v1/domains/{id}/reputation/"]["get"]
    assert any(p["name"] == "days" for p in get["parameters"])
    assert "examples" in get["responses"]["200"]["content"]["application/json"]
