"""check_host() in the corners a receiving server meets, case by case from RFC 7208's text.

Each group quotes the rule it tests. Every case resolves against the real DNS test server.
"""

import pytest

from domains import spf
from domains.resolution import run_one
from warmup_site import dns

CLIENT = "192.0.2.10"
REVERSE = "10.2.0.192.in-addr.arpa"
CLIENT6 = "2001:db8::10"


def evaluate(domain="example.com", ip=CLIENT, **identity):
    return run_one(spf.evaluate(domain, ip=ip, **identity))


def result(domain="example.com", ip=CLIENT, **identity) -> str:
    return evaluate(domain, ip, **identity).result


# --- ptr (§5.5) -----------------------------------------------------------------------------------
# "First, the <ip>'s name is looked up ... For each record returned, validate the domain name by
# looking up its IP addresses ... If <ip> is among the returned IP addresses, then that domain
# name is validated. ... Check all validated domain names to see if they either match the
# <target-name> domain or are a subdomain of the <target-name> domain."


@pytest.fixture
def named_client(dns_server):
    """The client's PTR name mail.example.com, which resolves back to it."""
    dns_server.add(REVERSE, "PTR", "mail.example.com")
    dns_server.add("mail.example.com", "A", CLIENT)
    return dns_server


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("v=spf1 ptr -all", "pass"),  # the target defaults to the domain: a subdomain matches
        ("v=spf1 ptr:example.com -all", "pass"),
        ("v=spf1 ptr:mail.example.com -all", "pass"),  # the target itself matches
        ("v=spf1 ptr:Example.COM -all", "pass"),  # names compare without regard to case
        ("v=spf1 ptr:ample.com -all", "fail"),  # a suffix that is not a parent domain
        ("v=spf1 ptr:other.example -all", "fail"),
        ("v=spf1 ~ptr +all", "softfail"),
    ],
)
def test_it_matches_ptr_against_validated_names(named_client, record, expected):
    named_client.add("example.com", "TXT", record)

    assert result() == expected


