"""The fetch job against the local feed server: what it stores, how it says "no data yet", how
it fails honestly (and retries with backoff), and connecting with write-only secrets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from ips.tests import factories as f
from reputation.models import (
    FeedConnection,
    Kind,
    NotificationEvent,
    PostmasterDomain,
    PostmasterDomainDay,
    SnapshotDay,
    SndsBlockedRange,
    SndsIpDay,
)
from reputation.services import feeds
from reputation.services.notifications import notifications_scan
from reputation.tests.conftest import CLIENT_ID, CLIENT_SECRET
from reputation.tests.test_postmaster import service_account_key
from warmup_site.errors import ApplicationError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
YESTERDAY = date(2026, 11, 22)
SNDS_KEY = "0f3c2b1a-snds-key-4d5e"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def domain(account):
    return f.DomainFactory(account=account, name="news.acme.example", status="verified")


@pytest.fixture
def postmaster(account, feed_server, domain):
    return feeds.feed_connection_set(
        account=account,
        kind="postmaster",
        secret=feed_server.add_refresh_token(),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


@pytest.fixture
def snds(account, feed_server):
    f.warm_ip(pool=f.pool(account=account), address="198.51.100.21")
    return feeds.feed_connection_set(account=account, kind="snds", secret=SNDS_KEY)


def test_it_stores_postmaster_days_and_compliance(feed_server, postmaster, domain):
    feed_server.data.domains[domain.name] = {
        YESTERDAY - timedelta(days=1): {"spam_rate": 0.0042, "dkim_rate": 0.99},
        YESTERDAY: {"spam_rate": 0.0008, "spf_rate": 1.0, "tls_rate": 1.0},
    }
    feed_server.data.compliance[domain.name] = {
        "complianceData": {"rowData": [{"requirement": "DKIM", "status": {"status": "COMPLIANT"}}]}
    }
    SnapshotDay.objects.create(day=YESTERDAY, final=True)

    feed = feeds.feed_fetch(feed=postmaster)

    assert (feed.status, feed.last_error, feed.failures) == ("ok", "", 0)
    assert feed.status_detail == "2 days of data for 1 of 1 domains"
    assert feed.fetched_through == YESTERDAY
    assert feed.next_fetch_at == NOW + timedelta(hours=6)
    assert list(
        PostmasterDomainDay.objects.order_by("day").values_list("day", "spam_rate", "dkim_rate")
    ) == [(YESTERDAY - timedelta(days=1), 0.0042, 0.99), (YESTERDAY, 0.0008, None)]
    assert PostmasterDomain.objects.get(domain=domain).compliance == "compliant"
    # The snapshot job computes the day again with the feed's data.
    assert SnapshotDay.objects.get(day=YESTERDAY).final is False


def test_it_reads_the_last_days_again_on_the_next_fetch(feed_server, postmaster, domain):
    feed_server.data.domains[domain.name] = {YESTERDAY: {"spam_rate": 0.002}}
    feeds.feed_fetch(feed=postmaster)
    feed_server.data.domains[domain.name][YESTERDAY] = {"spam_rate": 0.001}  # Google revised it

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        feeds.feed_fetch(feed=FeedConnection.objects.get(pk=postmaster.pk))

    assert PostmasterDomainDay.objects.get(day=YESTERDAY).spam_rate == 0.001
    assert PostmasterDomainDay.objects.count() == 1


def test_a_domain_without_volume_says_no_data_yet(feed_server, postmaster, domain):
    feed_server.data.domains[domain.name] = {}

    feed = feeds.feed_fetch(feed=postmaster)

    assert feed.status == "no_data"
    assert feed.status_detail.startswith("no data yet — Postmaster Tools shows a domain's figures")
    assert PostmasterDomain.objects.get(domain=domain).status == "no_data"


def test_a_domain_google_does_not_know_is_named_and_the_others_still_count(
    feed_server, postmaster, domain, account
):
    other = f.DomainFactory(account=account, name="mail.acme.example", status="verified")
    feed_server.data.domains[domain.name] = {YESTERDAY: {"spam_rate": 0.001}}

    feed = feeds.feed_fetch(feed=postmaster)

    assert feed.status == "ok"
    assert "mail.acme.example is not registered in this Google account's Postmaster Tools" in (
        feed.status_detail
    )
    assert PostmasterDomain.objects.get(domain=other).status == "not_found"


def test_a_revoked_token_turns_the_feed_failing_and_tells_people(feed_server, postmaster):
    feed_server.revoke(feeds._credentials(postmaster).secret)

    feed = feeds.feed_fetch(feed=postmaster)

    assert feed.status == "failing"
    assert feed.last_error.startswith("Google refused the refresh token (invalid_grant")
    assert "token revoked or expired — connect Postmaster Tools again" in feed.last_error
    assert feed.error_since == NOW
    notifications_scan(now=NOW)
    event = NotificationEvent.objects.get(kind=Kind.FEED_FAILING)
    assert event.title == "The Google Postmaster Tools feed is failing"
    assert event.text == feed.last_error
    # No secret in the event.
    assert feeds._credentials(postmaster).secret not in event.text + str(event.data)


def test_transient_failures_are_retried_with_backoff_before_counting_as_failing(
    feed_server, postmaster, domain
):
    feed_server.data.domains[domain.name] = {}
    feed_server.respond(
        "domainStats:query", 503, {"error": {"code": 503, "status": "UNAVAILABLE"}}, times=3
    )
    waits = []
    for attempt in range(3):
        feed = feeds.feed_fetch(feed=FeedConnection.objects.get(pk=postmaster.pk), now=NOW)
        waits.append(feed.next_fetch_at - NOW)
        assert feed.status == ("failing" if attempt == 2 else "new")

    assert waits == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    assert feed.last_error == (
        "Postmaster Tools answered HTTP 503 for news.acme.example (UNAVAILABLE)"
    )
    feed = feeds.feed_fetch(feed=feed, now=NOW)  # the server is back
    assert (feed.status, feed.failures, feed.error_since) == ("no_data", 0, None)


def test_a_service_account_connection_fetches(feed_server, account, domain):
    key_json, public_key = service_account_key("feeds@acme.iam.gserviceaccount.com")
    feed_server.add_service_account("feeds@acme.iam.gserviceaccount.com", public_key)
    feed_server.data.domains[domain.name] = {YESTERDAY: {"spam_rate": 0.0005}}

    feed = feeds.feed_connection_set(
        account=account, kind="postmaster", auth="service_account", secret=key_json
    )
    feed = feeds.feed_fetch(feed=feed)

    assert feed.identity == "feeds@acme.iam.gserviceaccount.com"
    assert feed.status == "ok"


def test_it_stores_snds_days_and_the_blocked_ranges(feed_server, snds):
    day = YESTERDAY
    feed_server.data.snds[SNDS_KEY] = {
        day: [
            [
                *("198.51.100.21", "11/22/2026 8:00 AM", "11/22/2026 9:00 PM", "950", "940"),
                *("930", "GREEN", "< 0.1%", "", "", "0", "mta.acme.example", "b@acme.example", ""),
            ],
            ["192.0.2.200", "", "", "10", "10", "10", "RED", "2%", "", "", "3", "", "", ""],
        ]
    }
    feed_server.data.blocked[SNDS_KEY] = [["192.0.2.200", "192.0.2.200", "Yes", "Blocked"]]
    SndsBlockedRange.objects.create(
        connection=snds, first="10.0.0.1", last="10.0.0.1", fetched_at=NOW
    )

    feed = feeds.feed_fetch(feed=snds)

    assert feed.status == "ok"
    assert feed.status_detail == "1 days of data for 2 IPs (1 of them ours); 1 blocked ranges"
    row = SndsIpDay.objects.get(address="198.51.100.21")
    assert (row.day, row.filter_result, row.rcpt, row.complaint_text) == (
        day,
        "GREEN",
        950,
        "< 0.1%",
    )
    assert list(SndsBlockedRange.objects.values_list("first", flat=True)) == ["192.0.2.200"]
    # 30 days looked up, one request each, plus the IP status.
    assert feed_server.count("data.aspx") == 30 and feed_server.count("ipStatus.aspx") == 1


def test_an_snds_key_without_data_says_no_data_yet(feed_server, snds):
    feed_server.data.snds[SNDS_KEY] = {}

    feed = feeds.feed_fetch(feed=snds)

    assert (feed.status, feed.last_error) == ("no_data", "")
    assert feed.status_detail.startswith("no data yet — SNDS reports an IP only on days")


def test_a_wrong_snds_key_fails_at_once(feed_server, snds):
    feed = feeds.feed_fetch(feed=snds)

    assert feed.status == "failing"
    assert feed.last_error.startswith("SNDS refused the key (HTTP 403)")


def test_the_job_fetches_only_due_connections(feed_server, snds, postmaster, domain):
    feed_server.data.snds[SNDS_KEY] = {}
    feed_server.data.domains[domain.name] = {}
    FeedConnection.objects.filter(pk=postmaster.pk).update(next_fetch_at=NOW + timedelta(hours=1))

    counts = feeds.feeds_fetch_due()

    assert counts == {"fetched": 1, "ok": 0, "no_data": 1, "failed": 0}
    assert FeedConnection.objects.get(pk=postmaster.pk).last_attempt_at is None


def test_secrets_are_stored_encrypted(account, feed_server, domain):
    feed = feeds.feed_connection_set(
        account=account,
        kind="postmaster",
        secret="1//refresh-token-value",
        client_id=CLIENT_ID,
        client_secret="the-client-secret",
    )

    raw = FeedConnection.objects.filter(pk=feed.pk).values_list("secret", "client_secret").get()
    assert "refresh-token-value" not in raw[0] and "the-client-secret" not in raw[1]
    assert feed.identity == f"OAuth client {CLIENT_ID}"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (dict(kind="postmaster", secret="x"), "client_id", "needs the OAuth client's id"),
        (
            dict(kind="postmaster", auth="service_account", secret="{}"),
            "secret",
            "is not a service account key",
        ),
        (dict(kind="snds", secret=""), "secret", "Give the secret"),
        (dict(kind="yahoo", secret="x"), "kind", "Unknown feed 'yahoo'"),
    ],
)
def test_a_bad_connection_is_refused_naming_the_field(account, values, field, message):
    with pytest.raises(ApplicationError, match=message) as error:
        feeds.feed_connection_set(account=account, **values)

    assert error.value.field == field


def test_connecting_again_replaces_the_secret_and_fetches_at_once(account, snds):
    FeedConnection.objects.filter(pk=snds.pk).update(
        status="failing", last_error="x", next_fetch_at=NOW + timedelta(hours=3)
    )

    again = feeds.feed_connection_set(account=account, kind="snds", secret="new-key-123456")

    assert again.pk == snds.pk
    assert (again.status, again.last_error, again.next_fetch_at) == ("new", "", NOW)
    assert again.identity == "key ending …3456"
