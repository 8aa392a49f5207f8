"""WARMUP_SMTP_URL parsing and its start-up check (warmup.E006)."""

import pytest

from engagement.checks import check_warmup_smtp_url
from engagement.relay import RelayConfigError, parse_smtp_url


def test_it_parses_a_relay_url_with_an_encoded_password():
    relay = parse_smtp_url("smtp://mailer:p%40ss%2Fword@relay.example.com:587?tls=starttls")

    assert (relay.host, relay.port, relay.tls) == ("relay.example.com", 587, "starttls")
    assert (relay.username, relay.password) == ("mailer", "p@ss/word")
    assert "p@ss" not in repr(relay)


def test_it_takes_defaults_from_the_scheme():
    assert parse_smtp_url("smtps://relay.example.com").port == 465
    assert parse_smtp_url("smtp://relay.example.com").tls == "starttls"
    assert parse_smtp_url("smtp://127.0.0.1?tls=none").port == 25


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("smtp://relay.example.com?tls=maybe", "tls must be one of"),
        ("smtp://relay.example.com?tsl=ssl", "unknown parameter 'tsl'"),
        ("smtps://relay.example.com?tls=none", "smtps:// always uses TLS"),
        ("smtp://:secret@relay.example.com", "a password but no user name"),
        ("http://relay.example.com", "scheme must be smtp"),
    ],
)
def test_it_explains_a_malformed_url(url, problem, settings):
    with pytest.raises(RelayConfigError, match=problem):
        parse_smtp_url(url)
    settings.WARMUP_SMTP_URL = url
    errors = check_warmup_smtp_url(None)
    assert [e.id for e in errors] == ["warmup.E006"]
    assert problem.split("'")[0] in errors[0].msg


def test_it_accepts_an_unset_or_good_url(settings):
    settings.WARMUP_SMTP_URL = ""
    assert check_warmup_smtp_url(None) == []
    settings.WARMUP_SMTP_URL = "smtp://u:p@relay.example.com:2525?tls=ssl"
    assert check_warmup_smtp_url(None) == []