def test_it_ignores_ptr_names_that_do_not_resolve_back_to_the_client(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 ptr -all")
    dns_server.add(REVERSE, "PTR", "forged.example.com", "mail.example.com")
    dns_server.add("forged.example.com", "A", "198.51.100.1")  # anyone may publish this PTR

    assert result() == "fail"


def test_it_validates_ptr_names_of_ipv6_clients_by_aaaa(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 ptr -all")
    dns_server.add(spf_reverse(CLIENT6), "PTR", "MAIL6.Example.com")
    dns_server.add("mail6.example.com", "AAAA", "2001:DB8:0:0::10")

    assert result(ip=CLIENT6) == "pass"


def spf_reverse(address: str) -> str:
    return dns.reverse_name(address)


def test_it_does_not_match_ptr_when_the_ptr_lookup_fails(dns_server):
    # "If a DNS error occurs while doing the PTR RR lookup, then this mechanism fails to match."
    dns_server.add("example.com", "TXT", "v=spf1 ptr ?all")
    dns_server.fail(REVERSE, "SERVFAIL")

    assert result() == "neutral"


def test_it_skips_a_ptr_name_whose_address_lookup_fails(dns_server):
    # "If a DNS error occurs while doing an A RR lookup, then that domain name is skipped and
    # the search continues."
    dns_server.add("example.com", "TXT", "v=spf1 ptr -all")
    dns_server.add(REVERSE, "PTR", "broken.example.com", "mail.example.com")
    dns_server.fail("broken.example.com", "SERVFAIL")
    dns_server.add("mail.example.com", "A", CLIENT)

    assert result() == "pass"


def test_it_validates_the_first_ten_ptr_names_only(dns_server):
    # §4.6.4: "the evaluation of each "PTR" record MUST NOT result in querying more than 10
    # address records ... all records other than the first 10 MUST be ignored."
    dns_server.add("example.com", "TXT", "v=spf1 ptr:example.com ?all")
    names = [f"h{n}.elsewhere.example" for n in range(10)] + ["mail.example.com"]
    dns_server.add(REVERSE, "PTR", *names)
    dns_server.add("mail.example.com", "A", CLIENT)

    assert result() == "neutral"


def test_it_counts_ptr_as_a_dns_lookup(named_client):
    named_client.add("example.com", "TXT", "v=spf1 " + "a " * 10 + "ptr -all")
    named_client.add("example.com", "A", "198.51.100.1")

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert "the limit was passed at 'ptr'" in outcome.reason


def test_it_counts_a_ptr_lookup_that_finds_nothing_as_void(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a:v1.example a:v2.example ptr +all")

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert f"the last: {REVERSE}" in outcome.reason


def test_it_skips_ptr_when_checking_for_our_include(named_client):
    named_client.add("example.com", "TXT", "v=spf1 ptr include:_spf.warmup.invalid -all")

    outcome = run_one(spf.evaluate("example.com", include="_spf.warmup.invalid"))

    assert outcome.result == "pass"
    assert outcome.lookups == 2  # ptr counts, though it is not evaluated without a client
    assert all(rtype != "PTR" for _name, rtype, _p in named_client.queries)


# --- IPv4-mapped IPv6 clients (§5) ----------------------------------------------------------------
# "When any mechanism fetches host addresses to compare with <ip>, when <ip> is an IPv4, "A"
# records are fetched; when <ip> is an IPv6 address, "AAAA" records are fetched. ... an
# IPv4-mapped IPv6 address ... MUST still be considered an IPv4 address" (§5, §5.6).

MAPPED = "::ffff:192.0.2.10"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("v=spf1 -ip4:192.0.2.10 ip6:::ffff:192.0.2.10", "fail"),  # ip4 matches first
        ("v=spf1 ip6:::ffff:192.0.2.10", "neutral"),  # ip6 never matches an IPv4 client
        ("v=spf1 ip6:::/0", "neutral"),
        ("v=spf1 a//0 -all", "fail"),  # AAAA records exist, but an IPv4 client asks for A
        ("v=spf1 mx//0 -all", "fail"),
        ("v=spf1 a:v4.example.com -all", "pass"),
        ("v=spf1 exists:%{ir}.%{v}.rbl.example.com -all", "pass"),
    ],
)
def test_it_evaluates_an_ipv4_mapped_client_as_ipv4(dns_server, record, expected):
    dns_server.add("example.com", "TXT", record)
    dns_server.add("example.com", "AAAA", "2001:db8::99")
    dns_server.add("example.com", "MX", (10, "example.com"))
    dns_server.add("v4.example.com", "A", CLIENT)
    dns_server.add("10.2.0.192.in-addr.rbl.example.com", "A", "127.0.0.2")

    assert result(ip=MAPPED) == expected


def test_it_looks_up_a_records_for_an_ipv4_mapped_client(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a -all")
    dns_server.add("example.com", "A", CLIENT)

    assert result(ip=MAPPED.upper()) == "pass"
    assert ("example.com", "A", "udp") in dns_server.queries
    assert all(rtype != "AAAA" for _name, rtype, _p in dns_server.queries)


# --- domain-specs holding ":" and "/" (§7.1) ------------------------------------------------------
# "macro-literal = %x21-24 / %x26-7E ; visible characters except "%"", and
# "domain-spec = macro-string domain-end": only the end must look like a domain.


@pytest.mark.parametrize("mechanism", ["a", "mx"])
def test_it_reads_colons_and_slashes_inside_a_domain_spec(dns_server, mechanism):
    dns_server.add("example.com", "TXT", f"v=spf1 {mechanism}:foo:bar/baz.example.com -all")
    dns_server.add("foo:bar/baz.example.com", "MX", (0, "foo:bar/baz.example.com"))
    dns_server.add("foo:bar/baz.example.com", "A", CLIENT)

    assert result() == "pass"
    assert result(ip=MAPPED) == "pass"


def test_it_still_reads_a_prefix_length_at_the_end_of_a_domain_spec(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a:hosts.example.com/24 -all")
    dns_server.add("hosts.example.com", "A", "192.0.2.200")

    assert result() == "pass"


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 a:example.com:8080",  # a ':' may appear in a domain-spec, not in its top label
        "v=spf1 mx:example.com:8080",
        "v=spf1 include:example.net/24",  # only a and mx take a prefix length
        "v=spf1 a:foo.example.com/24/64",  # the IPv6 length needs two slashes
    ],
)
def test_it_rejects_a_domain_spec_that_does_not_end_in_a_domain(dns_server, record):
    dns_server.add("example.com", "TXT", record)

    assert result() == "permerror"


# --- record syntax (§3, §4.6.1, §5.6, Appendix A) -------------------------------------------------
# "record = version terms *SP; terms = *( 1*SP ( directive / modifier ) )": terms are separated
# by spaces, nothing else; SPF records are 7-bit ASCII (§3.1: "restricted to 7-bit ASCII").


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("v=spf1 a:mail.example.com\rptr -all", "a carriage return (CR)"),
        ("v=spf1 ip4:192.0.2.10\n include:_spf.example.net ~all", "a line feed (LF)"),
        ("v=spf1 ip4:192.0.2.10\t-all", "a tab"),
        ("v=spf1 a:mail.example.com\0", "a NUL byte"),
        (b"v=spf1 \x80a:mail.example.com -all", "bytes that are not text"),
        ("v=spf1 a:\ufeffmail.example.com -all", "U+FEFF"),
        ("v=spf1 ip4:192.0.2.10 \u2013all", "U+2013 (en dash)"),
    ],
)
def test_it_rejects_control_and_non_ascii_characters(dns_server, record, reason):
    dns_server.add("example.com", "TXT", record)
    dns_server.add("mail.example.com", "A", CLIENT)

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert reason in outcome.reason


