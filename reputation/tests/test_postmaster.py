"""Google Postmaster Tools API v2: the parsers on recorded payloads of the documented formats
(errors included), and the client and the OAuth2 grants against the local feed server."""

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reputation.feeds import AuthError, FeedError, google_auth
from reputation.feeds.postmaster import (
    Denied,
    NotRegistered,
    PostmasterClient,
    parse_compliance,
    parse_error,
    parse_stats,
    stats_request,
)
from reputation.tests.conftest import CLIENT_ID, CLIENT_SECRET, fixture

DOMAIN = "news.example.com"


def test_it_reads_the_daily_stats_of_a_page_and_its_next_token():
    days, token = parse_stats(json.loads(fixture("postmaster_stats_page1.json")))

    assert token == "MjAyNjExMjIvc3BhbV9yYXRl"
    assert days == {
        date(2026, 11, 21): {
            "spam_rate": 0.0042,
            "spf_rate": 1.0,
            "dkim_rate": 0.998,
            "dmarc_rate": 0.97,
            "delivery_error_rate": 0.012,
            "tls_rate": 1.0,
        }
    }


def test_it_skips_metrics_it_did_not_ask_for_and_values_that_are_not_numbers():
    days, token = parse_stats(json.loads(fixture("postmaster_stats_page2.json")))

    assert (days, token) == ({date(2026, 11, 22): {"spam_rate": 0.0008}}, "")


def test_it_asks_for_every_metric_daily_over_the_range():
    body = stats_request(date(2026, 11, 1), date(2026, 11, 22), "next")

    assert body["timeQuery"] == {
        "dateRanges": {
            "dateRanges": [
                {
                    "start": {"year": 2026, "month": 11, "day": 1},
                    "end": {"year": 2026, "month": 11, "day": 22},
                }
            ]
        }
    }
    assert body["aggregationGranularity"] == "DAILY"
    assert (body["pageSize"], body["pageToken"]) == (200, "next")
    assert {
        "name": "dkim_rate",
        "baseMetric": {"standardMetric": "AUTH_SUCCESS_RATE"},
        "filter": 'auth_type = "dkim"',
    } in body["metricDefinitions"]
    assert {"name": "spam_rate", "baseMetric": {"standardMetric": "SPAM_RATE"}} in body[
        "metricDefinitions"
    ]


def test_compliance_uses_the_subdomains_own_rows_and_the_unsubscribe_verdicts():
    result = parse_compliance(json.loads(fixture("postmaster_compliance.json")))

    assert (result.status, result.failing) == (
        "needs_work",
        ["DMARC policy", "one-click unsubscribe"],
    )


def test_compliance_without_rows_is_no_verdict_yet():
    assert parse_compliance({"name": "domains/x/complianceStatus"}).status == ""


@pytest.mark.parametrize(
    ("status", "name", "kind", "words"),
    [
        (401, "postmaster_error_401.json", AuthError, "refused the access token (UNAUTHENTICATED"),
        (403, "postmaster_error_403.json", Denied, "has no access to this domain"),
        (404, "postmaster_error_404.json", NotRegistered, "is not registered in this Google"),
        (429, "postmaster_error_429.json", FeedError, "quota exceeded (RESOURCE_EXHAUSTED"),
        (503, "postmaster_error_404.json", FeedError, "answered HTTP 503"),
    ],
)
def test_each_error_payload_becomes_an_error_an_operator_can_act_on(status, name, kind, words):
    error = parse_error(status, json.loads(fixture(name)), domain=DOMAIN)

    assert type(error) is kind
    assert words in error.message


# --- against the local server ------------------------------------------------------------------


def _client(feed_server, credentials) -> PostmasterClient:
    return PostmasterClient(
        base_url=feed_server.postmaster_url,
        token=lambda: google_auth.access_token(credentials, timeout=5),
        timeout=5,
    )


