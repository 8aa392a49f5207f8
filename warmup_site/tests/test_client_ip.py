"""Which address a request comes from: X-Forwarded-For only from WARMUP_TRUSTED_PROXIES."""

import pytest
from django.core.checks import run_checks
from django.test import RequestFactory

from warmup_site.client_ip import client_ip


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_it_ignores_forwarded_headers_without_trusted_proxies(settings):
    settings.WARMUP_TRUSTED_PROXIES = []

    assert client_ip(request("198.51.100.7", "192.0.2.1")) == "198.51.100.7"


def test_it_ignores_forwarded_headers_from_an_untrusted_peer(settings):
    settings.WARMUP_TRUSTED_PROXIES = ["10.0.0.1"]

    assert client_ip(request("198.51.100.7", "192.0.2.1")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        # a client that sends its own header: the proxy appends the real peer on the right
        ("6.6.6.6, 192.0.2.1", "192.0.2.1"),
        # two of our proxies in a row (load balancer, then nginx)
        ("6.6.6.6, 192.0.2.1, 10.0.0.9", "192.0.2.1"),
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]:4711", "2001:db8::7"),
        ("192.0.2.1:4711", "192.0.2.1"),
        # garbage: believe nothing beyond our last proxy
        ("192.0.2.1, not-an-ip", "10.0.0.2"),
        ("", "10.0.0.2"),
    ],
)
def test_it_reads_the_forwarded_chain_from_the_right(settings, forwarded, expected):
    settings.WARMUP_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_ip(request("10.0.0.2", forwarded)) == expected


def test_it_unwraps_ipv4_mapped_peers(settings):
    settings.WARMUP_TRUSTED_PROXIES = []

    assert client_ip(request("::ffff:198.51.100.7")) == "198.51.100.7"


def test_it_refuses_a_malformed_trusted_proxy_setting(settings):
    settings.WARMUP_TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example"]

    messages = [m.msg for m in run_checks() if m.id == "warmup.E011"]
    assert messages == ["WARMUP_TRUSTED_PROXIES: 'proxy.example' is not an IP address or network."]