def test_it_ignores_non_ascii_in_txt_records_that_are_not_spf(dns_server):
    # §4.5: "Records that do not begin with a version section of exactly "v=spf1" are discarded."
    dns_server.add("example.com", "TXT", "v=spf1 ip4:192.0.2.10 -all", b"\x96 caf\xc3\xa9")

    assert result() == "pass"


@pytest.mark.parametrize(
    "record",
    ["v=spf1 ip4:192.0.2.10/032 -all", "v=spf1 a/024 -all", "v=spf1 a//0128 -all"],
)
def test_it_rejects_prefix_lengths_with_leading_zeros(dns_server, record):
    # §5.6: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT)
    dns_server.add("example.com", "TXT", record)
    dns_server.add("example.com", "A", CLIENT)

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert "leading zero" in outcome.reason


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("v=spf1 1up=foo -all", "is not a valid modifier"),  # a name starts with a letter
        ("v=spf1 =all", "is not a valid modifier"),  # and is not empty
        ("v=spf1 moo.cow/far_out=man:dog/cat -all", "is not a valid modifier"),
        ("v=spf1 -all foo=%abc", "has a '%' that does not start a macro"),  # a macro-string
        ("v=spf1 -all foo=%{q}", "%{q}, which is not an SPF macro"),
        ("v=spf1 exp= -all", "has nothing after '='"),
        ("v=spf1 redirect=-all", "does not name a domain"),
        ("v=spf1 -all exp=%{r}.example.com", "%{r}, which only explanation texts may use"),
    ],
)
def test_it_rejects_modifiers_with_invalid_syntax(dns_server, record, reason):
    # Appendix A: modifier = redirect / explanation / unknown-modifier;
    # unknown-modifier = name "=" macro-string; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    dns_server.add("example.com", "TXT", record)

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert reason in outcome.reason


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 moo.cow-far_out=man:dog/cat ip4:192.0.2.10 -all",
        "v=spf1 ip4:192.0.2.10 default=+ -all",
        "v=spf1 ip4:192.0.2.10 x-note=%{d}%%  -all ",  # two spaces, a trailing one
    ],
)
def test_it_ignores_valid_unknown_modifiers(dns_server, record):
    dns_server.add("example.com", "TXT", record)

    assert result() == "pass"


def test_it_reads_a_record_beside_a_txt_record_of_no_strings(dns_server):
    # §3.3: character-strings are joined without a separator; a TXT record with no strings
    # (which RFC 1035 forbids) must not stop the evaluation.
    dns_server.add("example.com", "TXT", ["v=spf1 ip4:", "192.0.2.10 -all"], [])

    assert result() == "pass"


