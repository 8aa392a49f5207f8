"""POST /api/v1/events/: validation by item and field, idempotency, counters, classification."""

from datetime import UTC, datetime

import pytest
import time_machine

from ips import inputs, services
from ips.models import DeliveryEvent, IpWarmupDay
from ips.tests import factories as f
from providers.models import SmtpResponseRule

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
GMAIL_THROTTLE = (
    "421-4.7.28 [203.0.113.1      15] Our system has detected an unusual rate of unsolicited "
    "mail originating from your IP address. To protect our users from spam, mail sent from "
    "your IP address has been temporarily rate limited."
)


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ip(account):
    return f.warming_ip(pool=f.pool(account=account), address="203.0.113.1")


def event(n, **changes):
    data = {
        "id": f"evt-{n}",
        "type": "delivered",
        "ip": "203.0.113.1",
        "sender_domain": "acme.example",
        "recipient": f"user{n}@gmail.com",
        "smtp_code": 250,
        "enhanced_status": "2.0.0",
        "response": "250 2.0.0 OK 1700000000 x1si123",
        "timestamp": "2026-11-23T11:59:00Z",
    }
    data.update(changes)
    return data


def day_counters(ip, provider="google", day=TODAY):
    row = IpWarmupDay.objects.filter(warmup=f.warmup(ip, provider), day=day).first()
    if row is None:
        return {}
    return {name: getattr(row, name) for name in IpWarmupDay.COUNTERS if getattr(row, name)}


def test_it_stores_events_and_counts_them_per_ip_provider_and_day(owner_api, ip):
    events = [
        event(1),
        event(2),
        event(3, type="deferred", smtp_code=421, enhanced_status="4.7.28", response=GMAIL_THROTTLE),
        event(
            4,
            type="bounced",
            smtp_code=550,
            enhanced_status="5.1.1",
            response="550-5.1.1 The email account that you tried to reach does not exist.",
        ),
        event(5, type="complaint", smtp_code=None, enhanced_status="", response=""),
        event(6, recipient="someone@outlook.com"),
        event(7, timestamp="2026-11-22T23:59:59+00:00"),
    ]

    response = owner_api.post("/api/v1/events/", {"events": events})

    assert response.status_code == 200
    assert response.json() == {"received": 7, "stored": 7, "duplicates": 0}
    assert day_counters(ip) == {
        "delivered": 2,
        "deferred": 1,
        "throttled": 1,
        "bounced": 1,
        "hard_bounced": 1,
        "complaints": 1,
    }
    assert day_counters(ip, "microsoft") == {"delivered": 1}
    assert day_counters(ip, day=datetime(2026, 11, 22).date()) == {"delivered": 1}
    throttle = DeliveryEvent.objects.get(event_id="evt-3")
    assert throttle.category == "throttled"
    assert throttle.rule.name.startswith("Gmail: unusual rate")
    assert throttle.ip == ip and throttle.provider.slug == "google"


def test_it_ignores_a_resent_batch_and_counts_nothing_twice(owner_api, ip):
    bounce = {"type": "bounced", "smtp_code": None, "enhanced_status": ""}
    batch = {
        "events": [event(1), event(2, response="550 5.1.1 <x@gmail.com>: no such user", **bounce)]
    }
    owner_api.post("/api/v1/events/", batch)

    response = owner_api.post("/api/v1/events/", batch)

    assert response.json() == {"received": 2, "stored": 0, "duplicates": 2}
    assert DeliveryEvent.objects.count() == 2
    assert day_counters(ip) == {"delivered": 1, "bounced": 1, "hard_bounced": 1}


def test_it_counts_only_the_new_events_of_a_partly_resent_batch(owner_api, ip):
    owner_api.post("/api/v1/events/", {"events": [event(1), event(2)]})

    response = owner_api.post("/api/v1/events/", {"events": [event(2), event(3), event(3)]})

    assert response.json() == {"received": 3, "stored": 1, "duplicates": 2}
    assert day_counters(ip) == {"delivered": 3}


