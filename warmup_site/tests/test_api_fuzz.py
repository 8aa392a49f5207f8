"""Property-based: whatever a client sends to the input-heavy endpoints, the answer is never a
5xx, and every error has the documented shape (docs/api.md, Errors): a JSON object with a
`message` sentence and a `field` that names the input at fault (or null).

The bodies come from Hypothesis: arbitrary JSON, arbitrary bytes, and — so that the
generator gets past the first check — payloads with the right keys whose values are sometimes
valid and sometimes anything (lone surrogates, NULs, "²", years 1 and 9999, huge integers,
63-character labels). The customer's token and the pipeline credential each try every endpoint.

Bounded for CI (WARMUP_FUZZ_EXAMPLES, default 60 examples per endpoint and credential, no
deadline; derandomized when CI=true so a run is repeatable). Run it longer locally:

    WARMUP_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest warmup_site/tests/test_api_fuzz.py

A failure prints the smallest body that broke it; add that body as an `@example` of the
endpoint's test below (or a unit test next to the fix) when fixing it.
"""

from __future__ import annotations

import json
import os
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ips.tests import factories as f

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("WARMUP_FUZZ_EXAMPLES", "60"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the first request of a test warms caches; the machine is shared
    derandomize=os.environ.get("CI") == "true",
    database=None,  # no .hypothesis/ folder in the checkout; failures print their example
    suppress_health_check=[
        # The API clients and rows are made once per test and shared by its examples; each
        # example runs in a savepoint that is rolled back (see `send`).
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- strategies -----------------------------------------------------------------------------------

# Strings that broke the API once, and their relatives.
NASTY = [
    "",
    " ",
    "\u0000",
    "\ud800",
    "\udfff",
    "²",
    "٣",
    "0",
    "-1",
    "1e400",
    "NaN",
    "a" * 64,
    "a" * 321,
    "..",
    "@",
    "a@",
    "@b",
    "a@..",
    "a@-bad-.com",
    "a@b@c.com",
    "xn--",
    "xn--a.com",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-23T11:00:00",
    "2026-11-23T11:00:00Z",
    "4.7.28",
    "5.999.999",
    "9.9.9",
    "x" * 10_001,
]

any_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, exclude_categories=[]), max_size=20),  # surrogates, NUL
    st.sampled_from(NASTY),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
any_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(any_text, inner, max_size=5)
    ),
    max_leaves=20,
)


def label(max_size: int = 63) -> st.SearchStrategy[str]:
    return st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=max_size)


domainish = st.one_of(
    st.builds(lambda labels: ".".join(labels), st.lists(label(), min_size=1, max_size=5)),
    st.builds(lambda labels: ".".join(labels), st.lists(label(70), min_size=2, max_size=5)),
    # Long, legal names: 4 labels of 63 and a TLD (up to 255 characters with the dots).
    st.builds(lambda n, tld: ".".join(["a" * 63] * n + [tld]), st.integers(1, 4), label(3)),
    st.sampled_from(["acme.example", "gmail.com", "Bücher.example", "EXAMPLE.com.", "co.uk"]),
    any_text,
)
addressish = st.one_of(
    st.emails(),
    st.builds(lambda local, domain: f"{local}@{domain}", any_text, domainish),
    st.sampled_from(["ann@gmail.com", "bob@outlook.com", "carl@corp.example"]),
    any_text,
)


def offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


timestamps = st.one_of(
    st.builds(
        lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
        st.datetimes(),  # years 1 to 9999
        st.builds(offset, st.integers(-24 * 60 + 1, 24 * 60 - 1)),
    ),
    st.integers(0, 10**6).map(lambda seconds: (NOW - timedelta(seconds=seconds)).isoformat()),
    any_text,
    scalars,
)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(valid, valid, any_json)


def spoilt(valid: dict[str, st.SearchStrategy], wild: dict[str, st.SearchStrategy]):
    """An object whose fields are all valid (so that it reaches the service), or with one field
    replaced by a wild value for that field or by anything, or left out, or any subset of its
    fields, each valid or wild."""
    whole = st.fixed_dictionaries(valid)
    either = {key: st.one_of(valid[key], wild.get(key, any_json), any_json) for key in valid}

    @st.composite
    def one_spoilt(draw):
        value = draw(whole)
        key = draw(st.sampled_from(sorted(valid)))
        if draw(st.integers(0, 3)):
            value[key] = draw(st.one_of(wild.get(key, any_json), any_json))
        else:
            del value[key]
        return value

    return st.one_of(whole, whole, one_spoilt(), st.fixed_dictionaries({}, optional=either))