# --- macros (§7) ----------------------------------------------------------------------------------


def test_it_expands_p_to_the_validated_name_preferring_the_domain_s_own(dns_server):
    # §7.3: "If the <domain> is present in the list of validated domains, it SHOULD be used.
    # Otherwise, if a subdomain of the <domain> is present, it SHOULD be used. Otherwise, any
    # name from the list can be used."
    dns_server.add("example.com", "TXT", "v=spf1 exists:%{p}.ok.example.net -all")
    dns_server.add(REVERSE, "PTR", "mx.elsewhere.example", "mx.example.com", "forged.example.com")
    dns_server.add("mx.elsewhere.example", "A", CLIENT)
    dns_server.add("mx.example.com", "A", CLIENT)
    dns_server.add("mx.example.com.ok.example.net", "A", "127.0.0.2")

    assert result() == "pass"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ({}, "unknown"),  # no PTR record
        ({"PTR": "forged.example.com"}, "unknown"),  # a name that does not validate
        ({"PTR": "mx.elsewhere.example", "A": True}, "mx.elsewhere.example"),
    ],
)
def test_it_expands_p_to_a_validated_name_or_to_unknown(dns_server, zone, expected):
    dns_server.add("example.com", "TXT", "v=spf1 exists:%{p}.names.example.net -all")
    dns_server.add(f"{expected}.names.example.net", "A", "127.0.0.2")
    if "PTR" in zone:
        dns_server.add(REVERSE, "PTR", zone["PTR"])
    if zone.get("A"):
        dns_server.add(zone["PTR"], "A", CLIENT)

    assert result() == "pass"


@pytest.mark.parametrize(
    ("spec", "local_part", "name"),
    [
        # §7.3: "the DIGIT transformer ... indicates the number of right-hand parts to use,
        # after optional reversal"; delimiters say where to split (several are allowed).
        ("%{l2r-}.user.%{d2}", "philip-gladstone-test", "gladstone.philip.user.example.com"),
        ("%{l2r+-}.user.%{d2}", "foo-bar+zip+quux", "bar.foo.user.example.com"),
        ("%{l1r-}.user.%{d2}", "philip-gladstone-test", "philip.user.example.com"),
        ("%{l}.user.%{d2}", None, "postmaster.user.example.com"),  # no message: postmaster
        ("%{s}.%{o}", "jo", "jo@mail.example.com.mail.example.com"),
        ("%{ir}.%{v}._spf.%{d2}", None, "10.2.0.192.in-addr._spf.example.com"),
        ("%{d2r}.example.net", None, "example.mail.example.net"),
        ("%{L}.example.net", "j&j=ok", "j%26j%3dok.example.net"),  # upper case: URL-escaped
        ("macro%%percent%_space%-url.example.com", None, "macro%percent space%20url.example.com"),
    ],
)
def test_it_expands_macros_in_domain_specs(dns_server, spec, local_part, name):
    dns_server.add("mail.example.com", "TXT", f"v=spf1 exists:{spec} -all")
    dns_server.add(name, "A", "127.0.0.2")

    assert result("mail.example.com", local_part=local_part) == "pass"


