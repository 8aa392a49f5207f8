"""The system checks that stop a dangerous configuration from starting."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from warmup_site.env import env_bool, env_int, env_str


def ids():
    return sorted({m.id for m in run_checks() if m.id.startswith("warmup.")})


def test_it_accepts_the_development_configuration(settings):
    settings.DEBUG = True  # pytest-django switches it off while tests run

    assert ids() == []


def test_it_refuses_production_without_secret_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_MISSING = True
    settings.WARMUP_ENCRYPTION_KEYS = ["n4h6XKJ1AqA0hS0JmHnyGh7eSp1IxvF2wLq1u5Yzq7k="]

    assert "warmup.E001" in ids()


def test_it_refuses_production_without_encryption_keys(settings):
    settings.DEBUG = False
    settings.WARMUP_ENCRYPTION_KEYS = []

    assert "warmup.E002" in ids()


def test_it_refuses_the_published_development_key_in_production(settings):
    settings.DEBUG = False
    settings.WARMUP_ENCRYPTION_KEYS = [settings.DEV_ENCRYPTION_KEY]

    messages = [m.msg for m in run_checks() if m.id == "warmup.E002"]
    assert messages == ["WARMUP_ENCRYPTION_KEYS contains the published development key."]


@pytest.mark.parametrize("key", ["not-base64!", "c2hvcnQ="])
def test_it_refuses_malformed_encryption_keys(settings, key):
    settings.DEBUG = True
    settings.WARMUP_ENCRYPTION_KEYS = [settings.DEV_ENCRYPTION_KEY, key]

    messages = [m.msg for m in run_checks() if m.id == "warmup.E002"]
    assert len(messages) == 1
    assert messages[0].startswith("WARMUP_ENCRYPTION_KEYS: key 2 ")


def test_it_refuses_malformed_nameservers(settings):
    settings.WARMUP_DNS_NAMESERVERS = ["127.0.0.1:5353", "resolver.example"]

    messages = [m.msg for m in run_checks() if m.id == "warmup.E003"]
    assert messages == [
        "WARMUP_DNS_NAMESERVERS: 'resolver.example': 'resolver.example' is not an IP address."
    ]


@pytest.mark.parametrize(
    "url", ["http://relay.example.com", "smtp://relay.example.com:99999", "smtp://"]
)
def test_it_refuses_malformed_smtp_urls(settings, url):
    settings.WARMUP_SMTP_URL = url

    assert "warmup.E004" in ids()


def test_it_warns_about_placeholder_hosts_in_production(settings):
    settings.DEBUG = False
    settings.WARMUP_ENCRYPTION_KEYS = ["n4h6XKJ1AqA0hS0JmHnyGh7eSp1IxvF2wLq1u5Yzq7k="]

    assert "warmup.W001" in ids()


def test_it_rejects_a_boolean_that_is_neither_true_nor_false(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false, not 'maybe'"):
        env_bool("DEBUG", False)


def test_it_rejects_a_number_below_its_minimum(monkeypatch):
    monkeypatch.setenv("WARMUP_Q_WORKERS", "0")

    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("WARMUP_Q_WORKERS", 2, minimum=1)


def test_a_blank_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "  ")
    assert env_str("DATABASE_URL", "sqlite:///db.sqlite3") == "sqlite:///db.sqlite3"
    monkeypatch.setenv("DATABASE_URL", " postgres://db/warmup ")
    assert env_str("DATABASE_URL", "sqlite:///db.sqlite3") == "postgres://db/warmup"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("dev-only-insecure-secret-key-do-not-use-in-production", "published development key"),
        ("abc", "has 3 characters; it needs at least 50"),
        ("django-insecure-" + "x1y2z3" * 9, "Django's generated development keys"),
        ("abab" * 20, "uses only 2 different characters"),
    ],
)
def test_it_refuses_a_weak_secret_key_in_production(settings, key, problem):
    settings.DEBUG = False
    settings.SECRET_KEY = key
    settings.WARMUP_ENCRYPTION_KEYS = ["n4h6XKJ1AqA0hS0JmHnyGh7eSp1IxvF2wLq1u5Yzq7k="]

    errors = [m for m in run_checks() if m.id == "warmup.E010"]

    assert len(errors) == 1 and problem in errors[0].msg
    assert errors[0].is_serious()


def test_it_accepts_a_long_random_secret_key_in_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "q3Vb8-Zt0fLk2NwX9mYp4RsJd6HgA1cE7uTo5iKlQe_BvWnMxCzF"
    settings.WARMUP_ENCRYPTION_KEYS = ["n4h6XKJ1AqA0hS0JmHnyGh7eSp1IxvF2wLq1u5Yzq7k="]

    assert not [m for m in run_checks() if m.id in ("warmup.E001", "warmup.E010")]
