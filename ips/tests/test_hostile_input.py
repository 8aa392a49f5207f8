"""Inputs that used to answer an HTML 500 (found by adversarial testing) are JSON 400s naming
the field, and nothing is stored or counted."""

import json
from datetime import UTC, datetime

import pytest
import time_machine

from ips.models import DeliveryEvent, IpWarmupDay
from ips.tests import factories as f

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ip(account):
    return f.warming_ip(pool=f.pool(account=account), address="203.0.113.1")


def post(client, path: str, body: dict):
    # json.dumps escapes what the test client's renderer cannot encode (a lone surrogate is
    # sent as the six characters \ud800, as a hostile client would).
    return client.post(path, data=json.dumps(body), content_type="application/json")


def event(**changes):
    data = {
        "id": "evt-1",
        "type": "delivered",
        "ip": "203.0.113.1",
        "sender_domain": "acme.example",
        "recipient": "user@gmail.com",
        "smtp_code": 250,
        "enhanced_status": "2.0.0",
        "response": "250 2.0.0 OK",
        "timestamp": "2026-11-23T11:59:00Z",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"id": "evt\u0000"}, "events[1].id", "NUL"),
        ({"recipient": "a\u0000b@gmail.com"}, "events[1].recipient", "control character"),
        ({"response": "250 ok\u0000"}, "events[1].response", "NUL"),
        ({"id": "evt-\ud800"}, "events[1].id", "lone surrogate"),
        ({"recipient": "\ud800@gmail.com"}, "events[1].recipient", "lone surrogate"),
        ({"enhanced_status": ["4.7.28"]}, "events[1].enhanced_status", "as a string"),
        ({"enhanced_status": {"class": 4}}, "events[1].enhanced_status", "as a string"),
        ({"smtp_code": "²"}, "events[1].smtp_code", "not an SMTP reply code"),
        ({"timestamp": "0001-01-01T00:00:00+14:00"}, "events[1].timestamp", "out of range"),
        ({"recipient": "a@-bad-.com"}, "events[1].recipient", "'-bad-.com'"),
    ],
)
def test_it_refuses_hostile_event_fields_with_a_json_400(owner_api, ip, changes, field, words):
    response = post(owner_api, "/api/v1/events/", {"events": [event(id="evt-0"), event(**changes)]})

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert words in body["message"]
    assert not DeliveryEvent.objects.exists()
    assert not IpWarmupDay.objects.filter(delivered__gt=0).exists()


@pytest.mark.parametrize(
    ("recipient", "words"),
    [
        ("a\u0000@gmail.com", "control character"),
        ("a@..", "'..'"),
        ("a@-bad-.com", "'-bad-.com'"),
        ("a b@gmail.com", "space"),
        ("\ud800@gmail.com", "lone surrogate"),
        ("x" * 65 + "@gmail.com", "at most 64"),
    ],
)
def test_it_refuses_an_invalid_recipient_and_counts_nothing(owner_api, ip, recipient, words):
    response = post(
        owner_api,
        "/api/v1/routes/",
        {
            "sender_domain": "acme.example",
            "recipients": ["a@gmail.com", "b@gmail.com", "c@gmail.com", recipient],
        },
    )

    assert response.status_code == 400
    assert response.json()["field"] == "recipients[3]"
    assert words in response.json()["message"]
    assert not IpWarmupDay.objects.filter(routed__gt=0).exists()


def test_a_lone_surrogate_sender_domain_is_a_400(owner_api, ip):
    response = post(
        owner_api,
        "/api/v1/routes/",
        {"sender_domain": "acme\ud800.example", "recipients": ["a@gmail.com"]},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "sender_domain"
