"""warmup_site.dns against the real DNS test server: the three outcomes and normalisation."""

import pytest

from warmup_site import dns
from warmup_site.dns import Outcome

LONG_KEY = "v=DKIM1; k=rsa; p=" + "A" * 400  # longer than one 255-byte character-string


def test_it_joins_txt_character_strings(dns_server):
    dns_server.add("sel._domainkey.example.com", "TXT", [LONG_KEY[:255], LONG_KEY[255:]])

    result = dns.lookup("sel._domainkey.example.com", "TXT")

    assert result.outcome == Outcome.ANSWER
    assert result.records == (LONG_KEY,)


def test_it_normalises_host_names(dns_server):
    dns_server.add(
        "Example.COM", "MX", (20, "ALT1.ASPMX.L.GOOGLE.COM."), (10, "ASPMX.L.Google.com")
    )

    result = dns.lookup("EXAMPLE.com.", "MX")

    assert result.records == ((10, "aspmx.l.google.com"), (20, "alt1.aspmx.l.google.com"))
    assert result.ttl == 300


def test_it_follows_cname_chains(dns_server):
    dns_server.add("a.example.com", "CNAME", "b.example.net")
    dns_server.add("b.example.net", "CNAME", "c.example.org")
    dns_server.add("c.example.org", "TXT", "hello", ttl=120)

    result = dns.lookup("a.example.com", "TXT")

    assert result.records == ("hello",)
    assert result.canonical_name == "c.example.org"
    assert result.cname_chain == ("a.example.com", "b.example.net")
    assert result.ttl == 120


def test_it_reports_nxdomain_as_absent(dns_server):
    result = dns.lookup("nothing.example.com", "TXT")

    assert result.outcome == Outcome.ABSENT
    assert result.nxdomain
    assert "does not exist" in result.describe()


def test_it_reports_a_name_without_that_type_as_absent(dns_server):
    dns_server.add("example.com", "A", "192.0.2.1")

    result = dns.lookup("example.com", "MX")

    assert result.outcome == Outcome.ABSENT
    assert not result.nxdomain
    assert result.error == "no MX record"


def test_it_treats_an_empty_non_terminal_as_existing(dns_server):
    dns_server.add("deep.sub.example.com", "A", "192.0.2.1")

    assert dns.lookup("sub.example.com", "A").error == "no A record"


@pytest.mark.parametrize("failure", ["SERVFAIL", "REFUSED"])
def test_it_reports_server_failures_as_temporary(dns_server, failure):
    dns_server.add("example.com", "TXT", "never served")
    dns_server.fail("example.com", failure)

    result = dns.lookup("example.com", "TXT")

    assert result.outcome == Outcome.TEMPFAIL
    assert failure in result.error


def test_it_reports_silence_as_temporary(dns_server, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.fail("slow.example.com", "TIMEOUT")

    result = dns.lookup("slow.example.com", "TXT")

    assert result.outcome == Outcome.TEMPFAIL
    assert result.error == "no answer within 0.3 s"


def test_it_retries_over_tcp_when_the_udp_answer_is_truncated(dns_server):
    dns_server.add("big.example.com", "TXT", "x" * 200, "y" * 200)
    dns_server.fail("big.example.com", "TRUNCATE")

    result = dns.lookup("big.example.com", "TXT")

    assert sorted(result.records) == ["x" * 200, "y" * 200]
    protocols = [p for name, _t, p in dns_server.queries if name == "big.example.com"]
    assert protocols == ["udp", "tcp"]


def test_it_reports_no_reachable_nameserver_as_temporary(settings):
    settings.WARMUP_DNS_NAMESERVERS = ["127.0.0.1:9"]  # discard port: nobody answers
    settings.WARMUP_DNS_TIMEOUT = 0.3

    assert dns.lookup("example.com", "A").outcome == Outcome.TEMPFAIL


def test_it_resolves_many_names_concurrently(dns_server):
    for n in range(20):
        dns_server.add(f"d{n}.example.com", "A", f"192.0.2.{n + 1}")
    dns_server.latency = 0.05

    results = dns.lookup_many((f"d{n}.example.com", "A") for n in range(20))

    assert [r.records for r in results] == [(f"192.0.2.{n + 1}",) for n in range(20)]
    assert dns_server.max_in_flight > 1


def test_it_builds_reverse_names():
    assert dns.reverse_name("192.0.2.10") == "10.2.0.192.in-addr.arpa"
    assert dns.reverse_name("2001:db8::1").endswith(".8.b.d.0.1.0.0.2.ip6.arpa")
    assert dns.reverse_name("2001:db8::1").startswith("1.0.0.0.0.0.0.0")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9.9.9.9", ("9.9.9.9", 53)),
        (" 127.0.0.1:5353 ", ("127.0.0.1", 5353)),
        ("::1", ("::1", 53)),
        ("[2001:db8::53]:5300", ("2001:db8::53", 5300)),
    ],
)
def test_it_parses_nameservers(value, expected):
    assert dns.parse_nameserver(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("dns.google", "is not an IP address"),
        ("127.0.0.1:0", "port must be a number from 1 to 65535"),
        ("127.0.0.1:http", "port must be a number from 1 to 65535"),
        ("[::1", "missing ']'"),
    ],
)
def test_it_rejects_malformed_nameservers(value, reason):
    with pytest.raises(ValueError, match=reason.replace("[", r"\[")):
        dns.parse_nameserver(value)