@pytest.mark.parametrize("mechanism", ["a", "mx", "include", "ptr"])
def test_it_expands_macros_in_every_mechanism_s_domain_spec(dns_server, mechanism):
    dns_server.add("example.com", "TXT", f"v=spf1 {mechanism}:%{{l}}.hosts.%{{d}} -all")
    dns_server.add("alice.hosts.example.com", "A", CLIENT)
    dns_server.add("alice.hosts.example.com", "MX", (10, "alice.hosts.example.com"))
    dns_server.add("alice.hosts.example.com", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    dns_server.add(REVERSE, "PTR", "alice.hosts.example.com")

    assert result(local_part="alice") == "pass"
    # bob.hosts.example.com has no records: no match, or no policy to include (§5.2)
    assert result(local_part="bob") == ("permerror" if mechanism == "include" else "fail")


def test_it_expands_h_to_the_helo_name(dns_server):
    # §7.3: "h = HELO/EHLO domain"
    dns_server.add("example.com", "TXT", "v=spf1 a:%{h} -all")
    dns_server.add("out1.mta.example.net", "A", CLIENT)

    assert result(helo="out1.mta.example.net") == "pass"
    assert result(helo="other.example.net") == "fail"
    assert result() == "fail"  # without a HELO name, %{h} is the domain (no A record here)


def test_it_looks_up_an_invalid_helo_name_as_an_absent_name(dns_server):
    # §7.1: the domain-spec is checked before expansion, never after.
    dns_server.add("example.com", "TXT", "v=spf1 a:%{H} -all")

    assert result(helo="JUMPIN' JUPITER") == "fail"
    assert result(helo="[192.0.2.10]") == "fail"


def test_it_follows_a_redirect_built_by_a_macro(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 redirect=%{d}.d.spf.example.net.")
    dns_server.add("example.com.d.spf.example.net", "TXT", "v=spf1 include:o.example.net. ~all")
    dns_server.add("o.example.net", "TXT", f"v=spf1 ip4:{CLIENT}")

    assert result() == "pass"


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 -exists:%(ir).sbl.example.com ?all",  # "%" not followed by "{", "%", "-", "_"
        "v=spf1 exists:foo%.sbl.example.com ?all",
        "v=spf1 a:%{a}.example.com -all",  # not a macro letter
        "v=spf1 a:%{c}.example.com -all",  # c, r and t only in explanation texts
        "v=spf1 exists:%{d0}.example.com -all",  # a DIGIT transformer is nonzero
    ],
)
def test_it_rejects_invalid_macros(dns_server, record):
    dns_server.add("example.com", "TXT", record)

    assert result() == "permerror"


# --- names that cannot be looked up (§4.3, §4.4) --------------------------------------------------
# §4.3: "If the <domain> is malformed (e.g., label longer than 63 characters, zero-length label
# not at the end, etc.) or is not a multi-label domain name, ... check_host() immediately returns
# the result "none"."


@pytest.mark.parametrize(
    "domain",
    [
        "a" * 64 + ".example.com",
        "mail...example.com",
        "localhost",
        "[192.0.2.10]",
    ],
)
def test_it_answers_none_for_a_domain_that_cannot_be_looked_up(dns_server, domain):
    outcome = evaluate(domain)

    assert outcome.result == "none"
    assert domain.lower() in outcome.reason
    assert dns_server.queries == []


def test_it_accepts_labels_of_63_octets(dns_server):
    domain = "a" * 63 + ".example.com"
    dns_server.add(domain, "TXT", "v=spf1 -all")

    assert result(domain.upper()) == "fail"


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 a:" + "a" * 64 + ".example.com -all",
        "v=spf1 a:mail.example...com -all",
        "v=spf1 a:%{H}.example.com -all",  # 66 octets once URL-escaped
    ],
)
def test_it_treats_a_target_that_cannot_be_looked_up_as_absent(dns_server, record):
    dns_server.add("example.com", "TXT", record)

    assert result(helo="%" * 22) == "fail"


def test_it_reports_a_txt_lookup_that_times_out_as_temperror(dns_server, settings):
    # §4.4: "If the DNS lookup returns a server failure (RCODE 2) or some other error ..., or if
    # the DNS lookup times out, then check_host() terminates immediately with the result
    # "temperror"" — whatever other record types the name answers.
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.add("example.com", "A", CLIENT)
    dns_server.add("example.com", "TXT", "v=spf1 a -all")
    dns_server.fail("example.com", "TIMEOUT", rtype="TXT")

    outcome = evaluate()

    assert outcome.result == "temperror"
    assert outcome.reason == "the TXT lookup of example.com failed (no answer within 0.3 s)"


def test_it_reports_a_timeout_in_an_include_as_temperror(dns_server, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.add("example.com", "TXT", "v=spf1 include:_spf.example.net -all")
    dns_server.add("_spf.example.net", "A", "192.0.2.1")
    dns_server.fail("_spf.example.net", "TIMEOUT", rtype="TXT")

    assert result() == "temperror"