OUR_IPS = ["203.0.113.1", "203.0.113.2", "192.0.2.1"]
SENDERS = ["acme.example", "ACME.example.", "other.example"]
RECIPIENTS = ["ann@gmail.com", "bob@outlook.com", "carl@corp.example", "dora@Bücher.example"]
valid_timestamps = st.builds(
    lambda seconds, minutes: (NOW - timedelta(seconds=seconds)).astimezone(offset(minutes)),
    st.integers(0, 10**7),
    st.integers(-14 * 60, 14 * 60),
).map(lambda moment: moment.isoformat())
valid_recipients = st.one_of(st.sampled_from(RECIPIENTS), st.emails())
event_item = spoilt(
    {
        "id": st.one_of(st.text(min_size=1, max_size=30).filter(str.strip), st.integers(0, 10**9)),
        "type": st.sampled_from(["delivered", "deferred", "bounced", "complaint"]),
        "ip": st.one_of(st.sampled_from(OUR_IPS), st.ip_addresses().map(str)),
        "sender_domain": st.sampled_from(SENDERS),
        "recipient": valid_recipients,
        "smtp_code": st.one_of(st.none(), st.integers(200, 599), st.just("421")),
        "enhanced_status": st.one_of(
            st.from_regex(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True), st.just("")
        ),
        "response": st.text(max_size=80),
        "timestamp": valid_timestamps,
    },
    {
        "id": any_text,
        "sender_domain": domainish,
        "recipient": addressish,
        "smtp_code": st.one_of(st.integers(), st.sampled_from(["²", "٢٥٠", "4 21"])),
        "enhanced_status": any_text,
        "response": any_text,
        "timestamp": timestamps,
    },
)
recipient = st.one_of(
    valid_recipients,
    addressish,
    spoilt(
        {"address": valid_recipients, "engaged_days": st.one_of(st.none(), st.integers(0, 400))},
        {"address": addressish, "engaged_days": st.integers()},
    ),
)

bodies = {
    "/api/v1/events/": st.one_of(
        any_json, spoilt({"events": st.lists(event_item, min_size=1, max_size=4)}, {})
    ),
    "/api/v1/routes/": st.one_of(
        any_json,
        spoilt(
            {
                "sender_domain": st.sampled_from(SENDERS),
                "recipients": st.lists(recipient, min_size=1, max_size=5),
            },
            {"sender_domain": domainish},
        ),
    ),
    "/api/v1/providers/classify/": st.one_of(
        any_json, spoilt({"domains": st.lists(domainish, min_size=1, max_size=5)}, {})
    ),
    "/api/v1/domains/": st.one_of(any_json, spoilt({"name": domainish}, {})),
}


def encoded(value) -> bytes:
    # json.dumps escapes lone surrogates (\ud800) as a hostile client would send them, and
    # writes the big and non-finite numbers Python allows (1e400 is inf; NaN is not JSON).
    return json.dumps(value).encode("ascii")


raw_bodies = st.one_of(
    st.binary(max_size=60),
    st.sampled_from(
        [b"", b"[" * 5000, b'{"events": [' * 3000, b"NaN", b'{"a": 1e999}', b"\xff\xfe{}"]
    ),
    st.text(max_size=60).map(lambda text: text.encode("utf-8")),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
    ]
)

# --- the property ---------------------------------------------------------------------------------


def check_answer(response) -> None:
    # Shown by --hypothesis-show-statistics: how often the generator got past validation.
    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.content[:2000]
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("message"), str), body
    assert body["message"].strip(), body
    assert "field" in body, body
    assert body["field"] is None or isinstance(body["field"], str), body


def send(client, path: str, body: bytes, content_type: str = "application/json"):
    # One savepoint per example, rolled back: every example meets the same rows (and a broken
    # transaction cannot hide the next example's answer).
    with transaction.atomic():
        response = client.post(path, data=body, content_type=content_type)
        transaction.set_rollback(True)
    return response


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def world(account, dns_server):
    """The account sends from acme.example over a warming IP, a warm IP and the shared pool;
    gmail.com and outlook.com classify without DNS, corp.example by its MX."""
    f.DomainFactory(account=account, name="acme.example")
    pool = f.pool(account=account)
    f.warming_ip(pool=pool, address="203.0.113.1", caps={"google": 5})
    f.warm_ip(pool=pool, address="203.0.113.2")
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.1")
    dns_server.add("corp.example", "MX", (10, "corp-example.mail.protection.outlook.com"))
    return account


@pytest.fixture(params=["owner_api", "pipeline_api"])
def client(request, world):
    return request.getfixturevalue(request.param)


EVENTS, ROUTES, CLASSIFY, DOMAINS = bodies


@FUZZ
@given(value=bodies[EVENTS])
@example(value={"events": [{"type": []}]})  # unhashable: a TypeError in the set lookup
@example(  # PostgreSQL refuses offsets past ±15:59 (time zone displacement out of range)
    value={
        "events": [
            {
                "id": "e1",
                "type": "delivered",
                "ip": "203.0.113.1",
                "sender_domain": "acme.example",
                "recipient": "ann@gmail.com",
                "timestamp": "2000-01-01T00:00:00+16:00",
            }
        ]
    }
)
def test_it_answers_any_events_body_without_a_server_error(client, value):
    check_answer(send(client, EVENTS, encoded(value)))


@FUZZ
@given(value=bodies[ROUTES])
def test_it_answers_any_routes_body_without_a_server_error(client, value):
    check_answer(send(client, ROUTES, encoded(value)))


@FUZZ
@given(value=bodies[CLASSIFY])
def test_it_answers_any_classify_body_without_a_server_error(client, value):
    check_answer(send(client, CLASSIFY, encoded(value)))


@FUZZ
@given(value=bodies[DOMAINS])
def test_it_answers_any_new_domain_without_a_server_error(client, value):
    check_answer(send(client, DOMAINS, encoded(value)))


@pytest.mark.parametrize("path", list(bodies))
def test_it_answers_any_bytes_without_a_server_error(client, path):
    @FUZZ
    @given(body=raw_bodies, content_type=content_types)
    def check(body, content_type):
        check_answer(send(client, path, body, content_type))

    check()