def _refresh(feed_server, token=None) -> google_auth.GoogleCredentials:
    return google_auth.GoogleCredentials(
        kind="refresh_token",
        secret=token or feed_server.add_refresh_token(),
        token_url=feed_server.token_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def test_it_follows_the_pages_of_recorded_answers(feed_server):
    feed_server.data.domains[DOMAIN] = {}
    feed_server.respond("domainStats:query", 200, fixture("postmaster_stats_page1.json"))
    feed_server.respond("domainStats:query", 200, fixture("postmaster_stats_page2.json"))
    client = _client(feed_server, _refresh(feed_server))

    days = client.domain_stats(DOMAIN, date(2026, 11, 20), date(2026, 11, 22))

    assert sorted(days) == [date(2026, 11, 21), date(2026, 11, 22)]
    assert feed_server.count("domainStats:query") == 2
    assert feed_server.count("/token") == 1  # the access token is cached


def test_the_server_pages_what_it_serves_and_the_client_reads_every_page(feed_server):
    feed_server.data.domains[DOMAIN] = {
        date(2026, 10, d): {"spam_rate": d / 10000, "dkim_rate": 1.0} for d in range(1, 32)
    }
    client = _client(feed_server, _refresh(feed_server))

    days = client.domain_stats(DOMAIN, date(2026, 9, 1), date(2026, 11, 1))

    assert len(days) == 31 and days[date(2026, 10, 31)] == {"spam_rate": 0.0031, "dkim_rate": 1.0}
    assert client.requests == 1  # 62 stats fit one page of 200


def test_unknown_and_forbidden_domains_are_named(feed_server):
    feed_server.data.denied.add("secret.example")
    client = _client(feed_server, _refresh(feed_server))

    with pytest.raises(NotRegistered, match=r"unknown\.example is not registered"):
        client.compliance("unknown.example")
    with pytest.raises(Denied, match=r"secret\.example: the Google account has no access"):
        client.domain_stats("secret.example", date(2026, 11, 1), date(2026, 11, 2))


def test_a_revoked_refresh_token_says_so(feed_server):
    credentials = _refresh(feed_server)
    feed_server.revoke(credentials.secret)

    with pytest.raises(AuthError, match="invalid_grant: Token has been expired or revoked"):
        google_auth.access_token(credentials, timeout=5)


def test_a_wrong_client_secret_is_refused(feed_server):
    credentials = _refresh(feed_server)
    wrong = google_auth.GoogleCredentials(
        kind="refresh_token",
        secret=credentials.secret,
        token_url=feed_server.token_url,
        client_id=CLIENT_ID,
        client_secret="nope",
    )

    with pytest.raises(AuthError, match=r"HTTP 401: invalid_client"):
        google_auth.access_token(wrong, timeout=5)


def test_a_server_error_at_the_token_endpoint_is_not_an_auth_error(feed_server):
    feed_server.respond("/token", 503, {"error": "temporarily_unavailable"})

    with pytest.raises(FeedError) as error:
        google_auth.access_token(_refresh(feed_server), timeout=5)

    assert not isinstance(error.value, AuthError)
    assert "HTTP 503" in error.value.message


def service_account_key(email: str = "reports@warmup-test.iam.gserviceaccount.com"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    data = {
        "type": "service_account",
        "project_id": "warmup-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": email,
        "token_uri": "https://attacker.example/token",
    }
    return json.dumps(data), key.public_key()


def test_a_service_account_signs_a_jwt_the_token_endpoint_verifies(feed_server):
    key_json, public_key = service_account_key()
    feed_server.add_service_account("reports@warmup-test.iam.gserviceaccount.com", public_key)
    feed_server.data.domains[DOMAIN] = {date(2026, 11, 21): {"spam_rate": 0.001}}
    credentials = google_auth.GoogleCredentials(
        kind="service_account", secret=key_json, token_url=feed_server.token_url
    )

    days = _client(feed_server, credentials).domain_stats(
        DOMAIN, date(2026, 11, 21), date(2026, 11, 21)
    )

    assert days == {date(2026, 11, 21): {"spam_rate": 0.001}}
    # The configured token endpoint, never the key file's token_uri.
    assert feed_server.count("/token") == 1


def test_a_jwt_signed_by_another_key_is_refused(feed_server):
    key_json, _ = service_account_key()
    _, other_public = service_account_key()
    feed_server.add_service_account("reports@warmup-test.iam.gserviceaccount.com", other_public)
    credentials = google_auth.GoogleCredentials(
        kind="service_account", secret=key_json, token_url=feed_server.token_url
    )

    with pytest.raises(AuthError, match="Invalid JWT Signature"):
        google_auth.access_token(credentials, timeout=5)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "is not JSON"),
        ('{"type": "authorized_user"}', "is not a service account key"),
        ('{"type": "service_account", "client_email": "a@b"}', 'has no "private_key"'),
        (
            '{"type": "service_account", "client_email": "a@b", "private_key": "x"}',
            "not a PEM RSA key",
        ),
    ],
)
def test_a_bad_service_account_key_is_refused_with_the_reason(text, problem):
    with pytest.raises(ValueError, match=problem):
        google_auth.service_account_email(text)


def test_nothing_listens_is_a_feed_error_naming_the_host():
    credentials = google_auth.GoogleCredentials(
        kind="refresh_token", secret="x", token_url="http://127.0.0.1:9/token"
    )

    with pytest.raises(FeedError, match=r"cannot reach 127\.0\.0\.1"):
        google_auth.access_token(credentials, timeout=2)