def test_event_ids_are_unique_per_account_not_globally(owner_api, outsider_api, ip):
    owner_api.post("/api/v1/events/", {"events": [event(1)]})

    response = outsider_api.post("/api/v1/events/", {"events": [event(1)]})

    assert response.json()["stored"] == 1
    assert DeliveryEvent.objects.filter(event_id="evt-1").count() == 2


def test_another_accounts_events_never_touch_its_ips_counters(outsider_api, ip):
    response = outsider_api.post("/api/v1/events/", {"events": [event(1), event(2)]})

    assert response.json()["stored"] == 2
    assert day_counters(ip) == {}
    stored = DeliveryEvent.objects.get(event_id="evt-1")
    assert stored.ip is None and stored.ip_address == "203.0.113.1"


def test_a_customers_events_on_a_shared_ip_are_its_figures_but_never_count_for_the_ip(
    outsider_api, db
):
    shared = f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    response = outsider_api.post("/api/v1/events/", {"events": [event(1, ip="192.0.2.50")]})

    assert response.json()["stored"] == 1
    assert DeliveryEvent.objects.get().ip == shared  # the account's own figures
    assert day_counters(shared) == {}


def test_fabricated_deferrals_from_a_member_token_never_suspend_a_shared_ip(member_api, db):
    shared = f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")
    throttle = {"type": "deferred", "smtp_code": 421, "enhanced_status": "4.7.28"}
    fabricated = [
        event(n, ip="192.0.2.50", response=GMAIL_THROTTLE, **throttle) for n in range(300)
    ]

    response = member_api.post("/api/v1/events/", {"events": fabricated})

    assert response.json()["stored"] == 300
    warmup = f.warmup(shared, "google")
    assert warmup.suspended_until is None
    assert day_counters(shared) == {}


def test_it_stores_events_for_addresses_that_are_not_ours(owner_api, db):
    response = owner_api.post("/api/v1/events/", {"events": [event(1, ip="2001:DB8::99")]})

    assert response.json()["stored"] == 1
    assert DeliveryEvent.objects.get().ip_address == "2001:db8::99"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"type": "opened"}, "events[2].type", "'opened' is not a valid choice"),
        ({"id": ""}, "events[2].id", "Give the event's id"),
        ({"id": "x" * 201}, "events[2].id", "at most 200"),
        ({"ip": "300.1.1.1"}, "events[2].ip", "not an IPv4 or IPv6 address"),
        ({"ip": "127.0.0.1"}, "events[2].ip", "not a unicast address"),
        ({"sender_domain": "bad..example"}, "events[2].sender_domain", "two dots in a row"),
        ({"recipient": "nobody"}, "events[2].recipient", "not an email address"),
        ({"smtp_code": 700}, "events[2].smtp_code", "not an SMTP reply code"),
        ({"enhanced_status": "4.7"}, "events[2].enhanced_status", "not an enhanced status"),
        ({"timestamp": "yesterday"}, "events[2].timestamp", "not an ISO 8601"),
        ({"timestamp": "2026-11-23T11:00:00"}, "events[2].timestamp", "has no time zone"),
        ({"timestamp": "2026-11-23T14:00:00Z"}, "events[2].timestamp", "in the future"),
    ],
)
def test_it_rejects_a_batch_naming_the_item_and_field(owner_api, ip, change, field, words):
    events = [event(1), event(2), event(3, **change), event(4)]

    response = owner_api.post("/api/v1/events/", {"events": events})

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["message"].startswith(f"{field}: ")
    assert words in response.json()["message"]
    assert DeliveryEvent.objects.count() == 0
    assert day_counters(ip) == {}