# --- what SPF evaluation meets (RFC 7208 §3, §4.3, §4.4, §7.3) ------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a" * 64 + ".example.com", "a label is longer than 63 octets"),
        ("a...example.com", "it has an empty label"),
        (".".join(["abcdefghi"] * 26) + ".example", "it is longer than 255 octets"),
    ],
)
def test_it_reports_a_name_that_cannot_exist_as_absent(dns_server, name, problem):
    result = dns.lookup(name, "TXT")

    assert result.outcome == Outcome.ABSENT
    assert result.error.startswith("invalid name")
    assert problem in result.error
    assert "cannot exist in DNS" in result.describe()
    assert dns_server.queries == []  # nothing was asked: no query can carry such a name


def test_it_skips_a_txt_record_of_no_strings_and_keeps_the_others(dns_server, settings):
    # RFC 1035 forbids a TXT record without character-strings; dnspython on its own drops the
    # whole answer and waits out the lifetime, which would turn one bad record into a timeout.
    settings.WARMUP_DNS_TIMEOUT = 5.0
    dns_server.add("null.example.com", "TXT", ["v=spf1 ip4:", "192.0.2.5 -all"], [])

    result = dns.lookup("null.example.com", "TXT")

    assert result.outcome == Outcome.ANSWER
    assert result.records == ("v=spf1 ip4:192.0.2.5 -all",)
    assert [p for _n, _t, p in dns_server.queries] == ["udp"]


def test_it_times_out_on_one_type_while_the_name_answers_others(dns_server, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.add("slow.example.com", "A", "192.0.2.1")
    dns_server.add("slow.example.com", "TXT", "v=spf1 -all")
    dns_server.fail("slow.example.com", "TIMEOUT", rtype="TXT")

    assert dns.lookup("slow.example.com", "A").records == ("192.0.2.1",)
    assert dns.lookup("slow.example.com", "TXT").error == "no answer within 0.3 s"


def test_it_looks_up_names_holding_spaces_and_percent_signs(dns_server):
    # SPF macros can build such names: %_ is a space, %% a percent sign (RFC 7208 §7.3).
    dns_server.add("macro%percent  space%20url-space.example.com", "A", "192.0.2.1")
    dns_server.add("foo:bar/baz.example.com", "A", "192.0.2.2")

    assert dns.lookup("macro%percent  space%20url-space.example.com", "A").records == ("192.0.2.1",)
    assert dns.lookup("foo:bar/baz.example.com", "A").records == ("192.0.2.2",)


def test_it_shows_txt_bytes_that_are_not_utf8_as_replacement_characters(dns_server):
    dns_server.add("raw.example.com", "TXT", b"v=spf1 \x80a -all")

    assert dns.lookup("raw.example.com", "TXT").records == ("v=spf1 \ufffda -all",)
