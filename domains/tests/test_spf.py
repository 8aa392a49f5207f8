"""SPF is evaluated, not grepped: include/redirect chains, limits, errors, the sending-IP hook.

Every test resolves against the real DNS test server.
"""

import pytest

from domains import services, spf
from domains.findings import Status
from domains.models import DomainRecord
from domains.resolution import run_one
from domains.tests.factories import DomainFactory, publish

OURS = "_spf.warmup.invalid"


def check(domain="example.com", ips=()):
    return run_one(spf.check(domain, include=OURS, ips=ips))


def evaluate(domain="example.com", ip="203.0.113.7"):
    return run_one(spf.evaluate(domain, ip=ip))


# --- authorising our include ----------------------------------------------------------------------


def test_it_accepts_our_include(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include:{OURS} ~all")

    finding = check()

    assert finding.status == Status.OK
    assert f"through include:{OURS}" in finding.detail
    assert "1 of the 10 DNS lookups" in finding.detail
    assert finding.value == f"v=spf1 include:{OURS} ~all"


def test_it_follows_an_include_chain_to_our_include(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 include:_spf.esp.example -all")
    dns_server.add("_spf.esp.example", "TXT", "v=spf1 include:_nets.esp.example ~all")
    dns_server.add("_nets.esp.example", "TXT", f"v=spf1 ip4:198.51.100.0/24 include:{OURS} -all")

    finding = check()

    assert finding.status == Status.OK
    assert f"include:_spf.esp.example → include:_nets.esp.example → include:{OURS}" in (
        finding.detail
    )
    assert "3 of the 10" in finding.detail


def test_it_follows_redirect(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 redirect=_spf.example.net")
    dns_server.add("_spf.example.net", "TXT", f"v=spf1 include:{OURS} -all")

    finding = check()

    assert finding.status == Status.OK
    assert f"redirect=_spf.example.net → include:{OURS}" in finding.detail


def test_it_ignores_redirect_when_the_record_ends_in_all(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 -all redirect=_spf.example.net")
    dns_server.add("_spf.example.net", "TXT", f"v=spf1 include:{OURS} -all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert finding.value == f"v=spf1 include:{OURS} -all"


def test_it_reads_upper_case_records_and_trailing_dots(dns_server):
    dns_server.add("example.com", "TXT", f"V=SPF1 MX INCLUDE:{OURS.upper()}. ~ALL")

    assert check("EXAMPLE.COM.").status == Status.OK


def test_it_joins_split_character_strings(dns_server):
    dns_server.add("example.com", "TXT", ["v=spf1 ip4:192.0.2.0/24 ", f"include:{OURS} ~all"])

    assert check().status == Status.OK


# --- what is wrong and what to publish ------------------------------------------------------------


def test_it_offers_a_record_when_there_is_none(dns_server):
    dns_server.add("example.com", "TXT", "google-site-verification=abc")

    finding = check()

    assert finding.status == Status.MISSING
    assert finding.value == f"v=spf1 include:{OURS} ~all"
    assert "has no SPF record" in finding.detail


def test_it_merges_our_include_into_the_existing_record(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 ip4:192.0.2.1 include:_spf.google.com -all")
    dns_server.add("_spf.google.com", "TXT", "v=spf1 ip4:74.125.0.0/16 ~all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert finding.found == "v=spf1 ip4:192.0.2.1 include:_spf.google.com -all"
    assert finding.value == f"v=spf1 ip4:192.0.2.1 include:_spf.google.com include:{OURS} -all"
    assert f"no include:{OURS}" in finding.detail
    assert "keep your other terms" in finding.detail


def test_it_explains_an_include_placed_after_all(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 mx ~all include:{OURS}")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "but after ~all" in finding.detail
    assert finding.value == f"v=spf1 mx include:{OURS} ~all"


def test_it_explains_a_failing_qualifier_on_our_include(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 -include:{OURS} ~all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "the '-' in front tells receivers to fail our mail" in finding.detail
    assert finding.value == f"v=spf1 include:{OURS} ~all"


def test_it_reports_two_spf_records_as_permerror(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include:{OURS} ~all", "v=spf1 ip4:192.0.2.1 -all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "permerror" in finding.detail
    assert "example.com has 2 SPF records" in finding.detail
    assert finding.value == f"v=spf1 ip4:192.0.2.1 include:{OURS} ~all"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (f"v=spf1 ip4:300.1.2.3 include:{OURS} ~all", "'ip4:300.1.2.3' is not a valid ip4 network"),
        (f"v=spf1 include:{OURS} foo:bar ~all", "'foo:bar' is not an SPF mechanism"),
        (f"v=spf1 include:{OURS} a:example.com/33 ~all", "prefix length out of range"),
        (f"v=spf1 include:{OURS} include:localhost ~all", "'include:localhost' does not name"),
        (f"v=spf1 redirect=a.example redirect=b.example include:{OURS}", "redirect= twice"),
        (f"v=spf1 exists:%{{z}}.example.com include:{OURS}", "%{z}, which is not an SPF macro"),
        (f"v=spf1 ip6:fe80::1%eth0 include:{OURS} ~all", "'ip6:fe80::1%eth0' is not a valid ip6"),
    ],
)
def test_it_reports_syntax_errors_as_permerror(dns_server, record, reason):
    dns_server.add("example.com", "TXT", record)

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "permerror" in finding.detail
    assert reason in finding.detail


def test_it_ignores_unknown_modifiers_and_exp(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include:{OURS} ~all exp=why.example.com x-y=z")

    assert check().status == Status.OK


def test_it_reports_an_include_of_a_domain_without_spf(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include:gone.example include:{OURS} ~all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "include:gone.example names a domain without an SPF record" in finding.detail


def _includes(dns_server, count: int) -> str:
    """`count` includes, each of a record that does not match (and costs one more lookup)."""
    terms = []
    for n in range(count):
        dns_server.add(f"s{n}.example", "TXT", f"v=spf1 ip4:198.51.100.{n} -all")
        terms.append(f"include:s{n}.example")
    return " ".join(terms)


def test_it_allows_exactly_ten_dns_lookups(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 {_includes(dns_server, 9)} include:{OURS} -all")

    finding = check()

    assert finding.status == Status.OK
    assert "10 of the 10" in finding.detail


def test_it_enforces_the_limit_of_ten_dns_lookups(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 {_includes(dns_server, 10)} include:{OURS} -all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "more than 10 DNS lookups" in finding.detail
    assert f"include:{OURS}" in finding.detail  # the term that passed the limit


def test_it_counts_lookups_inside_includes(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 a mx include:nested.example include:{OURS} -all")
    dns_server.add("nested.example", "TXT", f"v=spf1 {_includes(dns_server, 7)} -all")

    finding = check()

    # a, mx, include:nested + 7 inside it = 10 before ours: ours is the 11th
    assert finding.status == Status.MISMATCH
    assert "more than 10 DNS lookups" in finding.detail


def test_it_treats_a_temporary_failure_in_an_include_chain_as_an_error(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include:_spf.esp.example include:{OURS} ~all")
    dns_server.fail("_spf.esp.example", "SERVFAIL")

    finding = check()

    assert finding.status == Status.ERROR
    assert "_spf.esp.example" in finding.detail
    assert "SERVFAIL" in finding.detail


# --- verdicts in plain words: ptr, broken syntax, DNS failures, no record -------------------------


def test_it_warns_that_ptr_may_be_ignored_even_when_the_record_is_ok(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 ptr:example.com include:{OURS} ~all")

    finding = check()

    assert finding.status == Status.OK
    assert "Your record uses ptr:example.com, which RFC 7208 asks senders not to use" in (
        finding.detail
    )
    assert "some receivers ignore it" in finding.detail
    assert "Replace it with ip4:/ip6: ranges of those servers, or with a or mx terms." in (
        finding.detail
    )


def test_it_accepts_sending_ips_authorised_by_ptr_and_warns(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 ptr -all")
    dns_server.add("7.113.0.203.in-addr.arpa", "PTR", "out.example.com")
    dns_server.add("out.example.com", "A", "203.0.113.7")

    finding = check(ips=["203.0.113.7"])

    assert finding.status == Status.OK  # what Gmail answers: ptr is evaluated
    assert "203.0.113.7 by ptr" in finding.detail
    assert "Your record uses ptr, which RFC 7208 asks senders not to use" in finding.detail


def test_it_explains_a_line_break_inside_the_record(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a:mail.example.com\rptr -all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "broken (permerror)" in finding.detail
    assert "a carriage return (CR) in 'a:mail.example.com\\rptr'" in finding.detail
    assert "Publish the record again on one line" in finding.detail
    assert finding.value == f"v=spf1 a:mail.example.com ptr include:{OURS} -all"


def test_it_repairs_pasted_characters_in_the_record_to_publish(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 \ufeffinclude:_spf.google.com \u2013all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "non-ASCII character U+FEFF" in finding.detail
    assert "Retype that term by hand" in finding.detail
    assert "writes '\\ufeffinclude:_spf.google.com' as include:_spf.google.com" in (finding.detail)
    assert finding.value == f"v=spf1 include:_spf.google.com include:{OURS} -all"


def test_it_leaves_out_terms_that_cannot_be_repaired(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a:café.example.com mx ~all")

    finding = check()

    assert "leaves out 'a:café.example.com', which receivers cannot read" in finding.detail
    assert finding.value == f"v=spf1 mx include:{OURS} ~all"


def test_it_explains_a_prefix_length_with_a_leading_zero(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 ip4:192.0.2.0/024 include:{OURS} ~all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "writes the prefix length /024 with a leading zero" in finding.detail
    assert "Write /24 instead of /024." in finding.detail
    assert finding.value == f"v=spf1 ip4:192.0.2.0/24 include:{OURS} ~all"


def test_it_explains_an_invalid_modifier(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include:{OURS} 1up=foo ~all")

    finding = check()

    assert finding.status == Status.MISMATCH
    assert "'1up=foo' is not a valid modifier: a modifier's name starts with a letter" in (
        finding.detail
    )
    assert finding.value == f"v=spf1 include:{OURS} ~all"


def test_it_explains_a_domain_joined_to_a_mechanism_s_name(dns_server):
    dns_server.add("example.com", "TXT", f"v=spf1 include.mail.example include:{OURS} ~all")

    finding = check()

    assert "'include.mail.example' is not an SPF mechanism" in finding.detail
    assert "To name the domain mail.example, write include:mail.example." in finding.detail


def test_it_explains_a_txt_lookup_that_times_out(dns_server, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.add("example.com", "A", "192.0.2.1")
    dns_server.add("example.com", "TXT", f"v=spf1 include:{OURS} ~all")
    dns_server.fail("example.com", "TIMEOUT", rtype="TXT")

    finding = check()

    assert finding.status == Status.ERROR
    assert (
        "We could not check your SPF record: the TXT lookup of example.com failed (no answer "
        "within 0.3 s)." in finding.detail
    )
    assert "answer temperror, so they may defer your mail" in finding.detail
    assert "ask the DNS host of example.com why TXT queries fail" in finding.detail


@pytest.mark.parametrize(
    ("published", "why", "value"),
    [
        (
            f'"v=spf1 mx include:{OURS} ~all"',
            "it starts with a quote or a space, which DNS keeps as part of the value",
            f"v=spf1 mx include:{OURS} ~all",
        ),
        ("v=spf1mx -all", "v=spf1 must be followed by a space", f"v=spf1 include:{OURS} ~all"),
        ("v=spf3 mx -all", "starts with exactly v=spf1", f"v=spf1 include:{OURS} ~all"),
    ],
)
def test_it_explains_a_record_meant_as_spf_that_is_not_read_as_spf(
    dns_server, published, why, value
):
    dns_server.add("example.com", "TXT", published, "google-site-verification=abc")

    finding = check()

    assert finding.status == Status.MISSING
    assert finding.found == published
    assert "Receivers find no SPF record at example.com (result none): your TXT record" in (
        finding.detail
    )
    assert why in finding.detail
    assert finding.value == value


# --- the account's sending IPs (through the hook) -------------------------------------------------


@pytest.fixture
def sending_ips(monkeypatch):
    """Register a sending-IP source the way the ips app does in its AppConfig.ready()."""
    ips: list[str] = []
    monkeypatch.setattr(spf, "sending_ip_sources", [lambda account: ips])
    return ips


def test_it_collects_sending_ips_from_every_registered_source(monkeypatch, account):
    monkeypatch.setattr(
        spf,
        "sending_ip_sources",
        [lambda a: ["203.0.113.7", " 2001:DB8::25 "], lambda a: ["203.0.113.7", "192.0.2.9"]],
    )

    assert spf.account_sending_ips(account) == ["203.0.113.7", "2001:db8::25", "192.0.2.9"]


def test_it_authorises_sending_ips_by_ip4_and_ip6_networks(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 -all")

    finding = check(ips=["203.0.113.7", "2001:db8::25"])

    assert finding.status == Status.OK
    assert "203.0.113.7 by ip4:203.0.113.0/24" in finding.detail
    assert "2001:db8::25 by ip6:2001:db8::/32" in finding.detail


def test_it_names_the_sending_ips_a_record_does_not_authorise(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 ip4:203.0.113.0/25 ~all")

    finding = check(ips=["203.0.113.7", "203.0.113.200"])

    assert finding.status == Status.MISMATCH
    assert "203.0.113.200 (softfail)" in finding.detail
    assert "203.0.113.7" not in finding.detail.split("either:")[1]


@pytest.mark.parametrize(
    ("record", "result"),
    [
        ("v=spf1 ip4:203.0.113.7 -all", "pass"),
        ("v=spf1 ip4:203.0.113.0/24 -all", "pass"),
        ("v=spf1 ip4:203.0.113.8/32 -all", "fail"),
        ("v=spf1 -ip4:203.0.113.0/24 +all", "fail"),
        ("v=spf1 ~ip4:203.0.113.0/24 +all", "softfail"),
        ("v=spf1 ?ip4:203.0.113.0/24 +all", "neutral"),
        ("v=spf1 ip6:2001:db8::/32", "neutral"),  # no match, no all
        ("v=spf1 a -all", "pass"),
        ("v=spf1 a:mail.example.com/28 -all", "pass"),
        ("v=spf1 a:mail.example.com -all", "fail"),
        ("v=spf1 mx -all", "fail"),  # the MX host is 203.0.113.20
        ("v=spf1 mx/24 -all", "pass"),
        ("v=spf1 exists:%{i}._ip.example.com -all", "pass"),
        ("v=spf1 exists:%{ir}.%{v}._rev.example.com -all", "pass"),
        ("v=spf1 exists:%{l}.%{d2} -all", "fail"),
        ("v=spf1 include:_spf.warmup.invalid -all", "pass"),
        ("v=spf1 redirect=_spf.warmup.invalid", "pass"),
        ("v=spf1 ptr -all", "fail"),  # evaluated: the client has no PTR name here
    ],
)
def test_it_evaluates_mechanisms_for_an_ip(dns_server, record, result):
    dns_server.add("example.com", "TXT", record)
    dns_server.add("example.com", "A", "203.0.113.7")
    dns_server.add("mail.example.com", "A", "203.0.113.1")
    dns_server.add("example.com", "MX", (10, "mx1.example.com"))
    dns_server.add("mx1.example.com", "A", "203.0.113.20")
    dns_server.add("203.0.113.7._ip.example.com", "A", "127.0.0.2")
    dns_server.add("7.113.0.203.in-addr._rev.example.com", "A", "127.0.0.2")
    dns_server.add(OURS, "TXT", "v=spf1 ip4:203.0.113.0/24 -all")

    assert evaluate().result == result


def test_it_evaluates_ipv6_with_dual_cidr(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a//64 -all")
    dns_server.add("example.com", "AAAA", "2001:db8:1:2::1")

    assert evaluate(ip="2001:db8:1:2::99").result == "pass"
    assert evaluate(ip="2001:db8:1:3::99").result == "fail"


def test_it_limits_void_lookups(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 a:v1.example a:v2.example a:v3.example +all")

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert "more than 2 of its lookups found nothing" in outcome.reason


def test_it_limits_mx_hosts(dns_server):
    dns_server.add("example.com", "TXT", "v=spf1 mx -all")
    dns_server.add("example.com", "MX", *[(n, f"mx{n}.example.com") for n in range(11)])

    outcome = evaluate()

    assert outcome.result == "permerror"
    assert "11 MX hosts" in outcome.reason


def test_it_reports_no_spf_as_none(dns_server):
    assert evaluate().result == "none"


def test_it_authorises_through_the_hook_in_a_domain_check(dns_server, sending_ips, account):
    sending_ips.append("203.0.113.7")
    domain = DomainFactory(account=account, name="example.com")
    publish(dns_server, domain, spf="v=spf1 ip4:203.0.113.0/24 -all")

    services.domains_check(domain_ids=[domain.pk])

    record = DomainRecord.objects.get(domain=domain, kind="spf")
    assert record.status == "ok"
    assert "203.0.113.7 by ip4:203.0.113.0/24" in record.detail


def test_it_merges_two_records_and_keeps_one_redirect():
    merged = spf.merged_record(
        ["v=spf1 mx redirect=_spf.example.net", "v=spf1 mx ip4:192.0.2.1"], OURS
    )

    assert merged == f"v=spf1 mx ip4:192.0.2.1 include:{OURS} redirect=_spf.example.net"