def test_it_names_a_missing_field(owner_api, ip):
    broken = event(1)
    del broken["timestamp"]

    response = owner_api.post("/api/v1/events/", {"events": [event(0), broken]})

    assert response.json()["field"] == "events[1].timestamp"
    assert "required" in response.json()["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "events"), ({"events": []}, "events"), ({"events": "x"}, "events"), ([], None)],
)
def test_it_rejects_a_malformed_body(owner_api, db, payload, field):
    response = owner_api.post("/api/v1/events/", payload)

    assert response.status_code == 400
    assert response.json()["field"] == (field or "non_field_errors")


def test_it_takes_ten_thousand_events_and_refuses_more(owner_api, ip):
    events = [event(n) for n in range(10_000)]

    assert owner_api.post("/api/v1/events/", {"events": events}).json()["stored"] == 10_000
    response = owner_api.post("/api/v1/events/", {"events": [*events, event(10_000)]})

    assert response.status_code == 400
    assert response.json()["field"] == "events"
    assert "no more than 10000" in response.json()["message"]


@pytest.mark.parametrize("who", ["owner", "member"])
def test_every_member_of_the_account_may_post_events(db, request, who, ip):
    response = request.getfixturevalue(f"{who}_api").post("/api/v1/events/", {"events": [event(1)]})

    assert response.status_code == 200


def test_it_requires_authentication(anon_api, db):
    assert anon_api.post("/api/v1/events/", {"events": [event(1)]}).status_code == 401


def test_its_database_work_does_not_grow_with_the_batch(owner_api, ip, django_assert_num_queries):
    owner_api.post("/api/v1/events/", {"events": [event(0)]})  # token touch, registry load
    deferred = {"type": "deferred", "smtp_code": 421, "response": GMAIL_THROTTLE}
    # 1 token, 2 our IPs among the addresses, 3 provider ids, 4 warm-up rows of those IPs,
    # 5 the SMTP-response rules, 6 savepoint, 7 insert the events, 8 add to the day counters,
    # 9 release the savepoint
    with django_assert_num_queries(9):
        owner_api.post("/api/v1/events/", {"events": [event(1, **deferred)]})
    with django_assert_num_queries(9):
        owner_api.post("/api/v1/events/", {"events": [event(n, **deferred) for n in range(2, 800)]})


def test_a_disabled_rule_no_longer_classifies(owner_api, ip):
    SmtpResponseRule.objects.filter(enhanced_status="4.7.28").update(enabled=False)

    owner_api.post(
        "/api/v1/events/",
        {"events": [event(1, type="deferred", smtp_code=421, response=GMAIL_THROTTLE)]},
    )

    assert DeliveryEvent.objects.get().category == ""
    assert day_counters(ip) == {"deferred": 1}


# --- the sending pipeline (a pipeline credential reports for every account) -------------------


def pipeline_ingest(*events):
    parsed = inputs.events_parse({"events": list(events)}, now=NOW)
    return services.events_ingest(account=None, events=parsed, pipeline=True)


def test_pipeline_events_count_for_the_senders_account_and_for_shared_ips(account, ip):
    f.DomainFactory(account=account, name="acme.example")
    shared = f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    result = pipeline_ingest(event(1), event(2, ip="192.0.2.50"), event(3, ip="192.0.2.50"))

    assert result.stored == 3
    assert day_counters(ip) == {"delivered": 1}
    assert day_counters(shared) == {"delivered": 2}
    assert set(DeliveryEvent.objects.values_list("account_id", flat=True)) == {account.pk}


def test_pipeline_events_of_a_domain_nobody_verified_count_for_shared_ips_only(account, ip):
    f.DomainFactory(account=account, name="acme.example", status="pending")
    shared = f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    first = pipeline_ingest(event(1), event(2, ip="192.0.2.50"))
    again = pipeline_ingest(event(1), event(2, ip="192.0.2.50"))

    assert (first.stored, again.stored, again.duplicates) == (2, 0, 2)
    assert day_counters(ip) == {}  # never someone's dedicated IP
    assert day_counters(shared) == {"delivered": 1}
    assert list(DeliveryEvent.objects.values_list("account_id", flat=True)) == [None, None]
